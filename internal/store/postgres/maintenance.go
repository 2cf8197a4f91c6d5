package postgres

import (
	"context"
	"fmt"
	"time"
)

// PurgeExpired removes idempotency tokens that expired before now and
// tombstones older than tombstonesBefore. Each delete stands alone: nothing
// links the two, and a short transaction each keeps row locks brief while
// replicas serve requests. Several replicas may run it at once.
func (s *Store) PurgeExpired(ctx context.Context, now, tombstonesBefore time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM idempotency_tokens WHERE expires_at_ms < $1`, millis(now)); err != nil {
		return fmt.Errorf("postgres: purge client tokens: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM connection_tombstones WHERE deleted_at_ms < $1`, millis(tombstonesBefore)); err != nil {
		return fmt.Errorf("postgres: purge tombstones: %w", err)
	}
	return nil
}
