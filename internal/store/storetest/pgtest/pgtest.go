// Package pgtest gives tests the PostgreSQL server they need: the store's
// own tests and the end-to-end replica tests find it, and clean up after
// themselves, the same way.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// EnvURL names the variable that points the tests at a PostgreSQL server
// other than the default local one.
const EnvURL = "OPENPROTON_TEST_POSTGRES_URL"

// DefaultURL is a local server with trust authentication and a database
// named test.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Connect returns a pool for administering the test server and the URL that
// stores under test should use: EnvURL or DefaultURL, with a small pool
// (pool_max_conns=4) unless the URL sets one, since tests open many stores
// at once. An unreachable server fails the test: a skipped database test
// would pass CI without testing anything.
func Connect(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		base = DefaultURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgxpool.New(ctx, base)
	if err == nil {
		err = admin.Ping(ctx)
	}
	if err != nil {
		t.Fatalf("PostgreSQL is not reachable at %q: %v\n"+
			"These tests need a running PostgreSQL (13 or later) with a database named test:\n"+
			"  pg_ctlcluster 15 main start            (Debian/Ubuntu package)\n"+
			"  docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres:15\n"+
			"or set %s to the URL of another server.", base, err, EnvURL)
	}
	t.Cleanup(admin.Close)
	if u, err := url.Parse(base); err == nil && u.Scheme != "" {
		q := u.Query()
		if q.Get("pool_max_conns") == "" {
			q.Set("pool_max_conns", "4")
			u.RawQuery = q.Encode()
		}
		base = u.String()
	}
	return admin, base
}

// Schema names a schema that no one uses yet, prefix_<random>, and drops it
// (CASCADE) when t ends. It does not create it: the store does on Open.
// Cleanups run last-in first-out, so the drop registered here runs after
// the stores and servers started later on the schema have stopped.
func Schema(t testing.TB, admin *pgxpool.Pool, prefix string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := prefix + "_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// SchemaURL is a store URL for a server under test: the test server's URL
// with search_path set to a fresh schema (see Schema), which the server
// creates on start and the test drops when it ends. pgx sends search_path
// as a session parameter on every connection it opens, so every pooled
// connection of every server on the URL works in that schema.
func SchemaURL(t testing.TB, prefix string) string {
	t.Helper()
	admin, base := Connect(t)
	schema := Schema(t, admin, prefix)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
