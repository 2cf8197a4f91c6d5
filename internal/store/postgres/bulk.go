package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/openproton/openproton/internal/store"
)

// BulkLoadConnections copies the connections next yields into the database
// with one COPY, analyzes the table, and returns how many it inserted. It
// bypasses the rules of CreateConnection (quota, client tokens, tags): it
// exists for the benchmark harness, which fills a store with a million
// connections to measure reads at scale, and is no part of store.Store.
// ANALYZE gives the planner the statistics that autovacuum would gather on
// a database that grew over time, so that reads right after the load are
// planned as they would be in service.
func (s *Store) BulkLoadConnections(ctx context.Context, next func() (store.Connection, bool)) (int, error) {
	columns := []string{"id", "region", "environment_account_id", "management_account_id", "environment_name",
		"role_arn", "codebuild_role_arn", "component_role_arn", "status", "requested_at_ms", "last_modified_at_ms"}
	n, err := s.pool.CopyFrom(ctx, pgx.Identifier{"connections"}, columns, pgx.CopyFromFunc(func() ([]any, error) {
		c, ok := next()
		if !ok {
			return nil, nil
		}
		return []any{c.ID, c.Region, c.EnvironmentAccountID, c.ManagementAccountID, c.EnvironmentName,
			c.RoleArn, c.CodebuildRoleArn, c.ComponentRoleArn, string(c.Status), c.RequestedAt.UnixMilli(), c.LastModifiedAt.UnixMilli()}, nil
	}))
	if err != nil {
		return int(n), fmt.Errorf("postgres: bulk load connections: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE connections`); err != nil {
		return int(n), fmt.Errorf("postgres: bulk load connections: analyze: %w", err)
	}
	return int(n), nil
}
