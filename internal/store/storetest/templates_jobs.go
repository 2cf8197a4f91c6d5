package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// registrations are the kinds of job the templates family queues.
var registrations = []store.JobKind{store.JobRegistration}

func (x *tsuite) lease(owner string, now time.Time) (store.Job, bool) {
	x.t.Helper()
	job, ok, err := x.s.LeaseJob(x.ctx, store.LeaseJobParams{Owner: owner, Until: now.Add(time.Minute), Now: now, Kinds: registrations})
	if err != nil {
		x.t.Fatalf("LeaseJob: %v", err)
	}
	return job, ok
}

// wantLease leases the registration job of want, in its attempts-th lease.
func (x *tsuite) wantLease(owner string, now time.Time, want store.TemplateVersion, attempts int) store.Job {
	x.t.Helper()
	job, ok := x.lease(owner, now)
	if !ok {
		x.t.Fatalf("LeaseJob at %v: no job, want %d.%d", now, want.Major, want.Minor)
	}
	if job.ID != want.ID || job.Attempts != attempts {
		x.t.Fatalf("LeaseJob: %s attempt %d, want %s (%d.%d) attempt %d", job.ID, job.Attempts, want.ID, want.Major, want.Minor, attempts)
	}
	if job.Kind != store.JobRegistration || job.Region != want.Region || job.Account != want.Account ||
		job.LeaseOwner != owner || !sameInstant(job.LeaseExpiresAt, now.Add(time.Minute)) {
		x.t.Fatalf("LeaseJob: job %+v", job)
	}
	return job
}

func (x *tsuite) wantNoLease(owner string, now time.Time) {
	x.t.Helper()
	if job, ok := x.lease(owner, now); ok {
		x.t.Fatalf("LeaseJob at %v leased %s, want none", now, job.ID)
	}
}

