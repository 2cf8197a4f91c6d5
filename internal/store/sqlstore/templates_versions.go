package sqlstore

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/openproton/openproton/internal/store"
)

// versionColumns is what scanVersion reads; schema is the schema column or
// an empty string literal (lists never read schemas). The recommended minor is computed on every
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
	versionOfTemplate = `v.account = ? AND v.region = ? AND v.kind = ? AND v.template_name = ?`
	versionWhere      = versionOfTemplate + ` AND v.major = ? AND v.minor = ?`
)

func versionArgs(k store.VersionKey) []any {
	return append(templateArgs(k.TemplateKey), k.Major, k.Minor)
}

// scanVersion reads a row of versionColumns, followed by extra.
func (s *Store) scanVersion(row Row, extra ...any) (store.TemplateVersion, error) {
	var (
		v                 store.TemplateVersion
		kind, status      string
		compat, comps     string
		created, modified int64
	)
	err := row.Scan(append([]any{&v.Account, &v.Region, &kind, &v.Name, &v.Major, &v.Minor, &v.ID, &status,
		&v.StatusMessage, &v.Description, &v.SourceBucket, &v.SourceKey, &v.Schema, &compat, &comps, &created, &modified,
		&v.RecommendedMinor}, extra...)...)
	if err != nil {
		return store.TemplateVersion{}, err
	}
	v.Kind, v.Status = store.TemplateKind(kind), store.VersionStatus(status)
	v.CreatedAt, v.LastModifiedAt = fromMS(created), fromMS(modified)
	if v.Kind != store.ServiceTemplate {
		return v, nil
	}
	var cs []compatibleJSON
	if err := json.Unmarshal([]byte(compat), &cs); err != nil {
		return store.TemplateVersion{}, s.errorf("version %s: compatible templates: %w", v.ID, err)
	}
	v.CompatibleEnvironmentTemplates = make([]store.CompatibleTemplate, len(cs))
	for i, c := range cs {
		v.CompatibleEnvironmentTemplates[i] = store.CompatibleTemplate(c)
	}
	v.SupportedComponentSources = []string{}
	if err := json.Unmarshal([]byte(comps), &v.SupportedComponentSources); err != nil {
		return store.TemplateVersion{}, s.errorf("version %s: component sources: %w", v.ID, err)
	}
	return v, nil
}

// compatibleJSON is how a compatibleEnvironmentTemplates entry is kept.
type compatibleJSON struct {
	Name  string `json:"name"`
	Major int64  `json:"major"`
}

// serviceFields returns the stored form of a version's service fields,
// empty for environment template versions.
func serviceFields(v store.TemplateVersion) (compat, comps string) {
	if v.Kind != store.ServiceTemplate {
		return "", ""
	}
	cs := make([]compatibleJSON, len(v.CompatibleEnvironmentTemplates))
	for i, c := range v.CompatibleEnvironmentTemplates {
		cs[i] = compatibleJSON(c)
	}
	sources := v.SupportedComponentSources
	if sources == nil {
		sources = []string{}
	}
	// Neither can fail: a slice of plain structs, a slice of strings.
	b, _ := json.Marshal(cs)
	c, _ := json.Marshal(sources)
	return string(b), string(c)
}

// getVersion reads the version that where and args select, with its
// schema, with a row lock when lock is not "".
func (s *Store) getVersion(ctx context.Context, q Q, lock, where string, args ...any) (store.TemplateVersion, error) {
	v, err := s.scanVersion(q.QueryRow(ctx, `SELECT `+versionColumns("v.schema_text")+
		` FROM template_versions v WHERE `+where+` `+lock, args...))
	return found(s, v, err, "get template version")
}

// GetTemplateVersion implements store.Templates. A version and its bundle
// are read in one statement, so that the two always belong together.
func (s *Store) GetTemplateVersion(ctx context.Context, k store.VersionKey, withBundle bool) (store.TemplateVersion, error) {
	if !withBundle {
		return s.getVersion(ctx, s.e.Reads(), "", versionWhere, versionArgs(k)...)
	}
	var bundle []byte
	v, err := s.scanVersion(s.e.Reads().QueryRow(ctx, `SELECT `+versionColumns("v.schema_text")+`, b.bundle
		FROM template_versions v LEFT JOIN template_bundles b ON b.version_id = v.id WHERE `+versionWhere,
		versionArgs(k)...), &bundle)
	v.Bundle = bundle
	return found(s, v, err, "get template version")
}

// CreateTemplateVersion implements store.Templates. Two creates with one
// token may name different templates, so a scope lock of the token orders
// them; creates of one template then take turns on its row, each numbering
// and counting after the one before committed.
func (s *Store) CreateTemplateVersion(ctx context.Context, p store.CreateVersionParams) (out store.TemplateVersion, replayed bool, err error) {
	err = s.e.InTx(ctx, "create template version", func(tx Q) error {
		if p.Token != nil {
			k := p.Token.Key
			if err := s.e.LockScopes(ctx, tx, LockVersionToken, []string{k.Account, k.Region, k.Operation, k.Token}); err != nil {
				return err
			}
		}
		out, replayed, err = withToken(ctx, s, tx, p.Token, p.Now,
			func(id string) (store.TemplateVersion, error) { return s.getVersion(ctx, tx, "", `v.id = ?`, id) },
			func() (store.TemplateVersion, string, error) {
				v, err := s.insertVersion(ctx, tx, p)
				return v, v.ID, err
			})
		return err
	})
	if err != nil {
		return store.TemplateVersion{}, false, err
	}
	return out, replayed, nil
}

