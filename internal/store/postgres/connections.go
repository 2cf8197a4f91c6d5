package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openproton/openproton/internal/store"
)

// CreateConnection stores a new connection, its tags and its client token in
// one transaction, as store.Connections describes.
func (s *Store) CreateConnection(ctx context.Context, p store.CreateConnectionParams) (store.Connection, bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()

	want := p.Connection
	// Racing creates are serialised with a transaction-scoped advisory lock
	// on the (account, region) scope of the quota and of the token, taken
	// before anything is read. A unique constraint could settle the token
	// race but not the quota (a count is no row to conflict on), and
	// SERIALIZABLE would turn every busy account into retries; the lock
	// makes the second create wait a few milliseconds and then see the
	// first one's rows, because under READ COMMITTED each statement after
	// the lock reads what committed before it. Creates of other accounts do
	// not wait.
	scopes := []int32{lockKey(want.EnvironmentAccountID, want.Region)}
	if p.Token != nil {
		scopes = append(scopes, lockKey(p.Token.Key.Account, p.Token.Key.Region))
	}

	var (
		got      store.Connection
		replayed bool
	)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockScopes(ctx, tx, lockClassCreateScope, scopes...); err != nil {
			return err
		}
		if p.Token != nil {
			c, ok, err := replay(ctx, tx, *p.Token, want.Region, p.Now.UnixMilli())
			if err != nil {
				return err
			}
			if ok {
				got, replayed = c, true
				return nil
			}
		}

		var active int
		err := tx.QueryRow(ctx, `SELECT count(*) FROM connections
			WHERE region = $1 AND environment_account_id = $2 AND status IN ('PENDING', 'CONNECTED')`,
			want.Region, want.EnvironmentAccountID).Scan(&active)
		if err != nil {
			return fmt.Errorf("postgres: count connections: %w", err)
		}
		if active >= p.Quota {
			return store.ErrQuotaExceeded
		}

		got, err = scanConnection(tx.QueryRow(ctx, `INSERT INTO connections (`+connectionColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			RETURNING `+connectionColumns,
			want.ID, want.Region, want.EnvironmentAccountID, want.ManagementAccountID, want.EnvironmentName,
			want.RoleArn, want.CodebuildRoleArn, want.ComponentRoleArn, string(want.Status),
			millis(want.RequestedAt), millis(want.LastModifiedAt)))
		if err != nil {
			return fmt.Errorf("postgres: insert connection: %w", err)
		}
		if err := upsertTags(ctx, tx, p.ARN, p.Tags); err != nil {
			return err
		}
		if p.Token != nil {
			k := p.Token.Key
			_, err := tx.Exec(ctx, `INSERT INTO idempotency_tokens
				(account, region, operation, token, fingerprint, resource_id, expires_at_ms)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (account, region, operation, token) DO UPDATE
				SET fingerprint = EXCLUDED.fingerprint, resource_id = EXCLUDED.resource_id,
					expires_at_ms = EXCLUDED.expires_at_ms`,
				k.Account, k.Region, k.Operation, k.Token, p.Token.Fingerprint, got.ID, millis(p.Token.ExpiresAt))
			if err != nil {
				return fmt.Errorf("postgres: record client token: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return store.Connection{}, false, err
	}
	return got, replayed, nil
}

// replay looks up a live client token. It reports ok with the connection the
// token created when the create is a repeat, ErrIdempotencyMismatch when the
// token was used for a different request, and not ok when the token is
// unknown, expired or points at a connection that no longer exists.
func replay(ctx context.Context, q querier, tok store.Idempotency, region string, nowMs int64) (store.Connection, bool, error) {
	k := tok.Key
	var (
		fingerprint, resourceID string
		expiresMs               int64
	)
	err := q.QueryRow(ctx, `SELECT fingerprint, resource_id, expires_at_ms FROM idempotency_tokens
		WHERE account = $1 AND region = $2 AND operation = $3 AND token = $4`,
		k.Account, k.Region, k.Operation, k.Token).Scan(&fingerprint, &resourceID, &expiresMs)
	if isNoRows(err) {
		return store.Connection{}, false, nil
	}
	if err != nil {
		return store.Connection{}, false, fmt.Errorf("postgres: read client token: %w", err)
	}
	if expiresMs <= nowMs {
		return store.Connection{}, false, nil
	}
	if fingerprint != tok.Fingerprint {
		return store.Connection{}, false, store.ErrIdempotencyMismatch
	}
	c, err := getConnection(ctx, q, region, resourceID, "")
	if errors.Is(err, store.ErrNotFound) {
		return store.Connection{}, false, nil
	}
	if err != nil {
		return store.Connection{}, false, err
	}
	return c, true, nil
}

// GetConnection returns the connection with id in region, or
// store.ErrNotFound.
func (s *Store) GetConnection(ctx context.Context, region, id string) (store.Connection, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return getConnection(ctx, s.pool, region, id, "")
}

// getConnection reads one connection; lock, when set, is a row-locking
// clause such as "FOR UPDATE".
func getConnection(ctx context.Context, q querier, region, id, lock string) (store.Connection, error) {
	c, err := scanConnection(q.QueryRow(ctx,
		`SELECT `+connectionColumns+` FROM connections WHERE region = $1 AND id = $2 `+lock, region, id))
	if isNoRows(err) {
		return store.Connection{}, store.ErrNotFound
	}
	if err != nil {
		return store.Connection{}, fmt.Errorf("postgres: read connection: %w", err)
	}
	return c, nil
}

// TransitionConnection changes the status of a connection if it is in one
// of p.From and, with p.RequireUnused, no environment uses it.
func (s *Store) TransitionConnection(ctx context.Context, p store.TransitionParams) (store.Connection, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()

	const update = `UPDATE connections SET status = $3, last_modified_at_ms = $4
		WHERE region = $1 AND id = $2 AND status = ANY($5::text[])
		RETURNING ` + connectionColumns
	args := []any{p.Region, p.ID, string(p.To), millis(p.Now), statusStrings(p.From)}

	if !p.RequireUnused {
		return conditionalUpdate(ctx, s.pool, p.Region, p.ID, p.From, update, args)
	}

	// A conditional UPDATE cannot also test for environments: it rechecks
	// its WHERE clause against the newest version of the connection row,
	// but reads environments from the snapshot it started with, so a link
	// committed while it waited would go unseen. Instead the row is locked
	// first and environments are read by a later statement, which sees
	// every link committed before the lock was granted; a link that has not
	// committed by then holds FOR SHARE on the row (see the environments
	// table), so the lock waits for it.
	var out store.Connection
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := getConnection(ctx, tx, p.Region, p.ID, "FOR UPDATE")
		if err != nil {
			return err
		}
		if !slices.Contains(p.From, cur.Status) {
			out = cur
			return store.ErrConditionFailed
		}
		var env string
		err = tx.QueryRow(ctx, `SELECT name FROM environments
			WHERE region = $1 AND environment_account_connection_id = $2
			ORDER BY account, name LIMIT 1`, p.Region, p.ID).Scan(&env)
		switch {
		case err == nil:
			out = cur
			return &store.InUseError{Environment: env}
		case !isNoRows(err):
			return fmt.Errorf("postgres: look up environments: %w", err)
		}
		out, err = scanConnection(tx.QueryRow(ctx, update, args...))
		if err != nil {
			return fmt.Errorf("postgres: update connection: %w", err)
		}
		return nil
	})
	var inUse *store.InUseError
	if errors.Is(err, store.ErrConditionFailed) || errors.As(err, &inUse) {
		return out, err
	}
	if err != nil {
		return store.Connection{}, err
	}
	return out, nil
}

// UpdateConnectionRoles replaces the given roles of a connection if it is in
// one of p.From; the status never changes.
func (s *Store) UpdateConnectionRoles(ctx context.Context, p store.UpdateRolesParams) (store.Connection, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	// A nil role arrives as SQL NULL and COALESCE keeps the stored value.
	const update = `UPDATE connections SET
			role_arn = COALESCE($3, role_arn),
			codebuild_role_arn = COALESCE($4, codebuild_role_arn),
			component_role_arn = COALESCE($5, component_role_arn),
			last_modified_at_ms = $6
		WHERE region = $1 AND id = $2 AND status = ANY($7::text[])
		RETURNING ` + connectionColumns
	args := []any{p.Region, p.ID, p.RoleArn, p.CodebuildRoleArn, p.ComponentRoleArn, millis(p.Now), statusStrings(p.From)}
	return conditionalUpdate(ctx, s.pool, p.Region, p.ID, p.From, update, args)
}

// conditionalUpdate runs an UPDATE ... WHERE status = ANY(...) RETURNING
// statement. The status test inside the UPDATE is what makes racing changes
// safe: PostgreSQL rechecks it against the newest version of the row after
// any concurrent change commits, so of two racing changes from the same
// state exactly one applies. When nothing was updated, the connection is
// read to tell a missing one from one in another state; should it be back in
// an allowed state by then, the update is tried again.
func conditionalUpdate(ctx context.Context, q querier, region, id string, from []store.ConnectionStatus, update string, args []any) (store.Connection, error) {
	const attempts = 3
	for i := 0; ; i++ {
		c, err := scanConnection(q.QueryRow(ctx, update, args...))
		if err == nil {
			return c, nil
		}
		if !isNoRows(err) {
			return store.Connection{}, fmt.Errorf("postgres: update connection: %w", err)
		}
		cur, err := getConnection(ctx, q, region, id, "")
		if err != nil {
			return store.Connection{}, err
		}
		if !slices.Contains(from, cur.Status) || i+1 == attempts {
			return cur, store.ErrConditionFailed
		}
	}
}

// DeleteConnection removes a connection and its tags and leaves a tombstone.
func (s *Store) DeleteConnection(ctx context.Context, region, id, arn string, now time.Time) (store.Connection, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var gone store.Connection
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		gone, err = scanConnection(tx.QueryRow(ctx,
			`DELETE FROM connections WHERE region = $1 AND id = $2 RETURNING `+connectionColumns, region, id))
		if isNoRows(err) {
			return store.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("postgres: delete connection: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tags WHERE resource_arn = $1`, arn); err != nil {
			return fmt.Errorf("postgres: delete tags: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO connection_tombstones
			(region, id, environment_account_id, management_account_id, deleted_at_ms)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (region, id) DO UPDATE SET
				environment_account_id = EXCLUDED.environment_account_id,
				management_account_id = EXCLUDED.management_account_id,
				deleted_at_ms = EXCLUDED.deleted_at_ms`,
			gone.Region, gone.ID, gone.EnvironmentAccountID, gone.ManagementAccountID, millis(now))
		if err != nil {
			return fmt.Errorf("postgres: record tombstone: %w", err)
		}
		return nil
	})
	if err != nil {
		return store.Connection{}, err
	}
	return gone, nil
}

// GetConnectionTombstone returns the tombstone of a deleted connection, or
// store.ErrNotFound.
func (s *Store) GetConnectionTombstone(ctx context.Context, region, id string) (store.Tombstone, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var (
		t         store.Tombstone
		deletedMs int64
	)
	err := s.pool.QueryRow(ctx, `SELECT id, region, environment_account_id, management_account_id, deleted_at_ms
		FROM connection_tombstones WHERE region = $1 AND id = $2`, region, id).
		Scan(&t.ID, &t.Region, &t.EnvironmentAccountID, &t.ManagementAccountID, &deletedMs)
	if isNoRows(err) {
		return store.Tombstone{}, store.ErrNotFound
	}
	if err != nil {
		return store.Tombstone{}, fmt.Errorf("postgres: read tombstone: %w", err)
	}
	t.DeletedAt = fromMillis(deletedMs)
	return t, nil
}

// ListConnections returns one page of a party's connections in list order.
func (s *Store) ListConnections(ctx context.Context, q store.ListConnectionsQuery) ([]store.Connection, error) {
	if q.Limit <= 0 {
		return []store.Connection{}, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()

	party := "environment_account_id"
	if q.Role == store.AsManagementAccount {
		party = "management_account_id"
	}
	// Only the filters in use are written into the statement, so that each
	// shape gets its own cached plan on the party's index instead of one
	// generic plan full of "$n IS NULL OR" branches.
	var sql strings.Builder
	args := []any{q.Region, q.Account}
	sql.WriteString(`SELECT ` + connectionColumns + ` FROM connections WHERE region = $1 AND ` + party + ` = $2`)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.EnvironmentName != "" {
		sql.WriteString(` AND environment_name = ` + arg(q.EnvironmentName))
	}
	if len(q.Statuses) > 0 {
		sql.WriteString(` AND status = ANY(` + arg(statusStrings(q.Statuses)) + `::text[])`)
	}
	if q.After != nil {
		sql.WriteString(` AND (requested_at_ms, id) > (` + arg(millis(q.After.RequestedAt)) + `, ` + arg(q.After.ID) + `::text)`)
	}
	sql.WriteString(` ORDER BY requested_at_ms, id LIMIT ` + arg(q.Limit))

	rows, err := s.pool.Query(ctx, sql.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list connections: %w", err)
	}
	cs, err := collectConnections(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: list connections: %w", err)
	}
	return cs, nil
}
