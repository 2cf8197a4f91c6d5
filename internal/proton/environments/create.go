package environments

import (
	"context"
	"errors"
	"time"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// CreateInput is a CreateEnvironment request.
type CreateInput struct {
	Name                           string
	TemplateName                   string
	TemplateMajorVersion           string
	TemplateMinorVersion           string // "" means the major's recommended minor
	Spec                           string
	Description                    string
	ProtonServiceRoleArn           string
	EnvironmentAccountConnectionID string
	CodebuildRoleArn               string
	ComponentRoleArn               string
	ProvisioningRepository         *store.RepositoryBranch
	Tags                           []store.Tag
}

// fingerprint identifies the parameters of a create, for idempotent creates
// by name.
func (in CreateInput) fingerprint() string {
	return family.Fingerprint(in.Tags, in.Name, in.TemplateName, in.TemplateMajorVersion, in.TemplateMinorVersion, in.Spec,
		in.Description, in.ProtonServiceRoleArn, in.EnvironmentAccountConnectionID, in.CodebuildRoleArn,
		in.ComponentRoleArn, in.ProvisioningRepository)
}

// checkRoles applies the rules that do not depend on the template: a
// connection excludes the roles it supplies, and a provisioning repository
// excludes AWS-managed provisioning.
func checkRoles(role, conn, codebuild, component string, repo bool) error {
	switch {
	case role != "" && conn != "":
		return fault.New(fault.Validation, "Give either protonServiceRoleArn or environmentAccountConnectionId, not both.")
	case codebuild != "" && conn != "":
		return fault.New(fault.Validation, "Give either codebuildRoleArn or environmentAccountConnectionId, not both: an environment that uses a connection provisions with the connection's roles.")
	case component != "" && conn != "":
		return fault.New(fault.Validation, "An environment that uses an environment account connection takes componentRoleArn from the connection; leave it out.")
	case repo && (role != "" || conn != ""):
		return fault.New(fault.Validation, "Self-managed provisioning takes provisioningRepository only; leave out protonServiceRoleArn and environmentAccountConnectionId.")
	}
	return nil
}

// checkMode requires what the template's provisioning method needs.
func checkMode(v version, role, conn, codebuild string, repo bool) error {
	switch {
	case v.mode == store.ModeSelfManaged && !repo:
		return fault.New(fault.Validation, "Environment template %s version %s.%s is provisioned with Terraform (self-managed): give provisioningRepository.", v.TemplateName, v.MajorVersion, v.MinorVersion)
	case v.mode == store.ModeManaged && repo:
		return fault.New(fault.Validation, "Environment template %s version %s.%s is provisioned by %s (AWS-managed): provisioningRepository is for self-managed provisioning.", v.TemplateName, v.MajorVersion, v.MinorVersion, v.method)
	case v.mode == store.ModeManaged && v.method == "CodeBuild" && codebuild == "" && conn == "":
		return fault.New(fault.Validation, "Environment template %s version %s.%s is provisioned with CodeBuild: give codebuildRoleArn or environmentAccountConnectionId.", v.TemplateName, v.MajorVersion, v.MinorVersion)
	case v.mode == store.ModeManaged && v.method != "CodeBuild" && role == "" && conn == "":
		return fault.New(fault.Validation, "Environment template %s version %s.%s is provisioned with CloudFormation: give protonServiceRoleArn or environmentAccountConnectionId.", v.TemplateName, v.MajorVersion, v.MinorVersion)
	case v.mode == store.ModeCustomerManaged && repo:
		return fault.New(fault.Validation, "Environment template %s is customer-managed: Proton provisions nothing for it, so provisioningRepository does not apply.", v.TemplateName)
	}
	return nil
}

// connectionFor checks that caller, as the management account, may use the
// connection id for an environment called name, and returns it.
func (s *Service) connectionFor(ctx context.Context, caller auth.Caller, id, name string) (store.Connection, error) {
	c, err := s.store.GetConnection(ctx, caller.Region, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.ManagementAccountID != caller.Account) {
		return store.Connection{}, fault.New(fault.NotFound, "Environment account connection %s was not found.", id)
	}
	if err != nil {
		return store.Connection{}, family.Internal("get connection", err)
	}
	if c.Status != store.StatusConnected {
		return store.Connection{}, fault.New(fault.Conflict, "Environment account connection %s is %s; an environment can use only a CONNECTED connection.", id, c.Status)
	}
	if c.EnvironmentName != name {
		return store.Connection{}, fault.New(fault.Validation, "Environment account connection %s is for environment %s, not %s.", id, c.EnvironmentName, name)
	}
	return c, nil
}

func link(c store.Connection) *store.ConnectionLink {
	return &store.ConnectionLink{ID: c.ID, ManagementAccountID: c.ManagementAccountID,
		EnvironmentAccountID: c.EnvironmentAccountID, EnvironmentName: c.EnvironmentName}
}

// Create creates an environment in the caller's account and starts its first
// deployment. A repeated create with the same parameters returns the
// environment (as it is now) while it is unchanged.
func (s *Service) Create(ctx context.Context, caller auth.Caller, in CreateInput) (store.Environment, error) {
	fp := in.fingerprint()
	if e, err := s.store.GetEnvironment(ctx, caller.Account, caller.Region, in.Name); err == nil {
		return s.repeated(e, fp)
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Environment{}, family.Internal("get environment", err)
	}
	if err := tagging.CheckCustomerTags(in.Tags); err != nil {
		return store.Environment{}, err
	}
	repo := in.ProvisioningRepository != nil
	if err := checkRoles(in.ProtonServiceRoleArn, in.EnvironmentAccountConnectionID, in.CodebuildRoleArn, in.ComponentRoleArn, repo); err != nil {
		return store.Environment{}, err
	}
	v, err := s.resolve(ctx, caller, in.TemplateName, in.TemplateMajorVersion, in.TemplateMinorVersion)
	if err != nil {
		return store.Environment{}, err
	}
	if err := checkMode(v, in.ProtonServiceRoleArn, in.EnvironmentAccountConnectionID, in.CodebuildRoleArn, repo); err != nil {
		return store.Environment{}, err
	}
	var conn *store.ConnectionLink
	envAccount := ""
	if in.EnvironmentAccountConnectionID != "" {
		c, err := s.connectionFor(ctx, caller, in.EnvironmentAccountConnectionID, in.Name)
		if err != nil {
			return store.Environment{}, err
		}
		conn, envAccount = link(c), c.EnvironmentAccountID
	}
	inputs, err := validateSpec(v, in.Spec, nil)
	if err != nil {
		return store.Environment{}, err
	}
	encoded, err := deployments.EncodeInputs(inputs)
	if err != nil {
		return store.Environment{}, err
	}

	now := s.clock()
	e := store.Environment{
		Account:     caller.Account,
		Region:      caller.Region,
		Name:        in.Name,
		Description: in.Description,
		TemplateState: store.TemplateState{TemplateName: v.TemplateName, MajorVersion: v.MajorVersion,
			MinorVersion: v.MinorVersion, Spec: in.Spec, Inputs: encoded},
		ProtonServiceRoleArn:           in.ProtonServiceRoleArn,
		EnvironmentAccountConnectionID: in.EnvironmentAccountConnectionID,
		EnvironmentAccountID:           envAccount,
		CodebuildRoleArn:               in.CodebuildRoleArn,
		ComponentRoleArn:               in.ComponentRoleArn,
		Mode:                           v.mode,
		DeploymentStatus:               store.DeployInProgress,
		CreatedAt:                      now,
		LastDeploymentAttemptedAt:      now,
		Fingerprint:                    fp,
		Version:                        1,
	}
	if repo {
		e.ProvisioningRepository = *in.ProvisioningRepository
	}
	if v.mode != store.ModeManaged {
		e.Provisioning = CustomerManaged
	}
	d := s.newDeployment(e, store.ActionDeploy, nil, e.TemplateState, now)
	e.LastAttemptedDeploymentID = d.ID
	created, err := s.store.CreateEnvironment(ctx, store.CreateEnvironmentParams{
		Environment: e, Deployment: d, Queue: queued(e.Mode), Tags: in.Tags, ARN: ARN(e), Connection: conn, Quota: s.quota,
		Template: store.VersionLink{TemplateName: v.TemplateName, MajorVersion: v.MajorVersion, MinorVersion: v.MinorVersion},
	})
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return s.repeated(created, fp)
	case errors.Is(err, store.ErrQuotaExceeded):
		return store.Environment{}, fault.New(fault.QuotaExceeded,
			"Account %s has reached its quota of %d environments in %s.", caller.Account, s.quota, caller.Region)
	case errors.Is(err, store.ErrVersionUnusable):
		return store.Environment{}, fault.New(fault.Conflict, "Version %s.%s of environment template %s changed while the environment was being created; try again.", v.MajorVersion, v.MinorVersion, v.TemplateName)
	case errors.Is(err, store.ErrConnectionUnusable):
		return store.Environment{}, fault.New(fault.Conflict, "Environment account connection %s changed while the environment was being created; try again.", in.EnvironmentAccountConnectionID)
	case err != nil:
		return store.Environment{}, family.Internal("create environment", err)
	}
	if queued(e.Mode) {
		s.deployments.Queued()
	}
	return created, nil
}

