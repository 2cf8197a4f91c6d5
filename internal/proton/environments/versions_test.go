package environments

import (
	"context"
	"strconv"
	"testing"

	"github.com/openproton/openproton/internal/bundle/bundletest"
	"github.com/openproton/openproton/internal/proton/templates"
	"github.com/openproton/openproton/internal/store"
)

// bundleSource serves one bundle for every object.
type bundleSource struct{ data []byte }

func (s bundleSource) Fetch(context.Context, string, string) ([]byte, error) { return s.data, nil }

// register registers a new version of environment template name from data
// (major "" for a new major), and publishes it if asked.
func (f *fixture) register(t *testing.T, name, major string, data []byte, publish bool) store.TemplateVersion {
	t.Helper()
	v, err := f.tmpl.CreateVersion(t.Context(), caller, templates.CreateVersionInput{Kind: store.EnvironmentTemplate,
		TemplateName: name, MajorVersion: major, Bucket: "bundles", Key: name + ".tar.gz"})
	if err != nil {
		t.Fatalf("CreateVersion: %v", err)
	}
	reg := templates.NewRegistrar(f.st, bundleSource{data}, templates.RegistrarOptions{Owner: "test"})
	if found, err := reg.Runner(f.st).Step(t.Context()); !found || err != nil {
		t.Fatalf("register: %v %v", found, err)
	}
	if publish {
		st := string(store.VersionPublished)
		if _, err := f.tmpl.UpdateVersion(t.Context(), caller, store.EnvironmentTemplate, name,
			strconv.FormatInt(v.Major, 10), strconv.FormatInt(v.Minor, 10),
			templates.UpdateVersionInput{Status: &st}); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	return v
}

// draft registers a new version of template "vpc" in major ("" for a new
// major) from the sample bundle and leaves it DRAFT.
func (f *fixture) draft(t *testing.T, major string) store.TemplateVersion {
	t.Helper()
	return f.register(t, "vpc", major, bundletest.EnvBundle(t), false)
}

// terraformEnv makes environment name on a published Terraform template
// "tf", so self-managed: its deployment waits for notifications.
func (f *fixture) terraformEnv(t *testing.T, name string) store.Environment {
	t.Helper()
	if _, err := f.tmpl.GetVersion(t.Context(), caller, store.EnvironmentTemplate, "tf", "1", "0"); err != nil {
		if _, err := f.tmpl.CreateTemplate(t.Context(), caller, templates.CreateTemplateInput{Kind: store.EnvironmentTemplate, Name: "tf"}); err != nil {
			t.Fatal(err)
		}
		f.register(t, "tf", "", bundletest.Map(t, map[string]string{
			"schema/schema.yaml":           bundletest.EnvSchema(bundletest.PropVPCCIDR),
			"infrastructure/manifest.yaml": "infrastructure:\n  templates:\n    - file: \"*\"\n      rendering_engine: hcl\n      template_language: terraform\n",
			"infrastructure/main.tf":       "resource \"aws_vpc\" \"main\" {\n  cidr_block = var.environment.inputs.vpc_cidr\n}\n",
		}), true)
	}
	e, err := f.svc.Create(t.Context(), caller, CreateInput{Name: name, TemplateName: "tf", TemplateMajorVersion: "1",
		Spec:                   "proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.1.0.0/16\"\n",
		ProvisioningRepository: &store.RepositoryBranch{Provider: "GITHUB", Name: "example-org/env-repo", Branch: "main"}})
	if err != nil {
		t.Fatalf("Create %s: %v", name, err)
	}
	if e.Mode != store.ModeSelfManaged {
		t.Fatalf("environment %s is %s, want self-managed", name, e.Mode)
	}
	return e
}
