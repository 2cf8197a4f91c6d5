package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// RegistrationsInFlightSQL fills a database at migration 0004 (before
// registrations moved onto the job queue, when a version row was its own
// job) with environment template "web" and its versions: 1.0 leased by
// "old" until minute 30, after two attempts; 1.1 due since minute 0; 2.0
// handed back for a retry at minute 5, after one attempt; 3.0 registered
// (DRAFT); 4.0 leased by "gone" until minute 30. The SQL is
// the same for SQLite and PostgreSQL.
func RegistrationsInFlightSQL() string {
	version := func(major, minor, id int, status, owner string, due, attempts int) string {
		dueMS := int64(0)
		if due >= 0 {
			dueMS = at(due).UnixMilli()
		}
		return fmt.Sprintf(`INSERT INTO template_versions (account, region, kind, template_name, major, minor, id, status,
			source_bucket, source_key, schema_text, created_at_ms, last_modified_at_ms, lease_owner, due_at_ms, attempts)
			VALUES ('%s', '%s', 'ENVIRONMENT', 'web', %d, %d, '%s', '%s', 'b', 'k', '%s', %d, %d, '%s', %d, %d);
			`, acctE, regionA, major, minor, uid(id), status, "schema of "+uid(id), at(0).UnixMilli(), at(0).UnixMilli(),
			owner, dueMS, attempts)
	}
	return fmt.Sprintf(`INSERT INTO templates (account, region, kind, name, fingerprint, created_at_ms, last_modified_at_ms)
		VALUES ('%s', '%s', 'ENVIRONMENT', 'web', 'fp', %d, %d);
		`, acctE, regionA, at(0).UnixMilli(), at(0).UnixMilli()) +
		version(1, 0, 1, "REGISTRATION_IN_PROGRESS", "old", 30, 2) +
		version(1, 1, 2, "REGISTRATION_IN_PROGRESS", "", 0, 0) +
		version(2, 0, 3, "REGISTRATION_IN_PROGRESS", "", 5, 1) +
		version(3, 0, 4, "DRAFT", "", -1, 1) +
		version(4, 0, 5, "REGISTRATION_IN_PROGRESS", "gone", 30, 1)
}

// CheckRegistrationsInFlight checks a store migrated from the database of
// RegistrationsInFlightSQL: every registration in flight is a job of the
// queue that keeps its lease, its due time and its attempts, in the order of
// its major's minors, and workers finish them; the registered version has
// none.
func CheckRegistrationsInFlight(t *testing.T, s store.Store) {
	x := &tsuite{t: t, s: s, ctx: t.Context()}
	k := envKey("web")
	v := func(major, minor int64) store.TemplateVersion { return x.getVersion(vkey(k, major, minor)) }
	finish := func(v store.TemplateVersion, owner string) {
		t.Helper()
		if err := s.FinishRegistration(x.ctx, store.FinishParams{ID: v.ID, Owner: owner, Status: store.VersionDraft, Now: at(40)}); err != nil {
			t.Fatalf("FinishRegistration of %d.%d by %s: %v", v.Major, v.Minor, owner, err)
		}
	}
	// 2.1, created now, waits for 2.0 like a minor created before the
	// upgrade: the two share a serial key.
	v21 := x.addVersion(k, ptr64(2), 2, 1)
	x.wantNoLease("new", at(5).Add(-time.Millisecond))
	j20 := x.wantLease("new", at(5), v(2, 0), 2)
	if j20.Seq != 0 || !sameInstant(j20.DueAt, at(5)) {
		t.Fatalf("the job of 2.0: %+v", j20)
	}
	// "old" still holds 1.0; once it finishes, 1.1 may go.
	x.wantNoLease("new", at(5))
	finish(v(1, 0), "old")
	x.wantLease("new", at(5), v(1, 1), 1)
	finish(v(1, 1), "new")
	finish(v(2, 0), "new")
	j21 := x.wantLease("new", at(5), v21, 1)
	if j21.SerialKey != j20.SerialKey || j21.Seq != 1 {
		t.Fatalf("the job of 2.1 (%q, %d) is not the next of 2.0's (%q)", j21.SerialKey, j21.Seq, j20.SerialKey)
	}
	finish(v21, "new")
	x.wantNoLease("new", at(30).Add(-time.Millisecond))
	x.wantLease("new", at(30), v(4, 0), 2)
	finish(v(4, 0), "new")
	x.wantNoLease("new", at(100_000))
	if got := v(3, 0); got.Status != store.VersionDraft || got.Schema != "schema of "+uid(4) {
		t.Fatalf("the registered version after the upgrade: %+v", got)
	}
}
