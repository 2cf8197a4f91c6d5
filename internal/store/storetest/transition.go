package storetest

import (
	"errors"
	"testing"

	"github.com/openproton/openproton/internal/store"
)

func testTransition(t *testing.T, h Harness) {
	pending := statuses(store.StatusPending)

	run(t, h, "AppliesFromAllowedState", func(x *suite) {
		c := x.add()
		got, err := x.transition(c.ID, store.StatusConnected, pending, at(100))
		if err != nil {
			x.t.Fatalf("TransitionConnection: %v", err)
		}
		want := c
		want.Status, want.LastModifiedAt = store.StatusConnected, at(100)
		x.checkConn("TransitionConnection", got, want)
		x.checkConn("GetConnection", x.get(regionA, c.ID), want)
	})

	run(t, h, "AppliesFromAnyListedState", func(x *suite) {
		c := x.add()
		x.mustTransition(c.ID, store.StatusConnected, at(100))
		got, err := x.transition(c.ID, store.StatusRejected, statuses(store.StatusPending, store.StatusConnected), at(101))
		if err != nil {
			x.t.Fatalf("TransitionConnection CONNECTED → REJECTED: %v", err)
		}
		if got.Status != store.StatusRejected || !got.LastModifiedAt.Equal(at(101)) {
			x.t.Fatalf("TransitionConnection: got %+v", got)
		}
	})

	run(t, h, "SameStateWhenListed", func(x *suite) {
		c := x.add()
		x.mustTransition(c.ID, store.StatusConnected, at(100))
		got, err := x.transition(c.ID, store.StatusConnected, statuses(store.StatusConnected), at(101))
		if err != nil {
			x.t.Fatalf("TransitionConnection CONNECTED → CONNECTED: %v", err)
		}
		if !got.LastModifiedAt.Equal(at(101)) {
			x.t.Fatalf("TransitionConnection: LastModifiedAt %s, want %s", got.LastModifiedAt, at(101))
		}
	})

	run(t, h, "ForbiddenStateReturnsCurrent", func(x *suite) {
		c := x.add()
		rejected := x.mustTransition(c.ID, store.StatusRejected, at(100))
		got, err := x.transition(c.ID, store.StatusConnected, pending, at(101))
		wantErr(x.t, "TransitionConnection from REJECTED", err, store.ErrConditionFailed)
		x.checkConn("TransitionConnection failure", got, rejected)
		x.checkConn("GetConnection", x.get(regionA, c.ID), rejected)
	})

	run(t, h, "UnknownIsNotFound", func(x *suite) {
		_, err := x.transition(uid(999), store.StatusConnected, pending, at(100))
		wantErr(x.t, "TransitionConnection unknown id", err, store.ErrNotFound)
	})

	run(t, h, "OtherRegionIsNotFound", func(x *suite) {
		c := x.add()
		_, err := x.s.TransitionConnection(x.ctx, store.TransitionParams{Region: regionB, ID: c.ID, From: pending, To: store.StatusConnected, Now: at(100)})
		wantErr(x.t, "TransitionConnection in another region", err, store.ErrNotFound)
		x.checkConn("GetConnection", x.get(regionA, c.ID), c)
	})

	run(t, h, "RequireUnusedWithEnvironmentIsInUse", func(x *suite) {
		c := x.add()
		connected := x.mustTransition(c.ID, store.StatusConnected, at(100))
		x.link("web-prod", c)
		_, err := x.s.TransitionConnection(x.ctx, store.TransitionParams{
			Region: regionA, ID: c.ID, From: statuses(store.StatusPending, store.StatusConnected),
			To: store.StatusRejected, RequireUnused: true, Now: at(101),
		})
		var inUse *store.InUseError
		if !errors.As(err, &inUse) {
			x.t.Fatalf("TransitionConnection with an environment: err = %v, want *store.InUseError", err)
		}
		if inUse.Environment != "web-prod" {
			x.t.Fatalf("InUseError.Environment = %q, want %q", inUse.Environment, "web-prod")
		}
		x.checkConn("GetConnection", x.get(regionA, c.ID), connected)
	})

	run(t, h, "RequireUnusedWithoutEnvironment", func(x *suite) {
		c := x.add()
		x.mustTransition(c.ID, store.StatusConnected, at(100))
		// An environment using another connection does not block this one.
		other := x.add()
		x.mustTransition(other.ID, store.StatusConnected, at(100))
		x.link("web-prod", other)
		got, err := x.s.TransitionConnection(x.ctx, store.TransitionParams{
			Region: regionA, ID: c.ID, From: statuses(store.StatusConnected),
			To: store.StatusRejected, RequireUnused: true, Now: at(101),
		})
		if err != nil {
			x.t.Fatalf("TransitionConnection unused: %v", err)
		}
		if got.Status != store.StatusRejected {
			x.t.Fatalf("TransitionConnection: status %s, want REJECTED", got.Status)
		}
	})

	run(t, h, "InUseIgnoredWithoutRequireUnused", func(x *suite) {
		c := x.add()
		x.mustTransition(c.ID, store.StatusConnected, at(100))
		x.link("web-prod", c)
		got, err := x.transition(c.ID, store.StatusRejected, statuses(store.StatusConnected), at(101))
		if err != nil {
			x.t.Fatalf("TransitionConnection without RequireUnused: %v", err)
		}
		if got.Status != store.StatusRejected {
			x.t.Fatalf("TransitionConnection: status %s, want REJECTED", got.Status)
		}
	})
}
