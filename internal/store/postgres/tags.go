package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/openproton/openproton/internal/store"
)

// ListTags returns the tags of a resource ordered by key.
func (s *Store) ListTags(ctx context.Context, arn string) ([]store.Tag, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT key, value FROM tags WHERE resource_arn = $1 ORDER BY key`, arn)
	if err != nil {
		return nil, fmt.Errorf("postgres: list tags: %w", err)
	}
	tags, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Tag, error) {
		var t store.Tag
		err := r.Scan(&t.Key, &t.Value)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list tags: %w", err)
	}
	return tags, nil
}

// TagResource adds or overwrites tags; when the resource would end up with
// more than maxTags tags nothing changes and it fails with
// store.ErrTooManyTags.
func (s *Store) TagResource(ctx context.Context, arn string, tags []store.Tag, maxTags int) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.inTx(ctx, func(tx pgx.Tx) error {
		// Two racing calls that each add tags would both count before the
		// other's rows exist and together pass the limit; the per-resource
		// lock makes the second count after the first commits.
		if err := lockScopes(ctx, tx, lockClassTags, lockKey(arn)); err != nil {
			return err
		}
		// Checked before writing, so that this transaction holds no tag
		// row a delete of the resource would wait for.
		if err := resourceExists(ctx, tx, arn); err != nil {
			return err
		}
		if err := upsertTags(ctx, tx, arn, tags); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM tags WHERE resource_arn = $1`, arn).Scan(&n); err != nil {
			return fmt.Errorf("postgres: count tags: %w", err)
		}
		if n > maxTags {
			return store.ErrTooManyTags
		}
		return nil
	})
}

// UntagResource removes the given keys; absent keys are ignored.
func (s *Store) UntagResource(ctx context.Context, arn string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.inTx(ctx, func(tx pgx.Tx) error {
		// Taking the resource's tag lock keeps a racing TagResource, which
		// writes its rows in another order, from deadlocking with this one.
		if err := lockScopes(ctx, tx, lockClassTags, lockKey(arn)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tags WHERE resource_arn = $1 AND key = ANY($2::text[])`, arn, keys); err != nil {
			return fmt.Errorf("postgres: untag: %w", err)
		}
		return nil
	})
}

// upsertTags writes tags in one statement, a later value of a repeated key
// winning.
func upsertTags(ctx context.Context, q querier, arn string, tags []store.Tag) error {
	if len(tags) == 0 {
		return nil
	}
	keys, values := tagColumns(tags)
	_, err := q.Exec(ctx, `INSERT INTO tags (resource_arn, key, value)
		SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t(k, v)
		ON CONFLICT (resource_arn, key) DO UPDATE SET value = EXCLUDED.value`, arn, keys, values)
	if err != nil {
		return fmt.Errorf("postgres: write tags: %w", err)
	}
	return nil
}
