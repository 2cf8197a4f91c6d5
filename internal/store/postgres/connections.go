package postgres

import (
	"context"
	"fmt"

	"github.com/openproton/openproton/internal/store"
)

// getConnection reads one connection; lock, when set, is a row-locking
// clause such as "FOR UPDATE".
func getConnection(ctx context.Context, q querier, region, id, lock string) (store.Connection, error) {
	c, err := scanConnection(q.QueryRow(ctx,
		`SELECT `+connectionColumns+` FROM connections WHERE region = $1 AND id = $2 `+lock, region, id))
	if isNoRows(err) {
		return store.Connection{}, store.ErrNotFound
	}
	if err != nil {
		return store.Connection{}, fmt.Errorf("postgres: read connection: %w", err)
	}
	return c, nil
}
