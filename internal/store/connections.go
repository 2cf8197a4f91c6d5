package store

import (
	"context"
	"time"
)

// ConnectionStatus is the state of an environment account connection.
type ConnectionStatus string

// The states of an environment account connection.
const (
	StatusPending   ConnectionStatus = "PENDING"
	StatusConnected ConnectionStatus = "CONNECTED"
	StatusRejected  ConnectionStatus = "REJECTED"
)

// Connection is a stored environment account connection. Empty role strings
// mean the role is absent.
type Connection struct {
	ID                   string
	Region               string
	EnvironmentAccountID string // the owner: the account that requested the connection
	ManagementAccountID  string
	EnvironmentName      string
	RoleArn              string
	CodebuildRoleArn     string
	ComponentRoleArn     string
	Status               ConnectionStatus
	RequestedAt          time.Time
	LastModifiedAt       time.Time
}

// Tag is a customer tag of a resource.
type Tag struct {
	Key   string
	Value string
}

// IdempotencyKey identifies a client token: tokens are scoped to the caller's
// account and region and to one operation, and compared as exact strings.
type IdempotencyKey struct {
	Account   string
	Region    string
	Operation string
	Token     string
}

// Idempotency is a client token presented with a create, with the fingerprint
// of the request's parameters and the time until which the token is honoured.
type Idempotency struct {
	Key         IdempotencyKey
	Fingerprint string
	ExpiresAt   time.Time
}

// CreateConnectionParams is the input of Connections.CreateConnection.
type CreateConnectionParams struct {
	Connection Connection   // fully formed: id, times and status set
	Tags       []Tag        // stored with the connection, keyed by ARN
	ARN        string       // the connection's ARN, the key of its tags
	Token      *Idempotency // nil when the request carried no client token
	Quota      int          // most PENDING+CONNECTED connections the environment account may have in the region
	Now        time.Time
}

// TransitionParams is the input of Connections.TransitionConnection.
type TransitionParams struct {
	Region        string
	ID            string
	From          []ConnectionStatus // the change applies only from one of these states
	To            ConnectionStatus
	RequireUnused bool // the change applies only if no environment uses the connection
	Now           time.Time
}

// UpdateRolesParams is the input of Connections.UpdateConnectionRoles. A nil
// role keeps its value.
type UpdateRolesParams struct {
	Region           string
	ID               string
	RoleArn          *string
	CodebuildRoleArn *string
	ComponentRoleArn *string
	From             []ConnectionStatus // the change applies only from one of these states
	Now              time.Time
}

// ConnectionRole selects which party's connections a list returns.
type ConnectionRole int

// The two parties of a connection.
const (
	AsEnvironmentAccount ConnectionRole = iota // connections whose environment account is the caller
	AsManagementAccount                        // connections whose management account is the caller
)

// Cursor is a position in the list order (requestedAt, then id).
type Cursor struct {
	RequestedAt time.Time
	ID          string
}

// ListConnectionsQuery is the input of Connections.ListConnections.
type ListConnectionsQuery struct {
	Region          string
	Account         string
	Role            ConnectionRole
	EnvironmentName string             // "" means any
	Statuses        []ConnectionStatus // empty means any
	After           *Cursor            // nil starts at the beginning
	Limit           int                // at most this many rows
}

// Connections stores environment account connections.
type Connections interface {
	// CreateConnection stores a new connection in one transaction:
	//  1. When p.Token is set and a token with the same key exists whose
	//     ExpiresAt is after p.Now: a different fingerprint fails with
	//     ErrIdempotencyMismatch (even if the token's connection was deleted);
	//     the same fingerprint returns the connection the token created, as it
	//     is now, with replayed=true and no other effect. If that connection no
	//     longer exists, creation proceeds. The connection is looked up in
	//     p.Connection.Region; callers pass the same region in the token key.
	//  2. When the environment account already has p.Quota or more PENDING or
	//     CONNECTED connections in the region: ErrQuotaExceeded.
	//  3. Inserts the connection and its tags and records the token (replacing
	//     an expired or orphaned one) pointing at the new connection.
	// Concurrent calls with the same token create exactly one connection; the
	// quota holds under concurrent creates.
	CreateConnection(ctx context.Context, p CreateConnectionParams) (c Connection, replayed bool, err error)

	// GetConnection returns the connection with id in region, or ErrNotFound.
	GetConnection(ctx context.Context, region, id string) (Connection, error)

	// TransitionConnection sets the status to p.To and LastModifiedAt to p.Now,
	// atomically, only if the current status is in p.From and (with
	// p.RequireUnused) no environment uses the connection. It returns the
	// connection after the change. Failures: ErrNotFound; ErrConditionFailed
	// together with the connection as it is now (checked first); *InUseError
	// naming the environment. An environment uses the connection when an
	// environments row of the same region names its id; code that links an
	// environment to a connection must read the connection in the same
	// transaction with a lock that a concurrent transition waits for (on
	// PostgreSQL, SELECT ... FOR SHARE), so that a link and a reject cannot
	// both succeed. Transitions do not check the quota: the product never
	// moves a connection out of REJECTED.
	TransitionConnection(ctx context.Context, p TransitionParams) (Connection, error)

	// UpdateConnectionRoles replaces the given roles and sets LastModifiedAt to
	// p.Now, atomically, only if the current status is in p.From. The status
	// never changes. Failures: ErrNotFound; ErrConditionFailed together with
	// the connection as it is now.
	UpdateConnectionRoles(ctx context.Context, p UpdateRolesParams) (Connection, error)

	// DeleteConnection removes the connection and the tags stored under arn,
	// and records its tombstone (Tombstones) at now for both parties, in one
	// transaction. It returns the connection as it was. It succeeds whatever
	// the status and whether or not an environment uses the connection.
	// Failure: ErrNotFound.
	DeleteConnection(ctx context.Context, region, id, arn string, now time.Time) (Connection, error)

	// ListConnections returns at most q.Limit connections of q.Account in
	// q.Region, in the role q.Role, matching the filters, strictly after
	// q.After, ordered by RequestedAt then ID ascending (IDs compared as
	// bytes). A Limit of 0 or less returns nothing.
	ListConnections(ctx context.Context, q ListConnectionsQuery) ([]Connection, error)
}

// Store is everything the server keeps.
type Store interface {
	Connections
	Environments
	Services
	Components
	Deployments
	Accounts
	Jobs
	Templates
	Tags
	Tombstones
	Maintenance
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error
}
