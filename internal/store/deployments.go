package store

import (
	"context"
	"errors"
	"time"
)

// TargetType is the kind of resource a deployment deploys (the model's
// DeploymentTargetResourceType).
type TargetType string

// The target types. Each names its target with a key (Deployment.TargetKey)
// that is unique among the targets of its type in an account and region;
// Proton names never hold a "/".
const (
	// TargetEnvironment: the key is the environment's name.
	TargetEnvironment TargetType = "ENVIRONMENT"
	// TargetServiceInstance: the key is "service/instance".
	TargetServiceInstance TargetType = "SERVICE_INSTANCE"
	// TargetServicePipeline: the key is the service's name.
	TargetServicePipeline TargetType = "SERVICE_PIPELINE"
	// TargetComponent: the key is the component's name.
	TargetComponent TargetType = "COMPONENT"
)

// Deployment is one deployment of a target resource. While a worker must act
// on it (run its engine, or finish a cancellation) it has a job in the job
// queue (Jobs) of kind JobDeployment, with its id; its lease, attempts and
// cancel request are the job's.
type Deployment struct {
	ID                 string
	Account            string
	Region             string
	TargetResourceType TargetType
	TargetKey          string
	// EnvironmentName is the environment the target is or runs in.
	EnvironmentName         string
	TargetArn               string
	TargetResourceCreatedAt time.Time
	Action                  DeploymentAction
	Mode                    ProvisioningMode
	Status                  DeploymentStatus
	StatusMessage           string
	CreatedAt               time.Time
	LastModifiedAt          time.Time
	CompletedAt             time.Time // zero while in flight
	// The target's last attempted and last succeeded deployments when this
	// one was created.
	PreviousAttemptedID string
	PreviousSucceededID string
	InitialState        *TemplateState // nil for the first deployment
	TargetState         TemplateState
}

// Output is one output value of a deployment.
type Output struct {
	Key   string
	Value string
}

// ProvisionedResource is one resource a deployment provisioned.
type ProvisionedResource struct {
	Name       string
	Identifier string
	Engine     string // CLOUDFORMATION or TERRAFORM
}

// Outcome is how a worker or a notification ends a deployment.
type Outcome string

// The outcomes.
const (
	OutcomeSucceeded Outcome = "SUCCEEDED"
	OutcomeFailed    Outcome = "FAILED"
	OutcomeCancelled Outcome = "CANCELLED"
)

// CompleteParams is the input of Deployments.CompleteDeployment.
type CompleteParams struct {
	Region string
	ID     string
	// LeaseOwner, when set, requires that this owner holds the deployment's
	// job (a worker finishing it); when empty, the deployment must have no
	// job (a notification of self-managed provisioning).
	LeaseOwner string
	Outcome    Outcome
	Message    string
	Outputs    []Output // upserted by key into the deployment's outputs
	Resources  []ProvisionedResource
	Now        time.Time
	ARN        string // the target's ARN, whose tags a completed delete removes
	// Connection, when set, is the environment account connection the run
	// provisioned through: a success commits only while it still exists.
	Connection string
}

// NotifyOutputsParams is the input of Deployments.RecordOutputs.
type NotifyOutputsParams struct {
	Region     string
	ID         string
	Outputs    []Output
	Message    *string // replaces the status message when set
	MaxOutputs int     // most outputs a deployment may hold
	Now        time.Time
}

// DeploymentCursor is a position in the deployment list order (newest first).
type DeploymentCursor struct {
	CreatedAt time.Time
	ID        string
}

// ListDeploymentsQuery is the input of Deployments.ListDeployments.
type ListDeploymentsQuery struct {
	Account         string
	Region          string
	EnvironmentName string // "" means every environment
	// ServiceName, when set, keeps the deployments of the service's
	// instances and pipeline; ServiceInstanceName (with it) those of one
	// instance.
	ServiceName         string
	ServiceInstanceName string
	// ComponentName, when set, keeps the deployments of one component (the
	// other names are then ignored).
	ComponentName string
	After         *DeploymentCursor
	Limit         int
}

// ErrTooManyOutputs: a deployment would hold more outputs than allowed.
var ErrTooManyOutputs = errors.New("store: too many outputs")

