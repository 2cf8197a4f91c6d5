package templates

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store"
)

// ResolvedVersion is a registered template version as other families use
// it: to validate a spec against its schema and to deploy its bundle.
type ResolvedVersion struct {
	TemplateName string
	MajorVersion string
	MinorVersion string
	Status       string // DRAFT or PUBLISHED (versions in other states never resolve)
	// Provisioning is the template's provisioning: "" or CUSTOMER_MANAGED.
	Provisioning string
	// SchemaText is schema/schema.yaml of the bundle as registered; parse it
	// with bundle.ParseSchema.
	SchemaText string
	// Bundle is the gzipped tar as it was registered.
	Bundle []byte
	// Compatible are the compatible environment templates of a service
	// template version.
	Compatible []store.CompatibleTemplate
	// ComponentSources are the supportedComponentSources of a service
	// template version.
	ComponentSources []string
	Kind             store.TemplateKind
}

// Published refuses a version that is not PUBLISHED with a
// ValidationException naming it: environments and services run on
// published versions only.
func (v ResolvedVersion) Published() error {
	if v.Status == string(store.VersionPublished) {
		return nil
	}
	noun, users, op := "environment template", "environments", "UpdateEnvironmentTemplateVersion"
	if v.Kind == store.ServiceTemplate {
		noun, users, op = "service template", "services", "UpdateServiceTemplateVersion"
	}
	return fault.New(fault.Validation, "Version %s.%s of %s %s is %s; %s use published versions only, so publish it (%s with status PUBLISHED).",
		v.MajorVersion, v.MinorVersion, noun, v.TemplateName, v.Status, users, op)
}

// ResolveEnvironmentTemplateVersion returns the environment template version
// that an environment of (account, region) asks for:
//   - major "" (minor must then be "" too): the template's recommended
//     version, its highest PUBLISHED version;
//   - minor "": the recommended minor of major, its highest PUBLISHED minor;
//   - both: exactly that version, DRAFT or PUBLISHED.
//
// Errors are fault errors: NotFound when the template or the named version
// does not exist or is not registered (REGISTRATION_IN_PROGRESS or
// REGISTRATION_FAILED); Validation when a recommended version is needed and
// none is published, or a minor is named without a major.
func (s *Service) ResolveEnvironmentTemplateVersion(ctx context.Context, account, region, name, major, minor string) (ResolvedVersion, error) {
	return s.resolveVersion(ctx, store.TemplateKey{Account: account, Region: region, Kind: store.EnvironmentTemplate, Name: name}, major, minor)
}

// ResolveServiceTemplateVersion is ResolveEnvironmentTemplateVersion for
// the service template versions that services run on.
func (s *Service) ResolveServiceTemplateVersion(ctx context.Context, account, region, name, major, minor string) (ResolvedVersion, error) {
	return s.resolveVersion(ctx, store.TemplateKey{Account: account, Region: region, Kind: store.ServiceTemplate, Name: name}, major, minor)
}

// resolveVersion resolves a version of the template k (see
// ResolveEnvironmentTemplateVersion).
func (s *Service) resolveVersion(ctx context.Context, k store.TemplateKey, major, minor string) (ResolvedVersion, error) {
	name := k.Name
	noun, users, op := "Environment template", "environments", "UpdateEnvironmentTemplateVersion"
	if k.Kind == store.ServiceTemplate {
		noun, users, op = "Service template", "services", "UpdateServiceTemplateVersion"
	}
	lowerNoun := strings.ToLower(noun[:1]) + noun[1:]
	t, err := s.getTemplate(ctx, k)
	if err != nil {
		return ResolvedVersion{}, err
	}
	var n store.VersionNumber
	switch {
	case major == "" && minor != "":
		return ResolvedVersion{}, fault.New(fault.Validation, "A minor version (%s) of %s %s needs a major version.", minor, lowerNoun, name)
	case major == "":
		if t.Recommended == nil {
			return ResolvedVersion{}, fault.New(fault.Validation,
				"%s %s has no published version; %s use published versions only, so publish one (%s with status PUBLISHED).", noun, name, users, op)
		}
		n = *t.Recommended
	case minor == "":
		ma, ok := parsePart(major)
		if !ok {
			return ResolvedVersion{}, fault.New(fault.NotFound, "%s %s has no major version %s.", noun, name, major)
		}
		vs, err := s.store.ListTemplateVersions(ctx, store.ListVersionsQuery{Template: k, Major: &ma, Limit: 1})
		if errors.Is(err, store.ErrNotFound) {
			return ResolvedVersion{}, templateNotFound(k)
		}
		if err != nil {
			return ResolvedVersion{}, family.Internal("list template versions", err)
		}
		if len(vs) == 0 {
			return ResolvedVersion{}, fault.New(fault.NotFound, "%s %s has no major version %s.", noun, name, major)
		}
		if vs[0].RecommendedMinor == nil {
			return ResolvedVersion{}, fault.New(fault.Validation,
				"Major version %s of %s %s has no published minor version; %s use published versions only, so publish one of its minor versions (%s with status PUBLISHED).", major, lowerNoun, name, users, op)
		}
		n = store.VersionNumber{Major: ma, Minor: *vs[0].RecommendedMinor}
	default:
		vk, err := versionKey(k, major, minor)
		if err != nil {
			return ResolvedVersion{}, err
		}
		n = vk.VersionNumber
	}
	v, err := s.store.GetTemplateVersion(ctx, store.VersionKey{TemplateKey: k, VersionNumber: n}, true)
	if errors.Is(err, store.ErrNotFound) {
		return ResolvedVersion{}, fault.New(fault.NotFound, "%s %s has no version %s.", noun, name, Number(n))
	}
	if err != nil {
		return ResolvedVersion{}, family.Internal("get template version", err)
	}
	if v.Status != store.VersionDraft && v.Status != store.VersionPublished {
		return ResolvedVersion{}, fault.New(fault.NotFound, "Version %s of %s %s is not registered (its status is %s).", Number(n), lowerNoun, name, v.Status)
	}
	return ResolvedVersion{
		TemplateName:     name,
		MajorVersion:     strconv.FormatInt(n.Major, 10),
		MinorVersion:     strconv.FormatInt(n.Minor, 10),
		Status:           string(v.Status),
		Provisioning:     t.Provisioning,
		SchemaText:       v.Schema,
		Bundle:           v.Bundle,
		Compatible:       v.CompatibleEnvironmentTemplates,
		ComponentSources: v.SupportedComponentSources,
		Kind:             k.Kind,
	}, nil
}
