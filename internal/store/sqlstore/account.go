package sqlstore

import (
	"context"

	"github.com/openproton/openproton/internal/store"
)

// accountFamily declares account settings and counts, which have no ARN.
var accountFamily = Family{Name: "account"}

const accountSettingsColumns = `pipeline_service_role_arn, pipeline_codebuild_role_arn,
	repository_provider, repository_name, repository_branch`

func scanAccountSettings(r Row) (a store.AccountSettings, err error) {
	return a, r.Scan(&a.PipelineServiceRoleArn, &a.PipelineCodebuildRoleArn,
		&a.PipelineProvisioningRepository.Provider, &a.PipelineProvisioningRepository.Name, &a.PipelineProvisioningRepository.Branch)
}

// GetAccountSettings implements store.Accounts.
func (s *Store) GetAccountSettings(ctx context.Context, account, region string) (store.AccountSettings, error) {
	a, err := scanAccountSettings(s.e.Reads().QueryRow(ctx, `SELECT `+accountSettingsColumns+` FROM account_settings
		WHERE account = ? AND region = ?`, account, region))
	switch {
	case isNoRows(err):
		return store.AccountSettings{}, nil
	case err != nil:
		return store.AccountSettings{}, s.errorf("get account settings: %w", err)
	}
	return a, nil
}

// UpdateAccountSettings implements store.Accounts in one conditional
// statement: a setting left out arrives as NULL, which keeps the stored
// value (or the empty default of a new row), so that racing updates of
// different settings both land.
func (s *Store) UpdateAccountSettings(ctx context.Context, account, region string, u store.AccountSettingsUpdate) (store.AccountSettings, error) {
	var repo [3]any // provider, name, branch: NULL keeps them
	if r := u.PipelineProvisioningRepository; r != nil {
		repo = [3]any{r.Provider, r.Name, r.Branch}
	}
	set := []any{nullable(u.PipelineServiceRoleArn), nullable(u.PipelineCodebuildRoleArn), repo[0], repo[1], repo[2]}
	var out store.AccountSettings
	err := s.e.Each(ctx, "update account settings", func(q Q) error {
		var err error
		out, err = scanAccountSettings(q.QueryRow(ctx, `INSERT INTO account_settings (account, region, `+accountSettingsColumns+`)
			VALUES (?, ?, COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''))
			ON CONFLICT (account, region) DO UPDATE SET
				pipeline_service_role_arn = COALESCE(?, account_settings.pipeline_service_role_arn),
				pipeline_codebuild_role_arn = COALESCE(?, account_settings.pipeline_codebuild_role_arn),
				repository_provider = COALESCE(?, account_settings.repository_provider),
				repository_name = COALESCE(?, account_settings.repository_name),
				repository_branch = COALESCE(?, account_settings.repository_branch)
			RETURNING `+accountSettingsColumns, append(append([]any{account, region}, set...), set...)...))
		if err != nil {
			return s.errorf("update account settings: %w", err)
		}
		return nil
	})
	return out, err
}

// CountResources implements store.Accounts.
func (s *Store) CountResources(ctx context.Context, account, region string) (store.ResourceCounts, error) {
	var c store.ResourceCounts
	err := s.e.Reads().QueryRow(ctx, `SELECT
		(SELECT count(*) FROM environments WHERE account = ? AND region = ?),
		(SELECT count(*) FROM templates WHERE account = ? AND region = ? AND kind = 'ENVIRONMENT'),
		(SELECT count(*) FROM templates WHERE account = ? AND region = ? AND kind = 'SERVICE')`,
		account, region, account, region, account, region).Scan(&c.Environments, &c.EnvironmentTemplates, &c.ServiceTemplates)
	if err != nil {
		return store.ResourceCounts{}, s.errorf("count resources: %w", err)
	}
	if err := s.countServices(ctx, account, region, &c); err != nil {
		return store.ResourceCounts{}, err
	}
	if err := s.countComponents(ctx, account, region, &c); err != nil {
		return store.ResourceCounts{}, err
	}
	return c, nil
}
