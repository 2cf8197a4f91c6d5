package components

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
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// ResourceType is the resource part's prefix of component ARNs.
const ResourceType = "component"

// Defaults of the rules that a deployment of openproton may configure.
const (
	DefaultQuota = 100 // components per account and region
	MaxPageSize  = 100
)

// Store is what the components family needs from the store.
type Store interface {
	store.Components
	store.Deployments
	store.Tombstones
	GetEnvironment(ctx context.Context, account, region, name string) (store.Environment, error)
	GetService(ctx context.Context, account, region, name string) (store.Service, error)
	GetServiceInstance(ctx context.Context, account, region, service, name string) (store.ServiceTarget, error)
	GetConnection(ctx context.Context, region, id string) (store.Connection, error)
}

// Instances checks what an attached component needs of its instance
// (services.Service implements it).
type Instances interface {
	ComponentInputs(ctx context.Context, caller auth.Caller, t store.ServiceTarget, spec string, attaching bool) (map[string]any, error)
}

// Service applies the rules of components.
type Service struct {
	store       Store
	instances   Instances
	deployments *deployments.Service
	pages       *pagetoken.Codec
	clock       func() time.Time
	newID       func() string
	quota       int
	tokenTTL    time.Duration
}

// Options configure a Service; zero fields take the defaults.
type Options struct {
	Quota    int // components per account and region
	TokenTTL time.Duration
	Now      func() time.Time
	NewID    func() string
}

// New returns a Service over s, checking instances with i and handing
// deployments to d.
func New(s Store, i Instances, d *deployments.Service, pages *pagetoken.Codec, o Options) *Service {
	if o.Quota <= 0 {
		o.Quota = DefaultQuota
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = family.TokenTTL
	}
	return &Service{store: s, instances: i, deployments: d, pages: pages, clock: family.Clock(o.Now), newID: family.IDs(o.NewID),
		quota: o.Quota, tokenTTL: o.TokenTTL}
}

// Family declares components: they take tags, which the component's
// account manages.
func (s *Service) Family() family.Family {
	return family.Family{Name: "components", Operations: []string{
		"CancelComponentDeployment", "CreateComponent", "DeleteComponent", "GetComponent", "ListComponentOutputs",
		"ListComponentProvisionedResources", "ListComponents", "UpdateComponent"},
		Resources: []family.Resource{{Type: ResourceType, TagOwner: s.TagOwner}}}
}

// ARN returns the ARN of a component.
func ARN(c store.Component) string {
	return arn.New(c.Region, c.Account, ResourceType+"/"+c.Name).String()
}

func notFound(name string) error { return family.NotFound("Component", name) }

// load returns the caller's component.
func (s *Service) load(ctx context.Context, caller auth.Caller, name string) (store.Component, error) {
	c, err := s.store.GetComponent(ctx, caller.Account, caller.Region, name)
	return family.Found(c, err, notFound(name), "get component")
}

// Get returns one of the caller's components.
func (s *Service) Get(ctx context.Context, caller auth.Caller, name string) (store.Component, error) {
	return s.load(ctx, caller, name)
}

// TagOwner is the tagging check for component ARNs: a component's tags are
// managed in the account that owns it.
func (s *Service) TagOwner(ctx context.Context, caller auth.Caller, a arn.ARN) error {
	if a.Account != caller.Account {
		return tagging.NotFound(a.String())
	}
	c, err := s.store.GetComponent(ctx, a.Account, a.Region, a.ID())
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && ARN(c) != a.String():
		return tagging.NotFound(a.String())
	case err != nil:
		return family.Internal("get component", err)
	}
	return nil
}

// newDeployment returns a deployment of c (which still shows its previous
// deployments) to state, and c as it deploys it.
func (s *Service) deploy(c store.Component, action store.DeploymentAction, state store.TemplateState, now time.Time) (store.Component, store.NewDeployment) {
	status := store.DeployInProgress
	if action == store.ActionDelete {
		status = store.DeleteInProgress
	}
	var initial *store.TemplateState
	if c.Version > 0 {
		cur := c.TemplateState
		initial = &cur
	} else {
		c.CreatedAt = now
	}
	d := store.Deployment{
		ID:                      s.newID(),
		Account:                 c.Account,
		Region:                  c.Region,
		EnvironmentName:         c.EnvironmentName,
		TargetArn:               ARN(c),
		TargetResourceType:      store.TargetComponent,
		TargetKey:               c.Name,
		TargetResourceCreatedAt: c.CreatedAt,
		Action:                  action,
		Mode:                    c.Mode,
		Status:                  status,
		CreatedAt:               now,
		LastModifiedAt:          now,
		PreviousAttemptedID:     c.LastAttemptedDeploymentID,
		PreviousSucceededID:     c.LastSucceededDeploymentID,
		InitialState:            initial,
		TargetState:             state,
	}
	c.TemplateState = state
	c.DeploymentStatus, c.DeploymentStatusMessage = status, ""
	c.LastAttemptedDeploymentID, c.LastDeploymentAttemptedAt, c.LastModifiedAt = d.ID, now, now
	if c.Version == 0 {
		c.Version = 1
	}
	return c, store.NewDeployment{Deployment: d, Queue: c.Mode != store.ModeSelfManaged}
}

// writeFault maps the failures of a component write.
func (s *Service) writeFault(c store.Component, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return notFound(c.Name)
	case errors.Is(err, store.ErrConditionFailed):
		return family.Lost(fault.New(fault.Conflict, "Component %s was changed concurrently; read it again and retry.", c.Name))
	case errors.Is(err, store.ErrEnvironmentUnusable):
		return fault.New(fault.Conflict, "Environment %s of component %s is gone or being deleted.", c.EnvironmentName, c.Name)
	case errors.Is(err, store.ErrInstanceUnusable):
		return fault.New(fault.Conflict, "Service instance %s of service %s is gone, being deleted, or not in environment %s.",
			c.ServiceInstanceName, c.ServiceName, c.EnvironmentName)
	case errors.Is(err, store.ErrInstanceBusy):
		return fault.New(fault.Conflict, "Service instance %s of service %s has a deployment in progress; a component attached to it is updated once it ended.",
			c.ServiceInstanceName, c.ServiceName)
	case errors.Is(err, store.ErrHasComponent):
		return fault.New(fault.Conflict, "Service instance %s of service %s already has a component attached; an instance has at most one.",
			c.ServiceInstanceName, c.ServiceName)
	}
	return family.Internal("write component", err)
}

// queued tells the workers about a queued deployment.
func (s *Service) queued(d *store.NewDeployment) {
	if d != nil && d.Queue {
		s.deployments.Queued()
	}
}
