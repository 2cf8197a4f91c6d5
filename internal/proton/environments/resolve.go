package environments

import (
	"context"
	"errors"
	"strings"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/bundle"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/templates"
	"github.com/openproton/openproton/internal/store"
)

// CustomerManaged is the provisioning value of environments whose
// infrastructure Proton does not provision itself.
const CustomerManaged = "CUSTOMER_MANAGED"

// version is a resolved template version with what deploying it needs.
type version struct {
	templates.ResolvedVersion
	bundle *bundle.Bundle
	// mode is how environments of this version are provisioned; method
	// names it for messages.
	mode   store.ProvisioningMode
	method string
}

// resolve finds the PUBLISHED environment template version an environment
// asks for. Unpublished versions are refused with a ValidationException
// naming them: an environment runs on published versions only.
func (s *Service) resolve(ctx context.Context, caller auth.Caller, name, major, minor string) (version, error) {
	rv, err := s.templates.ResolveEnvironmentTemplateVersion(ctx, caller.Account, caller.Region, name, major, minor)
	if err != nil {
		return version{}, err
	}
	if err := rv.Published(); err != nil {
		return version{}, err
	}
	return readVersion(rv)
}

// readVersion reads the version's bundle and decides its provisioning mode.
func readVersion(rv templates.ResolvedVersion) (version, error) {
	cm := rv.Provisioning == CustomerManaged
	b, err := bundle.Read(rv.Bundle, bundle.ReadOptions{Kind: bundle.KindEnvironment, CustomerManaged: cm})
	if err != nil {
		// The bundle was checked when the version was registered.
		return version{}, family.Internal("read bundle of "+rv.TemplateName+":"+rv.MajorVersion+"."+rv.MinorVersion, err)
	}
	v := version{ResolvedVersion: rv, bundle: b}
	switch {
	case cm || b.Infrastructure == nil:
		v.mode, v.method = store.ModeCustomerManaged, "customer-managed"
	case isTerraform(b.Infrastructure):
		v.mode, v.method = store.ModeSelfManaged, "self-managed (Terraform)"
	case b.Infrastructure.CodeBuild != nil || hasEngine(b.Infrastructure, "codebuild"):
		v.mode, v.method = store.ModeManaged, "CodeBuild"
	default:
		v.mode, v.method = store.ModeManaged, "CloudFormation"
	}
	return v, nil
}

func isTerraform(m *bundle.Manifest) bool {
	for _, t := range m.Templates {
		if strings.EqualFold(t.TemplateLanguage, "terraform") || strings.EqualFold(t.RenderingEngine, "hcl") {
			return true
		}
	}
	return false
}

func hasEngine(m *bundle.Manifest, engine string) bool {
	for _, t := range m.Templates {
		if strings.EqualFold(t.RenderingEngine, engine) {
			return true
		}
	}
	return false
}

// validateSpec validates a spec against the version's schema and returns its
// inputs, defaults applied and "${Proton::CURRENT_VAL}" replaced by
// previous values.
func validateSpec(v version, spec string, previous map[string]any) (map[string]any, error) {
	schema := v.bundle.Schema
	if schema == nil {
		var err error
		if schema, err = bundle.ParseSchema(v.SchemaText, bundle.KindEnvironment); err != nil {
			return nil, family.Internal("parse schema", err)
		}
	}
	inputs, err := schema.ValidateEnvironmentSpec(spec, previous)
	var se *bundle.SpecError
	var p *bundle.Problem
	switch {
	case errors.As(err, &se):
		return nil, fault.New(fault.Validation, "The spec is not valid for environment template %s version %s.%s: %s",
			v.TemplateName, v.MajorVersion, v.MinorVersion, strings.Join(se.Problems, "; "))
	case errors.As(err, &p):
		return nil, fault.New(fault.Validation, "The spec is not valid: %s", p.Msg)
	case err != nil:
		return nil, family.Internal("validate spec", err)
	}
	return inputs, nil
}
