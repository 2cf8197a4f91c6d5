package handlers

import (
	"context"
	"time"

	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/proton/environments"
	"github.com/openproton/openproton/internal/store"
)

// timeOrNil returns nil for the zero time (a member that has no value yet).
func timeOrNil(t time.Time) *api.Time {
	if t.IsZero() {
		return nil
	}
	return api.TimeOf(t)
}

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

func environmentOut(e store.Environment) *api.Environment {
	return &api.Environment{
		Arn:                            ptr(environments.ARN(e)),
		CodebuildRoleArn:               ptr(e.CodebuildRoleArn),
		ComponentRoleArn:               ptr(e.ComponentRoleArn),
		CreatedAt:                      api.TimeOf(e.CreatedAt),
		DeploymentStatus:               ptr(string(e.DeploymentStatus)),
		DeploymentStatusMessage:        ptr(e.DeploymentStatusMessage),
		Description:                    ptr(e.Description),
		EnvironmentAccountConnectionId: ptr(e.EnvironmentAccountConnectionID),
		EnvironmentAccountId:           ptr(e.EnvironmentAccountID),
		LastAttemptedDeploymentId:      ptr(e.LastAttemptedDeploymentID),
		LastDeploymentAttemptedAt:      api.TimeOf(e.LastDeploymentAttemptedAt),
		LastDeploymentSucceededAt:      timeOrNil(e.LastDeploymentSucceededAt),
		LastSucceededDeploymentId:      ptr(e.LastSucceededDeploymentID),
		Name:                           ptr(e.Name),
		ProtonServiceRoleArn:           ptr(e.ProtonServiceRoleArn),
		Provisioning:                   ptr(e.Provisioning),
		ProvisioningRepository:         repositoryOut(e.Region, e.Account, e.ProvisioningRepository),
		Spec:                           ptr(e.Spec),
		TemplateMajorVersion:           ptr(e.MajorVersion),
		TemplateMinorVersion:           ptr(e.MinorVersion),
		TemplateName:                   ptr(e.TemplateName),
	}
}

func environmentSummary(e store.Environment) api.EnvironmentSummary {
	return api.EnvironmentSummary{
		Arn:                            ptr(environments.ARN(e)),
		ComponentRoleArn:               ptr(e.ComponentRoleArn),
		CreatedAt:                      api.TimeOf(e.CreatedAt),
		DeploymentStatus:               ptr(string(e.DeploymentStatus)),
		DeploymentStatusMessage:        ptr(e.DeploymentStatusMessage),
		Description:                    ptr(e.Description),
		EnvironmentAccountConnectionId: ptr(e.EnvironmentAccountConnectionID),
		EnvironmentAccountId:           ptr(e.EnvironmentAccountID),
		LastAttemptedDeploymentId:      ptr(e.LastAttemptedDeploymentID),
		LastDeploymentAttemptedAt:      api.TimeOf(e.LastDeploymentAttemptedAt),
		LastDeploymentSucceededAt:      timeOrNil(e.LastDeploymentSucceededAt),
		LastSucceededDeploymentId:      ptr(e.LastSucceededDeploymentID),
		Name:                           ptr(e.Name),
		ProtonServiceRoleArn:           ptr(e.ProtonServiceRoleArn),
		Provisioning:                   ptr(e.Provisioning),
		TemplateMajorVersion:           ptr(e.MajorVersion),
		TemplateMinorVersion:           ptr(e.MinorVersion),
		TemplateName:                   ptr(e.TemplateName),
	}
}

func environmentSummaries(rows []store.Environment) []api.EnvironmentSummary {
	out := make([]api.EnvironmentSummary, len(rows))
	for i, e := range rows {
		out[i] = environmentSummary(e)
	}
	return out
}

// environment runs one domain call on a single environment as the caller.
func (s *Service) environment(ctx context.Context, call func(auth.Caller) (store.Environment, error)) (*api.Environment, error) {
	e, err := withCaller(ctx, call)
	if err != nil {
		return nil, err
	}
	return environmentOut(e), nil
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
	return &api.DeleteEnvironmentOutput{Environment: environmentOut(e)}, nil
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
	return &api.ListEnvironmentsOutput{Environments: environmentSummaries(rows), NextToken: ptr(next)}, nil
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
	out := &api.ListEnvironmentOutputsOutput{Outputs: make([]api.Output, len(outs))}
	for i, o := range outs {
		out.Outputs[i] = api.Output{Key: ptr(o.Key), ValueString: &outs[i].Value}
	}
	return out, nil
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
	out := &api.ListEnvironmentProvisionedResourcesOutput{ProvisionedResources: make([]api.ProvisionedResource, len(rs))}
	for i, r := range rs {
		out.ProvisionedResources[i] = api.ProvisionedResource{Name: ptr(r.Name), Identifier: ptr(r.Identifier), ProvisioningEngine: ptr(r.Engine)}
	}
	return out, nil
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
	err = s.Environments.Notify(ctx, caller, environments.NotifyInput{
		ResourceArn: str(in.ResourceArn), Status: str(in.Status), DeploymentID: str(in.DeploymentId),
		Outputs: outs, StatusMessage: in.StatusMessage,
	})
	if err != nil {
		return nil, err
	}
	return &api.NotifyResourceDeploymentStatusChangeOutput{}, nil
}