// insertVersion numbers and inserts a new version with its tags and its
// registration job.
func (s *Store) insertVersion(ctx context.Context, tx Q, p store.CreateVersionParams) (store.TemplateVersion, error) {
	if err := s.lockTemplate(ctx, tx, p.Template); err != nil {
		return store.TemplateVersion{}, err
	}
	var (
		count    int
		maxMajor *int64
	)
	if err := tx.QueryRow(ctx, `SELECT count(*), max(major) FROM template_versions v WHERE `+versionOfTemplate,
		templateArgs(p.Template)...).Scan(&count, &maxMajor); err != nil {
		return store.TemplateVersion{}, s.errorf("count template versions: %w", err)
	}
	if count >= p.Quota {
		return store.TemplateVersion{}, store.ErrQuotaExceeded
	}
	n := store.VersionNumber{Major: 1}
	if maxMajor != nil {
		n.Major = *maxMajor + 1
	}
	if p.Major != nil {
		var maxMinor *int64
		if err := tx.QueryRow(ctx, `SELECT max(minor) FROM template_versions v WHERE `+versionOfTemplate+` AND v.major = ?`,
			append(templateArgs(p.Template), *p.Major)...).Scan(&maxMinor); err != nil {
			return store.TemplateVersion{}, s.errorf("highest minor version: %w", err)
		}
		if maxMinor == nil {
			return store.TemplateVersion{}, store.ErrNoSuchMajor
		}
		n = store.VersionNumber{Major: *p.Major, Minor: *maxMinor + 1}
	}
	v := p.Version
	v.VersionKey = store.VersionKey{TemplateKey: p.Template, VersionNumber: n}
	compat, comps := serviceFields(v)
	if _, err := tx.Exec(ctx, `INSERT INTO template_versions (account, region, kind, template_name, major, minor,
		id, status, description, source_bucket, source_key, compatible_json, component_sources_json,
		created_at_ms, last_modified_at_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'REGISTRATION_IN_PROGRESS', ?, ?, ?, ?, ?, ?, ?)`,
		append(versionArgs(v.VersionKey), v.ID, v.Description, v.SourceBucket, v.SourceKey, compat, comps,
			ms(v.CreatedAt), ms(v.LastModifiedAt))...); err != nil {
		return store.TemplateVersion{}, s.errorf("create template version %s: %w", v.ID, err)
	}
	if err := s.upsertTags(ctx, tx, p.ARN(n), p.Tags); err != nil {
		return store.TemplateVersion{}, err
	}
	if err := s.enqueue(ctx, tx, registrationJob(v.VersionKey, v.ID, p.Now)); err != nil {
		return store.TemplateVersion{}, err
	}
	return s.getVersion(ctx, tx, "", `v.id = ?`, v.ID)
}

// listVersions reads the versions that where and args select, with schemas
// when schema is the schema column.
func (s *Store) listVersions(ctx context.Context, q Q, schema, where string, args ...any) ([]store.TemplateVersion, error) {
	rows, err := q.Query(ctx, `SELECT `+versionColumns(schema)+` FROM template_versions v WHERE `+where, args...)
	out, err := collect(rows, err, func(r Row) (store.TemplateVersion, error) { return s.scanVersion(r) })
	if err != nil {
		return nil, s.errorf("list template versions: %w", err)
	}
	return out, nil
}

// ListTemplateVersions implements store.Templates: a range of the primary
// key, starting at the cursor.
func (s *Store) ListTemplateVersions(ctx context.Context, q store.ListVersionsQuery) ([]store.TemplateVersion, error) {
	if _, err := s.getTemplate(ctx, s.e.Reads(), q.Template, ""); err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		return []store.TemplateVersion{}, nil
	}
	where, args := versionOfTemplate, templateArgs(q.Template)
	if q.Major != nil {
		where += ` AND v.major = ?`
		args = append(args, *q.Major)
	}
	if q.After != nil {
		where += ` AND (v.major, v.minor) > (?, ?)`
		args = append(args, q.After.Major, q.After.Minor)
	}
	return s.listVersions(ctx, s.e.Reads(), "''", where+` ORDER BY v.major, v.minor LIMIT ?`, append(args, q.Limit)...)
}

// lockVersion locks a version for a write to it: its template's row first,
// as every write to a template's versions does, then its own row.
func (s *Store) lockVersion(ctx context.Context, tx Q, k store.VersionKey) (store.TemplateVersion, error) {
	if err := s.lockTemplate(ctx, tx, k.TemplateKey); err != nil {
		return store.TemplateVersion{}, err
	}
	return s.getVersion(ctx, tx, s.e.Lock(ForUpdate), versionWhere, versionArgs(k)...)
}

