package components

import (
	"context"
	"errors"
	"fmt"

	"github.com/openproton/openproton/internal/bundle"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/provision"
	"github.com/openproton/openproton/internal/render"
	"github.com/openproton/openproton/internal/store"
)

// TargetStore is what deployments of components read.
type TargetStore interface {
	GetEnvironment(ctx context.Context, account, region, name string) (store.Environment, error)
	GetService(ctx context.Context, account, region, name string) (store.Service, error)
	GetServiceInstance(ctx context.Context, account, region, service, name string) (store.ServiceTarget, error)
	GetConnection(ctx context.Context, region, id string) (store.Connection, error)
	ListOutputs(ctx context.Context, region, deploymentID string) ([]store.Output, error)
}

// target is the deployments.Target of components.
type target struct {
	store    TargetStore
	renderer render.Renderer
}

// NewTarget returns what deployments of components plug into the
// deployment handler: renderer renders their files (in rendering processes
// with the default limits when nil).
func NewTarget(s TargetStore, renderer render.Renderer) deployments.Target {
	if renderer == nil {
		renderer = render.NewIsolated(render.Limits{})
	}
	return target{store: s, renderer: renderer}
}

// Prepare implements deployments.Target: the component role of the
// environment, or of its connection, provisions the component's one file,
// rendered with component.name and, when it is attached, the instance's
// service_instance, service and environment namespaces; a detached
// component sees environment only. A delete renders nothing.
func (r target) Prepare(ctx context.Context, d store.Deployment) (deployments.Run, error) {
	doc := store.DocumentOf(d.TargetState)
	m, err := bundle.ParseComponentManifest([]byte(doc.Manifest))
	if err != nil {
		return deployments.Run{}, fmt.Errorf("the component's manifest is not valid: %w", err)
	}
	e, err := r.store.GetEnvironment(ctx, d.Account, d.Region, d.EnvironmentName)
	if err != nil {
		return deployments.Run{}, deployments.Unavailable(fmt.Errorf("read environment: %w", err))
	}
	req := provision.Request{DeploymentID: d.ID, Action: provision.Deploy, Spec: d.TargetState.Spec, Inputs: map[string]any{},
		Target:      provision.Target{Type: string(d.TargetResourceType), Name: d.TargetKey, ARN: d.TargetArn, Account: d.Account, Region: d.Region},
		Credentials: provision.Credentials{Account: e.Account, RoleArn: e.ComponentRoleArn}}
	if d.Action == store.ActionDelete {
		req.Action = provision.Destroy
	}
	run := deployments.Run{}
	if e.EnvironmentAccountConnectionID != "" {
		c, err := r.store.GetConnection(ctx, e.Region, e.EnvironmentAccountConnectionID)
		if errors.Is(err, store.ErrNotFound) {
			return run, fmt.Errorf("environment account connection %s of environment %s was deleted", e.EnvironmentAccountConnectionID, e.Name)
		}
		if err != nil {
			return run, deployments.Unavailable(err)
		}
		req.Credentials = provision.Credentials{Account: c.EnvironmentAccountID, RoleArn: c.ComponentRoleArn}
		run.Connection = c.ID
	}
	if req.Credentials.RoleArn == "" && e.Mode != store.ModeSelfManaged {
		return run, fmt.Errorf("environment %s has no componentRoleArn (nor a connection with one), which provisions directly defined components", e.Name)
	}
	envOuts, err := r.outputs(ctx, e.Region, e.LastSucceededDeploymentID)
	if err != nil {
		return run, err
	}
	req.EnvironmentOutputs = envOuts
	if req.Action == provision.Destroy {
		run.Request = req
		return run, nil
	}
	env := map[string]any{"name": e.Name, "outputs": render.Outputs(envOuts)}
	data := map[string]any{"component": map[string]any{"name": d.TargetKey}, "environment": env}
	if doc.ServiceInstanceName != "" {
		svc, err := r.store.GetService(ctx, d.Account, d.Region, doc.ServiceName)
		if err != nil {
			return run, deployments.Unavailable(fmt.Errorf("read service: %w", err))
		}
		inst, err := r.store.GetServiceInstance(ctx, d.Account, d.Region, doc.ServiceName, doc.ServiceInstanceName)
		if err != nil {
			return run, deployments.Unavailable(fmt.Errorf("read service instance: %w", err))
		}
		from := inst.TemplateState
		if doc.Inputs != nil {
			from = store.TemplateState{Inputs: string(doc.Inputs)}
		}
		inputs, err := deployments.Inputs(from)
		if err != nil {
			return run, err
		}
		req.Inputs = inputs
		data["service"] = map[string]any{"name": svc.Name, "branch_name": svc.BranchName, "repository_id": svc.RepositoryID,
			"repository_connection_arn": svc.RepositoryConnectionArn}
		data["service_instance"] = map[string]any{"name": inst.Name, "inputs": inputs, "environment": env}
	}
	name := m.Templates[0].File
	if name == "*" {
		name = "component.tf"
	}
	b := &bundle.Bundle{Files: []bundle.File{{Path: m.Dir + "/" + name, Data: []byte(doc.TemplateFile)}}}
	req.Files, err = deployments.RenderFiles(ctx, r.renderer, b, m, data)
	run.Request = req
	return run, err
}

// outputs returns the outputs of deployment id ("" for none) by key.
func (r target) outputs(ctx context.Context, region, id string) (map[string]string, error) {
	out := map[string]string{}
	if id == "" {
		return out, nil
	}
	outs, err := r.store.ListOutputs(ctx, region, id)
	if err != nil {
		return nil, deployments.Unavailable(err)
	}
	for _, o := range outs {
		out[o.Key] = o.Value
	}
	return out, nil
}
