package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/openproton/openproton/internal/store"
)

// versionColumns is what scanVersion reads; schema is the schema column or
// ” (lists never read schemas). The recommended minor is computed on every
// read, like a template's recommended version.
func versionColumns(schema string) string {
	return `v.account, v.region, v.kind, v.template_name, v.major, v.minor, v.id, v.status, v.status_message,
	v.description, v.source_bucket, v.source_key, ` + schema + `, v.compatible_json, v.component_sources_json,
	v.created_at_ms, v.last_modified_at_ms,
	(SELECT MAX(p.minor) FROM template_versions p
		WHERE p.account = v.account AND p.region = v.region AND p.kind = v.kind AND p.template_name = v.template_name
		AND p.major = v.major AND p.status = 'PUBLISHED')`
}

const (
	versionOfTemplate = `v.account = ? AND v.region = ? AND v.kind = ? AND v.template_name = ?`
	versionWhere      = versionOfTemplate + ` AND v.major = ? AND v.minor = ?`
)

func versionArgs(k store.VersionKey) []any {
	return append(templateArgs(k.TemplateKey), k.Major, k.Minor)
}

func scanVersion(row interface{ Scan(...any) error }, extra ...any) (store.TemplateVersion, error) {
	var (
		v                 store.TemplateVersion
		kind, status      string
		compat, comps     string
		created, modified int64
		recMinor          sql.NullInt64
	)
	dest := []any{&v.Account, &v.Region, &kind, &v.Name, &v.Major, &v.Minor, &v.ID, &status, &v.StatusMessage,
		&v.Description, &v.SourceBucket, &v.SourceKey, &v.Schema, &compat, &comps, &created, &modified, &recMinor}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return store.TemplateVersion{}, err
	}
	v.Kind, v.Status = store.TemplateKind(kind), store.VersionStatus(status)
	v.CreatedAt, v.LastModifiedAt = fromMS(created), fromMS(modified)
	if recMinor.Valid {
		m := recMinor.Int64
		v.RecommendedMinor = &m
	}
	if err := decodeServiceFields(&v, compat, comps); err != nil {
		return store.TemplateVersion{}, err
	}
	return v, nil
}

// compatibleJSON is how a compatibleEnvironmentTemplates entry is kept.
type compatibleJSON struct {
	Name  string `json:"name"`
	Major int64  `json:"major"`
}

// encodeServiceFields returns the stored form of a version's service
// fields: ” for environment template versions.
func encodeServiceFields(v store.TemplateVersion) (compat, comps string, err error) {
	if v.Kind != store.ServiceTemplate {
		return "", "", nil
	}
	cs := make([]compatibleJSON, len(v.CompatibleEnvironmentTemplates))
	for i, c := range v.CompatibleEnvironmentTemplates {
		cs[i] = compatibleJSON{Name: c.Name, Major: c.Major}
	}
	b, err := json.Marshal(cs)
	if err != nil {
		return "", "", err
	}
	sources := v.SupportedComponentSources
	if sources == nil {
		sources = []string{}
	}
	c, err := json.Marshal(sources)
	if err != nil {
		return "", "", err
	}
	return string(b), string(c), nil
}

func decodeServiceFields(v *store.TemplateVersion, compat, comps string) error {
	if v.Kind != store.ServiceTemplate {
		return nil
	}
	var cs []compatibleJSON
	if err := json.Unmarshal([]byte(compat), &cs); err != nil {
		return fmt.Errorf("sqlite: version %s: compatible templates: %w", v.ID, err)
	}
	v.CompatibleEnvironmentTemplates = make([]store.CompatibleTemplate, len(cs))
	for i, c := range cs {
		v.CompatibleEnvironmentTemplates[i] = store.CompatibleTemplate{Name: c.Name, Major: c.Major}
	}
	v.SupportedComponentSources = []string{}
	if err := json.Unmarshal([]byte(comps), &v.SupportedComponentSources); err != nil {
		return fmt.Errorf("sqlite: version %s: component sources: %w", v.ID, err)
	}
	return nil
}

