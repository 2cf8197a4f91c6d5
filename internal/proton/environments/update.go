package environments

import (
	"context"
	"errors"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store"
)

// DeployNone is the deployment type of an update that changes metadata
// only.
const DeployNone = deployments.DeployNone

// UpdateInput is an UpdateEnvironment request; nil members are absent.
type UpdateInput struct {
	DeploymentType                 string
	Description                    *string
	Spec                           *string
	TemplateMajorVersion           *string
	TemplateMinorVersion           *string
	ProtonServiceRoleArn           *string
	EnvironmentAccountConnectionID *string
	CodebuildRoleArn               *string
	ComponentRoleArn               *string
	ProvisioningRepository         *store.RepositoryBranch
}

// Update changes an environment's metadata and, unless the deployment type
// is NONE, deploys it.
func (s *Service) Update(ctx context.Context, caller auth.Caller, name string, in UpdateInput) (store.Environment, error) {
	if in.DeploymentType == DeployNone && (in.Spec != nil || in.TemplateMajorVersion != nil || in.TemplateMinorVersion != nil) {
		return store.Environment{}, fault.New(fault.Validation, "deploymentType NONE changes metadata only; a spec or template version needs CURRENT_VERSION, MINOR_VERSION or MAJOR_VERSION.")
	}
	e, err := s.load(ctx, caller, name)
	if err != nil {
		return e, err
	}
	if e.DeploymentStatus.InFlight() {
		return store.Environment{}, inFlight(e)
	}
	next := e
	next.Modified = true
	if in.Description != nil {
		next.Description = *in.Description
	}
	conn, err := s.updateRoles(ctx, caller, e, &next, in)
	if err != nil {
		return store.Environment{}, err
	}
	p := store.UpdateEnvironmentParams{Environment: next, ExpectVersion: e.Version, Connection: conn}
	if in.DeploymentType != DeployNone {
		v, err := s.target(ctx, caller, e, in)
		if err != nil {
			return store.Environment{}, err
		}
		if p.Connection == nil && next.EnvironmentAccountConnectionID != "" {
			// A deployment needs the connection the environment uses.
			c, err := s.deployableConnection(ctx, caller, next)
			if err != nil {
				return store.Environment{}, err
			}
			p.Connection = link(c)
		}
		spec := e.Spec
		if in.Spec != nil {
			spec = *in.Spec
		}
		previous, err := deployments.Inputs(e.TemplateState)
		if err != nil {
			return store.Environment{}, family.Internal("update environment", err)
		}
		inputs, err := validateSpec(v, spec, previous)
		if err != nil {
			return store.Environment{}, err
		}
		encoded, err := deployments.EncodeInputs(inputs)
		if err != nil {
			return store.Environment{}, err
		}
		now := s.clock()
		initial := e.TemplateState
		next.TemplateState = store.TemplateState{TemplateName: v.TemplateName, MajorVersion: v.MajorVersion,
			MinorVersion: v.MinorVersion, Spec: spec, Inputs: encoded}
		d := s.newDeployment(e, store.ActionDeploy, &initial, next.TemplateState, now)
		next.DeploymentStatus, next.DeploymentStatusMessage = store.DeployInProgress, ""
		next.LastAttemptedDeploymentID, next.LastDeploymentAttemptedAt = d.ID, now
		p.Environment, p.Deployment, p.Queue = next, &d, queued(e.Mode)
		p.Template = &store.VersionLink{TemplateName: v.TemplateName, MajorVersion: v.MajorVersion, MinorVersion: v.MinorVersion}
	}
	out, err := s.store.UpdateEnvironment(ctx, p)
	if err := updateFault(e, err); err != nil {
		return store.Environment{}, err
	}
	if p.Queue {
		s.deployments.Queued()
	}
	return out, nil
}

// updateFault maps the failures of a conditional environment write.
func updateFault(e store.Environment, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return notFound(e.Name)
	case errors.Is(err, store.ErrConditionFailed):
		return fault.New(fault.Conflict, "Environment %s was changed concurrently; read it again and retry.", e.Name)
	case errors.Is(err, store.ErrVersionUnusable):
		return fault.New(fault.Conflict, "The template version of environment %s changed concurrently; try again.", e.Name)
	case errors.Is(err, store.ErrConnectionUnusable):
		return fault.New(fault.Conflict, "The environment account connection of environment %s changed concurrently; try again.", e.Name)
	case errors.Is(err, store.ErrHasInstances):
		return fault.New(fault.Conflict, "Environment %s has service instances running in it; delete them (or their services) first.", e.Name)
	case errors.Is(err, store.ErrHasComponents):
		return fault.New(fault.Conflict, "Environment %s has components in it; delete them first.", e.Name)
	}
	return family.Internal("update environment", err)
}

func inFlight(e store.Environment) error {
	return fault.New(fault.Conflict, "Environment %s has a deployment in progress (%s, deployment %s); wait for it to end.",
		e.Name, e.DeploymentStatus, e.LastAttemptedDeploymentID)
}

