package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/openproton/openproton/internal/store"
)

// environmentColumns is the column list that scanEnvironment reads, in order.
const environmentColumns = `account, region, name, description,
	template_name, template_major_version, template_minor_version, spec, inputs_json,
	proton_service_role_arn, COALESCE(environment_account_connection_id, ''), environment_account_id,
	codebuild_role_arn, component_role_arn, repository_provider, repository_name, repository_branch,
	provisioning, mode, deployment_status, deployment_status_message,
	created_at_ms, last_attempted_at_ms, last_succeeded_at_ms,
	last_attempted_deployment_id, last_succeeded_deployment_id, fingerprint, modified, version`

// writeEnvironmentColumns names the columns of environmentValues for an
// INSERT or an UPDATE (the select list wraps the connection id in COALESCE).
var writeEnvironmentColumns = strings.Split(strings.Join(strings.Fields(`account, region, name, description,
	template_name, template_major_version, template_minor_version, spec, inputs_json,
	proton_service_role_arn, environment_account_connection_id, environment_account_id,
	codebuild_role_arn, component_role_arn, repository_provider, repository_name, repository_branch,
	provisioning, mode, deployment_status, deployment_status_message,
	created_at_ms, last_attempted_at_ms, last_succeeded_at_ms,
	last_attempted_deployment_id, last_succeeded_deployment_id, fingerprint, modified, version`), ""), ",")

func scanEnvironment(row scanner) (store.Environment, error) {
	var (
		e                             store.Environment
		mode, status                  string
		created, attempted, succeeded int64
	)
	err := row.Scan(&e.Account, &e.Region, &e.Name, &e.Description,
		&e.TemplateName, &e.MajorVersion, &e.MinorVersion, &e.Spec, &e.Inputs,
		&e.ProtonServiceRoleArn, &e.EnvironmentAccountConnectionID, &e.EnvironmentAccountID,
		&e.CodebuildRoleArn, &e.ComponentRoleArn,
		&e.ProvisioningRepository.Provider, &e.ProvisioningRepository.Name, &e.ProvisioningRepository.Branch,
		&e.Provisioning, &mode, &status, &e.DeploymentStatusMessage,
		&created, &attempted, &succeeded,
		&e.LastAttemptedDeploymentID, &e.LastSucceededDeploymentID, &e.Fingerprint, &e.Modified, &e.Version)
	if err != nil {
		return store.Environment{}, err
	}
	e.Mode, e.DeploymentStatus = store.ProvisioningMode(mode), store.DeploymentStatus(status)
	e.CreatedAt, e.LastDeploymentAttemptedAt = fromMillis(created), fromMillis(attempted)
	if succeeded != 0 {
		e.LastDeploymentSucceededAt = fromMillis(succeeded)
	}
	return e, nil
}

// environmentValues are the values of writeEnvironmentColumns for e, with
// the connection id as NULL when absent.
func environmentValues(e store.Environment) []any {
	var conn *string
	if e.EnvironmentAccountConnectionID != "" {
		conn = &e.EnvironmentAccountConnectionID
	}
	var succeeded int64
	if !e.LastDeploymentSucceededAt.IsZero() {
		succeeded = millis(e.LastDeploymentSucceededAt)
	}
	return []any{e.Account, e.Region, e.Name, e.Description,
		e.TemplateName, e.MajorVersion, e.MinorVersion, e.Spec, e.Inputs,
		e.ProtonServiceRoleArn, conn, e.EnvironmentAccountID,
		e.CodebuildRoleArn, e.ComponentRoleArn,
		e.ProvisioningRepository.Provider, e.ProvisioningRepository.Name, e.ProvisioningRepository.Branch,
		e.Provisioning, string(e.Mode), string(e.DeploymentStatus), e.DeploymentStatusMessage,
		millis(e.CreatedAt), millis(e.LastDeploymentAttemptedAt), succeeded,
		e.LastAttemptedDeploymentID, e.LastSucceededDeploymentID, e.Fingerprint, e.Modified, e.Version}
}

// params returns "$from, $from+1, ..." for n parameters.
func params(from, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(ps, ", ")
}

func insertEnvironment(ctx context.Context, tx pgx.Tx, e store.Environment) error {
	_, err := tx.Exec(ctx, `INSERT INTO environments (`+strings.Join(writeEnvironmentColumns, ", ")+`)
		VALUES (`+params(1, len(writeEnvironmentColumns))+`)`, environmentValues(e)...)
	if err != nil {
		return fmt.Errorf("postgres: insert environment %s: %w", e.Name, err)
	}
	return nil
}

// writeEnvironment replaces the stored row of e as it is (version included).
func writeEnvironment(ctx context.Context, tx pgx.Tx, e store.Environment) error {
	assigns := make([]string, len(writeEnvironmentColumns))
	for i, c := range writeEnvironmentColumns {
		assigns[i] = c + " = $" + strconv.Itoa(i+1)
	}
	n := len(writeEnvironmentColumns)
	args := append(environmentValues(e), e.Account, e.Region, e.Name)
	_, err := tx.Exec(ctx, `UPDATE environments SET `+strings.Join(assigns, ", ")+`
		WHERE account = `+params(n+1, 1)+` AND region = `+params(n+2, 1)+` AND name = `+params(n+3, 1), args...)
	if err != nil {
		return fmt.Errorf("postgres: write environment %s: %w", e.Name, err)
	}
	return nil
}

