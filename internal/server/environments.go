package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/pagetoken"
	"github.com/openproton/openproton/internal/proton/components"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/environments"
	"github.com/openproton/openproton/internal/proton/services"
	"github.com/openproton/openproton/internal/provision"
	"github.com/openproton/openproton/internal/provision/cloudformation"
	"github.com/openproton/openproton/internal/provision/codebuild"
	"github.com/openproton/openproton/internal/render"
	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/worker"
)

// deploymentPoll is how often an idle process looks for deployments that it
// was not woken for: queued on another replica, or left by a process that
// stopped (once its lease expires).
const deploymentPoll = time.Second

// deploying are the families whose resources deploy, and the deployments
// of every target.
type deploying struct {
	environments *environments.Service
	services     *services.Service
	components   *components.Service
	deployments  *deployments.Service
	loop         *worker.Loop
}

// templateResolver resolves the template versions of both kinds
// (templates.Service).
type templateResolver interface {
	environments.Templates
	services.Templates
}

// newDeploying wires the environments, services and components families and the
// deployments of every target: the services, and the loop of workers that
// carry out deployment jobs with the configured engine, which wakes when
// one is queued.
func newDeploying(ctx context.Context, cfg Config, st store.Store, t templateResolver, pages *pagetoken.Codec, log *slog.Logger, cw commandsWiring) (deploying, error) {
	engine, err := newEngine(ctx, cfg, log, cw)
	if err != nil {
		return deploying{}, err
	}
	renderer := render.NewIsolated(cfg.renderLimits())
	svcTarget := services.NewTarget(st, t, renderer)
	handler := deployments.NewHandler(st, engine, map[store.TargetType]deployments.Target{
		store.TargetEnvironment:     environments.NewTarget(st, t, renderer),
		store.TargetServiceInstance: svcTarget,
		store.TargetServicePipeline: svcTarget,
		store.TargetComponent:       components.NewTarget(st, renderer),
	}, deployments.HandlerOptions{Log: log})
	runner := worker.NewRunner(st, map[store.JobKind]worker.Handler{store.JobDeployment: handler}, worker.RunnerOptions{
		Owner: worker.NewOwnerID(), Lease: cfg.DeploymentLease, MaxAttempts: cfg.DeploymentAttempts, Log: log,
	})
	loop := worker.New("deployments", deploymentPoll, log, runner.Step)
	deps := deployments.New(st, pages, deployments.Options{Wake: loop.Wake, Interrupt: runner.Interrupt})
	svcs := services.New(st, t, deps, pages, services.Options{Quota: cfg.ServiceQuota, MaxInstances: cfg.InstanceQuota})
	return deploying{
		environments: environments.New(st, t, deps, pages, environments.Options{Quota: cfg.EnvironmentQuota}),
		services:     svcs,
		components:   components.New(st, svcs, deps, pages, components.Options{Quota: cfg.ComponentQuota}),
		deployments:  deps, loop: loop,
	}, nil
}

// commandsWiring is what the CodeBuild engine shares with the rest of the
// server: the registry of its runs' credentials, which the authenticator
// reads, and the server's own URL.
type commandsWiring struct {
	runs     *auth.Runs
	endpoint func() string
}

// newEngine returns the provisioning engine that --provisioner names.
func newEngine(ctx context.Context, cfg Config, log *slog.Logger, cw commandsWiring) (provision.Engine, error) {
	if cfg.Provisioner != ProvisionerAWS {
		return provision.Emulate{Delay: cfg.ProvisionerDelay}, nil
	}
	cfn, err := cloudformation.New(ctx, cloudformation.Options{Poll: cfg.ProvisionerPoll, Timeout: cfg.ProvisionerTimeout,
		CancelRequested: func(cause error) bool { return errors.Is(cause, worker.ErrCancelRequested) }})
	if err != nil {
		return nil, err
	}
	cb, err := codebuild.New(ctx, codebuild.Options{Timeout: cfg.CodeBuildTimeout, Sandbox: cfg.CodeBuildSandbox,
		Hidden: cfg.hiddenFromCommands(), LogDir: cfg.CodeBuildLogs, Endpoint: cw.endpoint, Runs: cw.runs, Log: log,
		MaxOutputs: deployments.DefaultMaxOutputs})
	if err != nil {
		return nil, err
	}
	return provision.AWS{CloudFormation: cfn, CodeBuild: cb}, nil
}

// hiddenFromCommands are the server's files that sandboxed CodeBuild
// commands must not see: the logs of other deployments, the SQLite store
// and the credentials file.
func (c Config) hiddenFromCommands() []string {
	hidden := []string{c.CodeBuildLogs}
	if ss, err := ParseStore(c.Store); err == nil && ss.Kind == StoreSQLite {
		hidden = append(hidden, ss.Path, ss.Path+"-wal", ss.Path+"-shm")
	}
	if c.Credentials != "" {
		hidden = append(hidden, c.Credentials)
	}
	return hidden
}
