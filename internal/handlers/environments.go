package handlers

import (
	"context"

	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/components"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/environments"
	"github.com/openproton/openproton/internal/proton/services"
	"github.com/openproton/openproton/internal/store"
)

func repositoryOut(region, account string, r store.RepositoryBranch) *api.RepositoryBranch {
	if r == (store.RepositoryBranch{}) {
		return nil
	}
	return &api.RepositoryBranch{
		Arn:      ptr(environments.RepositoryARN(region, account, r)),
		Branch:   ptr(r.Branch),
		Name:     ptr(r.Name),
		Provider: ptr(r.Provider),
	}
}

func repositoryIn(in *api.RepositoryBranchInput) *store.RepositoryBranch {
	if in == nil {
		return nil
	}
	return &store.RepositoryBranch{Provider: str(in.Provider), Name: str(in.Name), Branch: str(in.Branch)}
}

// environmentValues holds the values an environment's answer derives from
// its row.
type environmentValues struct {
	arn   string
	times [3]api.Time
}

// environmentOf is the answer form of *e; ListEnvironments answers its
// Summary.
func environmentOf(e *store.Environment, a *environmentValues) api.Environment {
	a.arn = environments.ARN(*e)
	return api.Environment{
		Arn:                            &a.arn,
		CodebuildRoleArn:               opt(&e.CodebuildRoleArn),
		ComponentRoleArn:               opt(&e.ComponentRoleArn),
		CreatedAt:                      stamp(&a.times[0], e.CreatedAt),
		DeploymentStatus:               opt((*string)(&e.DeploymentStatus)),
		DeploymentStatusMessage:        opt(&e.DeploymentStatusMessage),
		Description:                    opt(&e.Description),
		EnvironmentAccountConnectionId: opt(&e.EnvironmentAccountConnectionID),
		EnvironmentAccountId:           opt(&e.EnvironmentAccountID),
		LastAttemptedDeploymentId:      opt(&e.LastAttemptedDeploymentID),
		LastDeploymentAttemptedAt:      stamp(&a.times[1], e.LastDeploymentAttemptedAt),
		LastDeploymentSucceededAt:      stampOrNil(&a.times[2], e.LastDeploymentSucceededAt),
		LastSucceededDeploymentId:      opt(&e.LastSucceededDeploymentID),
		Name:                           opt(&e.Name),
		ProtonServiceRoleArn:           opt(&e.ProtonServiceRoleArn),
		Provisioning:                   opt(&e.Provisioning),
		ProvisioningRepository:         repositoryOut(e.Region, e.Account, e.ProvisioningRepository),
		Spec:                           opt(&e.Spec),
		TemplateMajorVersion:           opt(&e.MajorVersion),
		TemplateMinorVersion:           opt(&e.MinorVersion),
		TemplateName:                   opt(&e.TemplateName),
	}
}

// environment runs one domain call on a single environment as the caller.
func (s *Service) environment(ctx context.Context, call func(auth.Caller) (store.Environment, error)) (*api.Environment, error) {
	e, err := withCaller(ctx, call)
	if err != nil {
		return nil, err
	}
	return one(e, environmentOf), nil
}

// CreateEnvironment creates an environment in the caller's account.
func (s *Service) CreateEnvironment(ctx context.Context, in *api.CreateEnvironmentInput) (*api.CreateEnvironmentOutput, error) {
	e, err := s.environment(ctx, func(caller auth.Caller) (store.Environment, error) {
		return s.Environments.Create(ctx, caller, environments.CreateInput{
			Name:                           str(in.Name),
			TemplateName:                   str(in.TemplateName),
			TemplateMajorVersion:           str(in.TemplateMajorVersion),
			TemplateMinorVersion:           str(in.TemplateMinorVersion),
			Spec:                           str(in.Spec),
			Description:                    str(in.Description),
			ProtonServiceRoleArn:           str(in.ProtonServiceRoleArn),
			EnvironmentAccountConnectionID: str(in.EnvironmentAccountConnectionId),
			CodebuildRoleArn:               str(in.CodebuildRoleArn),
			ComponentRoleArn:               str(in.ComponentRoleArn),
			ProvisioningRepository:         repositoryIn(in.ProvisioningRepository),
			Tags:                           tagsIn(in.Tags),
		})
	})
	if err != nil {
		return nil, err
	}
	return &api.CreateEnvironmentOutput{Environment: e}, nil
}

// GetEnvironment reads one of the caller's environments.
func (s *Service) GetEnvironment(ctx context.Context, in *api.GetEnvironmentInput) (*api.GetEnvironmentOutput, error) {
	e, err := s.environment(ctx, func(caller auth.Caller) (store.Environment, error) {
		return s.Environments.Get(ctx, caller, str(in.Name))
	})
	if err != nil {
		return nil, err
	}
	return &api.GetEnvironmentOutput{Environment: e}, nil
}

// UpdateEnvironment changes and may deploy an environment.
func (s *Service) UpdateEnvironment(ctx context.Context, in *api.UpdateEnvironmentInput) (*api.UpdateEnvironmentOutput, error) {
	e, err := s.environment(ctx, func(caller auth.Caller) (store.Environment, error) {
		return s.Environments.Update(ctx, caller, str(in.Name), environments.UpdateInput{
			DeploymentType:                 str(in.DeploymentType),
			Description:                    in.Description,
			Spec:                           in.Spec,
			TemplateMajorVersion:           in.TemplateMajorVersion,
			TemplateMinorVersion:           in.TemplateMinorVersion,
			ProtonServiceRoleArn:           in.ProtonServiceRoleArn,
			EnvironmentAccountConnectionID: in.EnvironmentAccountConnectionId,
			CodebuildRoleArn:               in.CodebuildRoleArn,
			ComponentRoleArn:               in.ComponentRoleArn,
			ProvisioningRepository:         repositoryIn(in.ProvisioningRepository),
		})
	})
	if err != nil {
		return nil, err
	}
	return &api.UpdateEnvironmentOutput{Environment: e}, nil
}

