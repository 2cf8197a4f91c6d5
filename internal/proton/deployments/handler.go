package deployments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/provision"
	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/worker"
)

// Target is what a target type plugs into the Handler: what to run for a
// deployment, and what its success depends on.
type Target interface {
	// Prepare reads what carrying out d needs and renders its files. An
	// error fails the deployment with its message, but one made with
	// Unavailable leaves it to a later attempt.
	Prepare(ctx context.Context, d store.Deployment) (Run, error)
}

// Run is how a deployment is carried out.
type Run struct {
	// Request is what the engine runs.
	Request provision.Request
	// Result, when set, ends the deployment without the engine: Proton
	// provisions nothing for it (customer-managed infrastructure).
	Result *provision.Result
	// Connection, when set, is the environment account connection the run
	// provisions through: a success commits only while it exists, and the
	// deployment fails with ConnectionGone otherwise.
	Connection     string
	ConnectionGone error
}

// unavailable marks an error of Prepare that may pass.
type unavailable struct{ error }

func (u unavailable) Unwrap() error { return u.error }

// Unavailable marks err, a failure to read what a deployment needs that may
// pass (the store did not answer), so that the deployment is tried again
// once its lease runs out instead of failing.
func Unavailable(err error) error { return unavailable{err} }

// Handler carries out deployment jobs (store.JobDeployment): the
// worker.Handler of every target type.
type Handler struct {
	store      store.Deployments
	engine     provision.Engine
	targets    map[store.TargetType]Target
	log        *slog.Logger
	clock      func() time.Time
	maxOutputs int
}

var _ worker.Handler = (*Handler)(nil)

// HandlerOptions configure a Handler; zero fields take the defaults.
type HandlerOptions struct {
	Log *slog.Logger
	Now func() time.Time
	// MaxOutputs is the most outputs one deployment may hold, those its
	// run reported through notifications and those of its result together
	// (DefaultMaxOutputs when 0).
	MaxOutputs int
}

// NewHandler returns a Handler that deploys the targets with engine.
func NewHandler(s store.Deployments, engine provision.Engine, targets map[store.TargetType]Target, o HandlerOptions) *Handler {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxOutputs <= 0 {
		o.MaxOutputs = DefaultMaxOutputs
	}
	return &Handler{store: s, engine: engine, targets: targets, log: o.Log, clock: family.Clock(o.Now), maxOutputs: o.MaxOutputs}
}

// completeTimeout bounds writing the end of a deployment, which outlives a
// shutdown in progress: the result is known and should be kept.
const completeTimeout = 30 * time.Second

// Run implements worker.Handler.
func (h *Handler) Run(ctx context.Context, job store.Job) error {
	// A cancel asked for meanwhile must not cut this read short: it is
	// what tells the run to end the deployment as cancelled.
	rctx, cancel := worker.Detached(ctx, completeTimeout)
	defer cancel()
	d, err := h.store.GetDeployment(rctx, job.Region, job.ID)
	if err != nil {
		return fmt.Errorf("read deployment: %w", err)
	}
	log := h.log.With("deployment", d.ID, "target", string(d.TargetResourceType)+"/"+d.TargetKey,
		"account", d.Account, "region", d.Region, "attempt", job.Attempts)
	if d.Status == store.DeployCancelling {
		// Nothing of this deployment runs here: self-managed provisioning
		// has no pull request to close, a queued deployment never started,
		// and a run whose worker stopped died with it. (A worker still
		// running it holds the lease, so it is not leased here.)
		return h.complete(ctx, log, job, d, store.OutcomeCancelled, worker.ErrCancelRequested.Error(), provision.Result{})
	}
	t, ok := h.targets[d.TargetResourceType]
	if !ok {
		return h.complete(ctx, log, job, d, store.OutcomeFailed, fmt.Sprintf("This server cannot deploy %s targets.", d.TargetResourceType), provision.Result{})
	}
	run, err := t.Prepare(ctx, d)
	var res provision.Result
	switch {
	case err == nil && run.Result != nil:
		res = *run.Result
	case err == nil:
		res, err = h.engine.Run(ctx, run.Request)
	}
	var later unavailable
	switch {
	case err != nil && ctx.Err() != nil:
		cause := context.Cause(ctx)
		if errors.Is(cause, worker.ErrCancelRequested) {
			return h.complete(ctx, log, job, d, store.OutcomeCancelled, worker.ErrCancelRequested.Error(), provision.Result{})
		}
		// The lease was lost or the process stops: the runner hands the
		// job on.
		return cause
	case errors.As(err, &later):
		log.Warn("deployment could not start; it is retried when its lease expires", "error", err)
		return err
	case err != nil:
		return h.complete(ctx, log, job, d, store.OutcomeFailed, err.Error(), provision.Result{})
	}
	if err := h.checkOutputs(ctx, d, res.Outputs); err != nil {
		var over tooManyOutputs
		if !errors.As(err, &over) {
			return err
		}
		return h.complete(ctx, log, job, d, store.OutcomeFailed, over.Error(), provision.Result{})
	}
	p := h.params(job, d, store.OutcomeSucceeded, res.Message, res)
	p.Connection = run.Connection
	err = h.commit(ctx, log, d, p)
	if errors.Is(err, store.ErrConnectionUnusable) {
		// The environment account deleted the connection before the result
		// committed (the store checks it in the completing transaction, so
		// a delete cannot slip in between).
		gone := run.ConnectionGone
		if gone == nil {
			gone = fmt.Errorf("environment account connection %s was deleted", run.Connection)
		}
		return h.complete(ctx, log, job, d, store.OutcomeFailed, gone.Error(), provision.Result{})
	}
	return err
}

