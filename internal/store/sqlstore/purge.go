package sqlstore

import (
	"context"
	"time"
)

// PurgeExpired implements store.Maintenance. Each delete is a range scan of
// an index on its time column and stands alone: nothing links them, and
// several replicas may run them at once.
func (s *Store) PurgeExpired(ctx context.Context, now, tombstonesBefore time.Time) error {
	return s.e.Each(ctx, "purge expired", func(q Q) error {
		if _, err := q.Exec(ctx, `DELETE FROM idempotency_tokens WHERE expires_at_ms < ?`, ms(now)); err != nil {
			return s.errorf("purge client tokens: %w", err)
		}
		if _, err := q.Exec(ctx, `DELETE FROM connection_tombstones WHERE deleted_at_ms < ?`, ms(tombstonesBefore)); err != nil {
			return s.errorf("purge connection tombstones: %w", err)
		}
		return nil
	})
}
