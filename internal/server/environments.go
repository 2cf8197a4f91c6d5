package server

import (
	"log/slog"
	"time"

	"github.com/openproton/openproton/internal/pagetoken"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/environments"
	"github.com/openproton/openproton/internal/provision"
	"github.com/openproton/openproton/internal/render"
	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/worker"
)

// deploymentPoll is how often an idle process looks for deployments that it
// was not woken for: queued on another replica, or left by a process that
// stopped (once its lease expires).
const deploymentPoll = time.Second

// newEnvironments wires the environments family and the deployments of
// every target: the services, and the loop of workers that carry out
// deployment jobs with the configured engine, which wakes when one is
// queued.
func newEnvironments(cfg Config, st store.Store, t environments.Templates, pages *pagetoken.Codec, log *slog.Logger) (*environments.Service, *deployments.Service, *worker.Loop) {
	engine := provision.Emulate{Delay: cfg.ProvisionerDelay}
	handler := deployments.NewHandler(st, engine, map[store.TargetType]deployments.Target{
		store.TargetEnvironment: environments.NewTarget(st, t, render.NewIsolated(cfg.renderLimits())),
	}, deployments.HandlerOptions{Log: log})
	runner := worker.NewRunner(st, map[store.JobKind]worker.Handler{store.JobDeployment: handler}, worker.RunnerOptions{
		Owner: worker.NewOwnerID(), Lease: cfg.DeploymentLease, MaxAttempts: cfg.DeploymentAttempts, Log: log,
	})
	loop := worker.New("deployments", deploymentPoll, log, runner.Step)
	deps := deployments.New(st, pages, deployments.Options{Wake: loop.Wake, Interrupt: runner.Interrupt})
	return environments.New(st, t, deps, pages, environments.Options{Quota: cfg.EnvironmentQuota}), deps, loop
}
