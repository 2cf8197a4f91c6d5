package sqlstore

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// deploymentsFamily declares deployments, of every target: their ARNs take
// no tags, and a deleted deployment leaves no tombstone.
var deploymentsFamily = Family{Name: "deployments", Resources: []Resource{{Type: "deployment"}}}

// deploymentColumns is the column list that scanDeployment reads, in order.
const deploymentColumns = `region, id, account, target_resource_type, target_key, environment_name, target_arn,
	target_created_at_ms, action, mode, status, status_message,
	created_at_ms, last_modified_at_ms, completed_at_ms, previous_attempted_id, previous_succeeded_id,
	has_initial_state, initial_template_name, initial_major_version, initial_minor_version, initial_spec, initial_inputs_json,
	target_template_name, target_major_version, target_minor_version, target_spec, target_inputs_json`

func scanDeployment(r Row) (store.Deployment, error) {
	var (
		d                                         store.Deployment
		target, action, mode, status              string
		targetCreated, created, modded, completed int64
		hasInitial                                bool
		initial                                   store.TemplateState
	)
	err := r.Scan(&d.Region, &d.ID, &d.Account, &target, &d.TargetKey, &d.EnvironmentName, &d.TargetArn,
		&targetCreated, &action, &mode, &status, &d.StatusMessage,
		&created, &modded, &completed, &d.PreviousAttemptedID, &d.PreviousSucceededID,
		&hasInitial, &initial.TemplateName, &initial.MajorVersion, &initial.MinorVersion, &initial.Spec, &initial.Inputs,
		&d.TargetState.TemplateName, &d.TargetState.MajorVersion, &d.TargetState.MinorVersion, &d.TargetState.Spec, &d.TargetState.Inputs)
	d.TargetResourceType, d.Action = store.TargetType(target), store.DeploymentAction(action)
	d.Mode, d.Status = store.ProvisioningMode(mode), store.DeploymentStatus(status)
	d.TargetResourceCreatedAt, d.CreatedAt, d.LastModifiedAt = fromMS(targetCreated), fromMS(created), fromMS(modded)
	d.CompletedAt = fromMSOrZero(completed)
	if hasInitial {
		d.InitialState = &initial
	}
	return d, err
}

func deploymentValues(d store.Deployment) []any {
	initial := store.TemplateState{Inputs: "{}"}
	if d.InitialState != nil {
		initial = *d.InitialState
	}
	return []any{d.Region, d.ID, d.Account, string(d.TargetResourceType), d.TargetKey, d.EnvironmentName, d.TargetArn,
		ms(d.TargetResourceCreatedAt), string(d.Action), string(d.Mode), string(d.Status), d.StatusMessage,
		ms(d.CreatedAt), ms(d.LastModifiedAt), msOrZero(d.CompletedAt), d.PreviousAttemptedID, d.PreviousSucceededID,
		d.InitialState != nil, initial.TemplateName, initial.MajorVersion, initial.MinorVersion, initial.Spec, initial.Inputs,
		d.TargetState.TemplateName, d.TargetState.MajorVersion, d.TargetState.MinorVersion, d.TargetState.Spec, d.TargetState.Inputs}
}

// deploymentJob is the job that carries d out, due at due: the deployments
// of one target share a serial key, and run in the order they were made.
func deploymentJob(d store.Deployment, due time.Time) store.Job {
	return store.Job{JobKey: store.JobKey{Region: d.Region, Kind: store.JobDeployment, ID: d.ID}, Account: d.Account,
		SerialKey: d.Account + "/" + d.Region + "/" + string(d.TargetResourceType) + "/" + d.TargetKey,
		Seq:       ms(d.CreatedAt), DueAt: due}
}

// insertDeployment records d, with its job when a worker carries it out.
func (s *Store) insertDeployment(ctx context.Context, tx Q, d store.Deployment, queue bool) error {
	if _, err := tx.Exec(ctx, `INSERT INTO deployments (`+deploymentColumns+`) VALUES (`+marks(28)+`)`,
		deploymentValues(d)...); err != nil {
		return s.errorf("insert deployment %s: %w", d.ID, err)
	}
	if !queue {
		return nil
	}
	return s.enqueue(ctx, tx, deploymentJob(d, d.CreatedAt))
}

// getDeployment reads one deployment, with a row lock when lock is not "".
func (s *Store) getDeployment(ctx context.Context, q Q, region, id, lock string) (store.Deployment, error) {
	d, err := scanDeployment(q.QueryRow(ctx, `SELECT `+deploymentColumns+` FROM deployments
		WHERE region = ? AND id = ? `+lock, region, id))
	return found(s, d, err, "get deployment %s", id)
}

