package environments

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/openproton/openproton/internal/bundle"
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
	inputs, err := inputsOf(st)
	if err != nil {
		return provision.Request{}, err
	}
	files, err := renderFiles(ctx, r.renderer, v.bundle, d.EnvironmentName, inputs)
	if err != nil {
		return provision.Request{}, err
	}
	req := provision.Request{
		DeploymentID: d.ID,
		Action:       provision.Deploy,
		Target: provision.Target{Type: string(d.TargetResourceType), Name: d.EnvironmentName, ARN: d.TargetArn,
			Account: d.Account, Region: d.Region},
		TemplateName: st.TemplateName, MajorVersion: st.MajorVersion, MinorVersion: st.MinorVersion,
		Files: files, Spec: st.Spec, Inputs: inputs,
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

// renderFiles returns the infrastructure files of a bundle, Jinja files
// rendered with the environment's name and inputs (all in one rendering
// job), others as they are.
func renderFiles(ctx context.Context, renderer render.Renderer, b *bundle.Bundle, name string, inputs map[string]any) ([]provision.File, error) {
	m := b.Infrastructure
	if m == nil {
		return nil, nil
	}
	var out []provision.File
	var job render.Job
	var rendered []int // the files of out that the job renders
	for _, t := range m.Templates {
		for _, f := range b.Files {
			rel, ok := strings.CutPrefix(f.Path, m.Dir+"/")
			if !ok || rel == "manifest.yaml" || !matches(t, rel) {
				continue
			}
			if strings.EqualFold(t.RenderingEngine, "jinja") {
				rendered = append(rendered, len(out))
				job.Files = append(job.Files, render.File{Name: f.Path, Source: string(f.Data)})
			}
			out = append(out, provision.File{Path: rel, Content: string(f.Data), RenderingEngine: t.RenderingEngine, Language: strings.ToLower(t.TemplateLanguage)})
		}
	}
	if len(job.Files) > 0 {
		job.Data = map[string]any{"environment": map[string]any{"name": name, "inputs": inputs}}
		res, err := renderer.Render(ctx, job)
		if err != nil {
			return nil, err
		}
		for i, at := range rendered {
			out[at].Content = res.Outputs[i]
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// matches reports whether a file of the infrastructure folder belongs to a
// manifest entry: the file it names, every .tf file for "*", and every file
// for CodeBuild (whose entry names none).
func matches(t bundle.ManifestTemplate, rel string) bool {
	switch {
	case t.File == "":
		return true
	case t.File == "*":
		return path.Ext(rel) == ".tf" && !strings.Contains(rel, "/")
	}
	return rel == t.File
}

// customerManagedOutputs ends a deployment of a customer-managed
// environment: Proton provisions nothing, and the spec's values are the
// outputs of the infrastructure managed outside it.
func customerManagedOutputs(d store.Deployment) (provision.Result, error) {
	if d.Action == store.ActionDelete {
		return provision.Result{}, nil
	}
	inputs, err := inputsOf(d.TargetState)
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
