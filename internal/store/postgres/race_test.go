package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// The tests in this file race operations through two Stores, each with its
// own pool, on one schema: what two replicas do when a client's retries or
// two users' requests land on different replicas.

// replicas opens two Stores on one fresh schema.
func replicas(t *testing.T) [2]*Store {
	t.Helper()
	d := newTestDB(t)
	schema := d.newSchema(t)
	return [2]*Store{d.open(t, schema), d.open(t, schema)}
}

// race runs fn(i) for i in [0, n) on n goroutines released together, and
// waits for all of them.
func race(n int, fn func(i int)) {
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
	)
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

func countConnections(t *testing.T, s *Store, account, region string) int {
	t.Helper()
	cs, err := s.ListConnections(t.Context(), store.ListConnectionsQuery{
		Region: region, Account: account, Role: store.AsEnvironmentAccount, Limit: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

func TestRaceSameTokenAcrossReplicas(t *testing.T) {
	rs := replicas(t)
	ctx := t.Context()
	const n = 12
	type result struct {
		c        store.Connection
		replayed bool
		err      error
	}
	res := make([]result, n)
	race(n, func(i int) {
		// Every attempt carries a fresh id, as each replica generates one.
		c := conn(100 + i)
		p := createParams(c, 5)
		p.Token = &store.Idempotency{
			Key:         store.IdempotencyKey{Account: c.EnvironmentAccountID, Region: c.Region, Operation: "Create", Token: "tok-1"},
			Fingerprint: "fp",
			ExpiresAt:   c.RequestedAt.Add(8 * time.Hour),
		}
		p.Now = conn(100).RequestedAt
		got, replayed, err := rs[i%2].CreateConnection(ctx, p)
		res[i] = result{got, replayed, err}
	})

	created := 0
	for i, r := range res {
		if r.err != nil {
			t.Fatalf("create %d: %v", i, r.err)
		}
		if !r.replayed {
			created++
		}
		if r.c.ID != res[0].c.ID {
			t.Fatalf("create %d returned %s, create 0 returned %s: a token must yield one connection", i, r.c.ID, res[0].c.ID)
		}
	}
	if created != 1 {
		t.Fatalf("%d creates were not replays, want exactly 1", created)
	}
	if got := countConnections(t, rs[0], "111111111111", "us-east-1"); got != 1 {
		t.Fatalf("%d connections stored, want 1", got)
	}
}

func TestRaceQuotaAcrossReplicas(t *testing.T) {
	rs := replicas(t)
	ctx := t.Context()
	const (
		n     = 12
		quota = 3
	)
	errs := make([]error, n)
	race(n, func(i int) {
		_, _, errs[i] = rs[i%2].CreateConnection(ctx, createParams(conn(i+1), quota))
	})
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrQuotaExceeded):
		default:
			t.Fatalf("create %d: %v", i, err)
		}
	}
	if ok != quota {
		t.Fatalf("%d creates succeeded under a quota of %d", ok, quota)
	}
	if got := countConnections(t, rs[1], "111111111111", "us-east-1"); got != quota {
		t.Fatalf("%d connections stored, want %d", got, quota)
	}

	// Rejecting one frees a place, and only one.
	cs, err := rs[0].ListConnections(ctx, store.ListConnectionsQuery{Region: "us-east-1", Account: "111111111111", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs[0].TransitionConnection(ctx, store.TransitionParams{
		Region: "us-east-1", ID: cs[0].ID, From: []store.ConnectionStatus{store.StatusPending},
		To: store.StatusRejected, Now: cs[0].RequestedAt,
	}); err != nil {
		t.Fatal(err)
	}
	race(n, func(i int) {
		_, _, errs[i] = rs[i%2].CreateConnection(ctx, createParams(conn(100+i), quota))
	})
	ok = 0
	for _, err := range errs {
		if err == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d creates succeeded after one place was freed, want 1", ok)
	}
}

// TestRaceAcceptRejectAcrossReplicas races two changes from PENDING: exactly
// one applies, and the other sees the winner's state.
func TestRaceAcceptRejectAcrossReplicas(t *testing.T) {
	rs := replicas(t)
	ctx := t.Context()
	pending := []store.ConnectionStatus{store.StatusPending}
	for round := range 20 {
		c := conn(round + 1)
		if _, _, err := rs[0].CreateConnection(ctx, createParams(c, 100)); err != nil {
			t.Fatal(err)
		}
		var (
			results [2]store.Connection
			errs    [2]error
		)
		race(2, func(i int) {
			p := store.TransitionParams{Region: c.Region, ID: c.ID, From: pending, To: store.StatusConnected, Now: c.RequestedAt.Add(time.Minute)}
			if i == 1 {
				p.To, p.RequireUnused = store.StatusRejected, true
			}
			results[i], errs[i] = rs[i].TransitionConnection(ctx, p)
		})
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("round %d: both the accept and the reject applied", round)
				}
				winner = i
			case errors.Is(err, store.ErrConditionFailed):
			default:
				t.Fatalf("round %d, change %d: %v", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: neither change applied", round)
		}
		loser := 1 - winner
		if results[loser].Status != results[winner].Status {
			t.Fatalf("round %d: the losing change saw %s, the winner set %s", round, results[loser].Status, results[winner].Status)
		}
		now, err := rs[loser].GetConnection(ctx, c.Region, c.ID)
		if err != nil || now != results[winner] {
			t.Fatalf("round %d: stored %+v (%v), winner returned %+v", round, now, err, results[winner])
		}
	}
}

// TestRaceRejectVersusLinkAcrossReplicas races a reject, which requires that
// no environment uses the connection, with linking an environment, which
// requires the connection to be CONNECTED: exactly one may succeed.
func TestRaceRejectVersusLinkAcrossReplicas(t *testing.T) {
	rs := replicas(t)
	ctx := t.Context()
	rejected, linked := 0, 0
	for round := range 30 {
		c := conn(round + 1)
		c.Status = store.StatusConnected
		if _, _, err := rs[0].CreateConnection(ctx, createParams(c, 100)); err != nil {
			t.Fatal(err)
		}
		var rejectErr, linkErr error
		race(2, func(i int) {
			if i == 0 {
				_, rejectErr = rs[0].TransitionConnection(ctx, store.TransitionParams{
					Region: c.Region, ID: c.ID,
					From: []store.ConnectionStatus{store.StatusPending, store.StatusConnected},
					To:   store.StatusRejected, RequireUnused: true, Now: c.RequestedAt.Add(time.Minute),
				})
				return
			}
			linkErr = linkConnected(ctx, rs[1], c.ManagementAccountID, c.Region, fmt.Sprintf("env-%d", round), c.ID)
		})
		var inUse *store.InUseError
		switch {
		case rejectErr == nil && errors.Is(linkErr, errLinkRefused):
			rejected++
		case linkErr == nil && errors.As(rejectErr, &inUse):
			linked++
			if inUse.Environment != fmt.Sprintf("env-%d", round) {
				t.Fatalf("round %d: InUseError names %q", round, inUse.Environment)
			}
		default:
			t.Fatalf("round %d: reject: %v; link: %v; want exactly one to succeed", round, rejectErr, linkErr)
		}
	}
	t.Logf("reject won %d rounds, link won %d", rejected, linked)
}

// TestRaceTagLimitAcrossReplicas adds disjoint tags from many callers: the
// limit holds, and every call that succeeded left all its tags.
func TestRaceTagLimitAcrossReplicas(t *testing.T) {
	rs := replicas(t)
	ctx := t.Context()
	const (
		maxTags = 9
		n       = 10
	)
	arn := taggedConnection(t, rs[0], 1)
	errs := make([]error, n)
	race(n, func(i int) {
		tags := []store.Tag{{Key: fmt.Sprintf("k%02d-a", i), Value: "v"}, {Key: fmt.Sprintf("k%02d-b", i), Value: "v"}}
		errs[i] = rs[i%2].TagResource(ctx, arn, tags, maxTags)
	})
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrTooManyTags):
		default:
			t.Fatalf("tag %d: %v", i, err)
		}
	}
	tags, err := rs[0].ListTags(ctx, arn)
	if err != nil {
		t.Fatal(err)
	}
	if ok != maxTags/2 || len(tags) != 2*ok {
		t.Fatalf("%d calls succeeded and %d tags remain; want %d calls and %d tags", ok, len(tags), maxTags/2, 2*(maxTags/2))
	}
}

