package storetest

import (
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

func (x *suite) tombstone(region, id string) store.Tombstone {
	x.t.Helper()
	ts, err := x.s.GetConnectionTombstone(x.ctx, region, id)
	if err != nil {
		x.t.Fatalf("GetConnectionTombstone(%s, %s): %v", region, id, err)
	}
	return ts
}

func (x *suite) wantTombstone(c store.Connection, deletedAt time.Time) {
	x.t.Helper()
	ts := x.tombstone(c.Region, c.ID)
	if ts.ID != c.ID || ts.Region != c.Region || ts.EnvironmentAccountID != c.EnvironmentAccountID ||
		ts.ManagementAccountID != c.ManagementAccountID || !ts.DeletedAt.Equal(deletedAt.Truncate(time.Millisecond)) {
		x.t.Fatalf("GetConnectionTombstone = %+v, want connection %s of %s/%s deleted at %s",
			ts, c.ID, c.EnvironmentAccountID, c.ManagementAccountID, deletedAt)
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
		if _, err := x.s.GetConnectionTombstone(x.ctx, regionA, c.ID); err == nil {
			x.t.Fatal("GetConnectionTombstone before delete: found a tombstone")
		} else {
			wantErr(x.t, "GetConnectionTombstone before delete", err, store.ErrNotFound)
		}
		deletedAt := at(100).Add(123456789 * time.Nanosecond)
		x.mustDelete(c, deletedAt)
		x.wantTombstone(c, deletedAt)
		_, err := x.s.GetConnectionTombstone(x.ctx, regionB, c.ID)
		wantErr(x.t, "GetConnectionTombstone in another region", err, store.ErrNotFound)
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
		x.link(acctM, regionA, "web-prod", c.ID)
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
		_, err = x.s.GetConnectionTombstone(x.ctx, regionB, c.ID)
		wantErr(x.t, "GetConnectionTombstone after a failed delete", err, store.ErrNotFound)
		_, err = x.s.GetConnectionTombstone(x.ctx, regionA, uid(999))
		wantErr(x.t, "GetConnectionTombstone of an unknown id", err, store.ErrNotFound)
		// A failed delete changes nothing, not even the tags under the ARN.
		x.wantTags(p.ARN, store.Tag{Key: "a", Value: "1"})
	})
}
