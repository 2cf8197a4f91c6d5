package postgres

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openproton/openproton/internal/store/storetest"
)

func TestMigrationsAreNumberedAndEmbedded(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no migrations embedded")
	}
	for i, m := range ms {
		if m.Version != i+1 {
			t.Fatalf("migration %s has version %d at position %d: versions must run 1, 2, 3, ...", m.Name, m.Version, i)
		}
	}
}

// TestConcurrentOpensMigrateOnce starts several replicas at once on a schema
// that does not exist yet: all must come up, and each migration must be
// recorded once.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	d := newTestDB(t)
	schema := d.newSchema(t)
	const n = 6
	stores := make([]*Store, n)
	errs := make([]error, n)
	race(n, func(i int) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		stores[i], errs[i] = Open(ctx, d.url, Options{Schema: schema})
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}

	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	checkApplied := func() {
		t.Helper()
		rows, err := d.admin.Query(t.Context(),
			"SELECT version, count(*) FROM "+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+" GROUP BY version ORDER BY version")
		if err != nil {
			t.Fatal(err)
		}
		type applied struct{ Version, Count int64 }
		got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[applied])
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(ms) {
			t.Fatalf("schema_migrations holds %v, want each of %d migrations once", got, len(ms))
		}
		for i, a := range got {
			if a.Version != int64(ms[i].Version) || a.Count != 1 {
				t.Fatalf("schema_migrations holds %v, want each of %d migrations once", got, len(ms))
			}
		}
	}
	checkApplied()

	// All replicas serve the same data.
	c := conn(1)
	if _, _, err := stores[0].CreateConnection(t.Context(), createParams(c, 5)); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[n-1].GetConnection(t.Context(), c.Region, c.ID); err != nil {
		t.Fatalf("another replica: %v", err)
	}

	// Opening again applies nothing.
	d.open(t, schema)
	checkApplied()
}

// TestOpenWithDataOnlyRole checks the documented permissions: once the
// schema is migrated, a role that may only use the schema and read and
// write its tables can open it and serve. The role also defaults to
// SERIALIZABLE, which the store must override.
func TestOpenWithDataOnlyRole(t *testing.T) {
	d := newTestDB(t)
	schema := d.newSchema(t)
	d.open(t, schema)

	ctx := t.Context()
	role := schema + "_dml"
	q := pgx.Identifier{role}.Sanitize()
	s := pgx.Identifier{schema}.Sanitize()
	for _, stmt := range []string{
		"CREATE ROLE " + q + " LOGIN",
		"ALTER ROLE " + q + " SET default_transaction_isolation = 'serializable'",
		"GRANT USAGE ON SCHEMA " + s + " TO " + q,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + s + " TO " + q,
	} {
		if _, err := d.admin.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	// Registered after the schema's drop, so it runs before it and the
	// role's grants are gone by the time the role is dropped.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, stmt := range []string{"DROP OWNED BY " + q, "DROP ROLE " + q} {
			if _, err := d.admin.Exec(ctx, stmt); err != nil {
				t.Errorf("%s: %v", stmt, err)
			}
		}
	})

	u, err := url.Parse(d.url)
	if err != nil {
		t.Skipf("the test URL is not a URL (%v); the role cannot be swapped in", err)
	}
	u.User = url.User(role)
	ds := d.openWith(t, u.String(), Options{Schema: schema})
	c := conn(1)
	if _, _, err := ds.CreateConnection(ctx, createParams(c, 5)); err != nil {
		t.Fatalf("CreateConnection as a data-only role: %v", err)
	}
	var level string
	if err := ds.pool.QueryRow(ctx, "SHOW transaction_isolation").Scan(&level); err != nil {
		t.Fatal(err)
	}
	if level != "read committed" {
		t.Fatalf("statements run at %q, want read committed", level)
	}
}

// TestMigrationMovesRegistrationsIntoJobs upgrades a schema at migration
// 0004 that holds registrations in flight: they become jobs of the queue,
// and the version columns that the queue replaces are gone.
func TestMigrationMovesRegistrationsIntoJobs(t *testing.T) {
	d := newTestDB(t)
	ctx := t.Context()
	s := openMigratedFrom(t, d, 4, []storetest.Statement{{SQL: storetest.RegistrationsInFlightSQL()}})
	schema := s.schema
	var n int
	if err := d.admin.QueryRow(ctx, `SELECT count(*) FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = 'template_versions' AND column_name IN ('lease_owner', 'due_at_ms', 'attempts')`,
		schema).Scan(&n); err != nil || n != 0 {
		t.Fatalf("template_versions keeps %d of the columns the job queue replaces (err %v)", n, err)
	}
	storetest.CheckRegistrationsInFlight(t, s)
}

// TestMigrationMovesDeploymentsInFlightIntoJobs: a database whose deployments
// kept their queue in their own rows (before migration 6) keeps its work in
// flight, as jobs, and loses the columns and the index the jobs replace.
func TestMigrationMovesDeploymentsInFlightIntoJobs(t *testing.T) {
	d := newTestDB(t)
	ctx := t.Context()
	s := openMigratedFrom(t, d, 5, storetest.LegacyDeployments())
	schema := s.schema
	var left int
	if err := d.admin.QueryRow(ctx, `SELECT count(*) FROM information_schema.columns WHERE table_schema = $1
		AND table_name = 'deployments' AND column_name IN ('queued', 'lease_owner', 'lease_expires_at_ms', 'attempts')`,
		schema).Scan(&left); err != nil || left != 0 {
		t.Fatalf("queue columns left in deployments: %d (%v)", left, err)
	}
	if err := d.admin.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND indexname = 'deployments_queue'`,
		schema).Scan(&left); err != nil || left != 0 {
		t.Fatalf("the queue index is left: %d (%v)", left, err)
	}
	storetest.CheckLegacyDeployments(t, s)
}
