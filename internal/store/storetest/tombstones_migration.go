package storetest

import (
	"errors"
	"testing"

	"github.com/openproton/openproton/internal/store"
)

// LegacyTombstones returns the statements that fill a database at migration
// 6, which kept one table of tombstones per family, with a tombstone of
// every kind: a connection of acctE towards acctM, an environment of acctM,
// and environment and service templates of acctE and a version of each.
func LegacyTombstones() []Statement {
	tpl := func(kind, name, version string, m int) Statement {
		return Statement{`INSERT INTO template_tombstones (account, region, kind, name, version, deleted_at_ms)
			VALUES (?, ?, ?, ?, ?, ?)`, []any{acctE, regionA, kind, name, version, ms(at(m))}}
	}
	return []Statement{
		{`INSERT INTO connection_tombstones (region, id, environment_account_id, management_account_id, deleted_at_ms)
			VALUES (?, ?, ?, ?, ?)`, []any{regionA, uid(1), acctE, acctM, ms(at(1))}},
		{`INSERT INTO environment_tombstones (account, region, name, deleted_at_ms) VALUES (?, ?, ?, ?)`,
			[]any{acctM, regionA, "dev", ms(at(2))}},
		tpl("ENVIRONMENT", "web", "", 3), tpl("ENVIRONMENT", "web", "1.0", 4),
		tpl("SERVICE", "api", "", 5), tpl("SERVICE", "api", "2.1", 6),
	}
}

// CheckLegacyTombstones checks, through s, the database of LegacyTombstones
// after the migration to one table of tombstones: each reads as it was
// kept, under its ARN's type and key, the connection's for both parties;
// nothing else reads as deleted; and the purge removes them by their time.
func CheckLegacyTombstones(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	conn := "environment-account-connection"
	kept := []struct {
		r     store.Resource
		owner string
		m     int
	}{
		{store.Resource{Type: conn, Account: acctE, Region: regionA, Key: uid(1)}, acctE, 1},
		{store.Resource{Type: conn, Account: acctM, Region: regionA, Key: uid(1)}, acctE, 1},
		{store.Resource{Type: "environment", Account: acctM, Region: regionA, Key: "dev"}, acctM, 2},
		{store.Resource{Type: "environment-template", Account: acctE, Region: regionA, Key: "web"}, acctE, 3},
		{store.Resource{Type: "environment-template", Account: acctE, Region: regionA, Key: "web:1.0"}, acctE, 4},
		{store.Resource{Type: "service-template", Account: acctE, Region: regionA, Key: "api"}, acctE, 5},
		{store.Resource{Type: "service-template", Account: acctE, Region: regionA, Key: "api:2.1"}, acctE, 6},
	}
	for _, k := range kept {
		if ts, err := s.Tombstone(ctx, k.r); err != nil || ts.Owner != k.owner || !ts.DeletedAt.Equal(at(k.m)) {
			t.Fatalf("tombstone of %+v after the migration: %+v, %v; want one of %s deleted at %v", k.r, ts, err, k.owner, at(k.m))
		}
	}
	for _, r := range []store.Resource{
		{Type: conn, Account: acctStranger, Region: regionA, Key: uid(1)},
		{Type: conn, Account: acctE, Region: regionB, Key: uid(1)},
		{Type: "environment", Account: acctE, Region: regionA, Key: "dev"},
		{Type: "service-template", Account: acctE, Region: regionA, Key: "web"},
		{Type: "environment-template", Account: acctE, Region: regionA, Key: "web:1"},
	} {
		if ts, err := s.Tombstone(ctx, r); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("tombstone of %+v after the migration: %+v, %v; want none", r, ts, err)
		}
	}
	if err := s.Purge(ctx, at(0), at(6)); err != nil {
		t.Fatal(err)
	}
	for _, k := range kept {
		_, err := s.Tombstone(ctx, k.r)
		if gone := errors.Is(err, store.ErrNotFound); gone != (k.m < 6) || (!gone && err != nil) {
			t.Fatalf("tombstone of %+v deleted at %v after a purge of those before %v: %v", k.r, at(k.m), at(6), err)
		}
	}
}
