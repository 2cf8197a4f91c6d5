package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// withToken is the client-token half of every create that takes one. With
// no token it runs create. With one, a live token of the same request
// returns what find reads for the resource the token made, replayed; a live
// token of another request is store.ErrIdempotencyMismatch; an unknown or
// expired token, or one whose resource is gone (find returns
// store.ErrNotFound), runs create and records the token for the id it
// returns. The caller holds whatever lock orders creates of the same token.
func withToken[T any](ctx context.Context, s *Store, tx Q, tok *store.Idempotency, now time.Time,
	find func(id string) (T, error), create func() (T, string, error)) (out T, replayed bool, err error) {
	if tok != nil {
		k := tok.Key
		var fingerprint, id string
		err := tx.QueryRow(ctx, `SELECT fingerprint, resource_id FROM idempotency_tokens
			WHERE account = ? AND region = ? AND operation = ? AND token = ? AND expires_at_ms > ?`,
			k.Account, k.Region, k.Operation, k.Token, ms(now)).Scan(&fingerprint, &id)
		switch {
		case err == nil && fingerprint != tok.Fingerprint:
			return out, false, store.ErrIdempotencyMismatch
		case err == nil:
			prior, err := find(id)
			if err == nil {
				return prior, true, nil
			}
			if !errors.Is(err, store.ErrNotFound) {
				return out, false, err
			}
		case !isNoRows(err):
			return out, false, s.errorf("read client token: %w", err)
		}
	}
	out, id, err := create()
	if err != nil || tok == nil {
		return out, false, err
	}
	k := tok.Key
	// Replaces a token that expired or whose resource is gone.
	_, err = tx.Exec(ctx, `INSERT INTO idempotency_tokens
		(account, region, operation, token, fingerprint, resource_id, expires_at_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account, region, operation, token) DO UPDATE SET
			fingerprint = excluded.fingerprint, resource_id = excluded.resource_id,
			expires_at_ms = excluded.expires_at_ms`,
		k.Account, k.Region, k.Operation, k.Token, tok.Fingerprint, id, ms(tok.ExpiresAt))
	if err != nil {
		return out, false, s.errorf("record client token: %w", err)
	}
	return out, false, nil
}
