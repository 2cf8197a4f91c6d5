package handlers

import (
	"context"

	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/proton/services"
	"github.com/openproton/openproton/internal/store"
)

// targetValues holds the values an instance's or pipeline's answer derives
// from its row.
type targetValues struct {
	arn   string
	times [3]api.Time
}

// pipelineOf is the answer form of a pipeline.
func pipelineOf(t *store.ServiceTarget, a *targetValues) api.ServicePipeline {
	a.arn = services.TargetARN(*t)
	return api.ServicePipeline{
		Arn:                       &a.arn,
		CreatedAt:                 stamp(&a.times[0], t.CreatedAt),
		DeploymentStatus:          opt((*string)(&t.DeploymentStatus)),
		DeploymentStatusMessage:   opt(&t.DeploymentStatusMessage),
		LastAttemptedDeploymentId: opt(&t.LastAttemptedDeploymentID),
		LastDeploymentAttemptedAt: stamp(&a.times[1], t.LastDeploymentAttemptedAt),
		LastDeploymentSucceededAt: stampOrNil(&a.times[2], t.LastDeploymentSucceededAt),
		LastSucceededDeploymentId: opt(&t.LastSucceededDeploymentID),
		Spec:                      opt(&t.Spec),
		TemplateMajorVersion:      opt(&t.MajorVersion),
		TemplateMinorVersion:      opt(&t.MinorVersion),
		TemplateName:              opt(&t.TemplateName),
	}
}

// instanceOf is the answer form of an instance; ListServiceInstances
// answers its Summary.
func instanceOf(t *store.ServiceTarget, a *targetValues) api.ServiceInstance {
	p := pipelineOf(t, a)
	return api.ServiceInstance{
		Arn: p.Arn, CreatedAt: p.CreatedAt, DeploymentStatus: p.DeploymentStatus, DeploymentStatusMessage: p.DeploymentStatusMessage,
		EnvironmentName:           opt(&t.EnvironmentName),
		LastAttemptedDeploymentId: p.LastAttemptedDeploymentId, LastClientRequestToken: opt(&t.LastClientToken),
		LastDeploymentAttemptedAt: p.LastDeploymentAttemptedAt, LastDeploymentSucceededAt: p.LastDeploymentSucceededAt,
		LastSucceededDeploymentId: p.LastSucceededDeploymentId, Name: opt(&t.Name), ServiceName: opt(&t.ServiceName),
		Spec: p.Spec, TemplateMajorVersion: p.TemplateMajorVersion, TemplateMinorVersion: p.TemplateMinorVersion, TemplateName: p.TemplateName,
	}
}

// serviceValues holds the values a service's answer derives from its row.
type serviceValues struct {
	arn      string
	times    [2]api.Time
	pipeline targetValues
	pipe     api.ServicePipeline
}

// serviceOf is the answer form of a service; ListServices answers its
// Summary.
func serviceOf(v *store.Service, a *serviceValues) api.Service {
	a.arn = services.ARN(*v)
	out := api.Service{
		Arn:                     &a.arn,
		BranchName:              opt(&v.BranchName),
		CreatedAt:               stamp(&a.times[0], v.CreatedAt),
		Description:             opt(&v.Description),
		LastModifiedAt:          stamp(&a.times[1], v.LastModifiedAt),
		Name:                    opt(&v.Name),
		RepositoryConnectionArn: opt(&v.RepositoryConnectionArn),
		RepositoryId:            opt(&v.RepositoryID),
		Spec:                    opt(&v.Spec),
		Status:                  opt((*string)(&v.Status)),
		StatusMessage:           opt(&v.StatusMessage),
		TemplateName:            opt(&v.TemplateName),
	}
	if v.Pipeline != nil {
		a.pipe = pipelineOf(v.Pipeline, &a.pipeline)
		out.Pipeline = &a.pipe
	}
	return out
}

// service runs one domain call on a single service as the caller.
func (s *Service) service(ctx context.Context, call func(auth.Caller) (store.Service, error)) (*api.Service, error) {
	v, err := withCaller(ctx, call)
	if err != nil {
		return nil, err
	}
	return one(v, serviceOf), nil
}

// target runs one domain call on an instance or pipeline as the caller.
func target[X any](ctx context.Context, of func(*store.ServiceTarget, *targetValues) X, call func(auth.Caller) (store.ServiceTarget, error)) (*X, error) {
	t, err := withCaller(ctx, call)
	if err != nil {
		return nil, err
	}
	return one(t, of), nil
}

// CreateService creates a service with its instances and pipeline.
func (s *Service) CreateService(ctx context.Context, in *api.CreateServiceInput) (*api.CreateServiceOutput, error) {
	v, err := s.service(ctx, func(caller auth.Caller) (store.Service, error) {
		return s.Services.Create(ctx, caller, services.CreateInput{
			Name: str(in.Name), TemplateName: str(in.TemplateName), TemplateMajorVersion: str(in.TemplateMajorVersion),
			TemplateMinorVersion: str(in.TemplateMinorVersion), Spec: str(in.Spec), Description: str(in.Description),
			RepositoryConnectionArn: str(in.RepositoryConnectionArn), RepositoryID: str(in.RepositoryId), BranchName: str(in.BranchName),
			Tags: tagsIn(in.Tags),
		})
	})
	if err != nil {
		return nil, err
	}
	return &api.CreateServiceOutput{Service: v}, nil
}

