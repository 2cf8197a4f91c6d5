package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openproton/openproton/internal/store/sqlstore"
)

// migrationFiles holds the schema, one numbered file per migration
// (sqlstore.Migration).
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// loadMigrations returns the embedded migrations in version order.
func loadMigrations() ([]sqlstore.Migration, error) {
	return sqlstore.LoadMigrations(migrationFiles, "migrations")
}

// migrationLockKey is the pg_advisory_xact_lock key that serialises
// migrations. It is one constant for every schema and database so that all
// openproton versions agree on it; replicas that start together queue on it
// and each finds the work done by the one before. It uses the single bigint
// key space, which never meets the two-integer keys of lockClass*.
const migrationLockKey int64 = 0x6f70656e70726f74 // "openprot"

// migrate applies the pending migrations of ms in one transaction. A failure
// leaves the database as it was, because PostgreSQL DDL is transactional.
// Versions recorded in the database that this binary does not know (written
// by a newer openproton) are left alone, so that older replicas keep serving
// during a rolling upgrade; migrations must therefore only add, with the
// exceptions docs/postgres.md names.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string, ms []sqlstore.Migration) error {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("postgres: migrate: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()

	// Everything below, including creating the schema and the bookkeeping
	// table, runs under the lock, so that two sessions never create the same
	// object at once.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey); err != nil {
		return fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	// Existence is checked first because PostgreSQL checks the CREATE
	// privilege before IF NOT EXISTS: a role that may only read and write
	// data can then open a database that is already up to date.
	if schema != "" {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil {
			return fmt.Errorf("postgres: migrate: look up schema: %w", err)
		}
		if !exists {
			if _, err := tx.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
				return fmt.Errorf("postgres: migrate: create schema %q: %w", schema, err)
			}
		}
	}
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return fmt.Errorf("postgres: migrate: look up schema_migrations: %w", err)
	}
	if !exists {
		if _, err := tx.Exec(ctx, `CREATE TABLE schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("postgres: migrate: create schema_migrations: %w", err)
		}
	}

	rows, err := tx.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrate: read versions: %w", err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return fmt.Errorf("postgres: migrate: read versions: %w", err)
	}
	done := make(map[int]bool, len(applied))
	for _, v := range applied {
		done[int(v)] = true
	}

	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		// Without arguments pgx uses the simple protocol, which accepts a
		// file of several statements.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
			return fmt.Errorf("postgres: record migration %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: commit: %w", err)
	}
	return nil
}
