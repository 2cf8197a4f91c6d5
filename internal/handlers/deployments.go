package handlers

import (
	"context"
	"strings"

	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/store"
)

// stateValues holds a deployment state's answer.
type stateValues struct {
	out  api.DeploymentState
	env  api.EnvironmentState
	inst api.ServiceInstanceState
	pipe api.ServicePipelineState
	comp api.ComponentState
	doc  store.ComponentDocument
}

// stateOf is the answer form of *st, a state of a target of type typ, nil
// for none; its members point into *st and *a.
func stateOf(typ store.TargetType, st *store.TemplateState, a *stateValues) *api.DeploymentState {
	if st == nil {
		return nil
	}
	spec, major, minor, name := opt(&st.Spec), opt(&st.MajorVersion), opt(&st.MinorVersion), opt(&st.TemplateName)
	switch typ {
	case store.TargetServiceInstance:
		a.inst = api.ServiceInstanceState{Spec: spec, TemplateMajorVersion: major, TemplateMinorVersion: minor, TemplateName: name}
		a.out = api.DeploymentState{ServiceInstance: &a.inst}
	case store.TargetServicePipeline:
		a.pipe = api.ServicePipelineState{Spec: spec, TemplateMajorVersion: major, TemplateMinorVersion: minor, TemplateName: name}
		a.out = api.DeploymentState{ServicePipeline: &a.pipe}
	case store.TargetComponent:
		a.doc = store.DocumentOf(*st)
		a.comp = api.ComponentState{ServiceInstanceName: opt(&a.doc.ServiceInstanceName), ServiceName: opt(&a.doc.ServiceName),
			ServiceSpec: spec, TemplateFile: opt(&a.doc.TemplateFile)}
		a.out = api.DeploymentState{Component: &a.comp}
	default:
		a.env = api.EnvironmentState{Spec: spec, TemplateMajorVersion: major, TemplateMinorVersion: minor, TemplateName: name}
		a.out = api.DeploymentState{Environment: &a.env}
	}
	return &a.out
}

// deploymentValues holds the values a deployment's answer derives from its
// row.
type deploymentValues struct {
	arn           string
	service, inst string
	component     string
	times         [4]api.Time
	states        [2]stateValues
}

// deploymentOf is the answer form of *d; ListDeployments answers its Summary.
func deploymentOf(d *store.Deployment, a *deploymentValues) api.Deployment {
	a.arn = deployments.ARN(*d)
	switch d.TargetResourceType {
	case store.TargetServiceInstance:
		a.service, a.inst, _ = strings.Cut(d.TargetKey, "/")
	case store.TargetServicePipeline:
		a.service = d.TargetKey
	case store.TargetComponent:
		// A component's deployment names its instance as it deploys it.
		a.component = d.TargetKey
		doc := store.DocumentOf(d.TargetState)
		a.service, a.inst = doc.ServiceName, doc.ServiceInstanceName
	}
	return api.Deployment{
		ComponentName:             opt(&a.component),
		ServiceName:               opt(&a.service),
		ServiceInstanceName:       opt(&a.inst),
		Arn:                       &a.arn,
		CompletedAt:               stampOrNil(&a.times[0], d.CompletedAt),
		CreatedAt:                 stamp(&a.times[1], d.CreatedAt),
		DeploymentStatus:          opt((*string)(&d.Status)),
		DeploymentStatusMessage:   opt(&d.StatusMessage),
		EnvironmentName:           opt(&d.EnvironmentName),
		Id:                        opt(&d.ID),
		InitialState:              stateOf(d.TargetResourceType, d.InitialState, &a.states[0]),
		LastAttemptedDeploymentId: opt(&d.PreviousAttemptedID),
		LastModifiedAt:            stamp(&a.times[2], d.LastModifiedAt),
		LastSucceededDeploymentId: opt(&d.PreviousSucceededID),
		TargetArn:                 opt(&d.TargetArn),
		TargetResourceCreatedAt:   stamp(&a.times[3], d.TargetResourceCreatedAt),
		TargetResourceType:        opt((*string)(&d.TargetResourceType)),
		TargetState:               stateOf(d.TargetResourceType, &d.TargetState, &a.states[1]),
	}
}

// GetDeployment reads one of the caller's deployments.
func (s *Service) GetDeployment(ctx context.Context, in *api.GetDeploymentInput) (*api.GetDeploymentOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.Deployments.Get(ctx, caller, str(in.Id), deployments.Filter{
		EnvironmentName: str(in.EnvironmentName), ServiceName: str(in.ServiceName),
		ServiceInstanceName: str(in.ServiceInstanceName), ComponentName: str(in.ComponentName),
	})
	if err != nil {
		return nil, err
	}
	return &api.GetDeploymentOutput{Deployment: one(d, deploymentOf)}, nil
}

// ListDeployments lists the caller's deployments, newest first.
func (s *Service) ListDeployments(ctx context.Context, in *api.ListDeploymentsInput) (*api.ListDeploymentsOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	rows, next, err := s.Deployments.List(ctx, caller, deployments.ListInput{
		Filter: deployments.Filter{
			EnvironmentName: str(in.EnvironmentName), ServiceName: str(in.ServiceName),
			ServiceInstanceName: str(in.ServiceInstanceName), ComponentName: str(in.ComponentName),
		},
		MaxResults: size(in.MaxResults), NextToken: str(in.NextToken),
	})
	if err != nil {
		return nil, err
	}
	return &api.ListDeploymentsOutput{Deployments: summaries(rows, deploymentOf, (*api.Deployment).Summary), NextToken: ptr(next)}, nil
}

// DeleteDeployment deletes one record of deployment history.
func (s *Service) DeleteDeployment(ctx context.Context, in *api.DeleteDeploymentInput) (*api.DeleteDeploymentOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.Deployments.Delete(ctx, caller, str(in.Id))
	if err != nil {
		return nil, err
	}
	return &api.DeleteDeploymentOutput{Deployment: one(d, deploymentOf)}, nil
}
