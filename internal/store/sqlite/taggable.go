package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/openproton/openproton/internal/store"
)

// taggable maps every ARN resource type that takes tags to the query (and
// its arguments) that finds one resource of that type. A family whose resources
// take tags adds its row; a tag write for any other type fails.
var taggable = map[string]func(r store.Resource) (query string, args []any, ok bool){
	"environment-account-connection": func(r store.Resource) (string, []any, bool) {
		return `SELECT 1 FROM connections WHERE region = ? AND id = ?`, []any{r.Region, r.Key}, true
	},
	"environment": func(r store.Resource) (string, []any, bool) {
		return `SELECT 1 FROM environments WHERE account = ? AND region = ? AND name = ?`, []any{r.Account, r.Region, r.Key}, true
	},
	"environment-template": templateExists(store.EnvironmentTemplate),
	"service-template":     templateExists(store.ServiceTemplate),
}

// templateExists finds a template ({name}) or one of its versions
// ({name}:{major}.{minor}).
func templateExists(kind store.TemplateKind) func(r store.Resource) (string, []any, bool) {
	return func(r store.Resource) (string, []any, bool) {
		name, major, minor, isVersion, ok := store.TemplateKeyOf(r.Key)
		switch {
		case !ok:
			return "", nil, false
		case !isVersion:
			return `SELECT 1 FROM templates WHERE account = ? AND region = ? AND kind = ? AND name = ?`, []any{r.Account, r.Region, string(kind), name}, true
		}
		return `SELECT 1 FROM template_versions WHERE account = ? AND region = ? AND kind = ? AND template_name = ? AND major = ? AND minor = ?`,
			[]any{r.Account, r.Region, string(kind), name, major, minor}, true
	}
}

// resourceExists checks, inside a write transaction, that the resource arn
// names exists: store.ErrNotFound when it does not. The single writer
// serialises this check with every delete, so a resource cannot vanish
// between the check and the commit.
func resourceExists(ctx context.Context, tx *sql.Tx, arn string) error {
	r, ok := store.ResourceOf(arn)
	if !ok {
		return store.ErrNotFound
	}
	exists, known := taggable[r.Type]
	if !known {
		return fmt.Errorf("sqlite: tags of %s: resource type %q has no existence check (add it to taggable)", arn, r.Type)
	}
	q, args, ok := exists(r)
	if !ok {
		return store.ErrNotFound
	}
	var one int
	err := tx.QueryRowContext(ctx, q, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("sqlite: tags of %s: find the resource: %w", arn, err)
	}
	return nil
}