// Deployments stores deployments, keyed by (region, id), with their outputs
// and provisioned resources. A deployment is recorded with the change of
// its target that starts it (Environments.CreateEnvironment and
// UpdateEnvironment); a deployment that a worker carries out gets its job in
// the same transaction: kind JobDeployment, the deployment's id, due at its
// creation, serial key "account/region/type/key" of its target and seq its
// creation time (in milliseconds), so that the deployments of one target run
// one at a time, oldest first. The instances and pipeline of a service share
// the serial key "account/region/SERVICE/service" and seq counts half
// milliseconds, the pipeline's one more than its instances': the
// deployments that one change of a service starts (made at one time) run
// side by side, its pipeline's after its instances', and later changes
// after them. A worker leases the job (Jobs) and ends the
// deployment with CompleteDeployment.
type Deployments interface {
	// CompleteDeployment ends an in-flight deployment (IN_PROGRESS,
	// CANCELLING or DELETE_IN_PROGRESS) of a target with p.Outcome, in one
	// transaction (what follows says "environment" for the target: an
	// environment, a service instance, a service pipeline or a component):
	//  - a deploy that succeeds is SUCCEEDED (even if a cancel was asked:
	//    it finished first), and its environment becomes SUCCEEDED with this
	//    deployment as the last succeeded one;
	//  - a deploy that fails is FAILED, and so is its environment;
	//  - a deploy that is cancelled is CANCELLED, and its environment is
	//    CANCELLED and returns to the deployment's initial state (template
	//    version, spec, inputs) when it has one;
	//  - a delete that succeeds removes the environment, its tags (stored
	//    under p.ARN), its deployments, their outputs, resources and jobs,
	//    and leaves a tombstone at p.Now; one that fails or is cancelled is
	//    DELETE_FAILED, and so is the environment.
	// The deployment's job is deleted, CompletedAt and LastModifiedAt are
	// p.Now, and p.Outputs and p.Resources are recorded. A deleted service
	// instance or pipeline leaves no tombstone (its service does); a
	// deleted component leaves one (type "component", key its name). After a
	// deployment of a service's target ends, a service whose create,
	// update or delete is in progress is settled: once none of its targets
	// has a deployment in flight it becomes ACTIVE (CREATE_FAILED or
	// UPDATE_FAILED when one failed), or, being deleted, is removed with
	// its tags (under the service's ARN) and leaves a tombstone when it
	// has no target left, and is DELETE_FAILED otherwise.
	// A success with p.Connection set requires that connection to exist in
	// p.Region when the write commits; it is read in the transaction with a
	// lock that deleting it waits for (FOR SHARE on PostgreSQL), so that a
	// deployment never succeeds through a connection deleted before it
	// ended. Other outcomes do not look at it.
	// Failures, nothing changing: ErrNotFound; ErrLeaseLost when p.LeaseOwner
	// is set and does not hold the deployment's job (even an expired lease
	// is held while nobody else took the job), a finished deployment
	// included; ErrConditionFailed when p.LeaseOwner is empty and the
	// deployment has a job, or it is not in flight; ErrConnectionUnusable
	// (p.Connection is gone). The deployment as it is now comes with
	// ErrLeaseLost and ErrConditionFailed.
	CompleteDeployment(ctx context.Context, p CompleteParams) (Deployment, error)

	// CancelDeployment moves the in-progress deploy deploymentID of an
	// environment to CANCELLING, with the environment, and asks its job to
	// stop (Job.CancelRequested); a deployment that had no job (self-managed)
	// gets one, due at now, so that a worker finishes the cancellation.
	// Failures: ErrNotFound; ErrConditionFailed with the deployment as it is
	// now (not IN_PROGRESS, or not a deploy).
	CancelDeployment(ctx context.Context, region, deploymentID string, now time.Time) (Deployment, error)

	// RecordOutputs upserts outputs of an in-flight deployment by key, and
	// replaces its status message (and its environment's, if the deployment
	// is the environment's last attempted one) when p.Message is set.
	// Failures: ErrNotFound; ErrConditionFailed, changing nothing, when the
	// deployment has finished; ErrTooManyOutputs when the deployment would
	// hold more than p.MaxOutputs outputs.
	RecordOutputs(ctx context.Context, p NotifyOutputsParams) (Deployment, error)

	// GetDeployment returns the deployment, or ErrNotFound.
	GetDeployment(ctx context.Context, region, id string) (Deployment, error)

	// ListDeployments returns at most q.Limit deployments of the account in
	// the region (of one environment when q.EnvironmentName is set, of a
	// service or one of its instances when q.ServiceName is), newest
	// first: CreatedAt descending, then ID descending, strictly after q.After.
	ListDeployments(ctx context.Context, q ListDeploymentsQuery) ([]Deployment, error)

	// DeleteDeployment removes a finished deployment that is neither the
	// last attempted nor the last succeeded deployment of its environment,
	// with its outputs and resources. Failures: ErrNotFound;
	// ErrConditionFailed with the deployment.
	DeleteDeployment(ctx context.Context, region, id string) (Deployment, error)

	// ListOutputs returns the outputs of a deployment ordered by key; none
	// (or an unknown deployment) is an empty result.
	ListOutputs(ctx context.Context, region, deploymentID string) ([]Output, error)

	// ListProvisionedResources returns the resources of a deployment ordered
	// by name; none is an empty result.
	ListProvisionedResources(ctx context.Context, region, deploymentID string) ([]ProvisionedResource, error)
}
