package services

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/openproton/openproton/internal/bundle"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/provision"
	"github.com/openproton/openproton/internal/render"
	"github.com/openproton/openproton/internal/store"
)

// TargetStore is what deployments of services read.
type TargetStore interface {
	Store
	GetConnection(ctx context.Context, region, id string) (store.Connection, error)
	ComponentOf(ctx context.Context, account, region, service, instance string) (store.Component, error)
}

// target is the deployments.Target of service instances and pipelines.
type target struct {
	store     TargetStore
	templates Templates
	renderer  render.Renderer
}

// NewTarget returns what deployments of service instances and pipelines
// plug into the deployment handler (for both target types): templates
// resolves their versions, renderer renders their files (in rendering
// processes with the default limits when nil).
func NewTarget(s TargetStore, t Templates, renderer render.Renderer) deployments.Target {
	if renderer == nil {
		renderer = render.NewIsolated(render.Limits{})
	}
	return target{store: s, templates: t, renderer: renderer}
}

// Prepare implements deployments.Target: it renders the instance's or the
// pipeline's files with Proton's namespaces and says whose roles provision
// them. A delete renders nothing.
func (r target) Prepare(ctx context.Context, d store.Deployment) (deployments.Run, error) {
	svcName, _, _ := strings.Cut(d.TargetKey, "/")
	svc, err := r.store.GetService(ctx, d.Account, d.Region, svcName)
	if err != nil {
		return deployments.Run{}, deployments.Unavailable(fmt.Errorf("read service: %w", err))
	}
	st := d.TargetState
	rv, err := r.templates.ResolveServiceTemplateVersion(ctx, d.Account, d.Region, st.TemplateName, st.MajorVersion, st.MinorVersion)
	if err != nil {
		return deployments.Run{}, fmt.Errorf("service template %s version %s.%s is not available: %w", st.TemplateName, st.MajorVersion, st.MinorVersion, err)
	}
	v, err := readVersion(rv)
	if err != nil {
		return deployments.Run{}, err
	}
	inputs, err := deployments.Inputs(st)
	if err != nil {
		return deployments.Run{}, err
	}
	req := provision.Request{DeploymentID: d.ID, Action: provision.Deploy,
		Target: provision.Target{Type: string(d.TargetResourceType), Service: svcName, ARN: d.TargetArn, Account: d.Account,
			Region: d.Region},
		TemplateName: st.TemplateName, MajorVersion: st.MajorVersion, MinorVersion: st.MinorVersion, Spec: st.Spec, Inputs: inputs,
		EnvironmentOutputs: map[string]string{}}
	if d.Action == store.ActionDelete {
		req.Action = provision.Destroy
	}
	if d.TargetResourceType == store.TargetServicePipeline {
		return r.pipeline(ctx, d, svc, v, req)
	}
	return r.instance(ctx, d, svc, v, req)
}

// serviceData is the service namespace of a service's files.
func serviceData(v store.Service) map[string]any {
	return map[string]any{"name": v.Name, "branch_name": v.BranchName, "repository_id": v.RepositoryID,
		"repository_connection_arn": v.RepositoryConnectionArn}
}

// environmentOutputs returns the outputs of an environment's last
// succeeded deployment.
func (r target) environmentOutputs(ctx context.Context, e store.Environment) (map[string]string, error) {
	out := map[string]string{}
	if e.LastSucceededDeploymentID == "" {
		return out, nil
	}
	outs, err := r.store.ListOutputs(ctx, e.Region, e.LastSucceededDeploymentID)
	if err != nil {
		return nil, deployments.Unavailable(err)
	}
	for _, o := range outs {
		out[o.Key] = o.Value
	}
	return out, nil
}

