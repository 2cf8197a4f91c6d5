package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openproton/openproton/internal/store"
)

// GetDeployment returns one deployment, or store.ErrNotFound.
func (s *Store) GetDeployment(ctx context.Context, region, id string) (store.Deployment, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return getDeployment(ctx, s.pool, region, id, "")
}

// ListDeployments returns one page of deployments, newest first.
func (s *Store) ListDeployments(ctx context.Context, q store.ListDeploymentsQuery) ([]store.Deployment, error) {
	if q.Limit <= 0 {
		return []store.Deployment{}, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var sql strings.Builder
	args := []any{q.Account, q.Region}
	sql.WriteString(`SELECT ` + deploymentColumns + ` FROM deployments WHERE account = $1 AND region = $2`)
	if q.EnvironmentName != "" {
		args = append(args, q.EnvironmentName)
		sql.WriteString(fmt.Sprintf(` AND environment_name = $%d`, len(args)))
	}
	if q.After != nil {
		args = append(args, millis(q.After.CreatedAt), q.After.ID)
		sql.WriteString(fmt.Sprintf(` AND (created_at_ms, id) < ($%d, $%d::text)`, len(args)-1, len(args)))
	}
	args = append(args, q.Limit)
	sql.WriteString(fmt.Sprintf(` ORDER BY created_at_ms DESC, id DESC LIMIT $%d`, len(args)))
	rows, err := s.pool.Query(ctx, sql.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list deployments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Deployment, error) { return scanDeployment(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list deployments: %w", err)
	}
	return out, nil
}

// CompleteDeployment ends an in-flight deployment, as store.Environments
// describes. The deployment row is locked first, then its environment's, the
// same order as every other write that touches both.
func (s *Store) CompleteDeployment(ctx context.Context, p store.CompleteParams) (store.Deployment, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var out store.Deployment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		d, err := getDeployment(ctx, tx, p.Region, p.ID, "FOR UPDATE")
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
		e, err := getEnvironment(ctx, tx, d.Account, d.Region, d.EnvironmentName, "FOR UPDATE")
		if err != nil {
			return fmt.Errorf("postgres: complete deployment %s: environment: %w", d.ID, err)
		}
		if p.Connection != "" && p.Outcome == store.OutcomeSucceeded {
			// FOR SHARE: a concurrent delete of the connection commits
			// either before this read (and the success is refused) or
			// after this transaction.
			if _, err := getConnection(ctx, tx, p.Region, p.Connection, "FOR SHARE"); errors.Is(err, store.ErrNotFound) {
				return store.ErrConnectionUnusable
			} else if err != nil {
				return err
			}
		}
		e2, d2, remove := store.Finish(e, d, p)
		out = d2
		if remove {
			return removeEnvironment(ctx, tx, e, p.ARN, p.Now)
		}
		if _, err := tx.Exec(ctx, `UPDATE deployments SET status = $3, status_message = $4, completed_at_ms = $5,
			last_modified_at_ms = $6, queued = false, lease_owner = '', lease_expires_at_ms = 0 WHERE region = $1 AND id = $2`,
			d.Region, d.ID, string(d2.Status), d2.StatusMessage, millis(d2.CompletedAt), millis(d2.LastModifiedAt)); err != nil {
			return fmt.Errorf("postgres: complete deployment %s: %w", d.ID, err)
		}
		if e2.Version != e.Version {
			if err := writeEnvironment(ctx, tx, e2); err != nil {
				return err
			}
		}
		if err := upsertOutputs(ctx, tx, d.Region, d.ID, p.Outputs); err != nil {
			return err
		}
		return upsertResources(ctx, tx, d.Region, d.ID, p.Resources)
	})
	return store.WithRow(out, err, store.ErrConditionFailed, store.ErrLeaseLost)
}

// removeEnvironment deletes an environment with everything that belongs to
// it and leaves a tombstone.
func removeEnvironment(ctx context.Context, tx pgx.Tx, e store.Environment, arn string, now time.Time) error {
	stmts := []struct {
		what, sql string
		args      []any
	}{
		{"outputs", `DELETE FROM deployment_outputs WHERE region = $1 AND deployment_id IN
			(SELECT id FROM deployments WHERE account = $2 AND region = $1 AND environment_name = $3)`, []any{e.Region, e.Account, e.Name}},
		{"resources", `DELETE FROM deployment_resources WHERE region = $1 AND deployment_id IN
			(SELECT id FROM deployments WHERE account = $2 AND region = $1 AND environment_name = $3)`, []any{e.Region, e.Account, e.Name}},
		{"deployments", `DELETE FROM deployments WHERE account = $1 AND region = $2 AND environment_name = $3`, []any{e.Account, e.Region, e.Name}},
		{"environment", `DELETE FROM environments WHERE account = $1 AND region = $2 AND name = $3`, []any{e.Account, e.Region, e.Name}},
		{"tags", `DELETE FROM tags WHERE resource_arn = $1`, []any{arn}},
		{"tombstone", `INSERT INTO environment_tombstones (account, region, name, deleted_at_ms) VALUES ($1, $2, $3, $4)
			ON CONFLICT (account, region, name) DO UPDATE SET deleted_at_ms = EXCLUDED.deleted_at_ms`, []any{e.Account, e.Region, e.Name, millis(now)}},
	}
	for _, st := range stmts {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("postgres: remove environment %s: %s: %w", e.Name, st.what, err)
		}
	}
	return nil
}

