package environments

import (
	"context"
	"errors"
	"time"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// NotifyInput is a NotifyResourceDeploymentStatusChange request.
type NotifyInput struct {
	ResourceArn   string
	Status        string // "", IN_PROGRESS, SUCCEEDED or FAILED
	DeploymentID  string // "" means the resource's last attempted deployment
	Outputs       []store.Output
	StatusMessage *string
}

// Notify records what provisioning automation reports about a deployment of
// an environment: outputs at any time, and for a self-managed deployment its
// end (SUCCEEDED or FAILED). The caller is the environment's account or, for
// an environment that uses a connection, its environment account.
func (s *Service) Notify(ctx context.Context, caller auth.Caller, in NotifyInput) error {
	a, ok := arn.Parse(in.ResourceArn)
	if !ok || a.Region != caller.Region || a.Type() != ResourceType {
		return tagging.NotFound(in.ResourceArn)
	}
	e, err := s.environmentAt(ctx, a)
	if err != nil {
		return err
	}
	if caller.Account != e.Account && (e.EnvironmentAccountID == "" || caller.Account != e.EnvironmentAccountID) {
		return tagging.NotFound(in.ResourceArn)
	}
	id := in.DeploymentID
	if id == "" {
		id = e.LastAttemptedDeploymentID
	}
	d, err := s.store.GetDeployment(ctx, e.Region, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (d.Account != e.Account || d.EnvironmentName != e.Name)) {
		return fault.New(fault.NotFound, "Deployment %s of environment %s was not found.", id, e.Name)
	}
	if err != nil {
		return family.Internal("get deployment", err)
	}
	now := s.clock()
	switch in.Status {
	case "", "IN_PROGRESS":
		if in.Status != "" && !d.Status.InFlight() {
			return fault.New(fault.Conflict, "Deployment %s already ended (%s).", d.ID, d.Status)
		}
		return s.recordOutputs(ctx, d, in, now)
	}
	if d.Mode != store.ModeSelfManaged {
		return fault.New(fault.Conflict, "Deployment %s is carried out by openproton (%s provisioning); a notification may report its outputs but not its status.", d.ID, d.Mode)
	}
	if !d.Status.InFlight() {
		if ended(d.Status) == in.Status {
			return nil // a repeated notification
		}
		return fault.New(fault.Conflict, "Deployment %s already ended (%s).", d.ID, d.Status)
	}
	if len(in.Outputs) > 0 {
		if err := s.recordOutputs(ctx, d, NotifyInput{Outputs: in.Outputs}, now); err != nil {
			return err
		}
	}
	outcome := store.OutcomeSucceeded
	if in.Status == "FAILED" {
		outcome = store.OutcomeFailed
	}
	msg := ""
	if in.StatusMessage != nil {
		msg = *in.StatusMessage
	}
	_, err = s.store.CompleteDeployment(ctx, store.CompleteParams{Region: d.Region, ID: d.ID, Outcome: outcome,
		Message: msg, Now: now, ARN: ARN(e)})
	switch {
	case errors.Is(err, store.ErrConditionFailed):
		return fault.New(fault.Conflict, "Deployment %s is being cancelled or already ended.", d.ID)
	case errors.Is(err, store.ErrNotFound):
		return fault.New(fault.NotFound, "Deployment %s of environment %s was not found.", id, e.Name)
	case err != nil:
		return family.Internal("complete deployment", err)
	}
	return nil
}

// ended maps a finished deployment status to the notification status that
// ends a deployment that way.
func ended(st store.DeploymentStatus) string {
	switch st {
	case store.DeploySucceeded:
		return "SUCCEEDED"
	case store.DeployFailed, store.DeleteFailed:
		return "FAILED"
	}
	return string(st)
}

func (s *Service) recordOutputs(ctx context.Context, d store.Deployment, in NotifyInput, now time.Time) error {
	if len(in.Outputs) == 0 && in.StatusMessage == nil {
		return nil
	}
	_, err := s.store.RecordOutputs(ctx, store.NotifyOutputsParams{Region: d.Region, ID: d.ID, Outputs: in.Outputs,
		Message: in.StatusMessage, MaxOutputs: s.maxOutputs, Now: now})
	switch {
	case errors.Is(err, store.ErrTooManyOutputs):
		return fault.New(fault.QuotaExceeded, "Deployment %s would have more than %d outputs.", d.ID, s.maxOutputs)
	case errors.Is(err, store.ErrNotFound):
		return fault.New(fault.NotFound, "Deployment %s was not found.", d.ID)
	case err != nil:
		return family.Internal("record outputs", err)
	}
	return nil
}
