package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/openproton/openproton/internal/store"
)

// taggable maps every ARN resource type that takes tags to the query (and
// its arguments) that finds one resource of that type and locks it FOR SHARE.
// A family whose resources take tags adds its row; a tag write for any other
// type fails.
var taggable = map[string]func(r store.Resource) (query string, args []any, ok bool){
	"environment-account-connection": func(r store.Resource) (string, []any, bool) {
		return `SELECT 1 FROM connections WHERE region = $1 AND id = $2 FOR SHARE`, []any{r.Region, r.Key}, true
	},
	"environment": func(r store.Resource) (string, []any, bool) {
		return `SELECT 1 FROM environments WHERE account = $1 AND region = $2 AND name = $3 FOR SHARE`, []any{r.Account, r.Region, r.Key}, true
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
			return `SELECT 1 FROM templates WHERE account = $1 AND region = $2 AND kind = $3 AND name = $4 FOR SHARE`, []any{r.Account, r.Region, string(kind), name}, true
		}
		return `SELECT 1 FROM template_versions WHERE account = $1 AND region = $2 AND kind = $3 AND template_name = $4 AND major = $5 AND minor = $6 FOR SHARE`,
			[]any{r.Account, r.Region, string(kind), name, major, minor}, true
	}
}

// resourceExists checks, inside a write transaction, that the resource arn
// names exists: store.ErrNotFound when it does not. The FOR SHARE lock holds
// off a concurrent delete until the transaction ends, and a delete that
// committed first leaves no row to find, so tags are never written for a
// resource that is gone.
func resourceExists(ctx context.Context, tx pgx.Tx, arn string) error {
	r, ok := store.ResourceOf(arn)
	if !ok {
		return store.ErrNotFound
	}
	exists, known := taggable[r.Type]
	if !known {
		return fmt.Errorf("postgres: tags of %s: resource type %q has no existence check (add it to taggable)", arn, r.Type)
	}
	q, args, ok := exists(r)
	if !ok {
		return store.ErrNotFound
	}
	var one int
	err := tx.QueryRow(ctx, q, args...).Scan(&one)
	if isNoRows(err) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("postgres: tags of %s: find the resource: %w", arn, err)
	}
	return nil
}
