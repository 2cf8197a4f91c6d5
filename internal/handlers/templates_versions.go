package handlers

import (
	"context"

	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/proton/templates"
	"github.com/openproton/openproton/internal/store"
)

func sourceOf(in *api.TemplateVersionSourceInput) (bucket, key string) {
	if in == nil || in.S3 == nil {
		return "", "" // the validator requires source.s3; never reached
	}
	return str(in.S3.Bucket), str(in.S3.Key)
}

func compatibleIn(in []api.CompatibleEnvironmentTemplateInput) []templates.Compatible {
	out := make([]templates.Compatible, len(in))
	for i, c := range in {
		out[i] = templates.Compatible{TemplateName: str(c.TemplateName), MajorVersion: str(c.MajorVersion)}
	}
	return out
}

// CreateEnvironmentTemplateVersion registers a new environment template version.
func (s *Service) CreateEnvironmentTemplateVersion(ctx context.Context, in *api.CreateEnvironmentTemplateVersionInput) (*api.CreateEnvironmentTemplateVersionOutput, error) {
	bucket, key := sourceOf(in.Source)
	v, err := withCaller(ctx, func(c auth.Caller) (store.TemplateVersion, error) {
		return s.Templates.CreateVersion(ctx, c, templates.CreateVersionInput{
			Kind: envKind, TemplateName: str(in.TemplateName), MajorVersion: str(in.MajorVersion), Description: str(in.Description),
			Bucket: bucket, Key: key, Tags: tagsIn(in.Tags), ClientToken: str(in.ClientToken),
		})
	})
	if err != nil {
		return nil, err
	}
	return &api.CreateEnvironmentTemplateVersionOutput{EnvironmentTemplateVersion: one(v, envVersionOf)}, nil
}

// CreateServiceTemplateVersion registers a new service template version.
func (s *Service) CreateServiceTemplateVersion(ctx context.Context, in *api.CreateServiceTemplateVersionInput) (*api.CreateServiceTemplateVersionOutput, error) {
	bucket, key := sourceOf(in.Source)
	v, err := withCaller(ctx, func(c auth.Caller) (store.TemplateVersion, error) {
		return s.Templates.CreateVersion(ctx, c, templates.CreateVersionInput{
			Kind: svcKind, TemplateName: str(in.TemplateName), MajorVersion: str(in.MajorVersion), Description: str(in.Description),
			Bucket: bucket, Key: key, Tags: tagsIn(in.Tags), ClientToken: str(in.ClientToken),
			Compatible: compatibleIn(in.CompatibleEnvironmentTemplates), ComponentSources: in.SupportedComponentSources,
		})
	})
	if err != nil {
		return nil, err
	}
	return &api.CreateServiceTemplateVersionOutput{ServiceTemplateVersion: one(v, svcVersionOf)}, nil
}

// GetEnvironmentTemplateVersion reads an environment template version with its schema.
func (s *Service) GetEnvironmentTemplateVersion(ctx context.Context, in *api.GetEnvironmentTemplateVersionInput) (*api.GetEnvironmentTemplateVersionOutput, error) {
	v, err := withCaller(ctx, func(c auth.Caller) (store.TemplateVersion, error) {
		return s.Templates.GetVersion(ctx, c, envKind, str(in.TemplateName), str(in.MajorVersion), str(in.MinorVersion))
	})
	if err != nil {
		return nil, err
	}
	return &api.GetEnvironmentTemplateVersionOutput{EnvironmentTemplateVersion: one(v, envVersionOf)}, nil
}

// GetServiceTemplateVersion reads a service template version with its schema.
func (s *Service) GetServiceTemplateVersion(ctx context.Context, in *api.GetServiceTemplateVersionInput) (*api.GetServiceTemplateVersionOutput, error) {
	v, err := withCaller(ctx, func(c auth.Caller) (store.TemplateVersion, error) {
		return s.Templates.GetVersion(ctx, c, svcKind, str(in.TemplateName), str(in.MajorVersion), str(in.MinorVersion))
	})
	if err != nil {
		return nil, err
	}
	return &api.GetServiceTemplateVersionOutput{ServiceTemplateVersion: one(v, svcVersionOf)}, nil
}

