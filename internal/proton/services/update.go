package services

import (
	"context"
	"errors"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/bundle"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store"
)

// busy refuses a change of a service while a change of it, or a
// deployment of its pipeline, is in progress.
func busy(v store.Service) error {
	if v.Status.InFlight() {
		return fault.New(fault.Conflict, "Service %s is %s; wait for it to end.", v.Name, v.Status)
	}
	if v.Pipeline != nil && v.Pipeline.DeploymentStatus.InFlight() {
		return fault.New(fault.Conflict, "The pipeline of service %s has a deployment in progress (%s); wait for it to end.", v.Name, v.Pipeline.DeploymentStatus)
	}
	return nil
}

// UpdateInput is an UpdateService request; nil members are absent.
type UpdateInput struct {
	Description *string
	Spec        *string
}

// Update changes a service's description and, with a spec, adds and
// removes instances (§2.4): the spec may not change the pipeline or an
// instance that stays. The service becomes UPDATE_IN_PROGRESS, new
// instances deploy, removed ones are deleted, and the pipeline, if any,
// is deployed again; the store settles the service when they end.
func (s *Service) Update(ctx context.Context, caller auth.Caller, name string, in UpdateInput) (store.Service, error) {
	return retrying(func() (store.Service, error) { return s.update(ctx, caller, name, in) })
}

func (s *Service) update(ctx context.Context, caller auth.Caller, name string, in UpdateInput) (store.Service, error) {
	v, err := s.load(ctx, caller, name)
	if err != nil {
		return v, err
	}
	next := v
	next.Modified = true
	if in.Description != nil {
		next.Description = *in.Description
	}
	p := store.WriteServiceParams{Service: next, ExpectVersion: v.Version, MaxInstances: s.maxInstances}
	if in.Spec != nil {
		if err := busy(v); err != nil {
			return store.Service{}, err
		}
		if err := s.respec(ctx, caller, v, *in.Spec, &p); err != nil {
			return store.Service{}, err
		}
	}
	p.Service.LastModifiedAt = s.clock()
	out, err := s.store.WriteService(ctx, p)
	if err := s.writeFault(name, err); err != nil {
		return store.Service{}, err
	}
	s.queued(p.Deployments)
	return out, nil
}

// respec adds to p what a new spec of v changes.
func (s *Service) respec(ctx context.Context, caller auth.Caller, v store.Service, spec string, p *store.WriteServiceParams) error {
	insts, err := s.instancesOf(ctx, caller, v.Name)
	if err != nil {
		return err
	}
	on := runsOn(v, insts)
	ver, err := s.version(ctx, caller, on.TemplateName, on.MajorVersion, on.MinorVersion)
	if err != nil {
		return err
	}
	prev := bundle.PreviousInputs{Instances: map[string]map[string]any{}}
	current := map[string]store.ServiceTarget{}
	for _, t := range insts {
		current[t.Name] = t
		if prev.Instances[t.Name], err = deployments.Inputs(t.TemplateState); err != nil {
			return family.Internal("update service", err)
		}
	}
	if v.Pipeline != nil {
		if prev.Pipeline, err = deployments.Inputs(v.Pipeline.TemplateState); err != nil {
			return family.Internal("update service", err)
		}
	}
	parsed, err := validateSpec(ver, spec, prev)
	if err != nil {
		return err
	}
	if v.Pipeline != nil && !sameInputs(parsed.Pipeline, prev.Pipeline) {
		return fault.New(fault.Validation, "UpdateService may only add and remove instances; change the pipeline with UpdateServicePipeline.")
	}
	kept := map[string]bool{}
	var added []bundle.InstanceSpec
	for _, is := range parsed.Instances {
		t, ok := current[is.Name]
		switch {
		case !ok:
			added = append(added, is)
		case t.EnvironmentName != is.Environment || !sameInputs(is.Inputs, prev.Instances[is.Name]):
			return fault.New(fault.Validation, "UpdateService may only add and remove instances; change instance %s with UpdateServiceInstance.", is.Name)
		default:
			kept[is.Name] = true
		}
	}
	if len(added) == 0 && len(kept) == len(insts) {
		p.Service.Spec = spec
		return nil
	}
	now := s.clock()
	p.Service.Spec, p.Service.Status, p.Service.StatusMessage = spec, store.ServiceUpdateInProgress, ""
	// If creating an instance it adds fails, the update is rolled back to
	// the spec before it (the store's settle does it).
	p.Service.RollbackSpec, p.Service.RollbackInstances = "", nil
	for _, is := range added {
		p.Service.RollbackSpec = v.Spec
		p.Service.RollbackInstances = append(p.Service.RollbackInstances, is.Name)
	}
	if len(added) > 0 {
		// The store checks again, in its transaction, that the version
		// still lists the new instances' environments as compatible.
		p.Template = &store.VersionLink{TemplateName: ver.TemplateName, MajorVersion: ver.MajorVersion, MinorVersion: ver.MinorVersion}
	}
	if err := s.addInstances(ctx, caller, ver, p.Service, spec, added, now, p); err != nil {
		return err
	}
	for _, t := range insts {
		if kept[t.Name] {
			continue
		}
		if t.DeploymentStatus.InFlight() {
			return fault.New(fault.Conflict, "Service instance %s has a deployment in progress (%s); wait for it to end before removing it.", t.Name, t.DeploymentStatus)
		}
		t2, d := s.deploy(t, store.ActionDelete, t.TemplateState, now)
		p.Targets, p.Deployments = append(p.Targets, t2), append(p.Deployments, d)
	}
	if v.Pipeline != nil {
		// The pipeline is deployed again, for the instances it now has.
		st := v.Pipeline.TemplateState
		st.Spec = spec
		t2, d := s.deploy(*v.Pipeline, store.ActionDeploy, st, now)
		p.Targets, p.Deployments = append(p.Targets, t2), append(p.Deployments, d)
	}
	return nil
}

