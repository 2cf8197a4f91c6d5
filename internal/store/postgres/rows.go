package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/openproton/openproton/internal/store"
)

// querier is what both the pool and a transaction offer, so that a read can
// run inside or outside a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// scanner is a single row or the current row of a result set.
type scanner interface {
	Scan(dest ...any) error
}

// millis is how every timestamp is stored: Unix milliseconds, the precision
// the store contract promises.
func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// tagColumns splits tags into key and value arrays for unnest, keeping the
// last value of a repeated key: one INSERT ... ON CONFLICT DO UPDATE may not
// touch the same row twice.
func tagColumns(tags []store.Tag) (keys, values []string) {
	at := make(map[string]int, len(tags))
	for _, t := range tags {
		if i, ok := at[t.Key]; ok {
			values[i] = t.Value
			continue
		}
		at[t.Key] = len(keys)
		keys = append(keys, t.Key)
		values = append(values, t.Value)
	}
	return keys, values
}
