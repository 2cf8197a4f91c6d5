package codebuild

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/openproton/openproton/internal/provision"
	"github.com/openproton/openproton/internal/provision/cloudformation"
)

// DefaultTimeout is the default of Options.Timeout.
const DefaultTimeout = time.Hour

// Runs registers the credentials handed to a run's commands, so that the
// server takes their calls as the run's (auth.Runs implements it).
type Runs interface {
	Add(accessKeyID, secret, account, deployment string) (remove func())
}

// Options configure an Engine.
type Options struct {
	// Timeout bounds one run of a template's commands; DefaultTimeout when
	// zero.
	Timeout time.Duration
	// Sandbox runs the commands in bubblewrap when bwrap is installed.
	Sandbox bool
	// Hidden are paths that sandboxed commands must not see (the data
	// directory, the credentials file): each is covered by an empty one.
	Hidden []string
	// LogDir keeps the output of each deployment's commands,
	// LogDir/<deployment id>.log; "" keeps none.
	LogDir string
	// WorkDir is where the runs' work directories are made; the system's
	// temporary directory when "".
	WorkDir string
	// Endpoint returns the URL of this server's Proton API, given to the
	// commands as AWS_ENDPOINT_URL_PROTON.
	Endpoint func() string
	// MaxOutputs bounds the outputs of an outputs file (OutputsFile), the
	// most that a deployment may hold; DefaultMaxOutputs when zero.
	MaxOutputs int
	// Runs, when set, takes the credentials of each run while it lasts.
	Runs Runs
	// Environ is the server's environment, from which the commands get
	// PATH and the AWS_ENDPOINT_URL* settings; os.Environ() when nil.
	Environ []string
	// Log is the server's log; slog.Default() when nil.
	Log *slog.Logger
}

// Engine runs the commands of CodeBuild templates. It implements
// provision.Engine for requests whose Commands are set.
type Engine struct {
	opts Options
	// sts returns the client that assumes roles in region.
	sts func(region string) stscreds.AssumeRoleAPIClient
	// bwrap is the sandbox's program, "" to run unsandboxed.
	bwrap string
}

var _ provision.Engine = (*Engine)(nil)

// New returns an Engine that assumes the CodeBuild roles with the SDK's
// standard configuration (config.LoadDefaultConfig).
func New(ctx context.Context, o Options) (*Engine, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	return NewFromConfig(cfg, o), nil
}

// NewFromConfig returns an Engine whose STS clients are made from cfg.
func NewFromConfig(cfg aws.Config, o Options) *Engine {
	return newEngine(o, func(region string) stscreds.AssumeRoleAPIClient {
		return sts.NewFromConfig(cfg, func(x *sts.Options) { x.Region = region })
	})
}

