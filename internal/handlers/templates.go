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

// templateValues holds the values a template's answer derives from its row,
// for both kinds of template.
type templateValues struct {
	arn, recommended string
	times            [2]api.Time
}

func (a *templateValues) derive(t *store.Template) {
	a.arn = templates.TemplateARN(t.TemplateKey)
	stamp(&a.times[0], t.CreatedAt)
	stamp(&a.times[1], t.LastModifiedAt)
	if t.Recommended != nil {
		a.recommended = templates.Number(*t.Recommended)
	}
}

// envTemplateOf is the answer form of *t; ListEnvironmentTemplates answers
// its Summary.
func envTemplateOf(t *store.Template, a *templateValues) api.EnvironmentTemplate {
	a.derive(t)
	return api.EnvironmentTemplate{
		Arn: &a.arn, CreatedAt: &a.times[0], LastModifiedAt: &a.times[1],
		Name: opt(&t.Name), DisplayName: opt(&t.DisplayName), Description: opt(&t.Description), EncryptionKey: opt(&t.EncryptionKey),
		Provisioning: opt(&t.Provisioning), RecommendedVersion: opt(&a.recommended),
	}
}

// svcTemplateOf is the answer form of *t; ListServiceTemplates answers its
// Summary.
func svcTemplateOf(t *store.Template, a *templateValues) api.ServiceTemplate {
	a.derive(t)
	return api.ServiceTemplate{
		Arn: &a.arn, CreatedAt: &a.times[0], LastModifiedAt: &a.times[1],
		Name: opt(&t.Name), DisplayName: opt(&t.DisplayName), Description: opt(&t.Description), EncryptionKey: opt(&t.EncryptionKey),
		PipelineProvisioning: opt(&t.Provisioning), RecommendedVersion: opt(&a.recommended),
	}
}

// versionValues holds the values a template version's answer derives from
// its row, for both kinds of template.
type versionValues struct {
	arn, major, minor, recommendedMinor string
	times                               [2]api.Time
}

func (a *versionValues) derive(v *store.TemplateVersion) {
	a.arn = templates.VersionARN(v.VersionKey)
	a.major, a.minor = strconv.FormatInt(v.Major, 10), strconv.FormatInt(v.Minor, 10)
	stamp(&a.times[0], v.CreatedAt)
	stamp(&a.times[1], v.LastModifiedAt)
	if v.RecommendedMinor != nil {
		a.recommendedMinor = strconv.FormatInt(*v.RecommendedMinor, 10)
	}
}

// envVersionOf is the answer form of *v; ListEnvironmentTemplateVersions
// answers its Summary.
func envVersionOf(v *store.TemplateVersion, a *versionValues) api.EnvironmentTemplateVersion {
	a.derive(v)
	return api.EnvironmentTemplateVersion{
		Arn: &a.arn, CreatedAt: &a.times[0], LastModifiedAt: &a.times[1],
		TemplateName: opt(&v.Name), MajorVersion: &a.major, MinorVersion: &a.minor,
		Status: opt((*string)(&v.Status)), StatusMessage: opt(&v.StatusMessage), Description: opt(&v.Description),
		RecommendedMinorVersion: opt(&a.recommendedMinor), Schema: opt(&v.Schema),
	}
}

