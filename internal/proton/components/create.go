package components

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/bundle"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// CreateInput is a CreateComponent request.
type CreateInput struct {
	Name                string
	Description         string
	EnvironmentName     string
	ServiceName         string
	ServiceInstanceName string
	ServiceSpec         string
	Manifest            string
	TemplateFile        string
	ClientToken         string
	Tags                []store.Tag
}

// placement is where a component deploys: its environment, how it
// provisions there, and its instance (with the inputs its service spec
// gives) when it is attached.
type placement struct {
	env    store.Environment
	mode   store.ProvisioningMode
	inst   *store.ServiceTarget
	inputs map[string]any
}

// terraform reports whether a component's manifest provisions with
// Terraform.
func terraform(m *bundle.Manifest) bool {
	t := m.Templates[0]
	return strings.EqualFold(t.TemplateLanguage, bundle.LanguageTerraform) || t.RenderingEngine == bundle.EngineHCL
}

// manifest parses a component's manifest, refusing it with a
// ValidationException that says why.
func manifest(text string) (*bundle.Manifest, error) {
	m, err := bundle.ParseComponentManifest([]byte(text))
	if err != nil {
		return nil, fault.New(fault.Validation, "The component's manifest is not valid: %s", err.Error())
	}
	return m, nil
}

// checkNames applies the rule of the two instance names: both or neither.
func checkNames(service, instance string) error {
	if (service == "") != (instance == "") {
		return fault.New(fault.Validation, "Give both serviceName and serviceInstanceName to attach a component to a service instance, or neither.")
	}
	return nil
}

// place finds where component name deploys: in the environment envName,
// or, attached, in the instance's (envName, if given, must be that one);
// attaching says that the component is not attached to the instance yet.
func (s *Service) place(ctx context.Context, caller auth.Caller, name, envName, service, instance, spec string, attaching bool, m *bundle.Manifest) (placement, error) {
	var p placement
	if instance != "" {
		t, err := s.store.GetServiceInstance(ctx, caller.Account, caller.Region, service, instance)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if _, err := s.store.GetService(ctx, caller.Account, caller.Region, service); errors.Is(err, store.ErrNotFound) {
				return p, family.NotFound("Service", service)
			}
			return p, fault.New(fault.NotFound, "Service instance %s of service %s was not found.", instance, service)
		case err != nil:
			return p, family.Internal("get service instance", err)
		case envName != "" && envName != t.EnvironmentName:
			return p, fault.New(fault.Validation, "Service instance %s of service %s runs in environment %s, not %s; an attached component is in its instance's environment.",
				instance, service, t.EnvironmentName, envName)
		case t.DeploymentStatus == store.DeleteInProgress:
			return p, fault.New(fault.Conflict, "Service instance %s of service %s is being deleted.", instance, service)
		}
		inputs, err := s.instances.ComponentInputs(ctx, caller, t, spec, attaching)
		if err != nil {
			return p, err
		}
		p.inst, p.inputs, envName = &t, inputs, t.EnvironmentName
	} else if spec != "" {
		return p, fault.New(fault.Validation, "serviceSpec is for a component attached to a service instance; component %s is not attached.", name)
	}
	if envName == "" {
		return p, fault.New(fault.Validation, "Give environmentName for a detached component, or serviceName and serviceInstanceName to attach it.")
	}
	e, err := s.store.GetEnvironment(ctx, caller.Account, caller.Region, envName)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return p, family.NotFound("Environment", envName)
	case err != nil:
		return p, family.Internal("get environment", err)
	case e.DeploymentStatus == store.DeleteInProgress:
		return p, fault.New(fault.Conflict, "Environment %s is being deleted; component %s cannot be in it.", envName, name)
	case e.Mode == store.ModeCustomerManaged:
		return p, fault.New(fault.Validation, "Environment %s is customer managed: Proton provisions nothing in it, components included.", envName)
	}
	p.env, p.mode = e, e.Mode
	switch {
	case terraform(m) && e.Mode != store.ModeSelfManaged:
		return p, fault.New(fault.Validation, "Component %s is Terraform, which only self-managed environments provision; environment %s is provisioned by AWS (CloudFormation).", name, envName)
	case !terraform(m) && e.Mode == store.ModeSelfManaged:
		return p, fault.New(fault.Validation, "Component %s is CloudFormation; environment %s is self-managed (Terraform).", name, envName)
	case e.Mode == store.ModeSelfManaged:
		return p, nil // component roles are not used in self-managed environments
	}
	role := e.ComponentRoleArn
	if e.EnvironmentAccountConnectionID != "" {
		c, err := s.store.GetConnection(ctx, e.Region, e.EnvironmentAccountConnectionID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			role = ""
		case err != nil:
			return p, family.Internal("get environment account connection", err)
		default:
			role = c.ComponentRoleArn
		}
	}
	if role == "" {
		where := "has no componentRoleArn"
		if e.EnvironmentAccountConnectionID != "" {
			where = "runs through environment account connection " + e.EnvironmentAccountConnectionID + ", which has no componentRoleArn"
		}
		return p, fault.New(fault.Validation, "Environment %s %s: no directly defined component can be provisioned in it. Set one with UpdateEnvironment (or UpdateEnvironmentAccountConnection).", envName, where)
	}
	return p, nil
}

