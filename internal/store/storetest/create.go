package storetest

import (
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

func testCreate(t *testing.T, h Harness) {
	run(t, h, "RoundTripsEveryField", func(x *suite) {
		// A zone other than UTC and sub-millisecond digits: what comes back is
		// the same instant, cut to the millisecond.
		zone := time.FixedZone("UTC+2", 2*60*60)
		c := store.Connection{
			ID:                   uid(7),
			Region:               regionA,
			EnvironmentAccountID: acctE,
			ManagementAccountID:  acctM,
			EnvironmentName:      "prod-east",
			RoleArn:              "arn:aws:iam::" + acctE + ":role/environment",
			CodebuildRoleArn:     "arn:aws:iam::" + acctE + ":role/codebuild",
			ComponentRoleArn:     "arn:aws:iam::" + acctE + ":role/component",
			Status:               store.StatusPending,
			RequestedAt:          time.Date(2024, 3, 1, 11, 30, 0, 123456789, zone),
			LastModifiedAt:       time.Date(2024, 3, 1, 11, 31, 5, 987654321, zone),
		}
		x.mustCreate(x.params(c))
		x.checkConn("GetConnection", x.get(regionA, c.ID), c)
	})

	run(t, h, "EmptyRolesStayEmpty", func(x *suite) {
		c := x.add(func(c *store.Connection) {
			c.RoleArn = ""
			c.CodebuildRoleArn = "arn:aws:iam::" + acctE + ":role/codebuild"
		})
		got := x.get(regionA, c.ID)
		x.checkConn("GetConnection", got, c)
		if got.RoleArn != "" || got.ComponentRoleArn != "" {
			x.t.Fatalf("GetConnection: absent roles came back as %q, %q", got.RoleArn, got.ComponentRoleArn)
		}
	})

	run(t, h, "StoresTagsOrderedByKey", func(x *suite) {
		p := x.params(x.newConn())
		p.Tags = []store.Tag{{Key: "team", Value: "platform"}, {Key: "cost-center", Value: "42"}, {Key: "Env", Value: ""}}
		x.mustCreate(p)
		x.wantTags(p.ARN, store.Tag{Key: "Env", Value: ""}, store.Tag{Key: "cost-center", Value: "42"}, store.Tag{Key: "team", Value: "platform"})
	})

	run(t, h, "NoTagsIsEmpty", func(x *suite) {
		c := x.add()
		x.wantTags(arnOf(c))
	})

	run(t, h, "GetUnknownIsNotFound", func(x *suite) {
		x.wantGone(regionA, uid(999))
	})

	run(t, h, "RegionIsolation", func(x *suite) {
		a := x.add()
		x.wantGone(regionB, a.ID)
		// Connections are keyed by (region, id): the same id in another
		// region is another connection.
		b := x.add(func(c *store.Connection) {
			c.ID = a.ID
			c.Region = regionB
			c.EnvironmentName = "other"
		})
		x.mustTransition(a.ID, store.StatusConnected, at(50))
		x.checkConn("GetConnection(regionB)", x.get(regionB, b.ID), b)
		if got := x.get(regionA, a.ID); got.Status != store.StatusConnected {
			x.t.Fatalf("GetConnection(regionA): status %s, want CONNECTED", got.Status)
		}
	})

	run(t, h, "WithoutTokenEveryCallCreates", func(x *suite) {
		a := x.add()
		b := x.add(func(c *store.Connection) { c.RequestedAt, c.LastModifiedAt = a.RequestedAt, a.LastModifiedAt })
		wantIDs(x.t, "ListConnections", x.listAll(regionA, acctE, store.AsEnvironmentAccount), a.ID, b.ID)
	})
}
