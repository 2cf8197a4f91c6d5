package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openproton/openproton/internal/store"
)

const connectionColumns = `region, id, environment_account_id, management_account_id, environment_name,
	role_arn, codebuild_role_arn, component_role_arn, status, requested_at_ms, last_modified_at_ms`

// getConnectionQuery reads one connection packed, as list pages are: one
// column conversion instead of eleven (packed.go).
const getConnectionQuery = `SELECT ` + packedConnectionColumn + ` FROM connections WHERE region = ? AND id = ?`

func getConnection(ctx context.Context, q queryer, region, id string) (store.Connection, error) {
	return gotConnection(q.QueryRowContext(ctx, getConnectionQuery, region, id), id)
}

// gotConnection reads the answer of getConnectionQuery.
func gotConnection(row *sql.Row, id string) (store.Connection, error) {
	var packed string
	err := row.Scan(&packed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.Connection{}, store.ErrNotFound
	case err != nil:
		return store.Connection{}, fmt.Errorf("sqlite: get connection %s: %w", id, err)
	}
	c, rest, err := unpackConnection(packed)
	if err == nil && rest != "" {
		err = errBadPacked
	}
	if err != nil {
		return store.Connection{}, fmt.Errorf("sqlite: get connection %s: %w", id, err)
	}
	return c, nil
}

// GetConnection returns the connection with id in region, or
// store.ErrNotFound.
func (s *Store) GetConnection(ctx context.Context, region, id string) (store.Connection, error) {
	return gotConnection(s.queryRow(ctx, getConnectionQuery, region, id), id)
}

// CreateConnection implements store.Connections. The single writer
// serialises it, which is what makes the token check and the quota count
// hold under concurrent calls.
func (s *Store) CreateConnection(ctx context.Context, p store.CreateConnectionParams) (store.Connection, bool, error) {
	var (
		out      store.Connection
		replayed bool
	)
	err := s.inTx(ctx, "create connection", func(tx *sql.Tx) error {
		if p.Token != nil {
			prior, ok, err := s.replay(ctx, tx, p)
			if err != nil {
				return err
			}
			if ok {
				out, replayed = prior, true
				return nil
			}
		}
		c := p.Connection
		var active int
		err := s.txQueryRow(ctx, tx, `SELECT COUNT(*) FROM connections
			WHERE region = ? AND environment_account_id = ? AND status IN ('PENDING', 'CONNECTED')`,
			c.Region, c.EnvironmentAccountID).Scan(&active)
		if err != nil {
			return fmt.Errorf("sqlite: create connection: count for quota: %w", err)
		}
		if active >= p.Quota {
			return store.ErrQuotaExceeded
		}
		_, err = s.txExec(ctx, tx, `INSERT INTO connections (`+connectionColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.Region, c.ID, c.EnvironmentAccountID, c.ManagementAccountID, c.EnvironmentName,
			c.RoleArn, c.CodebuildRoleArn, c.ComponentRoleArn, string(c.Status),
			ms(c.RequestedAt), ms(c.LastModifiedAt))
		if err != nil {
			return fmt.Errorf("sqlite: create connection %s: %w", c.ID, err)
		}
		if err := upsertTags(ctx, tx, p.ARN, p.Tags); err != nil {
			return err
		}
		if p.Token != nil {
			k := p.Token.Key
			// Replaces a token that expired or whose connection is gone.
			_, err := s.txExec(ctx, tx, `INSERT INTO idempotency_tokens
				(account, region, operation, token, fingerprint, resource_id, expires_at_ms)
				VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (account, region, operation, token) DO UPDATE SET
					fingerprint = excluded.fingerprint,
					resource_id = excluded.resource_id,
					expires_at_ms = excluded.expires_at_ms`,
				k.Account, k.Region, k.Operation, k.Token, p.Token.Fingerprint, c.ID, ms(p.Token.ExpiresAt))
			if err != nil {
				return fmt.Errorf("sqlite: create connection: record token: %w", err)
			}
		}
		c.RequestedAt, c.LastModifiedAt = fromMS(ms(c.RequestedAt)), fromMS(ms(c.LastModifiedAt))
		out = c
		return nil
	})
	if err != nil {
		return store.Connection{}, false, err
	}
	return out, replayed, nil
}

