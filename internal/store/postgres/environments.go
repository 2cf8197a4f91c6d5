package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openproton/openproton/internal/store"
)

// CreateEnvironment stores a new environment with its first deployment and
// its tags, as store.Environments describes.
func (s *Store) CreateEnvironment(ctx context.Context, p store.CreateEnvironmentParams) (store.Environment, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	e := p.Environment
	var out store.Environment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// Creates of one (account, region) queue on an advisory lock, for the
		// same reason as connection creates: the quota is a count, and a
		// count is no row to lock. It also settles racing creates of a name.
		if err := lockScopes(ctx, tx, lockClassEnvironmentCreate, lockKey(e.Account, e.Region)); err != nil {
			return err
		}
		prior, err := getEnvironment(ctx, tx, e.Account, e.Region, e.Name, "")
		switch {
		case err == nil:
			out = prior
			return store.ErrAlreadyExists
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM environments WHERE account = $1 AND region = $2`,
			e.Account, e.Region).Scan(&n); err != nil {
			return fmt.Errorf("postgres: count environments: %w", err)
		}
		if n >= p.Quota {
			return store.ErrQuotaExceeded
		}
		if err := checkLinks(ctx, tx, e.Account, e.Region, p.Connection, &p.Template); err != nil {
			return err
		}
		if err := insertEnvironment(ctx, tx, e); err != nil {
			return err
		}
		if err := insertDeployment(ctx, tx, p.Deployment); err != nil {
			return err
		}
		if err := upsertTags(ctx, tx, p.ARN, p.Tags); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM environment_tombstones WHERE account = $1 AND region = $2 AND name = $3`,
			e.Account, e.Region, e.Name); err != nil {
			return fmt.Errorf("postgres: clear environment tombstone: %w", err)
		}
		out, err = getEnvironment(ctx, tx, e.Account, e.Region, e.Name, "")
		return err
	})
	return store.WithRow(out, err, store.ErrAlreadyExists)
}

// checkLinks checks the links a write asks for inside its transaction. The
// rows are read FOR SHARE: deleting the version (FOR UPDATE on its row) and
// transitioning the connection (FOR UPDATE) wait for this transaction, and
// this read waits for theirs, so a link never lands on a version or a
// connection that changed under it.
func checkLinks(ctx context.Context, tx pgx.Tx, account, region string, conn *store.ConnectionLink, ver *store.VersionLink) error {
	if ver != nil {
		major, err1 := strconv.ParseInt(ver.MajorVersion, 10, 64)
		minor, err2 := strconv.ParseInt(ver.MinorVersion, 10, 64)
		if err1 != nil || err2 != nil {
			return store.ErrVersionUnusable
		}
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM template_versions
			WHERE account = $1 AND region = $2 AND kind = 'ENVIRONMENT' AND template_name = $3 AND major = $4 AND minor = $5
			FOR SHARE`, account, region, ver.TemplateName, major, minor).Scan(&status)
		if isNoRows(err) {
			return store.ErrVersionUnusable
		}
		if err != nil {
			return fmt.Errorf("postgres: read template version: %w", err)
		}
		if status != string(store.VersionPublished) {
			return store.ErrVersionUnusable
		}
	}
	if conn != nil {
		c, err := getConnection(ctx, tx, region, conn.ID, "FOR SHARE")
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

// GetEnvironment returns one environment, or store.ErrNotFound.
func (s *Store) GetEnvironment(ctx context.Context, account, region, name string) (store.Environment, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return getEnvironment(ctx, s.pool, account, region, name, "")
}

// ListEnvironments returns one page of environments in name order.
func (s *Store) ListEnvironments(ctx context.Context, q store.ListEnvironmentsQuery) ([]store.Environment, error) {
	if q.Limit <= 0 {
		return []store.Environment{}, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var sql strings.Builder
	args := []any{q.Account, q.Region, q.After}
	sql.WriteString(`SELECT ` + environmentColumns + ` FROM environments WHERE account = $1 AND region = $2 AND name > $3::text`)
	if len(q.Templates) > 0 {
		var ors []string
		for _, f := range q.Templates {
			args = append(args, f.TemplateName, f.MajorVersion)
			ors = append(ors, fmt.Sprintf(`(template_name = $%d AND template_major_version = $%d)`, len(args)-1, len(args)))
		}
		sql.WriteString(` AND (` + strings.Join(ors, ` OR `) + `)`)
	}
	args = append(args, q.Limit)
	sql.WriteString(fmt.Sprintf(` ORDER BY name LIMIT $%d`, len(args)))
	rows, err := s.pool.Query(ctx, sql.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list environments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Environment, error) { return scanEnvironment(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list environments: %w", err)
	}
	return out, nil
}

// UpdateEnvironment replaces an environment row of the expected version and
// records a new deployment, as store.Environments describes.
func (s *Store) UpdateEnvironment(ctx context.Context, p store.UpdateEnvironmentParams) (store.Environment, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	e := p.Environment
	var out store.Environment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := getEnvironment(ctx, tx, e.Account, e.Region, e.Name, "FOR UPDATE")
		if err != nil {
			return err
		}
		if cur.Version != p.ExpectVersion {
			out = cur
			return store.ErrConditionFailed
		}
		if err := checkLinks(ctx, tx, e.Account, e.Region, p.Connection, p.Template); err != nil {
			return err
		}
		e.Version = p.ExpectVersion + 1
		if err := writeEnvironment(ctx, tx, e); err != nil {
			return err
		}
		if p.Deployment != nil {
			if err := insertDeployment(ctx, tx, *p.Deployment); err != nil {
				return err
			}
		}
		out, err = getEnvironment(ctx, tx, e.Account, e.Region, e.Name, "")
		return err
	})
	return store.WithRow(out, err, store.ErrConditionFailed)
}

// GetEnvironmentTombstone returns when an environment was deleted, or
// store.ErrNotFound.
func (s *Store) GetEnvironmentTombstone(ctx context.Context, account, region, name string) (time.Time, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var deleted int64
	err := s.pool.QueryRow(ctx, `SELECT deleted_at_ms FROM environment_tombstones
		WHERE account = $1 AND region = $2 AND name = $3`, account, region, name).Scan(&deleted)
	if isNoRows(err) {
		return time.Time{}, store.ErrNotFound
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("postgres: read environment tombstone: %w", err)
	}
	return fromMillis(deleted), nil
}

// PurgeEnvironmentTombstones removes old environment tombstones.
func (s *Store) PurgeEnvironmentTombstones(ctx context.Context, before time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM environment_tombstones WHERE deleted_at_ms < $1`, millis(before)); err != nil {
		return fmt.Errorf("postgres: purge environment tombstones: %w", err)
	}
	return nil
}

