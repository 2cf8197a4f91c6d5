package cloudformation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/openproton/openproton/internal/provision"
)

// Defaults of Options.
const (
	DefaultPoll    = 5 * time.Second
	DefaultTimeout = time.Hour
)

// Options configure an Engine; zero fields take the defaults.
type Options struct {
	// Poll is how long the engine waits between two reads of a change set
	// or a stack.
	Poll time.Duration
	// Timeout bounds each wait: for a change set, for a stack to settle,
	// for a rollback after a cancel. A wait that runs out fails the
	// deployment (the stack goes on).
	Timeout time.Duration
	// CancelRequested reports whether the cause that ended a run's context
	// is a user's request to cancel the deployment: an update in progress
	// is then cancelled (CancelUpdateStack) and rolled back. Any other
	// cause (the process stops, the lease passed to another worker) leaves
	// the stack to CloudFormation, for the next attempt to watch. Nil: no
	// cause is a cancel.
	CancelRequested func(cause error) bool
}

// Engine is the provision.Engine of --provisioner aws.
type Engine struct {
	opts Options
	// sts returns the client that assumes roles in region.
	sts func(region string) stscreds.AssumeRoleAPIClient
	// cloudFormation returns a CloudFormation client of region acting
	// with creds.
	cloudFormation func(region string, creds aws.CredentialsProvider) API
}

var _ provision.Engine = (*Engine)(nil)

// New returns an Engine configured the SDK's standard way
// (config.LoadDefaultConfig): its own credentials assume the deployments'
// roles.
func New(ctx context.Context, o Options) (*Engine, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	return NewFromConfig(cfg, o), nil
}

// NewFromConfig returns an Engine whose clients are made from cfg.
func NewFromConfig(cfg aws.Config, o Options) *Engine {
	return newEngine(o,
		func(region string) stscreds.AssumeRoleAPIClient {
			return sts.NewFromConfig(cfg, func(x *sts.Options) { x.Region = region })
		},
		func(region string, creds aws.CredentialsProvider) API {
			return cfn.NewFromConfig(cfg, func(x *cfn.Options) { x.Region, x.Credentials = region, creds })
		})
}

// newEngine returns an Engine with the given client makers.
func newEngine(o Options, stsClient func(string) stscreds.AssumeRoleAPIClient, cfnClient func(string, aws.CredentialsProvider) API) *Engine {
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.CancelRequested == nil {
		o.CancelRequested = func(error) bool { return false }
	}
	return &Engine{opts: o, sts: stsClient, cloudFormation: cfnClient}
}

// Name implements provision.Engine.
func (e *Engine) Name() string { return "aws" }

// Run implements provision.Engine.
func (e *Engine) Run(ctx context.Context, req provision.Request) (provision.Result, error) {
	if codeBuild(req) {
		if req.Action == provision.Destroy {
			// No deploy of this template can have provisioned anything:
			// this engine refuses them, the emulating one provisions
			// nothing.
			return provision.Result{Message: codeBuildNotBuilt + " Nothing was provisioned with it, so nothing was deprovisioned."}, nil
		}
		return provision.Result{}, errors.New(codeBuildNotBuilt)
	}
	var body string
	if req.Action == provision.Deploy {
		var err error
		if body, err = templateBody(req.Files); err != nil {
			return provision.Result{}, err
		}
		if body == "" {
			return provision.Result{Message: "The template has no infrastructure: nothing was provisioned."}, nil
		}
	}
	if req.Credentials.RoleArn == "" {
		return provision.Result{}, errors.New("no role to provision with: the environment needs a protonServiceRoleArn or a connection with a role (a pipeline: the account's pipelineServiceRoleArn)")
	}
	api, err := e.connect(ctx, req)
	if err != nil {
		return provision.Result{}, err
	}
	r := &run{api: api, opts: e.opts, stack: StackName(req.Target), changeSet: ChangeSetName(req.DeploymentID)}
	if req.Action == provision.Destroy {
		return r.destroy(ctx)
	}
	return r.deploy(ctx, body)
}

// connect assumes the request's role and returns a CloudFormation client
// acting with it. The credentials are fetched at once, so that a refused
// AssumeRole fails the deployment with AWS's message, and again when they
// are about to expire during a long deployment.
func (e *Engine) connect(ctx context.Context, req provision.Request) (API, error) {
	region := req.Target.Region
	creds := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(e.sts(region), req.Credentials.RoleArn,
		func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = SessionName(req.DeploymentID) }))
	if _, err := creds.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("deployment stopped: %w", context.Cause(ctx))
		}
		return nil, fmt.Errorf("could not assume role %s: %s", req.Credentials.RoleArn, awsMessage(err))
	}
	return e.cloudFormation(region, creds), nil
}