func getVersion(ctx context.Context, q queryer, k store.VersionKey) (store.TemplateVersion, error) {
	v, err := scanVersion(q.QueryRowContext(ctx, `SELECT `+versionColumns("v.schema_text")+
		` FROM template_versions v WHERE `+versionWhere, versionArgs(k)...))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.TemplateVersion{}, store.ErrNotFound
	case err != nil:
		return store.TemplateVersion{}, fmt.Errorf("sqlite: get template version: %w", err)
	}
	return v, nil
}

func getVersionByID(ctx context.Context, q queryer, id string) (store.TemplateVersion, error) {
	v, err := scanVersion(q.QueryRowContext(ctx, `SELECT `+versionColumns("v.schema_text")+
		` FROM template_versions v WHERE v.id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.TemplateVersion{}, store.ErrNotFound
	case err != nil:
		return store.TemplateVersion{}, fmt.Errorf("sqlite: get template version %s: %w", id, err)
	}
	return v, nil
}

// GetTemplateVersion implements store.Templates. The version and its bundle
// are read in one statement, so they always belong together.
func (s *Store) GetTemplateVersion(ctx context.Context, k store.VersionKey, withBundle bool) (store.TemplateVersion, error) {
	if !withBundle {
		return getVersion(ctx, s.reader, k)
	}
	var bundle []byte
	v, err := scanVersion(s.reader.QueryRowContext(ctx, `SELECT `+versionColumns("v.schema_text")+`, b.bundle
		FROM template_versions v LEFT JOIN template_bundles b ON b.version_id = v.id WHERE `+versionWhere,
		versionArgs(k)...), &bundle)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.TemplateVersion{}, store.ErrNotFound
	case err != nil:
		return store.TemplateVersion{}, fmt.Errorf("sqlite: get template version: %w", err)
	}
	v.Bundle = bundle
	return v, nil
}

// CreateTemplateVersion implements store.Templates. The single writer
// serialises it: numbers, the quota and the token are race-free.
func (s *Store) CreateTemplateVersion(ctx context.Context, p store.CreateVersionParams) (store.TemplateVersion, bool, error) {
	var (
		out      store.TemplateVersion
		replayed bool
	)
	err := s.inTx(ctx, "create template version", func(tx *sql.Tx) error {
		if p.Token != nil {
			prior, ok, err := replayVersion(ctx, tx, p)
			if err != nil {
				return err
			}
			if ok {
				out, replayed = prior, true
				return nil
			}
		}
		if _, err := getTemplate(ctx, tx, p.Template); err != nil {
			return err
		}
		var count int
		var maxMajor sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), MAX(major) FROM template_versions v WHERE `+versionOfTemplate,
			templateArgs(p.Template)...).Scan(&count, &maxMajor); err != nil {
			return fmt.Errorf("sqlite: create template version: count: %w", err)
		}
		if count >= p.Quota {
			return store.ErrQuotaExceeded
		}
		n := store.VersionNumber{Major: maxMajor.Int64 + 1}
		if p.Major != nil {
			var maxMinor sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT MAX(minor) FROM template_versions v WHERE `+versionOfTemplate+` AND v.major = ?`,
				append(templateArgs(p.Template), *p.Major)...).Scan(&maxMinor); err != nil {
				return fmt.Errorf("sqlite: create template version: highest minor: %w", err)
			}
			if !maxMinor.Valid {
				return store.ErrNoSuchMajor
			}
			n = store.VersionNumber{Major: *p.Major, Minor: maxMinor.Int64 + 1}
		}
		v := p.Version
		v.VersionKey = store.VersionKey{TemplateKey: p.Template, VersionNumber: n}
		compat, comps, err := encodeServiceFields(v)
		if err != nil {
			return fmt.Errorf("sqlite: create template version: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO template_versions (account, region, kind, template_name, major, minor,
			id, status, description, source_bucket, source_key, compatible_json, component_sources_json,
			created_at_ms, last_modified_at_ms, due_at_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'REGISTRATION_IN_PROGRESS', ?, ?, ?, ?, ?, ?, ?, ?)`,
			append(versionArgs(v.VersionKey), v.ID, v.Description, v.SourceBucket, v.SourceKey, compat, comps,
				ms(v.CreatedAt), ms(v.LastModifiedAt), ms(p.Now))...)
		if err != nil {
			return fmt.Errorf("sqlite: create template version %s: %w", v.ID, err)
		}
		if err := upsertTags(ctx, tx, p.ARN(n), p.Tags); err != nil {
			return err
		}
		if p.Token != nil {
			k := p.Token.Key
			_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_tokens
				(account, region, operation, token, fingerprint, resource_id, expires_at_ms)
				VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (account, region, operation, token) DO UPDATE SET
					fingerprint = excluded.fingerprint,
					resource_id = excluded.resource_id,
					expires_at_ms = excluded.expires_at_ms`,
				k.Account, k.Region, k.Operation, k.Token, p.Token.Fingerprint, v.ID, ms(p.Token.ExpiresAt))
			if err != nil {
				return fmt.Errorf("sqlite: create template version: record token: %w", err)
			}
		}
		out, err = getVersionByID(ctx, tx, v.ID)
		return err
	})
	if err != nil {
		return store.TemplateVersion{}, false, err
	}
	return out, replayed, nil
}

// replayVersion looks for a live token of p: a fingerprint mismatch fails;
// the version the token created is returned if it still exists.
func replayVersion(ctx context.Context, tx *sql.Tx, p store.CreateVersionParams) (store.TemplateVersion, bool, error) {
	k := p.Token.Key
	var fingerprint, id string
	err := tx.QueryRowContext(ctx, `SELECT fingerprint, resource_id FROM idempotency_tokens
		WHERE account = ? AND region = ? AND operation = ? AND token = ? AND expires_at_ms > ?`,
		k.Account, k.Region, k.Operation, k.Token, ms(p.Now)).Scan(&fingerprint, &id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.TemplateVersion{}, false, nil
	case err != nil:
		return store.TemplateVersion{}, false, fmt.Errorf("sqlite: create template version: read token: %w", err)
	case fingerprint != p.Token.Fingerprint:
		return store.TemplateVersion{}, false, store.ErrIdempotencyMismatch
	}
	v, err := getVersionByID(ctx, tx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.TemplateVersion{}, false, nil
	case err != nil:
		return store.TemplateVersion{}, false, err
	}
	return v, true, nil
}

func listVersions(ctx context.Context, q queryer, schema, where string, args []any) ([]store.TemplateVersion, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+versionColumns(schema)+` FROM template_versions v WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list template versions: %w", err)
	}
	defer rows.Close()
	out := []store.TemplateVersion{}
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list template versions: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list template versions: %w", err)
	}
	return out, nil
}

