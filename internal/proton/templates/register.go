package templates

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/openproton/openproton/internal/bundle"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/worker"
)

// Defaults of the registration worker.
const (
	DefaultLease       = 30 * time.Second
	DefaultMaxAttempts = 6
	// maxRetryDelay bounds the wait between attempts to fetch a bundle.
	maxRetryDelay = time.Minute
)

// Registrar carries out registration jobs (a worker.Handler): it fetches a
// version's bundle, checks it and finishes the version as DRAFT or
// REGISTRATION_FAILED. Runner gives the worker.Runner that leases its jobs.
type Registrar struct {
	store       Store
	source      bundle.Source
	owner       string
	lease       time.Duration
	maxAttempts int
	delay       time.Duration
	clock       func() time.Time // see family.Clock
	log         *slog.Logger
}

var _ worker.Handler = (*Registrar)(nil)

// RegistrarOptions configure a Registrar; zero fields take the defaults.
type RegistrarOptions struct {
	Owner       string        // the lease owner: unique per process
	Lease       time.Duration // how long a job is held before another process may take it over
	MaxAttempts int           // leases of one job before it fails for good
	// Delay holds every job this long after leasing it, before fetching the
	// bundle. Only tests set it, to stop a server while a job is leased.
	Delay time.Duration
	Now   func() time.Time
	Log   *slog.Logger
}

// NewRegistrar returns a Registrar that fetches bundles from src.
func NewRegistrar(s Store, src bundle.Source, o RegistrarOptions) *Registrar {
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Registrar{store: s, source: src, owner: o.Owner, lease: o.Lease, maxAttempts: o.MaxAttempts,
		delay: o.Delay, clock: family.Clock(o.Now), log: o.Log}
}

// Runner returns the runner of registration jobs from jobs, with this
// Registrar's owner, lease, attempts and clock; its Step is meant for a
// worker.Loop.
func (r *Registrar) Runner(jobs store.Jobs) *worker.Runner {
	return worker.NewRunner(jobs, map[store.JobKind]worker.Handler{store.JobRegistration: r}, worker.RunnerOptions{
		Owner: r.owner, Lease: r.lease, MaxAttempts: r.maxAttempts, Log: r.log, Now: r.clock,
	})
}

// outcome is how a job ends: finished (DRAFT or REGISTRATION_FAILED) or
// retried later.
type outcome struct {
	status  store.VersionStatus // "" to retry
	message string
	schema  string
	bundle  []byte
	retryIn time.Duration
}

func failed(format string, args ...any) outcome {
	return outcome{status: store.VersionFailed, message: fmt.Sprintf(format, args...)}
}

// Run implements worker.Handler: one attempt at registering the job's
// version.
func (r *Registrar) Run(ctx context.Context, job store.Job) error {
	reg, err := r.store.GetRegistration(ctx, job.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted, and its job with it
	}
	if err != nil {
		return err
	}
	r.log.Info("template registration started", "version", describe(reg.Version), "attempt", job.Attempts)
	o := r.attempt(ctx, reg, job.Attempts)
	if ctx.Err() != nil {
		// Stopping, or the job was taken over: the runner hands it back or
		// lets it go.
		return context.Cause(ctx)
	}
	if o.status == "" {
		return &worker.RetryError{At: r.clock().Add(o.retryIn), Reason: errors.New(o.message)}
	}
	return r.finish(ctx, job, reg.Version, o)
}

