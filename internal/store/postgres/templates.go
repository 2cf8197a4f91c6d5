package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openproton/openproton/internal/store"
)

// Advisory lock classes of the templates family (see locks.go; the values
// are part of the protocol between replicas and must never change).
const (
	// lockClassTemplateScope serialises template creates of one (account,
	// region): the quota counts both kinds together.
	lockClassTemplateScope int32 = 0x4f50_0101
	// lockClassTemplateToken serialises version creates that carry the same
	// client token.
	lockClassTemplateToken int32 = 0x4f50_0102
)

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

const templateWhere = `t.account = $1 AND t.region = $2 AND t.kind = $3 AND t.name = $4`

func templateArgs(k store.TemplateKey) []any {
	return []any{k.Account, k.Region, string(k.Kind), k.Name}
}

func scanTemplate(row scanner) (store.Template, error) {
	var (
		t                  store.Template
		kind               string
		created, modified  int64
		recMajor, recMinor *int64
	)
	err := row.Scan(&t.Account, &t.Region, &kind, &t.Name, &t.DisplayName, &t.Description, &t.EncryptionKey,
		&t.Provisioning, &t.Fingerprint, &created, &modified, &recMajor, &recMinor)
	if err != nil {
		return store.Template{}, err
	}
	t.Kind = store.TemplateKind(kind)
	t.CreatedAt, t.LastModifiedAt = fromMillis(created), fromMillis(modified)
	if recMajor != nil && recMinor != nil {
		t.Recommended = &store.VersionNumber{Major: *recMajor, Minor: *recMinor}
	}
	return t, nil
}

// getTemplate reads a template; lock, when set, is a row-locking clause.
func getTemplate(ctx context.Context, q querier, k store.TemplateKey, lock string) (store.Template, error) {
	t, err := scanTemplate(q.QueryRow(ctx, `SELECT `+templateColumns+` FROM templates t WHERE `+templateWhere+` `+lock,
		templateArgs(k)...))
	if isNoRows(err) {
		return store.Template{}, store.ErrNotFound
	}
	if err != nil {
		return store.Template{}, fmt.Errorf("postgres: read template: %w", err)
	}
	return t, nil
}

// lockTemplate locks a template's row FOR UPDATE, the first step of every
// write to its versions; ErrNotFound when there is none.
func lockTemplate(ctx context.Context, tx pgx.Tx, k store.TemplateKey) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM templates t WHERE `+templateWhere+` FOR UPDATE`, templateArgs(k)...).Scan(&one)
	if isNoRows(err) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("postgres: lock template: %w", err)
	}
	return nil
}

// GetTemplate returns a template, or store.ErrNotFound.
func (s *Store) GetTemplate(ctx context.Context, k store.TemplateKey) (store.Template, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return getTemplate(ctx, s.pool, k, "")
}

// CreateTemplate stores a new template, or returns the one of that name.
func (s *Store) CreateTemplate(ctx context.Context, p store.CreateTemplateParams) (store.Template, bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	t := p.Template
	var (
		out     store.Template
		created bool
	)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The quota is a count, which no constraint can guard; the scope lock
		// makes racing creates of one account and region take turns, each
		// seeing the rows of the one before.
		if err := lockScopes(ctx, tx, lockClassTemplateScope, lockKey(t.Account, t.Region)); err != nil {
			return err
		}
		existing, err := getTemplate(ctx, tx, t.TemplateKey, "")
		if err == nil {
			out = existing
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM templates WHERE account = $1 AND region = $2`,
			t.Account, t.Region).Scan(&n); err != nil {
			return fmt.Errorf("postgres: count templates: %w", err)
		}
		if n >= p.Quota {
			return store.ErrQuotaExceeded
		}
		_, err = tx.Exec(ctx, `INSERT INTO templates (account, region, kind, name, display_name, description,
			encryption_key, provisioning, fingerprint, created_at_ms, last_modified_at_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			t.Account, t.Region, string(t.Kind), t.Name, t.DisplayName, t.Description,
			t.EncryptionKey, t.Provisioning, t.Fingerprint, millis(t.CreatedAt), millis(t.LastModifiedAt))
		if err != nil {
			return fmt.Errorf("postgres: insert template: %w", err)
		}
		if err := upsertTags(ctx, tx, p.ARN, p.Tags); err != nil {
			return err
		}
		out, created = t, true
		out.Recommended = nil
		out.CreatedAt, out.LastModifiedAt = fromMillis(millis(t.CreatedAt)), fromMillis(millis(t.LastModifiedAt))
		return nil
	})
	if err != nil {
		return store.Template{}, false, err
	}
	return out, created, nil
}

// UpdateTemplate changes a template's display name and description.
func (s *Store) UpdateTemplate(ctx context.Context, p store.UpdateTemplateParams) (store.Template, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var out store.Template
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE templates t SET
				display_name = COALESCE($5, display_name),
				description = COALESCE($6, description),
				last_modified_at_ms = $7
			WHERE `+templateWhere, append(templateArgs(p.Key), p.DisplayName, p.Description, millis(p.Now))...)
		if err != nil {
			return fmt.Errorf("postgres: update template: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		out, err = getTemplate(ctx, tx, p.Key, "")
		return err
	})
	if err != nil {
		return store.Template{}, err
	}
	return out, nil
}