// GetDeployment implements store.Deployments.
func (s *Store) GetDeployment(ctx context.Context, region, id string) (store.Deployment, error) {
	return s.getDeployment(ctx, s.e.Reads(), region, id, "")
}

// ListDeployments implements store.Deployments: a range of one of the two
// list indexes, read backwards from the cursor.
func (s *Store) ListDeployments(ctx context.Context, q store.ListDeploymentsQuery) ([]store.Deployment, error) {
	if q.Limit <= 0 {
		return []store.Deployment{}, nil
	}
	var b strings.Builder
	b.WriteString(`SELECT ` + deploymentColumns + ` FROM deployments WHERE account = ? AND region = ?`)
	args := []any{q.Account, q.Region}
	if q.EnvironmentName != "" {
		b.WriteString(` AND environment_name = ?`)
		args = append(args, q.EnvironmentName)
	}
	if q.After != nil {
		b.WriteString(` AND (created_at_ms, id) < (?, ?)`)
		args = append(args, ms(q.After.CreatedAt), q.After.ID)
	}
	b.WriteString(` ORDER BY created_at_ms DESC, id DESC LIMIT ?`)
	rows, err := s.e.Reads().Query(ctx, b.String(), append(args, q.Limit)...)
	out, err := collect(rows, err, scanDeployment)
	if err != nil {
		return nil, s.errorf("list deployments: %w", err)
	}
	return out, nil
}

// CompleteDeployment implements store.Deployments. The deployment row is
// locked first, then its environment's, the order of every write that
// touches both; the job goes in between, as its delete is the lease check.
func (s *Store) CompleteDeployment(ctx context.Context, p store.CompleteParams) (store.Deployment, error) {
	var out store.Deployment
	err := s.e.InTx(ctx, "complete deployment", func(tx Q) error {
		d, err := s.getDeployment(ctx, tx, p.Region, p.ID, s.e.Lock(ForUpdate))
		if err != nil {
			return err
		}
		out = d
		if err := s.endJob(ctx, tx, deploymentJob(d, p.Now).JobKey, p.LeaseOwner); err != nil {
			return err
		}
		if !d.Status.InFlight() {
			return store.ErrConditionFailed
		}
		e, err := s.getEnvironment(ctx, tx, d.Account, d.Region, d.EnvironmentName, s.e.Lock(ForUpdate))
		if err != nil {
			return s.errorf("complete deployment %s: environment: %w", d.ID, err)
		}
		if p.Connection != "" && p.Outcome == store.OutcomeSucceeded {
			// FOR SHARE: a concurrent delete of the connection commits
			// either before this read (and the success is refused) or
			// after this transaction.
			if _, err := s.getConnection(ctx, tx, p.Region, p.Connection, s.e.Lock(ForShare)); errors.Is(err, store.ErrNotFound) {
				return store.ErrConnectionUnusable
			} else if err != nil {
				return err
			}
		}
		e2, d2, remove := finish(e, d, p)
		out = d2
		if remove {
			return s.removeEnvironment(ctx, tx, e, deploymentJob(d, p.Now).SerialKey, p.ARN, p.Now)
		}
		if _, err := tx.Exec(ctx, `UPDATE deployments SET status = ?, status_message = ?, completed_at_ms = ?, last_modified_at_ms = ?
			WHERE region = ? AND id = ?`, string(d2.Status), d2.StatusMessage, ms(d2.CompletedAt), ms(d2.LastModifiedAt), d.Region, d.ID); err != nil {
			return s.errorf("complete deployment %s: %w", d.ID, err)
		}
		if e2.Version != e.Version {
			if err := s.writeEnvironment(ctx, tx, e2); err != nil {
				return err
			}
		}
		if err := s.upsertOutputs(ctx, tx, d.Region, d.ID, p.Outputs); err != nil {
			return err
		}
		for _, r := range p.Resources {
			if _, err := tx.Exec(ctx, `INSERT INTO deployment_resources (region, deployment_id, name, identifier, engine)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (region, deployment_id, name) DO UPDATE SET
				identifier = excluded.identifier, engine = excluded.engine`, d.Region, d.ID, r.Name, r.Identifier, r.Engine); err != nil {
				return s.errorf("record resource of deployment %s: %w", d.ID, err)
			}
		}
		return nil
	})
	return store.WithRow(out, err, store.ErrConditionFailed, store.ErrLeaseLost)
}

