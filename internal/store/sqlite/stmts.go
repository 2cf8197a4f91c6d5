package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"sync"
)

// maxStmts bounds the prepared statements of one pool. The queries of this
// package have a few dozen texts (a list query varies with its filters); a
// query beyond the bound runs unprepared.
const maxStmts = 128

// stmtCache prepares each query once on a pool and reuses it. modernc's
// driver has no statement cache of its own, and parsing and planning the
// SQL text was about a sixth of the server's CPU time for a Get and two
// fifths of the writer's time for a create (see docs/benchmarks.md).
// database/sql prepares a statement again on each pooled connection the
// first time it runs there, and keeps it while the connection lives.
type stmtCache struct {
	db *sql.DB
	// deferred caches note a missing statement instead of preparing it, and
	// prepareNoted prepares it later: the writer's only connection is busy
	// with the batch that asks, and preparing needs a free one.
	deferred bool
	m        sync.Map // query text -> *sql.Stmt

	mu    sync.Mutex // serialises preparing, so each text is prepared once
	n     int        // statements in m
	noted []string   // for a deferred cache, texts to prepare
}

// stmt returns the prepared statement of query, or nil when it is not
// prepared (yet) or cannot be; the caller then runs query unprepared, and
// meets the error, if any, there.
func (r *stmtCache) stmt(ctx context.Context, query string) *sql.Stmt {
	if s, ok := r.m.Load(query); ok {
		return s.(*sql.Stmt)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.m.Load(query); ok {
		return s.(*sql.Stmt)
	}
	if r.n+len(r.noted) >= maxStmts {
		return nil
	}
	if r.deferred {
		if !slices.Contains(r.noted, query) {
			r.noted = append(r.noted, query)
		}
		return nil
	}
	s, err := r.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	r.m.Store(query, s)
	r.n++
	return s
}

// prepareNoted prepares the statements a deferred cache noted; it needs a
// free connection.
func (r *stmtCache) prepareNoted(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, query := range r.noted {
		if s, err := r.db.PrepareContext(ctx, query); err == nil {
			r.m.Store(query, s)
			r.n++
		}
	}
	r.noted = nil
}

// close closes every prepared statement.
func (r *stmtCache) close() {
	r.m.Range(func(_, s any) bool {
		_ = s.(*sql.Stmt).Close()
		return true
	})
}

// queryRow runs a single-row read on the read pool, prepared.
//
// The reads of this store are point lookups and index range scans of at
// most one page, which take microseconds, so they run to the end even if
// ctx is cancelled: with a context that can end, the driver and
// database/sql each start a goroutine per query to watch it, which cost
// more than the lookup they would interrupt.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if st := s.reads.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.reader.QueryRowContext(ctx, query, args...)
}

// query runs a read on the read pool, prepared; see queryRow.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if st := s.reads.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.reader.QueryContext(ctx, query, args...)
}

// The statements of a write run to the end even if the caller's ctx ends
// (the caller still gets its error or result): SQLite answers an interrupted
// write statement by rolling back the whole transaction, which holds the
// writes of other callers too (see writer.go). A write is a few index
// lookups and inserts; it is over in microseconds.

// txExec runs a write statement of tx, prepared on the writer connection.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if st := s.writes.stmts.stmt(ctx, query); st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// txQuery runs a read of tx, prepared on the writer connection.
func (s *Store) txQuery(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if st := s.writes.stmts.stmt(ctx, query); st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// txQueryRow runs a single-row read of tx, prepared on the writer connection.
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if st := s.writes.stmts.stmt(ctx, query); st != nil {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}
