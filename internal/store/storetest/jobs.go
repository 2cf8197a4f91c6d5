package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// testJobs checks the lease protocol of store.Jobs, with deployments as the
// jobs: the one queue of every kind of background work.
func testJobs(t *testing.T, h Harness) {
	runE(t, h, "LeaseIsExclusiveUntilItExpires", func(x *esuite) {
		_, d1 := x.addEnv("one")
		_, d2 := x.addEnv("two")
		now := at(100)
		a, _ := x.lease("a", now)
		b, _ := x.lease("b", now)
		if a.ID != d1.ID || b.ID != d2.ID || a.Attempts != 1 || a.LeaseOwner != "a" || !a.LeaseExpiresAt.Equal(now.Add(time.Minute)) {
			x.t.Fatalf("leased %+v and %s, want the oldest first", a, b.ID)
		}
		if _, ok := x.lease("c", now.Add(30*time.Second)); ok {
			x.t.Fatal("a leased job was leased again before its lease expired")
		}
		if j, err := x.s.RenewJob(x.ctx, jobOf(d1.ID), "a", now.Add(5*time.Minute)); err != nil ||
			j.LeaseOwner != "a" || !j.LeaseExpiresAt.Equal(now.Add(5*time.Minute)) || j.Attempts != 1 {
			x.t.Fatalf("RenewJob: %+v, %v", j, err)
		}
		_, err := x.s.RenewJob(x.ctx, jobOf(d1.ID), "b", now.Add(5*time.Minute))
		wantErr(x.t, "RenewJob by another owner", err, store.ErrLeaseLost)
		c, ok := x.lease("c", now.Add(2*time.Minute))
		if !ok || c.ID != d2.ID || c.Attempts != 2 {
			x.t.Fatalf("after expiry leased %s (attempts %d, ok %v), want %s", c.ID, c.Attempts, ok, d2.ID)
		}
		_, err = x.s.CompleteDeployment(x.ctx, store.CompleteParams{Region: regionA, ID: d2.ID, LeaseOwner: "b", Outcome: store.OutcomeSucceeded, Now: now})
		wantErr(x.t, "CompleteDeployment by the owner whose lease was taken over", err, store.ErrLeaseLost)
		_, err = x.s.RenewJob(x.ctx, jobOf(d2.ID), "b", now.Add(5*time.Minute))
		wantErr(x.t, "RenewJob by the owner whose lease was taken over", err, store.ErrLeaseLost)
		if err := x.s.ReleaseJob(x.ctx, jobOf(d2.ID), "c"); err != nil {
			x.t.Fatal(err)
		}
		r, ok := x.lease("d", now.Add(2*time.Minute))
		if !ok || r.ID != d2.ID || r.Attempts != 2 {
			x.t.Fatalf("after release leased %s (attempts %d, ok %v)", r.ID, r.Attempts, ok)
		}
		x.complete(x.dep(r.ID), "d", store.OutcomeFailed)
		_, err = x.s.RenewJob(x.ctx, jobOf(d2.ID), "d", now.Add(5*time.Minute))
		wantErr(x.t, "RenewJob of a completed deployment", err, store.ErrLeaseLost)
		if _, ok := x.lease("e", now.Add(time.Hour)); !ok {
			x.t.Fatal("the first job was not leased again after its renewed lease expired")
		}
		if _, ok := x.lease("e", now.Add(time.Hour)); ok {
			x.t.Fatal("a completed deployment's job is still queued")
		}
	})

	runE(t, h, "LeaseOrderIsDueTimeThenID", func(x *esuite) {
		major := x.publishVersion(true)
		add := func(name string, id, minute int) {
			e, d := x.newEnv(name, major)
			d.ID, d.CreatedAt, d.LastModifiedAt = uid(id), at(minute), at(minute)
			e.LastAttemptedDeploymentID = d.ID
			if _, err := x.s.CreateEnvironment(x.ctx, x.createParams(e, d)); err != nil {
				x.t.Fatal(err)
			}
		}
		add("late", 10, 30)
		add("b", 21, 20)
		add("a", 20, 20)
		if j, ok := x.lease("w", at(20).Add(-time.Millisecond)); ok {
			x.t.Fatalf("leased %s before any job was due", j.ID)
		}
		for _, want := range []int{20, 21, 10} {
			j, ok := x.lease("w", at(30))
			if !ok || j.ID != uid(want) {
				x.t.Fatalf("leased %s (ok %v), want %s", j.ID, ok, uid(want))
			}
		}
	})

	runE(t, h, "OneJobOfASerialKeyAtATime", func(x *esuite) {
		e, d1 := x.addEnv("dev")
		// A second deployment of the same target, queued while the first
		// is in flight: it waits for the first one's job to end.
		_, d2 := x.redeploy(e, "second")
		_, other := x.addEnv("other")
		now := at(1000)
		for _, want := range []string{d1.ID, other.ID} {
			if j, ok := x.lease("w", now); !ok || j.ID != want {
				x.t.Fatalf("leased %s (ok %v), want %s", j.ID, ok, want)
			}
		}
		if j, ok := x.lease("w", now.Add(2*time.Minute)); !ok || j.ID != d1.ID {
			x.t.Fatalf("after the leases expired leased %s (ok %v), want %s again: %s waits for it", j.ID, ok, d1.ID, d2.ID)
		}
		if j, ok := x.lease("w", now.Add(2*time.Minute)); !ok || j.ID != other.ID {
			x.t.Fatalf("leased %s (ok %v), want %s", j.ID, ok, other.ID)
		}
		if j, ok := x.lease("w", now.Add(2*time.Minute)); ok {
			x.t.Fatalf("leased %s while an earlier job of its target exists", j.ID)
		}
		x.complete(x.dep(d1.ID), "w", store.OutcomeSucceeded)
		if j, ok := x.lease("w", now.Add(2*time.Minute)); !ok || j.ID != d2.ID {
			x.t.Fatalf("after the first job ended leased %s (ok %v), want %s", j.ID, ok, d2.ID)
		}
	})

	runE(t, h, "KindsFilter", func(x *esuite) {
		_, d := x.addEnv("dev")
		j, ok, err := x.s.LeaseJob(x.ctx, store.LeaseJobParams{Owner: "w", Until: at(1001), Now: at(1000),
			Kinds: []store.JobKind{store.JobRegistration}})
		if err != nil || ok {
			x.t.Fatalf("LeaseJob of registrations leased %+v (ok %v, err %v)", j, ok, err)
		}
		j, ok, err = x.s.LeaseJob(x.ctx, store.LeaseJobParams{Owner: "w", Until: at(1001), Now: at(1000)})
		if err != nil || !ok || j.ID != d.ID || j.Kind != store.JobDeployment {
			x.t.Fatalf("LeaseJob of any kind: %+v (ok %v, err %v)", j, ok, err)
		}
	})

	runE(t, h, "RetryAndRelease", func(x *esuite) {
		_, d := x.addEnv("dev")
		now := at(100)
		x.lease("a", now)
		err := x.s.RetryJob(x.ctx, jobOf(d.ID), "b", now.Add(10*time.Minute))
		wantErr(x.t, "RetryJob by another owner", err, store.ErrLeaseLost)
		if err := x.s.RetryJob(x.ctx, jobOf(d.ID), "a", now.Add(10*time.Minute)); err != nil {
			x.t.Fatal(err)
		}
		_, err = x.s.RenewJob(x.ctx, jobOf(d.ID), "a", now.Add(time.Hour))
		wantErr(x.t, "RenewJob after RetryJob", err, store.ErrLeaseLost)
		if j, ok := x.lease("c", now.Add(10*time.Minute-time.Millisecond)); ok {
			x.t.Fatalf("leased %s before its retry was due", j.ID)
		}
		c, ok := x.lease("c", now.Add(10*time.Minute))
		if !ok || c.ID != d.ID || c.Attempts != 2 || !c.DueAt.Equal(now.Add(10*time.Minute)) {
			x.t.Fatalf("at the retry leased %+v (ok %v), want the attempt counted", c, ok)
		}
		// Releasing a lease held by someone else does nothing.
		if err := x.s.ReleaseJob(x.ctx, jobOf(d.ID), "a"); err != nil {
			x.t.Fatal(err)
		}
		if j, err := x.s.RenewJob(x.ctx, jobOf(d.ID), "c", now.Add(11*time.Minute)); err != nil || j.LeaseOwner != "c" || j.Attempts != 2 {
			x.t.Fatalf("RenewJob after another owner's release: %+v, %v", j, err)
		}
		// Its holder's release takes the attempt back and frees it at once.
		if err := x.s.ReleaseJob(x.ctx, jobOf(d.ID), "c"); err != nil {
			x.t.Fatal(err)
		}
		r, ok := x.lease("d", now.Add(10*time.Minute))
		if !ok || r.ID != d.ID || r.Attempts != 2 {
			x.t.Fatalf("after release leased %+v (ok %v), want attempt 2 again", r, ok)
		}
	})

	runE(t, h, "CancelIsSeenAtRenewal", func(x *esuite) {
		_, d := x.addEnv("dev")
		x.complete(x.mustLease("w", d.ID), "w", store.OutcomeSucceeded)
		_, u := x.redeploy(x.env("dev"), "changed")
		x.leaseJob("w", u.ID)
		if j, err := x.s.RenewJob(x.ctx, jobOf(u.ID), "w", at(x.seq).Add(time.Hour)); err != nil || j.CancelRequested {
			x.t.Fatalf("RenewJob before a cancel: %+v, %v", j, err)
		}
		if _, err := x.s.CancelDeployment(x.ctx, regionA, u.ID, at(x.seq)); err != nil {
			x.t.Fatal(err)
		}
		j, err := x.s.RenewJob(x.ctx, jobOf(u.ID), "w", at(x.seq).Add(time.Hour))
		if err != nil || !j.CancelRequested || j.LeaseOwner != "w" || j.Attempts != 1 {
			x.t.Fatalf("RenewJob after the cancel: %+v, %v; want the cancel asked of its holder", j, err)
		}
	})

	runE(t, h, "RacingLeasesHandOutEachOnce", func(x *esuite) {
		const n = 6
		for i := range n {
			x.addEnv(fmt.Sprint("env", i))
		}
		var (
			mu  sync.Mutex
			got = map[string]int{}
			wg  sync.WaitGroup
		)
		for w := range 4 {
			wg.Go(func() {
				for {
					j, ok, err := x.s.LeaseJob(x.ctx, store.LeaseJobParams{Owner: fmt.Sprint("w", w), Until: at(1000), Now: at(500)})
					if err != nil {
						t.Errorf("LeaseJob: %v", err)
						return
					}
					if !ok {
						return
					}
					mu.Lock()
					got[j.ID]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(got) != n {
			x.t.Fatalf("leased %d distinct jobs, want %d", len(got), n)
		}
		for id, c := range got {
			if c != 1 {
				x.t.Fatalf("job %s leased %d times", id, c)
			}
		}
	})

	if h.Reopen != nil {
		runE(t, h, "QueueSurvivesReopen", func(x *esuite) {
			_, d := x.addEnv("dev")
			x.lease("a", at(100))
			x.s = x.h.Reopen(x.t, x.s)
			got, ok := x.lease("b", at(100).Add(2*time.Minute))
			if !ok || got.ID != d.ID || got.Attempts != 2 {
				x.t.Fatalf("after reopen leased %+v (ok %v)", got, ok)
			}
		})
	}
}
