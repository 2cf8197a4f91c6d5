package handlers

import (
	"context"
	"strconv"

	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/proton/templates"
	"github.com/openproton/openproton/internal/store"
)

const (
	envKind = store.EnvironmentTemplate
	svcKind = store.ServiceTemplate
)

func recommendedOf(t store.Template) *string {
	if t.Recommended == nil {
		return nil
	}
	return ptr(templates.Number(*t.Recommended))
}

func part(n int64) *string { return ptr(strconv.FormatInt(n, 10)) }

func recommendedMinorOf(v store.TemplateVersion) *string {
	if v.RecommendedMinor == nil {
		return nil
	}
	return part(*v.RecommendedMinor)
}

func envTemplateOut(t store.Template) *api.EnvironmentTemplate {
	return &api.EnvironmentTemplate{
		Arn: ptr(templates.TemplateARN(t.TemplateKey)), CreatedAt: api.TimeOf(t.CreatedAt), LastModifiedAt: api.TimeOf(t.LastModifiedAt),
		Name: ptr(t.Name), DisplayName: ptr(t.DisplayName), Description: ptr(t.Description), EncryptionKey: ptr(t.EncryptionKey),
		Provisioning: ptr(t.Provisioning), RecommendedVersion: recommendedOf(t),
	}
}

func svcTemplateOut(t store.Template) *api.ServiceTemplate {
	return &api.ServiceTemplate{
		Arn: ptr(templates.TemplateARN(t.TemplateKey)), CreatedAt: api.TimeOf(t.CreatedAt), LastModifiedAt: api.TimeOf(t.LastModifiedAt),
		Name: ptr(t.Name), DisplayName: ptr(t.DisplayName), Description: ptr(t.Description), EncryptionKey: ptr(t.EncryptionKey),
		PipelineProvisioning: ptr(t.Provisioning), RecommendedVersion: recommendedOf(t),
	}
}

func envVersionOut(v store.TemplateVersion) *api.EnvironmentTemplateVersion {
	return &api.EnvironmentTemplateVersion{
		Arn: ptr(templates.VersionARN(v.VersionKey)), CreatedAt: api.TimeOf(v.CreatedAt), LastModifiedAt: api.TimeOf(v.LastModifiedAt),
		TemplateName: ptr(v.Name), MajorVersion: part(v.Major), MinorVersion: part(v.Minor),
		Status: ptr(string(v.Status)), StatusMessage: ptr(v.StatusMessage), Description: ptr(v.Description),
		RecommendedMinorVersion: recommendedMinorOf(v), Schema: ptr(v.Schema),
	}
}

func svcVersionOut(v store.TemplateVersion) *api.ServiceTemplateVersion {
	compat := make([]api.CompatibleEnvironmentTemplate, len(v.CompatibleEnvironmentTemplates))
	for i, c := range v.CompatibleEnvironmentTemplates {
		compat[i] = api.CompatibleEnvironmentTemplate{TemplateName: ptr(c.Name), MajorVersion: part(c.Major)}
	}
	out := &api.ServiceTemplateVersion{
		Arn: ptr(templates.VersionARN(v.VersionKey)), CreatedAt: api.TimeOf(v.CreatedAt), LastModifiedAt: api.TimeOf(v.LastModifiedAt),
		TemplateName: ptr(v.Name), MajorVersion: part(v.Major), MinorVersion: part(v.Minor),
		Status: ptr(string(v.Status)), StatusMessage: ptr(v.StatusMessage), Description: ptr(v.Description),
		RecommendedMinorVersion: recommendedMinorOf(v), Schema: ptr(v.Schema),
		CompatibleEnvironmentTemplates: compat,
	}
	if len(v.SupportedComponentSources) > 0 {
		out.SupportedComponentSources = v.SupportedComponentSources
	}
	return out
}

