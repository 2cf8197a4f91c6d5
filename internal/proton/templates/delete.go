package templates

import (
	"context"
	"errors"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store"
)

// DeleteVersion deletes a version under the deletion rules (see
// deletionRule). Deleting a version this server deleted within the token TTL
// succeeds with deleted=false.
func (s *Service) DeleteVersion(ctx context.Context, caller auth.Caller, kind store.TemplateKind, name, major, minor string) (v store.TemplateVersion, deleted bool, err error) {
	k := keyOf(caller, kind, name)
	vk, err := versionKey(k, major, minor)
	if err != nil {
		return v, false, err
	}
	v, err = s.store.DeleteTemplateVersion(ctx, store.DeleteVersionParams{
		Key: vk, ARN: VersionARN(vk), Allow: deletionRule, Now: s.clock(),
	})
	var inUse *store.VersionInUseError
	switch {
	case errors.As(err, &inUse):
		return v, false, fault.New(fault.Conflict,
			"Version %s of %s %s cannot be deleted: %s %s runs on it.", Number(vk.VersionNumber), lower(kind), name, inUse.Kind, inUse.Name)
	case errors.Is(err, store.ErrNotFound):
		missing := versionNotFound(k, major, minor)
		if _, terr := s.store.GetTemplate(ctx, k); errors.Is(terr, store.ErrNotFound) {
			missing = templateNotFound(k)
		}
		return v, false, s.deletedBefore(ctx, k, Number(vk.VersionNumber), missing)
	case err != nil:
		if _, ok := fault.As(err); ok {
			return v, false, err
		}
		return v, false, family.Internal("delete template version", err)
	}
	return v, true, nil
}

func lower(k store.TemplateKind) string {
	if k == store.ServiceTemplate {
		return "service template"
	}
	return "environment template"
}

// deletionRule applies the deletion rules of template versions to v, given
// every version of its template:
//   - a version that is not the recommended (highest published) minor of
//     its major may be deleted;
//   - the recommended minor of a major may be deleted only when it is the
//     last version of its major (deleting it deletes the major);
//   - the template's recommended version (the recommended minor of the
//     recommended major) may be deleted only when it is the template's last
//     version.
//
// Versions in every status count as remaining versions. Whether a resource
// runs on v is the store's check.
func deletionRule(v store.TemplateVersion, all []store.TemplateVersion) error {
	if v.Status != store.VersionPublished {
		return nil
	}
	var recommended *store.VersionNumber
	sameMajor, others := 0, 0
	for _, o := range all {
		if o.Status == store.VersionPublished {
			if o.Major == v.Major && o.Minor > v.Minor {
				return nil // a higher published minor is the recommended one
			}
			if recommended == nil || recommended.Less(o.VersionNumber) {
				n := o.VersionNumber
				recommended = &n
			}
		}
		if o.ID == v.ID {
			continue
		}
		others++
		if o.Major == v.Major {
			sameMajor++
		}
	}
	num := Number(v.VersionNumber)
	if recommended != nil && *recommended == v.VersionNumber {
		if others > 0 {
			return fault.New(fault.Conflict,
				"Version %s is the recommended version of %s %s; it can be deleted only when no other version of the template remains (%d remain).", num, lower(v.Kind), v.Name, others)
		}
		return nil
	}
	if sameMajor > 0 {
		return fault.New(fault.Conflict,
			"Version %s is the recommended minor version of major version %d of %s %s; it can be deleted only when it is the last version of that major version (%d other versions remain).", num, v.Major, lower(v.Kind), v.Name, sameMajor)
	}
	return nil
}