// getEnvironment reads one environment; lock, when set, is a row-locking
// clause such as "FOR UPDATE".
func getEnvironment(ctx context.Context, q querier, account, region, name, lock string) (store.Environment, error) {
	e, err := scanEnvironment(q.QueryRow(ctx, `SELECT `+environmentColumns+`
		FROM environments WHERE account = $1 AND region = $2 AND name = $3 `+lock, account, region, name))
	if isNoRows(err) {
		return store.Environment{}, store.ErrNotFound
	}
	if err != nil {
		return store.Environment{}, fmt.Errorf("postgres: read environment %s: %w", name, err)
	}
	return e, nil
}

// deploymentColumns is the column list that scanDeployment reads, in order.
const deploymentColumns = `region, id, account, environment_name, target_arn, target_resource_type,
	target_created_at_ms, action, mode, status, status_message,
	created_at_ms, last_modified_at_ms, completed_at_ms, previous_attempted_id, previous_succeeded_id,
	has_initial_state, initial_template_name, initial_major_version, initial_minor_version, initial_spec, initial_inputs_json,
	target_template_name, target_major_version, target_minor_version, target_spec, target_inputs_json,
	queued, lease_owner, lease_expires_at_ms, attempts`

const deploymentColumnCount = 31

func scanDeployment(row scanner) (store.Deployment, error) {
	var (
		d                                         store.Deployment
		action, mode, status                      string
		targetCreated, created, modded, completed int64
		hasInitial                                bool
		initial                                   store.TemplateState
		leaseExp                                  int64
	)
	err := row.Scan(&d.Region, &d.ID, &d.Account, &d.EnvironmentName, &d.TargetArn, &d.TargetResourceType,
		&targetCreated, &action, &mode, &status, &d.StatusMessage,
		&created, &modded, &completed, &d.PreviousAttemptedID, &d.PreviousSucceededID,
		&hasInitial, &initial.TemplateName, &initial.MajorVersion, &initial.MinorVersion, &initial.Spec, &initial.Inputs,
		&d.TargetState.TemplateName, &d.TargetState.MajorVersion, &d.TargetState.MinorVersion, &d.TargetState.Spec, &d.TargetState.Inputs,
		&d.Queued, &d.LeaseOwner, &leaseExp, &d.Attempts)
	if err != nil {
		return store.Deployment{}, err
	}
	d.Action, d.Mode, d.Status = store.DeploymentAction(action), store.ProvisioningMode(mode), store.DeploymentStatus(status)
	d.TargetResourceCreatedAt, d.CreatedAt, d.LastModifiedAt = fromMillis(targetCreated), fromMillis(created), fromMillis(modded)
	if completed != 0 {
		d.CompletedAt = fromMillis(completed)
	}
	if hasInitial {
		d.InitialState = &initial
	}
	if leaseExp != 0 {
		d.LeaseExpiresAt = fromMillis(leaseExp)
	}
	return d, nil
}

func deploymentValues(d store.Deployment) []any {
	var initial store.TemplateState
	if d.InitialState != nil {
		initial = *d.InitialState
	}
	if initial.Inputs == "" {
		initial.Inputs = "{}"
	}
	var completed, leaseExp int64
	if !d.CompletedAt.IsZero() {
		completed = millis(d.CompletedAt)
	}
	if !d.LeaseExpiresAt.IsZero() {
		leaseExp = millis(d.LeaseExpiresAt)
	}
	return []any{d.Region, d.ID, d.Account, d.EnvironmentName, d.TargetArn, d.TargetResourceType,
		millis(d.TargetResourceCreatedAt), string(d.Action), string(d.Mode), string(d.Status), d.StatusMessage,
		millis(d.CreatedAt), millis(d.LastModifiedAt), completed, d.PreviousAttemptedID, d.PreviousSucceededID,
		d.InitialState != nil, initial.TemplateName, initial.MajorVersion, initial.MinorVersion, initial.Spec, initial.Inputs,
		d.TargetState.TemplateName, d.TargetState.MajorVersion, d.TargetState.MinorVersion, d.TargetState.Spec, d.TargetState.Inputs,
		d.Queued, d.LeaseOwner, leaseExp, d.Attempts}
}

// getDeployment reads one deployment; lock as in getEnvironment.
func getDeployment(ctx context.Context, q querier, region, id, lock string) (store.Deployment, error) {
	d, err := scanDeployment(q.QueryRow(ctx, `SELECT `+deploymentColumns+`
		FROM deployments WHERE region = $1 AND id = $2 `+lock, region, id))
	if isNoRows(err) {
		return store.Deployment{}, store.ErrNotFound
	}
	if err != nil {
		return store.Deployment{}, fmt.Errorf("postgres: read deployment %s: %w", id, err)
	}
	return d, nil
}

func insertDeployment(ctx context.Context, tx pgx.Tx, d store.Deployment) error {
	_, err := tx.Exec(ctx, `INSERT INTO deployments (`+deploymentColumns+`)
		VALUES (`+params(1, deploymentColumnCount)+`)`, deploymentValues(d)...)
	if err != nil {
		return fmt.Errorf("postgres: insert deployment %s: %w", d.ID, err)
	}
	return nil
}
