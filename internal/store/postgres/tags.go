package postgres

import (
	"context"
	"fmt"

	"github.com/openproton/openproton/internal/store"
)

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
