package store

import (
	"context"
	"errors"
	"time"
)

// ServiceStatus is the status of a service (the model's ServiceStatus).
type ServiceStatus string

// The service states that openproton uses; the waiters key on them.
const (
	ServiceCreateInProgress ServiceStatus = "CREATE_IN_PROGRESS"
	ServiceCreateFailed     ServiceStatus = "CREATE_FAILED"
	ServiceActive           ServiceStatus = "ACTIVE"
	ServiceUpdateInProgress ServiceStatus = "UPDATE_IN_PROGRESS"
	ServiceUpdateFailed     ServiceStatus = "UPDATE_FAILED"
	// An update that added instances, one of which could not be created:
	// the instances it added are being deleted and its spec is reverted,
	// then the cleanup is complete, or failed when one could not be
	// deleted.
	ServiceUpdateFailedCleanupInProgress ServiceStatus = "UPDATE_FAILED_CLEANUP_IN_PROGRESS"
	ServiceUpdateFailedCleanupComplete   ServiceStatus = "UPDATE_FAILED_CLEANUP_COMPLETE"
	ServiceUpdateFailedCleanupFailed     ServiceStatus = "UPDATE_FAILED_CLEANUP_FAILED"
	// An update that succeeded but for the delete of an instance it
	// removed.
	ServiceUpdateCompleteCleanupFailed ServiceStatus = "UPDATE_COMPLETE_CLEANUP_FAILED"
	ServiceDeleteInProgress            ServiceStatus = "DELETE_IN_PROGRESS"
	ServiceDeleteFailed                ServiceStatus = "DELETE_FAILED"
)

// InFlight reports whether a service in status st waits for deployments of
// its instances or pipeline to end.
func (st ServiceStatus) InFlight() bool {
	return st == ServiceCreateInProgress || st == ServiceUpdateInProgress || st == ServiceDeleteInProgress ||
		st == ServiceUpdateFailedCleanupInProgress
}

// ServiceFailedStatuses are the states of a service whose last change
// ended with a failure (the resource summary counts them as failed).
func ServiceFailedStatuses() []ServiceStatus {
	return []ServiceStatus{ServiceCreateFailed, ServiceUpdateFailed, ServiceDeleteFailed, ServiceUpdateFailedCleanupComplete,
		ServiceUpdateFailedCleanupFailed, ServiceUpdateCompleteCleanupFailed}
}

// Service is a stored service. Its template version is the one it was
// created with; its instances and pipeline (ServiceTarget) each run a
// version of their own.
type Service struct {
	Account                 string
	Region                  string
	Name                    string
	Description             string
	TemplateName            string
	MajorVersion            string
	MinorVersion            string
	Spec                    string // the whole ServiceSpec document as last accepted
	RepositoryConnectionArn string
	RepositoryID            string
	BranchName              string
	Status                  ServiceStatus
	StatusMessage           string
	CreatedAt               time.Time
	LastModifiedAt          time.Time
	// Fingerprint identifies the CreateService request that made the
	// service; Modified is set by the first change after it.
	Fingerprint string
	Modified    bool
	Version     int64
	// RollbackSpec and RollbackInstances are set while an update that
	// added instances is in progress: the spec before it and the names of
	// the instances it added, which are deleted again if creating one of
	// them fails.
	RollbackSpec      string
	RollbackInstances []string
	// Pipeline is the service's pipeline, read with it; nil when its
	// template has none.
	Pipeline *ServiceTarget
}

// ServiceTarget is a deployment target of a service: one of its instances
// (Name set) or its pipeline (Name ""). Deployments name an instance
// "service/instance" and a pipeline "service" (Deployment.TargetKey).
type ServiceTarget struct {
	Account         string
	Region          string
	ServiceName     string
	Name            string // "" for the pipeline
	EnvironmentName string // "" for the pipeline
	TemplateState
	Mode                      ProvisioningMode
	DeploymentStatus          DeploymentStatus
	DeploymentStatusMessage   string
	CreatedAt                 time.Time
	LastDeploymentAttemptedAt time.Time
	LastDeploymentSucceededAt time.Time // zero until a deployment succeeds
	LastAttemptedDeploymentID string
	LastSucceededDeploymentID string
	LastClientToken           string
	Version                   int64
}

// IsPipeline reports whether t is a pipeline.
func (t ServiceTarget) IsPipeline() bool { return t.Name == "" }

// TargetType is the deployment target type of t.
func (t ServiceTarget) TargetType() TargetType {
	if t.IsPipeline() {
		return TargetServicePipeline
	}
	return TargetServiceInstance
}

// TargetKey is the deployment target key of t.
func (t ServiceTarget) TargetKey() string {
	if t.IsPipeline() {
		return t.ServiceName
	}
	return t.ServiceName + "/" + t.Name
}

