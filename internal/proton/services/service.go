package services

import (
	"context"
	"errors"
	"time"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/pagetoken"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/templates"
	"github.com/openproton/openproton/internal/store"
)

// ResourceType is the resource part's prefix of the ARNs of services and
// of their instances and pipelines.
const ResourceType = "service"

// Defaults of the rules that a deployment of openproton may configure.
const (
	DefaultQuota        = 1000 // services per account and region
	DefaultMaxInstances = 20   // instances per service
	MaxPageSize         = 100
)

// Templates resolves the template versions that services run on and that
// their environments run on (templates.Service implements it).
type Templates interface {
	ResolveServiceTemplateVersion(ctx context.Context, account, region, name, major, minor string) (templates.ResolvedVersion, error)
}

// Store is what the services family needs from the store.
type Store interface {
	store.Services
	store.Deployments
	store.Tombstones
	GetEnvironment(ctx context.Context, account, region, name string) (store.Environment, error)
	GetAccountSettings(ctx context.Context, account, region string) (store.AccountSettings, error)
}

// Service applies the rules of services, instances and pipelines.
type Service struct {
	store        Store
	templates    Templates
	deployments  *deployments.Service
	pages        *pagetoken.Codec
	clock        func() time.Time
	newID        func() string
	quota        int
	maxInstances int
	tokenTTL     time.Duration
}

// Options configure a Service; zero fields take the defaults.
type Options struct {
	Quota        int // services per account and region
	MaxInstances int // instances per service
	TokenTTL     time.Duration
	Now          func() time.Time
	NewID        func() string
}

// New returns a Service over s, resolving template versions with t and
// handing deployments to d.
func New(s Store, t Templates, d *deployments.Service, pages *pagetoken.Codec, o Options) *Service {
	if o.Quota <= 0 {
		o.Quota = DefaultQuota
	}
	if o.MaxInstances <= 0 {
		o.MaxInstances = DefaultMaxInstances
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = family.TokenTTL
	}
	return &Service{store: s, templates: t, deployments: d, pages: pages, clock: family.Clock(o.Now), newID: family.IDs(o.NewID),
		quota: o.Quota, maxInstances: o.MaxInstances, tokenTTL: o.TokenTTL}
}

// Family declares services: a service and each of its instances take tags,
// which the service's account manages.
func (s *Service) Family() family.Family {
	return family.Family{Name: "services", Operations: []string{
		"CancelServiceInstanceDeployment", "CancelServicePipelineDeployment", "CreateService", "CreateServiceInstance", "DeleteService",
		"GetService", "GetServiceInstance", "ListServiceInstanceOutputs", "ListServiceInstanceProvisionedResources",
		"ListServiceInstances", "ListServicePipelineOutputs", "ListServicePipelineProvisionedResources", "ListServices",
		"UpdateService", "UpdateServiceInstance", "UpdateServicePipeline"},
		Resources: []family.Resource{{Type: ResourceType, TagOwner: s.TagOwner}}}
}

// ARN returns the ARN of a service.
func ARN(v store.Service) string {
	return arn.New(v.Region, v.Account, ResourceType+"/"+v.Name).String()
}

// TargetARN returns the ARN of an instance or pipeline.
func TargetARN(t store.ServiceTarget) string {
	if t.IsPipeline() {
		return arn.New(t.Region, t.Account, ResourceType+"/"+t.ServiceName+"/pipeline").String()
	}
	return arn.New(t.Region, t.Account, ResourceType+"/"+t.ServiceName+"/service-instance/"+t.Name).String()
}

func notFound(name string) error { return family.NotFound("Service", name) }

func instanceNotFound(service, name string) error {
	return fault.New(fault.NotFound, "Service instance %s of service %s was not found.", name, service)
}

// load returns the caller's service.
func (s *Service) load(ctx context.Context, caller auth.Caller, name string) (store.Service, error) {
	v, err := s.store.GetService(ctx, caller.Account, caller.Region, name)
	return family.Found(v, err, notFound(name), "get service")
}

// Get returns one of the caller's services.
func (s *Service) Get(ctx context.Context, caller auth.Caller, name string) (store.Service, error) {
	return s.load(ctx, caller, name)
}