// tooManyOutputs is the failure of a run whose outputs, with those its
// commands notified, are more than a deployment may hold.
type tooManyOutputs struct{ n, max int }

func (e tooManyOutputs) Error() string {
	return fmt.Sprintf("The deployment would hold %d outputs (those its commands notified and those of its result); at most %d are allowed.", e.n, e.max)
}

// checkOutputs returns tooManyOutputs when outs, merged by key with the
// outputs already recorded for d (a CodeBuild run's commands notify some
// while it runs, and no notification can add any once its run ended), are
// more than a deployment may hold.
func (h *Handler) checkOutputs(ctx context.Context, d store.Deployment, outs []provision.Output) error {
	if len(outs) == 0 {
		return nil
	}
	recorded, err := h.store.ListOutputs(ctx, d.Region, d.ID)
	if err != nil {
		return fmt.Errorf("read the outputs of deployment %s: %w", d.ID, err)
	}
	keys := make(map[string]bool, len(recorded)+len(outs))
	for _, o := range recorded {
		keys[o.Key] = true
	}
	for _, o := range outs {
		keys[o.Key] = true
	}
	if len(keys) > h.maxOutputs {
		return tooManyOutputs{n: len(keys), max: h.maxOutputs}
	}
	return nil
}

// Abandon implements worker.Handler: a deployment being cancelled ends
// CANCELLED, any other FAILED.
func (h *Handler) Abandon(ctx context.Context, job store.Job, attempts int) error {
	d, err := h.store.GetDeployment(ctx, job.Region, job.ID)
	if err != nil {
		return fmt.Errorf("read deployment: %w", err)
	}
	log := h.log.With("deployment", d.ID, "account", d.Account, "region", d.Region, "attempt", job.Attempts)
	if d.Status == store.DeployCancelling {
		return h.complete(ctx, log, job, d, store.OutcomeCancelled, worker.ErrCancelRequested.Error(), provision.Result{})
	}
	return h.complete(ctx, log, job, d, store.OutcomeFailed,
		fmt.Sprintf("The deployment was abandoned after %d attempts: the workers that ran it stopped before it ended.", attempts), provision.Result{})
}

// complete ends the deployment with outcome.
func (h *Handler) complete(ctx context.Context, log *slog.Logger, job store.Job, d store.Deployment, outcome store.Outcome, msg string, res provision.Result) error {
	return h.commit(ctx, log, d, h.params(job, d, outcome, msg, res))
}

// params are the store's input to end d with outcome, as job's holder.
func (h *Handler) params(job store.Job, d store.Deployment, outcome store.Outcome, msg string, res provision.Result) store.CompleteParams {
	p := store.CompleteParams{Region: d.Region, ID: d.ID, LeaseOwner: job.LeaseOwner, Outcome: outcome, Message: msg,
		Now: h.clock(), ARN: d.TargetArn}
	for _, o := range res.Outputs {
		p.Outputs = append(p.Outputs, store.Output{Key: o.Key, Value: o.Value})
	}
	for _, x := range res.Resources {
		p.Resources = append(p.Resources, store.ProvisionedResource{Name: x.Name, Identifier: x.Identifier, Engine: x.Engine})
	}
	return p
}

// commit writes the end of a deployment. A refused connection is left to
// the caller; an end written elsewhere first is no failure of this run.
func (h *Handler) commit(ctx context.Context, log *slog.Logger, d store.Deployment, p store.CompleteParams) error {
	cctx, cancel := worker.Detached(ctx, completeTimeout)
	defer cancel()
	out, err := h.store.CompleteDeployment(cctx, p)
	switch {
	case errors.Is(err, store.ErrConnectionUnusable):
		return err
	case errors.Is(err, store.ErrLeaseLost), errors.Is(err, store.ErrConditionFailed):
		log.Warn("deployment ended elsewhere before this worker could complete it", "error", err)
		return nil
	case err != nil:
		// The lease runs out and another attempt follows.
		return fmt.Errorf("complete deployment: %w", err)
	}
	log.Info("deployment ended", "status", string(out.Status), "engine", h.engine.Name(), "mode", string(d.Mode))
	return nil
}