// UpdateEnvironmentTemplateVersion changes the description or publishes a DRAFT.
func (s *Service) UpdateEnvironmentTemplateVersion(ctx context.Context, in *api.UpdateEnvironmentTemplateVersionInput) (*api.UpdateEnvironmentTemplateVersionOutput, error) {
	v, err := withCaller(ctx, func(c auth.Caller) (store.TemplateVersion, error) {
		return s.Templates.UpdateVersion(ctx, c, envKind, str(in.TemplateName), str(in.MajorVersion), str(in.MinorVersion),
			templates.UpdateVersionInput{Description: in.Description, Status: in.Status})
	})
	if err != nil {
		return nil, err
	}
	return &api.UpdateEnvironmentTemplateVersionOutput{EnvironmentTemplateVersion: one(v, envVersionOf)}, nil
}

// UpdateServiceTemplateVersion changes the description, status, compatible
// environment templates or supported component sources.
func (s *Service) UpdateServiceTemplateVersion(ctx context.Context, in *api.UpdateServiceTemplateVersionInput) (*api.UpdateServiceTemplateVersionOutput, error) {
	u := templates.UpdateVersionInput{Description: in.Description, Status: in.Status}
	if in.CompatibleEnvironmentTemplates != nil {
		c := compatibleIn(in.CompatibleEnvironmentTemplates)
		u.Compatible = &c
	}
	if in.SupportedComponentSources != nil {
		u.ComponentSources = &in.SupportedComponentSources
	}
	v, err := withCaller(ctx, func(c auth.Caller) (store.TemplateVersion, error) {
		return s.Templates.UpdateVersion(ctx, c, svcKind, str(in.TemplateName), str(in.MajorVersion), str(in.MinorVersion), u)
	})
	if err != nil {
		return nil, err
	}
	return &api.UpdateServiceTemplateVersionOutput{ServiceTemplateVersion: one(v, svcVersionOf)}, nil
}

// deleteVersion deletes a version; deleted is false for a repeated delete.
func (s *Service) deleteVersion(ctx context.Context, kind store.TemplateKind, name, major, minor *string) (store.TemplateVersion, bool, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return store.TemplateVersion{}, false, err
	}
	return s.Templates.DeleteVersion(ctx, caller, kind, str(name), str(major), str(minor))
}

// DeleteEnvironmentTemplateVersion deletes an environment template version.
func (s *Service) DeleteEnvironmentTemplateVersion(ctx context.Context, in *api.DeleteEnvironmentTemplateVersionInput) (*api.DeleteEnvironmentTemplateVersionOutput, error) {
	v, deleted, err := s.deleteVersion(ctx, envKind, in.TemplateName, in.MajorVersion, in.MinorVersion)
	if err != nil || !deleted {
		return &api.DeleteEnvironmentTemplateVersionOutput{}, err
	}
	return &api.DeleteEnvironmentTemplateVersionOutput{EnvironmentTemplateVersion: one(v, envVersionOf)}, nil
}

// DeleteServiceTemplateVersion deletes a service template version.
func (s *Service) DeleteServiceTemplateVersion(ctx context.Context, in *api.DeleteServiceTemplateVersionInput) (*api.DeleteServiceTemplateVersionOutput, error) {
	v, deleted, err := s.deleteVersion(ctx, svcKind, in.TemplateName, in.MajorVersion, in.MinorVersion)
	if err != nil || !deleted {
		return &api.DeleteServiceTemplateVersionOutput{}, err
	}
	return &api.DeleteServiceTemplateVersionOutput{ServiceTemplateVersion: one(v, svcVersionOf)}, nil
}

// ListEnvironmentTemplateVersions lists an environment template's versions by number.
func (s *Service) ListEnvironmentTemplateVersions(ctx context.Context, in *api.ListEnvironmentTemplateVersionsInput) (*api.ListEnvironmentTemplateVersionsOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	rows, next, err := s.Templates.ListVersions(ctx, caller, envKind, str(in.TemplateName), str(in.MajorVersion), size(in.MaxResults), str(in.NextToken))
	if err != nil {
		return nil, err
	}
	return &api.ListEnvironmentTemplateVersionsOutput{TemplateVersions: summaries(rows, envVersionOf, (*api.EnvironmentTemplateVersion).Summary), NextToken: ptr(next)}, nil
}

// ListServiceTemplateVersions lists a service template's versions by number.
func (s *Service) ListServiceTemplateVersions(ctx context.Context, in *api.ListServiceTemplateVersionsInput) (*api.ListServiceTemplateVersionsOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	rows, next, err := s.Templates.ListVersions(ctx, caller, svcKind, str(in.TemplateName), str(in.MajorVersion), size(in.MaxResults), str(in.NextToken))
	if err != nil {
		return nil, err
	}
	return &api.ListServiceTemplateVersionsOutput{TemplateVersions: summaries(rows, svcVersionOf, (*api.ServiceTemplateVersion).Summary), NextToken: ptr(next)}, nil
}