// updateRoles applies the role, connection and repository changes of in to
// next, and returns the link to check when the connection changes.
func (s *Service) updateRoles(ctx context.Context, caller auth.Caller, e store.Environment, next *store.Environment, in UpdateInput) (*store.ConnectionLink, error) {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	if err := checkRoles(str(in.ProtonServiceRoleArn), str(in.EnvironmentAccountConnectionID), str(in.CodebuildRoleArn),
		str(in.ComponentRoleArn), in.ProvisioningRepository != nil); err != nil {
		return nil, err
	}
	usesConnection := e.EnvironmentAccountConnectionID != ""
	switch {
	case usesConnection && (in.ProtonServiceRoleArn != nil || in.ProvisioningRepository != nil):
		return nil, fault.New(fault.Validation, "Environment %s uses an environment account connection: change environmentAccountConnectionId, not protonServiceRoleArn or provisioningRepository.", e.Name)
	case usesConnection && (in.CodebuildRoleArn != nil || in.ComponentRoleArn != nil):
		return nil, fault.New(fault.Validation, "Environment %s uses an environment account connection, which supplies its CodeBuild and component roles.", e.Name)
	case !usesConnection && in.EnvironmentAccountConnectionID != nil:
		return nil, fault.New(fault.Validation, "Environment %s does not use an environment account connection and cannot be moved to one.", e.Name)
	case e.Mode == store.ModeSelfManaged && in.ProtonServiceRoleArn != nil:
		return nil, fault.New(fault.Validation, "Environment %s is self-managed: it takes provisioningRepository, not protonServiceRoleArn.", e.Name)
	case e.Mode != store.ModeSelfManaged && in.ProvisioningRepository != nil:
		return nil, fault.New(fault.Validation, "Environment %s is not self-managed: provisioningRepository does not apply.", e.Name)
	}
	if in.ProtonServiceRoleArn != nil {
		next.ProtonServiceRoleArn = *in.ProtonServiceRoleArn
	}
	if in.CodebuildRoleArn != nil {
		next.CodebuildRoleArn = *in.CodebuildRoleArn
	}
	if in.ComponentRoleArn != nil {
		next.ComponentRoleArn = *in.ComponentRoleArn
	}
	if in.ProvisioningRepository != nil {
		next.ProvisioningRepository = *in.ProvisioningRepository
	}
	if in.EnvironmentAccountConnectionID == nil || *in.EnvironmentAccountConnectionID == e.EnvironmentAccountConnectionID {
		return nil, nil
	}
	c, err := s.connectionFor(ctx, caller, *in.EnvironmentAccountConnectionID, e.Name)
	if err != nil {
		return nil, err
	}
	if c.EnvironmentAccountID != e.EnvironmentAccountID {
		return nil, fault.New(fault.Validation, "Environment account connection %s belongs to environment account %s; environment %s is provisioned in %s and can switch only to a connection of that account.",
			c.ID, c.EnvironmentAccountID, e.Name, e.EnvironmentAccountID)
	}
	next.EnvironmentAccountConnectionID = c.ID
	return link(c), nil
}

// deployableConnection returns the connection an environment deploys with,
// or a ConflictException when it was deleted or is no longer CONNECTED.
func (s *Service) deployableConnection(ctx context.Context, caller auth.Caller, e store.Environment) (store.Connection, error) {
	c, err := s.store.GetConnection(ctx, e.Region, e.EnvironmentAccountConnectionID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Connection{}, fault.New(fault.Conflict,
			"Environment account connection %s of environment %s was deleted; Proton cannot manage the environment's infrastructure until it is switched to a new CONNECTED connection of environment account %s for environment %s (UpdateEnvironment with environmentAccountConnectionId).",
			e.EnvironmentAccountConnectionID, e.Name, e.EnvironmentAccountID, e.Name)
	}
	if err != nil {
		return store.Connection{}, family.Internal("get connection", err)
	}
	if c.Status != store.StatusConnected || c.ManagementAccountID != caller.Account {
		return store.Connection{}, fault.New(fault.Conflict, "Environment account connection %s of environment %s is %s.", c.ID, e.Name, c.Status)
	}
	return c, nil
}

// target resolves the template version a deployment of the given type goes
// to, following the rules of the deployment types.
func (s *Service) target(ctx context.Context, caller auth.Caller, e store.Environment, in UpdateInput) (version, error) {
	choice := deployments.VersionChoice{DeploymentType: in.DeploymentType, Major: in.TemplateMajorVersion, Minor: in.TemplateMinorVersion,
		Template: e.TemplateName, CurrentMajor: e.MajorVersion, CurrentMinor: e.MinorVersion, Noun: "environment template"}
	major, minor, err := choice.Wanted()
	if err != nil {
		return version{}, err
	}
	v, err := s.resolve(ctx, caller, e.TemplateName, major, minor)
	if err != nil {
		return version{}, err
	}
	if err := choice.Check(v.MajorVersion, v.MinorVersion); err != nil {
		return version{}, err
	}
	if v.mode != e.Mode {
		return version{}, fault.New(fault.Validation, "Version %s.%s of environment template %s uses %s provisioning; environment %s cannot change its provisioning method.", v.MajorVersion, v.MinorVersion, e.TemplateName, v.method, e.Name)
	}
	return v, nil
}
