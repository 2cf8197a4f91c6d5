package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// templateColumns is what scanTemplate reads. The recommended version is
// the highest PUBLISHED major.minor, computed on every read from the
// template's versions (at most a few hundred rows of its primary key range),
// so that it can never disagree with them.
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

func scanTemplate(row interface{ Scan(...any) error }) (store.Template, error) {
	var (
		t                  store.Template
		kind               string
		created, modified  int64
		recMajor, recMinor sql.NullInt64
	)
	err := row.Scan(&t.Account, &t.Region, &kind, &t.Name, &t.DisplayName, &t.Description, &t.EncryptionKey,
		&t.Provisioning, &t.Fingerprint, &created, &modified, &recMajor, &recMinor)
	if err != nil {
		return store.Template{}, err
	}
	t.Kind = store.TemplateKind(kind)
	t.CreatedAt, t.LastModifiedAt = fromMS(created), fromMS(modified)
	if recMajor.Valid && recMinor.Valid {
		t.Recommended = &store.VersionNumber{Major: recMajor.Int64, Minor: recMinor.Int64}
	}
	return t, nil
}

func getTemplate(ctx context.Context, q queryer, k store.TemplateKey) (store.Template, error) {
	t, err := scanTemplate(q.QueryRowContext(ctx, `SELECT `+templateColumns+` FROM templates t WHERE `+templateWhere, templateArgs(k)...))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.Template{}, store.ErrNotFound
	case err != nil:
		return store.Template{}, fmt.Errorf("sqlite: get template %s: %w", k.Name, err)
	}
	return t, nil
}

// GetTemplate implements store.Templates.
func (s *Store) GetTemplate(ctx context.Context, k store.TemplateKey) (store.Template, error) {
	return getTemplate(ctx, s.reader, k)
}