// Abandon implements worker.Handler: earlier attempts ended without a
// result, such as a process that stopped while holding the job; the
// registration fails rather than loop forever.
func (r *Registrar) Abandon(ctx context.Context, job store.Job, attempts int) error {
	reg, err := r.store.GetRegistration(ctx, job.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	v := reg.Version
	return r.finish(ctx, job, v, failed("Registration did not complete after %d attempts to read the template bundle s3://%s/%s.",
		attempts, v.SourceBucket, v.SourceKey))
}

// finish ends the job with the outcome o.
func (r *Registrar) finish(ctx context.Context, job store.Job, v store.TemplateVersion, o outcome) error {
	err := r.store.FinishRegistration(ctx, store.FinishParams{ID: v.ID, Owner: job.LeaseOwner, Status: o.status,
		Message: o.message, Schema: o.schema, Bundle: o.bundle, Now: r.clock()})
	switch {
	case errors.Is(err, store.ErrConditionFailed):
		// Deleted meanwhile, or taken over after this process's lease ran
		// out: the job is someone else's now.
		r.log.Info("template registration ended elsewhere", "version", describe(v))
		return nil
	case err != nil:
		return err
	}
	r.log.Info("template version registered", "version", describe(v), "status", string(o.status), "message", o.message)
	return nil
}

func describe(v store.TemplateVersion) string {
	return fmt.Sprintf("%s/%s/%s %s:%s", v.Account, v.Region, resourceType(v.Kind), v.Name, Number(v.VersionNumber))
}

// attempt runs the attempts-th try of a job.
func (r *Registrar) attempt(ctx context.Context, job store.Registration, attempts int) (o outcome) {
	v := job.Version
	if r.delay > 0 {
		t := time.NewTimer(r.delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return outcome{}
		case <-t.C:
		}
	}
	fctx, cancel := context.WithTimeout(ctx, r.lease/2)
	data, err := r.source.Fetch(fctx, v.SourceBucket, v.SourceKey)
	cancel()
	var p *bundle.Problem
	switch {
	case ctx.Err() != nil:
		return outcome{}
	case errors.As(err, &p):
		return failed("%s", p.Msg)
	case err != nil && attempts >= r.maxAttempts:
		return failed("Could not read the template bundle s3://%s/%s after %d attempts: %v", v.SourceBucket, v.SourceKey, attempts, err)
	case err != nil:
		return outcome{message: err.Error(), retryIn: retryIn(attempts)}
	}
	return r.check(ctx, job, data, attempts)
}

// retryIn is the wait before the next of attempts tries: it doubles with
// each, up to maxRetryDelay.
func retryIn(attempts int) time.Duration { return min(time.Second<<attempts, maxRetryDelay) }

// check reads a fetched bundle and compares its schema with the earlier
// registered minors of its major.
func (r *Registrar) check(ctx context.Context, job store.Registration, data []byte, attempts int) (o outcome) {
	v := job.Version
	defer func() {
		// No bundle may bring the server down: a panic in reading one is a
		// bug, logged with its stack, and the registration fails.
		if p := recover(); p != nil {
			r.log.Error("panic while reading a template bundle", "version", describe(v), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			o = failed("The template bundle could not be read because of an internal error; the server log has the details.")
		}
	}()
	kind := bundle.KindEnvironment
	if v.Kind == store.ServiceTemplate {
		kind = bundle.KindService
	}
	managed := job.Provisioning == "CUSTOMER_MANAGED"
	b, err := bundle.Read(data, bundle.ReadOptions{
		Kind:            kind,
		CustomerManaged: managed && v.Kind == store.EnvironmentTemplate,
		NoPipeline:      managed && v.Kind == store.ServiceTemplate,
	})
	var p *bundle.Problem
	if errors.As(err, &p) {
		return failed("%s", p.Msg)
	}
	if err != nil {
		return failed("The template bundle could not be read: %v", err)
	}
	earlier, err := r.store.RegisteredSchemas(ctx, v.VersionKey)
	if err != nil {
		// The store is unavailable: try again later.
		return outcome{message: err.Error(), retryIn: retryIn(attempts)}
	}
	for _, e := range earlier {
		older, err := bundle.ParseSchema(e.Schema, kind)
		if err != nil {
			r.log.Warn("registered schema no longer parses; skipping it in the compatibility check", "version", describe(e), "error", err)
			continue
		}
		if err := b.Schema.CheckCompatible(older); err != nil {
			if errors.As(err, &p) {
				return failed("%s (compared with version %s)", p.Msg, Number(e.VersionNumber))
			}
			return failed("The schema could not be compared with version %s: %v", Number(e.VersionNumber), err)
		}
	}
	return outcome{status: store.VersionDraft, schema: b.SchemaText, bundle: data}
}
