package handlers

import (
	"context"

	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/proton/environments"
	"github.com/openproton/openproton/internal/store"
)

func stateOut(st *store.TemplateState) *api.DeploymentState {
	if st == nil {
		return nil
	}
	return &api.DeploymentState{Environment: &api.EnvironmentState{
		Spec:                 ptr(st.Spec),
		TemplateMajorVersion: ptr(st.MajorVersion),
		TemplateMinorVersion: ptr(st.MinorVersion),
		TemplateName:         ptr(st.TemplateName),
	}}
}

func deploymentOut(d store.Deployment) *api.Deployment {
	target := d.TargetState
	return &api.Deployment{
		Arn:                       ptr(environments.DeploymentARN(d)),
		CompletedAt:               timeOrNil(d.CompletedAt),
		CreatedAt:                 api.TimeOf(d.CreatedAt),
		DeploymentStatus:          ptr(string(d.Status)),
		DeploymentStatusMessage:   ptr(d.StatusMessage),
		EnvironmentName:           ptr(d.EnvironmentName),
		Id:                        ptr(d.ID),
		InitialState:              stateOut(d.InitialState),
		LastAttemptedDeploymentId: ptr(d.PreviousAttemptedID),
		LastModifiedAt:            api.TimeOf(d.LastModifiedAt),
		LastSucceededDeploymentId: ptr(d.PreviousSucceededID),
		TargetArn:                 ptr(d.TargetArn),
		TargetResourceCreatedAt:   api.TimeOf(d.TargetResourceCreatedAt),
		TargetResourceType:        ptr(d.TargetResourceType),
		TargetState:               stateOut(&target),
	}
}

func deploymentSummary(d store.Deployment) api.DeploymentSummary {
	return api.DeploymentSummary{
		Arn:                       ptr(environments.DeploymentARN(d)),
		CompletedAt:               timeOrNil(d.CompletedAt),
		CreatedAt:                 api.TimeOf(d.CreatedAt),
		DeploymentStatus:          ptr(string(d.Status)),
		EnvironmentName:           ptr(d.EnvironmentName),
		Id:                        ptr(d.ID),
		LastAttemptedDeploymentId: ptr(d.PreviousAttemptedID),
		LastModifiedAt:            api.TimeOf(d.LastModifiedAt),
		LastSucceededDeploymentId: ptr(d.PreviousSucceededID),
		TargetArn:                 ptr(d.TargetArn),
		TargetResourceCreatedAt:   api.TimeOf(d.TargetResourceCreatedAt),
		TargetResourceType:        ptr(d.TargetResourceType),
	}
}

func deploymentSummaries(rows []store.Deployment) []api.DeploymentSummary {
	out := make([]api.DeploymentSummary, len(rows))
	for i, d := range rows {
		out[i] = deploymentSummary(d)
	}
	return out
}

// GetDeployment reads one of the caller's deployments.
func (s *Service) GetDeployment(ctx context.Context, in *api.GetDeploymentInput) (*api.GetDeploymentOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.Environments.GetDeployment(ctx, caller, str(in.Id), environments.DeploymentFilter{
		EnvironmentName: str(in.EnvironmentName), ServiceName: str(in.ServiceName),
		ServiceInstanceName: str(in.ServiceInstanceName), ComponentName: str(in.ComponentName),
	})
	if err != nil {
		return nil, err
	}
	return &api.GetDeploymentOutput{Deployment: deploymentOut(d)}, nil
}

// ListDeployments lists the caller's deployments, newest first.
func (s *Service) ListDeployments(ctx context.Context, in *api.ListDeploymentsInput) (*api.ListDeploymentsOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	rows, next, err := s.Environments.ListDeployments(ctx, caller, environments.ListDeploymentsInput{
		DeploymentFilter: environments.DeploymentFilter{
			EnvironmentName: str(in.EnvironmentName), ServiceName: str(in.ServiceName),
			ServiceInstanceName: str(in.ServiceInstanceName), ComponentName: str(in.ComponentName),
		},
		MaxResults: size(in.MaxResults), NextToken: str(in.NextToken),
	})
	if err != nil {
		return nil, err
	}
	return &api.ListDeploymentsOutput{Deployments: deploymentSummaries(rows), NextToken: ptr(next)}, nil
}

// DeleteDeployment deletes one record of deployment history.
func (s *Service) DeleteDeployment(ctx context.Context, in *api.DeleteDeploymentInput) (*api.DeleteDeploymentOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.Environments.DeleteDeployment(ctx, caller, str(in.Id))
	if err != nil {
		return nil, err
	}
	return &api.DeleteDeploymentOutput{Deployment: deploymentOut(d)}, nil
}
