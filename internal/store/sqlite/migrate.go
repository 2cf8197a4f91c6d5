package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/openproton/openproton/internal/store/sqlstore"
)

// migrationFiles holds the schema, one numbered file per migration
// (sqlstore.Migration).
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies the migrations that db has not recorded yet, each in its
// own transaction together with its row in schema_migrations, and returns
// how many it applied. db must begin write transactions with BEGIN
// IMMEDIATE: a second process migrating the same file then waits for the
// first and finds the version recorded, instead of applying it twice.
func migrate(ctx context.Context, db *sql.DB, ms []sqlstore.Migration) (int, error) {
	const ddl = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version       INTEGER PRIMARY KEY,
		name          TEXT    NOT NULL,
		applied_at_ms INTEGER NOT NULL
	) STRICT`
	if _, err := db.ExecContext(ctx, ddl); err != nil {
		return 0, fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	var newest int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
		return 0, fmt.Errorf("sqlite: read schema version: %w", err)
	}
	// A newer build has changed the schema in ways this one does not know;
	// writing to it could corrupt data.
	if newest > len(ms) {
		return 0, fmt.Errorf("sqlite: database schema version %d is newer than this build's %d; run a newer openproton", newest, len(ms))
	}
	applied := 0
	for _, m := range ms {
		done, err := applyMigration(ctx, db, m)
		if err != nil {
			return applied, err
		}
		if done {
			applied++
		}
	}
	return applied, nil
}

func applyMigration(ctx context.Context, db *sql.DB, m sqlstore.Migration) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: migration %s: begin: %w", m.Name, err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return false, fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UnixMilli()); err != nil {
		return false, fmt.Errorf("sqlite: migration %s: record: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: migration %s: commit: %w", m.Name, err)
	}
	return true, nil
}
