package handlers

import (
	"context"

	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/proton/account"
	"github.com/openproton/openproton/internal/store"
)

func accountSettingsOut(caller auth.Caller, a store.AccountSettings) *api.AccountSettings {
	return &api.AccountSettings{
		PipelineCodebuildRoleArn:       ptr(a.PipelineCodebuildRoleArn),
		PipelineProvisioningRepository: repositoryOut(caller.Region, caller.Account, a.PipelineProvisioningRepository),
		PipelineServiceRoleArn:         ptr(a.PipelineServiceRoleArn),
	}
}

// GetAccountSettings reads the caller's account settings.
func (s *Service) GetAccountSettings(ctx context.Context, _ *api.GetAccountSettingsInput) (*api.GetAccountSettingsOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.Account.Settings(ctx, caller)
	if err != nil {
		return nil, err
	}
	return &api.GetAccountSettingsOutput{AccountSettings: accountSettingsOut(caller, a)}, nil
}

// UpdateAccountSettings changes the caller's account settings.
func (s *Service) UpdateAccountSettings(ctx context.Context, in *api.UpdateAccountSettingsInput) (*api.UpdateAccountSettingsOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.Account.UpdateSettings(ctx, caller, account.SettingsInput{
		PipelineServiceRoleArn:               in.PipelineServiceRoleArn,
		PipelineCodebuildRoleArn:             in.PipelineCodebuildRoleArn,
		PipelineProvisioningRepository:       repositoryIn(in.PipelineProvisioningRepository),
		DeletePipelineProvisioningRepository: in.DeletePipelineProvisioningRepository != nil && *in.DeletePipelineProvisioningRepository,
	})
	if err != nil {
		return nil, err
	}
	return &api.UpdateAccountSettingsOutput{AccountSettings: accountSettingsOut(caller, a)}, nil
}

func count(n int) *api.ResourceCountsSummary {
	v := int32(n)
	return &api.ResourceCountsSummary{Total: &v}
}

// full is a count with every member, for the resource kinds whose
// summaries carry failed and staleness counts.
func full(d store.DeployedCounts) *api.ResourceCountsSummary {
	c := count(d.Total)
	n := func(v int) *int32 { x := int32(v); return &x }
	c.Failed, c.UpToDate, c.BehindMajor, c.BehindMinor = n(d.Failed), n(d.Total-d.BehindMajor-d.BehindMinor), n(d.BehindMajor), n(d.BehindMinor)
	return c
}

// GetResourcesSummary counts the caller's resources.
func (s *Service) GetResourcesSummary(ctx context.Context, _ *api.GetResourcesSummaryInput) (*api.GetResourcesSummaryOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.Account.ResourceCounts(ctx, caller)
	if err != nil {
		return nil, err
	}
	components := count(c.Components.Total)
	failed := int32(c.Components.Failed)
	components.Failed = &failed
	return &api.GetResourcesSummaryOutput{Counts: &api.CountsSummary{
		Components:           components,
		EnvironmentTemplates: count(c.EnvironmentTemplates),
		Environments:         count(c.Environments),
		Pipelines:            full(c.Pipelines),
		ServiceInstances:     full(c.ServiceInstances),
		ServiceTemplates:     count(c.ServiceTemplates),
		Services:             full(c.Services),
	}}, nil
}
