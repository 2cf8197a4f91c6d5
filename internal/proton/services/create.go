package services

import (
	"context"
	"errors"
	"time"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/bundle"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// CreateInput is a CreateService request.
type CreateInput struct {
	Name                    string
	TemplateName            string
	TemplateMajorVersion    string
	TemplateMinorVersion    string // "" means the major's recommended minor
	Spec                    string
	Description             string
	RepositoryConnectionArn string
	RepositoryID            string
	BranchName              string
	Tags                    []store.Tag
}

// fingerprint identifies the parameters of a create, for idempotent creates
// by name.
func (in CreateInput) fingerprint() string {
	return family.Fingerprint(in.Tags, in.Name, in.TemplateName, in.TemplateMajorVersion, in.TemplateMinorVersion, in.Spec,
		in.Description, in.RepositoryConnectionArn, in.RepositoryID, in.BranchName)
}

// checkRepository applies the repository rules of a pipeline: all three
// members with one, none without.
func checkRepository(v version, in CreateInput) error {
	given := in.RepositoryConnectionArn != "" || in.RepositoryID != "" || in.BranchName != ""
	all := in.RepositoryConnectionArn != "" && in.RepositoryID != "" && in.BranchName != ""
	switch {
	case v.hasPipeline() && !all:
		return fault.New(fault.Validation, "Service template %s has a pipeline: give repositoryConnectionArn, repositoryId and branchName, the source of the pipeline.", v.TemplateName)
	case !v.hasPipeline() && given && v.Provisioning == customerManaged:
		return fault.New(fault.Validation, "Service template %s has pipelineProvisioning CUSTOMER_MANAGED: leave out repositoryConnectionArn, repositoryId and branchName.", v.TemplateName)
	case !v.hasPipeline() && given:
		return fault.New(fault.Validation, "Service template %s has no pipeline: leave out repositoryConnectionArn, repositoryId and branchName.", v.TemplateName)
	}
	return nil
}

// Create creates a service in the caller's account with its instances and
// pipeline, and starts their first deployments. A repeated create with the
// same parameters returns the service (as it is now) while it is unchanged.
func (s *Service) Create(ctx context.Context, caller auth.Caller, in CreateInput) (store.Service, error) {
	fp := in.fingerprint()
	if v, err := s.store.GetService(ctx, caller.Account, caller.Region, in.Name); err == nil {
		return repeated(v, fp)
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Service{}, family.Internal("get service", err)
	}
	if err := tagging.CheckCustomerTags(in.Tags); err != nil {
		return store.Service{}, err
	}
	v, err := s.resolve(ctx, caller, in.TemplateName, in.TemplateMajorVersion, in.TemplateMinorVersion)
	if err != nil {
		return store.Service{}, err
	}
	if err := checkRepository(v, in); err != nil {
		return store.Service{}, err
	}
	spec, err := validateSpec(v, in.Spec, bundle.PreviousInputs{})
	if err != nil {
		return store.Service{}, err
	}
	if len(spec.Instances) > s.maxInstances {
		return store.Service{}, fault.New(fault.QuotaExceeded, "A service may have at most %d instances; the spec has %d.", s.maxInstances, len(spec.Instances))
	}
	now := s.clock()
	svc := store.Service{Account: caller.Account, Region: caller.Region, Name: in.Name, Description: in.Description,
		TemplateName: v.TemplateName, MajorVersion: v.MajorVersion, MinorVersion: v.MinorVersion, Spec: in.Spec,
		RepositoryConnectionArn: in.RepositoryConnectionArn, RepositoryID: in.RepositoryID, BranchName: in.BranchName,
		Status: store.ServiceCreateInProgress, CreatedAt: now, LastModifiedAt: now, Fingerprint: fp, Version: 1}
	p := store.WriteServiceParams{Create: true, Service: svc, Tags: in.Tags, ARN: ARN(svc), Quota: s.quota, MaxInstances: s.maxInstances,
		Template: &store.VersionLink{TemplateName: v.TemplateName, MajorVersion: v.MajorVersion, MinorVersion: v.MinorVersion}}
	if err := s.addInstances(ctx, caller, v, svc, in.Spec, spec.Instances, now, &p); err != nil {
		return store.Service{}, err
	}
	if v.hasPipeline() {
		inputs, err := deployments.EncodeInputs(spec.Pipeline)
		if err != nil {
			return store.Service{}, err
		}
		t := store.ServiceTarget{Account: svc.Account, Region: svc.Region, ServiceName: svc.Name, Mode: pipelineMode(v)}
		t, d := s.deploy(t, store.ActionDeploy, store.TemplateState{TemplateName: v.TemplateName, MajorVersion: v.MajorVersion,
			MinorVersion: v.MinorVersion, Spec: in.Spec, Inputs: inputs}, now)
		if !d.Queue {
			// A self-managed pipeline waits for a notification, unless the
			// account has no repository for it: then a worker fails its
			// deployment, naming the missing setting.
			a, err := s.store.GetAccountSettings(ctx, caller.Account, caller.Region)
			if err != nil {
				return store.Service{}, family.Internal("get account settings", err)
			}
			d.Queue = pipelineSettingMissing(v.bundle.Pipeline, a) != nil
		}
		p.Targets, p.Deployments = append(p.Targets, t), append(p.Deployments, d)
	}
	out, err := s.store.WriteService(ctx, p)
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return repeated(out, fp)
	case errors.Is(err, store.ErrQuotaExceeded):
		return store.Service{}, fault.New(fault.QuotaExceeded, "Account %s has reached its quota of %d services in %s.", caller.Account, s.quota, caller.Region)
	}
	if err := s.writeFault(in.Name, err); err != nil {
		return store.Service{}, err
	}
	s.queued(p.Deployments)
	return out, nil
}

// addInstances adds new instances of svc on version v to p, each with its
// first deployment (of spec) and its environment's link.
func (s *Service) addInstances(ctx context.Context, caller auth.Caller, v version, svc store.Service, spec string, insts []bundle.InstanceSpec, now time.Time, p *store.WriteServiceParams) error {
	for _, is := range insts {
		e, mode, err := s.environmentFor(ctx, caller, v, is.Name, is.Environment)
		if err != nil {
			return err
		}
		inputs, err := deployments.EncodeInputs(is.Inputs)
		if err != nil {
			return err
		}
		t := store.ServiceTarget{Account: svc.Account, Region: svc.Region, ServiceName: svc.Name, Name: is.Name,
			EnvironmentName: e.Name, Mode: mode}
		t, d := s.deploy(t, store.ActionDeploy, store.TemplateState{TemplateName: v.TemplateName, MajorVersion: v.MajorVersion,
			MinorVersion: v.MinorVersion, Spec: spec, Inputs: inputs}, now)
		p.Targets, p.Deployments = append(p.Targets, t), append(p.Deployments, d)
		p.Environments = append(p.Environments, store.EnvironmentLink{Name: e.Name, TemplateName: e.TemplateName, MajorVersion: e.MajorVersion})
	}
	return nil
}

// repeated decides a create of a name that exists: the same request returns
// the service while it is unchanged.
func repeated(v store.Service, fp string) (store.Service, error) {
	switch {
	case v.Fingerprint != fp:
		return store.Service{}, fault.New(fault.Validation, "Idempotent parameter mismatch")
	case v.Modified:
		return store.Service{}, fault.New(fault.Conflict, "Service %s already exists and was changed since it was created.", v.Name)
	}
	return v, nil
}
