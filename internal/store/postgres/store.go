package postgres

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/sqlstore"
)

// DefaultQueryTimeout bounds one store call when Options.QueryTimeout is zero.
const DefaultQueryTimeout = 10 * time.Second

// Options tunes a Store beyond what the connection URL says.
type Options struct {
	// Schema, when set, is the PostgreSQL schema that holds openproton's
	// tables: it becomes the connections' search_path and Open creates it if
	// it is missing. Empty keeps the search_path of the URL or the role
	// (usually "public").
	Schema string

	// QueryTimeout bounds each store call, including any wait for a lock;
	// zero means DefaultQueryTimeout. A caller's earlier deadline still wins.
	QueryTimeout time.Duration
}

// Store is the PostgreSQL implementation of store.Store. It is safe for
// concurrent use, and several Stores (in one process or in many replicas)
// may share one database.
type Store struct {
	// Store is the SQL of every contract; this package adds the engine
	// (engine.go).
	*sqlstore.Store
	rebind  rebinder
	pool    *pgxpool.Pool
	schema  string
	timeout time.Duration
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string, with optional pool_* settings), applies any pending
// migrations and returns a ready Store.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse connection string: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns()
	}
	configurePool(cfg, opts)

	timeout := opts.QueryTimeout
	if timeout <= 0 {
		timeout = DefaultQueryTimeout
	}

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: create pool: %w", err)
	}
	s := &Store{pool: pool, schema: opts.Schema, timeout: timeout}
	s.Store = sqlstore.New(engine{s})
	ms, err := loadMigrations()
	if err == nil {
		err = migrate(ctx, pool, opts.Schema, ms)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// defaultMaxConns is the pool size when the URL sets none: the greater of
// 16 and four per CPU. pgx's own default (the greater of 4 and the number
// of CPUs) left requests queueing for a connection while the database sat
// idle between round trips: on 2 CPUs with 64 clients, 16 connections served
// twice the reads and 2.4 times the durable creates of 4, whose commits
// PostgreSQL then flushes together (docs/benchmarks.md).
func defaultMaxConns() int32 {
	return int32(max(16, 4*runtime.GOMAXPROCS(0)))
}

// configurePool fills in what the URL left unset.
func configurePool(cfg *pgxpool.Config, opts Options) {
	params := cfg.ConnConfig.RuntimeParams
	if opts.Schema != "" {
		// A startup parameter costs no round trip and holds for the whole
		// session, so pooled connections cannot drift to another schema.
		params["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	// The conditional updates and the lock protocol of this package rely on
	// READ COMMITTED: each statement sees what committed before it started,
	// and an UPDATE that waited for a row rechecks its WHERE clause against
	// the row's newest version. Under REPEATABLE READ or SERIALIZABLE the
	// same statements would fail with serialization errors instead, so the
	// level is pinned for the session whatever the database's default.
	params["default_transaction_isolation"] = "read committed"
	if params["application_name"] == "" {
		params["application_name"] = "openproton"
	}
	// Replicas started together would otherwise recycle all their
	// connections in the same instant every MaxConnLifetime.
	if cfg.MaxConnLifetimeJitter == 0 && cfg.MaxConnLifetime > 0 {
		cfg.MaxConnLifetimeJitter = cfg.MaxConnLifetime / 10
	}
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close waits for calls in flight and releases every connection; calls
// after the first do nothing.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// bound gives one store call its deadline.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// inTx runs fn in one READ COMMITTED transaction (see configurePool) and
// commits it when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	// After a commit this does nothing; after a cancelled context pgx closes
	// the connection, which ends the transaction on the server.
	defer func() { _ = tx.Rollback(ctx) }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}
