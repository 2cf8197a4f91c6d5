package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/openproton/openproton/internal/store"
)

// racers is how many goroutines each race starts: enough to overlap on any
// store, few enough to stay fast.
const racers = 12

// race runs fn(i) for i in [0, n) on n goroutines released together.
func race(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

func testConcurrency(t *testing.T, h Harness) {
	run(t, h, "SameTokenCreatesOnce", func(x *suite) {
		tok := tokenFor("token-1", "fp-1", at(480))
		ps := make([]store.CreateConnectionParams, racers)
		for i := range ps {
			ps[i] = x.withToken(tok, at(0))
		}
		got := make([]store.Connection, racers)
		replayed := make([]bool, racers)
		errs := make([]error, racers)
		race(racers, func(i int) {
			got[i], replayed[i], errs[i] = x.s.CreateConnection(x.ctx, ps[i])
		})
		created := 0
		for i := range racers {
			if errs[i] != nil {
				x.t.Fatalf("racer %d: CreateConnection: %v", i, errs[i])
			}
			if !replayed[i] {
				created++
			}
			if got[i].ID != got[0].ID {
				x.t.Fatalf("racers returned different connections: %s and %s", got[0].ID, got[i].ID)
			}
		}
		if created != 1 {
			x.t.Fatalf("%d racers created a connection, want exactly 1", created)
		}
		wantIDs(x.t, "ListConnections after the race", x.listAll(regionA, acctE, store.AsEnvironmentAccount), got[0].ID)
	})

	run(t, h, "TransitionsHaveOneWinner", func(x *suite) {
		c := x.add()
		type result struct {
			to  store.ConnectionStatus
			got store.Connection
			err error
		}
		results := make([]result, racers)
		race(racers, func(i int) {
			to := store.StatusConnected
			if i%2 == 1 {
				to = store.StatusRejected
			}
			got, err := x.transition(c.ID, to, statuses(store.StatusPending), at(100+i))
			results[i] = result{to, got, err}
		})
		var winner *result
		for i := range results {
			r := &results[i]
			switch {
			case r.err == nil:
				if winner != nil {
					x.t.Fatalf("two winners: %s and %s", winner.to, r.to)
				}
				winner = r
			case errors.Is(r.err, store.ErrConditionFailed):
				if r.got.Status == store.StatusPending {
					x.t.Fatalf("racer %d: ErrConditionFailed with the connection still PENDING", i)
				}
			default:
				x.t.Fatalf("racer %d: TransitionConnection: %v", i, r.err)
			}
		}
		if winner == nil {
			x.t.Fatal("no racer won")
		}
		x.checkConn("GetConnection after the race", x.get(regionA, c.ID), winner.got)
		if winner.got.Status != winner.to {
			x.t.Fatalf("winner moved to %s, returned %s", winner.to, winner.got.Status)
		}
		for i, r := range results {
			if r.err != nil && r.got.Status != winner.to {
				x.t.Fatalf("racer %d saw status %s, the winner set %s", i, r.got.Status, winner.to)
			}
		}
	})

	run(t, h, "CreatesRespectQuota", func(x *suite) {
		const quota = 3
		x.add() // one already counts
		ps := make([]store.CreateConnectionParams, racers)
		for i := range ps {
			ps[i] = x.params(x.newConn())
			ps[i].Quota = quota
		}
		errs := make([]error, racers)
		race(racers, func(i int) {
			_, _, errs[i] = x.s.CreateConnection(x.ctx, ps[i])
		})
		created := 0
		for i, err := range errs {
			switch {
			case err == nil:
				created++
			case !errors.Is(err, store.ErrQuotaExceeded):
				x.t.Fatalf("racer %d: CreateConnection: %v", i, err)
			}
		}
		if created != quota-1 {
			x.t.Fatalf("%d racers created a connection under quota %d with 1 existing, want %d", created, quota, quota-1)
		}
		if n := len(x.listAll(regionA, acctE, store.AsEnvironmentAccount)); n != quota {
			x.t.Fatalf("%d connections after the race, want %d", n, quota)
		}
	})

	run(t, h, "TagsRespectMaxTags", func(x *suite) {
		const maxTags = 5
		x.taggable()
		x.mustTag(arnOne, maxTags, store.Tag{Key: "k0"}, store.Tag{Key: "k1"}, store.Tag{Key: "k2"}, store.Tag{Key: "k3"})
		errs := make([]error, racers)
		race(racers, func(i int) {
			errs[i] = x.tag(arnOne, maxTags, store.Tag{Key: uid(i)})
		})
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrTooManyTags):
				x.t.Fatalf("racer %d: TagResource: %v", i, err)
			}
		}
		if n := len(x.tags(arnOne)); won != 1 || n != maxTags {
			x.t.Fatalf("%d racers added a tag and the resource has %d tags; want 1 and %d", won, n, maxTags)
		}
	})

	// A tag write checks that its resource exists in its own transaction:
	// racing a delete, it either lands before the delete (which removes it)
	// or finds the resource gone. No tag outlives its resource.
	run(t, h, "TagsRacingDeleteLeaveNoTags", func(x *suite) {
		for round := range 5 {
			p := x.params(x.newConn())
			c := x.mustCreate(p)
			errs := make([]error, racers)
			race(racers, func(i int) {
				if i == racers/2 {
					_, errs[i] = x.s.DeleteConnection(x.ctx, c.Region, c.ID, p.ARN, at(1000))
					return
				}
				errs[i] = x.tag(p.ARN, 50, store.Tag{Key: uid(i)})
			})
			for i, err := range errs {
				if err != nil && (i == racers/2 || !errors.Is(err, store.ErrNotFound)) {
					x.t.Fatalf("round %d, racer %d: %v", round, i, err)
				}
			}
			x.wantGone(regionA, c.ID)
			x.wantTags(p.ARN)
		}
	})
}
