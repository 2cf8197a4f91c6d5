package templates

import (
	"context"
	"errors"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// CreateTemplateInput is a request to create a template.
type CreateTemplateInput struct {
	Kind          store.TemplateKind
	Name          string
	DisplayName   string
	Description   string
	EncryptionKey string
	// Provisioning is "" or CUSTOMER_MANAGED: provisioning for environment
	// templates, pipelineProvisioning for service templates.
	Provisioning string
	Tags         []store.Tag
}

func (in CreateTemplateInput) fingerprint() string {
	return fingerprint(in.Name, in.DisplayName, in.Description, in.EncryptionKey, in.Provisioning, sortedTags(in.Tags))
}

// CreateTemplate creates a template. Creating a name that exists is
// idempotent: the same input returns the template as created, unless it was
// updated since (ConflictException); other input is ValidationException
// "Idempotent parameter mismatch".
func (s *Service) CreateTemplate(ctx context.Context, caller auth.Caller, in CreateTemplateInput) (store.Template, error) {
	if err := tagging.CheckCustomerTags(in.Tags); err != nil {
		return store.Template{}, err
	}
	now := s.clock()
	t := store.Template{
		TemplateKey:    keyOf(caller, in.Kind, in.Name),
		DisplayName:    in.DisplayName,
		Description:    in.Description,
		EncryptionKey:  in.EncryptionKey,
		Provisioning:   in.Provisioning,
		Fingerprint:    in.fingerprint(),
		CreatedAt:      now,
		LastModifiedAt: now,
	}
	got, created, err := s.store.CreateTemplate(ctx, store.CreateTemplateParams{
		Template: t, Tags: in.Tags, ARN: TemplateARN(t.TemplateKey), Quota: s.templateQuota,
	})
	switch {
	case errors.Is(err, store.ErrQuotaExceeded):
		return store.Template{}, fault.New(fault.QuotaExceeded,
			"Account %s has reached its quota of %d templates in %s (environment and service templates count together).", caller.Account, s.templateQuota, caller.Region)
	case err != nil:
		return store.Template{}, family.Internal("create template", err)
	case created:
		return got, nil
	case got.Fingerprint != t.Fingerprint:
		return store.Template{}, fault.New(fault.Validation, "Idempotent parameter mismatch")
	case !got.LastModifiedAt.Equal(got.CreatedAt):
		return store.Template{}, fault.New(fault.Conflict,
			"%s %s already exists and was updated after it was created; a repeated create cannot return it.", noun(in.Kind), in.Name)
	}
	return got, nil
}

// GetTemplate returns a template of the caller.
func (s *Service) GetTemplate(ctx context.Context, caller auth.Caller, kind store.TemplateKind, name string) (store.Template, error) {
	return s.getTemplate(ctx, keyOf(caller, kind, name))
}

// UpdateTemplate changes a template's display name and description (nil
// keeps a value); lastModifiedAt always moves.
func (s *Service) UpdateTemplate(ctx context.Context, caller auth.Caller, kind store.TemplateKind, name string, displayName, description *string) (store.Template, error) {
	k := keyOf(caller, kind, name)
	t, err := s.store.UpdateTemplate(ctx, store.UpdateTemplateParams{Key: k, DisplayName: displayName, Description: description, Now: s.clock()})
	if errors.Is(err, store.ErrNotFound) {
		return t, templateNotFound(k)
	}
	if err != nil {
		return t, family.Internal("update template", err)
	}
	return t, nil
}

// DeleteTemplate deletes a template that has no versions. Deleting a
// template this server deleted within the token TTL succeeds with
// deleted=false.
func (s *Service) DeleteTemplate(ctx context.Context, caller auth.Caller, kind store.TemplateKind, name string) (t store.Template, deleted bool, err error) {
	k := keyOf(caller, kind, name)
	t, err = s.store.DeleteTemplate(ctx, k, TemplateARN(k), s.clock())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Template{}, false, s.deletedBefore(ctx, k, "", templateNotFound(k))
	case errors.Is(err, store.ErrVersionsRemain):
		return store.Template{}, false, fault.New(fault.Conflict,
			"%s %s still has versions; delete every version of it first.", noun(kind), name)
	case err != nil:
		return store.Template{}, false, family.Internal("delete template", err)
	}
	return t, true, nil
}

// deletedBefore decides a delete of something that does not exist (the
// template of k, or its version "major.minor"): nil when this server
// deleted it within the token TTL, else missing.
func (s *Service) deletedBefore(ctx context.Context, k store.TemplateKey, version string, missing error) error {
	key := k.Name
	if version != "" {
		key += ":" + version
	}
	t, err := s.store.Tombstone(ctx, store.Resource{Type: resourceType(k.Kind), Account: k.Account, Region: k.Region, Key: key})
	if errors.Is(err, store.ErrNotFound) {
		return missing
	}
	if err != nil {
		return family.Internal("read tombstone", err)
	}
	if s.clock().Sub(t.DeletedAt) > s.tokenTTL {
		return missing
	}
	return nil
}
