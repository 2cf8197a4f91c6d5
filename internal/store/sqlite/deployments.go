package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// GetDeployment implements store.Environments.
func (s *Store) GetDeployment(ctx context.Context, region, id string) (store.Deployment, error) {
	return getDeployment(ctx, s.reader, region, id)
}

// ListDeployments implements store.Environments: a range of one of the two
// list indexes, read backwards from the cursor.
func (s *Store) ListDeployments(ctx context.Context, q store.ListDeploymentsQuery) ([]store.Deployment, error) {
	out := []store.Deployment{}
	if q.Limit <= 0 {
		return out, nil
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
	args = append(args, q.Limit)
	rows, err := s.reader.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list deployments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list deployments: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list deployments: %w", err)
	}
	return out, nil
}

// CompleteDeployment implements store.Environments.
func (s *Store) CompleteDeployment(ctx context.Context, p store.CompleteParams) (store.Deployment, error) {
	var out store.Deployment
	err := s.inTx(ctx, "complete deployment", func(tx *sql.Tx) error {
		d, err := getDeployment(ctx, tx, p.Region, p.ID)
		if err != nil {
			return err
		}
		switch {
		case p.LeaseOwner != "" && d.LeaseOwner != p.LeaseOwner:
			out = d
			return store.ErrLeaseLost
		case !d.Status.InFlight(), p.LeaseOwner == "" && d.Queued:
			out = d
			return store.ErrConditionFailed
		}
		e, err := getEnvironment(ctx, tx, d.Account, d.Region, d.EnvironmentName)
		if err != nil {
			return fmt.Errorf("sqlite: complete deployment %s: environment: %w", d.ID, err)
		}
		if p.Connection != "" && p.Outcome == store.OutcomeSucceeded {
			if _, err := getConnection(ctx, txQ{s, tx}, p.Region, p.Connection); errors.Is(err, store.ErrNotFound) {
				return store.ErrConnectionUnusable
			} else if err != nil {
				return fmt.Errorf("sqlite: complete deployment %s: %w", d.ID, err)
			}
		}
		e2, d2, remove := store.Finish(e, d, p)
		if remove {
			out = d2
			return removeEnvironment(ctx, tx, e, p.ARN, p.Now)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deployments SET status = ?, status_message = ?, completed_at_ms = ?,
			last_modified_at_ms = ?, queued = 0, lease_owner = '', lease_expires_at_ms = 0 WHERE region = ? AND id = ?`,
			string(d2.Status), d2.StatusMessage, ms(d2.CompletedAt), ms(d2.LastModifiedAt), d.Region, d.ID); err != nil {
			return fmt.Errorf("sqlite: complete deployment %s: %w", d.ID, err)
		}
		if e2.Version != e.Version {
			if err := writeEnvironment(ctx, tx, e2); err != nil {
				return err
			}
		}
		if err := upsertOutputs(ctx, tx, d.Region, d.ID, p.Outputs); err != nil {
			return err
		}
		if err := insertResources(ctx, tx, d.Region, d.ID, p.Resources); err != nil {
			return err
		}
		out = d2
		return nil
	})
	return store.WithRow(out, err, store.ErrConditionFailed, store.ErrLeaseLost)
}

// writeEnvironment replaces the stored row of e as it is (version included).
func writeEnvironment(ctx context.Context, tx *sql.Tx, e store.Environment) error {
	var assigns []string
	for _, c := range strings.Split(insertEnvironmentColumns, ",") {
		assigns = append(assigns, strings.TrimSpace(c)+" = ?")
	}
	args := append(environmentValues(e), e.Account, e.Region, e.Name)
	if _, err := tx.ExecContext(ctx, `UPDATE environments SET `+strings.Join(assigns, ", ")+`
		WHERE account = ? AND region = ? AND name = ?`, args...); err != nil {
		return fmt.Errorf("sqlite: write environment %s: %w", e.Name, err)
	}
	return nil
}

// removeEnvironment deletes an environment with everything that belongs to
// it and leaves a tombstone.
func removeEnvironment(ctx context.Context, tx *sql.Tx, e store.Environment, arn string, now time.Time) error {
	stmts := []struct {
		what, sql string
		args      []any
	}{
		{"outputs", `DELETE FROM deployment_outputs WHERE region = ? AND deployment_id IN
			(SELECT id FROM deployments WHERE account = ? AND region = ? AND environment_name = ?)`, []any{e.Region, e.Account, e.Region, e.Name}},
		{"resources", `DELETE FROM deployment_resources WHERE region = ? AND deployment_id IN
			(SELECT id FROM deployments WHERE account = ? AND region = ? AND environment_name = ?)`, []any{e.Region, e.Account, e.Region, e.Name}},
		{"deployments", `DELETE FROM deployments WHERE account = ? AND region = ? AND environment_name = ?`, []any{e.Account, e.Region, e.Name}},
		{"environment", `DELETE FROM environments WHERE account = ? AND region = ? AND name = ?`, []any{e.Account, e.Region, e.Name}},
		{"tags", `DELETE FROM tags WHERE resource_arn = ?`, []any{arn}},
		{"tombstone", `INSERT INTO environment_tombstones (account, region, name, deleted_at_ms) VALUES (?, ?, ?, ?)
			ON CONFLICT (account, region, name) DO UPDATE SET deleted_at_ms = excluded.deleted_at_ms`, []any{e.Account, e.Region, e.Name, ms(now)}},
	}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("sqlite: remove environment %s: %s: %w", e.Name, st.what, err)
		}
	}
	return nil
}

func upsertOutputs(ctx context.Context, tx *sql.Tx, region, id string, outs []store.Output) error {
	for _, o := range outs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deployment_outputs (region, deployment_id, key, value) VALUES (?, ?, ?, ?)
			ON CONFLICT (region, deployment_id, key) DO UPDATE SET value = excluded.value`, region, id, o.Key, o.Value); err != nil {
			return fmt.Errorf("sqlite: record output of deployment %s: %w", id, err)
		}
	}
	return nil
}

func insertResources(ctx context.Context, tx *sql.Tx, region, id string, rs []store.ProvisionedResource) error {
	for _, r := range rs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deployment_resources (region, deployment_id, name, identifier, engine)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (region, deployment_id, name) DO UPDATE SET
			identifier = excluded.identifier, engine = excluded.engine`, region, id, r.Name, r.Identifier, r.Engine); err != nil {
			return fmt.Errorf("sqlite: record resource of deployment %s: %w", id, err)
		}
	}
	return nil
}

// CancelDeployment implements store.Environments.
func (s *Store) CancelDeployment(ctx context.Context, region, id string, now time.Time) (store.Deployment, error) {
	var out store.Deployment
	err := s.inTx(ctx, "cancel deployment", func(tx *sql.Tx) error {
		d, err := getDeployment(ctx, tx, region, id)
		if err != nil {
			return err
		}
		if d.Status != store.DeployInProgress || d.Action != store.ActionDeploy {
			out = d
			return store.ErrConditionFailed
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deployments SET status = 'CANCELLING', queued = 1, last_modified_at_ms = ?
			WHERE region = ? AND id = ?`, ms(now), region, id); err != nil {
			return fmt.Errorf("sqlite: cancel deployment %s: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE environments SET deployment_status = 'CANCELLING', version = version + 1
			WHERE account = ? AND region = ? AND name = ? AND last_attempted_deployment_id = ?`,
			d.Account, region, d.EnvironmentName, id); err != nil {
			return fmt.Errorf("sqlite: cancel deployment %s: environment: %w", id, err)
		}
		out, err = getDeployment(ctx, tx, region, id)
		return err
	})
	return store.WithRow(out, err, store.ErrConditionFailed)
}

// RecordOutputs implements store.Environments.
func (s *Store) RecordOutputs(ctx context.Context, p store.NotifyOutputsParams) (store.Deployment, error) {
	var out store.Deployment
	err := s.inTx(ctx, "record outputs", func(tx *sql.Tx) error {
		d, err := getDeployment(ctx, tx, p.Region, p.ID)
		if err != nil {
			return err
		}
		if !d.Status.InFlight() {
			return store.ErrConditionFailed
		}
		if err := upsertOutputs(ctx, tx, p.Region, p.ID, p.Outputs); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM deployment_outputs WHERE region = ? AND deployment_id = ?`,
			p.Region, p.ID).Scan(&n); err != nil {
			return fmt.Errorf("sqlite: record outputs of %s: count: %w", p.ID, err)
		}
		if n > p.MaxOutputs {
			return store.ErrTooManyOutputs
		}
		if p.Message != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE deployments SET status_message = ?, last_modified_at_ms = ?
				WHERE region = ? AND id = ?`, *p.Message, ms(p.Now), p.Region, p.ID); err != nil {
				return fmt.Errorf("sqlite: record outputs of %s: %w", p.ID, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE environments SET deployment_status_message = ?, version = version + 1
				WHERE account = ? AND region = ? AND name = ? AND last_attempted_deployment_id = ?`,
				*p.Message, d.Account, p.Region, d.EnvironmentName, p.ID); err != nil {
				return fmt.Errorf("sqlite: record outputs of %s: environment: %w", p.ID, err)
			}
		}
		out, err = getDeployment(ctx, tx, p.Region, p.ID)
		return err
	})
	if err != nil {
		return store.Deployment{}, err
	}
	return out, nil
}

