package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/openproton/openproton/internal/store"
)

// versionColumns is what scanVersion reads; schema is the schema column or
// ” (lists never read schemas). The recommended minor is computed on every
// read, like a template's recommended version.
func versionColumns(schema string) string {
	return `v.account, v.region, v.kind, v.template_name, v.major, v.minor, v.id, v.status, v.status_message,
	v.description, v.source_bucket, v.source_key, ` + schema + `, v.compatible_json, v.component_sources_json,
	v.created_at_ms, v.last_modified_at_ms,
	(SELECT max(p.minor) FROM template_versions p
		WHERE p.account = v.account AND p.region = v.region AND p.kind = v.kind AND p.template_name = v.template_name
		AND p.major = v.major AND p.status = 'PUBLISHED')`
}

const (
	versionOfTemplate = `v.account = $1 AND v.region = $2 AND v.kind = $3 AND v.template_name = $4`
	versionWhere      = versionOfTemplate + ` AND v.major = $5 AND v.minor = $6`
)

func versionArgs(k store.VersionKey) []any {
	return append(templateArgs(k.TemplateKey), k.Major, k.Minor)
}

func scanVersion(row scanner, extra ...any) (store.TemplateVersion, error) {
	var (
		v                 store.TemplateVersion
		kind, status      string
		compat, comps     string
		created, modified int64
		recMinor          *int64
	)
	dest := []any{&v.Account, &v.Region, &kind, &v.Name, &v.Major, &v.Minor, &v.ID, &status, &v.StatusMessage,
		&v.Description, &v.SourceBucket, &v.SourceKey, &v.Schema, &compat, &comps, &created, &modified, &recMinor}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return store.TemplateVersion{}, err
	}
	v.Kind, v.Status = store.TemplateKind(kind), store.VersionStatus(status)
	v.CreatedAt, v.LastModifiedAt = fromMillis(created), fromMillis(modified)
	v.RecommendedMinor = recMinor
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
		return fmt.Errorf("postgres: version %s: compatible templates: %w", v.ID, err)
	}
	v.CompatibleEnvironmentTemplates = make([]store.CompatibleTemplate, len(cs))
	for i, c := range cs {
		v.CompatibleEnvironmentTemplates[i] = store.CompatibleTemplate{Name: c.Name, Major: c.Major}
	}
	v.SupportedComponentSources = []string{}
	if err := json.Unmarshal([]byte(comps), &v.SupportedComponentSources); err != nil {
		return fmt.Errorf("postgres: version %s: component sources: %w", v.ID, err)
	}
	return nil
}

// getVersion reads a version with its schema; lock, when set, is a
// row-locking clause.
func getVersion(ctx context.Context, q querier, k store.VersionKey, lock string) (store.TemplateVersion, error) {
	v, err := scanVersion(q.QueryRow(ctx, `SELECT `+versionColumns("v.schema_text")+
		` FROM template_versions v WHERE `+versionWhere+` `+lock, versionArgs(k)...))
	if isNoRows(err) {
		return store.TemplateVersion{}, store.ErrNotFound
	}
	if err != nil {
		return store.TemplateVersion{}, fmt.Errorf("postgres: read template version: %w", err)
	}
	return v, nil
}

func getVersionByID(ctx context.Context, q querier, id string) (store.TemplateVersion, error) {
	v, err := scanVersion(q.QueryRow(ctx, `SELECT `+versionColumns("v.schema_text")+
		` FROM template_versions v WHERE v.id = $1`, id))
	if isNoRows(err) {
		return store.TemplateVersion{}, store.ErrNotFound
	}
	if err != nil {
		return store.TemplateVersion{}, fmt.Errorf("postgres: read template version: %w", err)
	}
	return v, nil
}

// GetTemplateVersion returns a version, with its bundle if asked, read in
// one statement so that the two always belong together.
func (s *Store) GetTemplateVersion(ctx context.Context, k store.VersionKey, withBundle bool) (store.TemplateVersion, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if !withBundle {
		return getVersion(ctx, s.pool, k, "")
	}
	var bundle []byte
	v, err := scanVersion(s.pool.QueryRow(ctx, `SELECT `+versionColumns("v.schema_text")+`, b.bundle
		FROM template_versions v LEFT JOIN template_bundles b ON b.version_id = v.id WHERE `+versionWhere,
		versionArgs(k)...), &bundle)
	if isNoRows(err) {
		return store.TemplateVersion{}, store.ErrNotFound
	}
	if err != nil {
		return store.TemplateVersion{}, fmt.Errorf("postgres: read template version: %w", err)
	}
	v.Bundle = bundle
	return v, nil
}

