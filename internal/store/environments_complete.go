package store

import "time"

// Finish computes what CompleteDeployment writes, so that every
// implementation applies the same rules: it returns the deployment and the
// environment after p ends d, and whether the environment is to be removed
// (a delete that succeeded). e is d's environment; it changes only when d
// is its last attempted deployment. The caller has checked that d is in
// flight.
func Finish(e Environment, d Deployment, p CompleteParams) (Environment, Deployment, bool) {
	d.Queued, d.LeaseOwner, d.LeaseExpiresAt = false, "", time.Time{}
	d.CompletedAt, d.LastModifiedAt = p.Now, p.Now
	d.StatusMessage = p.Message
	remove := false
	switch {
	case d.Action == ActionDelete && p.Outcome == OutcomeSucceeded:
		d.Status, remove = "DELETE_COMPLETE", true
	case d.Action == ActionDelete:
		d.Status = DeleteFailed
	case p.Outcome == OutcomeSucceeded:
		d.Status = DeploySucceeded
	case p.Outcome == OutcomeCancelled:
		d.Status = DeployCancelled
	default:
		d.Status = DeployFailed
	}
	if e.LastAttemptedDeploymentID != d.ID {
		return e, d, false
	}
	e.DeploymentStatus, e.DeploymentStatusMessage = d.Status, p.Message
	switch d.Status {
	case DeploySucceeded:
		e.LastSucceededDeploymentID, e.LastDeploymentSucceededAt = d.ID, p.Now
	case DeployCancelled:
		// The cancelled update did not happen: the environment shows what
		// it ran before.
		if d.InitialState != nil {
			e.TemplateState = *d.InitialState
		}
	}
	e.Version++
	return e, d, remove
}
