package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/openproton/openproton/internal/store/sqlstore"
)

// engine gives sqlstore this database: reads and single statements on the
// pool, write transactions in READ COMMITTED (see configurePool), each store
// call bounded by the query timeout.
type engine struct{ s *Store }

func (engine) Name() string { return "postgres" }

func (engine) Lock(m sqlstore.LockMode) string {
	switch m {
	case sqlstore.ForShare:
		return "FOR SHARE"
	case sqlstore.SkipLocked:
		return "FOR UPDATE SKIP LOCKED"
	}
	return "FOR UPDATE"
}

// LockScopes takes the transaction-scoped advisory locks of class, in
// ascending order and each once, so that two transactions that need
// overlapping sets cannot deadlock. They are released at commit or
// rollback, so an error path has nothing to release (and a pooler in
// transaction mode keeps working).
func (engine) LockScopes(ctx context.Context, tx sqlstore.Q, class sqlstore.LockClass, scopes ...[]string) error {
	keys := make([]int32, len(scopes))
	for i, sc := range scopes {
		keys[i] = lockKey(sc...)
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(?::int4, ?::int4)", int32(class), k); err != nil {
			return fmt.Errorf("postgres: advisory lock: %w", err)
		}
	}
	return nil
}

// Reads bounds each statement by the query timeout.
func (e engine) Reads() sqlstore.Q { return pgQ{q: e.s.pool, s: e.s} }

// InTx bounds the whole transaction, and each of its statements, by one
// query timeout from its start: a call that waits on a lock gives up.
func (e engine) InTx(ctx context.Context, _ string, fn func(sqlstore.Q) error) error {
	ctx, cancel := e.s.bound(ctx)
	defer cancel()
	deadline, _ := ctx.Deadline()
	return e.s.inTx(ctx, func(tx pgx.Tx) error { return fn(pgQ{q: tx, s: e.s, deadline: deadline}) })
}

// Each bounds all of fn's statements by one query timeout from its start.
func (e engine) Each(ctx context.Context, _ string, fn func(sqlstore.Q) error) error {
	return fn(pgQ{q: e.s.pool, s: e.s, deadline: time.Now().Add(e.s.timeout)})
}

// querier is what both the pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// lockKey hashes the parts of a scope into the second key of
// pg_advisory_xact_lock. Two scopes that collide merely wait for each other.
// FNV-1a is computed here rather than with the server's hashtext so that the
// key is the same for every replica and every PostgreSQL version.
func lockKey(parts ...string) int32 {
	h := fnv.New32a()
	for _, p := range parts {
		_, _ = h.Write([]byte(p))
		_, _ = h.Write([]byte{0}) // keeps ("ab","c") apart from ("a","bc")
	}
	return int32(h.Sum32())
}

// pgQ runs statements written with ? placeholders on q, each until
// deadline, or for the store's query timeout when deadline is zero.
type pgQ struct {
	q        querier
	s        *Store
	deadline time.Time
}

func (p pgQ) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if p.deadline.IsZero() {
		return p.s.bound(ctx)
	}
	return context.WithDeadline(ctx, p.deadline)
}

func (p pgQ) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	ctx, cancel := p.ctx(ctx)
	defer cancel()
	tag, err := p.q.Exec(ctx, p.s.rebind.of(query), args...)
	return tag.RowsAffected(), err
}

func (p pgQ) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	ctx, cancel := p.ctx(ctx)
	rows, err := p.q.Query(ctx, p.s.rebind.of(query), args...)
	if err != nil {
		cancel()
		return nil, err
	}
	return pgRows{rows, cancel}, nil
}

func (p pgQ) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	ctx, cancel := p.ctx(ctx)
	return pgRow{p.q.QueryRow(ctx, p.s.rebind.of(query), args...), cancel}
}

// pgRows ends the statement's timeout when the rows are closed.
type pgRows struct {
	pgx.Rows
	cancel context.CancelFunc
}

func (r pgRows) Close() {
	r.Rows.Close()
	r.cancel()
}

// pgRow ends the statement's timeout once the row is read.
type pgRow struct {
	pgx.Row
	cancel context.CancelFunc
}

func (r pgRow) Scan(dest ...any) error {
	defer r.cancel()
	return r.Row.Scan(dest...)
}

// rebinder rewrites the ? placeholders of the store's statements to
// PostgreSQL's $1, $2, ..., once per text: the statements are a few hundred
// texts (a list's filters and IN lists vary them).
type rebinder struct {
	m  sync.Map // query text -> rewritten text
	mu sync.Mutex
	n  int // entries in m
}

// maxRebound bounds the cache; a text beyond it is rewritten every time.
const maxRebound = 4096

// of returns query with $n placeholders, leaving quoted text alone.
func (r *rebinder) of(query string) string {
	if v, ok := r.m.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		switch c := query[i]; {
		case c == '\'':
			quoted = !quoted
			b.WriteByte(c)
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	r.mu.Lock()
	if r.n < maxRebound {
		if _, loaded := r.m.LoadOrStore(query, out); !loaded {
			r.n++
		}
	}
	r.mu.Unlock()
	return out
}