// instance prepares a deployment of an instance: its environment's roles
// (or connection) provision it, and its files see environment,
// service and service_instance.
func (r target) instance(ctx context.Context, d store.Deployment, svc store.Service, v version, req provision.Request) (deployments.Run, error) {
	_, name, _ := strings.Cut(d.TargetKey, "/")
	req.Target.Name = name
	e, err := r.store.GetEnvironment(ctx, d.Account, d.Region, d.EnvironmentName)
	if err != nil {
		return deployments.Run{}, deployments.Unavailable(fmt.Errorf("read environment: %w", err))
	}
	run := deployments.Run{}
	req.Credentials = provision.Credentials{Account: e.Account, RoleArn: e.ProtonServiceRoleArn, CodebuildRoleArn: e.CodebuildRoleArn}
	if e.EnvironmentAccountConnectionID != "" {
		c, err := r.store.GetConnection(ctx, e.Region, e.EnvironmentAccountConnectionID)
		if errors.Is(err, store.ErrNotFound) {
			return run, fmt.Errorf("environment account connection %s of environment %s was deleted", e.EnvironmentAccountConnectionID, e.Name)
		}
		if err != nil {
			return run, deployments.Unavailable(err)
		}
		req.Credentials = provision.Credentials{Account: c.EnvironmentAccountID, RoleArn: c.RoleArn, CodebuildRoleArn: c.CodebuildRoleArn}
		run.Connection = c.ID
	}
	codebuild := codeBuild(v.bundle.Infrastructure)
	req.CodeBuild = codebuild
	switch {
	case codebuild && req.Credentials.CodebuildRoleArn == "":
		return run, fmt.Errorf("service instance %s is provisioned with CodeBuild, but environment %s has no codebuildRoleArn (nor a connection with one)", name, e.Name)
	case !codebuild && req.Credentials.RoleArn == "":
		return run, fmt.Errorf("service instance %s is provisioned with CloudFormation, but environment %s has no protonServiceRoleArn (nor a connection with a role)", name, e.Name)
	}
	outs, err := r.environmentOutputs(ctx, e)
	if err != nil {
		return run, err
	}
	req.EnvironmentOutputs = outs
	if codebuild {
		// The deprovision commands of a destroy need the template's files
		// and its input file as much as a deploy's commands do.
		req.Commands = deployments.Commands(v.bundle.Infrastructure, map[string]any{
			"environment":      map[string]any{"name": e.Name, "account_id": req.Credentials.Account, "outputs": outs},
			"service":          serviceData(svc),
			"service_instance": map[string]any{"name": name, "inputs": req.Inputs},
		})
	} else if req.Action == provision.Destroy {
		run.Request = req
		return run, nil
	}
	component, err := r.component(ctx, d.Account, d.Region, svc.Name, name)
	if err != nil {
		return run, err
	}
	env := map[string]any{"name": e.Name, "outputs": render.Outputs(outs)}
	data := map[string]any{
		"environment": env,
		"service":     serviceData(svc),
		"service_instance": map[string]any{"name": name, "inputs": req.Inputs, "environment": env,
			"components": map[string]any{"default": component}},
	}
	req.Files, err = deployments.RenderFiles(ctx, r.renderer, v.bundle, v.bundle.Infrastructure, data)
	run.Request = req
	return run, err
}

// component is service_instance.components.default of an instance: the
// attached component's name and the outputs of its last succeeded
// deployment (none before one succeeded), or render.NoComponent() when no
// component is attached.
func (r target) component(ctx context.Context, account, region, service, instance string) (any, error) {
	c, err := r.store.ComponentOf(ctx, account, region, service, instance)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return render.NoComponent(), nil
	case err != nil:
		return nil, deployments.Unavailable(fmt.Errorf("read component: %w", err))
	}
	outs := map[string]string{}
	if c.LastSucceededDeploymentID != "" {
		os, err := r.store.ListOutputs(ctx, region, c.LastSucceededDeploymentID)
		if err != nil {
			return nil, deployments.Unavailable(err)
		}
		for _, o := range os {
			outs[o.Key] = o.Value
		}
	}
	return map[string]any{"name": c.Name, "outputs": render.Outputs(outs)}, nil
}