// repeated decides a create of a name that exists: the same request returns
// the environment while it is unchanged.
func (s *Service) repeated(e store.Environment, fp string) (store.Environment, error) {
	switch {
	case e.Fingerprint != fp:
		return store.Environment{}, fault.New(fault.Validation, "Idempotent parameter mismatch")
	case e.Modified:
		return store.Environment{}, fault.New(fault.Conflict, "Environment %s already exists and was changed since it was created.", e.Name)
	}
	return e, nil
}

// newDeployment returns a new deployment of e.
func (s *Service) newDeployment(e store.Environment, action store.DeploymentAction, initial *store.TemplateState, target store.TemplateState, now time.Time) store.Deployment {
	status := store.DeployInProgress
	if action == store.ActionDelete {
		status = store.DeleteInProgress
	}
	return store.Deployment{
		ID:                      s.newID(),
		Account:                 e.Account,
		Region:                  e.Region,
		EnvironmentName:         e.Name,
		TargetArn:               ARN(e),
		TargetResourceType:      store.TargetEnvironment,
		TargetKey:               e.Name,
		TargetResourceCreatedAt: e.CreatedAt,
		Action:                  action,
		Mode:                    e.Mode,
		Status:                  status,
		CreatedAt:               now,
		LastModifiedAt:          now,
		PreviousAttemptedID:     e.LastAttemptedDeploymentID,
		PreviousSucceededID:     e.LastSucceededDeploymentID,
		InitialState:            initial,
		TargetState:             target,
	}
}

// queued reports whether a worker carries out the deployments of an
// environment in mode m: self-managed ones wait for a notification instead.
func queued(m store.ProvisioningMode) bool { return m != store.ModeSelfManaged }
