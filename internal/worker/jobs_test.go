package worker

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// fakeJobs is a store.Jobs holding one job, which records what the runner
// asks of it.
type fakeJobs struct {
	mu       sync.Mutex
	job      store.Job
	leased   bool
	kinds    []store.JobKind
	renewals []time.Time // the expiries asked for
	// renew, when set, answers each renewal instead of extending the lease.
	renew    func(n int) (cancelRequested bool, err error)
	released []string // owners
	retried  []time.Time
}

func newFakeJobs(attempts int) *fakeJobs {
	return &fakeJobs{job: store.Job{JobKey: store.JobKey{Region: "us-east-1", Kind: store.JobDeployment, ID: "d1"},
		Account: "111111111111", Attempts: attempts - 1}}
}

func (f *fakeJobs) LeaseJob(_ context.Context, p store.LeaseJobParams) (store.Job, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kinds = p.Kinds
	if f.leased || !slices.Contains(p.Kinds, f.job.Kind) {
		return store.Job{}, false, nil
	}
	f.leased = true
	f.job.LeaseOwner, f.job.LeaseExpiresAt = p.Owner, p.Until
	f.job.Attempts++
	return f.job, true, nil
}

func (f *fakeJobs) RenewJob(_ context.Context, k store.JobKey, owner string, until time.Time) (store.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renewals = append(f.renewals, until)
	if f.renew != nil {
		cancel, err := f.renew(len(f.renewals))
		if err != nil {
			return store.Job{}, err
		}
		f.job.CancelRequested = f.job.CancelRequested || cancel
	}
	if k != f.job.JobKey || owner != f.job.LeaseOwner {
		return store.Job{}, store.ErrLeaseLost
	}
	f.job.LeaseExpiresAt = until
	return f.job, nil
}

func (f *fakeJobs) ReleaseJob(_ context.Context, _ store.JobKey, owner string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released = append(f.released, owner)
	return nil
}

func (f *fakeJobs) RetryJob(_ context.Context, _ store.JobKey, _ string, dueAt time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retried = append(f.retried, dueAt)
	return nil
}

func (f *fakeJobs) renewed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.renewals)
}

// fakeHandler runs run for each job and records abandons.
type fakeHandler struct {
	run       func(ctx context.Context, job store.Job) error
	mu        sync.Mutex
	ran       int
	abandoned []int // the attempts Abandon was given
}

func (h *fakeHandler) Run(ctx context.Context, job store.Job) error {
	h.mu.Lock()
	h.ran++
	h.mu.Unlock()
	return h.run(ctx, job)
}

func (h *fakeHandler) Abandon(_ context.Context, _ store.Job, attempts int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.abandoned = append(h.abandoned, attempts)
	return nil
}

const testLease = 90 * time.Millisecond

func newTestRunner(jobs store.Jobs, h Handler) *Runner {
	return NewRunner(jobs, map[store.JobKind]Handler{store.JobDeployment: h}, RunnerOptions{Owner: "me", Lease: testLease, MaxAttempts: 3})
}

// step runs one Step, which must find the job.
func step(t *testing.T, ctx context.Context, r *Runner) {
	t.Helper()
	if found, err := r.Step(ctx); !found || err != nil {
		t.Fatalf("Step: found %v, err %v", found, err)
	}
}

func TestRunnerRenewsTheLeaseFromTheStartUntilTheHandlerReturns(t *testing.T) {
	jobs := newFakeJobs(1)
	var atStart int
	h := &fakeHandler{run: func(ctx context.Context, _ store.Job) error {
		waitFor(t, func() bool { return jobs.renewed() >= 1 })
		atStart = jobs.renewed()
		time.Sleep(4 * testLease)
		return nil
	}}
	r := newTestRunner(jobs, h)
	before := time.Now()
	step(t, t.Context(), r)
	n := jobs.renewed()
	if atStart < 1 || n < 4 {
		t.Fatalf("renewals: %d when the handler started, %d in all over four leases; want one at once and one every third of the lease", atStart, n)
	}
	for _, until := range jobs.renewals {
		if until.Before(before.Add(testLease)) {
			t.Fatalf("a renewal asked for %v, less than a lease from the start", until)
		}
	}
	if !slices.Equal(jobs.kinds, []store.JobKind{store.JobDeployment}) {
		t.Fatalf("leased kinds %v, want the handlers' kinds only", jobs.kinds)
	}
	time.Sleep(testLease)
	if jobs.renewed() != n || len(jobs.released) != 0 || len(jobs.retried) != 0 {
		t.Fatalf("after the handler returned: %d more renewals, releases %v, retries %v", jobs.renewed()-n, jobs.released, jobs.retried)
	}
}

func TestRunnerTellsTheHandlerOfACancelAndKeepsTheLease(t *testing.T) {
	jobs := newFakeJobs(1)
	jobs.renew = func(n int) (bool, error) { return n >= 2, nil }
	var cause error
	var renewalsAtCancel int
	h := &fakeHandler{run: func(ctx context.Context, _ store.Job) error {
		<-ctx.Done()
		cause, renewalsAtCancel = context.Cause(ctx), jobs.renewed()
		// Stopping safely takes a while; the lease must hold meanwhile.
		time.Sleep(3 * testLease)
		return nil
	}}
	step(t, t.Context(), newTestRunner(jobs, h))
	if !errors.Is(cause, ErrCancelRequested) {
		t.Fatalf("the handler's context ended with %v, want ErrCancelRequested", cause)
	}
	if n := jobs.renewed(); n < renewalsAtCancel+2 {
		t.Fatalf("%d renewals while the handler stopped after the cancel (%d before), want the lease kept", n-renewalsAtCancel, renewalsAtCancel)
	}
}

