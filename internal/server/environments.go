package server

import (
	"log/slog"
	"time"

	"github.com/openproton/openproton/internal/pagetoken"
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

// newEnvironments wires the environments family: the service, and the loop
// of workers that carry out deployments with the configured engine, which
// wakes when a deployment is queued.
func newEnvironments(cfg Config, st store.Store, t environments.Templates, pages *pagetoken.Codec, log *slog.Logger) (*environments.Service, *worker.Loop) {
	engine := provision.Emulate{Delay: cfg.ProvisionerDelay}
	runner := environments.NewRunner(st, t, engine, environments.RunnerOptions{
		Owner: worker.NewOwnerID(), Lease: cfg.DeploymentLease, MaxAttempts: cfg.DeploymentAttempts, Log: log,
		Renderer: render.NewIsolated(cfg.renderLimits()),
	})
	loop := worker.New("deployments", deploymentPoll, log, runner.Step)
	svc := environments.New(st, t, pages, environments.Options{
		Quota: cfg.EnvironmentQuota, Wake: loop.Wake, Interrupt: runner.Interrupt,
	})
	return svc, loop
}
