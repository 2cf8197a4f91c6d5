package sqlite

import (
	"context"
	"database/sql"

	"github.com/openproton/openproton/internal/store/sqlstore"
)

// engine gives sqlstore this database: reads on the reader pool and writes
// through the single writer (writer.go), every statement prepared once.
// SQLite has one writer at a time, so the row and scope locks that
// PostgreSQL needs are nothing here.
type engine struct{ s *Store }

func (engine) Name() string                  { return "sqlite" }
func (engine) Lock(sqlstore.LockMode) string { return "" }
func (e engine) Reads() sqlstore.Q           { return reads{e.s} }
func (engine) LockScopes(context.Context, sqlstore.Q, sqlstore.LockClass, ...[]string) error {
	return nil
}

func (e engine) InTx(ctx context.Context, what string, fn func(sqlstore.Q) error) error {
	return e.s.inTx(ctx, what, func(tx *sql.Tx) error { return fn(txQ{e.s, tx}) })
}

// Each runs in one transaction: the single writer makes that no dearer.
func (e engine) Each(ctx context.Context, what string, fn func(sqlstore.Q) error) error {
	return e.InTx(ctx, what, fn)
}

// reads runs statements on the reader pool.
type reads struct{ s *Store }

func (r reads) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return affected(r.s.reader.ExecContext(ctx, query, args...))
}

func (r reads) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := r.s.query(ctx, query, args...)
	return sqlRows{rows}, err
}

func (r reads) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return r.s.queryRow(ctx, query, args...)
}

// txQ runs statements in a write transaction of the writer.
type txQ struct {
	s  *Store
	tx *sql.Tx
}

func (t txQ) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return affected(t.s.txExec(ctx, t.tx, query, args...))
}

func (t txQ) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := t.s.txQuery(ctx, t.tx, query, args...)
	return sqlRows{rows}, err
}

func (t txQ) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return t.s.txQueryRow(ctx, t.tx, query, args...)
}

// sqlRows is a result set of database/sql, whose Close error (there is none
// for a read-only result) callers have no use for.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