const accountSettingsColumns = `pipeline_service_role_arn, pipeline_codebuild_role_arn,
	repository_provider, repository_name, repository_branch`

func getAccountSettings(ctx context.Context, q querier, account, region, lock string) (store.AccountSettings, error) {
	var a store.AccountSettings
	err := q.QueryRow(ctx, `SELECT `+accountSettingsColumns+` FROM account_settings WHERE account = $1 AND region = $2 `+lock,
		account, region).Scan(&a.PipelineServiceRoleArn, &a.PipelineCodebuildRoleArn,
		&a.PipelineProvisioningRepository.Provider, &a.PipelineProvisioningRepository.Name, &a.PipelineProvisioningRepository.Branch)
	if isNoRows(err) {
		return store.AccountSettings{}, nil
	}
	if err != nil {
		return store.AccountSettings{}, fmt.Errorf("postgres: read account settings: %w", err)
	}
	return a, nil
}

// GetAccountSettings returns an account's settings (zero when never set).
func (s *Store) GetAccountSettings(ctx context.Context, account, region string) (store.AccountSettings, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return getAccountSettings(ctx, s.pool, account, region, "")
}

// UpdateAccountSettings changes some of an account's settings. The row is
// created first if missing, so that the FOR UPDATE read that follows always
// has a row to lock and racing updates apply one after the other.
func (s *Store) UpdateAccountSettings(ctx context.Context, account, region string, u store.AccountSettingsUpdate) (store.AccountSettings, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var out store.AccountSettings
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO account_settings (account, region) VALUES ($1, $2)
			ON CONFLICT (account, region) DO NOTHING`, account, region); err != nil {
			return fmt.Errorf("postgres: update account settings: %w", err)
		}
		cur, err := getAccountSettings(ctx, tx, account, region, "FOR UPDATE")
		if err != nil {
			return err
		}
		a := u.Apply(cur)
		_, err = tx.Exec(ctx, `UPDATE account_settings SET pipeline_service_role_arn = $3, pipeline_codebuild_role_arn = $4,
			repository_provider = $5, repository_name = $6, repository_branch = $7 WHERE account = $1 AND region = $2`,
			account, region, a.PipelineServiceRoleArn, a.PipelineCodebuildRoleArn,
			a.PipelineProvisioningRepository.Provider, a.PipelineProvisioningRepository.Name, a.PipelineProvisioningRepository.Branch)
		if err != nil {
			return fmt.Errorf("postgres: update account settings: %w", err)
		}
		out = a
		return nil
	})
	return out, err
}

// CountResources counts environments and templates of an account.
func (s *Store) CountResources(ctx context.Context, account, region string) (store.ResourceCounts, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var c store.ResourceCounts
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM environments WHERE account = $1 AND region = $2),
		(SELECT count(*) FROM templates WHERE account = $1 AND region = $2 AND kind = 'ENVIRONMENT'),
		(SELECT count(*) FROM templates WHERE account = $1 AND region = $2 AND kind = 'SERVICE')`,
		account, region).Scan(&c.Environments, &c.EnvironmentTemplates, &c.ServiceTemplates)
	if err != nil {
		return store.ResourceCounts{}, fmt.Errorf("postgres: count resources: %w", err)
	}
	return c, nil
}
