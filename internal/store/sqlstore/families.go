package sqlstore

import (
	"context"
	"slices"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// Family is the store side of a resource family, declared once beside its
// SQL: the ARN resource types of its resources, which tags, tombstones,
// purge and the checks of stored state read.
type Family struct {
	Name      string
	Resources []Resource
}

// Resource is an ARN resource type of a family.
type Resource struct {
	Type string // as ARNs write it: "environment"
	// Find, for a type whose resources take tags, returns the statement
	// (and its arguments) that finds the resource r names; ok is false when
	// r's key cannot name one. A tag write holds what it finds FOR SHARE.
	Find func(r store.Resource) (query string, args []any, ok bool)
	// List, set with Find, lists every stored resource of the type as
	// (account, region, key), the key as its ARN writes it.
	List string
	// Tombstones: a delete of a resource of the type leaves a tombstone,
	// which Purge removes once it is old.
	Tombstones bool
}

// families are the families of the store.
var families = []Family{accountFamily, componentsFamily, connectionsFamily, deploymentsFamily, environmentsFamily, servicesFamily, templatesFamily}

// Families returns the store's family declarations, for the checks of
// stored state that read them.
func Families() []Family { return slices.Clone(families) }

// resources is every declared ARN resource type, and buried those whose
// deletes leave tombstones.
var resources, buried = func() (map[string]Resource, []string) {
	all, tombstones := map[string]Resource{}, []string{}
	for _, f := range families {
		for _, r := range f.Resources {
			all[r.Type] = r
			if r.Tombstones {
				tombstones = append(tombstones, r.Type)
			}
		}
	}
	return all, tombstones
}()

// Tombstone implements store.Tombstones.
func (s *Store) Tombstone(ctx context.Context, r store.Resource) (store.Tombstone, error) {
	var (
		t  store.Tombstone
		at int64
	)
	err := s.e.Reads().QueryRow(ctx, `SELECT owner, deleted_at_ms FROM tombstones
		WHERE resource_type = ? AND account = ? AND region = ? AND key = ?`, r.Type, r.Account, r.Region, r.Key).Scan(&t.Owner, &at)
	t.DeletedAt = fromMS(at)
	return found(s, t, err, "read tombstone of %s/%s", r.Type, r.Key)
}

// bury records the tombstone of the deleted resource r for its owner
// (r.Account) and for each other party that may delete it too, replacing
// older ones.
func (s *Store) bury(ctx context.Context, tx Q, r store.Resource, now time.Time, parties ...string) error {
	if !resources[r.Type].Tombstones {
		return s.errorf("tombstone of %s/%s: its family declares no tombstones for the type", r.Type, r.Key)
	}
	accounts := []string{r.Account}
	for _, p := range parties {
		if !slices.Contains(accounts, p) {
			accounts = append(accounts, p)
		}
	}
	var args []any
	for _, a := range accounts {
		args = append(args, r.Type, a, r.Region, r.Key, r.Account, ms(now))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO tombstones (resource_type, account, region, key, owner, deleted_at_ms)
		VALUES `+values(len(accounts), 6)+` ON CONFLICT (resource_type, account, region, key)
		DO UPDATE SET owner = excluded.owner, deleted_at_ms = excluded.deleted_at_ms`, args...); err != nil {
		return s.errorf("tombstone of %s/%s: %w", r.Type, r.Key, err)
	}
	return nil
}

// Purge implements store.Maintenance. Each delete is a range scan of an
// index on its time column and stands alone: nothing links them, and
// several replicas may run them at once.
func (s *Store) Purge(ctx context.Context, now, tombstonesBefore time.Time) error {
	return s.e.Each(ctx, "purge", func(q Q) error {
		if _, err := q.Exec(ctx, `DELETE FROM idempotency_tokens WHERE expires_at_ms < ?`, ms(now)); err != nil {
			return s.errorf("purge client tokens: %w", err)
		}
		args := []any{ms(tombstonesBefore)}
		if _, err := q.Exec(ctx, `DELETE FROM tombstones WHERE deleted_at_ms < ? AND `+in("resource_type", buried, &args), args...); err != nil {
			return s.errorf("purge tombstones: %w", err)
		}
		return nil
	})
}