// TestTagWritersDoNotDeadlock mixes tagging and untagging of the same keys
// in opposite orders from both replicas.
func TestTagWritersDoNotDeadlock(t *testing.T) {
	rs := replicas(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	arn := taggedConnection(t, rs[0], 2)
	keys := []string{"a", "b", "c", "d", "e"}
	errs := make([]error, 16)
	race(len(errs), func(i int) {
		ks := keys
		if i%2 == 1 {
			ks = []string{"e", "d", "c", "b", "a"}
		}
		for range 10 {
			if i%4 < 2 {
				var tags []store.Tag
				for _, k := range ks {
					tags = append(tags, store.Tag{Key: k, Value: "v"})
				}
				if err := rs[i%2].TagResource(ctx, arn, tags, 50); err != nil {
					errs[i] = err
					return
				}
			} else if err := rs[i%2].UntagResource(ctx, arn, ks); err != nil {
				errs[i] = err
				return
			}
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
}

// taggedConnection creates connection n, so that its ARN takes tags, and
// returns the ARN.
func taggedConnection(t *testing.T, s *Store, n int) string {
	t.Helper()
	if _, _, err := s.CreateConnection(t.Context(), createParams(conn(n), 5)); err != nil {
		t.Fatal(err)
	}
	return arnOf(conn(n))
}
