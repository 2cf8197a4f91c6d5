package templates

import (
	"context"
	"errors"
	"slices"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// Compatible is an entry of compatibleEnvironmentTemplates as a request
// gives it.
type Compatible struct {
	TemplateName string
	MajorVersion string
}

// CreateVersionInput is a request to register a template version.
type CreateVersionInput struct {
	Kind         store.TemplateKind
	TemplateName string
	MajorVersion string // "" asks for a new major version
	Description  string
	Bucket       string
	Key          string
	Tags         []store.Tag
	ClientToken  string // "" when the request carried none
	// Service template versions only.
	Compatible       []Compatible
	ComponentSources []string
}

func (in CreateVersionInput) fingerprint() string {
	comps := slices.Clone(in.ComponentSources)
	slices.Sort(comps)
	return fingerprint(in.TemplateName, in.MajorVersion, in.Description, in.Bucket, in.Key, sortedTags(in.Tags), in.Compatible, slices.Compact(comps))
}

// operation names the create operation of a kind, the scope of its client
// tokens.
func operation(k store.TemplateKind) string {
	if k == store.ServiceTemplate {
		return "CreateServiceTemplateVersion"
	}
	return "CreateEnvironmentTemplateVersion"
}

// CreateVersion stores a new version, REGISTRATION_IN_PROGRESS, and starts
// its registration.
func (s *Service) CreateVersion(ctx context.Context, caller auth.Caller, in CreateVersionInput) (store.TemplateVersion, error) {
	if err := tagging.CheckCustomerTags(in.Tags); err != nil {
		return store.TemplateVersion{}, err
	}
	k := keyOf(caller, in.Kind, in.TemplateName)
	if _, err := s.getTemplate(ctx, k); err != nil {
		return store.TemplateVersion{}, err
	}
	var major *int64
	if in.MajorVersion != "" {
		m, ok := parsePart(in.MajorVersion)
		if !ok {
			return store.TemplateVersion{}, noSuchMajor(k, in.MajorVersion)
		}
		major = &m
	}
	now := s.clock()
	v := store.TemplateVersion{
		ID:             s.newID(),
		Description:    in.Description,
		SourceBucket:   in.Bucket,
		SourceKey:      in.Key,
		CreatedAt:      now,
		LastModifiedAt: now,
	}
	if in.Kind == store.ServiceTemplate {
		compat, err := s.checkCompatible(ctx, caller, in.Compatible)
		if err != nil {
			return store.TemplateVersion{}, err
		}
		v.CompatibleEnvironmentTemplates = compat
		v.SupportedComponentSources = uniq(in.ComponentSources)
	}
	p := store.CreateVersionParams{
		Template: k,
		Major:    major,
		Version:  v,
		Tags:     in.Tags,
		ARN: func(n store.VersionNumber) string {
			return VersionARN(store.VersionKey{TemplateKey: k, VersionNumber: n})
		},
		Quota: s.versionQuota,
		Now:   now,
	}
	if in.ClientToken != "" {
		p.Token = &store.Idempotency{
			Key:         store.IdempotencyKey{Account: caller.Account, Region: caller.Region, Operation: operation(in.Kind), Token: in.ClientToken},
			Fingerprint: in.fingerprint(),
			ExpiresAt:   now.Add(s.tokenTTL),
		}
	}
	got, replayed, err := s.store.CreateTemplateVersion(ctx, p)
	switch {
	case errors.Is(err, store.ErrIdempotencyMismatch):
		return store.TemplateVersion{}, fault.New(fault.Validation, "Idempotent parameter mismatch")
	case errors.Is(err, store.ErrNotFound):
		return store.TemplateVersion{}, templateNotFound(k)
	case errors.Is(err, store.ErrNoSuchMajor):
		return store.TemplateVersion{}, noSuchMajor(k, in.MajorVersion)
	case errors.Is(err, store.ErrQuotaExceeded):
		return store.TemplateVersion{}, fault.New(fault.QuotaExceeded,
			"%s %s has reached its quota of %d versions.", noun(in.Kind), in.TemplateName, s.versionQuota)
	case err != nil:
		return store.TemplateVersion{}, family.Internal("create template version", err)
	}
	if !replayed {
		s.wake()
	}
	return got, nil
}

func noSuchMajor(k store.TemplateKey, major string) error {
	return fault.New(fault.NotFound,
		"%s %s has no major version %s; to create a new major version, leave majorVersion out.", noun(k.Kind), k.Name, major)
}

// uniq returns the distinct values of in, in their first order; never nil.
func uniq(in []string) []string {
	out := []string{}
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// checkCompatible checks compatibleEnvironmentTemplates: each entry must
// name an environment template of the caller and a major of it that has a
// registered (DRAFT or PUBLISHED) version, and no entry may repeat.
func (s *Service) checkCompatible(ctx context.Context, caller auth.Caller, in []Compatible) ([]store.CompatibleTemplate, error) {
	out := make([]store.CompatibleTemplate, 0, len(in))
	for _, c := range in {
		m, ok := parsePart(c.MajorVersion)
		entry := store.CompatibleTemplate{Name: c.TemplateName, Major: m}
		if slices.Contains(out, entry) {
			return nil, fault.New(fault.Validation,
				"compatibleEnvironmentTemplates names environment template %s major version %s more than once.", c.TemplateName, c.MajorVersion)
		}
		if !ok {
			return nil, incompatible(c)
		}
		k := keyOf(caller, store.EnvironmentTemplate, c.TemplateName)
		vs, err := s.store.ListTemplateVersions(ctx, store.ListVersionsQuery{Template: k, Major: &m, Limit: s.versionQuota})
		if errors.Is(err, store.ErrNotFound) {
			return nil, fault.New(fault.Validation,
				"compatibleEnvironmentTemplates: environment template %s does not exist.", c.TemplateName)
		}
		if err != nil {
			return nil, family.Internal("list template versions", err)
		}
		if !slices.ContainsFunc(vs, registered) {
			return nil, incompatible(c)
		}
		out = append(out, entry)
	}
	return out, nil
}

func incompatible(c Compatible) error {
	return fault.New(fault.Validation,
		"compatibleEnvironmentTemplates: environment template %s has no registered (DRAFT or PUBLISHED) version in major version %s.", c.TemplateName, c.MajorVersion)
}

func registered(v store.TemplateVersion) bool {
	return v.Status == store.VersionDraft || v.Status == store.VersionPublished
}

// GetVersion returns a version with its schema.
func (s *Service) GetVersion(ctx context.Context, caller auth.Caller, kind store.TemplateKind, name, major, minor string) (store.TemplateVersion, error) {
	return s.getVersion(ctx, keyOf(caller, kind, name), major, minor, false)
}

// UpdateVersionInput changes a version; nil fields keep their values.
type UpdateVersionInput struct {
	Description *string
	Status      *string
	// Service template versions only.
	Compatible       *[]Compatible
	ComponentSources *[]string
}

// UpdateVersion changes a version's description, publishes a DRAFT and, for
// service template versions, replaces compatibleEnvironmentTemplates and
// supportedComponentSources.
func (s *Service) UpdateVersion(ctx context.Context, caller auth.Caller, kind store.TemplateKind, name, major, minor string, in UpdateVersionInput) (store.TemplateVersion, error) {
	k := keyOf(caller, kind, name)
	vk, err := versionKey(k, major, minor)
	if err != nil {
		return store.TemplateVersion{}, err
	}
	p := store.UpdateVersionParams{Key: vk, Description: in.Description, Now: s.clock()}
	if in.Status != nil {
		to := store.VersionStatus(*in.Status)
		p.Status = &to
		switch to {
		case store.VersionPublished:
			p.From = []store.VersionStatus{store.VersionDraft, store.VersionPublished}
		case store.VersionDraft:
			p.From = []store.VersionStatus{store.VersionDraft}
		default:
			return store.TemplateVersion{}, fault.New(fault.Validation,
				"A template version's status can only be set to PUBLISHED (or left DRAFT); %s is set by registration.", to)
		}
	}
	if kind == store.ServiceTemplate {
		if in.Compatible != nil {
			compat, err := s.checkCompatible(ctx, caller, *in.Compatible)
			if err != nil {
				return store.TemplateVersion{}, err
			}
			p.CompatibleEnvironmentTemplates = &compat
		}
		if in.ComponentSources != nil {
			comps := uniq(*in.ComponentSources)
			p.SupportedComponentSources = &comps
		}
	}
	v, err := s.store.UpdateTemplateVersion(ctx, p)
	var outside *store.CompatibilityInUseError
	switch {
	case errors.Is(err, store.ErrNotFound):
		_, err := s.getVersion(ctx, k, major, minor, false)
		if err == nil { // deleted and recreated in between: report the race
			err = fault.New(fault.Conflict, "Version %s.%s of %s was changed concurrently; retry.", major, minor, name)
		}
		return store.TemplateVersion{}, err
	case errors.As(err, &outside):
		return store.TemplateVersion{}, fault.New(fault.Conflict,
			"Version %s.%s of %s cannot drop environment template %s major version %s from compatibleEnvironmentTemplates: service instance %s runs on the version in environment %s.",
			major, minor, name, outside.Template, outside.Major, outside.Instance, outside.Environment)
	case errors.Is(err, store.ErrConditionFailed):
		if v.Status == store.VersionPublished {
			return store.TemplateVersion{}, fault.New(fault.Conflict,
				"Version %s.%s of %s is PUBLISHED; a published version cannot return to DRAFT.", major, minor, name)
		}
		return store.TemplateVersion{}, fault.New(fault.Conflict,
			"Version %s.%s of %s is %s; only a DRAFT version can be published.", major, minor, name, v.Status)
	case err != nil:
		return store.TemplateVersion{}, family.Internal("update template version", err)
	}
	return v, nil
}
