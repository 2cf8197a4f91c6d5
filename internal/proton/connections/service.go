package connections

import (
	"context"
	"time"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/pagetoken"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store"
)

// ResourceType is the resource part's prefix in a connection's ARN.
const ResourceType = "environment-account-connection"

// Defaults of the rules that a deployment may configure.
const (
	DefaultQuota = 5
	MaxPageSize  = 100
)

// Store is what the connections family needs from the store.
type Store interface {
	store.Connections
	store.Tombstones
}

// Service applies the rules of environment account connections.
type Service struct {
	store    Store
	pages    *pagetoken.Codec
	clock    func() time.Time // see family.Clock
	newID    func() string
	quota    int
	tokenTTL time.Duration
}

// Options configure a Service; zero fields take the defaults.
type Options struct {
	Quota    int              // PENDING+CONNECTED connections per environment account and region
	TokenTTL time.Duration    // how long client tokens and delete tombstones are honoured
	Now      func() time.Time // clock
	NewID    func() string    // id generator (lowercase UUIDs)
}

// New returns a Service over s, making page tokens with pages.
func New(s Store, pages *pagetoken.Codec, o Options) *Service {
	if o.Quota <= 0 {
		o.Quota = DefaultQuota
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = family.TokenTTL
	}
	return &Service{store: s, pages: pages, clock: family.Clock(o.Now), newID: family.IDs(o.NewID), quota: o.Quota, tokenTTL: o.TokenTTL}
}

// Family declares connections: they take tags, which their environment
// account manages.
func (s *Service) Family() family.Family {
	return family.Family{Name: "connections", Operations: []string{"AcceptEnvironmentAccountConnection",
		"CreateEnvironmentAccountConnection", "DeleteEnvironmentAccountConnection", "GetEnvironmentAccountConnection",
		"ListEnvironmentAccountConnections", "RejectEnvironmentAccountConnection", "UpdateEnvironmentAccountConnection"},
		Resources: []family.Resource{{Type: ResourceType, TagOwner: s.TagOwner}}}
}

// ARN returns the ARN of a connection: it lives in the environment account.
func ARN(c store.Connection) string {
	return arn.New(c.Region, c.EnvironmentAccountID, ResourceType+"/"+c.ID).String()
}

func notFound(id string) error {
	return fault.New(fault.NotFound, "Environment account connection %s was not found.", id)
}

// load returns the connection as seen by caller: a non-party gets NotFound.
func (s *Service) load(ctx context.Context, caller auth.Caller, id string) (store.Connection, error) {
	c, err := s.store.GetConnection(ctx, caller.Region, id)
	if c, err = family.Found(c, err, notFound(id), "get connection"); err != nil {
		return c, err
	}
	if caller.Account != c.EnvironmentAccountID && caller.Account != c.ManagementAccountID {
		return store.Connection{}, notFound(id)
	}
	return c, nil
}

// Get returns a connection to either of its parties.
func (s *Service) Get(ctx context.Context, caller auth.Caller, id string) (store.Connection, error) {
	return s.load(ctx, caller, id)
}

// requireManagement lets only the management account act.
func requireManagement(caller auth.Caller, c store.Connection, verb string) error {
	if caller.Account != c.ManagementAccountID {
		return fault.New(fault.AccessDenied, "Only the management account %s can %s environment account connection %s.", c.ManagementAccountID, verb, c.ID)
	}
	return nil
}

// requireEnvironment lets only the environment account act.
func requireEnvironment(caller auth.Caller, c store.Connection, verb string) error {
	if caller.Account != c.EnvironmentAccountID {
		return fault.New(fault.AccessDenied, "Only the environment account %s can %s environment account connection %s.", c.EnvironmentAccountID, verb, c.ID)
	}
	return nil
}
