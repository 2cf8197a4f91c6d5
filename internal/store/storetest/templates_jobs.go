package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

func (x *tsuite) lease(owner string, now time.Time) (store.Registration, bool) {
	x.t.Helper()
	job, ok, err := x.s.LeaseRegistration(x.ctx, owner, now, time.Minute)
	if err != nil {
		x.t.Fatalf("LeaseRegistration: %v", err)
	}
	return job, ok
}

func (x *tsuite) wantLease(owner string, now time.Time, want store.TemplateVersion, attempts int) store.Registration {
	x.t.Helper()
	job, ok := x.lease(owner, now)
	if !ok {
		x.t.Fatalf("LeaseRegistration at %v: no job, want %d.%d", now, want.Major, want.Minor)
	}
	if job.Version.ID != want.ID || job.Attempts != attempts {
		x.t.Fatalf("LeaseRegistration: %s %d.%d attempt %d, want %d.%d attempt %d",
			job.Version.Name, job.Version.Major, job.Version.Minor, job.Attempts, want.Major, want.Minor, attempts)
	}
	return job
}

func (x *tsuite) wantNoLease(owner string, now time.Time) {
	x.t.Helper()
	if job, ok := x.lease(owner, now); ok {
		x.t.Fatalf("LeaseRegistration at %v leased %s %d.%d, want none", now, job.Version.Name, job.Version.Major, job.Version.Minor)
	}
}

func testRegistration(t *testing.T, h TemplatesHarness) {
	runT(t, h, "LeaseFinishDraft", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k, func(t *store.Template) { t.Provisioning = "CUSTOMER_MANAGED" })
		v := x.addVersion(k, nil, 1, 0)
		x.wantNoLease("a", v.CreatedAt.Add(-time.Millisecond))
		job := x.wantLease("a", v.CreatedAt, v, 1)
		if job.Provisioning != "CUSTOMER_MANAGED" || job.Version.SourceKey != v.SourceKey {
			x.t.Fatalf("job = %+v", job)
		}
		// Leased: nobody else takes it until the lease runs out.
		x.wantNoLease("b", v.CreatedAt.Add(59*time.Second))
		err := x.s.FinishRegistration(x.ctx, store.FinishParams{ID: v.ID, Owner: "b", Status: store.VersionDraft, Now: at(100)})
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
		err := x.s.RetryRegistration(x.ctx, v.ID, "b", at(1005))
		wantErrT(x.t, "RetryRegistration by another owner", err, store.ErrConditionFailed)
		if err := x.s.RetryRegistration(x.ctx, v.ID, "a", at(1005)); err != nil {
			x.t.Fatal(err)
		}
		x.wantNoLease("b", at(1005).Add(-time.Millisecond))
		x.wantLease("b", at(1005), v, 2)
	})

	runT(t, h, "DueOrderAndMinorsInOrder", func(x *tsuite) {
		a, b := envKey("a"), svcKey("b")
		x.addTemplate(a)
		x.addTemplate(b)
		a10 := x.addVersion(a, nil, 1, 0)
		a11 := x.addVersion(a, ptr64(1), 1, 1)
		b10 := x.addVersion(b, nil, 1, 0)
		a20 := x.addVersion(a, nil, 2, 0)
		now := at(1000)
		x.wantLease("w", now, a10, 1)
		// 1.1 waits for 1.0; the others go in due order.
		x.wantLease("w", now, b10, 1)
		x.wantLease("w", now, a20, 1)
		x.wantNoLease("w", now)
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
		err = x.s.RetryRegistration(x.ctx, v.ID, "a", at(1001))
		wantErrT(x.t, "RetryRegistration of a deleted version", err, store.ErrConditionFailed)
		x.wantNoLease("a", at(100_000))
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
					job, ok, err := x.s.LeaseRegistration(x.ctx, owner, at(1000), time.Minute)
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					} else if ok {
						if prev, dup := got[job.Version.ID]; dup {
							errs = append(errs, errLeasedTwice(job.Version.ID, prev, owner))
						}
						got[job.Version.ID] = owner
					}
					mu.Unlock()
					if err != nil || !ok {
						return
					}
					if err := x.s.FinishRegistration(x.ctx, store.FinishParams{ID: job.Version.ID, Owner: owner, Status: store.VersionDraft, Now: at(1000)}); err != nil {
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

type leasedTwice struct{ id, a, b string }

func (e leasedTwice) Error() string { return "job " + e.id + " leased by " + e.a + " and " + e.b }

func errLeasedTwice(id, a, b string) error { return leasedTwice{id, a, b} }