// CreateTemplateVersion stores a new version as store.Templates describes.
func (s *Store) CreateTemplateVersion(ctx context.Context, p store.CreateVersionParams) (store.TemplateVersion, bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var (
		out      store.TemplateVersion
		replayed bool
	)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if p.Token != nil {
			// Two creates with one token may name different templates, so
			// the template lock alone does not order them.
			k := p.Token.Key
			if err := lockScopes(ctx, tx, lockClassTemplateToken, lockKey(k.Account, k.Region, k.Operation, k.Token)); err != nil {
				return err
			}
			prior, ok, err := replayVersion(ctx, tx, p)
			if err != nil {
				return err
			}
			if ok {
				out, replayed = prior, true
				return nil
			}
		}
		// Creates of one template take turns on its row: each computes its
		// number and counts the quota after the one before committed.
		if err := lockTemplate(ctx, tx, p.Template); err != nil {
			return err
		}
		var (
			count    int
			maxMajor *int64
		)
		if err := tx.QueryRow(ctx, `SELECT count(*), max(major) FROM template_versions v WHERE `+versionOfTemplate,
			templateArgs(p.Template)...).Scan(&count, &maxMajor); err != nil {
			return fmt.Errorf("postgres: count template versions: %w", err)
		}
		if count >= p.Quota {
			return store.ErrQuotaExceeded
		}
		n := store.VersionNumber{Major: 1}
		if maxMajor != nil {
			n.Major = *maxMajor + 1
		}
		if p.Major != nil {
			var maxMinor *int64
			if err := tx.QueryRow(ctx, `SELECT max(minor) FROM template_versions v WHERE `+versionOfTemplate+` AND v.major = $5`,
				append(templateArgs(p.Template), *p.Major)...).Scan(&maxMinor); err != nil {
				return fmt.Errorf("postgres: highest minor version: %w", err)
			}
			if maxMinor == nil {
				return store.ErrNoSuchMajor
			}
			n = store.VersionNumber{Major: *p.Major, Minor: *maxMinor + 1}
		}
		v := p.Version
		v.VersionKey = store.VersionKey{TemplateKey: p.Template, VersionNumber: n}
		compat, comps, err := encodeServiceFields(v)
		if err != nil {
			return fmt.Errorf("postgres: create template version: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO template_versions (account, region, kind, template_name, major, minor,
			id, status, description, source_bucket, source_key, compatible_json, component_sources_json,
			created_at_ms, last_modified_at_ms, due_at_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'REGISTRATION_IN_PROGRESS', $8, $9, $10, $11, $12, $13, $14, $15)`,
			append(versionArgs(v.VersionKey), v.ID, v.Description, v.SourceBucket, v.SourceKey, compat, comps,
				millis(v.CreatedAt), millis(v.LastModifiedAt), millis(p.Now))...)
		if err != nil {
			return fmt.Errorf("postgres: insert template version: %w", err)
		}
		if err := upsertTags(ctx, tx, p.ARN(n), p.Tags); err != nil {
			return err
		}
		if p.Token != nil {
			k := p.Token.Key
			_, err := tx.Exec(ctx, `INSERT INTO idempotency_tokens
				(account, region, operation, token, fingerprint, resource_id, expires_at_ms)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (account, region, operation, token) DO UPDATE
				SET fingerprint = EXCLUDED.fingerprint, resource_id = EXCLUDED.resource_id,
					expires_at_ms = EXCLUDED.expires_at_ms`,
				k.Account, k.Region, k.Operation, k.Token, p.Token.Fingerprint, v.ID, millis(p.Token.ExpiresAt))
			if err != nil {
				return fmt.Errorf("postgres: record client token: %w", err)
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

// replayVersion looks up a live client token: a fingerprint mismatch fails;
// the version the token created is returned if it still exists.
func replayVersion(ctx context.Context, tx pgx.Tx, p store.CreateVersionParams) (store.TemplateVersion, bool, error) {
	k := p.Token.Key
	var fingerprint, id string
	err := tx.QueryRow(ctx, `SELECT fingerprint, resource_id FROM idempotency_tokens
		WHERE account = $1 AND region = $2 AND operation = $3 AND token = $4 AND expires_at_ms > $5`,
		k.Account, k.Region, k.Operation, k.Token, millis(p.Now)).Scan(&fingerprint, &id)
	if isNoRows(err) {
		return store.TemplateVersion{}, false, nil
	}
	if err != nil {
		return store.TemplateVersion{}, false, fmt.Errorf("postgres: read client token: %w", err)
	}
	if fingerprint != p.Token.Fingerprint {
		return store.TemplateVersion{}, false, store.ErrIdempotencyMismatch
	}
	v, err := getVersionByID(ctx, tx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.TemplateVersion{}, false, nil
	}
	if err != nil {
		return store.TemplateVersion{}, false, err
	}
	return v, true, nil
}

func listVersions(ctx context.Context, q querier, schema, where string, args []any) ([]store.TemplateVersion, error) {
	rows, err := q.Query(ctx, `SELECT `+versionColumns(schema)+` FROM template_versions v WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list template versions: %w", err)
	}
	vs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.TemplateVersion, error) { return scanVersion(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list template versions: %w", err)
	}
	return vs, nil
}

