package templates

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/pagetoken"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store"
)

// ARN resource types of templates; a version's ARN adds :{major}.{minor}.
const (
	EnvironmentResourceType = "environment-template"
	ServiceResourceType     = "service-template"
)

// Defaults of the rules that a deployment may configure.
const (
	DefaultTemplateQuota = 100 // environment and service templates per account and region
	DefaultVersionQuota  = 500 // versions per template
	MaxPageSize          = 100
)

// Store is what the templates family needs from the store.
type Store interface {
	store.Templates
	store.Tombstones
}

// Service applies the rules of templates and their versions.
type Service struct {
	store         Store
	pages         *pagetoken.Codec
	clock         func() time.Time // see family.Clock
	newID         func() string
	templateQuota int
	versionQuota  int
	tokenTTL      time.Duration
	wake          func()
}

// Options configure a Service; zero fields take the defaults.
type Options struct {
	TemplateQuota int              // templates (both kinds) per account and region
	VersionQuota  int              // versions per template
	TokenTTL      time.Duration    // how long client tokens and delete tombstones are honoured
	Now           func() time.Time // clock
	NewID         func() string    // version ids
	// Wake is called after a version is created, to start its registration
	// at once rather than at the worker's next poll.
	Wake func()
}

// New returns a Service over s, making page tokens with pages.
func New(s Store, pages *pagetoken.Codec, o Options) *Service {
	if o.TemplateQuota <= 0 {
		o.TemplateQuota = DefaultTemplateQuota
	}
	if o.VersionQuota <= 0 {
		o.VersionQuota = DefaultVersionQuota
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = family.TokenTTL
	}
	if o.Wake == nil {
		o.Wake = func() {}
	}
	return &Service{store: s, pages: pages, clock: family.Clock(o.Now), newID: family.IDs(o.NewID),
		templateQuota: o.TemplateQuota, versionQuota: o.VersionQuota, tokenTTL: o.TokenTTL, wake: o.Wake}
}

// Family declares templates: templates and their versions take tags, which
// their owner manages.
func (s *Service) Family() family.Family {
	return family.Family{Name: "templates", Operations: []string{
		"CreateEnvironmentTemplate", "CreateEnvironmentTemplateVersion", "CreateServiceTemplate", "CreateServiceTemplateVersion",
		"DeleteEnvironmentTemplate", "DeleteEnvironmentTemplateVersion", "DeleteServiceTemplate", "DeleteServiceTemplateVersion",
		"GetEnvironmentTemplate", "GetEnvironmentTemplateVersion", "GetServiceTemplate", "GetServiceTemplateVersion",
		"ListEnvironmentTemplateVersions", "ListEnvironmentTemplates", "ListServiceTemplateVersions", "ListServiceTemplates",
		"UpdateEnvironmentTemplate", "UpdateEnvironmentTemplateVersion", "UpdateServiceTemplate", "UpdateServiceTemplateVersion",
	}, Resources: []family.Resource{
		{Type: EnvironmentResourceType, TagOwner: s.TagOwner(store.EnvironmentTemplate)},
		{Type: ServiceResourceType, TagOwner: s.TagOwner(store.ServiceTemplate)},
	}}
}

// resourceType returns the ARN resource type of a kind.
func resourceType(k store.TemplateKind) string {
	if k == store.ServiceTemplate {
		return ServiceResourceType
	}
	return EnvironmentResourceType
}

// noun names a kind in messages.
func noun(k store.TemplateKind) string {
	if k == store.ServiceTemplate {
		return "Service template"
	}
	return "Environment template"
}

// TemplateARN returns the ARN of a template.
func TemplateARN(k store.TemplateKey) string {
	return arn.New(k.Region, k.Account, resourceType(k.Kind)+"/"+k.Name).String()
}

// VersionARN returns the ARN of a template version.
func VersionARN(k store.VersionKey) string {
	return TemplateARN(k.TemplateKey) + ":" + Number(k.VersionNumber)
}

// Number formats a version number as major.minor.
func Number(n store.VersionNumber) string {
	return strconv.FormatInt(n.Major, 10) + "." + strconv.FormatInt(n.Minor, 10)
}

func keyOf(caller auth.Caller, kind store.TemplateKind, name string) store.TemplateKey {
	return store.TemplateKey{Account: caller.Account, Region: caller.Region, Kind: kind, Name: name}
}

// parsePart parses a TemplateVersionPart (the model's pattern has already
// admitted only decimal digits without leading zeros). ok is false for a
// number too large to be any version this server ever numbered.
func parsePart(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

func templateNotFound(k store.TemplateKey) error {
	return fault.New(fault.NotFound, "%s %s was not found.", noun(k.Kind), k.Name)
}

func versionNotFound(k store.TemplateKey, major, minor string) error {
	return fault.New(fault.NotFound, "%s %s has no version %s.%s.", noun(k.Kind), k.Name, major, minor)
}

// getTemplate loads a template, mapping absence to NotFound.
func (s *Service) getTemplate(ctx context.Context, k store.TemplateKey) (store.Template, error) {
	t, err := s.store.GetTemplate(ctx, k)
	if errors.Is(err, store.ErrNotFound) {
		return t, templateNotFound(k)
	}
	if err != nil {
		return t, family.Internal("get template", err)
	}
	return t, nil
}

// versionKey parses the version parts of a request; a part too large to
// exist is NotFound.
func versionKey(k store.TemplateKey, major, minor string) (store.VersionKey, error) {
	ma, ok1 := parsePart(major)
	mi, ok2 := parsePart(minor)
	if !ok1 || !ok2 {
		return store.VersionKey{}, versionNotFound(k, major, minor)
	}
	return store.VersionKey{TemplateKey: k, VersionNumber: store.VersionNumber{Major: ma, Minor: mi}}, nil
}

// getVersion loads a version, mapping absence (of the template or the
// version) to NotFound.
func (s *Service) getVersion(ctx context.Context, k store.TemplateKey, major, minor string, withBundle bool) (store.TemplateVersion, error) {
	vk, err := versionKey(k, major, minor)
	if err != nil {
		return store.TemplateVersion{}, err
	}
	v, err := s.store.GetTemplateVersion(ctx, vk, withBundle)
	if errors.Is(err, store.ErrNotFound) {
		if _, terr := s.getTemplate(ctx, k); terr != nil {
			return v, terr
		}
		return v, versionNotFound(k, major, minor)
	}
	if err != nil {
		return v, family.Internal("get template version", err)
	}
	return v, nil
}