// UpdateTemplateVersion implements store.Templates. A version leaves
// REGISTRATION_IN_PROGRESS only through its registration job, which ends
// with it.
func (s *Store) UpdateTemplateVersion(ctx context.Context, p store.UpdateVersionParams) (store.TemplateVersion, error) {
	var out store.TemplateVersion
	err := s.e.InTx(ctx, "update template version", func(tx Q) error {
		cur, err := s.lockVersion(ctx, tx, p.Key)
		if err != nil {
			return err
		}
		var status any
		if p.Status != nil {
			if !slices.Contains(p.From, cur.Status) || cur.Status == store.VersionRegistering || *p.Status == store.VersionRegistering {
				out = cur
				return store.ErrConditionFailed
			}
			status = string(*p.Status)
		}
		if p.CompatibleEnvironmentTemplates != nil {
			cur.CompatibleEnvironmentTemplates = *p.CompatibleEnvironmentTemplates
			if err := s.instancesOutside(ctx, tx, p.Key, cur.CompatibleEnvironmentTemplates); err != nil {
				return err
			}
		}
		if p.SupportedComponentSources != nil {
			cur.SupportedComponentSources = *p.SupportedComponentSources
		}
		compat, comps := serviceFields(cur)
		if _, err := tx.Exec(ctx, `UPDATE template_versions AS v SET description = COALESCE(?, description),
			status = COALESCE(?, status), compatible_json = ?, component_sources_json = ?, last_modified_at_ms = ?
			WHERE `+versionWhere,
			append([]any{nullable(p.Description), status, compat, comps, ms(p.Now)}, versionArgs(p.Key)...)...); err != nil {
			return s.errorf("update template version: %w", err)
		}
		out, err = s.getVersion(ctx, tx, "", versionWhere, versionArgs(p.Key)...)
		return err
	})
	return store.WithRow(out, err, store.ErrConditionFailed)
}

// DeleteTemplateVersion implements store.Templates. The version's row is
// locked FOR UPDATE before environments are read, so that a link to it
// (which reads it FOR SHARE) either committed before and is seen, or waits
// and then finds it gone. Its bundle goes with it (ON DELETE CASCADE), and
// so does its registration job.
func (s *Store) DeleteTemplateVersion(ctx context.Context, p store.DeleteVersionParams) (store.TemplateVersion, error) {
	var out store.TemplateVersion
	err := s.e.InTx(ctx, "delete template version", func(tx Q) error {
		v, err := s.lockVersion(ctx, tx, p.Key)
		if err != nil {
			return err
		}
		onVersion := s.environmentOnVersion
		if v.Kind == store.ServiceTemplate {
			onVersion = s.serviceOnVersion
		}
		if err := onVersion(ctx, tx, p.Key); err != nil {
			return err
		}
		all, err := s.listVersions(ctx, tx, "''", versionOfTemplate+` ORDER BY v.major, v.minor`, templateArgs(p.Key.TemplateKey)...)
		if err != nil {
			return err
		}
		if err := p.Allow(v, all); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM template_versions AS v WHERE `+versionWhere, versionArgs(p.Key)...); err != nil {
			return s.errorf("delete template version: %w", err)
		}
		if err := s.dropJob(ctx, tx, store.JobKey{Region: v.Region, Kind: store.JobRegistration, ID: v.ID}); err != nil {
			return err
		}
		out = v
		return s.templateGone(ctx, tx, p.Key.TemplateKey, p.Key.Name+":"+number(p.Key.VersionNumber), p.ARN, p.Now)
	})
	if err != nil {
		return store.TemplateVersion{}, err
	}
	return out, nil
}

// number is a version number as the API and the environments table write
// it.
func number(n store.VersionNumber) string {
	return strconv.FormatInt(n.Major, 10) + "." + strconv.FormatInt(n.Minor, 10)
}

// environmentOnVersion returns a *store.VersionInUseError naming an
// environment that runs on the environment template version k. An
// environment also runs on the version it is leaving while a deployment to
// another version is in flight: a cancel sends it back there.
func (s *Store) environmentOnVersion(ctx context.Context, tx Q, k store.VersionKey) error {
	var name string
	major, minor := strconv.FormatInt(k.Major, 10), strconv.FormatInt(k.Minor, 10)
	err := tx.QueryRow(ctx, `SELECT name FROM (
			SELECT name FROM environments
			WHERE account = ? AND region = ? AND template_name = ? AND template_major_version = ? AND template_minor_version = ?
			UNION
			SELECT environment_name FROM deployments
			WHERE account = ? AND region = ? AND status IN ('IN_PROGRESS', 'CANCELLING') AND has_initial_state = ?
			AND initial_template_name = ? AND initial_major_version = ? AND initial_minor_version = ?) AS users
		ORDER BY name LIMIT 1`,
		k.Account, k.Region, k.Name, major, minor, k.Account, k.Region, true, k.Name, major, minor).Scan(&name)
	if err := s.read(err, nil, "environments on template version"); err != nil || name == "" {
		return err
	}
	return &store.VersionInUseError{Kind: "environment", Name: name}
}
