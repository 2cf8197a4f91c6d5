package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Component is a stored directly defined component: attached to a service
// instance (ServiceName and ServiceInstanceName set, EnvironmentName the
// instance's) or detached in an environment (both "").
//
// A component is a deployment target, and its TemplateState is what its
// deployments deploy: components run no template version, so TemplateName,
// MajorVersion and MinorVersion are "", Spec is the component's service
// spec ("" when detached) and Inputs is its ComponentDocument as JSON (the
// manifest and the IaC file), so that a cancelled update returns to the
// file it ran before, as every target returns to its initial state.
type Component struct {
	Account             string
	Region              string
	Name                string
	Description         string
	EnvironmentName     string
	ServiceName         string
	ServiceInstanceName string
	TemplateState
	Mode                      ProvisioningMode
	DeploymentStatus          DeploymentStatus
	DeploymentStatusMessage   string
	CreatedAt                 time.Time
	LastModifiedAt            time.Time
	LastDeploymentAttemptedAt time.Time
	LastDeploymentSucceededAt time.Time // zero until a deployment succeeds
	LastAttemptedDeploymentID string
	LastSucceededDeploymentID string
	LastClientToken           string
	Version                   int64
}

// Attached reports whether c is attached to a service instance.
func (c Component) Attached() bool { return c.ServiceInstanceName != "" }

// Document returns the component's manifest and IaC file (from Inputs).
func (c Component) Document() ComponentDocument { return DocumentOf(c.TemplateState) }

// ComponentDocument is what a component deploys besides its service spec:
// the TemplateState.Inputs of a component and of its deployments. The
// attachment is recorded with it, so that a deployment's state says where
// the component was.
type ComponentDocument struct {
	Manifest            string `json:"manifest"`
	TemplateFile        string `json:"templateFile"`
	ServiceName         string `json:"serviceName,omitempty"`
	ServiceInstanceName string `json:"serviceInstanceName,omitempty"`
	// Inputs are the instance's inputs that the service spec gives, as a
	// JSON object, when the component has one (validated when it was
	// written).
	Inputs json.RawMessage `json:"inputs,omitempty"`
}

// State returns the TemplateState that deploys doc with the service spec
// spec.
func (doc ComponentDocument) State(spec string) TemplateState {
	b, _ := json.Marshal(doc) // strings and a JSON object: cannot fail
	return TemplateState{Spec: spec, Inputs: string(b)}
}

// DocumentOf reads the ComponentDocument of a component's TemplateState;
// a state that holds none gives the zero document.
func DocumentOf(st TemplateState) ComponentDocument {
	var doc ComponentDocument
	_ = json.Unmarshal([]byte(st.Inputs), &doc)
	return doc
}

// TargetKey is the deployment target key of c: its name.
func (c Component) TargetKey() string { return c.Name }

// InstanceLink asks a component write to hold a service instance the
// component is attached to: the service must exist and not be being
// deleted, the instance must exist in Environment and not be being
// deleted, and no other component may be attached to it. With Idle, the
// instance must have no deployment in flight either (a component's update
// waits for its instance). The service and the instance are read with a
// lock that their deletes and the instance's updates wait for.
type InstanceLink struct {
	ServiceName  string
	InstanceName string
	Environment  string
	Idle         bool
}

// WriteComponentParams is the input of Components.WriteComponent: one
// change of a component, with the deployment it starts.
type WriteComponentParams struct {
	// Create: the component is new; else Component replaces the stored row
	// if its Version is ExpectVersion (the store sets ExpectVersion+1).
	Create        bool
	Component     Component
	ExpectVersion int64
	Deployment    *NewDeployment
	// Instance, when set, is the instance the component is attached to
	// after the write.
	Instance *InstanceLink
	// Environment, when set, is the environment the component deploys in:
	// it must exist and not be being deleted, read with a lock that its
	// delete waits for.
	Environment string
	Tags        []Tag  // on create, under ARN
	ARN         string // the component's ARN
	Quota       int    // on create: most components of the account in the region
}

// ListComponentsQuery is the input of Components.ListComponents: the
// components of the account in the region that match every name given.
type ListComponentsQuery struct {
	Account             string
	Region              string
	EnvironmentName     string
	ServiceName         string
	ServiceInstanceName string
	After               string
	Limit               int
}

// Errors of the components contract.
var (
	// ErrInstanceUnusable: an InstanceLink did not hold (its service or
	// instance is gone, being deleted, or in another environment).
	ErrInstanceUnusable = errors.New("store: service instance is not usable for this component")
	// ErrInstanceBusy: an InstanceLink with Idle found the instance
	// deploying.
	ErrInstanceBusy = errors.New("store: service instance has a deployment in progress")
	// ErrHasComponent: the instance already has another component
	// attached; or a write would delete an instance, or its service, with
	// a component attached.
	ErrHasComponent = errors.New("store: service instance has a component attached")
	// ErrComponentBusy: an instance update was refused because its
	// attached component has a deployment in flight.
	ErrComponentBusy = errors.New("store: component has a deployment in progress")
	// ErrHasComponents: an environment with components cannot be deleted.
	ErrHasComponents = errors.New("store: environment has components")
)

// Components stores components, keyed by (account, region, name);
// Deployments keeps their deployments (target type COMPONENT, key the
// name, each component its own serial key), Tombstones those of deleted
// ones (ARN type "component", key the name). Tags are stored under the
// component's ARN.
//
// Rules across families, each checked in the transaction of the write it
// guards: a component is attached to at most one instance and an instance
// has at most one component (ErrHasComponent); WriteService refuses to
// delete an instance (or a service's instances) with a component attached
// (ErrHasComponent) and to start a deploy of an instance whose component
// has a deployment in flight (ErrComponentBusy); UpdateEnvironment refuses
// a delete of an environment with components (ErrHasComponents).
type Components interface {
	// WriteComponent writes p in one transaction: the component row, the
	// deployment (with its job when queued) and, on create, its tags.
	// Checks: on create, a component of that name exists →
	// ErrAlreadyExists with it, the account has p.Quota or more
	// components → ErrQuotaExceeded; else ErrNotFound, or
	// ErrConditionFailed with the component as it is when its version is
	// not the expected one; p.Environment does not hold →
	// ErrEnvironmentUnusable; p.Instance does not hold →
	// ErrInstanceUnusable, ErrInstanceBusy or ErrHasComponent. A create
	// removes the component's tombstone.
	WriteComponent(ctx context.Context, p WriteComponentParams) (Component, error)

	// GetComponent returns the component, or ErrNotFound.
	GetComponent(ctx context.Context, account, region, name string) (Component, error)

	// ComponentOf returns the component attached to an instance, or
	// ErrNotFound.
	ComponentOf(ctx context.Context, account, region, service, instance string) (Component, error)

	// ListComponents returns at most q.Limit components matching q with
	// names after q.After, by name.
	ListComponents(ctx context.Context, q ListComponentsQuery) ([]Component, error)
}