// replay looks for a live token of p. It fails on a fingerprint mismatch
// and reports ok with the connection the token created when that still
// exists; otherwise the create goes on.
func (s *Store) replay(ctx context.Context, tx *sql.Tx, p store.CreateConnectionParams) (store.Connection, bool, error) {
	k := p.Token.Key
	var fingerprint, resourceID string
	err := s.txQueryRow(ctx, tx, `SELECT fingerprint, resource_id FROM idempotency_tokens
		WHERE account = ? AND region = ? AND operation = ? AND token = ? AND expires_at_ms > ?`,
		k.Account, k.Region, k.Operation, k.Token, ms(p.Now)).Scan(&fingerprint, &resourceID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.Connection{}, false, nil
	case err != nil:
		return store.Connection{}, false, fmt.Errorf("sqlite: create connection: read token: %w", err)
	case fingerprint != p.Token.Fingerprint:
		return store.Connection{}, false, store.ErrIdempotencyMismatch
	}
	c, err := gotConnection(s.txQueryRow(ctx, tx, getConnectionQuery, p.Connection.Region, resourceID), resourceID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Connection{}, false, nil
	case err != nil:
		return store.Connection{}, false, err
	}
	return c, true, nil
}

// TransitionConnection implements store.Connections.
func (s *Store) TransitionConnection(ctx context.Context, p store.TransitionParams) (store.Connection, error) {
	query := `UPDATE connections SET status = ?, last_modified_at_ms = ?
		WHERE region = ? AND id = ? AND ` + inList("status", len(p.From))
	args := []any{string(p.To), ms(p.Now), p.Region, p.ID}
	for _, st := range p.From {
		args = append(args, string(st))
	}
	if p.RequireUnused {
		// In the same statement as the state check, so that no environment
		// can start using the connection between the check and the change.
		query += ` AND NOT EXISTS (SELECT 1 FROM environments e
			WHERE e.region = connections.region AND e.environment_account_connection_id = connections.id)`
	}
	return s.conditionalUpdate(ctx, "transition connection", p.Region, p.ID, p.From, query, args)
}

// UpdateConnectionRoles implements store.Connections.
func (s *Store) UpdateConnectionRoles(ctx context.Context, p store.UpdateRolesParams) (store.Connection, error) {
	query := `UPDATE connections SET
			role_arn = COALESCE(?, role_arn),
			codebuild_role_arn = COALESCE(?, codebuild_role_arn),
			component_role_arn = COALESCE(?, component_role_arn),
			last_modified_at_ms = ?
		WHERE region = ? AND id = ? AND ` + inList("status", len(p.From))
	args := []any{nullable(p.RoleArn), nullable(p.CodebuildRoleArn), nullable(p.ComponentRoleArn), ms(p.Now), p.Region, p.ID}
	for _, st := range p.From {
		args = append(args, string(st))
	}
	return s.conditionalUpdate(ctx, "update connection roles", p.Region, p.ID, p.From, query, args)
}

// conditionalUpdate runs an UPDATE of one connection guarded by its WHERE
// clause and returns the connection after it. When no row changed, it tells
// why from the row as it is now, in the same transaction: gone, in a state
// outside from, or used by an environment.
func (s *Store) conditionalUpdate(ctx context.Context, what, region, id string, from []store.ConnectionStatus, query string, args []any) (store.Connection, error) {
	var out store.Connection
	err := s.inTx(ctx, what, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, query, args...)
		if err != nil {
			return fmt.Errorf("sqlite: %s %s: %w", what, id, err)
		}
		changed, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("sqlite: %s %s: %w", what, id, err)
		}
		if out, err = gotConnection(s.txQueryRow(ctx, tx, getConnectionQuery, region, id), id); err != nil {
			return err
		}
		if changed == 1 {
			return nil
		}
		if !slices.Contains(from, out.Status) {
			return store.ErrConditionFailed
		}
		env, err := environmentUsing(ctx, tx, region, id)
		if err != nil {
			return err
		}
		if env != "" {
			return &store.InUseError{Environment: env}
		}
		return fmt.Errorf("sqlite: %s %s: no row changed, for no known reason", what, id)
	})
	switch {
	case errors.Is(err, store.ErrConditionFailed):
		return out, err
	case err != nil:
		return store.Connection{}, err
	}
	return out, nil
}

// environmentUsing returns the name of an environment that uses the
// connection, or "". Environments belong to the management account, but
// connection ids are unique in a region, so the id alone decides.
func environmentUsing(ctx context.Context, q queryer, region, id string) (string, error) {
	var name string
	err := q.QueryRowContext(ctx, `SELECT name FROM environments
		WHERE region = ? AND environment_account_connection_id = ? ORDER BY account, name LIMIT 1`,
		region, id).Scan(&name)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("sqlite: environments using connection %s: %w", id, err)
	}
	return name, nil
}