// DeleteEnvironment starts deleting an environment; a repeated delete after
// it is gone answers an empty output.
func (s *Service) DeleteEnvironment(ctx context.Context, in *api.DeleteEnvironmentInput) (*api.DeleteEnvironmentOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	e, found, err := s.Environments.Delete(ctx, caller, str(in.Name))
	if err != nil {
		return nil, err
	}
	if !found {
		return &api.DeleteEnvironmentOutput{}, nil
	}
	return &api.DeleteEnvironmentOutput{Environment: one(e, environmentOf)}, nil
}

// CancelEnvironmentDeployment asks an in-progress update to stop.
func (s *Service) CancelEnvironmentDeployment(ctx context.Context, in *api.CancelEnvironmentDeploymentInput) (*api.CancelEnvironmentDeploymentOutput, error) {
	e, err := s.environment(ctx, func(caller auth.Caller) (store.Environment, error) {
		return s.Environments.Cancel(ctx, caller, str(in.EnvironmentName))
	})
	if err != nil {
		return nil, err
	}
	return &api.CancelEnvironmentDeploymentOutput{Environment: e}, nil
}

// ListEnvironments lists the caller's environments.
func (s *Service) ListEnvironments(ctx context.Context, in *api.ListEnvironmentsInput) (*api.ListEnvironmentsOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	filters := make([]store.TemplateFilter, len(in.EnvironmentTemplates))
	for i, f := range in.EnvironmentTemplates {
		filters[i] = store.TemplateFilter{TemplateName: str(f.TemplateName), MajorVersion: str(f.MajorVersion)}
	}
	rows, next, err := s.Environments.List(ctx, caller, environments.ListInput{
		Templates: filters, MaxResults: size(in.MaxResults), NextToken: str(in.NextToken),
	})
	if err != nil {
		return nil, err
	}
	return &api.ListEnvironmentsOutput{Environments: summaries(rows, environmentOf, (*api.Environment).Summary), NextToken: ptr(next)}, nil
}

// ListEnvironmentOutputs lists an environment's outputs.
func (s *Service) ListEnvironmentOutputs(ctx context.Context, in *api.ListEnvironmentOutputsInput) (*api.ListEnvironmentOutputsOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	outs, err := s.Environments.Outputs(ctx, caller, str(in.EnvironmentName), str(in.DeploymentId))
	if err != nil {
		return nil, err
	}
	return &api.ListEnvironmentOutputsOutput{Outputs: outputsOut(outs)}, nil
}

// outputsOut is the answer form of outputs; it points into outs.
func outputsOut(outs []store.Output) []api.Output {
	out := make([]api.Output, len(outs))
	for i := range outs {
		out[i] = api.Output{Key: &outs[i].Key, ValueString: &outs[i].Value}
	}
	return out
}

// resourcesOut is the answer form of provisioned resources; it points into
// rs.
func resourcesOut(rs []store.ProvisionedResource) []api.ProvisionedResource {
	out := make([]api.ProvisionedResource, len(rs))
	for i := range rs {
		out[i] = api.ProvisionedResource{Name: &rs[i].Name, Identifier: &rs[i].Identifier, ProvisioningEngine: &rs[i].Engine}
	}
	return out
}

// ListEnvironmentProvisionedResources lists an environment's provisioned
// resources.
func (s *Service) ListEnvironmentProvisionedResources(ctx context.Context, in *api.ListEnvironmentProvisionedResourcesInput) (*api.ListEnvironmentProvisionedResourcesOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := s.Environments.ProvisionedResources(ctx, caller, str(in.EnvironmentName))
	if err != nil {
		return nil, err
	}
	return &api.ListEnvironmentProvisionedResourcesOutput{ProvisionedResources: resourcesOut(rs)}, nil
}

// NotifyResourceDeploymentStatusChange records what provisioning automation
// reports.
func (s *Service) NotifyResourceDeploymentStatusChange(ctx context.Context, in *api.NotifyResourceDeploymentStatusChangeInput) (*api.NotifyResourceDeploymentStatusChangeOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	outs := make([]store.Output, len(in.Outputs))
	for i, o := range in.Outputs {
		outs[i] = store.Output{Key: str(o.Key), Value: str(o.ValueString)}
	}
	n := deployments.NotifyInput{
		ResourceArn: str(in.ResourceArn), Status: str(in.Status), DeploymentID: str(in.DeploymentId),
		Outputs: outs, StatusMessage: in.StatusMessage, Run: caller.Deployment,
	}
	// Service instances and pipelines have ARNs of type service,
	// components of type component; every other ARN is the environments
	// family's to answer.
	a, ok := arn.Parse(n.ResourceArn)
	switch {
	case ok && a.Type() == services.ResourceType:
		err = s.Services.Notify(ctx, caller, n)
	case ok && a.Type() == components.ResourceType:
		err = s.Components.Notify(ctx, caller, n)
	default:
		err = s.Environments.Notify(ctx, caller, n)
	}
	if err != nil {
		return nil, err
	}
	return &api.NotifyResourceDeploymentStatusChangeOutput{}, nil
}
