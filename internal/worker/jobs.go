package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// Causes with which a job's context ends while its handler runs.
var (
	// ErrCancelRequested: a user asked to cancel the work.
	ErrCancelRequested = errors.New("User initiated cancellation.")
	// ErrLeaseLost: the job's lease ran out and another worker took it
	// over, or the job is gone.
	ErrLeaseLost = errors.New("the job's lease was lost")
)

// RetryError asks the runner to hand a job back until At: the attempt
// failed for a reason that may pass (a bundle that cannot be fetched yet).
type RetryError struct {
	At     time.Time
	Reason error
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("retry at %s: %v", e.At.Format(time.RFC3339), e.Reason)
}
func (e *RetryError) Unwrap() error { return e.Reason }

// Handler carries out the jobs of one kind: the family's "what to do and
// how to finish", the runner doing the rest.
type Handler interface {
	// Run carries out a leased job and ends it through its family's store
	// call, which deletes the job in the transaction of its effect if the
	// lease is still this worker's. ctx ends with cause ErrCancelRequested
	// when a user asks to cancel the work, ErrLeaseLost when the job was
	// taken over, or the end of the process; Run then returns as soon as it
	// safely can. Run returns nil when the job ended (here or elsewhere), a
	// *RetryError to run it again later, or another error, which leaves the
	// job to a later attempt once its lease runs out.
	Run(ctx context.Context, job store.Job) error
	// Abandon ends a job that has been leased more than the runner's
	// attempts allow without ending (its workers stopped while they held
	// it), recording the failure its family shows.
	Abandon(ctx context.Context, job store.Job, attempts int) error
}

// Defaults of a Runner.
const (
	DefaultLease       = 30 * time.Second
	DefaultMaxAttempts = 5
)

// Runner is the one lease protocol of the job queue on the worker's side:
// it leases a due job of its kinds, renews the lease while the job's handler
// runs (and tells the handler of a cancel or a lost lease), hands the job
// back on shutdown or for a retry, and abandons a job that keeps being
// leased without ending.
type Runner struct {
	jobs        store.Jobs
	handlers    map[store.JobKind]Handler
	kinds       []store.JobKind
	owner       string
	lease       time.Duration
	maxAttempts int
	log         *slog.Logger
	now         func() time.Time

	mu      sync.Mutex
	running map[store.JobKey]context.CancelCauseFunc
}

// RunnerOptions configure a Runner; zero fields take the defaults.
type RunnerOptions struct {
	Owner       string        // identity of this process's leases (NewOwnerID)
	Lease       time.Duration // how long a lease lasts without renewal
	MaxAttempts int           // leases of one job before it is abandoned
	Log         *slog.Logger
	Now         func() time.Time // the store's clock (family.Clock)
}

// NewRunner returns a Runner of the jobs whose kinds handlers has.
func NewRunner(jobs store.Jobs, handlers map[store.JobKind]Handler, o RunnerOptions) *Runner {
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Runner{jobs: jobs, handlers: handlers, owner: o.Owner, lease: o.Lease, maxAttempts: o.MaxAttempts,
		log: o.Log, now: o.Now, running: map[store.JobKey]context.CancelCauseFunc{}}
	for k := range handlers {
		r.kinds = append(r.kinds, k)
	}
	return r
}

// Owner is the identity of this runner's leases.
func (r *Runner) Owner() string { return r.owner }

// Interrupt stops this process's run of job k at once with cause; a run in
// another process notices at its next renewal.
func (r *Runner) Interrupt(k store.JobKey, cause error) {
	r.mu.Lock()
	cancel := r.running[k]
	r.mu.Unlock()
	if cancel != nil {
		cancel(cause)
	}
}

// Step leases one due job and carries it out; it reports whether it found
// one (a Step of a Loop).
func (r *Runner) Step(ctx context.Context) (bool, error) {
	now := r.now()
	job, ok, err := r.jobs.LeaseJob(ctx, store.LeaseJobParams{Owner: r.owner, Until: now.Add(r.lease), Now: now, Kinds: r.kinds})
	if err != nil || !ok {
		return false, err
	}
	r.run(ctx, job)
	return true, nil
}