func upsertOutputs(ctx context.Context, tx pgx.Tx, region, id string, outs []store.Output) error {
	if len(outs) == 0 {
		return nil
	}
	keys, values := make([]string, 0, len(outs)), make([]string, 0, len(outs))
	at := map[string]int{}
	for _, o := range outs {
		if i, ok := at[o.Key]; ok {
			values[i] = o.Value
			continue
		}
		at[o.Key] = len(keys)
		keys, values = append(keys, o.Key), append(values, o.Value)
	}
	_, err := tx.Exec(ctx, `INSERT INTO deployment_outputs (region, deployment_id, key, value)
		SELECT $1, $2, k, v FROM unnest($3::text[], $4::text[]) AS t(k, v)
		ON CONFLICT (region, deployment_id, key) DO UPDATE SET value = EXCLUDED.value`, region, id, keys, values)
	if err != nil {
		return fmt.Errorf("postgres: record outputs of deployment %s: %w", id, err)
	}
	return nil
}

func upsertResources(ctx context.Context, tx pgx.Tx, region, id string, rs []store.ProvisionedResource) error {
	for _, r := range rs {
		if _, err := tx.Exec(ctx, `INSERT INTO deployment_resources (region, deployment_id, name, identifier, engine)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (region, deployment_id, name) DO UPDATE SET
			identifier = EXCLUDED.identifier, engine = EXCLUDED.engine`, region, id, r.Name, r.Identifier, r.Engine); err != nil {
			return fmt.Errorf("postgres: record resource of deployment %s: %w", id, err)
		}
	}
	return nil
}

