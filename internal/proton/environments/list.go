package environments

import (
	"context"
	"sort"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/proton/deployments"
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
	return paging.ByName(s.pages, binding, in.NextToken, in.MaxResults, MaxPageSize, func(after string, limit int) ([]store.Environment, error) {
		rows, err := s.store.ListEnvironments(ctx, store.ListEnvironmentsQuery{Account: caller.Account, Region: caller.Region,
			Templates: in.Templates, After: after, Limit: limit})
		if err != nil {
			return nil, family.Internal("list environments", err)
		}
		return rows, nil
	}, func(e store.Environment) string { return e.Name })
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
	d, err := s.deployments.Get(ctx, caller, id, deployments.Filter{EnvironmentName: name})
	if err != nil {
		return "", err
	}
	if d.TargetResourceType != store.TargetEnvironment {
		// A deployment of a service instance in the environment.
		return "", family.NotFound("Deployment", id)
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
