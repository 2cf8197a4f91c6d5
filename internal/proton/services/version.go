package services

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/bundle"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/templates"
	"github.com/openproton/openproton/internal/store"
)

// customerManaged is the pipelineProvisioning of a service template without
// a Proton pipeline.
const customerManaged = "CUSTOMER_MANAGED"

// version is a resolved service template version with its bundle.
type version struct {
	templates.ResolvedVersion
	bundle *bundle.Bundle
	// selfManaged: the instance infrastructure is Terraform, which only
	// self-managed environments provision.
	selfManaged bool
}

// hasPipeline reports whether services of the version have a pipeline.
func (v version) hasPipeline() bool { return v.bundle.Pipeline != nil }

// resolve finds the PUBLISHED service template version a service asks for.
func (s *Service) resolve(ctx context.Context, caller auth.Caller, name, major, minor string) (version, error) {
	rv, err := s.templates.ResolveServiceTemplateVersion(ctx, caller.Account, caller.Region, name, major, minor)
	if err != nil {
		return version{}, err
	}
	if err := rv.Published(); err != nil {
		return version{}, err
	}
	return readVersion(rv)
}

// readVersion reads the version's bundle.
func readVersion(rv templates.ResolvedVersion) (version, error) {
	b, err := bundle.Read(rv.Bundle, bundle.ReadOptions{Kind: bundle.KindService, NoPipeline: rv.Provisioning == customerManaged})
	if err != nil {
		// The bundle was checked when the version was registered.
		return version{}, family.Internal("read bundle of "+rv.TemplateName+":"+rv.MajorVersion+"."+rv.MinorVersion, err)
	}
	v := version{ResolvedVersion: rv, bundle: b}
	if b.Schema == nil {
		if b.Schema, err = bundle.ParseSchema(rv.SchemaText, bundle.KindService); err != nil {
			return version{}, family.Internal("parse schema", err)
		}
	}
	v.selfManaged = terraform(b.Infrastructure)
	return v, nil
}

// terraform reports whether a manifest provisions with Terraform.
func terraform(m *bundle.Manifest) bool {
	if m == nil {
		return false
	}
	for _, t := range m.Templates {
		if strings.EqualFold(t.TemplateLanguage, "terraform") || strings.EqualFold(t.RenderingEngine, "hcl") {
			return true
		}
	}
	return false
}

// codeBuild reports whether a manifest provisions with CodeBuild.
func codeBuild(m *bundle.Manifest) bool {
	if m == nil {
		return false
	}
	if m.CodeBuild != nil {
		return true
	}
	for _, t := range m.Templates {
		if strings.EqualFold(t.RenderingEngine, "codebuild") {
			return true
		}
	}
	return false
}

// validateSpec validates a service spec against the version's schema.
func validateSpec(v version, spec string, previous bundle.PreviousInputs) (*bundle.ServiceSpec, error) {
	out, err := v.bundle.Schema.ValidateServiceSpecWith(spec, previous)
	var se *bundle.SpecError
	var p *bundle.Problem
	switch {
	case errors.As(err, &se):
		return nil, fault.New(fault.Validation, "The spec is not valid for service template %s version %s.%s: %s",
			v.TemplateName, v.MajorVersion, v.MinorVersion, strings.Join(se.Problems, "; "))
	case errors.As(err, &p):
		return nil, fault.New(fault.Validation, "The spec is not valid: %s", p.Msg)
	case err != nil:
		return nil, family.Internal("validate spec", err)
	}
	return out, nil
}

// compatible reports whether the version may run in environments of the
// environment template name at major.
func (v version) compatible(name, major string) bool {
	for _, c := range v.Compatible {
		if c.Name == name && strconv.FormatInt(c.Major, 10) == major {
			return true
		}
	}
	return false
}

