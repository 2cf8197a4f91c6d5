package services

import (
	"context"
	"errors"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/bundle"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// CreateInstanceInput is a CreateServiceInstance request.
type CreateInstanceInput struct {
	Name, ServiceName string
	// Spec is a whole ServiceSpec, in which the instance's entry gives its
	// environment and inputs.
	Spec                 string
	TemplateMajorVersion string // "" means the version the service runs
	TemplateMinorVersion string
	ClientToken          string
	Tags                 []store.Tag
}

// CreateInstance adds an instance to a service outside its spec (as
// service sync does) and starts its first deployment; the service's status
// and spec stay as they are. A repeat with the client token of the create
// returns the instance.
func (s *Service) CreateInstance(ctx context.Context, caller auth.Caller, in CreateInstanceInput) (store.ServiceTarget, error) {
	return retrying(func() (store.ServiceTarget, error) { return s.createInstance(ctx, caller, in) })
}

func (s *Service) createInstance(ctx context.Context, caller auth.Caller, in CreateInstanceInput) (store.ServiceTarget, error) {
	v, err := s.load(ctx, caller, in.ServiceName)
	if err != nil {
		return store.ServiceTarget{}, err
	}
	t, err := s.store.GetServiceInstance(ctx, caller.Account, caller.Region, in.ServiceName, in.Name)
	switch {
	case err == nil && in.ClientToken != "" && t.LastClientToken == in.ClientToken:
		return t, nil
	case err == nil:
		return store.ServiceTarget{}, fault.New(fault.Conflict, "Service instance %s of service %s already exists.", in.Name, in.ServiceName)
	case !errors.Is(err, store.ErrNotFound):
		return store.ServiceTarget{}, family.Internal("get service instance", err)
	}
	if err := busy(v); err != nil {
		return store.ServiceTarget{}, err
	}
	if err := tagging.CheckCustomerTags(in.Tags); err != nil {
		return store.ServiceTarget{}, err
	}
	insts, err := s.instancesOf(ctx, caller, v.Name)
	if err != nil {
		return store.ServiceTarget{}, err
	}
	var ver version
	on := runsOn(v, insts)
	switch {
	case in.TemplateMajorVersion == "" && in.TemplateMinorVersion != "":
		return store.ServiceTarget{}, fault.New(fault.Validation, "templateMinorVersion needs templateMajorVersion.")
	case in.TemplateMajorVersion == "":
		ver, err = s.version(ctx, caller, on.TemplateName, on.MajorVersion, on.MinorVersion)
	default:
		ver, err = s.resolve(ctx, caller, on.TemplateName, in.TemplateMajorVersion, in.TemplateMinorVersion)
	}
	if err != nil {
		return store.ServiceTarget{}, err
	}
	parsed, err := validateSpec(ver, in.Spec, bundle.PreviousInputs{})
	if err != nil {
		return store.ServiceTarget{}, err
	}
	var entry *bundle.InstanceSpec
	for i := range parsed.Instances {
		if parsed.Instances[i].Name == in.Name {
			entry = &parsed.Instances[i]
		}
	}
	if entry == nil {
		return store.ServiceTarget{}, fault.New(fault.Validation, "The spec has no instance named %s.", in.Name)
	}
	p := store.WriteServiceParams{Service: v, ExpectVersion: v.Version, MaxInstances: s.maxInstances, TargetTags: in.Tags,
		Template: &store.VersionLink{TemplateName: ver.TemplateName, MajorVersion: ver.MajorVersion, MinorVersion: ver.MinorVersion}}
	p.Service.Modified = true
	if err := s.addInstances(ctx, caller, ver, v, in.Spec, []bundle.InstanceSpec{*entry}, s.clock(), &p); err != nil {
		return store.ServiceTarget{}, err
	}
	p.Targets[0].LastClientToken = in.ClientToken
	p.TargetARN = TargetARN(p.Targets[0])
	if _, err := s.store.WriteService(ctx, p); err != nil {
		return store.ServiceTarget{}, s.writeFault(v.Name, err)
	}
	s.queued(p.Deployments)
	return s.reload(ctx, p.Targets[0])
}