// EnvironmentLink asks a service write to hold an environment for an
// instance: it must exist in the service's account and region, not be
// being deleted, and run a major version of TemplateName when the write
// commits. It is read with a lock that a delete of the environment waits
// for.
type EnvironmentLink struct {
	Name         string
	TemplateName string
	MajorVersion string
}

// NewDeployment is a deployment a write records; Queue says that a worker
// carries it out (its job is queued with it).
type NewDeployment struct {
	Deployment
	Queue bool
}

// WriteServiceParams is the input of Services.WriteService: one change of a
// service and its targets.
type WriteServiceParams struct {
	// Create: the service is new; else Service replaces the stored row if
	// its Version is ExpectVersion (the store sets ExpectVersion+1).
	Create        bool
	Service       Service
	ExpectVersion int64
	// Targets are written as they are: a target with Version 1 is new (it
	// must not exist), any other replaces the stored one whose Version is
	// one less.
	Targets     []ServiceTarget
	Deployments []NewDeployment
	// Template, when set, is a service template version that must exist and
	// be PUBLISHED.
	Template     *VersionLink
	Environments []EnvironmentLink
	Tags         []Tag  // on create, under ARN
	ARN          string // the service's ARN
	// TargetTags are written under TargetARN (a new instance's).
	TargetTags []Tag
	TargetARN  string
	Quota      int // on create: most services of the account in the region
	// MaxInstances is the most instances the service may have (all of them,
	// those being deleted or whose delete failed included).
	MaxInstances int
}

// ListServicesQuery is the input of Services.ListServices.
type ListServicesQuery struct {
	Account string
	Region  string
	After   string
	Limit   int
}

// InstanceFilter is one filter of ListServiceInstances: a key of the
// model's ListServiceInstancesFilterBy and its value (times as
// milliseconds for the *Before and *After keys).
type InstanceFilter struct {
	Key   string
	Value string
	At    time.Time
}

// ListInstancesQuery is the input of Services.ListServiceInstances.
type ListInstancesQuery struct {
	Account     string
	Region      string
	ServiceName string // "" means every service
	Filters     []InstanceFilter
	// SortBy is a column of the model's SortBy (name, deploymentStatus,
	// templateName, serviceName, environmentName,
	// lastDeploymentAttemptedAt, createdAt); Descending reverses it. Ties
	// go by (service name, instance name), ascending.
	SortBy     string
	Descending bool
	Offset     int
	Limit      int
}

// Errors of the services contract.
var (
	// ErrEnvironmentUnusable: an EnvironmentLink did not hold.
	ErrEnvironmentUnusable = errors.New("store: environment is not usable for this instance")
	// ErrTooManyInstances: the service would have more than MaxInstances.
	ErrTooManyInstances = errors.New("store: too many instances")
	// ErrHasInstances: an environment that service instances run in cannot
	// be deleted.
	ErrHasInstances = errors.New("store: environment has service instances")
)

// Services stores services and their targets, keyed by (account, region,
// name); Deployments keeps the deployments of their targets, Tombstones
// those of deleted services (ARN type "service", key the name). Tags of a
// service are stored under its ARN, those of an instance under the
// instance's.
type Services interface {
	// WriteService writes p in one transaction: the service row, its
	// targets, the deployments (with their jobs when queued), on create
	// its tags, and p.TargetTags. Checks: on create, a service of that name exists →
	// ErrAlreadyExists with it, the account has p.Quota or more services →
	// ErrQuotaExceeded; else ErrNotFound, or ErrConditionFailed with the
	// service as it is when its version or a target's is not the expected
	// one (or a new target exists); p.Template does not hold →
	// ErrVersionUnusable; an environment link does not hold →
	// ErrEnvironmentUnusable; more than p.MaxInstances instances →
	// ErrTooManyInstances. A create removes the service's tombstone.
	WriteService(ctx context.Context, p WriteServiceParams) (Service, error)

	// GetService returns the service with its pipeline, or ErrNotFound.
	GetService(ctx context.Context, account, region, name string) (Service, error)

	// ListServices returns at most q.Limit services with names after
	// q.After, by name, with their pipelines.
	ListServices(ctx context.Context, q ListServicesQuery) ([]Service, error)

	// GetServiceInstance returns an instance, or ErrNotFound.
	GetServiceInstance(ctx context.Context, account, region, service, name string) (ServiceTarget, error)

	// ListServiceInstances returns at most q.Limit instances matching every
	// filter, in q's order, skipping the first q.Offset.
	ListServiceInstances(ctx context.Context, q ListInstancesQuery) ([]ServiceTarget, error)
}
