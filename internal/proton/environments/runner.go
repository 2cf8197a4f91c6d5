package environments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/provision"
	"github.com/openproton/openproton/internal/render"
	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/worker"
)

// Defaults of the deployment workers.
const (
	DefaultLease       = 30 * time.Second
	DefaultMaxAttempts = 5
)

// errLeaseLost is the cause of a run stopped because another worker took
// its deployment over.
var errLeaseLost = errors.New("the deployment's lease was lost")

// Runner carries out queued deployments: it leases one, runs the engine
// while renewing the lease, and completes it.
type Runner struct {
	store       Store
	templates   Templates
	engine      provision.Engine
	renderer    render.Renderer
	owner       string
	lease       time.Duration
	maxAttempts int
	log         *slog.Logger
	clock       func() time.Time // see family.Clock

	mu      sync.Mutex
	running map[string]context.CancelCauseFunc
}

// RunnerOptions configure a Runner; zero fields take the defaults.
type RunnerOptions struct {
	Owner       string        // identity of this process's leases
	Lease       time.Duration // how long a lease lasts without renewal
	MaxAttempts int           // leases of one deployment before it fails
	Log         *slog.Logger
	Now         func() time.Time
	// Renderer renders the Jinja files of deployments; nil renders them
	// in rendering processes with the default limits.
	Renderer render.Renderer
}

// NewRunner returns a Runner that deploys with engine.
func NewRunner(s Store, t Templates, engine provision.Engine, o RunnerOptions) *Runner {
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Renderer == nil {
		o.Renderer = render.NewIsolated(render.Limits{})
	}
	return &Runner{store: s, templates: t, engine: engine, renderer: o.Renderer, owner: o.Owner, lease: o.Lease,
		maxAttempts: o.MaxAttempts, log: o.Log, clock: family.Clock(o.Now), running: map[string]context.CancelCauseFunc{}}
}

// Interrupt stops this process's run of a deployment that was asked to
// cancel; other processes notice at their next lease renewal.
func (r *Runner) Interrupt(id string) {
	r.mu.Lock()
	cancel := r.running[id]
	r.mu.Unlock()
	if cancel != nil {
		cancel(provision.ErrCancelled)
	}
}

// Step leases one queued deployment and carries it out; it reports whether
// it found one (a worker.Step).
func (r *Runner) Step(ctx context.Context) (bool, error) {
	now := r.clock()
	d, ok, err := r.store.LeaseDeployment(ctx, store.LeaseParams{Owner: r.owner, Until: now.Add(r.lease), Now: now})
	if err != nil || !ok {
		return false, err
	}
	r.run(ctx, d)
	return true, nil
}

// run carries out a leased deployment and completes it.
func (r *Runner) run(ctx context.Context, d store.Deployment) {
	log := r.log.With("deployment", d.ID, "environment", d.EnvironmentName, "account", d.Account, "region", d.Region)
	switch {
	case d.Status == store.DeployCancelling:
		// Nothing of this deployment runs here: self-managed provisioning
		// has no pull request to close, a queued deployment never started,
		// and a run whose worker stopped died with it. (A worker still
		// running it holds the lease, so it is not leased here.)
		r.complete(ctx, log, d, store.OutcomeCancelled, provision.ErrCancelled.Error(), provision.Result{})
		return
	case d.Attempts > r.maxAttempts:
		r.complete(ctx, log, d, store.OutcomeFailed,
			fmt.Sprintf("The deployment was abandoned after %d attempts: the workers that ran it stopped before it ended.", r.maxAttempts), provision.Result{})
		return
	}
	e, err := r.store.GetEnvironment(ctx, d.Account, d.Region, d.EnvironmentName)
	if err != nil {
		r.retryLater(ctx, log, d, fmt.Errorf("read environment: %w", err))
		return
	}
	var res provision.Result
	if d.Mode == store.ModeCustomerManaged {
		res, err = customerManagedOutputs(d)
	} else {
		res, err = r.runEngine(ctx, log, d, e)
	}
	var cause error
	switch {
	case errors.Is(err, errLeaseLost):
		log.Warn("deployment taken over by another worker")
		return
	case err != nil && ctx.Err() != nil:
		// Shutdown: another worker (or this one after a restart) takes the
		// deployment over at once.
		r.release(ctx, log, d)
		return
	case errors.Is(err, provision.ErrCancelled):
		r.complete(ctx, log, d, store.OutcomeCancelled, provision.ErrCancelled.Error(), provision.Result{})
		return
	case err != nil:
		cause = err
	}
	if cause != nil {
		r.complete(ctx, log, d, store.OutcomeFailed, cause.Error(), provision.Result{})
		return
	}
	r.succeed(ctx, log, d, e, res)
}

// succeed completes a run that succeeded. A run through an environment
// account connection provisioned with the connection's role; if the
// environment account deleted the connection before the result commits,
// the deployment fails instead, saying so (the store checks it in the
// completing transaction, so a delete cannot slip in between).
func (r *Runner) succeed(ctx context.Context, log *slog.Logger, d store.Deployment, e store.Environment, res provision.Result) {
	p := r.params(d, store.OutcomeSucceeded, res.Message, res)
	if d.Mode == store.ModeManaged {
		p.Connection = e.EnvironmentAccountConnectionID
	}
	if errors.Is(r.commit(ctx, log, d, p), store.ErrConnectionUnusable) {
		r.complete(ctx, log, d, store.OutcomeFailed, errConnectionDeleted(e).Error(), provision.Result{})
	}
}