// DeleteTemplate removes a template without versions.
func (s *Store) DeleteTemplate(ctx context.Context, k store.TemplateKey, arn string, now time.Time) (store.Template, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var out store.Template
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The lock makes a racing version create wait, and then find the
		// template gone.
		t, err := getTemplate(ctx, tx, k, "FOR UPDATE")
		if err != nil {
			return err
		}
		out = t
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM template_versions
			WHERE account = $1 AND region = $2 AND kind = $3 AND template_name = $4`, templateArgs(k)...).Scan(&n); err != nil {
			return fmt.Errorf("postgres: count template versions: %w", err)
		}
		if n > 0 {
			return store.ErrVersionsRemain
		}
		if _, err := tx.Exec(ctx, `DELETE FROM templates t WHERE `+templateWhere, templateArgs(k)...); err != nil {
			return fmt.Errorf("postgres: delete template: %w", err)
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
func deleteTagsAndTombstone(ctx context.Context, tx pgx.Tx, k store.TemplateKey, version, arn string, now time.Time) error {
	if _, err := tx.Exec(ctx, `DELETE FROM tags WHERE resource_arn = $1`, arn); err != nil {
		return fmt.Errorf("postgres: delete tags: %w", err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO template_tombstones (account, region, kind, name, version, deleted_at_ms)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (account, region, kind, name, version) DO UPDATE SET deleted_at_ms = EXCLUDED.deleted_at_ms`,
		k.Account, k.Region, string(k.Kind), k.Name, version, millis(now))
	if err != nil {
		return fmt.Errorf("postgres: record template tombstone: %w", err)
	}
	return nil
}

// ListTemplates returns one page of templates in name order.
func (s *Store) ListTemplates(ctx context.Context, q store.ListTemplatesQuery) ([]store.Template, error) {
	if q.Limit <= 0 {
		return []store.Template{}, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+templateColumns+` FROM templates t
		WHERE t.account = $1 AND t.region = $2 AND t.kind = $3 AND t.name > $4 ORDER BY t.name LIMIT $5`,
		q.Account, q.Region, string(q.Kind), q.AfterName, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list templates: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Template, error) { return scanTemplate(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list templates: %w", err)
	}
	return ts, nil
}

// TemplateDeletedAt returns when a template or version was deleted.
func (s *Store) TemplateDeletedAt(ctx context.Context, k store.TemplateKey, version string) (time.Time, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var at int64
	err := s.pool.QueryRow(ctx, `SELECT deleted_at_ms FROM template_tombstones
		WHERE account = $1 AND region = $2 AND kind = $3 AND name = $4 AND version = $5`,
		k.Account, k.Region, string(k.Kind), k.Name, version).Scan(&at)
	if isNoRows(err) {
		return time.Time{}, store.ErrNotFound
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("postgres: read template tombstone: %w", err)
	}
	return fromMillis(at), nil
}

// PurgeTemplateTombstones removes old tombstones.
func (s *Store) PurgeTemplateTombstones(ctx context.Context, before time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM template_tombstones WHERE deleted_at_ms < $1`, millis(before)); err != nil {
		return fmt.Errorf("postgres: purge template tombstones: %w", err)
	}
	return nil
}