// svcVersionOf is the answer form of *v; ListServiceTemplateVersions
// answers its Summary.
func svcVersionOf(v *store.TemplateVersion, a *versionValues) api.ServiceTemplateVersion {
	a.derive(v)
	compat := make([]api.CompatibleEnvironmentTemplate, len(v.CompatibleEnvironmentTemplates))
	majors := make([]string, len(compat))
	for i := range compat {
		c := &v.CompatibleEnvironmentTemplates[i]
		majors[i] = strconv.FormatInt(c.Major, 10)
		compat[i] = api.CompatibleEnvironmentTemplate{TemplateName: opt(&c.Name), MajorVersion: &majors[i]}
	}
	out := api.ServiceTemplateVersion{
		Arn: &a.arn, CreatedAt: &a.times[0], LastModifiedAt: &a.times[1],
		TemplateName: opt(&v.Name), MajorVersion: &a.major, MinorVersion: &a.minor,
		Status: opt((*string)(&v.Status)), StatusMessage: opt(&v.StatusMessage), Description: opt(&v.Description),
		RecommendedMinorVersion: opt(&a.recommendedMinor), Schema: opt(&v.Schema),
		CompatibleEnvironmentTemplates: compat,
	}
	if len(v.SupportedComponentSources) > 0 {
		out.SupportedComponentSources = v.SupportedComponentSources
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
	return &api.CreateEnvironmentTemplateOutput{EnvironmentTemplate: one(t, envTemplateOf)}, nil
}

// CreateServiceTemplate creates a service template (idempotent by name).
func (s *Service) CreateServiceTemplate(ctx context.Context, in *api.CreateServiceTemplateInput) (*api.CreateServiceTemplateOutput, error) {
	t, err := withCaller(ctx, func(c auth.Caller) (store.Template, error) {
		return s.Templates.CreateTemplate(ctx, c, createTemplateInput(svcKind, in.Name, in.DisplayName, in.Description, in.EncryptionKey, in.PipelineProvisioning, in.Tags))
	})
	if err != nil {
		return nil, err
	}
	return &api.CreateServiceTemplateOutput{ServiceTemplate: one(t, svcTemplateOf)}, nil
}

// GetEnvironmentTemplate reads an environment template.
func (s *Service) GetEnvironmentTemplate(ctx context.Context, in *api.GetEnvironmentTemplateInput) (*api.GetEnvironmentTemplateOutput, error) {
	t, err := withCaller(ctx, func(c auth.Caller) (store.Template, error) {
		return s.Templates.GetTemplate(ctx, c, envKind, str(in.Name))
	})
	if err != nil {
		return nil, err
	}
	return &api.GetEnvironmentTemplateOutput{EnvironmentTemplate: one(t, envTemplateOf)}, nil
}

// GetServiceTemplate reads a service template.
func (s *Service) GetServiceTemplate(ctx context.Context, in *api.GetServiceTemplateInput) (*api.GetServiceTemplateOutput, error) {
	t, err := withCaller(ctx, func(c auth.Caller) (store.Template, error) {
		return s.Templates.GetTemplate(ctx, c, svcKind, str(in.Name))
	})
	if err != nil {
		return nil, err
	}
	return &api.GetServiceTemplateOutput{ServiceTemplate: one(t, svcTemplateOf)}, nil
}

// UpdateEnvironmentTemplate changes an environment template's display name and description.
func (s *Service) UpdateEnvironmentTemplate(ctx context.Context, in *api.UpdateEnvironmentTemplateInput) (*api.UpdateEnvironmentTemplateOutput, error) {
	t, err := withCaller(ctx, func(c auth.Caller) (store.Template, error) {
		return s.Templates.UpdateTemplate(ctx, c, envKind, str(in.Name), in.DisplayName, in.Description)
	})
	if err != nil {
		return nil, err
	}
	return &api.UpdateEnvironmentTemplateOutput{EnvironmentTemplate: one(t, envTemplateOf)}, nil
}

// UpdateServiceTemplate changes a service template's display name and description.
func (s *Service) UpdateServiceTemplate(ctx context.Context, in *api.UpdateServiceTemplateInput) (*api.UpdateServiceTemplateOutput, error) {
	t, err := withCaller(ctx, func(c auth.Caller) (store.Template, error) {
		return s.Templates.UpdateTemplate(ctx, c, svcKind, str(in.Name), in.DisplayName, in.Description)
	})
	if err != nil {
		return nil, err
	}
	return &api.UpdateServiceTemplateOutput{ServiceTemplate: one(t, svcTemplateOf)}, nil
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
	return &api.DeleteEnvironmentTemplateOutput{EnvironmentTemplate: one(t, envTemplateOf)}, nil
}

// DeleteServiceTemplate deletes a service template without versions.
func (s *Service) DeleteServiceTemplate(ctx context.Context, in *api.DeleteServiceTemplateInput) (*api.DeleteServiceTemplateOutput, error) {
	t, deleted, err := s.deleteTemplate(ctx, svcKind, str(in.Name))
	if err != nil || !deleted {
		return &api.DeleteServiceTemplateOutput{}, err
	}
	return &api.DeleteServiceTemplateOutput{ServiceTemplate: one(t, svcTemplateOf)}, nil
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
	return &api.ListEnvironmentTemplatesOutput{Templates: summaries(rows, envTemplateOf, (*api.EnvironmentTemplate).Summary), NextToken: ptr(next)}, nil
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
	return &api.ListServiceTemplatesOutput{Templates: summaries(rows, svcTemplateOf, (*api.ServiceTemplate).Summary), NextToken: ptr(next)}, nil
}
