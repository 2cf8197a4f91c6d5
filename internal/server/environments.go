package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/openproton/openproton/internal/pagetoken"
	"github.com/openproton/openproton/internal/proton/components"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/environments"
	"github.com/openproton/openproton/internal/proton/services"
	"github.com/openproton/openproton/internal/provision"
	"github.com/openproton/openproton/internal/provision/cloudformation"
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
func newDeploying(ctx context.Context, cfg Config, st store.Store, t templateResolver, pages *pagetoken.Codec, log *slog.Logger) (deploying, error) {
	engine, err := newEngine(ctx, cfg)
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

// newEngine returns the provisioning engine that --provisioner names.
func newEngine(ctx context.Context, cfg Config) (provision.Engine, error) {
	if cfg.Provisioner != ProvisionerAWS {
		return provision.Emulate{Delay: cfg.ProvisionerDelay}, nil
	}
	return cloudformation.New(ctx, cloudformation.Options{Poll: cfg.ProvisionerPoll, Timeout: cfg.ProvisionerTimeout,
		CancelRequested: func(cause error) bool { return errors.Is(cause, worker.ErrCancelRequested) }})
}
