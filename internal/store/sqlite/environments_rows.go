package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

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

func scanEnvironment(row interface{ Scan(...any) error }) (store.Environment, error) {
	var (
		e                            store.Environment
		mode, status                 string
		created, attempted, succeded int64
		modified                     int
	)
	err := row.Scan(&e.Account, &e.Region, &e.Name, &e.Description,
		&e.TemplateName, &e.MajorVersion, &e.MinorVersion, &e.Spec, &e.Inputs,
		&e.ProtonServiceRoleArn, &e.EnvironmentAccountConnectionID, &e.EnvironmentAccountID,
		&e.CodebuildRoleArn, &e.ComponentRoleArn,
		&e.ProvisioningRepository.Provider, &e.ProvisioningRepository.Name, &e.ProvisioningRepository.Branch,
		&e.Provisioning, &mode, &status, &e.DeploymentStatusMessage,
		&created, &attempted, &succeded,
		&e.LastAttemptedDeploymentID, &e.LastSucceededDeploymentID, &e.Fingerprint, &modified, &e.Version)
	if err != nil {
		return store.Environment{}, err
	}
	e.Mode, e.DeploymentStatus = store.ProvisioningMode(mode), store.DeploymentStatus(status)
	e.CreatedAt, e.LastDeploymentAttemptedAt = fromMS(created), fromMS(attempted)
	if succeded != 0 {
		e.LastDeploymentSucceededAt = fromMS(succeded)
	}
	e.Modified = modified != 0
	return e, nil
}

// environmentValues are the values of environmentColumns for e, with the
// connection id as NULL when absent.
func environmentValues(e store.Environment) []any {
	var conn any
	if e.EnvironmentAccountConnectionID != "" {
		conn = e.EnvironmentAccountConnectionID
	}
	var succeeded int64
	if !e.LastDeploymentSucceededAt.IsZero() {
		succeeded = ms(e.LastDeploymentSucceededAt)
	}
	return []any{e.Account, e.Region, e.Name, e.Description,
		e.TemplateName, e.MajorVersion, e.MinorVersion, e.Spec, e.Inputs,
		e.ProtonServiceRoleArn, conn, e.EnvironmentAccountID,
		e.CodebuildRoleArn, e.ComponentRoleArn,
		e.ProvisioningRepository.Provider, e.ProvisioningRepository.Name, e.ProvisioningRepository.Branch,
		e.Provisioning, string(e.Mode), string(e.DeploymentStatus), e.DeploymentStatusMessage,
		ms(e.CreatedAt), ms(e.LastDeploymentAttemptedAt), succeeded,
		e.LastAttemptedDeploymentID, e.LastSucceededDeploymentID, e.Fingerprint, boolInt(e.Modified), e.Version}
}

// insertEnvironmentColumns names the columns of environmentValues for an
// INSERT (the select list wraps the connection id in COALESCE).
const insertEnvironmentColumns = `account, region, name, description,
	template_name, template_major_version, template_minor_version, spec, inputs_json,
	proton_service_role_arn, environment_account_connection_id, environment_account_id,
	codebuild_role_arn, component_role_arn, repository_provider, repository_name, repository_branch,
	provisioning, mode, deployment_status, deployment_status_message,
	created_at_ms, last_attempted_at_ms, last_succeeded_at_ms,
	last_attempted_deployment_id, last_succeeded_deployment_id, fingerprint, modified, version`

// marks returns n comma-separated placeholders.
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func getEnvironment(ctx context.Context, q queryer, account, region, name string) (store.Environment, error) {
	e, err := scanEnvironment(q.QueryRowContext(ctx, `SELECT `+environmentColumns+`
		FROM environments WHERE account = ? AND region = ? AND name = ?`, account, region, name))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.Environment{}, store.ErrNotFound
	case err != nil:
		return store.Environment{}, fmt.Errorf("sqlite: get environment %s: %w", name, err)
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

func scanDeployment(row interface{ Scan(...any) error }) (store.Deployment, error) {
	var (
		d                                         store.Deployment
		action, mode, status                      string
		targetCreated, created, modded, completed int64
		hasInitial, queued                        int
		initial                                   store.TemplateState
		leaseExp                                  int64
	)
	err := row.Scan(&d.Region, &d.ID, &d.Account, &d.EnvironmentName, &d.TargetArn, &d.TargetResourceType,
		&targetCreated, &action, &mode, &status, &d.StatusMessage,
		&created, &modded, &completed, &d.PreviousAttemptedID, &d.PreviousSucceededID,
		&hasInitial, &initial.TemplateName, &initial.MajorVersion, &initial.MinorVersion, &initial.Spec, &initial.Inputs,
		&d.TargetState.TemplateName, &d.TargetState.MajorVersion, &d.TargetState.MinorVersion, &d.TargetState.Spec, &d.TargetState.Inputs,
		&queued, &d.LeaseOwner, &leaseExp, &d.Attempts)
	if err != nil {
		return store.Deployment{}, err
	}
	d.Action, d.Mode, d.Status = store.DeploymentAction(action), store.ProvisioningMode(mode), store.DeploymentStatus(status)
	d.TargetResourceCreatedAt, d.CreatedAt, d.LastModifiedAt = fromMS(targetCreated), fromMS(created), fromMS(modded)
	if completed != 0 {
		d.CompletedAt = fromMS(completed)
	}
	if hasInitial != 0 {
		d.InitialState = &initial
	}
	d.Queued = queued != 0
	if leaseExp != 0 {
		d.LeaseExpiresAt = fromMS(leaseExp)
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
		completed = ms(d.CompletedAt)
	}
	if !d.LeaseExpiresAt.IsZero() {
		leaseExp = ms(d.LeaseExpiresAt)
	}
	return []any{d.Region, d.ID, d.Account, d.EnvironmentName, d.TargetArn, d.TargetResourceType,
		ms(d.TargetResourceCreatedAt), string(d.Action), string(d.Mode), string(d.Status), d.StatusMessage,
		ms(d.CreatedAt), ms(d.LastModifiedAt), completed, d.PreviousAttemptedID, d.PreviousSucceededID,
		boolInt(d.InitialState != nil), initial.TemplateName, initial.MajorVersion, initial.MinorVersion, initial.Spec, initial.Inputs,
		d.TargetState.TemplateName, d.TargetState.MajorVersion, d.TargetState.MinorVersion, d.TargetState.Spec, d.TargetState.Inputs,
		boolInt(d.Queued), d.LeaseOwner, leaseExp, d.Attempts}
}

func getDeployment(ctx context.Context, q queryer, region, id string) (store.Deployment, error) {
	d, err := scanDeployment(q.QueryRowContext(ctx, `SELECT `+deploymentColumns+`
		FROM deployments WHERE region = ? AND id = ?`, region, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.Deployment{}, store.ErrNotFound
	case err != nil:
		return store.Deployment{}, fmt.Errorf("sqlite: get deployment %s: %w", id, err)
	}
	return d, nil
}

func insertDeployment(ctx context.Context, tx *sql.Tx, d store.Deployment) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO deployments (`+deploymentColumns+`)
		VALUES (`+marks(31)+`)`, deploymentValues(d)...)
	if err != nil {
		return fmt.Errorf("sqlite: insert deployment %s: %w", d.ID, err)
	}
	return nil
}
