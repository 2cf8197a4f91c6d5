package provision

import "context"

// Action is what a request asks of the engine.
type Action string

// The actions.
const (
	Deploy  Action = "DEPLOY"  // create or update the target's infrastructure
	Destroy Action = "DESTROY" // remove it
)

// File is one rendered infrastructure file of the bundle.
type File struct {
	Path            string // relative to the bundle's infrastructure directory
	Content         string // rendered
	RenderingEngine string // jinja, hcl or codebuild, from the manifest
	Language        string // cloudformation or terraform, from the manifest
}

// Target is the resource being provisioned.
type Target struct {
	Type string // ENVIRONMENT, SERVICE_INSTANCE or SERVICE_PIPELINE
	// Name is the environment's or the instance's name, or for a pipeline
	// its service's.
	Name string
	// Service is the service of an instance or a pipeline.
	Service string
	ARN     string
	Account string // the account that owns the resource (the management account)
	Region  string
}

// Credentials say where and as whom to provision.
type Credentials struct {
	// Account is the account the infrastructure lives in: the environment
	// account of a connection, else the resource's own account.
	Account string
	// RoleArn is the role to provision with: the environment's
	// protonServiceRoleArn or its connection's roleArn.
	RoleArn string
	// CodebuildRoleArn is the role for CodeBuild provisioning, if any.
	CodebuildRoleArn string
}

// Request is one deployment handed to an engine.
type Request struct {
	DeploymentID string
	Action       Action
	Target       Target
	TemplateName string
	MajorVersion string
	MinorVersion string
	Files        []File // empty for a template without infrastructure
	// CodeBuild is set when the template provisions with CodeBuild
	// commands (its manifest's rendering_engine codebuild), for deploys
	// and destroys alike: a destroy may render no files.
	CodeBuild bool
	Spec      string
	Inputs    map[string]any
	// EnvironmentOutputs are the outputs of the environment the target
	// lives in (for an environment: its own current outputs).
	EnvironmentOutputs map[string]string
	Credentials        Credentials
}

// Output is one output value.
type Output struct {
	Key   string
	Value string
}

// Resource is one provisioned resource.
type Resource struct {
	Name       string
	Identifier string
	Engine     string // CLOUDFORMATION or TERRAFORM
}

// Result is what a successful deployment produced.
type Result struct {
	Message   string
	Outputs   []Output
	Resources []Resource
}

// Engine carries out deployments. Run blocks until the deployment ends. It
// returns an error for a failed deployment (its message becomes the
// deployment's status message). When ctx is cancelled, Run stops as soon as
// it safely can and returns an error wrapping context.Cause(ctx); a result
// returned anyway means the deployment finished first.
type Engine interface {
	Name() string
	Run(ctx context.Context, req Request) (Result, error)
}
