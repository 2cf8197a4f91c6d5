package deployments

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/pagetoken"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/paging"
	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/worker"
)

// ResourceType is the resource part's prefix in a deployment's ARN.
const ResourceType = "deployment"

// MaxPageSize is the largest page of ListDeployments.
const MaxPageSize = 100

// Store is what deployments need from the store.
type Store interface {
	store.Deployments
	GetEnvironment(ctx context.Context, account, region, name string) (store.Environment, error)
	GetService(ctx context.Context, account, region, name string) (store.Service, error)
	GetComponent(ctx context.Context, account, region, name string) (store.Component, error)
}

// Service applies the rules that deployments of every target share.
type Service struct {
	store      Store
	maxOutputs int
	pages      *pagetoken.Codec
	wake       func()
	interrupt  func(k store.JobKey, cause error)
}

// Options configure a Service; nil fields do nothing.
type Options struct {
	// Wake is called after a write that queued a deployment's job, so that
	// a worker picks it up at once (worker.Loop.Wake).
	Wake func()
	// Interrupt is called after a deployment was asked to cancel, so that
	// a worker of this process running it stops at once
	// (worker.Runner.Interrupt).
	Interrupt func(k store.JobKey, cause error)
	// MaxOutputs is the most outputs one deployment may hold
	// (DefaultMaxOutputs when 0).
	MaxOutputs int
}

// DefaultMaxOutputs is the most outputs one deployment may hold by default.
const DefaultMaxOutputs = 500

// New returns a Service over s.
func New(s Store, pages *pagetoken.Codec, o Options) *Service {
	if o.Wake == nil {
		o.Wake = func() {}
	}
	if o.Interrupt == nil {
		o.Interrupt = func(store.JobKey, error) {}
	}
	if o.MaxOutputs <= 0 {
		o.MaxOutputs = DefaultMaxOutputs
	}
	return &Service{store: s, pages: pages, wake: o.Wake, interrupt: o.Interrupt, maxOutputs: o.MaxOutputs}
}

// Family declares the deployments of every target: their ARNs take no tags.
func (s *Service) Family() family.Family {
	return family.Family{Name: "deployments", Operations: []string{"DeleteDeployment", "GetDeployment", "ListDeployments"},
		Resources: []family.Resource{{Type: ResourceType}}}
}

// ARN returns the ARN of a deployment.
func ARN(d store.Deployment) string {
	return arn.New(d.Region, d.Account, ResourceType+"/"+d.ID).String()
}

// Queued tells the workers that a write queued a deployment's job.
func (s *Service) Queued() { s.wake() }

// Cancel asks the in-progress deployment id to stop
// (store.Deployments.CancelDeployment). The store's errors come back as
// they are, for the target's family to word. After a cancel, stop stops
// this process's run of the deployment at once: the caller reads its
// answer first, so that the answer shows the cancel rather than the end of
// the run it cuts short.
func (s *Service) Cancel(ctx context.Context, region, id string, now time.Time) (store.Deployment, func(), error) {
	d, err := s.store.CancelDeployment(ctx, region, id, now)
	if err != nil {
		return d, func() {}, err
	}
	return d, func() {
		s.interrupt(store.JobKey{Region: region, Kind: store.JobDeployment, ID: id}, worker.ErrCancelRequested)
		s.wake()
	}, nil
}

// Filter names what a deployment request is about: an environment, a
// service, one of its instances, a component.
type Filter struct {
	EnvironmentName     string
	ServiceName         string
	ServiceInstanceName string
	ComponentName       string
}

func (f Filter) check() error {
	switch {
	case f.ServiceInstanceName != "" && f.ServiceName == "":
		return fault.New(fault.Validation, "serviceInstanceName needs serviceName.")
	case f.ComponentName != "" && f.ServiceName != "":
		return fault.New(fault.Validation, "A deployment is of a component or of a service, not both: give componentName or serviceName.")
	}
	return nil
}

// matches reports whether d is a deployment the filter names.
func (f Filter) matches(d store.Deployment) bool {
	svc, inst := "", ""
	switch d.TargetResourceType {
	case store.TargetServiceInstance:
		svc, inst, _ = strings.Cut(d.TargetKey, "/")
	case store.TargetServicePipeline:
		svc = d.TargetKey
	}
	component := ""
	if d.TargetResourceType == store.TargetComponent {
		component = d.TargetKey
	}
	return (f.EnvironmentName == "" || f.EnvironmentName == d.EnvironmentName) &&
		(f.ServiceName == "" || f.ServiceName == svc) && (f.ServiceInstanceName == "" || f.ServiceInstanceName == inst) &&
		(f.ComponentName == "" || f.ComponentName == component)
}