// document is what a component in placement p deploys.
func (p placement) document(manifest, file string) (store.ComponentDocument, error) {
	doc := store.ComponentDocument{Manifest: manifest, TemplateFile: file}
	if p.inputs != nil {
		enc, err := deployments.EncodeInputs(p.inputs)
		if err != nil {
			return doc, err
		}
		doc.Inputs = json.RawMessage(enc)
	}
	if p.inst != nil {
		doc.ServiceName, doc.ServiceInstanceName = p.inst.ServiceName, p.inst.Name
	}
	return doc, nil
}

// link is the store's check of p's instance and environment.
func (p placement) link(idle bool) (*store.InstanceLink, string) {
	if p.inst == nil {
		return nil, p.env.Name
	}
	return &store.InstanceLink{ServiceName: p.inst.ServiceName, InstanceName: p.inst.Name, Environment: p.env.Name, Idle: idle}, p.env.Name
}

// Create creates a component in the caller's account and starts its first
// deployment. A repeat with the client token of the create returns the
// component.
func (s *Service) Create(ctx context.Context, caller auth.Caller, in CreateInput) (store.Component, error) {
	if c, err := s.store.GetComponent(ctx, caller.Account, caller.Region, in.Name); err == nil {
		return repeated(c, in.ClientToken)
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Component{}, family.Internal("get component", err)
	}
	if err := checkNames(in.ServiceName, in.ServiceInstanceName); err != nil {
		return store.Component{}, err
	}
	if err := tagging.CheckCustomerTags(in.Tags); err != nil {
		return store.Component{}, err
	}
	m, err := manifest(in.Manifest)
	if err != nil {
		return store.Component{}, err
	}
	p, err := s.place(ctx, caller, in.Name, in.EnvironmentName, in.ServiceName, in.ServiceInstanceName, in.ServiceSpec, true, m)
	if err != nil {
		return store.Component{}, err
	}
	c := store.Component{Account: caller.Account, Region: caller.Region, Name: in.Name, Description: in.Description,
		EnvironmentName: p.env.Name, Mode: p.mode, LastClientToken: in.ClientToken}
	doc, err := p.document(in.Manifest, in.TemplateFile)
	if err != nil {
		return store.Component{}, err
	}
	c.ServiceName, c.ServiceInstanceName = doc.ServiceName, doc.ServiceInstanceName
	c, d := s.deploy(c, store.ActionDeploy, doc.State(in.ServiceSpec), s.clock())
	w := store.WriteComponentParams{Create: true, Component: c, Deployment: &d, Tags: in.Tags, ARN: ARN(c), Quota: s.quota}
	w.Instance, w.Environment = p.link(false)
	out, err := s.store.WriteComponent(ctx, w)
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return repeated(out, in.ClientToken)
	case errors.Is(err, store.ErrQuotaExceeded):
		return store.Component{}, fault.New(fault.QuotaExceeded, "Account %s has reached its quota of %d components in %s.", caller.Account, s.quota, caller.Region)
	}
	if err := s.writeFault(c, err); err != nil {
		return store.Component{}, err
	}
	s.queued(&d)
	return out, nil
}

// repeated decides a create of a name that exists: a repeat with the
// client token of the create returns the component.
func repeated(c store.Component, token string) (store.Component, error) {
	if token != "" && token == c.LastClientToken {
		return c, nil
	}
	return store.Component{}, fault.New(fault.Conflict, "Component %s already exists.", c.Name)
}