func envTemplateSummaries(rows []store.Template) []api.EnvironmentTemplateSummary {
	out := make([]api.EnvironmentTemplateSummary, len(rows))
	for i, t := range rows {
		o := envTemplateOut(t)
		out[i] = api.EnvironmentTemplateSummary{Arn: o.Arn, CreatedAt: o.CreatedAt, LastModifiedAt: o.LastModifiedAt,
			Name: o.Name, DisplayName: o.DisplayName, Description: o.Description, Provisioning: o.Provisioning, RecommendedVersion: o.RecommendedVersion}
	}
	return out
}

func svcTemplateSummaries(rows []store.Template) []api.ServiceTemplateSummary {
	out := make([]api.ServiceTemplateSummary, len(rows))
	for i, t := range rows {
		o := svcTemplateOut(t)
		out[i] = api.ServiceTemplateSummary{Arn: o.Arn, CreatedAt: o.CreatedAt, LastModifiedAt: o.LastModifiedAt,
			Name: o.Name, DisplayName: o.DisplayName, Description: o.Description, PipelineProvisioning: o.PipelineProvisioning, RecommendedVersion: o.RecommendedVersion}
	}
	return out
}

func createTemplateInput(kind store.TemplateKind, name, displayName, description, key, provisioning *string, tags []api.Tag) templates.CreateTemplateInput {
	return templates.CreateTemplateInput{Kind: kind, Name: str(name), DisplayName: str(displayName), Description: str(description),
		EncryptionKey: str(key), Provisioning: str(provisioning), Tags: tagsIn(tags)}
}

// CreateEnvironmentTemplate creates an environment template (idempotent by name).
func (s *Service) CreateEnvironmentTemplate(ctx context.Context, in *api.CreateEnvironmentTemplateInput) (*api.CreateEnvironmentTemplateOutput, error) {
	t, err := withCaller(ctx, func(c auth.Caller) (store.Template, error) {
		return s.Templates.CreateTemplate(ctx, c, createTemplateInput(envKind, in.Name, in.DisplayName, in.Description, in.EncryptionKey, in.Provisioning, in.Tags))
	})
	if err != nil {
		return nil, err
	}
	return &api.CreateEnvironmentTemplateOutput{EnvironmentTemplate: envTemplateOut(t)}, nil
}

// CreateServiceTemplate creates a service template (idempotent by name).
func (s *Service) CreateServiceTemplate(ctx context.Context, in *api.CreateServiceTemplateInput) (*api.CreateServiceTemplateOutput, error) {
	t, err := withCaller(ctx, func(c auth.Caller) (store.Template, error) {
		return s.Templates.CreateTemplate(ctx, c, createTemplateInput(svcKind, in.Name, in.DisplayName, in.Description, in.EncryptionKey, in.PipelineProvisioning, in.Tags))
	})
	if err != nil {
		return nil, err
	}
	return &api.CreateServiceTemplateOutput{ServiceTemplate: svcTemplateOut(t)}, nil
}

// GetEnvironmentTemplate reads an environment template.
func (s *Service) GetEnvironmentTemplate(ctx context.Context, in *api.GetEnvironmentTemplateInput) (*api.GetEnvironmentTemplateOutput, error) {
	t, err := withCaller(ctx, func(c auth.Caller) (store.Template, error) {
		return s.Templates.GetTemplate(ctx, c, envKind, str(in.Name))
	})
	if err != nil {
		return nil, err
	}
	return &api.GetEnvironmentTemplateOutput{EnvironmentTemplate: envTemplateOut(t)}, nil
}

// GetServiceTemplate reads a service template.
func (s *Service) GetServiceTemplate(ctx context.Context, in *api.GetServiceTemplateInput) (*api.GetServiceTemplateOutput, error) {
	t, err := withCaller(ctx, func(c auth.Caller) (store.Template, error) {
		return s.Templates.GetTemplate(ctx, c, svcKind, str(in.Name))
	})
	if err != nil {
		return nil, err
	}
	return &api.GetServiceTemplateOutput{ServiceTemplate: svcTemplateOut(t)}, nil
}

