package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/openproton/openproton/internal/store/sqlstore"
	"github.com/openproton/openproton/internal/store/storetest"
)

func TestOpenAppliesMigrationsOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "openproton.db")
	first := openFile(t, path)
	type row struct {
		version   int
		name      string
		appliedAt int64
	}
	read := func(s *Store) []row {
		t.Helper()
		rows, err := s.reader.QueryContext(t.Context(), `SELECT version, name, applied_at_ms FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatalf("read schema_migrations: %v", err)
		}
		defer rows.Close()
		var out []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.version, &r.name, &r.appliedAt); err != nil {
				t.Fatalf("scan schema_migrations: %v", err)
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("read schema_migrations: %v", err)
		}
		return out
	}
	before := read(first)
	ms, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != len(ms) {
		t.Fatalf("schema_migrations has %d rows, want %d", len(before), len(ms))
	}

	// A second store on the same file while the first is open, then a third
	// after both closed: neither applies anything.
	second := openFile(t, path)
	if n, err := migrate(t.Context(), second.writer, ms); err != nil || n != 0 {
		t.Fatalf("migrate on a migrated file: applied %d, err %v; want 0, nil", n, err)
	}
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third := openFile(t, path)
	defer third.Close()
	after := read(third)
	if len(after) != len(before) {
		t.Fatalf("schema_migrations: %v after reopening, %v before", after, before)
	}
	for i := range before {
		if after[i] != before[i] {
			t.Fatalf("schema_migrations: %v after reopening, %v before", after, before)
		}
	}
}

func TestMigrateAppliesOnlyNewVersions(t *testing.T) {
	s, err := OpenMemory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fsys := fstest.MapFS{
		"m/0001_a.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)},
	}
	// A separate schema, so that the store's own migrations do not count.
	if _, err := s.writer.ExecContext(t.Context(), `DROP TABLE schema_migrations`); err != nil {
		t.Fatal(err)
	}
	apply := func(want int) {
		t.Helper()
		ms, err := sqlstore.LoadMigrations(fsys, "m")
		if err != nil {
			t.Fatal(err)
		}
		if n, err := migrate(t.Context(), s.writer, ms); err != nil || n != want {
			t.Fatalf("migrate: applied %d, err %v; want %d, nil", n, err, want)
		}
	}
	apply(1)
	apply(0)
	// Several statements in one file, all in one transaction.
	fsys["m/0002_b.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE b (x INTEGER);\nINSERT INTO b VALUES (1);\nINSERT INTO b VALUES (2);")}
	apply(1)
	var n int
	if err := s.reader.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM b`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("table b: %d rows, err %v; want 2", n, err)
	}
	// A failing migration leaves nothing behind.
	fsys["m/0003_c.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE c (x INTEGER);\nINSERT INTO missing VALUES (1);")}
	ms, err := sqlstore.LoadMigrations(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate(t.Context(), s.writer, ms); err == nil {
		t.Fatal("migrate with a failing migration succeeded")
	}
	if err := s.reader.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM c`).Scan(&n); err == nil {
		t.Fatal("table c of the failed migration exists")
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	s, err := OpenMemory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.writer.ExecContext(t.Context(), `INSERT INTO schema_migrations VALUES (999, '0999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	ms, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate(t.Context(), s.writer, ms); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("migrate on a newer schema: err %v, want a refusal", err)
	}
}

func TestLoadMigrationsRejectsGaps(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"gap":        {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"unnumbered": {"m/a.sql": {}},
		"duplicate":  {"m/0001_a.sql": {}, "m/0001_b.sql": {}},
	} {
		if _, err := sqlstore.LoadMigrations(fsys, "m"); err == nil {
			t.Errorf("%s: loadMigrations succeeded", name)
		}
	}
}

// TestMigrationMovesRegistrationsIntoJobs upgrades a file at migration 0004
// that holds registrations in flight: they become jobs of the queue, and the
// version columns that the queue replaces are gone.
func TestMigrationMovesRegistrationsIntoJobs(t *testing.T) {
	s := openMigratedFrom(t, 4, []storetest.Statement{{SQL: storetest.RegistrationsInFlightSQL()}})
	var n int
	if err := s.reader.QueryRowContext(t.Context(), `SELECT count(*) FROM pragma_table_info('template_versions')
		WHERE name IN ('lease_owner', 'due_at_ms', 'attempts')`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("template_versions keeps %d of the columns the job queue replaces (err %v)", n, err)
	}
	storetest.CheckRegistrationsInFlight(t, s)
}

// TestMigrationMovesDeploymentsInFlightIntoJobs: a database whose deployments
// kept their queue in their own rows (before migration 6) keeps its work in
// flight, as jobs, and loses the columns and the index the jobs replace.
func TestMigrationMovesDeploymentsInFlightIntoJobs(t *testing.T) {
	ctx := t.Context()
	s := openMigratedFrom(t, 5, storetest.LegacyDeployments())
	var left int
	if err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('deployments')
		WHERE name IN ('queued', 'lease_owner', 'lease_expires_at_ms', 'attempts')`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("queue columns left in deployments: %d (%v)", left, err)
	}
	if err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'deployments_queue'`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("the queue index is left: %d (%v)", left, err)
	}
	storetest.CheckLegacyDeployments(t, s)
}
