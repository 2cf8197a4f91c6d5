package environments

import (
	"context"
	"errors"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// NotifyInput is a NotifyResourceDeploymentStatusChange request.
type NotifyInput = deployments.NotifyInput

// Notify records what provisioning automation reports about a deployment of
// an environment (deployments.Service.Notify says how). The caller is the
// environment's account or, for an environment that uses a connection, its
// environment account, or a CodeBuild run of the deployment notified.
func (s *Service) Notify(ctx context.Context, caller auth.Caller, in NotifyInput) error {
	a, ok := arn.Parse(in.ResourceArn)
	if !ok || a.Region != caller.Region || a.Type() != ResourceType {
		return tagging.NotFound(in.ResourceArn)
	}
	e, err := s.environmentAt(ctx, a)
	if err != nil {
		return err
	}
	id := in.DeploymentID
	if id == "" {
		id = e.LastAttemptedDeploymentID
	}
	if caller.Account != e.Account && (e.EnvironmentAccountID == "" || caller.Account != e.EnvironmentAccountID) &&
		(caller.Deployment == "" || caller.Deployment != id) {
		return tagging.NotFound(in.ResourceArn)
	}
	d, err := s.store.GetDeployment(ctx, e.Region, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (d.Account != e.Account || d.TargetResourceType != store.TargetEnvironment || d.EnvironmentName != e.Name)) {
		return fault.New(fault.NotFound, "Deployment %s of environment %s was not found.", id, e.Name)
	}
	if err != nil {
		return family.Internal("get deployment", err)
	}
	return s.deployments.Notify(ctx, d, in, "environment "+e.Name, s.clock())
}
