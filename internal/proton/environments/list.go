package environments

import (
	"context"
	"errors"
	"sort"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/paging"
	"github.com/openproton/openproton/internal/store"
)

// ListInput is a ListEnvironments request.
type ListInput struct {
	Templates  []store.TemplateFilter
	MaxResults int // 0 means the default
	NextToken  string
}

// List returns one page of the caller's environments in name order, and the
// token of the next page ("" on the last).
func (s *Service) List(ctx context.Context, caller auth.Caller, in ListInput) ([]store.Environment, string, error) {
	filters := make([]string, len(in.Templates))
	for i, f := range in.Templates {
		filters[i] = f.TemplateName + ":" + f.MajorVersion
	}
	sort.Strings(filters)
	binding := paging.Binding(append([]string{"ListEnvironments", caller.Account, caller.Region}, filters...)...)
	q := store.ListEnvironmentsQuery{Account: caller.Account, Region: caller.Region, Templates: in.Templates}
	if in.NextToken != "" {
		after, err := paging.DecodeName(s.pages, binding, in.NextToken)
		if err != nil {
			return nil, "", err
		}
		q.After = after
	}
	limit := paging.Size(in.MaxResults, MaxPageSize)
	q.Limit = limit + 1
	rows, err := s.store.ListEnvironments(ctx, q)
	if err != nil {
		return nil, "", family.Internal("list environments", err)
	}
	rows, next := paging.Cut(s.pages, binding, rows, limit, func(e store.Environment) []byte { return paging.Name(e.Name) })
	return rows, next, nil
}

// DeploymentFilter names what a deployment request is about; only
// environments exist so far, so a service or component name matches nothing.
type DeploymentFilter struct {
	EnvironmentName     string
	ServiceName         string
	ServiceInstanceName string
	ComponentName       string
}

func (f DeploymentFilter) check() error {
	switch {
	case f.ServiceInstanceName != "" && f.ServiceName == "":
		return fault.New(fault.Validation, "serviceInstanceName needs serviceName.")
	case f.ServiceName != "":
		return fault.New(fault.NotFound, "Service %s was not found.", f.ServiceName)
	case f.ComponentName != "":
		return fault.New(fault.NotFound, "Component %s was not found.", f.ComponentName)
	}
	return nil
}

// GetDeployment returns one of the caller's deployments; names given with it
// must match.
func (s *Service) GetDeployment(ctx context.Context, caller auth.Caller, id string, f DeploymentFilter) (store.Deployment, error) {
	if err := f.check(); err != nil {
		return store.Deployment{}, err
	}
	d, err := s.store.GetDeployment(ctx, caller.Region, id)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && d.Account != caller.Account,
		err == nil && f.EnvironmentName != "" && f.EnvironmentName != d.EnvironmentName:
		return store.Deployment{}, fault.New(fault.NotFound, "Deployment %s was not found.", id)
	case err != nil:
		return store.Deployment{}, family.Internal("get deployment", err)
	}
	return d, nil
}

// ListDeploymentsInput is a ListDeployments request.
type ListDeploymentsInput struct {
	DeploymentFilter
	MaxResults int
	NextToken  string
}

// ListDeployments returns one page of the caller's deployments, newest first.
func (s *Service) ListDeployments(ctx context.Context, caller auth.Caller, in ListDeploymentsInput) ([]store.Deployment, string, error) {
	if err := in.check(); err != nil {
		return nil, "", err
	}
	if in.EnvironmentName != "" {
		if _, err := s.load(ctx, caller, in.EnvironmentName); err != nil {
			return nil, "", err
		}
	}
	binding := paging.Binding("ListDeployments", caller.Account, caller.Region, in.EnvironmentName)
	q := store.ListDeploymentsQuery{Account: caller.Account, Region: caller.Region, EnvironmentName: in.EnvironmentName}
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

// DeleteDeployment deletes one record of deployment history: a finished
// deployment that is neither the last attempted nor the last succeeded one
// of its environment.
func (s *Service) DeleteDeployment(ctx context.Context, caller auth.Caller, id string) (store.Deployment, error) {
	d, err := s.GetDeployment(ctx, caller, id, DeploymentFilter{})
	if err != nil {
		return d, err
	}
	out, err := s.store.DeleteDeployment(ctx, caller.Region, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Deployment{}, fault.New(fault.NotFound, "Deployment %s was not found.", id)
	case errors.Is(err, store.ErrConditionFailed) && out.Status.InFlight():
		return store.Deployment{}, fault.New(fault.Conflict, "Deployment %s is %s and cannot be deleted.", id, out.Status)
	case errors.Is(err, store.ErrConditionFailed):
		return store.Deployment{}, fault.New(fault.Conflict, "Deployment %s is the last attempted or last succeeded deployment of environment %s and cannot be deleted.", id, out.EnvironmentName)
	case err != nil:
		return store.Deployment{}, family.Internal("delete deployment", err)
	}
	return out, nil
}

// deploymentOf returns the deployment whose records a list of outputs or
// resources reads: the one named (which must belong to the environment), or
// the environment's last succeeded deployment ("" when none).
func (s *Service) deploymentOf(ctx context.Context, caller auth.Caller, name, id string) (string, error) {
	e, err := s.load(ctx, caller, name)
	if err != nil {
		return "", err
	}
	if id == "" {
		return e.LastSucceededDeploymentID, nil
	}
	if _, err := s.GetDeployment(ctx, caller, id, DeploymentFilter{EnvironmentName: name}); err != nil {
		return "", err
	}
	return id, nil
}

// Outputs returns an environment's outputs: those of its last succeeded
// deployment, or of the deployment named.
func (s *Service) Outputs(ctx context.Context, caller auth.Caller, name, deploymentID string) ([]store.Output, error) {
	id, err := s.deploymentOf(ctx, caller, name, deploymentID)
	if err != nil || id == "" {
		return []store.Output{}, err
	}
	out, err := s.store.ListOutputs(ctx, caller.Region, id)
	if err != nil {
		return nil, family.Internal("list outputs", err)
	}
	return out, nil
}

// ProvisionedResources returns the resources of an environment's last
// succeeded deployment.
func (s *Service) ProvisionedResources(ctx context.Context, caller auth.Caller, name string) ([]store.ProvisionedResource, error) {
	id, err := s.deploymentOf(ctx, caller, name, "")
	if err != nil || id == "" {
		return []store.ProvisionedResource{}, err
	}
	out, err := s.store.ListProvisionedResources(ctx, caller.Region, id)
	if err != nil {
		return nil, family.Internal("list provisioned resources", err)
	}
	return out, nil
}
