package sqlstore

import (
	"context"

	"github.com/openproton/openproton/internal/store"
)

// ListTags implements store.Tags. Keys compare as bytes (SQLite's binary
// collation, PostgreSQL's "C").
func (s *Store) ListTags(ctx context.Context, arn string) ([]store.Tag, error) {
	rows, err := s.e.Reads().Query(ctx, `SELECT key, value FROM tags WHERE resource_arn = ? ORDER BY key`, arn)
	out, err := collect(rows, err, func(r Row) (t store.Tag, err error) { return t, r.Scan(&t.Key, &t.Value) })
	if err != nil {
		return nil, s.errorf("list tags of %s: %w", arn, err)
	}
	return out, nil
}

// TagResource implements store.Tags. Racing tag writes of one resource take
// turns on its scope lock, so that each counts after the other's rows exist.
// The resource is found (and held against a delete) before anything is
// written; the count comes after the write, so that overwritten keys count
// once, and a count over the limit rolls everything back.
func (s *Store) TagResource(ctx context.Context, arn string, tags []store.Tag, maxTags int) error {
	return s.e.InTx(ctx, "tag resource", func(tx Q) error {
		if err := s.e.LockScopes(ctx, tx, LockTags, []string{arn}); err != nil {
			return err
		}
		if err := s.resourceExists(ctx, tx, arn); err != nil {
			return err
		}
		if err := s.upsertTags(ctx, tx, arn, tags); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM tags WHERE resource_arn = ?`, arn).Scan(&n); err != nil {
			return s.errorf("tag %s: count: %w", arn, err)
		}
		if n > maxTags {
			return store.ErrTooManyTags
		}
		return nil
	})
}

// UntagResource implements store.Tags. It takes the resource's tag lock too,
// so that it cannot deadlock with a racing TagResource that writes the rows
// in another order.
func (s *Store) UntagResource(ctx context.Context, arn string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	return s.e.InTx(ctx, "untag resource", func(tx Q) error {
		if err := s.e.LockScopes(ctx, tx, LockTags, []string{arn}); err != nil {
			return err
		}
		args := []any{arn}
		if _, err := tx.Exec(ctx, `DELETE FROM tags WHERE resource_arn = ? AND `+in("key", keys, &args), args...); err != nil {
			return s.errorf("untag %s: %w", arn, err)
		}
		return nil
	})
}

// upsertTags writes tags in one statement, a later value of a repeated key
// winning.
func (s *Store) upsertTags(ctx context.Context, tx Q, arn string, tags []store.Tag) error {
	if len(tags) == 0 {
		return nil
	}
	tags = dedupeTags(tags)
	args := make([]any, 0, 3*len(tags))
	for _, t := range tags {
		args = append(args, arn, t.Key, t.Value)
	}
	_, err := tx.Exec(ctx, `INSERT INTO tags (resource_arn, key, value) VALUES `+values(len(tags), 3)+`
		ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value`, args...)
	if err != nil {
		return s.errorf("tag %s: %w", arn, err)
	}
	return nil
}

// deleteTags removes every tag of a resource, as its delete does.
func (s *Store) deleteTags(ctx context.Context, tx Q, arn string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM tags WHERE resource_arn = ?`, arn); err != nil {
		return s.errorf("delete tags of %s: %w", arn, err)
	}
	return nil
}

// resourceExists checks, inside a write transaction, that the resource arn
// names exists, and holds it FOR SHARE against a concurrent delete until the
// transaction ends: store.ErrNotFound when it does not exist. Tags are never
// written for a resource that is gone.
func (s *Store) resourceExists(ctx context.Context, tx Q, arn string) error {
	r, ok := store.ResourceOf(arn)
	if !ok {
		return store.ErrNotFound
	}
	find := resources[r.Type].Find
	if find == nil {
		return s.errorf("tags of %s: no family declares how to find a resource of type %q", arn, r.Type)
	}
	q, args, ok := find(r)
	if !ok {
		return store.ErrNotFound
	}
	var one int
	return s.read(tx.QueryRow(ctx, q+" "+s.e.Lock(ForShare), args...).Scan(&one), store.ErrNotFound, "tags of %s: find the resource", arn)
}
