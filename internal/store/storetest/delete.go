package storetest

import (
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// tombstone reads the tombstone that connection id of region left for
// account.
func (x *suite) tombstone(account, region, id string) (store.Tombstone, error) {
	return x.s.Tombstone(x.ctx, store.Resource{Type: "environment-account-connection", Account: account, Region: region, Key: id})
}

// wantTombstone checks that c's delete at deletedAt left a tombstone for
// both its parties, naming its environment account as the owner, and for
// no one else.
func (x *suite) wantTombstone(c store.Connection, deletedAt time.Time) {
	x.t.Helper()
	for _, account := range []string{c.EnvironmentAccountID, c.ManagementAccountID} {
		ts, err := x.tombstone(account, c.Region, c.ID)
		if err != nil || ts.Owner != c.EnvironmentAccountID || !ts.DeletedAt.Equal(deletedAt.Truncate(time.Millisecond)) {
			x.t.Fatalf("tombstone of connection %s for %s = %+v, %v; want one of owner %s deleted at %s",
				c.ID, account, ts, err, c.EnvironmentAccountID, deletedAt)
		}
	}
	_, err := x.tombstone(acctStranger, c.Region, c.ID)
	wantErr(x.t, "tombstone for an account that is no party", err, store.ErrNotFound)
}

// wantNoTombstone checks that connection id of region left no tombstone
// for either party.
func (x *suite) wantNoTombstone(what, region, id string) {
	x.t.Helper()
	for _, account := range []string{acctE, acctM} {
		_, err := x.tombstone(account, region, id)
		wantErr(x.t, what, err, store.ErrNotFound)
	}
}

func testDelete(t *testing.T, h Harness) {
	run(t, h, "ReturnsConnectionAsItWas", func(x *suite) {
		c := x.add()
		connected := x.mustTransition(c.ID, store.StatusConnected, at(100))
		got := x.mustDelete(c, at(101))
		x.checkConn("DeleteConnection", got, connected)
		x.wantGone(regionA, c.ID)
	})

	run(t, h, "RemovesItsTagsOnly", func(x *suite) {
		p := x.params(x.newConn())
		p.Tags = []store.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}
		c := x.mustCreate(p)
		q := x.params(x.newConn())
		q.Tags = []store.Tag{{Key: "a", Value: "other"}}
		keep := x.mustCreate(q)
		x.mustDelete(c, at(100))
		x.wantTags(p.ARN)
		x.wantTags(arnOf(keep), store.Tag{Key: "a", Value: "other"})
	})

	run(t, h, "WritesTombstone", func(x *suite) {
		c := x.add()
		x.wantNoTombstone("tombstone before delete", regionA, c.ID)
		deletedAt := at(100).Add(123456789 * time.Nanosecond)
		x.mustDelete(c, deletedAt)
		x.wantTombstone(c, deletedAt)
		x.wantNoTombstone("tombstone in another region", regionB, c.ID)
	})

	run(t, h, "InAnyStatus", func(x *suite) {
		pending := x.add()
		x.mustDelete(pending, at(100))
		rejected := x.add()
		x.mustTransition(rejected.ID, store.StatusRejected, at(100))
		x.mustDelete(rejected, at(101))
		x.wantGone(regionA, pending.ID)
		x.wantGone(regionA, rejected.ID)
	})

	run(t, h, "WhileEnvironmentUsesIt", func(x *suite) {
		c := x.add()
		x.mustTransition(c.ID, store.StatusConnected, at(100))
		x.link("web-prod", c)
		x.mustDelete(c, at(101))
		x.wantGone(regionA, c.ID)
	})

	run(t, h, "SecondDeleteIsNotFound", func(x *suite) {
		c := x.add()
		x.mustDelete(c, at(100))
		_, err := x.s.DeleteConnection(x.ctx, regionA, c.ID, arnOf(c), at(101))
		wantErr(x.t, "second DeleteConnection", err, store.ErrNotFound)
		x.wantTombstone(c, at(100))
	})

	run(t, h, "UnknownOrOtherRegionIsNotFound", func(x *suite) {
		p := x.params(x.newConn())
		p.Tags = []store.Tag{{Key: "a", Value: "1"}}
		c := x.mustCreate(p)
		_, err := x.s.DeleteConnection(x.ctx, regionA, uid(999), "arn:aws:proton:us-east-1:"+acctE+":environment-account-connection/"+uid(999), at(100))
		wantErr(x.t, "DeleteConnection unknown id", err, store.ErrNotFound)
		_, err = x.s.DeleteConnection(x.ctx, regionB, c.ID, arnOf(c), at(100))
		wantErr(x.t, "DeleteConnection in another region", err, store.ErrNotFound)
		x.checkConn("GetConnection", x.get(regionA, c.ID), c)
		x.wantNoTombstone("tombstone after a failed delete", regionB, c.ID)
		x.wantNoTombstone("tombstone after a failed delete", regionA, c.ID)
		x.wantNoTombstone("tombstone of an unknown id", regionA, uid(999))
		// A failed delete changes nothing, not even the tags under the ARN.
		x.wantTags(p.ARN, store.Tag{Key: "a", Value: "1"})
	})
}