// GetService reads one of the caller's services.
func (s *Service) GetService(ctx context.Context, in *api.GetServiceInput) (*api.GetServiceOutput, error) {
	v, err := s.service(ctx, func(caller auth.Caller) (store.Service, error) { return s.Services.Get(ctx, caller, str(in.Name)) })
	if err != nil {
		return nil, err
	}
	return &api.GetServiceOutput{Service: v}, nil
}

// UpdateService changes a service's description and instances.
func (s *Service) UpdateService(ctx context.Context, in *api.UpdateServiceInput) (*api.UpdateServiceOutput, error) {
	v, err := s.service(ctx, func(caller auth.Caller) (store.Service, error) {
		return s.Services.Update(ctx, caller, str(in.Name), services.UpdateInput{Description: in.Description, Spec: in.Spec})
	})
	if err != nil {
		return nil, err
	}
	return &api.UpdateServiceOutput{Service: v}, nil
}

// DeleteService starts deleting a service; a repeated delete after it is
// gone answers an empty output.
func (s *Service) DeleteService(ctx context.Context, in *api.DeleteServiceInput) (*api.DeleteServiceOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	v, found, err := s.Services.Delete(ctx, caller, str(in.Name))
	if err != nil || !found {
		return &api.DeleteServiceOutput{}, err
	}
	return &api.DeleteServiceOutput{Service: one(v, serviceOf)}, nil
}

// ListServices lists the caller's services.
func (s *Service) ListServices(ctx context.Context, in *api.ListServicesInput) (*api.ListServicesOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	rows, next, err := s.Services.List(ctx, caller, services.ListInput{MaxResults: size(in.MaxResults), NextToken: str(in.NextToken)})
	if err != nil {
		return nil, err
	}
	return &api.ListServicesOutput{Services: summaries(rows, serviceOf, (*api.Service).Summary), NextToken: ptr(next)}, nil
}

// GetServiceInstance reads one of the caller's service instances.
func (s *Service) GetServiceInstance(ctx context.Context, in *api.GetServiceInstanceInput) (*api.GetServiceInstanceOutput, error) {
	t, err := target(ctx, instanceOf, func(caller auth.Caller) (store.ServiceTarget, error) {
		return s.Services.GetInstance(ctx, caller, str(in.ServiceName), str(in.Name))
	})
	if err != nil {
		return nil, err
	}
	return &api.GetServiceInstanceOutput{ServiceInstance: t}, nil
}

// CreateServiceInstance adds an instance to a service.
func (s *Service) CreateServiceInstance(ctx context.Context, in *api.CreateServiceInstanceInput) (*api.CreateServiceInstanceOutput, error) {
	t, err := target(ctx, instanceOf, func(caller auth.Caller) (store.ServiceTarget, error) {
		return s.Services.CreateInstance(ctx, caller, services.CreateInstanceInput{Name: str(in.Name), ServiceName: str(in.ServiceName),
			Spec: str(in.Spec), TemplateMajorVersion: str(in.TemplateMajorVersion), TemplateMinorVersion: str(in.TemplateMinorVersion),
			ClientToken: str(in.ClientToken), Tags: tagsIn(in.Tags)})
	})
	if err != nil {
		return nil, err
	}
	return &api.CreateServiceInstanceOutput{ServiceInstance: t}, nil
}

// deployInput is the domain form of an instance or pipeline update.
func deployInput(typ, spec, major, minor, token *string) services.DeployInput {
	return services.DeployInput{DeploymentType: str(typ), Spec: spec, TemplateMajorVersion: major, TemplateMinorVersion: minor, ClientToken: str(token)}
}

// UpdateServiceInstance deploys a service instance again.
func (s *Service) UpdateServiceInstance(ctx context.Context, in *api.UpdateServiceInstanceInput) (*api.UpdateServiceInstanceOutput, error) {
	t, err := target(ctx, instanceOf, func(caller auth.Caller) (store.ServiceTarget, error) {
		return s.Services.UpdateInstance(ctx, caller, str(in.ServiceName), str(in.Name),
			deployInput(in.DeploymentType, in.Spec, in.TemplateMajorVersion, in.TemplateMinorVersion, in.ClientToken))
	})
	if err != nil {
		return nil, err
	}
	return &api.UpdateServiceInstanceOutput{ServiceInstance: t}, nil
}

// CancelServiceInstanceDeployment asks an instance's update to stop.
func (s *Service) CancelServiceInstanceDeployment(ctx context.Context, in *api.CancelServiceInstanceDeploymentInput) (*api.CancelServiceInstanceDeploymentOutput, error) {
	t, err := target(ctx, instanceOf, func(caller auth.Caller) (store.ServiceTarget, error) {
		return s.Services.CancelInstance(ctx, caller, str(in.ServiceName), str(in.ServiceInstanceName))
	})
	if err != nil {
		return nil, err
	}
	return &api.CancelServiceInstanceDeploymentOutput{ServiceInstance: t}, nil
}

