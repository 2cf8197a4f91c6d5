package storetest

import (
	"errors"
	"testing"

	"github.com/openproton/openproton/internal/store"
)

func testDurability(t *testing.T, h Harness) {
	if h.Reopen == nil {
		t.Skip("the harness cannot reopen its store")
	}
	run(t, h, "ReopenKeepsEverything", func(x *suite) {
		tok := tokenFor("token-1", "fp-1", at(480))
		p := x.withToken(tok, at(0))
		p.Tags = []store.Tag{{Key: "b", Value: "2"}, {Key: "a", Value: "1"}}
		c := x.mustCreate(p)
		c = x.mustTransition(c.ID, store.StatusConnected, at(1))
		gone := x.add()
		x.mustDelete(gone, at(2))
		x.taggable()
		x.mustTag(arnOne, 50, store.Tag{Key: "x", Value: "y"})
		x.link("web-prod", c)

		x.reopen()

		x.checkConn("GetConnection after reopen", x.get(regionA, c.ID), c)
		wantIDs(x.t, "ListConnections after reopen", x.listAll(regionA, acctE, store.AsEnvironmentAccount), c.ID)
		x.wantTags(p.ARN, store.Tag{Key: "a", Value: "1"}, store.Tag{Key: "b", Value: "2"})
		x.wantTags(arnOne, store.Tag{Key: "x", Value: "y"})
		x.wantTombstone(gone, at(2))
		x.wantReplay(x.withToken(tok, at(3)), c)
		_, err := x.s.TransitionConnection(x.ctx, store.TransitionParams{Region: regionA, ID: c.ID,
			From: statuses(store.StatusConnected), To: store.StatusRejected, RequireUnused: true, Now: at(4)})
		var inUse *store.InUseError
		if !errors.As(err, &inUse) {
			x.t.Fatalf("TransitionConnection after reopen: err = %v, want *store.InUseError", err)
		}
	})
}
