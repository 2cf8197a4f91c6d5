package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// CreateEnvironment implements store.Environments. The single writer
// serialises it, which is what makes the name check, the quota count and
// the links hold under concurrent calls.
func (s *Store) CreateEnvironment(ctx context.Context, p store.CreateEnvironmentParams) (store.Environment, error) {
	var out store.Environment
	e := p.Environment
	err := s.inTx(ctx, "create environment", func(tx *sql.Tx) error {
		prior, err := getEnvironment(ctx, tx, e.Account, e.Region, e.Name)
		switch {
		case err == nil:
			out = prior
			return store.ErrAlreadyExists
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM environments WHERE account = ? AND region = ?`,
			e.Account, e.Region).Scan(&n); err != nil {
			return fmt.Errorf("sqlite: create environment: count for quota: %w", err)
		}
		if n >= p.Quota {
			return store.ErrQuotaExceeded
		}
		if err := s.checkLinks(ctx, tx, e.Account, e.Region, p.Connection, &p.Template); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO environments (`+insertEnvironmentColumns+`)
			VALUES (`+marks(29)+`)`, environmentValues(e)...); err != nil {
			return fmt.Errorf("sqlite: insert environment %s: %w", e.Name, err)
		}
		if err := insertDeployment(ctx, tx, p.Deployment); err != nil {
			return err
		}
		if err := upsertTags(ctx, tx, p.ARN, p.Tags); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM environment_tombstones WHERE account = ? AND region = ? AND name = ?`,
			e.Account, e.Region, e.Name); err != nil {
			return fmt.Errorf("sqlite: create environment %s: clear tombstone: %w", e.Name, err)
		}
		out, err = getEnvironment(ctx, tx, e.Account, e.Region, e.Name)
		return err
	})
	return store.WithRow(out, err, store.ErrAlreadyExists)
}

// checkLinks checks the links a write asks for, inside its transaction.
func (s *Store) checkLinks(ctx context.Context, tx *sql.Tx, account, region string, conn *store.ConnectionLink, ver *store.VersionLink) error {
	if ver != nil {
		ok, err := versionPublished(ctx, tx, account, region, *ver)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrVersionUnusable
		}
	}
	if conn != nil {
		c, err := getConnection(ctx, txQ{s, tx}, region, conn.ID)
		if errors.Is(err, store.ErrNotFound) {
			return store.ErrConnectionUnusable
		}
		if err != nil {
			return err
		}
		if c.Status != store.StatusConnected || c.ManagementAccountID != conn.ManagementAccountID ||
			c.EnvironmentAccountID != conn.EnvironmentAccountID || c.EnvironmentName != conn.EnvironmentName {
			return store.ErrConnectionUnusable
		}
	}
	return nil
}

// versionPublished reports whether the environment template version exists
// and is PUBLISHED (see store.Templates on the environments table).
func versionPublished(ctx context.Context, q queryer, account, region string, v store.VersionLink) (bool, error) {
	major, err1 := strconv.ParseInt(v.MajorVersion, 10, 64)
	minor, err2 := strconv.ParseInt(v.MinorVersion, 10, 64)
	if err1 != nil || err2 != nil {
		return false, nil
	}
	var status string
	err := q.QueryRowContext(ctx, `SELECT status FROM template_versions
		WHERE account = ? AND region = ? AND kind = 'ENVIRONMENT' AND template_name = ? AND major = ? AND minor = ?`,
		account, region, v.TemplateName, major, minor).Scan(&status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("sqlite: read template version %s:%s.%s: %w", v.TemplateName, v.MajorVersion, v.MinorVersion, err)
	}
	return status == string(store.VersionPublished), nil
}

// GetEnvironment implements store.Environments.
func (s *Store) GetEnvironment(ctx context.Context, account, region, name string) (store.Environment, error) {
	return getEnvironment(ctx, s.reader, account, region, name)
}

// ListEnvironments implements store.Environments.
func (s *Store) ListEnvironments(ctx context.Context, q store.ListEnvironmentsQuery) ([]store.Environment, error) {
	out := []store.Environment{}
	if q.Limit <= 0 {
		return out, nil
	}
	var b strings.Builder
	b.WriteString(`SELECT ` + environmentColumns + ` FROM environments WHERE account = ? AND region = ? AND name > ?`)
	args := []any{q.Account, q.Region, q.After}
	if len(q.Templates) > 0 {
		var ors []string
		for _, f := range q.Templates {
			ors = append(ors, `(template_name = ? AND template_major_version = ?)`)
			args = append(args, f.TemplateName, f.MajorVersion)
		}
		b.WriteString(` AND (` + strings.Join(ors, ` OR `) + `)`)
	}
	b.WriteString(` ORDER BY name LIMIT ?`)
	args = append(args, q.Limit)
	rows, err := s.reader.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list environments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEnvironment(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list environments: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list environments: %w", err)
	}
	return out, nil
}

// UpdateEnvironment implements store.Environments.
func (s *Store) UpdateEnvironment(ctx context.Context, p store.UpdateEnvironmentParams) (store.Environment, error) {
	var out store.Environment
	e := p.Environment
	err := s.inTx(ctx, "update environment", func(tx *sql.Tx) error {
		cur, err := getEnvironment(ctx, tx, e.Account, e.Region, e.Name)
		if err != nil {
			return err
		}
		if cur.Version != p.ExpectVersion {
			out = cur
			return store.ErrConditionFailed
		}
		if err := s.checkLinks(ctx, tx, e.Account, e.Region, p.Connection, p.Template); err != nil {
			return err
		}
		e.Version = p.ExpectVersion + 1
		set := strings.ReplaceAll(insertEnvironmentColumns, "\n", " ")
		var assigns []string
		for _, c := range strings.Split(set, ",") {
			assigns = append(assigns, strings.TrimSpace(c)+" = ?")
		}
		args := append(environmentValues(e), e.Account, e.Region, e.Name)
		if _, err := tx.ExecContext(ctx, `UPDATE environments SET `+strings.Join(assigns, ", ")+`
			WHERE account = ? AND region = ? AND name = ?`, args...); err != nil {
			return fmt.Errorf("sqlite: update environment %s: %w", e.Name, err)
		}
		if p.Deployment != nil {
			if err := insertDeployment(ctx, tx, *p.Deployment); err != nil {
				return err
			}
		}
		out, err = getEnvironment(ctx, tx, e.Account, e.Region, e.Name)
		return err
	})
	return store.WithRow(out, err, store.ErrConditionFailed)
}

// GetEnvironmentTombstone implements store.Environments.
func (s *Store) GetEnvironmentTombstone(ctx context.Context, account, region, name string) (time.Time, error) {
	var deleted int64
	err := s.reader.QueryRowContext(ctx, `SELECT deleted_at_ms FROM environment_tombstones
		WHERE account = ? AND region = ? AND name = ?`, account, region, name).Scan(&deleted)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, store.ErrNotFound
	case err != nil:
		return time.Time{}, fmt.Errorf("sqlite: get environment tombstone %s: %w", name, err)
	}
	return fromMS(deleted), nil
}

// PurgeEnvironmentTombstones implements store.Environments.
func (s *Store) PurgeEnvironmentTombstones(ctx context.Context, before time.Time) error {
	return s.inTx(ctx, "purge environment tombstones", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM environment_tombstones WHERE deleted_at_ms < ?`, ms(before)); err != nil {
			return fmt.Errorf("sqlite: purge environment tombstones: %w", err)
		}
		return nil
	})
}

