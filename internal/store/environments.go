package store

import (
	"context"
	"errors"
	"time"
)

// DeploymentStatus is the state of a deployment, and of the resource it
// deploys (an environment shows the status of its last attempted deployment).
type DeploymentStatus string

// The deployment states that environments use.
const (
	DeployInProgress DeploymentStatus = "IN_PROGRESS"
	DeploySucceeded  DeploymentStatus = "SUCCEEDED"
	DeployFailed     DeploymentStatus = "FAILED"
	DeployCancelling DeploymentStatus = "CANCELLING"
	DeployCancelled  DeploymentStatus = "CANCELLED"
	DeleteInProgress DeploymentStatus = "DELETE_IN_PROGRESS"
	DeleteFailed     DeploymentStatus = "DELETE_FAILED"
)

// InFlight reports whether a deployment in status st has not finished.
func (st DeploymentStatus) InFlight() bool {
	return st == DeployInProgress || st == DeployCancelling || st == DeleteInProgress
}

// ProvisioningMode says who carries out an environment's deployments.
type ProvisioningMode string

// The provisioning modes.
const (
	// ModeManaged: openproton's provisioning engine, with the environment's
	// service role or its account connection.
	ModeManaged ProvisioningMode = "managed"
	// ModeSelfManaged: the customer's automation, which reports the result
	// with NotifyResourceDeploymentStatusChange.
	ModeSelfManaged ProvisioningMode = "self_managed"
	// ModeCustomerManaged: infrastructure managed outside Proton entirely;
	// a deployment records the spec's values as outputs.
	ModeCustomerManaged ProvisioningMode = "customer_managed"
)

// DeploymentAction is what a deployment does to its target.
type DeploymentAction string

// The deployment actions.
const (
	ActionDeploy DeploymentAction = "DEPLOY"
	ActionDelete DeploymentAction = "DELETE"
)

// RepositoryBranch names a branch of a linked Git repository. The zero value
// means none.
type RepositoryBranch struct {
	Provider string
	Name     string
	Branch   string
}

// TemplateState is what an environment runs, or a deployment deploys: a
// template version and a spec. Inputs is the spec's validated input values,
// defaults applied, as JSON.
type TemplateState struct {
	TemplateName string
	MajorVersion string
	MinorVersion string
	Spec         string // as the caller sent it
	Inputs       string // JSON object
}

// Environment is a stored environment. It lives in its management account
// (Account). Empty strings mean absent members.
type Environment struct {
	Account     string
	Region      string
	Name        string
	Description string
	TemplateState
	ProtonServiceRoleArn           string
	EnvironmentAccountConnectionID string
	EnvironmentAccountID           string
	CodebuildRoleArn               string
	ComponentRoleArn               string
	ProvisioningRepository         RepositoryBranch
	Provisioning                   string // "" or CUSTOMER_MANAGED
	Mode                           ProvisioningMode
	DeploymentStatus               DeploymentStatus
	DeploymentStatusMessage        string
	CreatedAt                      time.Time
	LastDeploymentAttemptedAt      time.Time
	LastDeploymentSucceededAt      time.Time // zero until a deployment succeeds
	LastAttemptedDeploymentID      string
	LastSucceededDeploymentID      string
	// Fingerprint identifies the CreateEnvironment request that made the
	// environment; Modified is set by the first change after it. Together
	// they decide a repeated create.
	Fingerprint string
	Modified    bool
	// Version counts the changes of the row; conditional writes name the
	// version they read.
	Version int64
}