// finish computes what CompleteDeployment writes: the deployment and the
// environment after p ends d, and whether the environment is to be removed
// (a delete that succeeded). e is d's environment; it changes only when d
// is its last attempted deployment. The caller has checked that d is in
// flight.
func finish(e store.Environment, d store.Deployment, p store.CompleteParams) (store.Environment, store.Deployment, bool) {
	d.CompletedAt, d.LastModifiedAt, d.StatusMessage = p.Now, p.Now, p.Message
	remove := false
	switch {
	case d.Action == store.ActionDelete && p.Outcome == store.OutcomeSucceeded:
		d.Status, remove = "DELETE_COMPLETE", true
	case d.Action == store.ActionDelete:
		d.Status = store.DeleteFailed
	case p.Outcome == store.OutcomeSucceeded:
		d.Status = store.DeploySucceeded
	case p.Outcome == store.OutcomeCancelled:
		d.Status = store.DeployCancelled
	default:
		d.Status = store.DeployFailed
	}
	if e.LastAttemptedDeploymentID != d.ID {
		return e, d, false
	}
	e.DeploymentStatus, e.DeploymentStatusMessage = d.Status, p.Message
	switch d.Status {
	case store.DeploySucceeded:
		e.LastSucceededDeploymentID, e.LastDeploymentSucceededAt = d.ID, p.Now
	case store.DeployCancelled:
		// The cancelled update did not happen: the environment shows what
		// it ran before.
		if d.InitialState != nil {
			e.TemplateState = *d.InitialState
		}
	}
	e.Version++
	return e, d, remove
}

// removeEnvironment deletes an environment with everything that belongs to
// it, the jobs of its deployments (serialKey) included, and leaves a
// tombstone.
func (s *Store) removeEnvironment(ctx context.Context, tx Q, e store.Environment, serialKey, arn string, now time.Time) error {
	ofEnv := `(SELECT id FROM deployments WHERE account = ? AND region = ? AND environment_name = ?)`
	key := []any{e.Account, e.Region, e.Name}
	for _, st := range []struct {
		what, sql string
		args      []any
	}{
		{"outputs", `DELETE FROM deployment_outputs WHERE region = ? AND deployment_id IN ` + ofEnv, append([]any{e.Region}, key...)},
		{"resources", `DELETE FROM deployment_resources WHERE region = ? AND deployment_id IN ` + ofEnv, append([]any{e.Region}, key...)},
		{"jobs", `DELETE FROM jobs WHERE kind = ? AND serial_key = ?`, []any{string(store.JobDeployment), serialKey}},
		{"deployments", `DELETE FROM deployments WHERE account = ? AND region = ? AND environment_name = ?`, key},
		{"environment", `DELETE FROM environments WHERE account = ? AND region = ? AND name = ?`, key},
	} {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return s.errorf("remove environment %s: %s: %w", e.Name, st.what, err)
		}
	}
	if err := s.bury(ctx, tx, store.Resource{Type: "environment", Account: e.Account, Region: e.Region, Key: e.Name}, now); err != nil {
		return err
	}
	return s.deleteTags(ctx, tx, arn)
}

// upsertOutputs writes outputs in one statement, a later value of a
// repeated key winning.
func (s *Store) upsertOutputs(ctx context.Context, tx Q, region, id string, outs []store.Output) error {
	if len(outs) == 0 {
		return nil
	}
	pairs := make([]store.Tag, len(outs))
	for i, o := range outs {
		pairs[i] = store.Tag{Key: o.Key, Value: o.Value}
	}
	pairs = dedupeTags(pairs)
	args := make([]any, 0, 4*len(pairs))
	for _, o := range pairs {
		args = append(args, region, id, o.Key, o.Value)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO deployment_outputs (region, deployment_id, key, value) VALUES `+
		values(len(pairs), 4)+`
		ON CONFLICT (region, deployment_id, key) DO UPDATE SET value = excluded.value`, args...); err != nil {
		return s.errorf("record outputs of deployment %s: %w", id, err)
	}
	return nil
}

// CancelDeployment implements store.Deployments.
func (s *Store) CancelDeployment(ctx context.Context, region, id string, now time.Time) (store.Deployment, error) {
	var out store.Deployment
	err := s.e.InTx(ctx, "cancel deployment", func(tx Q) error {
		d, err := s.getDeployment(ctx, tx, region, id, s.e.Lock(ForUpdate))
		if err != nil {
			return err
		}
		out = d
		if d.Status != store.DeployInProgress || d.Action != store.ActionDeploy {
			return store.ErrConditionFailed
		}
		if out, err = scanDeployment(tx.QueryRow(ctx, `UPDATE deployments SET status = 'CANCELLING', last_modified_at_ms = ?
			WHERE region = ? AND id = ? RETURNING `+deploymentColumns, ms(now), region, id)); err != nil {
			return s.errorf("cancel deployment %s: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE environments SET deployment_status = 'CANCELLING', version = version + 1
			WHERE account = ? AND region = ? AND name = ? AND last_attempted_deployment_id = ?`,
			d.Account, region, d.EnvironmentName, id); err != nil {
			return s.errorf("cancel deployment %s: environment: %w", id, err)
		}
		return s.requestCancel(ctx, tx, deploymentJob(d, now))
	})
	return store.WithRow(out, err, store.ErrConditionFailed)
}

