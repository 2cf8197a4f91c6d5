package store

import (
	"context"
	"errors"
	"time"
)

// JobKind says what a job does, and which handler carries it out.
type JobKind string

// The kinds of job.
const (
	// JobDeployment carries out a deployment (of any target type); its id
	// is the deployment's.
	JobDeployment JobKind = "DEPLOYMENT"
	// JobRegistration registers a template version; its id is the
	// version's.
	JobRegistration JobKind = "REGISTRATION"
)

// JobKey names a job. A job and the resource it works on share their id.
type JobKey struct {
	Region string
	Kind   JobKind
	ID     string
}

// Job is one unit of background work in the one queue every replica shares.
// A family inserts a job in the same transaction as the change that needs
// it, and deletes it in the same transaction as the change that ends it;
// while it exists, workers lease it.
type Job struct {
	JobKey
	Account string // the account the work is for, for logs
	// SerialKey orders jobs that must not run side by side: of the jobs
	// that share a key, only the one with the lowest Seq may be leased
	// (minors of one major register in order; one target deploys at a
	// time).
	SerialKey string
	Seq       int64
	// DueAt is when the job may run: when it was queued, or when a retry
	// is due.
	DueAt          time.Time
	LeaseOwner     string
	LeaseExpiresAt time.Time
	// Attempts counts the leases of the job, the current one included.
	Attempts int
	// CancelRequested is set when a user asks to cancel the work; the
	// worker holding the job stops it at its next renewal.
	CancelRequested bool
}

// LeaseJobParams is the input of Jobs.LeaseJob.
type LeaseJobParams struct {
	Owner string
	Until time.Time // the lease's expiry
	Now   time.Time
	Kinds []JobKind // only these kinds; empty means any
}

// ErrLeaseLost: the worker no longer holds the job's lease.
var ErrLeaseLost = errors.New("store: lease lost")

// Jobs is the lease protocol of the job queue. A worker leases a job, renews
// the lease while it works, and either ends the job through its family's
// store call (which deletes it in the same transaction as its effect, and
// requires the lease) or hands it back with ReleaseJob or RetryJob. A lease
// that runs out (a worker that died) makes the job available to any worker;
// its attempts tell how many tries it has had.
type Jobs interface {
	// LeaseJob takes the job that has been due longest (DueAt, then ID)
	// among those of p.Kinds whose DueAt and lease expiry are at or before
	// p.Now and that no job of the same SerialKey with a lower Seq
	// precedes; it sets the lease to (p.Owner, p.Until), counts one more
	// attempt and returns the job. ok is false when there is none.
	// Concurrent leases, in one process or many, never hand out the same
	// job while its lease is valid.
	LeaseJob(ctx context.Context, p LeaseJobParams) (job Job, ok bool, err error)

	// RenewJob extends owner's lease to until and returns the job as it is
	// now (CancelRequested in particular). Failure: ErrLeaseLost when owner
	// no longer holds it, or it is gone.
	RenewJob(ctx context.Context, k JobKey, owner string, until time.Time) (Job, error)

	// ReleaseJob gives up owner's lease without ending the job and takes
	// back the attempt it counted, so that a worker takes it at once (a
	// graceful shutdown). Releasing a lease no longer held does nothing.
	ReleaseJob(ctx context.Context, k JobKey, owner string) error

	// RetryJob gives up owner's lease and makes the job due again at dueAt;
	// the attempt stays counted. Failure: ErrLeaseLost when owner no
	// longer holds it.
	RetryJob(ctx context.Context, k JobKey, owner string, dueAt time.Time) error
}
