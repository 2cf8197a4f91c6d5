package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/jackc/pgx/v5"
)

// lockKey hashes the parts of a scope into the second key. Two scopes that
// collide merely wait for each other. FNV-1a is computed here rather than
// with the server's hashtext so the key is the same for every replica and
// every PostgreSQL version.
func lockKey(parts ...string) int32 {
	h := fnv.New32a()
	for _, p := range parts {
		_, _ = h.Write([]byte(p))
		_, _ = h.Write([]byte{0}) // keeps ("ab","c") apart from ("a","bc")
	}
	return int32(h.Sum32())
}

// lockScopes takes the transaction-scoped advisory locks of class for every
// key, in ascending order and each once, so that two transactions that need
// overlapping sets cannot deadlock. The locks are released at commit or
// rollback; there is nothing to release on an error path, which is why the
// transaction form is used rather than session locks (it also keeps working
// behind a pooler in transaction mode).
func lockScopes(ctx context.Context, tx pgx.Tx, class int32, keys ...int32) error {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	for _, k := range keys {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1::int4, $2::int4)", class, k); err != nil {
			return fmt.Errorf("postgres: advisory lock: %w", err)
		}
	}
	return nil
}
