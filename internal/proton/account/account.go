// Package account applies the rules of a Proton account's own settings and
// of the summary of its resources.
package account

import (
	"context"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store"
)

// Service applies the rules of account settings and the resources summary.
type Service struct {
	store store.Accounts
}

// New returns a Service over s.
func New(s store.Accounts) *Service { return &Service{store: s} }

// Family declares account settings and the resources summary, which have
// no ARN.
func (s *Service) Family() family.Family {
	return family.Family{Name: "account", Operations: []string{"GetAccountSettings", "GetResourcesSummary", "UpdateAccountSettings"}}
}

// Settings returns the caller's account settings in its region; an account
// that never set any has none.
func (s *Service) Settings(ctx context.Context, caller auth.Caller) (store.AccountSettings, error) {
	a, err := s.store.GetAccountSettings(ctx, caller.Account, caller.Region)
	if err != nil {
		return a, family.Internal("get account settings", err)
	}
	return a, nil
}

// SettingsInput is an UpdateAccountSettings request; nil members are
// absent. An empty role clears it.
type SettingsInput struct {
	PipelineServiceRoleArn               *string
	PipelineCodebuildRoleArn             *string
	PipelineProvisioningRepository       *store.RepositoryBranch
	DeletePipelineProvisioningRepository bool
}

// UpdateSettings changes the caller's account settings.
func (s *Service) UpdateSettings(ctx context.Context, caller auth.Caller, in SettingsInput) (store.AccountSettings, error) {
	if in.DeletePipelineProvisioningRepository && in.PipelineProvisioningRepository != nil {
		return store.AccountSettings{}, fault.New(fault.Validation,
			"Give either pipelineProvisioningRepository or deletePipelineProvisioningRepository, not both.")
	}
	u := store.AccountSettingsUpdate{
		PipelineServiceRoleArn:         in.PipelineServiceRoleArn,
		PipelineCodebuildRoleArn:       in.PipelineCodebuildRoleArn,
		PipelineProvisioningRepository: in.PipelineProvisioningRepository,
	}
	if in.DeletePipelineProvisioningRepository {
		u.PipelineProvisioningRepository = &store.RepositoryBranch{}
	}
	a, err := s.store.UpdateAccountSettings(ctx, caller.Account, caller.Region, u)
	if err != nil {
		return a, family.Internal("update account settings", err)
	}
	return a, nil
}

// ResourceCounts returns the counts of GetResourcesSummary: environments,
// templates, services, instances, pipelines and components.
func (s *Service) ResourceCounts(ctx context.Context, caller auth.Caller) (store.ResourceCounts, error) {
	c, err := s.store.CountResources(ctx, caller.Account, caller.Region)
	if err != nil {
		return c, family.Internal("count resources", err)
	}
	return c, nil
}
