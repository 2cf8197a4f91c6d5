package environments

import (
	"context"
	"errors"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store"
)

// Delete starts deleting an environment: it becomes DELETE_IN_PROGRESS and
// disappears when its delete deployment succeeds. A repeated delete returns
// the environment while the delete is in progress, and deleted=false (no
// environment) once it is gone, for as long as the server remembers it.
func (s *Service) Delete(ctx context.Context, caller auth.Caller, name string) (e store.Environment, deleted bool, err error) {
	e, err = s.store.GetEnvironment(ctx, caller.Account, caller.Region, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Environment{}, false, s.deletedBefore(ctx, caller, name)
	}
	if err != nil {
		return store.Environment{}, false, family.Internal("get environment", err)
	}
	switch e.DeploymentStatus {
	case store.DeleteInProgress:
		return e, true, nil
	case store.DeployInProgress, store.DeployCancelling:
		return store.Environment{}, false, inFlight(e)
	}
	// Service instances and components in the environment block the
	// delete: the store checks them in the write's transaction
	// (store.ErrHasInstances, store.ErrHasComponents).
	p := store.UpdateEnvironmentParams{ExpectVersion: e.Version}
	if e.EnvironmentAccountConnectionID != "" {
		// Removing the infrastructure needs the environment account's role.
		c, err := s.deployableConnection(ctx, caller, e)
		if err != nil {
			return store.Environment{}, false, err
		}
		p.Connection = link(c)
	}
	now := s.clock()
	current := e.TemplateState
	d := s.newDeployment(e, store.ActionDelete, &current, current, now)
	next := e
	next.Modified = true
	next.DeploymentStatus, next.DeploymentStatusMessage = store.DeleteInProgress, ""
	next.LastAttemptedDeploymentID, next.LastDeploymentAttemptedAt = d.ID, now
	p.Environment, p.Deployment, p.Queue = next, &d, queued(e.Mode)
	out, err := s.store.UpdateEnvironment(ctx, p)
	if err := updateFault(e, err); err != nil {
		return store.Environment{}, false, err
	}
	if p.Queue {
		s.deployments.Queued()
	}
	return out, true, nil
}

// deletedBefore decides a delete of a name that does not exist: nil when the
// caller deleted it recently, else ResourceNotFoundException.
func (s *Service) deletedBefore(ctx context.Context, caller auth.Caller, name string) error {
	return family.DeletedBefore(ctx, s.store, store.Resource{Type: ResourceType, Account: caller.Account, Region: caller.Region, Key: name},
		s.clock(), s.tokenTTL, notFound(name))
}

// Cancel asks the in-progress update deployment of an environment to stop:
// the environment and the deployment become CANCELLING, and a worker ends
// the deployment CANCELLED (or SUCCEEDED or FAILED, if it finished first).
func (s *Service) Cancel(ctx context.Context, caller auth.Caller, name string) (store.Environment, error) {
	e, err := s.load(ctx, caller, name)
	if err != nil {
		return e, err
	}
	switch e.DeploymentStatus {
	case store.DeployCancelling:
		return e, nil
	case store.DeployInProgress:
	default:
		return store.Environment{}, fault.New(fault.Conflict, "Environment %s has no deployment in progress to cancel (its status is %s).", name, e.DeploymentStatus)
	}
	// The environment, and its deployments with it, may be deleted between
	// these reads: what is gone is not found, never an internal error.
	d, err := s.store.GetDeployment(ctx, e.Region, e.LastAttemptedDeploymentID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Environment{}, notFound(name)
	case err != nil:
		return store.Environment{}, family.Internal("get deployment", err)
	}
	if d.InitialState == nil {
		return store.Environment{}, fault.New(fault.Conflict, "Deployment %s creates environment %s; only a deployment of an UpdateEnvironment can be cancelled.", d.ID, name)
	}
	d, stop, err := s.deployments.Cancel(ctx, e.Region, d.ID, s.clock())
	switch {
	case errors.Is(err, store.ErrConditionFailed):
		return store.Environment{}, fault.New(fault.Conflict, "Deployment %s of environment %s is %s and can no longer be cancelled.", d.ID, name, d.Status)
	case errors.Is(err, store.ErrNotFound):
		return store.Environment{}, notFound(name)
	case err != nil:
		return store.Environment{}, family.Internal("cancel deployment", err)
	}
	// The answer is read before a run of the deployment here is told to
	// stop: it shows the cancel, not the end of the run it cuts short.
	defer stop()
	return s.load(ctx, caller, name)
}