// ListTemplateVersions implements store.Templates: a range of the primary
// key, starting at the cursor.
func (s *Store) ListTemplateVersions(ctx context.Context, q store.ListVersionsQuery) ([]store.TemplateVersion, error) {
	if _, err := getTemplate(ctx, s.reader, q.Template); err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		return []store.TemplateVersion{}, nil
	}
	where := versionOfTemplate
	args := templateArgs(q.Template)
	if q.Major != nil {
		where += ` AND v.major = ?`
		args = append(args, *q.Major)
	}
	if q.After != nil {
		where += ` AND (v.major, v.minor) > (?, ?)`
		args = append(args, q.After.Major, q.After.Minor)
	}
	return listVersions(ctx, s.reader, "''", where+` ORDER BY v.major, v.minor LIMIT ?`, append(args, q.Limit))
}

// UpdateTemplateVersion implements store.Templates.
func (s *Store) UpdateTemplateVersion(ctx context.Context, p store.UpdateVersionParams) (store.TemplateVersion, error) {
	var out store.TemplateVersion
	err := s.inTx(ctx, "update template version", func(tx *sql.Tx) error {
		cur, err := getVersion(ctx, tx, p.Key)
		if err != nil {
			return err
		}
		if p.Status != nil && !slices.Contains(p.From, cur.Status) {
			out = cur
			return store.ErrConditionFailed
		}
		next := cur
		if p.CompatibleEnvironmentTemplates != nil {
			next.CompatibleEnvironmentTemplates = *p.CompatibleEnvironmentTemplates
		}
		if p.SupportedComponentSources != nil {
			next.SupportedComponentSources = *p.SupportedComponentSources
		}
		compat, comps, err := encodeServiceFields(next)
		if err != nil {
			return fmt.Errorf("sqlite: update template version: %w", err)
		}
		var status *string
		if p.Status != nil {
			st := string(*p.Status)
			status = &st
		}
		_, err = tx.ExecContext(ctx, `UPDATE template_versions AS v SET
				description = COALESCE(?, description),
				status = COALESCE(?, status),
				compatible_json = ?,
				component_sources_json = ?,
				last_modified_at_ms = ?
			WHERE `+versionWhere,
			append([]any{nullable(p.Description), nullable(status), compat, comps, ms(p.Now)}, versionArgs(p.Key)...)...)
		if err != nil {
			return fmt.Errorf("sqlite: update template version: %w", err)
		}
		out, err = getVersion(ctx, tx, p.Key)
		return err
	})
	return store.WithRow(out, err, store.ErrConditionFailed)
}