// environmentFor checks that an instance of v may run in the caller's
// environment name, and returns it with the instance's provisioning mode.
func (s *Service) environmentFor(ctx context.Context, caller auth.Caller, v version, instance, name string) (store.Environment, store.ProvisioningMode, error) {
	e, err := s.store.GetEnvironment(ctx, caller.Account, caller.Region, name)
	missing := fault.New(fault.NotFound, "Environment %s of service instance %s was not found.", name, instance)
	if e, err = family.Found(e, err, missing, "get environment"); err != nil {
		return e, "", err
	}
	mode := store.ModeManaged
	if e.Mode == store.ModeSelfManaged {
		mode = store.ModeSelfManaged
	}
	switch {
	case !v.compatible(e.TemplateName, e.MajorVersion):
		return e, "", fault.New(fault.Validation, "Service template %s version %s.%s is not compatible with environment %s: its template %s major version %s is not among the version's compatibleEnvironmentTemplates.",
			v.TemplateName, v.MajorVersion, v.MinorVersion, name, e.TemplateName, e.MajorVersion)
	case e.DeploymentStatus == store.DeleteInProgress:
		return e, "", fault.New(fault.Conflict, "Environment %s is being deleted; service instance %s cannot run in it.", name, instance)
	case e.LastSucceededDeploymentID == "":
		return e, "", fault.New(fault.Conflict, "Environment %s has not been deployed successfully yet; service instance %s needs its outputs. Wait until it is SUCCEEDED.", name, instance)
	case v.selfManaged && mode != store.ModeSelfManaged:
		return e, "", fault.New(fault.Validation, "Service template %s provisions instances with Terraform (self-managed); environment %s is not self-managed.", v.TemplateName, name)
	case !v.selfManaged && mode == store.ModeSelfManaged:
		return e, "", fault.New(fault.Validation, "Service template %s provisions instances with CloudFormation; environment %s is self-managed (Terraform).", v.TemplateName, name)
	}
	return e, mode, nil
}

// pipelineMode is how a pipeline of v provisions: self-managed for a
// Terraform pipeline, else managed (with the account's pipeline roles).
func pipelineMode(v version) store.ProvisioningMode {
	if terraform(v.bundle.Pipeline) {
		return store.ModeSelfManaged
	}
	return store.ModeManaged
}

// DirectlyDefined is the component source of directly defined components.
const DirectlyDefined = "DIRECTLY_DEFINED"

// ComponentInputs applies the rules of a directly defined component
// attached to instance t (proton-reference.md §2.7): to attach one
// (attaching), the service template version t runs must list
// DIRECTLY_DEFINED in its supportedComponentSources (a later change of the
// version's list affects later attachments only). A component's service spec, when spec is not
// "", must be a valid spec of that version with an entry for t, whose
// inputs (defaults applied, ${Proton::CURRENT_VAL} taken from t) it
// returns; with no spec it returns nil.
func (s *Service) ComponentInputs(ctx context.Context, caller auth.Caller, t store.ServiceTarget, spec string, attaching bool) (map[string]any, error) {
	ver, err := s.version(ctx, caller, t.TemplateName, t.MajorVersion, t.MinorVersion)
	if err != nil {
		return nil, err
	}
	if attaching && !slices.Contains(ver.ComponentSources, DirectlyDefined) {
		return nil, fault.New(fault.Validation, "Service instance %s of service %s runs service template %s version %s.%s, whose supportedComponentSources do not list DIRECTLY_DEFINED; it cannot have a directly defined component.",
			t.Name, t.ServiceName, t.TemplateName, t.MajorVersion, t.MinorVersion)
	}
	if spec == "" {
		return nil, nil
	}
	prev, err := deployments.Inputs(t.TemplateState)
	if err != nil {
		return nil, family.Internal("stored inputs", err)
	}
	parsed, err := validateSpec(ver, spec, bundle.PreviousInputs{Instances: map[string]map[string]any{t.Name: prev}})
	if err != nil {
		return nil, err
	}
	for _, is := range parsed.Instances {
		if is.Name == t.Name {
			return is.Inputs, nil
		}
	}
	return nil, fault.New(fault.Validation, "The serviceSpec has no instance named %s.", t.Name)
}