// runsOn is the version a service runs now, which new instances get: its
// pipeline's, else its first instance's (the one it was created with may
// be gone).
func runsOn(v store.Service, insts []store.ServiceTarget) store.TemplateState {
	switch {
	case v.Pipeline != nil:
		return v.Pipeline.TemplateState
	case len(insts) > 0:
		return insts[0].TemplateState
	}
	return store.TemplateState{TemplateName: v.TemplateName, MajorVersion: v.MajorVersion, MinorVersion: v.MinorVersion}
}

// sameInputs reports whether two input mappings hold the same values.
func sameInputs(a, b map[string]any) bool {
	x, err1 := deployments.EncodeInputs(a)
	y, err2 := deployments.EncodeInputs(b)
	return err1 == nil && err2 == nil && x == y
}

// version resolves a version a service or target already runs on (it may
// be a version that is no longer recommended).
func (s *Service) version(ctx context.Context, caller auth.Caller, name, major, minor string) (version, error) {
	rv, err := s.templates.ResolveServiceTemplateVersion(ctx, caller.Account, caller.Region, name, major, minor)
	if err != nil {
		return version{}, err
	}
	return readVersion(rv)
}

// instancesOf lists every instance of a service.
func (s *Service) instancesOf(ctx context.Context, caller auth.Caller, name string) ([]store.ServiceTarget, error) {
	insts, err := s.store.ListServiceInstances(ctx, store.ListInstancesQuery{Account: caller.Account, Region: caller.Region,
		ServiceName: name, SortBy: "name", Limit: 10 * s.maxInstances})
	if err != nil {
		return nil, family.Internal("list service instances", err)
	}
	return insts, nil
}

// Delete starts deleting a service: it becomes DELETE_IN_PROGRESS, each
// instance and the pipeline get a delete deployment, and the service is
// gone once they all succeeded. A repeated delete returns the service
// while the delete is in progress, and deleted=false once it is gone, for
// as long as the server remembers it.
func (s *Service) Delete(ctx context.Context, caller auth.Caller, name string) (store.Service, bool, error) {
	type result struct {
		v       store.Service
		deleted bool
	}
	r, err := retrying(func() (result, error) {
		v, deleted, err := s.delete(ctx, caller, name)
		return result{v, deleted}, err
	})
	return r.v, r.deleted, err
}

func (s *Service) delete(ctx context.Context, caller auth.Caller, name string) (v store.Service, deleted bool, err error) {
	v, err = s.store.GetService(ctx, caller.Account, caller.Region, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Service{}, false, s.deletedBefore(ctx, caller, name)
	}
	if err != nil {
		return store.Service{}, false, family.Internal("get service", err)
	}
	if v.Status == store.ServiceDeleteInProgress {
		return v, true, nil
	}
	if err := busy(v); err != nil {
		return store.Service{}, false, err
	}
	insts, err := s.instancesOf(ctx, caller, name)
	if err != nil {
		return store.Service{}, false, err
	}
	targets := insts
	if v.Pipeline != nil {
		targets = append(targets, *v.Pipeline)
	}
	next := v
	next.Modified, next.Status, next.StatusMessage, next.LastModifiedAt = true, store.ServiceDeleteInProgress, "", s.clock()
	p := store.WriteServiceParams{Service: next, ExpectVersion: v.Version}
	for _, t := range targets {
		if t.DeploymentStatus.InFlight() && t.DeploymentStatus != store.DeleteInProgress {
			return store.Service{}, false, fault.New(fault.Conflict, "Service %s has a deployment in progress (%s of %s); wait for it to end.", name, t.DeploymentStatus, t.TargetKey())
		}
		if t.DeploymentStatus == store.DeleteInProgress {
			continue
		}
		t2, d := s.deploy(t, store.ActionDelete, t.TemplateState, next.LastModifiedAt)
		p.Targets, p.Deployments = append(p.Targets, t2), append(p.Deployments, d)
	}
	out, err := s.store.WriteService(ctx, p)
	if err := s.writeFault(name, err); err != nil {
		return store.Service{}, false, err
	}
	s.queued(p.Deployments)
	return out, true, nil
}

// deletedBefore decides a delete of a name that does not exist: nil when the
// caller deleted it recently, else ResourceNotFoundException.
func (s *Service) deletedBefore(ctx context.Context, caller auth.Caller, name string) error {
	return family.DeletedBefore(ctx, s.store, store.Resource{Type: ResourceType, Account: caller.Account, Region: caller.Region, Key: name},
		s.clock(), s.tokenTTL, notFound(name))
}