// CreateTemplate implements store.Templates. The single writer serialises
// it, which makes the name check and the quota count race-free.
func (s *Store) CreateTemplate(ctx context.Context, p store.CreateTemplateParams) (store.Template, bool, error) {
	var (
		out     store.Template
		created bool
	)
	t := p.Template
	err := s.inTx(ctx, "create template", func(tx *sql.Tx) error {
		existing, err := getTemplate(ctx, tx, t.TemplateKey)
		if err == nil {
			out = existing
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM templates WHERE account = ? AND region = ?`,
			t.Account, t.Region).Scan(&n); err != nil {
			return fmt.Errorf("sqlite: create template: count for quota: %w", err)
		}
		if n >= p.Quota {
			return store.ErrQuotaExceeded
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO templates (account, region, kind, name, display_name, description,
			encryption_key, provisioning, fingerprint, created_at_ms, last_modified_at_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.Account, t.Region, string(t.Kind), t.Name, t.DisplayName, t.Description,
			t.EncryptionKey, t.Provisioning, t.Fingerprint, ms(t.CreatedAt), ms(t.LastModifiedAt))
		if err != nil {
			return fmt.Errorf("sqlite: create template %s: %w", t.Name, err)
		}
		if err := upsertTags(ctx, tx, p.ARN, p.Tags); err != nil {
			return err
		}
		out, created = t, true
		out.Recommended = nil
		out.CreatedAt, out.LastModifiedAt = fromMS(ms(t.CreatedAt)), fromMS(ms(t.LastModifiedAt))
		return nil
	})
	if err != nil {
		return store.Template{}, false, err
	}
	return out, created, nil
}

// UpdateTemplate implements store.Templates.
func (s *Store) UpdateTemplate(ctx context.Context, p store.UpdateTemplateParams) (store.Template, error) {
	var out store.Template
	err := s.inTx(ctx, "update template", func(tx *sql.Tx) error {
		args := append([]any{nullable(p.DisplayName), nullable(p.Description), ms(p.Now)}, templateArgs(p.Key)...)
		res, err := tx.ExecContext(ctx, `UPDATE templates AS t SET
				display_name = COALESCE(?, display_name),
				description = COALESCE(?, description),
				last_modified_at_ms = ?
			WHERE `+templateWhere, args...)
		if err != nil {
			return fmt.Errorf("sqlite: update template %s: %w", p.Key.Name, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlite: update template %s: %w", p.Key.Name, err)
		} else if n == 0 {
			return store.ErrNotFound
		}
		out, err = getTemplate(ctx, tx, p.Key)
		return err
	})
	if err != nil {
		return store.Template{}, err
	}
	return out, nil
}

// DeleteTemplate implements store.Templates.
func (s *Store) DeleteTemplate(ctx context.Context, k store.TemplateKey, arn string, now time.Time) (store.Template, error) {
	var out store.Template
	err := s.inTx(ctx, "delete template", func(tx *sql.Tx) error {
		t, err := getTemplate(ctx, tx, k)
		if err != nil {
			return err
		}
		out = t
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM template_versions
			WHERE account = ? AND region = ? AND kind = ? AND template_name = ?`, templateArgs(k)...).Scan(&n); err != nil {
			return fmt.Errorf("sqlite: delete template %s: count versions: %w", k.Name, err)
		}
		if n > 0 {
			return store.ErrVersionsRemain
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM templates AS t WHERE `+templateWhere, templateArgs(k)...); err != nil {
			return fmt.Errorf("sqlite: delete template %s: %w", k.Name, err)
		}
		return deleteTagsAndTombstone(ctx, tx, k, "", arn, now)
	})
	switch {
	case errors.Is(err, store.ErrVersionsRemain):
		return out, err
	case err != nil:
		return store.Template{}, err
	}
	return out, nil
}

// deleteTagsAndTombstone removes the tags of a deleted template or version
// and records its tombstone.
func deleteTagsAndTombstone(ctx context.Context, tx *sql.Tx, k store.TemplateKey, version, arn string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE resource_arn = ?`, arn); err != nil {
		return fmt.Errorf("sqlite: delete tags of %s: %w", arn, err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO template_tombstones (account, region, kind, name, version, deleted_at_ms)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (account, region, kind, name, version) DO UPDATE SET deleted_at_ms = excluded.deleted_at_ms`,
		k.Account, k.Region, string(k.Kind), k.Name, version, ms(now))
	if err != nil {
		return fmt.Errorf("sqlite: tombstone of %s: %w", arn, err)
	}
	return nil
}

// ListTemplates implements store.Templates: a range of the primary key.
func (s *Store) ListTemplates(ctx context.Context, q store.ListTemplatesQuery) ([]store.Template, error) {
	out := []store.Template{}
	if q.Limit <= 0 {
		return out, nil
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT `+templateColumns+` FROM templates t
		WHERE t.account = ? AND t.region = ? AND t.kind = ? AND t.name > ? ORDER BY t.name LIMIT ?`,
		q.Account, q.Region, string(q.Kind), q.AfterName, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list templates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list templates: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list templates: %w", err)
	}
	return out, nil
}

// TemplateDeletedAt implements store.Templates.
func (s *Store) TemplateDeletedAt(ctx context.Context, k store.TemplateKey, version string) (time.Time, error) {
	var at int64
	err := s.reader.QueryRowContext(ctx, `SELECT deleted_at_ms FROM template_tombstones
		WHERE account = ? AND region = ? AND kind = ? AND name = ? AND version = ?`,
		k.Account, k.Region, string(k.Kind), k.Name, version).Scan(&at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, store.ErrNotFound
	case err != nil:
		return time.Time{}, fmt.Errorf("sqlite: read template tombstone: %w", err)
	}
	return fromMS(at), nil
}

// PurgeTemplateTombstones implements store.Templates.
func (s *Store) PurgeTemplateTombstones(ctx context.Context, before time.Time) error {
	return s.inTx(ctx, "purge template tombstones", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM template_tombstones WHERE deleted_at_ms < ?`, ms(before)); err != nil {
			return fmt.Errorf("sqlite: purge template tombstones: %w", err)
		}
		return nil
	})
}
