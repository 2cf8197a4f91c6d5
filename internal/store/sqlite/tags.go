package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/openproton/openproton/internal/store"
)

func upsertTags(ctx context.Context, tx *sql.Tx, arn string, tags []store.Tag) error {
	for _, t := range tags {
		_, err := tx.ExecContext(ctx, `INSERT INTO tags (resource_arn, key, value) VALUES (?, ?, ?)
			ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value`, arn, t.Key, t.Value)
		if err != nil {
			return fmt.Errorf("sqlite: tag %s: %w", arn, err)
		}
	}
	return nil
}

// ListTags implements store.Tags. Keys are TEXT with SQLite's default
// binary collation, so the order is byte order.
func (s *Store) ListTags(ctx context.Context, arn string) ([]store.Tag, error) {
	rows, err := s.query(ctx, `SELECT key, value FROM tags WHERE resource_arn = ? ORDER BY key`, arn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list tags of %s: %w", arn, err)
	}
	defer rows.Close()
	out := []store.Tag{}
	for rows.Next() {
		var t store.Tag
		if err := rows.Scan(&t.Key, &t.Value); err != nil {
			return nil, fmt.Errorf("sqlite: list tags of %s: %w", arn, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list tags of %s: %w", arn, err)
	}
	return out, nil
}

// TagResource implements store.Tags. It writes first and counts after, in
// the same transaction, so that overwritten keys are not counted twice; a
// count over the limit rolls everything back.
func (s *Store) TagResource(ctx context.Context, arn string, tags []store.Tag, maxTags int) error {
	return s.inTx(ctx, "tag resource", func(tx *sql.Tx) error {
		if err := resourceExists(ctx, tx, arn); err != nil {
			return err
		}
		if err := upsertTags(ctx, tx, arn, tags); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tags WHERE resource_arn = ?`, arn).Scan(&n); err != nil {
			return fmt.Errorf("sqlite: tag %s: count: %w", arn, err)
		}
		if n > maxTags {
			return store.ErrTooManyTags
		}
		return nil
	})
}

// UntagResource implements store.Tags.
func (s *Store) UntagResource(ctx context.Context, arn string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	args := []any{arn}
	for _, k := range keys {
		args = append(args, k)
	}
	return s.inTx(ctx, "untag resource", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE resource_arn = ? AND `+inList("key", len(keys)), args...); err != nil {
			return fmt.Errorf("sqlite: untag %s: %w", arn, err)
		}
		return nil
	})
}