// DeleteConnection implements store.Connections.
func (s *Store) DeleteConnection(ctx context.Context, region, id, arn string, now time.Time) (store.Connection, error) {
	var out store.Connection
	err := s.inTx(ctx, "delete connection", func(tx *sql.Tx) error {
		c, err := gotConnection(s.txQueryRow(ctx, tx, getConnectionQuery, region, id), id)
		if err != nil {
			return err
		}
		if _, err := s.txExec(ctx, tx, `DELETE FROM connections WHERE region = ? AND id = ?`, region, id); err != nil {
			return fmt.Errorf("sqlite: delete connection %s: %w", id, err)
		}
		if _, err := s.txExec(ctx, tx, `DELETE FROM tags WHERE resource_arn = ?`, arn); err != nil {
			return fmt.Errorf("sqlite: delete connection %s: tags: %w", id, err)
		}
		_, err = s.txExec(ctx, tx, `INSERT INTO connection_tombstones
			(region, id, environment_account_id, management_account_id, deleted_at_ms)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (region, id) DO UPDATE SET
				environment_account_id = excluded.environment_account_id,
				management_account_id = excluded.management_account_id,
				deleted_at_ms = excluded.deleted_at_ms`,
			region, id, c.EnvironmentAccountID, c.ManagementAccountID, ms(now))
		if err != nil {
			return fmt.Errorf("sqlite: delete connection %s: tombstone: %w", id, err)
		}
		out = c
		return nil
	})
	if err != nil {
		return store.Connection{}, err
	}
	return out, nil
}

// GetConnectionTombstone implements store.Connections.
func (s *Store) GetConnectionTombstone(ctx context.Context, region, id string) (store.Tombstone, error) {
	t := store.Tombstone{Region: region, ID: id}
	var deleted int64
	err := s.queryRow(ctx, `SELECT environment_account_id, management_account_id, deleted_at_ms
		FROM connection_tombstones WHERE region = ? AND id = ?`, region, id).
		Scan(&t.EnvironmentAccountID, &t.ManagementAccountID, &deleted)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.Tombstone{}, store.ErrNotFound
	case err != nil:
		return store.Tombstone{}, fmt.Errorf("sqlite: get connection tombstone %s: %w", id, err)
	}
	t.DeletedAt = fromMS(deleted)
	return t, nil
}

// ListConnections implements store.Connections. Every query is a range of
// one of the two list indexes, starting at the cursor, so a page costs the
// same wherever it is.
func (s *Store) ListConnections(ctx context.Context, q store.ListConnectionsQuery) ([]store.Connection, error) {
	var party string
	switch q.Role {
	case store.AsEnvironmentAccount:
		party = "environment_account_id"
	case store.AsManagementAccount:
		party = "management_account_id"
	default:
		return nil, fmt.Errorf("sqlite: list connections: unknown role %d", q.Role)
	}
	if q.Limit <= 0 {
		return []store.Connection{}, nil
	}
	// A page is at most a few hundred rows: room for all of them at once
	// saves growing the slice through seven copies.
	out := make([]store.Connection, 0, min(q.Limit, 1024))
	var b strings.Builder
	b.WriteString(`SELECT ` + packedConnectionColumn + ` AS p FROM connections WHERE region = ? AND ` + party + ` = ?`)
	args := []any{q.Region, q.Account}
	if q.EnvironmentName != "" {
		b.WriteString(` AND environment_name = ?`)
		args = append(args, q.EnvironmentName)
	}
	if len(q.Statuses) > 0 {
		b.WriteString(` AND ` + inList("status", len(q.Statuses)))
		for _, st := range q.Statuses {
			args = append(args, string(st))
		}
	}
	if q.After != nil {
		b.WriteString(` AND (requested_at_ms, id) > (?, ?)`)
		args = append(args, ms(q.After.RequestedAt), q.After.ID)
	}
	b.WriteString(` ORDER BY requested_at_ms, id LIMIT ?`)
	args = append(args, q.Limit)

	// One packed value for the whole page: see packed.go.
	var packed string
	if err := s.queryRow(ctx, packedPage(b.String()), args...).Scan(&packed); err != nil {
		return nil, fmt.Errorf("sqlite: list connections: %w", err)
	}
	out, err := unpackPage(out, packed)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list connections: %w", err)
	}
	return out, nil
}