// UpdateEnvironmentTemplate changes an environment template's display name and description.
func (s *Service) UpdateEnvironmentTemplate(ctx context.Context, in *api.UpdateEnvironmentTemplateInput) (*api.UpdateEnvironmentTemplateOutput, error) {
	t, err := withCaller(ctx, func(c auth.Caller) (store.Template, error) {
		return s.Templates.UpdateTemplate(ctx, c, envKind, str(in.Name), in.DisplayName, in.Description)
	})
	if err != nil {
		return nil, err
	}
	return &api.UpdateEnvironmentTemplateOutput{EnvironmentTemplate: envTemplateOut(t)}, nil
}

// UpdateServiceTemplate changes a service template's display name and description.
func (s *Service) UpdateServiceTemplate(ctx context.Context, in *api.UpdateServiceTemplateInput) (*api.UpdateServiceTemplateOutput, error) {
	t, err := withCaller(ctx, func(c auth.Caller) (store.Template, error) {
		return s.Templates.UpdateTemplate(ctx, c, svcKind, str(in.Name), in.DisplayName, in.Description)
	})
	if err != nil {
		return nil, err
	}
	return &api.UpdateServiceTemplateOutput{ServiceTemplate: svcTemplateOut(t)}, nil
}

// deleteTemplate deletes a template; deleted is false for a repeated delete.
func (s *Service) deleteTemplate(ctx context.Context, kind store.TemplateKind, name string) (store.Template, bool, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return store.Template{}, false, err
	}
	return s.Templates.DeleteTemplate(ctx, caller, kind, name)
}

// DeleteEnvironmentTemplate deletes an environment template without versions.
func (s *Service) DeleteEnvironmentTemplate(ctx context.Context, in *api.DeleteEnvironmentTemplateInput) (*api.DeleteEnvironmentTemplateOutput, error) {
	t, deleted, err := s.deleteTemplate(ctx, envKind, str(in.Name))
	if err != nil || !deleted {
		return &api.DeleteEnvironmentTemplateOutput{}, err
	}
	return &api.DeleteEnvironmentTemplateOutput{EnvironmentTemplate: envTemplateOut(t)}, nil
}

// DeleteServiceTemplate deletes a service template without versions.
func (s *Service) DeleteServiceTemplate(ctx context.Context, in *api.DeleteServiceTemplateInput) (*api.DeleteServiceTemplateOutput, error) {
	t, deleted, err := s.deleteTemplate(ctx, svcKind, str(in.Name))
	if err != nil || !deleted {
		return &api.DeleteServiceTemplateOutput{}, err
	}
	return &api.DeleteServiceTemplateOutput{ServiceTemplate: svcTemplateOut(t)}, nil
}

// ListEnvironmentTemplates lists the caller's environment templates by name.
func (s *Service) ListEnvironmentTemplates(ctx context.Context, in *api.ListEnvironmentTemplatesInput) (*api.ListEnvironmentTemplatesOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	rows, next, err := s.Templates.ListTemplates(ctx, caller, envKind, size(in.MaxResults), str(in.NextToken))
	if err != nil {
		return nil, err
	}
	return &api.ListEnvironmentTemplatesOutput{Templates: envTemplateSummaries(rows), NextToken: ptr(next)}, nil
}

// ListServiceTemplates lists the caller's service templates by name.
func (s *Service) ListServiceTemplates(ctx context.Context, in *api.ListServiceTemplatesInput) (*api.ListServiceTemplatesOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	rows, next, err := s.Templates.ListTemplates(ctx, caller, svcKind, size(in.MaxResults), str(in.NextToken))
	if err != nil {
		return nil, err
	}
	return &api.ListServiceTemplatesOutput{Templates: svcTemplateSummaries(rows), NextToken: ptr(next)}, nil
}