func testRegistration(t *testing.T, h Harness) {
	runT(t, h, "LeaseFinishDraft", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k, func(t *store.Template) { t.Provisioning = "CUSTOMER_MANAGED" })
		v := x.addVersion(k, nil, 1, 0)
		x.wantNoLease("a", v.CreatedAt.Add(-time.Millisecond))
		err := x.s.FinishRegistration(x.ctx, store.FinishParams{ID: v.ID, Owner: "a", Status: store.VersionDraft, Now: at(100)})
		wantErrT(x.t, "FinishRegistration of a job nobody leased", err, store.ErrConditionFailed)
		// A worker of other kinds of job does not take it.
		if job, ok, err := x.s.LeaseJob(x.ctx, store.LeaseJobParams{Owner: "d", Until: at(100_000), Now: v.CreatedAt,
			Kinds: []store.JobKind{store.JobDeployment}}); ok || err != nil {
			x.t.Fatalf("LeaseJob of deployments: %+v, %v, %v", job, ok, err)
		}
		x.wantLease("a", v.CreatedAt, v, 1)
		reg, err := x.s.GetRegistration(x.ctx, v.ID)
		if err != nil || reg.Provisioning != "CUSTOMER_MANAGED" || reg.Version.VersionKey != v.VersionKey ||
			reg.Version.SourceKey != v.SourceKey || reg.Version.Status != store.VersionRegistering {
			x.t.Fatalf("GetRegistration = %+v, %v", reg, err)
		}
		// Leased: nobody else takes it until the lease runs out.
		x.wantNoLease("b", v.CreatedAt.Add(59*time.Second))
		err = x.s.FinishRegistration(x.ctx, store.FinishParams{ID: v.ID, Owner: "b", Status: store.VersionDraft, Now: at(100)})
		wantErrT(x.t, "FinishRegistration by another owner", err, store.ErrConditionFailed)
		if err := x.s.FinishRegistration(x.ctx, store.FinishParams{ID: v.ID, Owner: "a", Status: store.VersionDraft,
			Schema: "schema: {}", Bundle: []byte{0x1f, 0x8b, 0}, Now: at(100)}); err != nil {
			x.t.Fatal(err)
		}
		got := x.getVersion(v.VersionKey)
		if got.Status != store.VersionDraft || got.Schema != "schema: {}" || string(got.Bundle) != "\x1f\x8b\x00" ||
			got.StatusMessage != "" || !sameInstant(got.LastModifiedAt, at(100)) {
			x.t.Fatalf("registered version = %+v", got)
		}
		err = x.s.FinishRegistration(x.ctx, store.FinishParams{ID: v.ID, Owner: "a", Status: store.VersionFailed, Now: at(101)})
		wantErrT(x.t, "FinishRegistration twice", err, store.ErrConditionFailed)
		x.wantNoLease("a", at(100_000))
	})

	runT(t, h, "FinishFailed", func(x *tsuite) {
		k := svcKey("api")
		x.addTemplate(k)
		v := x.addVersion(k, nil, 1, 0)
		x.wantLease("a", at(1000), v, 1)
		if err := x.s.FinishRegistration(x.ctx, store.FinishParams{ID: v.ID, Owner: "a", Status: store.VersionFailed,
			Message: "schema/schema.yaml is missing", Now: at(1001)}); err != nil {
			x.t.Fatal(err)
		}
		got := x.getVersion(v.VersionKey)
		if got.Status != store.VersionFailed || got.StatusMessage != "schema/schema.yaml is missing" || got.Bundle != nil || got.Schema != "" {
			x.t.Fatalf("failed version = %+v", got)
		}
	})

	runT(t, h, "ExpiredLeaseIsTakenOver", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		v := x.addVersion(k, nil, 1, 0)
		now := at(1000)
		x.wantLease("a", now, v, 1)
		x.wantNoLease("b", now.Add(time.Minute-time.Millisecond))
		x.wantLease("b", now.Add(time.Minute), v, 2)
		err := x.s.FinishRegistration(x.ctx, store.FinishParams{ID: v.ID, Owner: "a", Status: store.VersionDraft, Now: at(1002)})
		wantErrT(x.t, "FinishRegistration by the owner whose lease was taken over", err, store.ErrConditionFailed)
		if err := x.s.FinishRegistration(x.ctx, store.FinishParams{ID: v.ID, Owner: "b", Status: store.VersionDraft, Now: at(1002)}); err != nil {
			x.t.Fatal(err)
		}
	})

	runT(t, h, "ExpiredLeaseCanStillFinish", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		v := x.addVersion(k, nil, 1, 0)
		x.wantLease("a", at(1000), v, 1)
		if err := x.s.FinishRegistration(x.ctx, store.FinishParams{ID: v.ID, Owner: "a", Status: store.VersionDraft, Now: at(1100)}); err != nil {
			x.t.Fatalf("FinishRegistration after the lease ran out, nobody having taken it: %v", err)
		}
	})

	runT(t, h, "RetryReleasesUntilDue", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		v := x.addVersion(k, nil, 1, 0)
		x.wantLease("a", at(1000), v, 1)
		err := x.s.RetryJob(x.ctx, registrationJob(v), "b", at(1005))
		wantErrT(x.t, "RetryJob by another owner", err, store.ErrLeaseLost)
		if err := x.s.RetryJob(x.ctx, registrationJob(v), "a", at(1005)); err != nil {
			x.t.Fatal(err)
		}
		err = x.s.FinishRegistration(x.ctx, store.FinishParams{ID: v.ID, Owner: "a", Status: store.VersionDraft, Now: at(1001)})
		wantErrT(x.t, "FinishRegistration after handing the job back", err, store.ErrConditionFailed)
		x.wantNoLease("b", at(1005).Add(-time.Millisecond))
		x.wantLease("b", at(1005), v, 2)
	})

	runT(t, h, "DueOrderAndMinorsInOrder", func(x *tsuite) {
		a, b, sa := envKey("a"), svcKey("b"), svcKey("a")
		x.addTemplate(a)
		x.addTemplate(b)
		x.addTemplate(sa)
		a10 := x.addVersion(a, nil, 1, 0)
		a11 := x.addVersion(a, ptr64(1), 1, 1)
		b10 := x.addVersion(b, nil, 1, 0)
		a20 := x.addVersion(a, nil, 2, 0)
		sa10 := x.addVersion(sa, nil, 1, 0)
		sa11 := x.addVersion(sa, ptr64(1), 1, 1)
		now := at(1000)
		x.wantLease("w", now, a10, 1)
		// 1.1 waits for 1.0 of its own template; the others go in due order.
		x.wantLease("w", now, b10, 1)
		x.wantLease("w", now, a20, 1)
		x.wantLease("w", now, sa10, 1)
		x.wantNoLease("w", now)
		// Handing 1.0 back for a retry does not let 1.1 overtake it.
		if err := x.s.RetryJob(x.ctx, registrationJob(sa10), "w", now); err != nil {
			x.t.Fatal(err)
		}
		x.wantLease("w", now, sa10, 2)
		if err := x.s.FinishRegistration(x.ctx, store.FinishParams{ID: sa10.ID, Owner: "w", Status: store.VersionDraft, Now: now}); err != nil {
			x.t.Fatal(err)
		}
		x.wantLease("w", now, sa11, 1)
		if err := x.s.FinishRegistration(x.ctx, store.FinishParams{ID: a10.ID, Owner: "w", Status: store.VersionFailed, Message: "bad", Now: now}); err != nil {
			x.t.Fatal(err)
		}
		x.wantLease("w", now, a11, 1)
	})

	runT(t, h, "DeletedJobEnds", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		v := x.addVersion(k, nil, 1, 0)
		x.wantLease("a", at(1000), v, 1)
		if _, err := x.deleteVersion(v.VersionKey, allowAll); err != nil {
			x.t.Fatal(err)
		}
		err := x.s.FinishRegistration(x.ctx, store.FinishParams{ID: v.ID, Owner: "a", Status: store.VersionDraft, Bundle: []byte("b"), Now: at(1001)})
		wantErrT(x.t, "FinishRegistration of a deleted version", err, store.ErrConditionFailed)
		_, err = x.s.RenewJob(x.ctx, registrationJob(v), "a", at(2000))
		wantErrT(x.t, "RenewJob of a deleted version", err, store.ErrLeaseLost)
		err = x.s.RetryJob(x.ctx, registrationJob(v), "a", at(1001))
		wantErrT(x.t, "RetryJob of a deleted version", err, store.ErrLeaseLost)
		_, err = x.s.GetRegistration(x.ctx, v.ID)
		wantErrT(x.t, "GetRegistration of a deleted version", err, store.ErrNotFound)
		x.wantNoLease("a", at(100_000))
		// A later version that reuses the number is a new job.
		w := x.addVersion(k, nil, 1, 0)
		x.wantLease("a", at(100_000), w, 1)
	})

	runT(t, h, "RegisteredSchemas", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		x.addVersion(k, nil, 1, 0)
		x.addVersion(k, ptr64(1), 1, 1)
		x.addVersion(k, ptr64(1), 1, 2)
		x.addVersion(k, nil, 2, 0)
		x.addVersion(k, ptr64(1), 1, 3)
		x.register(vkey(k, 1, 0), store.VersionDraft)
		x.register(vkey(k, 1, 1), store.VersionFailed)
		x.register(vkey(k, 1, 2), store.VersionDraft)
		x.publish(vkey(k, 1, 2))
		x.register(vkey(k, 2, 0), store.VersionDraft)
		vs, err := x.s.RegisteredSchemas(x.ctx, vkey(k, 1, 3))
		if err != nil {
			x.t.Fatal(err)
		}
		x.wantNumbers("RegisteredSchemas(1.3)", vs, "1.0", "1.2")
		for _, v := range vs {
			if v.Schema != "schema of "+v.ID {
				x.t.Fatalf("RegisteredSchemas: %d.%d schema %q", v.Major, v.Minor, v.Schema)
			}
		}
		vs, err = x.s.RegisteredSchemas(x.ctx, vkey(k, 1, 0))
		if err != nil || len(vs) != 0 {
			x.t.Fatalf("RegisteredSchemas(1.0) = %v, %v", numbers(vs), err)
		}
	})

	runT(t, h, "ConcurrentWorkersLeaseEachJobOnce", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		const jobs, workers = 12, 4
		want := map[string]bool{}
		for i := range jobs {
			// New majors: each is leasable at once.
			v := x.addVersion(k, nil, int64(i+1), 0)
			want[v.ID] = true
		}
		var (
			mu   sync.Mutex
			got  = map[string]string{}
			errs []error
			wg   sync.WaitGroup
		)
		for w := range workers {
			owner := string(rune('a' + w))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					job, ok, err := x.s.LeaseJob(x.ctx, store.LeaseJobParams{Owner: owner, Until: at(1000).Add(time.Minute),
						Now: at(1000), Kinds: registrations})
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					} else if ok {
						if prev, dup := got[job.ID]; dup {
							errs = append(errs, errLeasedTwice(job.ID, prev, owner))
						}
						got[job.ID] = owner
					}
					mu.Unlock()
					if err != nil || !ok {
						return
					}
					if err := x.s.FinishRegistration(x.ctx, store.FinishParams{ID: job.ID, Owner: owner, Status: store.VersionDraft, Now: at(1000)}); err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						return
					}
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			x.t.Fatalf("concurrent workers: %v", errs)
		}
		if len(got) != jobs {
			x.t.Fatalf("leased %d jobs, want %d", len(got), jobs)
		}
		for _, v := range x.versions(k, nil) {
			if v.Status != store.VersionDraft {
				x.t.Fatalf("%d.%d is %s after the workers finished", v.Major, v.Minor, v.Status)
			}
		}
	})
}

// registrationJob is the key of v's registration job.
func registrationJob(v store.TemplateVersion) store.JobKey {
	return store.JobKey{Region: v.Region, Kind: store.JobRegistration, ID: v.ID}
}

type leasedTwice struct{ id, a, b string }

func (e leasedTwice) Error() string { return "job " + e.id + " leased by " + e.a + " and " + e.b }

func errLeasedTwice(id, a, b string) error { return leasedTwice{id, a, b} }
