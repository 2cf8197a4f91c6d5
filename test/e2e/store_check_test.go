package e2e

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/store/sqlstore"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// storeTaggable maps every ARN resource type whose resources take tags to
// the statement that lists every stored resource of the type as (account,
// region, key), from the store's family declarations (sqlstore.Families):
// storeOrphanTags fails on tags of a type without one, so a family cannot be
// left out of the check. The statements run on both stores.
func storeTaggable() map[string]string {
	out := map[string]string{}
	for _, f := range sqlstore.Families() {
		for _, r := range f.Resources {
			if r.List != "" {
				out[r.Type] = r.List
			}
		}
	}
	return out
}

// storeDB opens a server's store directly: "sqlite:PATH" or a postgres://
// URL, as given to --store.
func storeDB(t testing.TB, spec string) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if path, ok := strings.CutPrefix(spec, "sqlite:"); ok {
		// query_only: the check must never write to the server's file.
		db, err = sql.Open("sqlite", "file:"+path+"?_busy_timeout=10000&_query_only=1")
	} else {
		// pool_max_conns configures pgx's pool, which database/sql
		// replaces; pgx would send it to the server as a setting.
		u, perr := url.Parse(spec)
		if perr != nil {
			t.Fatalf("store URL: %v", perr)
		}
		q := u.Query()
		q.Del("pool_max_conns")
		// Not the servers' name: relPostgresSettle waits for theirs.
		q.Set("application_name", "openproton-e2e-store-check")
		u.RawQuery = q.Encode()
		db, err = sql.Open("pgx", u.String())
	}
	if err != nil {
		t.Fatalf("open store %s: %v", spec, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// storeOrphanTags returns the tags stored under the ARN of a resource that
// does not exist: a delete and a tag write that interleaved, or a crash
// between two halves of one change, would leave them behind. Through the API
// they cannot be seen (tagging a missing resource is ResourceNotFound), so
// the check reads the store itself.
func storeOrphanTags(t testing.TB, db *sql.DB) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	taggable := storeTaggable()
	exists := map[string]bool{} // type/account/region/key
	for typ, q := range taggable {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("store check, %s: %v", typ, err)
		}
		for rows.Next() {
			var account, region, key string
			if err := rows.Scan(&account, &region, &key); err != nil {
				t.Fatalf("store check, %s: %v", typ, err)
			}
			exists[typ+"/"+account+"/"+region+"/"+key] = true
		}
		if err := rows.Close(); err != nil {
			t.Fatalf("store check, %s: %v", typ, err)
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT resource_arn, count(*) FROM tags GROUP BY resource_arn`)
	if err != nil {
		t.Fatalf("store check, tags: %v", err)
	}
	defer rows.Close()
	var orphans []string
	for rows.Next() {
		var resource string
		var n int
		if err := rows.Scan(&resource, &n); err != nil {
			t.Fatalf("store check, tags: %v", err)
		}
		a, ok := arn.Parse(resource)
		if _, known := taggable[a.Type()]; !ok || !known {
			t.Fatalf("store check: tags of %s, a resource type whose family declares no statement that lists them (sqlstore.Resource.List)", resource)
		}
		if !exists[a.Type()+"/"+a.Account+"/"+a.Region+"/"+a.ID()] {
			orphans = append(orphans, fmt.Sprintf("%s (%d tags)", resource, n))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("store check, tags: %v", err)
	}
	return orphans
}

// storeWaitLeased waits until a worker holds deployment id (its job has a
// lease owner and was leased at least once), read from the store itself:
// the API does not show leases. It fails the test after within.
func storeWaitLeased(t testing.TB, db *sql.DB, id string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var owner string
		var attempts int
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := db.QueryRowContext(ctx, `SELECT lease_owner, attempts FROM jobs WHERE kind = 'DEPLOYMENT' AND id = $1`, id).Scan(&owner, &attempts)
		cancel()
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("read the lease of deployment %s: %v", id, err)
		}
		if owner != "" && attempts > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no worker leased deployment %s within %s", id, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
