package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// PurgeExpired implements store.Maintenance. Both deletes are range scans
// of an index on the expiry column.
func (s *Store) PurgeExpired(ctx context.Context, now, tombstonesBefore time.Time) error {
	return s.inTx(ctx, "purge expired", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_tokens WHERE expires_at_ms < ?`, ms(now)); err != nil {
			return fmt.Errorf("sqlite: purge idempotency tokens: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM connection_tombstones WHERE deleted_at_ms < ?`, ms(tombstonesBefore)); err != nil {
			return fmt.Errorf("sqlite: purge connection tombstones: %w", err)
		}
		return nil
	})
}
