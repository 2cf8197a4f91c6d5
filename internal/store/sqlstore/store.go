package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// Store implements the store contracts on an Engine. The packages sqlite and
// postgres embed it, adding Ping, Close and what they do faster themselves.
type Store struct {
	e Engine
}

// New returns a Store on e.
func New(e Engine) *Store { return &Store{e: e} }

// errorf wraps an unexpected database error with the database's name and
// what was being done; contract errors are returned unwrapped instead.
func (s *Store) errorf(format string, args ...any) error {
	return fmt.Errorf(s.e.Name()+": "+format, args...)
}

// ms is how the store keeps time: Unix milliseconds, the precision the
// contracts promise.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS is the time of a stored value of ms.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// in returns "col IN (?, ...)" for values, appending them to args; with no
// values it is false, as membership in an empty set is.
func in[T ~string](col string, values []T, args *[]any) string {
	if len(values) == 0 {
		return "1 = 0"
	}
	for _, v := range values {
		*args = append(*args, string(v))
	}
	return col + " IN (" + marks(len(values)) + ")"
}

// marks returns n comma-separated placeholders.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// values returns the rows of a multi-row VALUES: n rows of cols placeholders.
func values(n, cols int) string {
	return strings.TrimSuffix(strings.Repeat("("+marks(cols)+"), ", n), ", ")
}

// nullable maps an absent value to NULL, for COALESCE to keep the column.
func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// admitCreate starts a create of a named resource of one (account,
// region): it takes the scope's create lock class (the quota is a count,
// and a count is no row to lock; it also settles racing creates of one
// name), returns store.ErrAlreadyExists with the stored resource in *out
// when get finds the name taken, and store.ErrQuotaExceeded when table
// already holds quota rows of the scope.
func admitCreate[T any](ctx context.Context, s *Store, tx Q, class LockClass, table, account, region string, quota int,
	get func() (T, error), out *T) error {
	if err := s.e.LockScopes(ctx, tx, class, []string{account, region}); err != nil {
		return err
	}
	prior, err := get()
	switch {
	case err == nil:
		*out = prior
		return store.ErrAlreadyExists
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE account = ? AND region = ?`, account, region).Scan(&n); err != nil {
		return s.errorf("count %s: %w", table, err)
	}
	if n >= quota {
		return store.ErrQuotaExceeded
	}
	return nil
}

// one returns none when a conditional statement changed no row.
func one(n int64, none error) error {
	if n == 0 {
		return none
	}
	return nil
}

// read maps the error of a single-row query: no row is none, another
// failure is wrapped with what was read.
func (s *Store) read(err, none error, what string, args ...any) error {
	switch {
	case isNoRows(err):
		return none
	case err != nil:
		return s.errorf(what+": %w", append(args, err)...)
	}
	return nil
}

// found returns v, read by a single-row query, or the zero value with read's
// error, store.ErrNotFound when there was no row.
func found[T any](s *Store, v T, err error, what string, args ...any) (T, error) {
	if err = s.read(err, store.ErrNotFound, what, args...); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// dedupeTags keeps the last value of a repeated key, in first-seen order:
// one INSERT ... ON CONFLICT DO UPDATE may not touch a row twice.
func dedupeTags(tags []store.Tag) []store.Tag {
	at := make(map[string]int, len(tags))
	out := make([]store.Tag, 0, len(tags))
	for _, t := range tags {
		if i, ok := at[t.Key]; ok {
			out[i].Value = t.Value
			continue
		}
		at[t.Key] = len(out)
		out = append(out, t)
	}
	return out
}

// collect reads every row of rows with scan.
func collect[T any](rows Rows, err error, scan func(Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
