package store

import "context"

// AccountSettings are the Proton settings of an account in a region. Empty
// strings mean unset.
type AccountSettings struct {
	PipelineServiceRoleArn         string
	PipelineCodebuildRoleArn       string
	PipelineProvisioningRepository RepositoryBranch
}

// AccountSettingsUpdate names the settings to change; nil keeps a setting.
// An empty role or a zero repository clears it.
type AccountSettingsUpdate struct {
	PipelineServiceRoleArn         *string
	PipelineCodebuildRoleArn       *string
	PipelineProvisioningRepository *RepositoryBranch
}

// ResourceCounts are the counts of GetResourcesSummary that this store can
// answer.
type ResourceCounts struct {
	Environments         int
	EnvironmentTemplates int
	ServiceTemplates     int
	Services             DeployedCounts
	ServiceInstances     DeployedCounts
	Pipelines            DeployedCounts
	// Components counts only Total and Failed (a FAILED or DELETE_FAILED
	// deployment status).
	Components DeployedCounts
}

// DeployedCounts count resources that run a service template version:
// those that failed (a failed status), and those behind the template's
// recommended version (its highest PUBLISHED major, and that major's
// highest PUBLISHED minor): behind its major, or, in the recommended
// major, only behind its minor.
type DeployedCounts struct {
	Total, Failed, BehindMajor, BehindMinor int
}

// Accounts stores the settings of accounts, keyed by (account, region), and
// counts their resources.
type Accounts interface {
	// GetAccountSettings returns the settings of the account in the region;
	// an account that never set any has the zero value.
	GetAccountSettings(ctx context.Context, account, region string) (AccountSettings, error)

	// UpdateAccountSettings changes the given settings of the account in the
	// region, atomically (racing updates of different settings both land),
	// and returns them all.
	UpdateAccountSettings(ctx context.Context, account, region string, u AccountSettingsUpdate) (AccountSettings, error)

	// CountResources counts the environments, the environment and
	// service templates, and the services, service instances and
	// pipelines of the account in the region.
	CountResources(ctx context.Context, account, region string) (ResourceCounts, error)
}
