package components

import (
	"context"
	"errors"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/paging"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// ListInput is a ListComponents request: the names given must all match.
type ListInput struct {
	EnvironmentName     string
	ServiceName         string
	ServiceInstanceName string
	MaxResults          int
	NextToken           string
}

// List returns one page of the caller's components in name order.
func (s *Service) List(ctx context.Context, caller auth.Caller, in ListInput) ([]store.Component, string, error) {
	if in.ServiceInstanceName != "" && in.ServiceName == "" {
		return nil, "", fault.New(fault.Validation, "serviceInstanceName needs serviceName.")
	}
	binding := paging.Binding("ListComponents", caller.Account, caller.Region, in.EnvironmentName, in.ServiceName, in.ServiceInstanceName)
	return paging.ByName(s.pages, binding, in.NextToken, in.MaxResults, MaxPageSize, func(after string, limit int) ([]store.Component, error) {
		rows, err := s.store.ListComponents(ctx, store.ListComponentsQuery{Account: caller.Account, Region: caller.Region,
			EnvironmentName: in.EnvironmentName, ServiceName: in.ServiceName, ServiceInstanceName: in.ServiceInstanceName,
			After: after, Limit: limit})
		if err != nil {
			return nil, family.Internal("list components", err)
		}
		return rows, nil
	}, func(c store.Component) string { return c.Name })
}

// Outputs returns a component's outputs: those of its last succeeded
// deployment, or of the deployment named.
func (s *Service) Outputs(ctx context.Context, caller auth.Caller, name, deploymentID string) ([]store.Output, error) {
	c, err := s.load(ctx, caller, name)
	if err != nil {
		return nil, err
	}
	id := c.LastSucceededDeploymentID
	if deploymentID != "" {
		if _, err := s.deployments.Get(ctx, caller, deploymentID, deployments.Filter{ComponentName: name}); err != nil {
			return nil, err
		}
		id = deploymentID
	}
	if id == "" {
		return []store.Output{}, nil
	}
	out, err := s.store.ListOutputs(ctx, caller.Region, id)
	if err != nil {
		return nil, family.Internal("list outputs", err)
	}
	return out, nil
}

// Resources returns the resources of a component's last succeeded
// deployment.
func (s *Service) Resources(ctx context.Context, caller auth.Caller, name string) ([]store.ProvisionedResource, error) {
	c, err := s.load(ctx, caller, name)
	if err != nil {
		return nil, err
	}
	if c.LastSucceededDeploymentID == "" {
		return []store.ProvisionedResource{}, nil
	}
	out, err := s.store.ListProvisionedResources(ctx, caller.Region, c.LastSucceededDeploymentID)
	if err != nil {
		return nil, family.Internal("list provisioned resources", err)
	}
	return out, nil
}

// Notify records what provisioning automation reports about a deployment of
// a component (deployments.Service.Notify says how). The caller is the
// component's account.
func (s *Service) Notify(ctx context.Context, caller auth.Caller, in deployments.NotifyInput) error {
	a, ok := arn.Parse(in.ResourceArn)
	if !ok || a.Region != caller.Region || a.Account != caller.Account || a.Type() != ResourceType {
		return tagging.NotFound(in.ResourceArn)
	}
	c, err := s.store.GetComponent(ctx, a.Account, a.Region, a.ID())
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && ARN(c) != a.String():
		return tagging.NotFound(in.ResourceArn)
	case err != nil:
		return family.Internal("get component", err)
	}
	return s.deployments.NotifyTarget(ctx, deployments.NotifiedTarget{Account: c.Account, Region: c.Region, Type: store.TargetComponent, Key: c.Name,
		LastAttempted: c.LastAttemptedDeploymentID}, in, "component "+c.Name, s.clock())
}