// Get returns one of the caller's deployments; names given with it must
// match.
func (s *Service) Get(ctx context.Context, caller auth.Caller, id string, f Filter) (store.Deployment, error) {
	if err := f.check(); err != nil {
		return store.Deployment{}, err
	}
	d, err := s.store.GetDeployment(ctx, caller.Region, id)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && d.Account != caller.Account, err == nil && !f.matches(d):
		return store.Deployment{}, family.NotFound("Deployment", id)
	case err != nil:
		return store.Deployment{}, family.Internal("get deployment", err)
	}
	return d, nil
}

// ListInput is a ListDeployments request.
type ListInput struct {
	Filter
	MaxResults int
	NextToken  string
}

// List returns one page of the caller's deployments, newest first.
func (s *Service) List(ctx context.Context, caller auth.Caller, in ListInput) ([]store.Deployment, string, error) {
	if err := in.check(); err != nil {
		return nil, "", err
	}
	if in.EnvironmentName != "" {
		_, err := s.store.GetEnvironment(ctx, caller.Account, caller.Region, in.EnvironmentName)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, "", family.NotFound("Environment", in.EnvironmentName)
		case err != nil:
			return nil, "", family.Internal("get environment", err)
		}
	}
	if in.ServiceName != "" {
		_, err := s.store.GetService(ctx, caller.Account, caller.Region, in.ServiceName)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, "", family.NotFound("Service", in.ServiceName)
		case err != nil:
			return nil, "", family.Internal("get service", err)
		}
	}
	if in.ComponentName != "" {
		_, err := s.store.GetComponent(ctx, caller.Account, caller.Region, in.ComponentName)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, "", family.NotFound("Component", in.ComponentName)
		case err != nil:
			return nil, "", family.Internal("get component", err)
		}
	}
	binding := paging.Binding("ListDeployments", caller.Account, caller.Region, in.EnvironmentName, in.ServiceName, in.ServiceInstanceName,
		in.ComponentName)
	q := store.ListDeploymentsQuery{Account: caller.Account, Region: caller.Region, EnvironmentName: in.EnvironmentName,
		ServiceName: in.ServiceName, ServiceInstanceName: in.ServiceInstanceName, ComponentName: in.ComponentName}
	if in.NextToken != "" {
		at, id, err := paging.DecodeTimeID(s.pages, binding, in.NextToken)
		if err != nil {
			return nil, "", err
		}
		q.After = &store.DeploymentCursor{CreatedAt: at, ID: id}
	}
	limit := paging.Size(in.MaxResults, MaxPageSize)
	q.Limit = limit + 1
	rows, err := s.store.ListDeployments(ctx, q)
	if err != nil {
		return nil, "", family.Internal("list deployments", err)
	}
	rows, next := paging.Cut(s.pages, binding, rows, limit, func(d store.Deployment) []byte { return paging.TimeID(d.CreatedAt, d.ID) })
	return rows, next, nil
}

// targetWords name the target types in messages.
var targetWords = map[store.TargetType]string{store.TargetEnvironment: "environment", store.TargetServiceInstance: "service instance",
	store.TargetServicePipeline: "the pipeline of service", store.TargetComponent: "component"}

// Delete deletes one record of deployment history: a finished deployment
// that is neither the last attempted nor the last succeeded one of its
// target.
func (s *Service) Delete(ctx context.Context, caller auth.Caller, id string) (store.Deployment, error) {
	if _, err := s.Get(ctx, caller, id, Filter{}); err != nil {
		return store.Deployment{}, err
	}
	out, err := s.store.DeleteDeployment(ctx, caller.Region, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Deployment{}, family.NotFound("Deployment", id)
	case errors.Is(err, store.ErrConditionFailed) && out.Status.InFlight():
		return store.Deployment{}, fault.New(fault.Conflict, "Deployment %s is %s and cannot be deleted.", id, out.Status)
	case errors.Is(err, store.ErrConditionFailed):
		return store.Deployment{}, fault.New(fault.Conflict, "Deployment %s is the last attempted or last succeeded deployment of %s %s and cannot be deleted.", id, targetWords[out.TargetResourceType], out.TargetKey)
	case err != nil:
		return store.Deployment{}, family.Internal("delete deployment", err)
	}
	return out, nil
}