// loadInstance returns one of the caller's instances.
func (s *Service) loadInstance(ctx context.Context, caller auth.Caller, service, name string) (store.ServiceTarget, error) {
	t, err := s.store.GetServiceInstance(ctx, caller.Account, caller.Region, service, name)
	if errors.Is(err, store.ErrNotFound) {
		if _, err := s.load(ctx, caller, service); err != nil {
			return t, err
		}
		return t, instanceNotFound(service, name)
	}
	if err != nil {
		return t, family.Internal("get service instance", err)
	}
	return t, nil
}

// GetInstance returns one of the caller's service instances.
func (s *Service) GetInstance(ctx context.Context, caller auth.Caller, service, name string) (store.ServiceTarget, error) {
	return s.loadInstance(ctx, caller, service, name)
}

// newDeployment returns a new deployment of t (which still shows its
// previous deployments).
func (s *Service) newDeployment(t store.ServiceTarget, action store.DeploymentAction, initial *store.TemplateState, target store.TemplateState, now time.Time) store.NewDeployment {
	status := store.DeployInProgress
	if action == store.ActionDelete {
		status = store.DeleteInProgress
	}
	return store.NewDeployment{Deployment: store.Deployment{
		ID:                      s.newID(),
		Account:                 t.Account,
		Region:                  t.Region,
		EnvironmentName:         t.EnvironmentName,
		TargetArn:               TargetARN(t),
		TargetResourceType:      t.TargetType(),
		TargetKey:               t.TargetKey(),
		TargetResourceCreatedAt: t.CreatedAt,
		Action:                  action,
		Mode:                    t.Mode,
		Status:                  status,
		CreatedAt:               now,
		LastModifiedAt:          now,
		PreviousAttemptedID:     t.LastAttemptedDeploymentID,
		PreviousSucceededID:     t.LastSucceededDeploymentID,
		InitialState:            initial,
		TargetState:             target,
	}, Queue: t.Mode != store.ModeSelfManaged}
}

// deploy returns t deploying state with a new deployment (t.Version 0 for
// a new target).
func (s *Service) deploy(t store.ServiceTarget, action store.DeploymentAction, state store.TemplateState, now time.Time) (store.ServiceTarget, store.NewDeployment) {
	var initial *store.TemplateState
	if t.Version > 0 {
		cur := t.TemplateState
		initial = &cur
	} else {
		t.CreatedAt = now
	}
	d := s.newDeployment(t, action, initial, state, now)
	t.TemplateState = state
	t.DeploymentStatus, t.DeploymentStatusMessage = d.Status, ""
	t.LastAttemptedDeploymentID, t.LastDeploymentAttemptedAt = d.ID, now
	t.Version++
	return t, d
}

// writeFault maps the failures of a service write.
func (s *Service) writeFault(name string, err error) error {
	var inUse *store.VersionInUseError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return notFound(name)
	case errors.Is(err, store.ErrConditionFailed):
		return family.Lost(fault.New(fault.Conflict, "Service %s was changed concurrently; read it again and retry.", name))
	case errors.Is(err, store.ErrVersionUnusable):
		return fault.New(fault.Conflict, "The service template version of service %s changed concurrently; try again.", name)
	case errors.Is(err, store.ErrEnvironmentUnusable):
		return fault.New(fault.Conflict, "An environment of service %s was changed or is being deleted; try again.", name)
	case errors.Is(err, store.ErrHasComponent):
		return fault.New(fault.Conflict, "A service instance of service %s that this change deletes has a component attached; detach it first (UpdateComponent with serviceName and serviceInstanceName \"\").", name)
	case errors.Is(err, store.ErrComponentBusy):
		return fault.New(fault.Conflict, "The component attached to an instance of service %s has a deployment in progress; wait for it to end.", name)
	case errors.Is(err, store.ErrTooManyInstances):
		return fault.New(fault.QuotaExceeded, "Service %s would have more than %d instances.", name, s.maxInstances)
	case errors.As(err, &inUse):
		return fault.New(fault.Conflict, "%s", inUse.Error())
	}
	return family.Internal("write service", err)
}

// retrying is family.Retrying, by the name the services family's writes
// use.
func retrying[T any](attempt func() (T, error)) (T, error) { return family.Retrying(attempt) }

// queued tells the workers about the queued deployments of a write.
func (s *Service) queued(ds []store.NewDeployment) {
	for _, d := range ds {
		if d.Queue {
			s.deployments.Queued()
			return
		}
	}
}
