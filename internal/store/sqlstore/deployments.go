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
// The targets of a service share their service's key, so that a pipeline
// deploys after the instances of the same change (which run side by side:
// they share its time) and never beside one: Seq counts in half
// milliseconds, the pipeline's last.
func deploymentJob(d store.Deployment, due time.Time) store.Job {
	j := store.Job{JobKey: store.JobKey{Region: d.Region, Kind: store.JobDeployment, ID: d.ID}, Account: d.Account,
		SerialKey: d.Account + "/" + d.Region + "/" + string(d.TargetResourceType) + "/" + d.TargetKey,
		Seq:       ms(d.CreatedAt), DueAt: due}
	if svc, ok := serviceOf(d); ok {
		j.SerialKey, j.Seq = d.Account+"/"+d.Region+"/SERVICE/"+svc, 2*ms(d.CreatedAt)
		if d.TargetResourceType == store.TargetServicePipeline {
			j.Seq++
		}
	}
	return j
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
	switch {
	case q.ComponentName != "":
		b.WriteString(` AND target_resource_type = 'COMPONENT' AND target_key = ?`)
		args = append(args, q.ComponentName)
	case q.ServiceInstanceName != "":
		b.WriteString(` AND target_resource_type = 'SERVICE_INSTANCE' AND target_key = ?`)
		args = append(args, q.ServiceName+"/"+q.ServiceInstanceName)
	case q.ServiceName != "":
		b.WriteString(` AND target_resource_type IN ('SERVICE_INSTANCE', 'SERVICE_PIPELINE') AND (target_key = ? OR substr(target_key, 1, ?) = ?)`)
		args = append(args, q.ServiceName, len(q.ServiceName)+1, q.ServiceName+"/")
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

// stateColumns are the columns that the row of every deployment target
// (an environment, a service instance or pipeline) has for its
// deployments, in the order of targetState's scan.
const stateColumns = `template_name, template_major_version, template_minor_version, spec, inputs_json,
	deployment_status, deployment_status_message, last_succeeded_at_ms,
	last_attempted_deployment_id, last_succeeded_deployment_id, version`

var stateAssigns = assigns(stateColumns)

// targetState is what a deployment changes in its target's row.
type targetState struct {
	store.TemplateState
	Status                       store.DeploymentStatus
	Message                      string
	SucceededAt                  time.Time
	LastAttempted, LastSucceeded string
	Version                      int64
}

// targetOf is the table of d's target and the condition (with its
// arguments) that finds its row.
func targetOf(d store.Deployment) (table, where string, args []any) {
	switch d.TargetResourceType {
	case store.TargetServiceInstance:
		svc, inst, _ := strings.Cut(d.TargetKey, "/")
		return "service_targets", `account = ? AND region = ? AND service_name = ? AND name = ?`, []any{d.Account, d.Region, svc, inst}
	case store.TargetServicePipeline:
		return "service_targets", `account = ? AND region = ? AND service_name = ? AND name = ''`, []any{d.Account, d.Region, d.TargetKey}
	case store.TargetComponent:
		return "components", `account = ? AND region = ? AND name = ?`, []any{d.Account, d.Region, d.TargetKey}
	}
	return "environments", `account = ? AND region = ? AND name = ?`, []any{d.Account, d.Region, d.EnvironmentName}
}

// serviceOf is the service a deployment of a service target belongs to;
// ok is false for other targets.
func serviceOf(d store.Deployment) (name string, ok bool) {
	if d.TargetResourceType != store.TargetServiceInstance && d.TargetResourceType != store.TargetServicePipeline {
		return "", false
	}
	name, _, _ = strings.Cut(d.TargetKey, "/")
	return name, true
}

// serviceARNOf is the ARN of the service whose instance or pipeline has
// the ARN target.
func serviceARNOf(target string) string {
	if before, _, ok := strings.Cut(target, "/service-instance/"); ok {
		return before
	}
	return strings.TrimSuffix(target, "/pipeline")
}

// getState reads the state of d's target, with a row lock when lock is not
// "".
func (s *Store) getState(ctx context.Context, tx Q, d store.Deployment, lock string) (targetState, error) {
	table, where, args := targetOf(d)
	var (
		st        targetState
		succeeded int64
		status    string
	)
	err := tx.QueryRow(ctx, `SELECT `+stateColumns+` FROM `+table+` WHERE `+where+` `+lock, args...).Scan(
		&st.TemplateName, &st.MajorVersion, &st.MinorVersion, &st.Spec, &st.Inputs,
		&status, &st.Message, &succeeded, &st.LastAttempted, &st.LastSucceeded, &st.Version)
	st.Status, st.SucceededAt = store.DeploymentStatus(status), fromMSOrZero(succeeded)
	return found(s, st, err, "get target of deployment %s", d.ID)
}

// writeState writes the state of d's target.
func (s *Store) writeState(ctx context.Context, tx Q, d store.Deployment, st targetState) error {
	table, where, args := targetOf(d)
	if _, err := tx.Exec(ctx, `UPDATE `+table+` SET `+stateAssigns+` WHERE `+where,
		append([]any{st.TemplateName, st.MajorVersion, st.MinorVersion, st.Spec, st.Inputs,
			string(st.Status), st.Message, msOrZero(st.SucceededAt), st.LastAttempted, st.LastSucceeded, st.Version}, args...)...); err != nil {
		return s.errorf("write target of deployment %s: %w", d.ID, err)
	}
	return nil
}

// CompleteDeployment implements store.Deployments. The deployment row is
// locked first, then (for a service's target) its service's, then its
// target's, the order of every write that touches them; the job goes
// after the deployment, as its delete is the lease check.
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
		svc, ofService := serviceOf(d)
		if ofService {
			if _, err := s.getService(ctx, tx, d.Account, d.Region, svc, s.e.Lock(ForUpdate)); err != nil {
				return s.errorf("complete deployment %s: service: %w", d.ID, err)
			}
		}
		st, err := s.getState(ctx, tx, d, s.e.Lock(ForUpdate))
		if err != nil {
			return s.errorf("complete deployment %s: target: %w", d.ID, err)
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
		st2, d2, remove := finish(st, d, p)
		out = d2
		serialKey := deploymentJob(d, p.Now).SerialKey
		switch {
		case remove && d.TargetResourceType == store.TargetComponent:
			if err := s.removeTarget(ctx, tx, d, p.ARN); err != nil {
				return err
			}
			return s.bury(ctx, tx, store.Resource{Type: "component", Account: d.Account, Region: d.Region, Key: d.TargetKey}, p.Now)
		case remove && !ofService:
			return s.removeEnvironment(ctx, tx, d, serialKey, p.ARN, p.Now)
		case remove:
			if err := s.removeTarget(ctx, tx, d, p.ARN); err != nil {
				return err
			}
			return s.settleService(ctx, tx, d.Account, d.Region, svc, serviceARNOf(p.ARN), p.Now)
		}
		if err := s.endDeployment(ctx, tx, d2); err != nil {
			return err
		}
		if st2.Version != st.Version {
			if err := s.writeState(ctx, tx, d, st2); err != nil {
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
		if ofService {
			return s.settleService(ctx, tx, d.Account, d.Region, svc, serviceARNOf(p.ARN), p.Now)
		}
		return nil
	})
	return store.WithRow(out, err, store.ErrConditionFailed, store.ErrLeaseLost)
}

// endDeployment writes the end of deployment d: its status, message and
// times.
func (s *Store) endDeployment(ctx context.Context, tx Q, d store.Deployment) error {
	if _, err := tx.Exec(ctx, `UPDATE deployments SET status = ?, status_message = ?, completed_at_ms = ?, last_modified_at_ms = ?
		WHERE region = ? AND id = ?`, string(d.Status), d.StatusMessage, ms(d.CompletedAt), ms(d.LastModifiedAt), d.Region, d.ID); err != nil {
		return s.errorf("complete deployment %s: %w", d.ID, err)
	}
	return nil
}

// finish computes what CompleteDeployment writes: the deployment and its
// target's state after p ends d, and whether the target is to be removed
// (a delete that succeeded). st is the state of d's target; it changes
// only when d is its last attempted deployment. The caller has checked
// that d is in flight.
func finish(st targetState, d store.Deployment, p store.CompleteParams) (targetState, store.Deployment, bool) {
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
	if st.LastAttempted != d.ID {
		return st, d, false
	}
	st.Status, st.Message = d.Status, p.Message
	switch d.Status {
	case store.DeploySucceeded:
		st.LastSucceeded, st.SucceededAt = d.ID, p.Now
	case store.DeployCancelled:
		// The cancelled update did not happen: the target shows what it
		// ran before.
		if d.InitialState != nil {
			st.TemplateState = *d.InitialState
		}
	}
	st.Version++
	return st, d, remove
}

// removeEnvironment deletes the environment of the delete deployment d
// with everything that belongs to it, the jobs of its deployments
// (serialKey) included, and leaves a tombstone.
func (s *Store) removeEnvironment(ctx context.Context, tx Q, d store.Deployment, serialKey, arn string, now time.Time) error {
	ofEnv := `(SELECT id FROM deployments WHERE account = ? AND region = ? AND environment_name = ?)`
	key := []any{d.Account, d.Region, d.EnvironmentName}
	if _, err := tx.Exec(ctx, `DELETE FROM jobs WHERE kind = ? AND serial_key = ?`, string(store.JobDeployment), serialKey); err != nil {
		return s.errorf("remove environment %s: jobs: %w", d.EnvironmentName, err)
	}
	if err := s.removeRows(ctx, tx, "environment "+d.EnvironmentName, ofEnv, key, []string{
		`DELETE FROM deployments WHERE account = ? AND region = ? AND environment_name = ?`,
		`DELETE FROM environments WHERE account = ? AND region = ? AND name = ?`,
	}); err != nil {
		return err
	}
	if err := s.bury(ctx, tx, store.Resource{Type: "environment", Account: d.Account, Region: d.Region, Key: d.EnvironmentName}, now); err != nil {
		return err
	}
	return s.deleteTags(ctx, tx, arn)
}

// removeTarget deletes the service instance or pipeline of the delete
// deployment d, its deployments with their records and jobs, and the tags
// stored under arn.
func (s *Store) removeTarget(ctx context.Context, tx Q, d store.Deployment, arn string) error {
	table, where, args := targetOf(d)
	ofTarget := `(SELECT id FROM deployments WHERE account = ? AND region = ? AND target_resource_type = ? AND target_key = ?)`
	key := []any{d.Account, d.Region, string(d.TargetResourceType), d.TargetKey}
	if _, err := tx.Exec(ctx, `DELETE FROM jobs WHERE kind = ? AND region = ? AND id IN `+ofTarget,
		append([]any{string(store.JobDeployment), d.Region}, key...)...); err != nil {
		return s.errorf("remove %s: jobs: %w", d.TargetKey, err)
	}
	if err := s.removeRows(ctx, tx, string(d.TargetResourceType)+" "+d.TargetKey, ofTarget, key, []string{
		`DELETE FROM deployments WHERE account = ? AND region = ? AND target_resource_type = ? AND target_key = ?`,
	}); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE `+where, args...); err != nil {
		return s.errorf("remove %s: %w", d.TargetKey, err)
	}
	return s.deleteTags(ctx, tx, arn)
}

// removeRows deletes the outputs and resources of the deployments that
// ofDeployments (a subquery taking key) selects, then runs each of rest
// with key.
func (s *Store) removeRows(ctx context.Context, tx Q, what, ofDeployments string, key []any, rest []string) error {
	stmts := append([]string{
		`DELETE FROM deployment_outputs WHERE region = ? AND deployment_id IN ` + ofDeployments,
		`DELETE FROM deployment_resources WHERE region = ? AND deployment_id IN ` + ofDeployments,
	}, rest...)
	for i, st := range stmts {
		args := key
		if i < 2 {
			args = append([]any{key[1]}, key...)
		}
		if _, err := tx.Exec(ctx, st, args...); err != nil {
			return s.errorf("remove %s: %w", what, err)
		}
	}
	return nil
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
		table, where, args := targetOf(d)
		if _, err := tx.Exec(ctx, `UPDATE `+table+` SET deployment_status = 'CANCELLING', version = version + 1
			WHERE `+where+` AND last_attempted_deployment_id = ?`, append(args, id)...); err != nil {
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
		table, where, args := targetOf(d)
		if _, err := tx.Exec(ctx, `UPDATE `+table+` SET deployment_status_message = ?, version = version + 1
			WHERE `+where+` AND last_attempted_deployment_id = ?`, append(append([]any{*p.Message}, args...), p.ID)...); err != nil {
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
		table, where, args := targetOf(d)
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE `+where+`
			AND (last_attempted_deployment_id = ? OR last_succeeded_deployment_id = ?))`,
			append(args, id, id)...).Scan(&latest); err != nil {
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
