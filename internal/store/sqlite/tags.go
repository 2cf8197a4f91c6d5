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