// DeleteDeployment implements store.Environments.
func (s *Store) DeleteDeployment(ctx context.Context, region, id string) (store.Deployment, error) {
	var out store.Deployment
	err := s.inTx(ctx, "delete deployment", func(tx *sql.Tx) error {
		d, err := getDeployment(ctx, tx, region, id)
		if err != nil {
			return err
		}
		out = d
		if d.Status.InFlight() {
			return store.ErrConditionFailed
		}
		var latest int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM environments WHERE account = ? AND region = ? AND name = ?
			AND (last_attempted_deployment_id = ? OR last_succeeded_deployment_id = ?)`,
			d.Account, region, d.EnvironmentName, id, id).Scan(&latest); err != nil {
			return fmt.Errorf("sqlite: delete deployment %s: %w", id, err)
		}
		if latest > 0 {
			return store.ErrConditionFailed
		}
		for _, q := range []string{
			`DELETE FROM deployment_outputs WHERE region = ? AND deployment_id = ?`,
			`DELETE FROM deployment_resources WHERE region = ? AND deployment_id = ?`,
			`DELETE FROM deployments WHERE region = ? AND id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, region, id); err != nil {
				return fmt.Errorf("sqlite: delete deployment %s: %w", id, err)
			}
		}
		return nil
	})
	return store.WithRow(out, err, store.ErrConditionFailed)
}