func TestRunnerStopsTheHandlerWhenTheLeaseIsLost(t *testing.T) {
	jobs := newFakeJobs(1)
	jobs.renew = func(n int) (bool, error) {
		if n >= 2 {
			return false, store.ErrLeaseLost
		}
		return false, nil
	}
	var cause error
	h := &fakeHandler{run: func(ctx context.Context, _ store.Job) error {
		<-ctx.Done()
		cause = context.Cause(ctx)
		return cause
	}}
	step(t, t.Context(), newTestRunner(jobs, h))
	if !errors.Is(cause, ErrLeaseLost) {
		t.Fatalf("the handler's context ended with %v, want ErrLeaseLost", cause)
	}
	if n := jobs.renewed(); n != 2 || len(jobs.released) != 0 || len(jobs.retried) != 0 {
		t.Fatalf("after the lease was lost: %d renewals, releases %v, retries %v; want no more calls for the job", n, jobs.released, jobs.retried)
	}
}

func TestRunnerKeepsRunningWhenARenewalFails(t *testing.T) {
	jobs := newFakeJobs(1)
	jobs.renew = func(int) (bool, error) { return false, errors.New("store unavailable") }
	h := &fakeHandler{run: func(ctx context.Context, _ store.Job) error {
		time.Sleep(2 * testLease)
		return ctx.Err()
	}}
	step(t, t.Context(), newTestRunner(jobs, h))
	if jobs.renewed() < 2 {
		t.Fatalf("%d renewals, want the runner to keep trying", jobs.renewed())
	}
}

func TestRunnerReleasesTheJobOnShutdown(t *testing.T) {
	jobs := newFakeJobs(1)
	ctx, cancel := context.WithCancel(t.Context())
	h := &fakeHandler{run: func(runCtx context.Context, _ store.Job) error {
		cancel()
		<-runCtx.Done()
		return runCtx.Err()
	}}
	step(t, ctx, newTestRunner(jobs, h))
	if !slices.Equal(jobs.released, []string{"me"}) || len(jobs.retried) != 0 {
		t.Fatalf("after a shutdown: releases %v, retries %v; want the job handed back once", jobs.released, jobs.retried)
	}
}

func TestRunnerRetriesWhenTheHandlerAsks(t *testing.T) {
	jobs := newFakeJobs(1)
	at := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	h := &fakeHandler{run: func(context.Context, store.Job) error {
		return &RetryError{At: at, Reason: errors.New("bundle not there yet")}
	}}
	step(t, t.Context(), newTestRunner(jobs, h))
	if !slices.Equal(jobs.retried, []time.Time{at}) || len(jobs.released) != 0 {
		t.Fatalf("retries %v, releases %v; want one retry at %v", jobs.retried, jobs.released, at)
	}
}

func TestRunnerAbandonsAJobPastItsAttempts(t *testing.T) {
	for _, c := range []struct {
		attempts int
		ran      int
		abandon  []int
	}{{3, 1, nil}, {4, 0, []int{3}}} {
		jobs := newFakeJobs(c.attempts)
		h := &fakeHandler{run: func(context.Context, store.Job) error { return nil }}
		step(t, t.Context(), newTestRunner(jobs, h))
		if h.ran != c.ran || !slices.Equal(h.abandoned, c.abandon) {
			t.Errorf("attempt %d of at most 3: ran %d times, abandoned %v; want %d, %v", c.attempts, h.ran, h.abandoned, c.ran, c.abandon)
		}
	}
}

func TestRunnerInterruptStopsTheRunAtOnce(t *testing.T) {
	jobs := newFakeJobs(1)
	started := make(chan struct{})
	var cause error
	h := &fakeHandler{run: func(ctx context.Context, _ store.Job) error {
		close(started)
		<-ctx.Done()
		cause = context.Cause(ctx)
		return nil
	}}
	r := NewRunner(jobs, map[store.JobKind]Handler{store.JobDeployment: h}, RunnerOptions{Owner: "me", Lease: time.Hour})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if found, err := r.Step(t.Context()); !found || err != nil {
			t.Errorf("Step: found %v, err %v", found, err)
		}
	}()
	<-started
	r.Interrupt(store.JobKey{Region: "us-east-1", Kind: store.JobDeployment, ID: "other"}, ErrCancelRequested)
	r.Interrupt(jobs.job.JobKey, ErrCancelRequested)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the interrupted run went on")
	}
	if !errors.Is(cause, ErrCancelRequested) {
		t.Fatalf("the handler's context ended with %v, want ErrCancelRequested", cause)
	}
}

func TestRunnerHandsBackAtOnceACancelledRunThatCouldNotEnd(t *testing.T) {
	jobs := newFakeJobs(1)
	started := make(chan struct{})
	h := &fakeHandler{run: func(ctx context.Context, _ store.Job) error {
		close(started)
		<-ctx.Done()
		// A read the run needed was cut short: the job is not ended.
		return ctx.Err()
	}}
	r := NewRunner(jobs, map[store.JobKind]Handler{store.JobDeployment: h}, RunnerOptions{Owner: "me", Lease: time.Hour})
	done := make(chan struct{})
	before := time.Now()
	go func() {
		defer close(done)
		if found, err := r.Step(t.Context()); !found || err != nil {
			t.Errorf("Step: found %v, err %v", found, err)
		}
	}()
	<-started
	r.Interrupt(jobs.job.JobKey, ErrCancelRequested)
	<-done
	if len(jobs.retried) != 1 || jobs.retried[0].After(time.Now()) || jobs.retried[0].Before(before) || len(jobs.released) != 0 {
		t.Fatalf("retries %v, releases %v; want the job handed back once, due at once", jobs.retried, jobs.released)
	}
}
