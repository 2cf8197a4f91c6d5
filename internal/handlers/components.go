package handlers

import (
	"context"

	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/proton/components"
	"github.com/openproton/openproton/internal/store"
)

// componentValues holds the values a component's answer derives from its
// row.
type componentValues struct {
	arn   string
	times [4]api.Time
}

// componentOf is the answer form of a component; ListComponents answers
// its Summary.
func componentOf(c *store.Component, a *componentValues) api.Component {
	a.arn = components.ARN(*c)
	return api.Component{
		Arn:                       &a.arn,
		CreatedAt:                 stamp(&a.times[0], c.CreatedAt),
		DeploymentStatus:          opt((*string)(&c.DeploymentStatus)),
		DeploymentStatusMessage:   opt(&c.DeploymentStatusMessage),
		Description:               opt(&c.Description),
		EnvironmentName:           opt(&c.EnvironmentName),
		LastAttemptedDeploymentId: opt(&c.LastAttemptedDeploymentID),
		LastClientRequestToken:    opt(&c.LastClientToken),
		LastDeploymentAttemptedAt: stamp(&a.times[1], c.LastDeploymentAttemptedAt),
		LastDeploymentSucceededAt: stampOrNil(&a.times[2], c.LastDeploymentSucceededAt),
		LastModifiedAt:            stamp(&a.times[3], c.LastModifiedAt),
		LastSucceededDeploymentId: opt(&c.LastSucceededDeploymentID),
		Name:                      opt(&c.Name),
		ServiceInstanceName:       opt(&c.ServiceInstanceName),
		ServiceName:               opt(&c.ServiceName),
		ServiceSpec:               opt(&c.Spec),
	}
}

// component runs one domain call on a component as the caller.
func (s *Service) component(ctx context.Context, call func(auth.Caller) (store.Component, error)) (*api.Component, error) {
	c, err := withCaller(ctx, call)
	if err != nil {
		return nil, err
	}
	return one(c, componentOf), nil
}

// CreateComponent creates a component and starts its first deployment.
func (s *Service) CreateComponent(ctx context.Context, in *api.CreateComponentInput) (*api.CreateComponentOutput, error) {
	c, err := s.component(ctx, func(caller auth.Caller) (store.Component, error) {
		return s.Components.Create(ctx, caller, components.CreateInput{Name: str(in.Name), Description: str(in.Description),
			EnvironmentName: str(in.EnvironmentName), ServiceName: str(in.ServiceName), ServiceInstanceName: str(in.ServiceInstanceName),
			ServiceSpec: str(in.ServiceSpec), Manifest: str(in.Manifest), TemplateFile: str(in.TemplateFile),
			ClientToken: str(in.ClientToken), Tags: tagsIn(in.Tags)})
	})
	if err != nil {
		return nil, err
	}
	return &api.CreateComponentOutput{Component: c}, nil
}

// GetComponent reads one of the caller's components.
func (s *Service) GetComponent(ctx context.Context, in *api.GetComponentInput) (*api.GetComponentOutput, error) {
	c, err := s.component(ctx, func(caller auth.Caller) (store.Component, error) { return s.Components.Get(ctx, caller, str(in.Name)) })
	if err != nil {
		return nil, err
	}
	return &api.GetComponentOutput{Component: c}, nil
}

// UpdateComponent changes a component's description, or deploys it again.
func (s *Service) UpdateComponent(ctx context.Context, in *api.UpdateComponentInput) (*api.UpdateComponentOutput, error) {
	c, err := s.component(ctx, func(caller auth.Caller) (store.Component, error) {
		return s.Components.Update(ctx, caller, str(in.Name), components.UpdateInput{DeploymentType: str(in.DeploymentType),
			Description: in.Description, ServiceName: in.ServiceName, ServiceInstanceName: in.ServiceInstanceName,
			ServiceSpec: in.ServiceSpec, TemplateFile: in.TemplateFile, ClientToken: str(in.ClientToken)})
	})
	if err != nil {
		return nil, err
	}
	return &api.UpdateComponentOutput{Component: c}, nil
}

// DeleteComponent starts deleting a detached component; a repeated delete
// after it is gone answers an empty output.
func (s *Service) DeleteComponent(ctx context.Context, in *api.DeleteComponentInput) (*api.DeleteComponentOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	c, found, err := s.Components.Delete(ctx, caller, str(in.Name))
	if err != nil || !found {
		return &api.DeleteComponentOutput{}, err
	}
	return &api.DeleteComponentOutput{Component: one(c, componentOf)}, nil
}

// CancelComponentDeployment asks a component's update to stop.
func (s *Service) CancelComponentDeployment(ctx context.Context, in *api.CancelComponentDeploymentInput) (*api.CancelComponentDeploymentOutput, error) {
	c, err := s.component(ctx, func(caller auth.Caller) (store.Component, error) {
		return s.Components.Cancel(ctx, caller, str(in.ComponentName))
	})
	if err != nil {
		return nil, err
	}
	return &api.CancelComponentDeploymentOutput{Component: c}, nil
}

// ListComponents lists the caller's components.
func (s *Service) ListComponents(ctx context.Context, in *api.ListComponentsInput) (*api.ListComponentsOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	rows, next, err := s.Components.List(ctx, caller, components.ListInput{EnvironmentName: str(in.EnvironmentName),
		ServiceName: str(in.ServiceName), ServiceInstanceName: str(in.ServiceInstanceName),
		MaxResults: size(in.MaxResults), NextToken: str(in.NextToken)})
	if err != nil {
		return nil, err
	}
	return &api.ListComponentsOutput{Components: summaries(rows, componentOf, (*api.Component).Summary), NextToken: ptr(next)}, nil
}

// ListComponentOutputs lists a component's outputs.
func (s *Service) ListComponentOutputs(ctx context.Context, in *api.ListComponentOutputsInput) (*api.ListComponentOutputsOutput, error) {
	outs, err := withCaller(ctx, func(caller auth.Caller) ([]store.Output, error) {
		return s.Components.Outputs(ctx, caller, str(in.ComponentName), str(in.DeploymentId))
	})
	if err != nil {
		return nil, err
	}
	return &api.ListComponentOutputsOutput{Outputs: outputsOut(outs)}, nil
}

// ListComponentProvisionedResources lists a component's resources.
func (s *Service) ListComponentProvisionedResources(ctx context.Context, in *api.ListComponentProvisionedResourcesInput) (*api.ListComponentProvisionedResourcesOutput, error) {
	rs, err := withCaller(ctx, func(caller auth.Caller) ([]store.ProvisionedResource, error) {
		return s.Components.Resources(ctx, caller, str(in.ComponentName))
	})
	if err != nil {
		return nil, err
	}
	return &api.ListComponentProvisionedResourcesOutput{ProvisionedResources: resourcesOut(rs)}, nil
}