// ListServiceInstances lists the caller's service instances.
func (s *Service) ListServiceInstances(ctx context.Context, in *api.ListServiceInstancesInput) (*api.ListServiceInstancesOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	filters := make([]services.Filter, len(in.Filters))
	for i, f := range in.Filters {
		filters[i] = services.Filter{Key: str(f.Key), Value: str(f.Value)}
	}
	rows, next, err := s.Services.ListInstances(ctx, caller, services.ListInstancesInput{ServiceName: str(in.ServiceName),
		Filters: filters, SortBy: str(in.SortBy), SortOrder: str(in.SortOrder), MaxResults: size(in.MaxResults), NextToken: str(in.NextToken)})
	if err != nil {
		return nil, err
	}
	return &api.ListServiceInstancesOutput{ServiceInstances: summaries(rows, instanceOf, (*api.ServiceInstance).Summary), NextToken: ptr(next)}, nil
}

// ListServiceInstanceOutputs lists an instance's outputs.
func (s *Service) ListServiceInstanceOutputs(ctx context.Context, in *api.ListServiceInstanceOutputsInput) (*api.ListServiceInstanceOutputsOutput, error) {
	outs, err := withCaller(ctx, func(caller auth.Caller) ([]store.Output, error) {
		return s.Services.InstanceOutputs(ctx, caller, str(in.ServiceName), str(in.ServiceInstanceName), str(in.DeploymentId))
	})
	if err != nil {
		return nil, err
	}
	return &api.ListServiceInstanceOutputsOutput{Outputs: outputsOut(outs)}, nil
}

// ListServiceInstanceProvisionedResources lists an instance's resources.
func (s *Service) ListServiceInstanceProvisionedResources(ctx context.Context, in *api.ListServiceInstanceProvisionedResourcesInput) (*api.ListServiceInstanceProvisionedResourcesOutput, error) {
	rs, err := withCaller(ctx, func(caller auth.Caller) ([]store.ProvisionedResource, error) {
		return s.Services.InstanceResources(ctx, caller, str(in.ServiceName), str(in.ServiceInstanceName))
	})
	if err != nil {
		return nil, err
	}
	return &api.ListServiceInstanceProvisionedResourcesOutput{ProvisionedResources: resourcesOut(rs)}, nil
}

// UpdateServicePipeline deploys a service's pipeline again.
func (s *Service) UpdateServicePipeline(ctx context.Context, in *api.UpdateServicePipelineInput) (*api.UpdateServicePipelineOutput, error) {
	t, err := target(ctx, pipelineOf, func(caller auth.Caller) (store.ServiceTarget, error) {
		return s.Services.UpdatePipeline(ctx, caller, str(in.ServiceName),
			deployInput(in.DeploymentType, in.Spec, in.TemplateMajorVersion, in.TemplateMinorVersion, nil))
	})
	if err != nil {
		return nil, err
	}
	return &api.UpdateServicePipelineOutput{Pipeline: t}, nil
}

// CancelServicePipelineDeployment asks a pipeline's update to stop.
func (s *Service) CancelServicePipelineDeployment(ctx context.Context, in *api.CancelServicePipelineDeploymentInput) (*api.CancelServicePipelineDeploymentOutput, error) {
	t, err := target(ctx, pipelineOf, func(caller auth.Caller) (store.ServiceTarget, error) {
		return s.Services.CancelPipeline(ctx, caller, str(in.ServiceName))
	})
	if err != nil {
		return nil, err
	}
	return &api.CancelServicePipelineDeploymentOutput{Pipeline: t}, nil
}

// ListServicePipelineOutputs lists a pipeline's outputs.
func (s *Service) ListServicePipelineOutputs(ctx context.Context, in *api.ListServicePipelineOutputsInput) (*api.ListServicePipelineOutputsOutput, error) {
	outs, err := withCaller(ctx, func(caller auth.Caller) ([]store.Output, error) {
		return s.Services.PipelineOutputs(ctx, caller, str(in.ServiceName), str(in.DeploymentId))
	})
	if err != nil {
		return nil, err
	}
	return &api.ListServicePipelineOutputsOutput{Outputs: outputsOut(outs)}, nil
}

// ListServicePipelineProvisionedResources lists a pipeline's resources.
func (s *Service) ListServicePipelineProvisionedResources(ctx context.Context, in *api.ListServicePipelineProvisionedResourcesInput) (*api.ListServicePipelineProvisionedResourcesOutput, error) {
	rs, err := withCaller(ctx, func(caller auth.Caller) ([]store.ProvisionedResource, error) {
		return s.Services.PipelineResources(ctx, caller, str(in.ServiceName))
	})
	if err != nil {
		return nil, err
	}
	return &api.ListServicePipelineProvisionedResourcesOutput{ProvisionedResources: resourcesOut(rs)}, nil
}
