package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// queryer is what reads need from either a pool or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ms is how the store keeps time: Unix milliseconds, the precision the
// contract promises.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// nullable maps an absent value to NULL, for COALESCE to keep the column.
func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