// ListTemplateVersions returns one page of a template's versions in number
// order.
func (s *Store) ListTemplateVersions(ctx context.Context, q store.ListVersionsQuery) ([]store.TemplateVersion, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if _, err := getTemplate(ctx, s.pool, q.Template, ""); err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		return []store.TemplateVersion{}, nil
	}
	where := versionOfTemplate
	args := templateArgs(q.Template)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.Major != nil {
		where += ` AND v.major = ` + arg(*q.Major)
	}
	if q.After != nil {
		where += ` AND (v.major, v.minor) > (` + arg(q.After.Major) + `::bigint, ` + arg(q.After.Minor) + `::bigint)`
	}
	where += ` ORDER BY v.major, v.minor LIMIT ` + arg(q.Limit)
	return listVersions(ctx, s.pool, "''", where, args)
}

// lockVersion locks a version for a write to it: its template's row first,
// as every write to a template's versions does, then its own row.
func lockVersion(ctx context.Context, tx pgx.Tx, k store.VersionKey) (store.TemplateVersion, error) {
	if err := lockTemplate(ctx, tx, k.TemplateKey); err != nil {
		return store.TemplateVersion{}, err
	}
	return getVersion(ctx, tx, k, "FOR UPDATE")
}

// UpdateTemplateVersion changes a version under the template's lock.
func (s *Store) UpdateTemplateVersion(ctx context.Context, p store.UpdateVersionParams) (store.TemplateVersion, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var out store.TemplateVersion
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := lockVersion(ctx, tx, p.Key)
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
			return fmt.Errorf("postgres: update template version: %w", err)
		}
		var status *string
		if p.Status != nil {
			st := string(*p.Status)
			status = &st
		}
		_, err = tx.Exec(ctx, `UPDATE template_versions v SET
				description = COALESCE($7, description),
				status = COALESCE($8, status),
				compatible_json = $9,
				component_sources_json = $10,
				last_modified_at_ms = $11
			WHERE `+versionWhere,
			append(versionArgs(p.Key), p.Description, status, compat, comps, millis(p.Now))...)
		if err != nil {
			return fmt.Errorf("postgres: update template version: %w", err)
		}
		out, err = getVersion(ctx, tx, p.Key, "")
		return err
	})
	return store.WithRow(out, err, store.ErrConditionFailed)
}

// DeleteTemplateVersion removes a version under the template's lock, with
// the version's row locked FOR UPDATE before environments are read (see the
// environments table in 0002_templates.sql).
func (s *Store) DeleteTemplateVersion(ctx context.Context, p store.DeleteVersionParams) (store.TemplateVersion, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var out store.TemplateVersion
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		v, err := lockVersion(ctx, tx, p.Key)
		if err != nil {
			return err
		}
		if v.Kind == store.EnvironmentTemplate {
			var env string
			// An environment also runs on the version it is leaving while a
			// deployment to another version is in flight: a cancel sends it
			// back there.
			err := tx.QueryRow(ctx, `SELECT name FROM (
					SELECT name FROM environments
					WHERE account = $1 AND region = $2 AND template_name = $3
					AND template_major_version = $4 AND template_minor_version = $5
					UNION
					SELECT environment_name FROM deployments
					WHERE account = $1 AND region = $2 AND status IN ('IN_PROGRESS', 'CANCELLING') AND has_initial_state
					AND initial_template_name = $3 AND initial_major_version = $4 AND initial_minor_version = $5) AS users
				ORDER BY name LIMIT 1`,
				p.Key.Account, p.Key.Region, p.Key.Name,
				strconv.FormatInt(p.Key.Major, 10), strconv.FormatInt(p.Key.Minor, 10)).Scan(&env)
			switch {
			case err == nil:
				return &store.VersionInUseError{Kind: "environment", Name: env}
			case !isNoRows(err):
				return fmt.Errorf("postgres: environments on template version: %w", err)
			}
		}
		all, err := listVersions(ctx, tx, "''", versionOfTemplate+` ORDER BY v.major, v.minor`, templateArgs(p.Key.TemplateKey))
		if err != nil {
			return err
		}
		if err := p.Allow(v, all); err != nil {
			return err
		}
		// The bundle goes with the version (ON DELETE CASCADE).
		if _, err := tx.Exec(ctx, `DELETE FROM template_versions v WHERE `+versionWhere, versionArgs(p.Key)...); err != nil {
			return fmt.Errorf("postgres: delete template version: %w", err)
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