// errConnectionDeleted is why a deployment of e cannot go on: the
// environment account deleted e's connection.
func errConnectionDeleted(e store.Environment) error {
	return fmt.Errorf("environment account connection %s was deleted; switch the environment to a new connection of environment account %s",
		e.EnvironmentAccountConnectionID, e.EnvironmentAccountID)
}

// runEngine builds the request and runs the engine, renewing the lease and
// watching for a cancellation while it runs.
func (r *Runner) runEngine(ctx context.Context, log *slog.Logger, d store.Deployment, e store.Environment) (provision.Result, error) {
	req, err := r.request(ctx, d, e)
	if err != nil {
		if ctx.Err() != nil {
			return provision.Result{}, ctx.Err()
		}
		return provision.Result{}, err
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r.mu.Lock()
	r.running[d.ID] = cancel
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.running, d.ID)
		r.mu.Unlock()
	}()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.heartbeat(runCtx, cancel, d, stop)
	}()
	res, err := r.engine.Run(runCtx, req)
	close(stop)
	wg.Wait()
	if err == nil {
		return res, nil
	}
	if cause := context.Cause(runCtx); cause != nil && runCtx.Err() != nil {
		if errors.Is(cause, provision.ErrCancelled) || errors.Is(cause, errLeaseLost) {
			return provision.Result{}, cause
		}
		if ctx.Err() != nil {
			return provision.Result{}, ctx.Err()
		}
	}
	return provision.Result{}, err
}

// heartbeat renews the lease at once and then every third of its length
// until stop closes, and cancels the run when the lease is lost or a cancel
// was asked. The first renewal reads the status after the run became
// interruptible: a cancel that committed between the lease and then found
// no run to interrupt, and is seen here.
func (r *Runner) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, d store.Deployment, stop <-chan struct{}) {
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
		cur, err := r.store.RenewLease(ctx, d.Region, d.ID, r.owner, r.clock().Add(r.lease))
		switch {
		case errors.Is(err, store.ErrLeaseLost):
			cancel(errLeaseLost)
			return
		case err != nil:
			// The store is unavailable: keep running; the lease may still
			// hold at the next renewal.
			r.log.Warn("renewing a deployment lease failed", "deployment", d.ID, "error", err)
		case cur.Status == store.DeployCancelling:
			cancel(provision.ErrCancelled)
		}
	}
}

// complete ends the deployment with outcome.
func (r *Runner) complete(ctx context.Context, log *slog.Logger, d store.Deployment, outcome store.Outcome, msg string, res provision.Result) {
	_ = r.commit(ctx, log, d, r.params(d, outcome, msg, res))
}

// params are the store's input to end d with outcome.
func (r *Runner) params(d store.Deployment, outcome store.Outcome, msg string, res provision.Result) store.CompleteParams {
	p := store.CompleteParams{Region: d.Region, ID: d.ID, LeaseOwner: r.owner, Outcome: outcome, Message: msg,
		Now: r.clock(), ARN: d.TargetArn}
	for _, o := range res.Outputs {
		p.Outputs = append(p.Outputs, store.Output{Key: o.Key, Value: o.Value})
	}
	for _, x := range res.Resources {
		p.Resources = append(p.Resources, store.ProvisionedResource{Name: x.Name, Identifier: x.Identifier, Engine: x.Engine})
	}
	return p
}

// commit writes the end of a deployment and returns the store's error (a
// refused connection is left to the caller). It uses a context that
// outlives a shutdown in progress: the result is known and should be kept.
func (r *Runner) commit(ctx context.Context, log *slog.Logger, d store.Deployment, p store.CompleteParams) error {
	cctx, cancel := worker.Detached(ctx, 30*time.Second)
	defer cancel()
	out, err := r.store.CompleteDeployment(cctx, p)
	switch {
	case errors.Is(err, store.ErrConnectionUnusable):
	case errors.Is(err, store.ErrLeaseLost), errors.Is(err, store.ErrConditionFailed):
		log.Warn("deployment ended elsewhere before this worker could complete it", "error", err)
	case err != nil:
		// The lease runs out and another attempt follows.
		log.Error("completing a deployment failed", "error", err)
	default:
		log.Info("deployment ended", "status", string(out.Status), "engine", r.engine.Name(), "mode", string(d.Mode))
	}
	return err
}

// release gives the lease back without counting the attempt.
func (r *Runner) release(ctx context.Context, log *slog.Logger, d store.Deployment) {
	cctx, cancel := worker.Detached(ctx, worker.ReleaseTimeout)
	defer cancel()
	if err := r.store.ReleaseLease(cctx, d.Region, d.ID, r.owner); err != nil {
		log.Warn("releasing a deployment lease failed; it expires instead", "error", err)
	}
}

// retryLater leaves a deployment whose run could not start to a later
// attempt: its lease expires and another worker (or this one) takes it
// over; attempts are counted.
func (r *Runner) retryLater(ctx context.Context, log *slog.Logger, d store.Deployment, err error) {
	if ctx.Err() != nil {
		r.release(ctx, log, d)
		return
	}
	log.Warn("deployment could not start; it is retried when its lease expires", "error", err)
}
