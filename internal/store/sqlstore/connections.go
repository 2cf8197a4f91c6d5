package sqlstore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// connectionType is the ARN resource type of connections.
const connectionType = "environment-account-connection"

// connectionsFamily declares connections: they take tags and leave
// tombstones for both parties. Ids are unique in a region, so the account
// of the ARN plays no part in finding one.
var connectionsFamily = Family{Name: "connections", Resources: []Resource{{Type: connectionType,
	Find: func(r store.Resource) (string, []any, bool) {
		return `SELECT 1 FROM connections WHERE region = ? AND id = ?`, []any{r.Region, r.Key}, true
	},
	List: `SELECT environment_account_id, region, id FROM connections`, Tombstones: true}}}

// ConnectionColumns is the column list that ScanConnection reads, in order.
const ConnectionColumns = `region, id, environment_account_id, management_account_id, environment_name,
	role_arn, codebuild_role_arn, component_role_arn, status, requested_at_ms, last_modified_at_ms`

// ScanConnection reads a row of ConnectionColumns.
func ScanConnection(row Row) (store.Connection, error) {
	var (
		c             store.Connection
		status        string
		requested, lm int64
	)
	err := row.Scan(&c.Region, &c.ID, &c.EnvironmentAccountID, &c.ManagementAccountID, &c.EnvironmentName,
		&c.RoleArn, &c.CodebuildRoleArn, &c.ComponentRoleArn, &status, &requested, &lm)
	c.Status, c.RequestedAt, c.LastModifiedAt = store.ConnectionStatus(status), fromMS(requested), fromMS(lm)
	return c, err
}

// getConnection reads one connection, with a row lock when lock is not "".
func (s *Store) getConnection(ctx context.Context, q Q, region, id, lock string) (store.Connection, error) {
	c, err := ScanConnection(q.QueryRow(ctx, `SELECT `+ConnectionColumns+` FROM connections
		WHERE region = ? AND id = ? `+lock, region, id))
	return found(s, c, err, "get connection %s", id)
}

// GetConnection implements store.Connections.
func (s *Store) GetConnection(ctx context.Context, region, id string) (store.Connection, error) {
	return s.getConnection(ctx, s.e.Reads(), region, id, "")
}