// Deployment is one deployment of an environment, and the provisioning job
// that carries it out while it is in flight.
type Deployment struct {
	ID              string
	Account         string
	Region          string
	EnvironmentName string
	TargetArn       string
	// TargetResourceType is ENVIRONMENT for every deployment this store
	// keeps so far.
	TargetResourceType      string
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
	// Job state: a deployment is queued while a worker must act on it (run
	// its engine, or finish a cancellation); a worker holds it while
	// LeaseOwner is set and LeaseExpiresAt is in the future.
	Queued         bool
	LeaseOwner     string
	LeaseExpiresAt time.Time
	Attempts       int
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

// ConnectionLink asks a write to link an environment to a connection: the
// connection must exist in the environment's region, be CONNECTED and have
// exactly these parties and environment name when the write commits.
type ConnectionLink struct {
	ID                   string
	ManagementAccountID  string
	EnvironmentAccountID string
	EnvironmentName      string
}

// VersionLink asks a write to link an environment to a template version: the
// environment template version must exist in the environment's account and
// region and be PUBLISHED when the write commits.
type VersionLink struct {
	TemplateName string
	MajorVersion string
	MinorVersion string
}

// CreateEnvironmentParams is the input of Environments.CreateEnvironment.
type CreateEnvironmentParams struct {
	Environment Environment // fully formed: times, status, deployment ids, version 1
	Deployment  Deployment  // its first deployment, queued or not
	Tags        []Tag
	ARN         string // the environment's ARN, the key of its tags
	Connection  *ConnectionLink
	Template    VersionLink
	Quota       int // most environments the account may have in the region
}

// UpdateEnvironmentParams is the input of Environments.UpdateEnvironment.
type UpdateEnvironmentParams struct {
	// Environment is the new row; it replaces the stored one only if the
	// stored Version equals ExpectVersion. The store sets Version to
	// ExpectVersion+1.
	Environment   Environment
	ExpectVersion int64
	Deployment    *Deployment     // a new deployment to record, if any
	Connection    *ConnectionLink // a connection the environment links to, if it changes or deploys with one
	Template      *VersionLink    // a template version the environment moves to or redeploys, if any
}

// Outcome is how a worker or a notification ends a deployment.
type Outcome string

// The outcomes.
const (
	OutcomeSucceeded Outcome = "SUCCEEDED"
	OutcomeFailed    Outcome = "FAILED"
	OutcomeCancelled Outcome = "CANCELLED"
)

// CompleteParams is the input of Environments.CompleteDeployment.
type CompleteParams struct {
	Region string
	ID     string
	// LeaseOwner, when set, requires that the deployment is leased by this
	// owner (a worker finishing its job); when empty, the deployment must not
	// be queued (a notification of self-managed provisioning).
	LeaseOwner string
	Outcome    Outcome
	Message    string
	Outputs    []Output // upserted by key into the deployment's outputs
	Resources  []ProvisionedResource
	Now        time.Time
	ARN        string // the environment's ARN, whose tags a completed delete removes
	// Connection, when set, is the environment account connection the run
	// provisioned through: a success commits only while it still exists.
	Connection string
}

// NotifyOutputsParams is the input of Environments.RecordOutputs.
type NotifyOutputsParams struct {
	Region     string
	ID         string
	Outputs    []Output
	Message    *string // replaces the status message when set
	MaxOutputs int     // most outputs a deployment may hold
	Now        time.Time
}

// EnvironmentCursor is a position in the environment list order (name).
type EnvironmentCursor struct{ Name string }

// TemplateFilter selects environments of one major version of a template.
type TemplateFilter struct {
	TemplateName string
	MajorVersion string
}

// ListEnvironmentsQuery is the input of Environments.ListEnvironments.
type ListEnvironmentsQuery struct {
	Account   string
	Region    string
	Templates []TemplateFilter // any of them; empty means all
	After     string           // names strictly after this one; "" starts at the beginning
	Limit     int
}

// DeploymentCursor is a position in the deployment list order (newest first).
type DeploymentCursor struct {
	CreatedAt time.Time
	ID        string
}

// ListDeploymentsQuery is the input of Environments.ListDeployments.
type ListDeploymentsQuery struct {
	Account         string
	Region          string
	EnvironmentName string // "" means every environment
	After           *DeploymentCursor
	Limit           int
}

// LeaseParams is the input of Environments.LeaseDeployment.
type LeaseParams struct {
	Owner string
	Until time.Time // the lease's expiry
	Now   time.Time
}

// AccountSettings are the Proton settings of an account in a region. Empty
// strings mean unset.
type AccountSettings struct {
	PipelineServiceRoleArn         string
	PipelineCodebuildRoleArn       string
	PipelineProvisioningRepository RepositoryBranch
}

// AccountSettingsUpdate names the settings to change; nil keeps a setting.
// An empty role or a zero repository clears it.
type AccountSettingsUpdate struct {
	PipelineServiceRoleArn         *string
	PipelineCodebuildRoleArn       *string
	PipelineProvisioningRepository *RepositoryBranch
}

// Apply returns a with u's changes.
func (u AccountSettingsUpdate) Apply(a AccountSettings) AccountSettings {
	if u.PipelineServiceRoleArn != nil {
		a.PipelineServiceRoleArn = *u.PipelineServiceRoleArn
	}
	if u.PipelineCodebuildRoleArn != nil {
		a.PipelineCodebuildRoleArn = *u.PipelineCodebuildRoleArn
	}
	if u.PipelineProvisioningRepository != nil {
		a.PipelineProvisioningRepository = *u.PipelineProvisioningRepository
	}
	return a
}

// ResourceCounts are the counts of GetResourcesSummary that this store can
// answer.
type ResourceCounts struct {
	Environments         int
	EnvironmentTemplates int
	ServiceTemplates     int
}

// Errors of the environments contract.
var (
	// ErrAlreadyExists: an environment with that name exists (it is
	// returned with the error).
	ErrAlreadyExists = errors.New("store: environment already exists")
	// ErrConnectionUnusable: a ConnectionLink did not hold when the write
	// committed.
	ErrConnectionUnusable = errors.New("store: connection is not usable for this environment")
	// ErrVersionUnusable: a VersionLink did not hold when the write
	// committed.
	ErrVersionUnusable = errors.New("store: template version is not usable")
	// ErrTooManyOutputs: a deployment would hold more outputs than allowed.
	ErrTooManyOutputs = errors.New("store: too many outputs")
)

// Environments stores environments, their deployments (which are also the
// provisioning jobs), deployment outputs, provisioned resources, and account
// settings. Environments are keyed by (account, region, name); deployments
// by (region, id).
type Environments interface {
	// CreateEnvironment stores a new environment, its first deployment and
	// its tags in one transaction. Checks, in order: an environment of that
	// name exists → ErrAlreadyExists with that environment; the account has
	// p.Quota or more environments in the region → ErrQuotaExceeded;
	// p.Template does not hold → ErrVersionUnusable; p.Connection does not
	// hold → ErrConnectionUnusable. The template version and the connection
	// are read in the transaction with a lock that deleting the version and
	// transitioning the connection wait for (FOR SHARE on PostgreSQL), so
	// that neither can change under the new link. A deleted environment
	// leaves no trace a create has to care about except its tombstone,
	// which the create removes. Concurrent creates of one name create one
	// environment; the quota holds under concurrent creates.
	CreateEnvironment(ctx context.Context, p CreateEnvironmentParams) (Environment, error)

	// GetEnvironment returns the environment, or ErrNotFound.
	GetEnvironment(ctx context.Context, account, region, name string) (Environment, error)

	// ListEnvironments returns at most q.Limit environments of the account in
	// the region that match a filter, with names strictly after q.After,
	// ordered by name (byte order).
	ListEnvironments(ctx context.Context, q ListEnvironmentsQuery) ([]Environment, error)

	// UpdateEnvironment replaces the environment row if its Version is
	// p.ExpectVersion, and records p.Deployment if set, in one transaction;
	// the links are checked as in CreateEnvironment, under the same locks.
	// Failures: ErrNotFound; ErrConditionFailed with the environment as it
	// is now; ErrVersionUnusable; ErrConnectionUnusable.
	UpdateEnvironment(ctx context.Context, p UpdateEnvironmentParams) (Environment, error)

	// CompleteDeployment ends an in-flight deployment (IN_PROGRESS,
	// CANCELLING or DELETE_IN_PROGRESS) with p.Outcome, in one transaction:
	//  - a deploy that succeeds is SUCCEEDED (even if a cancel was asked:
	//    it finished first), and its environment becomes SUCCEEDED with this
	//    deployment as the last succeeded one;
	//  - a deploy that fails is FAILED, and so is its environment;
	//  - a deploy that is cancelled is CANCELLED, and its environment is
	//    CANCELLED and returns to the deployment's initial state (template
	//    version, spec, inputs) when it has one;
	//  - a delete that succeeds removes the environment, its tags (stored
	//    under p.ARN), its deployments, their outputs and resources, and
	//    leaves a tombstone at p.Now; one that fails or is cancelled is
	//    DELETE_FAILED, and so is the environment.
	// The deployment leaves the queue, its lease is cleared, CompletedAt and
	// LastModifiedAt are p.Now, and p.Outputs and p.Resources are recorded.
	// A success with p.Connection set requires that connection to exist in
	// p.Region when the write commits; it is read in the transaction with a
	// lock that deleting it waits for (FOR SHARE on PostgreSQL), so that a
	// deployment never succeeds through a connection deleted before it
	// ended. Other outcomes do not look at it.
	// Failures: ErrNotFound; ErrConditionFailed (not in flight, or p.
	// LeaseOwner empty and the deployment queued) with the deployment as it
	// is now; ErrLeaseLost; ErrConnectionUnusable (p.Connection is gone;
	// nothing changes).
	CompleteDeployment(ctx context.Context, p CompleteParams) (Deployment, error)

	// CancelDeployment moves the in-progress deploy deploymentID of an
	// environment to CANCELLING, with the environment, and queues it, so
	// that a worker finishes the cancellation. Failures: ErrNotFound;
	// ErrConditionFailed with the deployment as it is now (not IN_PROGRESS,
	// or not a deploy).
	CancelDeployment(ctx context.Context, region, deploymentID string, now time.Time) (Deployment, error)

	// RecordOutputs upserts outputs of an in-flight deployment by key, and
	// replaces its status message (and its environment's, if the deployment
	// is the environment's last attempted one) when p.Message is set.
	// Failures: ErrNotFound; ErrConditionFailed, changing nothing, when the
	// deployment has finished; ErrTooManyOutputs when the deployment would
	// hold more than p.MaxOutputs outputs.
	RecordOutputs(ctx context.Context, p NotifyOutputsParams) (Deployment, error)

	// GetEnvironmentTombstone returns when the environment was deleted, or
	// ErrNotFound.
	GetEnvironmentTombstone(ctx context.Context, account, region, name string) (time.Time, error)

	// PurgeEnvironmentTombstones removes tombstones of environments deleted
	// before before.
	PurgeEnvironmentTombstones(ctx context.Context, before time.Time) error

	// GetDeployment returns the deployment, or ErrNotFound.
	GetDeployment(ctx context.Context, region, id string) (Deployment, error)

	// ListDeployments returns at most q.Limit deployments of the account in
	// the region (of one environment when q.EnvironmentName is set), newest
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

	// LeaseDeployment takes the queued deployment that has been due longest
	// (by CreatedAt, then ID) whose lease is free or expired at p.Now, sets
	// its lease to (p.Owner, p.Until) and counts one more attempt. ok is
	// false when there is none. Concurrent leases (in one process or many)
	// never hand out the same deployment while its lease is valid.
	LeaseDeployment(ctx context.Context, p LeaseParams) (d Deployment, ok bool, err error)

	// RenewLease extends the lease of owner to until and returns the
	// deployment as it is now. Failure: ErrLeaseLost when owner no longer
	// holds it (or it is gone or finished).
	RenewLease(ctx context.Context, region, id, owner string, until time.Time) (Deployment, error)

	// ReleaseLease gives up owner's lease without finishing the deployment
	// and takes back the attempt it counted, so that another worker takes it
	// at once (a graceful shutdown). Releasing a lease no longer held does
	// nothing.
	ReleaseLease(ctx context.Context, region, id, owner string) error

	// GetAccountSettings returns the settings of the account in the region;
	// an account that never set any has the zero value.
	GetAccountSettings(ctx context.Context, account, region string) (AccountSettings, error)

	// UpdateAccountSettings changes the given settings of the account in the
	// region, atomically, and returns them all.
	UpdateAccountSettings(ctx context.Context, account, region string, u AccountSettingsUpdate) (AccountSettings, error)

	// CountResources counts the environments and the environment and
	// service templates of the account in the region.
	CountResources(ctx context.Context, account, region string) (ResourceCounts, error)
}