const accountSettingsColumns = `pipeline_service_role_arn, pipeline_codebuild_role_arn,
	repository_provider, repository_name, repository_branch`

func getAccountSettings(ctx context.Context, q queryer, account, region string) (store.AccountSettings, error) {
	var a store.AccountSettings
	err := q.QueryRowContext(ctx, `SELECT `+accountSettingsColumns+` FROM account_settings WHERE account = ? AND region = ?`,
		account, region).Scan(&a.PipelineServiceRoleArn, &a.PipelineCodebuildRoleArn,
		&a.PipelineProvisioningRepository.Provider, &a.PipelineProvisioningRepository.Name, &a.PipelineProvisioningRepository.Branch)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.AccountSettings{}, nil
	case err != nil:
		return store.AccountSettings{}, fmt.Errorf("sqlite: get account settings: %w", err)
	}
	return a, nil
}

// GetAccountSettings implements store.Environments.
func (s *Store) GetAccountSettings(ctx context.Context, account, region string) (store.AccountSettings, error) {
	return getAccountSettings(ctx, s.reader, account, region)
}

// UpdateAccountSettings implements store.Environments.
func (s *Store) UpdateAccountSettings(ctx context.Context, account, region string, u store.AccountSettingsUpdate) (store.AccountSettings, error) {
	var out store.AccountSettings
	err := s.inTx(ctx, "update account settings", func(tx *sql.Tx) error {
		cur, err := getAccountSettings(ctx, tx, account, region)
		if err != nil {
			return err
		}
		a := u.Apply(cur)
		_, err = tx.ExecContext(ctx, `INSERT INTO account_settings (account, region, `+accountSettingsColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, region) DO UPDATE SET
				pipeline_service_role_arn = excluded.pipeline_service_role_arn,
				pipeline_codebuild_role_arn = excluded.pipeline_codebuild_role_arn,
				repository_provider = excluded.repository_provider,
				repository_name = excluded.repository_name,
				repository_branch = excluded.repository_branch`,
			account, region, a.PipelineServiceRoleArn, a.PipelineCodebuildRoleArn,
			a.PipelineProvisioningRepository.Provider, a.PipelineProvisioningRepository.Name, a.PipelineProvisioningRepository.Branch)
		if err != nil {
			return fmt.Errorf("sqlite: update account settings: %w", err)
		}
		out = a
		return nil
	})
	return out, err
}

// CountResources implements store.Environments.
func (s *Store) CountResources(ctx context.Context, account, region string) (store.ResourceCounts, error) {
	var c store.ResourceCounts
	err := s.reader.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM environments WHERE account = ? AND region = ?),
		(SELECT COUNT(*) FROM templates WHERE account = ? AND region = ? AND kind = 'ENVIRONMENT'),
		(SELECT COUNT(*) FROM templates WHERE account = ? AND region = ? AND kind = 'SERVICE')`,
		account, region, account, region, account, region).Scan(&c.Environments, &c.EnvironmentTemplates, &c.ServiceTemplates)
	if err != nil {
		return store.ResourceCounts{}, fmt.Errorf("sqlite: count resources: %w", err)
	}
	return c, nil
}