// pipeline prepares a deployment of a pipeline: the account's pipeline
// settings provision it, and its files see service, pipeline and
// service_instances (the service's instances that are not being deleted).
func (r target) pipeline(ctx context.Context, d store.Deployment, svc store.Service, v version, req provision.Request) (deployments.Run, error) {
	req.Target.Name = svc.Name
	req.CodeBuild = codeBuild(v.bundle.Pipeline)
	settings, err := r.store.GetAccountSettings(ctx, d.Account, d.Region)
	if err != nil {
		return deployments.Run{}, deployments.Unavailable(err)
	}
	req.Credentials = provision.Credentials{Account: d.Account, RoleArn: settings.PipelineServiceRoleArn, CodebuildRoleArn: settings.PipelineCodebuildRoleArn}
	if err := pipelineSettingMissing(v.bundle.Pipeline, settings); err != nil {
		if req.Action == provision.Destroy && (svc.Pipeline == nil || svc.Pipeline.LastSucceededDeploymentID == "") {
			// No deployment of the pipeline ever succeeded, for want of
			// the setting: there is nothing to destroy, and a delete of
			// the service must not need a setting it never had.
			return deployments.Run{Result: &provision.Result{Message: pipelineNeverDeployed}}, nil
		}
		return deployments.Run{}, err
	}
	if (req.Action == provision.Destroy && !req.CodeBuild) || v.bundle.Pipeline == nil {
		return deployments.Run{Request: req}, nil
	}
	insts, err := r.store.ListServiceInstances(ctx, store.ListInstancesQuery{Account: d.Account, Region: d.Region, ServiceName: svc.Name,
		SortBy: "name", Limit: 1000})
	if err != nil {
		return deployments.Run{}, deployments.Unavailable(err)
	}
	list := []any{}
	envs := map[string]map[string]string{}
	for _, t := range insts {
		if t.DeploymentStatus == store.DeleteInProgress {
			continue
		}
		outs, ok := envs[t.EnvironmentName]
		if !ok {
			e, err := r.store.GetEnvironment(ctx, d.Account, d.Region, t.EnvironmentName)
			if err != nil {
				return deployments.Run{}, deployments.Unavailable(fmt.Errorf("read environment: %w", err))
			}
			if outs, err = r.environmentOutputs(ctx, e); err != nil {
				return deployments.Run{}, err
			}
			envs[t.EnvironmentName] = outs
		}
		inputs, err := deployments.Inputs(t.TemplateState)
		if err != nil {
			return deployments.Run{}, err
		}
		var instOuts map[string]string
		if t.LastSucceededDeploymentID != "" {
			os, err := r.store.ListOutputs(ctx, d.Region, t.LastSucceededDeploymentID)
			if err != nil {
				return deployments.Run{}, deployments.Unavailable(err)
			}
			instOuts = map[string]string{}
			for _, o := range os {
				instOuts[o.Key] = o.Value
			}
		}
		list = append(list, map[string]any{"name": t.Name, "inputs": inputs, "outputs": render.Outputs(instOuts),
			"environment": map[string]any{"name": t.EnvironmentName, "outputs": render.Outputs(outs)}})
	}
	data := map[string]any{"service": serviceData(svc), "pipeline": map[string]any{"inputs": req.Inputs}, "service_instances": list}
	if req.CodeBuild {
		req.Commands = deployments.Commands(v.bundle.Pipeline, map[string]any{"service": serviceData(svc),
			"pipeline": map[string]any{"inputs": req.Inputs}, "service_instances": list})
	}
	req.Files, err = deployments.RenderFiles(ctx, r.renderer, v.bundle, v.bundle.Pipeline, data)
	return deployments.Run{Request: req}, err
}

// pipelineNeverDeployed is the message of the delete of a pipeline that
// never deployed while its account lacks the setting it needs.
const pipelineNeverDeployed = "The pipeline never deployed, so there was nothing to destroy."

// pipelineSettingMissing names the account setting a pipeline of manifest
// m provisions with when the account has not set it.
func pipelineSettingMissing(m *bundle.Manifest, a store.AccountSettings) error {
	switch {
	case m == nil:
		return nil
	case terraform(m) && a.PipelineProvisioningRepository == (store.RepositoryBranch{}):
		return errors.New("the pipeline is provisioned with Terraform (self-managed), but the account has no pipelineProvisioningRepository; set it with UpdateAccountSettings")
	case terraform(m):
		return nil
	case codeBuild(m) && a.PipelineCodebuildRoleArn == "":
		return errors.New("the pipeline is provisioned with CodeBuild, but the account has no pipelineCodebuildRoleArn; set it with UpdateAccountSettings")
	case !codeBuild(m) && a.PipelineServiceRoleArn == "":
		return errors.New("the pipeline is provisioned with CloudFormation, but the account has no pipelineServiceRoleArn; set it with UpdateAccountSettings")
	}
	return nil
}
