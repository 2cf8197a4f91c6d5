package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/sqlstore"
)

// bulkBatch is how many rows one transaction of a bulk load inserts.
const bulkBatch = 50_000

// BulkLoadConnections inserts the connections next yields, bulkBatch per
// transaction, and returns how many it inserted. It bypasses the rules of
// CreateConnection (quota, client tokens, tags): it exists for the
// benchmark harness, which fills a store with a million connections to
// measure reads at scale, and is no part of store.Store.
func (s *Store) BulkLoadConnections(ctx context.Context, next func() (store.Connection, bool)) (int, error) {
	return s.bulkLoadConnections(ctx, next, bulkBatch)
}

// bulkLoadConnections is BulkLoadConnections with batch rows per
// transaction.
func (s *Store) bulkLoadConnections(ctx context.Context, next func() (store.Connection, bool), batch int) (int, error) {
	total := 0
	for done := false; !done; {
		err := s.inTx(ctx, "bulk load connections", func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO connections (`+sqlstore.ConnectionColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return fmt.Errorf("sqlite: bulk load connections: %w", err)
			}
			defer stmt.Close()
			for range batch {
				c, ok := next()
				if !ok {
					done = true
					return nil
				}
				_, err := stmt.ExecContext(ctx, c.Region, c.ID, c.EnvironmentAccountID, c.ManagementAccountID, c.EnvironmentName,
					c.RoleArn, c.CodebuildRoleArn, c.ComponentRoleArn, string(c.Status), c.RequestedAt.UnixMilli(), c.LastModifiedAt.UnixMilli())
				if err != nil {
					return fmt.Errorf("sqlite: bulk load connection %s: %w", c.ID, err)
				}
				total++
			}
			return nil
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
