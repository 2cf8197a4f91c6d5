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
	Deployment  Deployment  // its first deployment
	// Queue says that a worker carries the deployment out, so that its job
	// is queued with it (Deployments); a self-managed deployment waits for
	// a notification instead.
	Queue      bool
	Tags       []Tag
	ARN        string // the environment's ARN, the key of its tags
	Connection *ConnectionLink
	Template   VersionLink
	Quota      int // most environments the account may have in the region
}

// UpdateEnvironmentParams is the input of Environments.UpdateEnvironment.
type UpdateEnvironmentParams struct {
	// Environment is the new row; it replaces the stored one only if the
	// stored Version equals ExpectVersion. The store sets Version to
	// ExpectVersion+1.
	Environment   Environment
	ExpectVersion int64
	Deployment    *Deployment     // a new deployment to record, if any
	Queue         bool            // as in CreateEnvironmentParams
	Connection    *ConnectionLink // a connection the environment links to, if it changes or deploys with one
	Template      *VersionLink    // a template version the environment moves to or redeploys, if any
}

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
)

// Environments stores environments, keyed by (account, region, name);
// Deployments keeps their deployments, Tombstones those of deleted ones
// (ARN type "environment", key the name).
type Environments interface {
	// CreateEnvironment stores a new environment, its first deployment (with
	// its job when p.Queue) and its tags in one transaction. Checks, in
	// order: an environment of that name exists → ErrAlreadyExists with that
	// environment; the account has
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
	// p.ExpectVersion, and records p.Deployment if set (with its job when
	// p.Queue), in one transaction; the links are checked as in
	// CreateEnvironment, under the same locks.
	// A delete deployment (p.Deployment with ActionDelete) requires that no
	// service instance runs in the environment, checked in the same
	// transaction after the row lock, which an instance's link waits for.
	// Failures: ErrNotFound; ErrConditionFailed with the environment as it
	// is now; ErrVersionUnusable; ErrConnectionUnusable; ErrHasInstances.
	UpdateEnvironment(ctx context.Context, p UpdateEnvironmentParams) (Environment, error)
}
