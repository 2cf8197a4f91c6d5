package postgres

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openproton/openproton/internal/store/storetest"
)

// openMigratedFrom opens a store on a fresh schema that was at migration
// version, with fill run on it then: the schema of an older version,
// upgraded.
func openMigratedFrom(t *testing.T, d *testDB, version int, fill []storetest.Statement) *Store {
	t.Helper()
	schema := d.newSchema(t)
	ctx := t.Context()
	cfg, err := pgxpool.ParseConfig(d.url)
	if err != nil {
		t.Fatal(err)
	}
	configurePool(cfg, Options{Schema: schema})
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, pool, schema, ms[:version]); err != nil {
		t.Fatal(err)
	}
	var r rebinder
	for _, st := range fill {
		if _, err := pool.Exec(ctx, r.of(st.SQL), st.Args...); err != nil {
			t.Fatalf("%s: %v", st.SQL, err)
		}
	}
	pool.Close()
	return d.open(t, schema)
}

// TestMigrationMovesTombstonesIntoOneTable: a database that kept a table of
// tombstones per family (before migration 7) keeps every tombstone, in the
// one table, and loses the tables it replaces.
func TestMigrationMovesTombstonesIntoOneTable(t *testing.T) {
	d := newTestDB(t)
	s := openMigratedFrom(t, d, 6, storetest.LegacyTombstones())
	var left int
	if err := d.admin.QueryRow(t.Context(), `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1
		AND table_name IN ('connection_tombstones', 'environment_tombstones', 'template_tombstones')`, s.schema).Scan(&left); err != nil || left != 0 {
		t.Fatalf("tables of tombstones per family left: %d (%v)", left, err)
	}
	storetest.CheckLegacyTombstones(t, s)
}
