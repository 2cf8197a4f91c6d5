package deployments

import (
	"context"
	"errors"
	"time"

	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store"
)

// NotifyInput is a NotifyResourceDeploymentStatusChange request.
type NotifyInput struct {
	ResourceArn   string
	Status        string // "", IN_PROGRESS, SUCCEEDED or FAILED
	DeploymentID  string // "" means the resource's last attempted deployment
	Outputs       []store.Output
	StatusMessage *string
	// Run is the deployment of the CodeBuild run whose credentials signed
	// the notification (auth.Caller.Deployment), if any.
	Run string
}

// Notify records what provisioning automation reports about d, a
// deployment of the target that what names in messages: outputs and a
// status message while it runs, and its end (SUCCEEDED or FAILED). Only
// the customer's automation reports, so only an in-flight self-managed
// deployment takes notifications: any other deployment, AWS-managed
// (openproton's engine carries it out) or finished, is ConflictException
// and nothing changes. The one exception is a repeat of the end that
// finished a self-managed deployment which changes nothing (an automation
// retrying a call whose answer it lost): it is accepted. The target's
// family has found d and checked the caller.
//
// The commands of a CodeBuild run report too, with the credentials that
// the run gave them (in.Run is d): see runNotify.
func (s *Service) Notify(ctx context.Context, d store.Deployment, in NotifyInput, what string, now time.Time) error {
	if in.Run != "" && in.Run == d.ID {
		return s.runNotify(ctx, d, in, what, now)
	}
	if d.Mode != store.ModeSelfManaged {
		return fault.New(fault.Conflict, "Deployment %s of %s is %s; notifications report on self-managed deployments only, and change nothing else.",
			d.ID, what, modeWords(d.Mode))
	}
	final := in.Status != "" && in.Status != "IN_PROGRESS"
	if !d.Status.InFlight() {
		if final && ended(d.Status) == in.Status {
			same, err := s.changesNothing(ctx, d, in)
			if err != nil || same {
				return err // a repeated notification
			}
		}
		return fault.New(fault.Conflict, "Deployment %s of %s already ended (%s); a notification can no longer change it.", d.ID, what, d.Status)
	}
	if !final {
		return s.recordOutputs(ctx, d, in, now)
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
	_, err := s.store.CompleteDeployment(ctx, store.CompleteParams{Region: d.Region, ID: d.ID, Outcome: outcome,
		Message: msg, Now: now, ARN: d.TargetArn})
	switch {
	case errors.Is(err, store.ErrConditionFailed):
		return fault.New(fault.Conflict, "Deployment %s is being cancelled or already ended.", d.ID)
	case errors.Is(err, store.ErrNotFound):
		return fault.New(fault.NotFound, "Deployment %s of %s was not found.", d.ID, what)
	case err != nil:
		return family.Internal("complete deployment", err)
	}
	return nil
}

// runNotify records what the commands of d's CodeBuild run report about
// d while they run: its outputs, and nothing else. The run's engine ends d
// when the commands end, as their exit status says, and writes its
// message; so a status (IN_PROGRESS, or the SUCCEEDED or FAILED that AWS's
// samples send from their last command) and a status message are
// accepted and not recorded.
func (s *Service) runNotify(ctx context.Context, d store.Deployment, in NotifyInput, what string, now time.Time) error {
	if !d.Status.InFlight() {
		return fault.New(fault.Conflict, "Deployment %s of %s already ended (%s); a notification can no longer change it.", d.ID, what, d.Status)
	}
	return s.recordOutputs(ctx, d, NotifyInput{Outputs: in.Outputs}, now)
}

// modeWords names who carries out deployments of a mode, for messages.
func modeWords(m store.ProvisioningMode) string {
	if m == store.ModeCustomerManaged {
		return "of a customer-managed environment, which Proton does not provision"
	}
	return "AWS-managed: openproton's provisioning engine carries it out"
}

// changesNothing reports whether a notification repeating the end of the
// finished deployment d would leave it as it is: each of its outputs is
// recorded with that value, and its message, if any, is the deployment's.
func (s *Service) changesNothing(ctx context.Context, d store.Deployment, in NotifyInput) (bool, error) {
	if in.StatusMessage != nil && *in.StatusMessage != d.StatusMessage {
		return false, nil
	}
	if len(in.Outputs) == 0 {
		return true, nil
	}
	recorded, err := s.store.ListOutputs(ctx, d.Region, d.ID)
	if err != nil {
		return false, family.Internal("list outputs", err)
	}
	have := make(map[string]string, len(recorded))
	for _, o := range recorded {
		have[o.Key] = o.Value
	}
	for _, o := range in.Outputs {
		if v, ok := have[o.Key]; !ok || v != o.Value {
			return false, nil
		}
	}
	return true, nil
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
	case errors.Is(err, store.ErrConditionFailed):
		return fault.New(fault.Conflict, "Deployment %s already ended; a notification can no longer change it.", d.ID)
	case errors.Is(err, store.ErrNotFound):
		return fault.New(fault.NotFound, "Deployment %s was not found.", d.ID)
	case err != nil:
		return family.Internal("record outputs", err)
	}
	return nil
}

// NotifiedTarget names the deployment target a notification is about: its
// account, region, type and key, and its last attempted deployment.
type NotifiedTarget struct {
	Account, Region string
	Type            store.TargetType
	Key             string
	LastAttempted   string
}

// NotifyTarget is Notify for the deployment of t that in names (its last
// attempted one when in names none): a deployment of another target is
// ResourceNotFoundException, as one that does not exist.
func (s *Service) NotifyTarget(ctx context.Context, t NotifiedTarget, in NotifyInput, what string, now time.Time) error {
	id := in.DeploymentID
	if id == "" {
		id = t.LastAttempted
	}
	d, err := s.store.GetDeployment(ctx, t.Region, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (d.Account != t.Account || d.TargetResourceType != t.Type || d.TargetKey != t.Key)) {
		return fault.New(fault.NotFound, "Deployment %s of %s was not found.", id, what)
	}
	if err != nil {
		return family.Internal("get deployment", err)
	}
	return s.Notify(ctx, d, in, what, now)
}
