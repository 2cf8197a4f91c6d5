package storetest

import (
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

func (x *suite) purge(now, tombstonesBefore time.Time) {
	x.t.Helper()
	if err := x.s.Purge(x.ctx, now, tombstonesBefore); err != nil {
		x.t.Fatalf("Purge(%s, %s): %v", now, tombstonesBefore, err)
	}
}

func testPurge(t *testing.T, h Harness) {
	run(t, h, "RemovesExpiredTokensOnly", func(x *suite) {
		x.mustCreate(x.withToken(tokenFor("token-a", "fp-1", at(10)), at(0)))
		kept := x.mustCreate(x.withToken(tokenFor("token-b", "fp-1", at(30)), at(1)))
		x.purge(at(20), at(0))
		x.wantReplay(x.withToken(tokenFor("token-b", "fp-1", at(30)), at(21)), kept)
		// A purged token leaves no trace: presented again at a time when it
		// would still have been live, with another fingerprint, it creates
		// instead of failing with a mismatch.
		x.mustCreate(x.withToken(tokenFor("token-a", "fp-2", at(40)), at(5)))
	})

	run(t, h, "RemovesOldTombstonesOnly", func(x *suite) {
		old, recent, live := x.add(), x.add(), x.add()
		x.mustDelete(old, at(10))
		x.mustDelete(recent, at(30))
		x.purge(at(0), at(20))
		x.wantNoTombstone("tombstone after purge", regionA, old.ID)
		x.wantTombstone(recent, at(30))
		x.checkConn("GetConnection after purge", x.get(regionA, live.ID), live)
	})

	run(t, h, "KeepsConnectionsAndTags", func(x *suite) {
		p := x.withToken(tokenFor("token-a", "fp-1", at(10)), at(0))
		p.Tags = []store.Tag{{Key: "a", Value: "1"}}
		c := x.mustCreate(p)
		x.purge(at(1000), at(1000))
		x.checkConn("GetConnection after purge", x.get(regionA, c.ID), c)
		x.wantTags(p.ARN, store.Tag{Key: "a", Value: "1"})
	})
}