// run carries out one leased job.
func (r *Runner) run(ctx context.Context, job store.Job) {
	log := r.log.With("job", string(job.Kind), "id", job.ID, "account", job.Account, "region", job.Region, "attempt", job.Attempts)
	h := r.handlers[job.Kind]
	if job.Attempts > r.maxAttempts {
		if err := h.Abandon(ctx, job, r.maxAttempts); err != nil && !errors.Is(err, store.ErrLeaseLost) {
			log.Error("abandoning a job failed", "error", err)
		}
		return
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r.mu.Lock()
	r.running[job.JobKey] = cancel
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.running, job.JobKey)
		r.mu.Unlock()
	}()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { r.heartbeat(ctx, cancel, job, stop) })
	err := h.Run(runCtx, job)
	close(stop)
	wg.Wait()

	var retry *RetryError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		// Shutdown: another worker (or this one after a restart) takes the
		// job over at once.
		r.release(ctx, log, job)
	case errors.As(err, &retry):
		if err := r.jobs.RetryJob(ctx, job.JobKey, r.owner, retry.At); err != nil && !errors.Is(err, store.ErrLeaseLost) {
			log.Warn("handing a job back for a retry failed; it resumes when its lease expires", "error", err)
		}
		log.Warn("job will be retried", "retry_at", retry.At, "reason", retry.Reason)
	case errors.Is(err, ErrLeaseLost), errors.Is(err, store.ErrLeaseLost):
		log.Warn("job taken over by another worker")
	case errors.Is(context.Cause(runCtx), ErrCancelRequested):
		// The cancel cut the run short before it could end the job (a read
		// it needed was interrupted): hand the job back at once, so that
		// the next lease ends it as cancelled, instead of leaving it until
		// its lease runs out.
		if err := r.jobs.RetryJob(ctx, job.JobKey, r.owner, r.now()); err != nil && !errors.Is(err, store.ErrLeaseLost) {
			log.Warn("handing a cancelled job back failed; it ends when its lease expires", "error", err)
		}
		log.Warn("cancelled job handed back to end it", "reason", err)
	default:
		log.Warn("job could not finish; it is retried when its lease expires", "error", err)
	}
}

// heartbeat renews the lease at once and then every third of its length
// until stop closes, and ends the run when the lease is lost or a cancel
// was asked. The first renewal comes after the run became interruptible, so
// a cancel that committed between the lease and then is seen at once. A run
// told to cancel keeps its lease while it stops (ctx is the runner's, which
// the cancel leaves alone): stopping safely may take a while, and another
// worker must not take the job over meanwhile.
func (r *Runner) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, job store.Job, stop <-chan struct{}) {
	t := time.NewTicker(r.lease / 3)
	defer t.Stop()
	for first := true; ; first = false {
		if !first {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
		cur, err := r.jobs.RenewJob(ctx, job.JobKey, r.owner, r.now().Add(r.lease))
		switch {
		case errors.Is(err, store.ErrLeaseLost):
			cancel(ErrLeaseLost)
			return
		case err != nil:
			// The store is unavailable: keep running; the lease may still
			// hold at the next renewal.
			r.log.Warn("renewing a job's lease failed", "job", string(job.Kind), "id", job.ID, "error", err)
		case cur.CancelRequested:
			cancel(ErrCancelRequested)
		}
	}
}

// release gives the lease back without counting the attempt.
func (r *Runner) release(ctx context.Context, log *slog.Logger, job store.Job) {
	cctx, cancel := Detached(ctx, ReleaseTimeout)
	defer cancel()
	if err := r.jobs.ReleaseJob(cctx, job.JobKey, r.owner); err != nil {
		log.Warn("releasing a job's lease failed; it expires instead", "error", err)
	}
}
