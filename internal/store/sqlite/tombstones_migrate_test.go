package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/openproton/openproton/internal/store/sqlstore"
	"github.com/openproton/openproton/internal/store/storetest"
)

// openMigratedFrom opens a store on a file that was at migration version,
// with fill run on it then: the file of an older version, upgraded.
func openMigratedFrom(t *testing.T, version int, fill []storetest.Statement) *Store {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "openproton.db")
	uri, err := fileURI(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", uri+"?_txlock=immediate&_foreign_keys=1")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate(ctx, db, ms[:version]); err != nil {
		t.Fatal(err)
	}
	for _, st := range fill {
		if _, err := db.ExecContext(ctx, st.SQL, st.Args...); err != nil {
			t.Fatalf("%s: %v", st.SQL, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := openFile(t, path)
	t.Cleanup(func() { s.Close() })
	return s
}

// TestMigrationMovesTombstonesIntoOneTable: a database that kept a table of
// tombstones per family (before migration 7) keeps every tombstone, in the
// one table, and loses the tables it replaces.
func TestMigrationMovesTombstonesIntoOneTable(t *testing.T) {
	s := openMigratedFrom(t, 6, storetest.LegacyTombstones())
	var left int
	if err := s.reader.QueryRowContext(t.Context(), `SELECT count(*) FROM sqlite_master
		WHERE name IN ('connection_tombstones', 'environment_tombstones', 'template_tombstones')`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("tables of tombstones per family left: %d (%v)", left, err)
	}
	storetest.CheckLegacyTombstones(t, s)
}