// CancelDeployment moves an in-progress deploy to CANCELLING and queues it.
func (s *Store) CancelDeployment(ctx context.Context, region, id string, now time.Time) (store.Deployment, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var out store.Deployment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		d, err := getDeployment(ctx, tx, region, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if d.Status != store.DeployInProgress || d.Action != store.ActionDeploy {
			out = d
			return store.ErrConditionFailed
		}
		if _, err := tx.Exec(ctx, `UPDATE deployments SET status = 'CANCELLING', queued = true, last_modified_at_ms = $3
			WHERE region = $1 AND id = $2`, region, id, millis(now)); err != nil {
			return fmt.Errorf("postgres: cancel deployment %s: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE environments SET deployment_status = 'CANCELLING', version = version + 1
			WHERE account = $1 AND region = $2 AND name = $3 AND last_attempted_deployment_id = $4`,
			d.Account, region, d.EnvironmentName, id); err != nil {
			return fmt.Errorf("postgres: cancel deployment %s: environment: %w", id, err)
		}
		out, err = getDeployment(ctx, tx, region, id, "")
		return err
	})
	return store.WithRow(out, err, store.ErrConditionFailed)
}

// RecordOutputs upserts outputs of a deployment and may replace its status
// message.
func (s *Store) RecordOutputs(ctx context.Context, p store.NotifyOutputsParams) (store.Deployment, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var out store.Deployment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The row lock serialises notifications of one deployment, so that
		// the output count holds when they race.
		d, err := getDeployment(ctx, tx, p.Region, p.ID, "FOR UPDATE")
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
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM deployment_outputs WHERE region = $1 AND deployment_id = $2`,
			p.Region, p.ID).Scan(&n); err != nil {
			return fmt.Errorf("postgres: count outputs of %s: %w", p.ID, err)
		}
		if n > p.MaxOutputs {
			return store.ErrTooManyOutputs
		}
		if p.Message != nil {
			if _, err := tx.Exec(ctx, `UPDATE deployments SET status_message = $3, last_modified_at_ms = $4
				WHERE region = $1 AND id = $2`, p.Region, p.ID, *p.Message, millis(p.Now)); err != nil {
				return fmt.Errorf("postgres: record message of %s: %w", p.ID, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE environments SET deployment_status_message = $1, version = version + 1
				WHERE account = $2 AND region = $3 AND name = $4 AND last_attempted_deployment_id = $5`,
				*p.Message, d.Account, p.Region, d.EnvironmentName, p.ID); err != nil {
				return fmt.Errorf("postgres: record message of %s: environment: %w", p.ID, err)
			}
		}
		out, err = getDeployment(ctx, tx, p.Region, p.ID, "")
		return err
	})
	if err != nil {
		return store.Deployment{}, err
	}
	return out, nil
}

// DeleteDeployment removes a finished deployment that its environment no
// longer points at.
func (s *Store) DeleteDeployment(ctx context.Context, region, id string) (store.Deployment, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var out store.Deployment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		d, err := getDeployment(ctx, tx, region, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		out = d
		if d.Status.InFlight() {
			return store.ErrConditionFailed
		}
		var latest bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM environments WHERE account = $1 AND region = $2 AND name = $3
			AND (last_attempted_deployment_id = $4 OR last_succeeded_deployment_id = $4))`,
			d.Account, region, d.EnvironmentName, id).Scan(&latest); err != nil {
			return fmt.Errorf("postgres: delete deployment %s: %w", id, err)
		}
		if latest {
			return store.ErrConditionFailed
		}
		for _, q := range []string{
			`DELETE FROM deployment_outputs WHERE region = $1 AND deployment_id = $2`,
			`DELETE FROM deployment_resources WHERE region = $1 AND deployment_id = $2`,
			`DELETE FROM deployments WHERE region = $1 AND id = $2`,
		} {
			if _, err := tx.Exec(ctx, q, region, id); err != nil {
				return fmt.Errorf("postgres: delete deployment %s: %w", id, err)
			}
		}
		return nil
	})
	return store.WithRow(out, err, store.ErrConditionFailed)
}

// ListOutputs returns a deployment's outputs by key.
func (s *Store) ListOutputs(ctx context.Context, region, id string) ([]store.Output, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT key, value FROM deployment_outputs
		WHERE region = $1 AND deployment_id = $2 ORDER BY key`, region, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: list outputs of %s: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Output, error) {
		var o store.Output
		err := r.Scan(&o.Key, &o.Value)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list outputs of %s: %w", id, err)
	}
	return out, nil
}

// ListProvisionedResources returns a deployment's resources by name.
func (s *Store) ListProvisionedResources(ctx context.Context, region, id string) ([]store.ProvisionedResource, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT name, identifier, engine FROM deployment_resources
		WHERE region = $1 AND deployment_id = $2 ORDER BY name`, region, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: list resources of %s: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.ProvisionedResource, error) {
		var p store.ProvisionedResource
		err := r.Scan(&p.Name, &p.Identifier, &p.Engine)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list resources of %s: %w", id, err)
	}
	return out, nil
}

// LeaseDeployment takes the oldest free queued deployment. SKIP LOCKED lets
// replicas lease side by side without waiting for each other; the row lock
// makes the lease check and the update one step, rechecked against the
// newest version of the row.
func (s *Store) LeaseDeployment(ctx context.Context, p store.LeaseParams) (store.Deployment, bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	d, err := scanDeployment(s.pool.QueryRow(ctx, `UPDATE deployments SET lease_owner = $1, lease_expires_at_ms = $2, attempts = attempts + 1
		WHERE (region, id) = (SELECT region, id FROM deployments WHERE queued AND lease_expires_at_ms <= $3
			ORDER BY created_at_ms, id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING `+deploymentColumns, p.Owner, millis(p.Until), millis(p.Now)))
	if isNoRows(err) {
		return store.Deployment{}, false, nil
	}
	if err != nil {
		return store.Deployment{}, false, fmt.Errorf("postgres: lease deployment: %w", err)
	}
	return d, true, nil
}

// RenewLease extends a lease its owner still holds.
func (s *Store) RenewLease(ctx context.Context, region, id, owner string, until time.Time) (store.Deployment, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	d, err := scanDeployment(s.pool.QueryRow(ctx, `UPDATE deployments SET lease_expires_at_ms = $4
		WHERE region = $1 AND id = $2 AND lease_owner = $3 AND queued RETURNING `+deploymentColumns,
		region, id, owner, millis(until)))
	if isNoRows(err) {
		return store.Deployment{}, store.ErrLeaseLost
	}
	if err != nil {
		return store.Deployment{}, fmt.Errorf("postgres: renew lease of %s: %w", id, err)
	}
	return d, nil
}

// ReleaseLease gives a lease back without finishing the deployment.
func (s *Store) ReleaseLease(ctx context.Context, region, id, owner string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `UPDATE deployments SET lease_owner = '', lease_expires_at_ms = 0,
		attempts = GREATEST(attempts - 1, 0) WHERE region = $1 AND id = $2 AND lease_owner = $3`, region, id, owner); err != nil {
		return fmt.Errorf("postgres: release lease of %s: %w", id, err)
	}
	return nil
}
