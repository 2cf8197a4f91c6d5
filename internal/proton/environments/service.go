package environments

import (
	"context"
	"time"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/pagetoken"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/templates"
	"github.com/openproton/openproton/internal/store"
)

// ResourceType is the resource part's prefix in an environment's ARN.
const ResourceType = "environment"

// Defaults of the rules that a deployment of openproton may configure.
const (
	DefaultQuota = 100
	MaxPageSize  = 100
)

// Templates resolves the environment template versions that environments
// run on (templates.Service implements it).
type Templates interface {
	ResolveEnvironmentTemplateVersion(ctx context.Context, account, region, name, major, minor string) (templates.ResolvedVersion, error)
}

// Store is what the environments family needs from the store.
type Store interface {
	store.Environments
	store.Deployments
	store.Tombstones
	GetConnection(ctx context.Context, region, id string) (store.Connection, error)
}

// Service applies the rules of environments and their deployments.
type Service struct {
	store       Store
	templates   Templates
	deployments *deployments.Service
	pages       *pagetoken.Codec
	clock       func() time.Time // see family.Clock
	newID       func() string
	quota       int
	tokenTTL    time.Duration
}

// Options configure a Service; zero fields take the defaults.
type Options struct {
	Quota    int           // environments per account and region
	TokenTTL time.Duration // how long deleted environments are remembered for idempotent deletes
	Now      func() time.Time
	NewID    func() string // deployment ids (lowercase UUIDs)
}

// New returns a Service over s, resolving template versions with t and
// handing deployments to d.
func New(s Store, t Templates, d *deployments.Service, pages *pagetoken.Codec, o Options) *Service {
	if o.Quota <= 0 {
		o.Quota = DefaultQuota
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = family.TokenTTL
	}
	return &Service{store: s, templates: t, deployments: d, pages: pages, clock: family.Clock(o.Now), newID: family.IDs(o.NewID),
		quota: o.Quota, tokenTTL: o.TokenTTL}
}

// Family declares environments: they take tags, which their owner manages.
func (s *Service) Family() family.Family {
	return family.Family{Name: "environments", Operations: []string{"CancelEnvironmentDeployment", "CreateEnvironment",
		"DeleteEnvironment", "GetEnvironment", "ListEnvironmentOutputs", "ListEnvironmentProvisionedResources", "ListEnvironments",
		"NotifyResourceDeploymentStatusChange", "UpdateEnvironment"},
		Resources: []family.Resource{{Type: ResourceType, TagOwner: s.TagOwner}}}
}

// ARN returns the ARN of an environment: it lives in its management account.
func ARN(e store.Environment) string {
	return arn.New(e.Region, e.Account, ResourceType+"/"+e.Name).String()
}

// RepositoryARN returns the ARN of a linked repository; the provider is
// written in lower case, as Proton did.
func RepositoryARN(region, account string, r store.RepositoryBranch) string {
	return arn.New(region, account, "repository/"+lower(r.Provider)+":"+r.Name).String()
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func notFound(name string) error { return family.NotFound("Environment", name) }

// load returns the caller's environment.
func (s *Service) load(ctx context.Context, caller auth.Caller, name string) (store.Environment, error) {
	e, err := s.store.GetEnvironment(ctx, caller.Account, caller.Region, name)
	return family.Found(e, err, notFound(name), "get environment")
}

// Get returns one of the caller's environments.
func (s *Service) Get(ctx context.Context, caller auth.Caller, name string) (store.Environment, error) {
	return s.load(ctx, caller, name)
}
