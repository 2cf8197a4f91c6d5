package storetest

import (
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// addAt creates a connection of acctE with the given id, requested at when.
func (x *suite) addAt(n int, when time.Time) store.Connection {
	x.t.Helper()
	return x.add(func(c *store.Connection) {
		c.ID = uid(n)
		c.RequestedAt, c.LastModifiedAt = when, when
	})
}

func testList(t *testing.T, h Harness) {
	run(t, h, "EmptyIsEmpty", func(x *suite) {
		if cs := x.listAll(regionA, acctE, store.AsEnvironmentAccount); len(cs) != 0 {
			x.t.Fatalf("ListConnections on an empty store = %v", ids(cs))
		}
	})

	run(t, h, "ByRole", func(x *suite) {
		party := func(e, m, region string) func(*store.Connection) {
			return func(c *store.Connection) { c.EnvironmentAccountID, c.ManagementAccountID, c.Region = e, m, region }
		}
		c1 := x.add(party(acctE, acctM, regionA))
		c2 := x.add(party(acctM, acctE, regionA))
		c3 := x.add(party(acctX, acctM, regionA))
		c4 := x.add(party(acctE, acctX, regionA))
		c5 := x.add(party(acctE, acctM, regionB))
		cases := []struct {
			region, account string
			role            store.ConnectionRole
			want            []string
		}{
			{regionA, acctE, store.AsEnvironmentAccount, []string{c1.ID, c4.ID}},
			{regionA, acctE, store.AsManagementAccount, []string{c2.ID}},
			{regionA, acctM, store.AsEnvironmentAccount, []string{c2.ID}},
			{regionA, acctM, store.AsManagementAccount, []string{c1.ID, c3.ID}},
			{regionA, acctX, store.AsEnvironmentAccount, []string{c3.ID}},
			{regionA, acctX, store.AsManagementAccount, []string{c4.ID}},
			{regionB, acctE, store.AsEnvironmentAccount, []string{c5.ID}},
			{regionB, acctM, store.AsManagementAccount, []string{c5.ID}},
			{regionB, acctX, store.AsManagementAccount, nil},
		}
		for _, tc := range cases {
			got := x.listAll(tc.region, tc.account, tc.role)
			wantIDs(x.t, "ListConnections("+tc.region+", "+tc.account+", role "+roleName(tc.role)+")", got, tc.want...)
		}
		// Rows come back whole.
		x.checkConn("ListConnections row", x.listAll(regionA, acctM, store.AsManagementAccount)[0], c1)
	})

	run(t, h, "Filters", func(x *suite) {
		named := func(name string) func(*store.Connection) {
			return func(c *store.Connection) { c.EnvironmentName = name }
		}
		a := x.add(named("web"))
		b := x.add(named("web"))
		c := x.add(named("db"))
		d := x.add(named("web"))
		x.mustTransition(b.ID, store.StatusConnected, at(100))
		x.mustTransition(c.ID, store.StatusConnected, at(100))
		x.mustTransition(d.ID, store.StatusRejected, at(100))
		q := func(name string, st ...store.ConnectionStatus) store.ListConnectionsQuery {
			return store.ListConnectionsQuery{Region: regionA, Account: acctE, Role: store.AsEnvironmentAccount,
				EnvironmentName: name, Statuses: st, Limit: bigQuota}
		}
		wantIDs(x.t, "name web", x.list(q("web")), a.ID, b.ID, d.ID)
		wantIDs(x.t, "name db", x.list(q("db")), c.ID)
		wantIDs(x.t, "name absent", x.list(q("cache")))
		wantIDs(x.t, "CONNECTED", x.list(q("", store.StatusConnected)), b.ID, c.ID)
		wantIDs(x.t, "PENDING or REJECTED", x.list(q("", store.StatusRejected, store.StatusPending)), a.ID, d.ID)
		wantIDs(x.t, "any status", x.list(q("")), a.ID, b.ID, c.ID, d.ID)
		wantIDs(x.t, "web and CONNECTED or REJECTED", x.list(q("web", store.StatusConnected, store.StatusRejected)), b.ID, d.ID)
		m := q("web", store.StatusPending)
		m.Account, m.Role = acctM, store.AsManagementAccount
		wantIDs(x.t, "as management account, web and PENDING", x.list(m), a.ID)
	})

	run(t, h, "OrderByRequestedAtThenID", func(x *suite) {
		// Created in scrambled order; several share one requestedAt, and one
		// is a single millisecond later than them.
		x.addAt(0x30, at(5))
		x.addAt(0x10, at(5))
		x.addAt(0x01, at(5).Add(time.Millisecond))
		x.addAt(0x20, at(5))
		x.addAt(0x05, at(9))
		x.addAt(0x50, at(1))
		x.addAt(0x40, at(5))
		wantIDs(x.t, "ListConnections", x.listAll(regionA, acctE, store.AsEnvironmentAccount),
			uid(0x50), uid(0x10), uid(0x20), uid(0x30), uid(0x40), uid(0x01), uid(0x05))
	})

	run(t, h, "Limit", func(x *suite) {
		a, b := x.add(), x.add()
		x.add()
		q := store.ListConnectionsQuery{Region: regionA, Account: acctE, Role: store.AsEnvironmentAccount, Limit: 2}
		wantIDs(x.t, "Limit 2", x.list(q), a.ID, b.ID)
		q.Limit = 1
		wantIDs(x.t, "Limit 1", x.list(q), a.ID)
	})

	run(t, h, "CursorPagingWithInserts", func(x *suite) {
		x.addAt(0x30, at(5))
		x.addAt(0x10, at(5))
		x.addAt(0x01, at(5).Add(time.Millisecond))
		x.addAt(0x20, at(5))
		x.addAt(0x05, at(9))
		x.addAt(0x50, at(1))
		x.addAt(0x40, at(5))

		q := store.ListConnectionsQuery{Region: regionA, Account: acctE, Role: store.AsEnvironmentAccount, Limit: 2}
		var got []store.Connection
		page := func() []store.Connection {
			p := x.list(q)
			if len(p) > q.Limit {
				x.t.Fatalf("page of %d rows with Limit %d", len(p), q.Limit)
			}
			if len(p) > 0 {
				last := p[len(p)-1]
				q.After = &store.Cursor{RequestedAt: last.RequestedAt, ID: last.ID}
			}
			got = append(got, p...)
			return p
		}
		wantIDs(x.t, "page 1", page(), uid(0x50), uid(0x10))
		// Rows inserted before the cursor are not returned later; rows after
		// it are, in order.
		x.addAt(0x60, at(0))
		x.addAt(0x08, at(5))
		x.addAt(0x15, at(5))
		x.addAt(0x70, at(20))
		wantIDs(x.t, "page 2", page(), uid(0x15), uid(0x20))
		wantIDs(x.t, "page 3", page(), uid(0x30), uid(0x40))
		x.addAt(0x25, at(5))
		x.addAt(0x02, at(5).Add(time.Millisecond))
		wantIDs(x.t, "page 4", page(), uid(0x01), uid(0x02))
		wantIDs(x.t, "page 5", page(), uid(0x05), uid(0x70))
		wantIDs(x.t, "page 6", page())
		seen := map[string]bool{}
		for _, c := range got {
			if seen[c.ID] {
				x.t.Fatalf("%s returned twice: %v", c.ID, ids(got))
			}
			seen[c.ID] = true
		}
	})

	run(t, h, "CursorIsStrict", func(x *suite) {
		a := x.addAt(0x10, at(5))
		b := x.addAt(0x20, at(5))
		c := x.addAt(0x05, at(6))
		q := store.ListConnectionsQuery{Region: regionA, Account: acctE, Role: store.AsEnvironmentAccount, Limit: bigQuota,
			After: &store.Cursor{RequestedAt: a.RequestedAt, ID: a.ID}}
		wantIDs(x.t, "after first", x.list(q), b.ID, c.ID)
		q.After = &store.Cursor{RequestedAt: c.RequestedAt, ID: c.ID}
		wantIDs(x.t, "after last", x.list(q))
		// A cursor need not name an existing row.
		q.After = &store.Cursor{RequestedAt: at(5), ID: uid(0x15)}
		wantIDs(x.t, "after a gap", x.list(q), b.ID, c.ID)
	})
}

func roleName(r store.ConnectionRole) string {
	if r == store.AsManagementAccount {
		return "management"
	}
	return "environment"
}
