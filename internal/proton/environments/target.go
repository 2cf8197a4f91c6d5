package environments

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/provision"
	"github.com/openproton/openproton/internal/render"
	"github.com/openproton/openproton/internal/store"
)

// target is the deployments.Target of environments.
type target struct {
	store     Store
	templates Templates
	renderer  render.Renderer
}

// NewTarget returns what deployments of environments plug into the
// deployment handler: templates resolves their template versions, renderer
// renders their files (in rendering processes with the default limits when
// nil).
func NewTarget(s Store, t Templates, renderer render.Renderer) deployments.Target {
	if renderer == nil {
		renderer = render.NewIsolated(render.Limits{})
	}
	return target{store: s, templates: t, renderer: renderer}
}

// Prepare implements deployments.Target: a customer-managed environment's
// deployment ends with the spec's values as outputs; any other runs the
// engine, through the environment's connection when it has one.
func (r target) Prepare(ctx context.Context, d store.Deployment) (deployments.Run, error) {
	e, err := r.store.GetEnvironment(ctx, d.Account, d.Region, d.EnvironmentName)
	if err != nil {
		return deployments.Run{}, deployments.Unavailable(fmt.Errorf("read environment: %w", err))
	}
	if d.Mode == store.ModeCustomerManaged {
		res, err := customerManagedOutputs(d)
		return deployments.Run{Result: &res}, err
	}
	req, err := r.request(ctx, d, e)
	run := deployments.Run{Request: req}
	if d.Mode == store.ModeManaged && e.EnvironmentAccountConnectionID != "" {
		run.Connection, run.ConnectionGone = e.EnvironmentAccountConnectionID, errConnectionDeleted(e)
	}
	return run, err
}

// errConnectionDeleted is why a deployment of e cannot go on: the
// environment account deleted e's connection.
func errConnectionDeleted(e store.Environment) error {
	return fmt.Errorf("environment account connection %s was deleted; switch the environment to a new connection of environment account %s",
		e.EnvironmentAccountConnectionID, e.EnvironmentAccountID)
}

// request builds what the engine needs for a deployment: the rendered
// infrastructure files of the target version, the inputs, the environment's
// outputs and the role to provision with.
func (r target) request(ctx context.Context, d store.Deployment, e store.Environment) (provision.Request, error) {
	st := d.TargetState
	rv, err := r.templates.ResolveEnvironmentTemplateVersion(ctx, d.Account, d.Region, st.TemplateName, st.MajorVersion, st.MinorVersion)
	if err != nil {
		return provision.Request{}, fmt.Errorf("environment template %s version %s.%s is not available: %w", st.TemplateName, st.MajorVersion, st.MinorVersion, err)
	}
	v, err := readVersion(rv)
	if err != nil {
		return provision.Request{}, err
	}
	inputs, err := deployments.Inputs(st)
	if err != nil {
		return provision.Request{}, err
	}
	files, err := deployments.RenderFiles(ctx, r.renderer, v.bundle, v.bundle.Infrastructure,
		map[string]any{"environment": map[string]any{"name": d.EnvironmentName, "inputs": inputs}})
	if err != nil {
		return provision.Request{}, err
	}
	req := provision.Request{
		DeploymentID: d.ID,
		Action:       provision.Deploy,
		Target: provision.Target{Type: string(d.TargetResourceType), Name: d.EnvironmentName, ARN: d.TargetArn,
			Account: d.Account, Region: d.Region},
		TemplateName: st.TemplateName, MajorVersion: st.MajorVersion, MinorVersion: st.MinorVersion,
		Files: files, CodeBuild: v.method == "CodeBuild", Spec: st.Spec, Inputs: inputs,
		EnvironmentOutputs: map[string]string{},
		Credentials:        provision.Credentials{Account: e.Account, RoleArn: e.ProtonServiceRoleArn, CodebuildRoleArn: e.CodebuildRoleArn},
	}
	if d.Action == store.ActionDelete {
		req.Action = provision.Destroy
	}
	if e.EnvironmentAccountConnectionID != "" {
		c, err := r.store.GetConnection(ctx, e.Region, e.EnvironmentAccountConnectionID)
		if errors.Is(err, store.ErrNotFound) {
			return provision.Request{}, errConnectionDeleted(e)
		}
		if err != nil {
			return provision.Request{}, err
		}
		req.Credentials = provision.Credentials{Account: c.EnvironmentAccountID, RoleArn: c.RoleArn, CodebuildRoleArn: c.CodebuildRoleArn}
	}
	if e.LastSucceededDeploymentID != "" {
		outs, err := r.store.ListOutputs(ctx, e.Region, e.LastSucceededDeploymentID)
		if err != nil {
			return provision.Request{}, err
		}
		for _, o := range outs {
			req.EnvironmentOutputs[o.Key] = o.Value
		}
	}
	return req, nil
}

// customerManagedOutputs ends a deployment of a customer-managed
// environment: Proton provisions nothing, and the spec's values are the
// outputs of the infrastructure managed outside it.
func customerManagedOutputs(d store.Deployment) (provision.Result, error) {
	if d.Action == store.ActionDelete {
		return provision.Result{}, nil
	}
	inputs, err := deployments.Inputs(d.TargetState)
	if err != nil {
		return provision.Result{}, err
	}
	var res provision.Result
	for k, v := range inputs {
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case bool, float64, int, int64:
			s = fmt.Sprint(x)
		default:
			continue
		}
		if s == "" || len(s) > 1024 {
			continue
		}
		res.Outputs = append(res.Outputs, provision.Output{Key: k, Value: s})
	}
	sort.Slice(res.Outputs, func(i, j int) bool { return res.Outputs[i].Key < res.Outputs[j].Key })
	return res, nil
}