// RecordOutputs implements store.Deployments. The row lock serialises
// notifications of one deployment, so that the output count holds when they
// race.
func (s *Store) RecordOutputs(ctx context.Context, p store.NotifyOutputsParams) (store.Deployment, error) {
	var out store.Deployment
	err := s.e.InTx(ctx, "record outputs", func(tx Q) error {
		d, err := s.getDeployment(ctx, tx, p.Region, p.ID, s.e.Lock(ForUpdate))
		if err != nil {
			return err
		}
		if !d.Status.InFlight() {
			return store.ErrConditionFailed
		}
		if err := s.upsertOutputs(ctx, tx, p.Region, p.ID, p.Outputs); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM deployment_outputs WHERE region = ? AND deployment_id = ?`,
			p.Region, p.ID).Scan(&n); err != nil {
			return s.errorf("count outputs of %s: %w", p.ID, err)
		}
		if n > p.MaxOutputs {
			return store.ErrTooManyOutputs
		}
		out = d
		if p.Message == nil {
			return nil
		}
		if out, err = scanDeployment(tx.QueryRow(ctx, `UPDATE deployments SET status_message = ?, last_modified_at_ms = ?
			WHERE region = ? AND id = ? RETURNING `+deploymentColumns, *p.Message, ms(p.Now), p.Region, p.ID)); err != nil {
			return s.errorf("record message of %s: %w", p.ID, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE environments SET deployment_status_message = ?, version = version + 1
			WHERE account = ? AND region = ? AND name = ? AND last_attempted_deployment_id = ?`,
			*p.Message, d.Account, p.Region, d.EnvironmentName, p.ID); err != nil {
			return s.errorf("record message of %s: environment: %w", p.ID, err)
		}
		return nil
	})
	if err != nil {
		return store.Deployment{}, err
	}
	return out, nil
}

// DeleteDeployment implements store.Deployments. A finished deployment has
// no job.
func (s *Store) DeleteDeployment(ctx context.Context, region, id string) (store.Deployment, error) {
	var out store.Deployment
	err := s.e.InTx(ctx, "delete deployment", func(tx Q) error {
		d, err := s.getDeployment(ctx, tx, region, id, s.e.Lock(ForUpdate))
		if err != nil {
			return err
		}
		out = d
		if d.Status.InFlight() {
			return store.ErrConditionFailed
		}
		var latest bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM environments WHERE account = ? AND region = ? AND name = ?
			AND (last_attempted_deployment_id = ? OR last_succeeded_deployment_id = ?))`,
			d.Account, region, d.EnvironmentName, id, id).Scan(&latest); err != nil {
			return s.errorf("delete deployment %s: %w", id, err)
		}
		if latest {
			return store.ErrConditionFailed
		}
		for _, q := range []string{
			`DELETE FROM deployment_outputs WHERE region = ? AND deployment_id = ?`,
			`DELETE FROM deployment_resources WHERE region = ? AND deployment_id = ?`,
			`DELETE FROM deployments WHERE region = ? AND id = ?`,
		} {
			if _, err := tx.Exec(ctx, q, region, id); err != nil {
				return s.errorf("delete deployment %s: %w", id, err)
			}
		}
		return nil
	})
	return store.WithRow(out, err, store.ErrConditionFailed)
}

// ListOutputs implements store.Deployments.
func (s *Store) ListOutputs(ctx context.Context, region, id string) ([]store.Output, error) {
	rows, err := s.e.Reads().Query(ctx, `SELECT key, value FROM deployment_outputs
		WHERE region = ? AND deployment_id = ? ORDER BY key`, region, id)
	out, err := collect(rows, err, func(r Row) (o store.Output, err error) { return o, r.Scan(&o.Key, &o.Value) })
	if err != nil {
		return nil, s.errorf("list outputs of %s: %w", id, err)
	}
	return out, nil
}

// ListProvisionedResources implements store.Deployments.
func (s *Store) ListProvisionedResources(ctx context.Context, region, id string) ([]store.ProvisionedResource, error) {
	rows, err := s.e.Reads().Query(ctx, `SELECT name, identifier, engine FROM deployment_resources
		WHERE region = ? AND deployment_id = ? ORDER BY name`, region, id)
	out, err := collect(rows, err, func(r Row) (p store.ProvisionedResource, err error) {
		return p, r.Scan(&p.Name, &p.Identifier, &p.Engine)
	})
	if err != nil {
		return nil, s.errorf("list resources of %s: %w", id, err)
	}
	return out, nil
}