// ListOutputs implements store.Environments.
func (s *Store) ListOutputs(ctx context.Context, region, id string) ([]store.Output, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT key, value FROM deployment_outputs
		WHERE region = ? AND deployment_id = ? ORDER BY key`, region, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list outputs of %s: %w", id, err)
	}
	defer rows.Close()
	out := []store.Output{}
	for rows.Next() {
		var o store.Output
		if err := rows.Scan(&o.Key, &o.Value); err != nil {
			return nil, fmt.Errorf("sqlite: list outputs of %s: %w", id, err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list outputs of %s: %w", id, err)
	}
	return out, nil
}

// ListProvisionedResources implements store.Environments.
func (s *Store) ListProvisionedResources(ctx context.Context, region, id string) ([]store.ProvisionedResource, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT name, identifier, engine FROM deployment_resources
		WHERE region = ? AND deployment_id = ? ORDER BY name`, region, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list resources of %s: %w", id, err)
	}
	defer rows.Close()
	out := []store.ProvisionedResource{}
	for rows.Next() {
		var r store.ProvisionedResource
		if err := rows.Scan(&r.Name, &r.Identifier, &r.Engine); err != nil {
			return nil, fmt.Errorf("sqlite: list resources of %s: %w", id, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list resources of %s: %w", id, err)
	}
	return out, nil
}

// LeaseDeployment implements store.Environments. The single writer makes
// the pick and the lease one atomic step.
func (s *Store) LeaseDeployment(ctx context.Context, p store.LeaseParams) (store.Deployment, bool, error) {
	// Idle workers poll often; a read on the reader pool keeps them from
	// taking the single writer when there is nothing to lease.
	var due int
	if err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM deployments
		WHERE queued = 1 AND lease_expires_at_ms <= ? LIMIT 1)`, ms(p.Now)).Scan(&due); err != nil {
		return store.Deployment{}, false, fmt.Errorf("sqlite: lease deployment: %w", err)
	}
	if due == 0 {
		return store.Deployment{}, false, nil
	}
	var (
		out store.Deployment
		ok  bool
	)
	err := s.inTx(ctx, "lease deployment", func(tx *sql.Tx) error {
		var region, id string
		err := tx.QueryRowContext(ctx, `SELECT region, id FROM deployments
			WHERE queued = 1 AND lease_expires_at_ms <= ? ORDER BY created_at_ms, id LIMIT 1`, ms(p.Now)).Scan(&region, &id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("sqlite: lease deployment: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deployments SET lease_owner = ?, lease_expires_at_ms = ?, attempts = attempts + 1
			WHERE region = ? AND id = ?`, p.Owner, ms(p.Until), region, id); err != nil {
			return fmt.Errorf("sqlite: lease deployment %s: %w", id, err)
		}
		out, err = getDeployment(ctx, tx, region, id)
		ok = err == nil
		return err
	})
	return out, ok, err
}

// RenewLease implements store.Environments.
func (s *Store) RenewLease(ctx context.Context, region, id, owner string, until time.Time) (store.Deployment, error) {
	var out store.Deployment
	err := s.inTx(ctx, "renew lease", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE deployments SET lease_expires_at_ms = ?
			WHERE region = ? AND id = ? AND lease_owner = ? AND queued = 1`, ms(until), region, id, owner)
		if err != nil {
			return fmt.Errorf("sqlite: renew lease of %s: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return store.ErrLeaseLost
		}
		out, err = getDeployment(ctx, tx, region, id)
		return err
	})
	return out, err
}

// ReleaseLease implements store.Environments.
func (s *Store) ReleaseLease(ctx context.Context, region, id, owner string) error {
	return s.inTx(ctx, "release lease", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE deployments SET lease_owner = '', lease_expires_at_ms = 0,
			attempts = MAX(attempts - 1, 0) WHERE region = ? AND id = ? AND lease_owner = ?`, region, id, owner); err != nil {
			return fmt.Errorf("sqlite: release lease of %s: %w", id, err)
		}
		return nil
	})
}
