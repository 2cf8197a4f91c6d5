package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// templateTypes are the ARN resource types of the two kinds of template,
// which also name their versions ({name}:{major}.{minor}).
var templateTypes = map[store.TemplateKind]string{store.EnvironmentTemplate: "environment-template", store.ServiceTemplate: "service-template"}

// templatesFamily declares templates: templates and their versions take
// tags and leave tombstones.
var templatesFamily = Family{Name: "templates", Resources: []Resource{templateResource(store.EnvironmentTemplate), templateResource(store.ServiceTemplate)}}

// templateResource declares the templates of kind and their versions.
func templateResource(kind store.TemplateKind) Resource {
	return Resource{Type: templateTypes[kind], Tombstones: true,
		Find: func(r store.Resource) (string, []any, bool) {
			name, major, minor, isVersion, ok := store.TemplateKeyOf(r.Key)
			switch {
			case !ok:
				return "", nil, false
			case !isVersion:
				return `SELECT 1 FROM templates WHERE account = ? AND region = ? AND kind = ? AND name = ?`,
					[]any{r.Account, r.Region, string(kind), name}, true
			}
			return `SELECT 1 FROM template_versions WHERE account = ? AND region = ? AND kind = ? AND template_name = ? AND major = ? AND minor = ?`,
				[]any{r.Account, r.Region, string(kind), name, major, minor}, true
		},
		List: `SELECT account, region, name FROM templates WHERE kind = '` + string(kind) + `'
			UNION ALL SELECT account, region, template_name || ':' || major || '.' || minor FROM template_versions WHERE kind = '` + string(kind) + `'`,
	}
}

// templateColumns is what scanTemplate reads. The recommended version is
// the highest PUBLISHED major.minor, computed on every read from the
// template's versions (a range of their primary key), so that it can never
// disagree with them.
const templateColumns = `t.account, t.region, t.kind, t.name, t.display_name, t.description, t.encryption_key,
	t.provisioning, t.fingerprint, t.created_at_ms, t.last_modified_at_ms,
	(SELECT p.major FROM template_versions p
		WHERE p.account = t.account AND p.region = t.region AND p.kind = t.kind AND p.template_name = t.name
		AND p.status = 'PUBLISHED' ORDER BY p.major DESC, p.minor DESC LIMIT 1),
	(SELECT p.minor FROM template_versions p
		WHERE p.account = t.account AND p.region = t.region AND p.kind = t.kind AND p.template_name = t.name
		AND p.status = 'PUBLISHED' ORDER BY p.major DESC, p.minor DESC LIMIT 1)`

const templateWhere = `t.account = ? AND t.region = ? AND t.kind = ? AND t.name = ?`

func templateArgs(k store.TemplateKey) []any {
	return []any{k.Account, k.Region, string(k.Kind), k.Name}
}

func scanTemplate(row Row) (store.Template, error) {
	var (
		t                  store.Template
		kind               string
		created, modified  int64
		recMajor, recMinor *int64
	)
	err := row.Scan(&t.Account, &t.Region, &kind, &t.Name, &t.DisplayName, &t.Description, &t.EncryptionKey,
		&t.Provisioning, &t.Fingerprint, &created, &modified, &recMajor, &recMinor)
	t.Kind, t.CreatedAt, t.LastModifiedAt = store.TemplateKind(kind), fromMS(created), fromMS(modified)
	if recMajor != nil && recMinor != nil {
		t.Recommended = &store.VersionNumber{Major: *recMajor, Minor: *recMinor}
	}
	return t, err
}

// getTemplate reads a template, with a row lock when lock is not "".
func (s *Store) getTemplate(ctx context.Context, q Q, k store.TemplateKey, lock string) (store.Template, error) {
	t, err := scanTemplate(q.QueryRow(ctx, `SELECT `+templateColumns+` FROM templates t WHERE `+templateWhere+` `+lock,
		templateArgs(k)...))
	return found(s, t, err, "get template %s", k.Name)
}

