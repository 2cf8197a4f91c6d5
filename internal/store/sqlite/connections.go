package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/sqlstore"
)

// GetConnection implements store.Connections, reading the row packed as
// list pages are: one column conversion instead of eleven (packed.go).
func (s *Store) GetConnection(ctx context.Context, region, id string) (store.Connection, error) {
	var packed string
	err := s.queryRow(ctx, `SELECT `+packedConnectionColumn+` FROM connections WHERE region = ? AND id = ?`, region, id).Scan(&packed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.Connection{}, store.ErrNotFound
	case err != nil:
		return store.Connection{}, fmt.Errorf("sqlite: get connection %s: %w", id, err)
	}
	c, rest, err := unpackConnection(packed)
	if err == nil && rest != "" {
		err = errBadPacked
	}
	if err != nil {
		return store.Connection{}, fmt.Errorf("sqlite: get connection %s: %w", id, err)
	}
	return c, nil
}

// ListConnections implements store.Connections, reading the whole page as
// one packed value (packed.go).
func (s *Store) ListConnections(ctx context.Context, q store.ListConnectionsQuery) ([]store.Connection, error) {
	if q.Limit <= 0 {
		return []store.Connection{}, nil
	}
	query, args := sqlstore.ListConnectionsQuery(q, packedConnectionColumn+` AS p`)
	var packed string
	if err := s.queryRow(ctx, packedPage(query), args...).Scan(&packed); err != nil {
		return nil, fmt.Errorf("sqlite: list connections: %w", err)
	}
	// A page is at most a few hundred rows: room for all of them at once
	// saves growing the slice through seven copies.
	out, err := unpackPage(make([]store.Connection, 0, min(q.Limit, 1024)), packed)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list connections: %w", err)
	}
	return out, nil
}