// CreateConnection implements store.Connections. Racing creates take turns
// on a scope lock of the quota's (account, region) and of the token's, taken
// before anything is read: a count is no row to conflict on.
func (s *Store) CreateConnection(ctx context.Context, p store.CreateConnectionParams) (c store.Connection, replayed bool, err error) {
	want := p.Connection
	scopes := [][]string{{want.EnvironmentAccountID, want.Region}}
	if p.Token != nil {
		scopes = append(scopes, []string{p.Token.Key.Account, p.Token.Key.Region})
	}
	err = s.e.InTx(ctx, "create connection", func(tx Q) error {
		if err := s.e.LockScopes(ctx, tx, LockConnectionCreate, scopes...); err != nil {
			return err
		}
		c, replayed, err = withToken(ctx, s, tx, p.Token, p.Now,
			func(id string) (store.Connection, error) { return s.getConnection(ctx, tx, want.Region, id, "") },
			func() (store.Connection, string, error) {
				var active int
				if err := tx.QueryRow(ctx, `SELECT count(*) FROM connections
					WHERE region = ? AND environment_account_id = ? AND status IN ('PENDING', 'CONNECTED')`,
					want.Region, want.EnvironmentAccountID).Scan(&active); err != nil {
					return want, "", s.errorf("count connections: %w", err)
				}
				if active >= p.Quota {
					return want, "", store.ErrQuotaExceeded
				}
				if _, err := tx.Exec(ctx, `INSERT INTO connections (`+ConnectionColumns+`)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					want.Region, want.ID, want.EnvironmentAccountID, want.ManagementAccountID, want.EnvironmentName,
					want.RoleArn, want.CodebuildRoleArn, want.ComponentRoleArn, string(want.Status),
					ms(want.RequestedAt), ms(want.LastModifiedAt)); err != nil {
					return want, "", s.errorf("create connection %s: %w", want.ID, err)
				}
				want.RequestedAt, want.LastModifiedAt = fromMS(ms(want.RequestedAt)), fromMS(ms(want.LastModifiedAt))
				return want, want.ID, s.upsertTags(ctx, tx, p.ARN, p.Tags)
			})
		return err
	})
	if err != nil {
		return store.Connection{}, false, err
	}
	return c, replayed, nil
}

// TransitionConnection implements store.Connections.
func (s *Store) TransitionConnection(ctx context.Context, p store.TransitionParams) (store.Connection, error) {
	return s.updateConnection(ctx, "transition connection", p.Region, p.ID, p.From, p.RequireUnused,
		`status = ?, last_modified_at_ms = ?`, string(p.To), ms(p.Now))
}

// UpdateConnectionRoles implements store.Connections. A nil role arrives as
// NULL and COALESCE keeps the stored value.
func (s *Store) UpdateConnectionRoles(ctx context.Context, p store.UpdateRolesParams) (store.Connection, error) {
	return s.updateConnection(ctx, "update connection roles", p.Region, p.ID, p.From, false,
		`role_arn = COALESCE(?, role_arn), codebuild_role_arn = COALESCE(?, codebuild_role_arn),
		component_role_arn = COALESCE(?, component_role_arn), last_modified_at_ms = ?`,
		nullable(p.RoleArn), nullable(p.CodebuildRoleArn), nullable(p.ComponentRoleArn), ms(p.Now))
}

// updateConnection applies set to one connection in one of the states from
// and, with unused, only if no environment uses it. It returns the
// connection after the change, or as it is with ErrConditionFailed or an
// InUseError.
//
// Without unused it is one conditional UPDATE: the status test inside it is
// what orders racing changes, since PostgreSQL rechecks it against the
// newest version of the row after a concurrent change commits. When no row
// changed, the connection is read to tell a missing one from one in another
// state; should it be back in an allowed state by then, the update is tried
// again.
//
// With unused, the row is locked first and environments are read by a later
// statement: under READ COMMITTED that statement sees every link committed
// before the lock was granted, and a link not yet committed holds FOR SHARE
// on the row, which the lock waits for. A conditional UPDATE cannot test for
// environments itself, as it reads them from the snapshot it started with.
func (s *Store) updateConnection(ctx context.Context, what, region, id string, from []store.ConnectionStatus, unused bool, set string, setArgs ...any) (store.Connection, error) {
	args := append(setArgs, region, id)
	update := `UPDATE connections SET ` + set + ` WHERE region = ? AND id = ? AND ` + in("status", from, &args) +
		` RETURNING ` + ConnectionColumns
	var out store.Connection
	write := func(q Q) error {
		for attempt := 1; ; attempt++ {
			if unused {
				cur, err := s.getConnection(ctx, q, region, id, s.e.Lock(ForUpdate))
				if err != nil {
					return err
				}
				out = cur
				if !slices.Contains(from, cur.Status) {
					return store.ErrConditionFailed
				}
				env, err := s.environmentUsing(ctx, q, region, id)
				if err != nil {
					return err
				}
				if env != "" {
					return &store.InUseError{Environment: env}
				}
			}
			c, err := ScanConnection(q.QueryRow(ctx, update, args...))
			if err == nil {
				out = c
				return nil
			}
			if !isNoRows(err) {
				return s.errorf("%s %s: %w", what, id, err)
			}
			if out, err = s.getConnection(ctx, q, region, id, ""); err != nil {
				return err
			}
			if !slices.Contains(from, out.Status) || attempt == 3 {
				return store.ErrConditionFailed
			}
		}
	}
	var err error
	if unused {
		err = s.e.InTx(ctx, what, write)
	} else {
		err = s.e.Each(ctx, what, write)
	}
	var inUse *store.InUseError
	switch {
	case errors.Is(err, store.ErrConditionFailed), errors.As(err, &inUse):
		return out, err
	case err != nil:
		return store.Connection{}, err
	}
	return out, nil
}

// environmentUsing returns the name of an environment that uses the
// connection, or "". Connection ids are unique in a region, so the id alone
// decides.
func (s *Store) environmentUsing(ctx context.Context, q Q, region, id string) (string, error) {
	var name string
	err := q.QueryRow(ctx, `SELECT name FROM environments
		WHERE region = ? AND environment_account_connection_id = ? ORDER BY account, name LIMIT 1`,
		region, id).Scan(&name)
	return name, s.read(err, nil, "environments using connection %s", id)
}

// DeleteConnection implements store.Connections.
func (s *Store) DeleteConnection(ctx context.Context, region, id, arn string, now time.Time) (store.Connection, error) {
	var gone store.Connection
	err := s.e.InTx(ctx, "delete connection", func(tx Q) error {
		var err error
		gone, err = ScanConnection(tx.QueryRow(ctx, `DELETE FROM connections WHERE region = ? AND id = ?
			RETURNING `+ConnectionColumns, region, id))
		if err := s.read(err, store.ErrNotFound, "delete connection %s", id); err != nil {
			return err
		}
		if err := s.deleteTags(ctx, tx, arn); err != nil {
			return err
		}
		return s.bury(ctx, tx, store.Resource{Type: connectionType, Account: gone.EnvironmentAccountID, Region: region, Key: id},
			now, gone.ManagementAccountID)
	})
	if err != nil {
		return store.Connection{}, err
	}
	return gone, nil
}

// ListConnectionsQuery returns the statement of a page of q, in list
// order, selecting columns: a range of one of the two parties' indexes from
// the cursor, so that a page costs the same wherever it is. Only the filters
// in use are written, so each shape gets its own plan.
func ListConnectionsQuery(q store.ListConnectionsQuery, columns string) (string, []any) {
	party := "environment_account_id"
	if q.Role == store.AsManagementAccount {
		party = "management_account_id"
	}
	var b strings.Builder
	args := []any{q.Region, q.Account}
	b.WriteString(`SELECT ` + columns + ` FROM connections WHERE region = ? AND ` + party + ` = ?`)
	if q.EnvironmentName != "" {
		b.WriteString(` AND environment_name = ?`)
		args = append(args, q.EnvironmentName)
	}
	if len(q.Statuses) > 0 {
		b.WriteString(` AND ` + in("status", q.Statuses, &args))
	}
	if q.After != nil {
		b.WriteString(` AND (requested_at_ms, id) > (?, ?)`)
		args = append(args, ms(q.After.RequestedAt), q.After.ID)
	}
	b.WriteString(` ORDER BY requested_at_ms, id LIMIT ?`)
	return b.String(), append(args, q.Limit)
}

// ListConnections implements store.Connections.
func (s *Store) ListConnections(ctx context.Context, q store.ListConnectionsQuery) ([]store.Connection, error) {
	if q.Limit <= 0 {
		return []store.Connection{}, nil
	}
	query, args := ListConnectionsQuery(q, ConnectionColumns)
	rows, err := s.e.Reads().Query(ctx, query, args...)
	out, err := collect(rows, err, ScanConnection)
	if err != nil {
		return nil, s.errorf("list connections: %w", err)
	}
	return out, nil
}