// lockTemplate locks a template's row FOR UPDATE, the first step of every
// write to its versions, so that they take turns per template;
// store.ErrNotFound when there is none.
func (s *Store) lockTemplate(ctx context.Context, tx Q, k store.TemplateKey) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM templates t WHERE `+templateWhere+` `+s.e.Lock(ForUpdate), templateArgs(k)...).Scan(&one)
	return s.read(err, store.ErrNotFound, "lock template %s", k.Name)
}

// GetTemplate implements store.Templates.
func (s *Store) GetTemplate(ctx context.Context, k store.TemplateKey) (store.Template, error) {
	return s.getTemplate(ctx, s.e.Reads(), k, "")
}

// CreateTemplate implements store.Templates. The quota is a count, which no
// constraint can guard: racing creates of one account and region take turns
// on its scope lock, each seeing the rows of the one before.
func (s *Store) CreateTemplate(ctx context.Context, p store.CreateTemplateParams) (store.Template, bool, error) {
	t := p.Template
	var (
		out     store.Template
		created bool
	)
	err := s.e.InTx(ctx, "create template", func(tx Q) error {
		if err := s.e.LockScopes(ctx, tx, LockTemplateCreate, []string{t.Account, t.Region}); err != nil {
			return err
		}
		existing, err := s.getTemplate(ctx, tx, t.TemplateKey, "")
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			out = existing
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM templates WHERE account = ? AND region = ?`,
			t.Account, t.Region).Scan(&n); err != nil {
			return s.errorf("count templates: %w", err)
		}
		if n >= p.Quota {
			return store.ErrQuotaExceeded
		}
		if _, err := tx.Exec(ctx, `INSERT INTO templates (account, region, kind, name, display_name, description,
			encryption_key, provisioning, fingerprint, created_at_ms, last_modified_at_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.Account, t.Region, string(t.Kind), t.Name, t.DisplayName, t.Description,
			t.EncryptionKey, t.Provisioning, t.Fingerprint, ms(t.CreatedAt), ms(t.LastModifiedAt)); err != nil {
			return s.errorf("create template %s: %w", t.Name, err)
		}
		out, created = t, true
		out.Recommended = nil
		out.CreatedAt, out.LastModifiedAt = fromMS(ms(t.CreatedAt)), fromMS(ms(t.LastModifiedAt))
		return s.upsertTags(ctx, tx, p.ARN, p.Tags)
	})
	if err != nil {
		return store.Template{}, false, err
	}
	return out, created, nil
}

// UpdateTemplate implements store.Templates.
func (s *Store) UpdateTemplate(ctx context.Context, p store.UpdateTemplateParams) (store.Template, error) {
	var out store.Template
	err := s.e.InTx(ctx, "update template", func(tx Q) error {
		n, err := tx.Exec(ctx, `UPDATE templates AS t SET display_name = COALESCE(?, display_name),
			description = COALESCE(?, description), last_modified_at_ms = ? WHERE `+templateWhere,
			append([]any{nullable(p.DisplayName), nullable(p.Description), ms(p.Now)}, templateArgs(p.Key)...)...)
		if err != nil {
			return s.errorf("update template %s: %w", p.Key.Name, err)
		}
		if err := one(n, store.ErrNotFound); err != nil {
			return err
		}
		out, err = s.getTemplate(ctx, tx, p.Key, "")
		return err
	})
	if err != nil {
		return store.Template{}, err
	}
	return out, nil
}

// DeleteTemplate implements store.Templates. The row lock makes a racing
// version create wait, and then find the template gone.
func (s *Store) DeleteTemplate(ctx context.Context, k store.TemplateKey, arn string, now time.Time) (store.Template, error) {
	var out store.Template
	err := s.e.InTx(ctx, "delete template", func(tx Q) error {
		var err error
		if out, err = s.getTemplate(ctx, tx, k, s.e.Lock(ForUpdate)); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM template_versions v WHERE `+versionOfTemplate,
			templateArgs(k)...).Scan(&n); err != nil {
			return s.errorf("delete template %s: count versions: %w", k.Name, err)
		}
		if n > 0 {
			return store.ErrVersionsRemain
		}
		if _, err := tx.Exec(ctx, `DELETE FROM templates AS t WHERE `+templateWhere, templateArgs(k)...); err != nil {
			return s.errorf("delete template %s: %w", k.Name, err)
		}
		return s.templateGone(ctx, tx, k, k.Name, arn, now)
	})
	switch {
	case errors.Is(err, store.ErrVersionsRemain):
		return out, err
	case err != nil:
		return store.Template{}, err
	}
	return out, nil
}

// templateGone removes the tags of a deleted template or version (key, as
// its ARN writes it) and records its tombstone.
func (s *Store) templateGone(ctx context.Context, tx Q, k store.TemplateKey, key, arn string, now time.Time) error {
	if err := s.deleteTags(ctx, tx, arn); err != nil {
		return err
	}
	return s.bury(ctx, tx, store.Resource{Type: templateTypes[k.Kind], Account: k.Account, Region: k.Region, Key: key}, now)
}

// ListTemplates implements store.Templates: a range of the primary key.
func (s *Store) ListTemplates(ctx context.Context, q store.ListTemplatesQuery) ([]store.Template, error) {
	if q.Limit <= 0 {
		return []store.Template{}, nil
	}
	rows, err := s.e.Reads().Query(ctx, `SELECT `+templateColumns+` FROM templates t
		WHERE t.account = ? AND t.region = ? AND t.kind = ? AND t.name > ? ORDER BY t.name LIMIT ?`,
		q.Account, q.Region, string(q.Kind), q.AfterName, q.Limit)
	out, err := collect(rows, err, scanTemplate)
	if err != nil {
		return nil, s.errorf("list templates: %w", err)
	}
	return out, nil
}