// DeleteTemplateVersion implements store.Templates.
func (s *Store) DeleteTemplateVersion(ctx context.Context, p store.DeleteVersionParams) (store.TemplateVersion, error) {
	var out store.TemplateVersion
	err := s.inTx(ctx, "delete template version", func(tx *sql.Tx) error {
		v, err := getVersion(ctx, tx, p.Key)
		if err != nil {
			return err
		}
		if v.Kind == store.EnvironmentTemplate {
			env, err := environmentOnVersion(ctx, tx, p.Key)
			if err != nil {
				return err
			}
			if env != "" {
				return &store.VersionInUseError{Kind: "environment", Name: env}
			}
		}
		all, err := listVersions(ctx, tx, "''", versionOfTemplate+` ORDER BY v.major, v.minor`, templateArgs(p.Key.TemplateKey))
		if err != nil {
			return err
		}
		if err := p.Allow(v, all); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM template_bundles WHERE version_id = ?`, v.ID); err != nil {
			return fmt.Errorf("sqlite: delete template version bundle: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM template_versions AS v WHERE `+versionWhere, versionArgs(p.Key)...); err != nil {
			return fmt.Errorf("sqlite: delete template version: %w", err)
		}
		out = v
		return deleteTagsAndTombstone(ctx, tx, p.Key.TemplateKey,
			strconv.FormatInt(p.Key.Major, 10)+"."+strconv.FormatInt(p.Key.Minor, 10), p.ARN, p.Now)
	})
	if err != nil {
		return store.TemplateVersion{}, err
	}
	return out, nil
}

// environmentOnVersion returns the name of an environment that runs on the
// environment template version k, or "". An environment also runs on the
// version it is leaving while a deployment to another version is in flight:
// a cancel sends it back there.
func environmentOnVersion(ctx context.Context, q queryer, k store.VersionKey) (string, error) {
	var name string
	major, minor := strconv.FormatInt(k.Major, 10), strconv.FormatInt(k.Minor, 10)
	err := q.QueryRowContext(ctx, `SELECT name FROM (
			SELECT name FROM environments
			WHERE account = ? AND region = ? AND template_name = ? AND template_major_version = ? AND template_minor_version = ?
			UNION
			SELECT environment_name FROM deployments
			WHERE account = ? AND region = ? AND status IN ('IN_PROGRESS', 'CANCELLING') AND has_initial_state = 1
			AND initial_template_name = ? AND initial_major_version = ? AND initial_minor_version = ?)
		ORDER BY name LIMIT 1`,
		k.Account, k.Region, k.Name, major, minor,
		k.Account, k.Region, k.Name, major, minor).Scan(&name)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("sqlite: environments on template version: %w", err)
	}
	return name, nil
}