// newEngine returns an Engine with the given STS client maker.
func newEngine(o Options, stsClient func(string) stscreds.AssumeRoleAPIClient) *Engine {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxOutputs <= 0 {
		o.MaxOutputs = DefaultMaxOutputs
	}
	if o.Environ == nil {
		o.Environ = os.Environ()
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Endpoint == nil {
		o.Endpoint = func() string { return "" }
	}
	e := &Engine{opts: o, sts: stsClient}
	if o.Sandbox {
		if path, err := exec.LookPath("bwrap"); err == nil {
			e.bwrap = path
		} else {
			o.Log.Warn("bubblewrap (bwrap) is not installed: CodeBuild commands run without a sandbox")
		}
	}
	return e
}

// Name implements provision.Engine.
func (e *Engine) Name() string { return "codebuild" }

// Run implements provision.Engine: it runs the request's provision (deploy)
// or deprovision (destroy) commands. Their outputs are what the commands
// report with NotifyResourceDeploymentStatusChange, recorded as they come,
// and, after provision commands that succeeded, those of the outputs file
// they left in the work directory (OutputsFile), which the result carries:
// the deployment records them over the notified ones, so that the file
// wins for a key in both.
func (e *Engine) Run(ctx context.Context, req provision.Request) (provision.Result, error) {
	c := req.Commands
	if c == nil {
		return provision.Result{}, errors.New("the template's CodeBuild settings (provision and deprovision commands) were not given to the engine")
	}
	commands, phase := c.Provision, "provision"
	if req.Action == provision.Destroy {
		commands, phase = c.Deprovision, "deprovision"
	}
	if len(commands) == 0 {
		return provision.Result{Message: fmt.Sprintf("The template has no %s commands: nothing was run.", phase)}, nil
	}
	endpoint := e.opts.Endpoint()
	if endpoint == "" {
		// Without it the commands' Proton calls would go to AWS.
		return provision.Result{}, errors.New("the URL of this server's Proton API is not known yet, so the commands could not report to it")
	}
	role := req.Credentials.CodebuildRoleArn
	if role == "" {
		return provision.Result{}, errors.New("no CodeBuild role to run the commands with: the environment needs a codebuildRoleArn or a connection with one (a pipeline: the account's pipelineCodebuildRoleArn)")
	}
	creds, err := e.assume(ctx, req.Target.Region, role, req.DeploymentID)
	if err != nil {
		return provision.Result{}, err
	}
	if e.opts.Runs != nil {
		account := req.Credentials.Account
		if a, err := arn.Parse(role); err == nil && a.AccountID != "" {
			account = a.AccountID
		}
		defer e.opts.Runs.Add(creds.AccessKeyID, creds.SecretAccessKey, account, req.DeploymentID)()
	}
	dir, err := os.MkdirTemp(e.opts.WorkDir, "openproton-codebuild-")
	if err != nil {
		return provision.Result{}, fmt.Errorf("make the work directory: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := writeWorkDir(dir, req.Files, c.InputType, c.Input); err != nil {
		return provision.Result{}, err
	}
	out, err := openOutput(e.opts.LogDir, req.DeploymentID)
	if err != nil {
		return provision.Result{}, err
	}
	defer out.Close()
	out.note("%s %s: %d %s commands of template %s %s.%s for %s", time.Now().UTC().Format(time.RFC3339), req.DeploymentID,
		len(commands), phase, req.TemplateName, req.MajorVersion, req.MinorVersion, req.Target.ARN)
	if e.opts.Sandbox && e.bwrap == "" {
		out.note("bubblewrap (bwrap) is not installed: the commands run without a sandbox")
	}
	r := run{dir: dir, env: e.environment(dir, endpoint, req, creds), script: script(commands), bwrap: e.bwrap, hidden: e.opts.Hidden,
		timeout: e.opts.Timeout, out: out}
	notice := unhonoured(c)
	if err := r.exec(ctx); err != nil {
		var f *failure
		if errors.As(err, &f) {
			return provision.Result{}, errors.New(f.message(notice))
		}
		return provision.Result{}, err
	}
	res := provision.Result{Message: joinMessage(fmt.Sprintf("The %d %s commands ran.", len(commands), phase), notice)}
	if req.Action == provision.Destroy {
		return res, nil
	}
	if res.Outputs, err = readOutputs(dir, e.opts.MaxOutputs); err != nil {
		out.note("the outputs file failed the deployment: %v", err)
		return provision.Result{}, errors.New(joinMessage(fmt.Sprintf("The %d %s commands ran, but %s.", len(commands), phase, err), notice))
	}
	return res, nil
}

// assume assumes role for a run of deployment id and returns its
// credentials, which the commands use as they are (they are not renewed
// during the run).
func (e *Engine) assume(ctx context.Context, region, role, id string) (aws.Credentials, error) {
	p := stscreds.NewAssumeRoleProvider(e.sts(region), role, func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = cloudformation.SessionName(id) })
	creds, err := p.Retrieve(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return aws.Credentials{}, fmt.Errorf("deployment stopped: %w", context.Cause(ctx))
		}
		return aws.Credentials{}, fmt.Errorf("could not assume the CodeBuild role %s: %s", role, cloudformation.AWSMessage(err))
	}
	return creds, nil
}
