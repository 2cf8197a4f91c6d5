package server

import (
	"flag"
	"time"

	"github.com/openproton/openproton/internal/provision/cloudformation"
	"github.com/openproton/openproton/internal/render"
)

// The provisioners (--provisioner).
const (
	ProvisionerEmulate = "emulate"
	ProvisionerAWS     = "aws"
)

// environmentFlags declares the settings of environments, services and
// deployments.
func environmentFlags(fs *flag.FlagSet, c *Config) {
	fs.IntVar(&c.EnvironmentQuota, "quota-environments", 100, "environments an account may have per region")
	fs.IntVar(&c.ServiceQuota, "quota-services", 1000, "services an account may have per region")
	fs.IntVar(&c.InstanceQuota, "quota-service-instances", 20, "instances one service may have")
	fs.IntVar(&c.ComponentQuota, "quota-components", 100, "components an account may have per region")
	fs.StringVar(&c.Provisioner, "provisioner", "emulate", "provisioning engine of AWS-managed deployments: emulate provisions nothing and completes each deployment after --provisioner-delay; aws deploys CloudFormation stacks with the AWS SDK's standard configuration (credentials, AWS_ENDPOINT_URL...), assuming each deployment's role")
	fs.DurationVar(&c.ProvisionerDelay, "provisioner-delay", time.Second, "how long the emulate provisioner takes for one deployment")
	fs.DurationVar(&c.ProvisionerPoll, "provisioner-poll", cloudformation.DefaultPoll, "how often the aws provisioner reads a stack or change set it waits for")
	fs.DurationVar(&c.ProvisionerTimeout, "provisioner-timeout", cloudformation.DefaultTimeout, "how long the aws provisioner waits for one change set, stack operation or rollback before it fails the deployment")
	fs.IntVar(&c.DeploymentWorkers, "deployment-workers", 8, "deployments one process carries out at once")
	fs.DurationVar(&c.DeploymentLease, "deployment-lease", 30*time.Second, "how long a process holds a deployment without renewing it before another may take it over (after a crash)")
	fs.IntVar(&c.DeploymentAttempts, "deployment-attempts", 5, "how often a deployment is taken up (after crashes) before it fails")
	fs.IntVar(&c.RenderMemoryMiB, "render-memory-mib", render.DefaultMemory>>20, "memory one template rendering may use, in MiB (each rendering runs in a process of its own)")
	fs.DurationVar(&c.RenderTimeout, "render-timeout", render.DefaultTime, "how long one rendering (all the template files of one deployment) may take")
	fs.IntVar(&c.RenderProcesses, "render-processes", render.DefaultProcesses, "template renderings one server process runs at once; more wait their turn")
}

func (c Config) validateEnvironments() error {
	switch {
	case c.EnvironmentQuota < 1:
		return bad("quota-environments", "%d: at least 1", c.EnvironmentQuota)
	case c.ServiceQuota < 1:
		return bad("quota-services", "%d: at least 1", c.ServiceQuota)
	case c.InstanceQuota < 1:
		return bad("quota-service-instances", "%d: at least 1", c.InstanceQuota)
	case c.ComponentQuota < 1:
		return bad("quota-components", "%d: at least 1", c.ComponentQuota)
	case c.Provisioner != ProvisionerEmulate && c.Provisioner != ProvisionerAWS:
		return bad("provisioner", "%q: emulate or aws", c.Provisioner)
	case c.ProvisionerDelay < 0:
		return bad("provisioner-delay", "%s: must not be negative", c.ProvisionerDelay)
	case c.ProvisionerPoll < 10*time.Millisecond:
		return bad("provisioner-poll", "%s: at least 10ms", c.ProvisionerPoll)
	case c.ProvisionerTimeout < time.Second:
		return bad("provisioner-timeout", "%s: at least 1s", c.ProvisionerTimeout)
	case c.DeploymentWorkers < 1 || c.DeploymentWorkers > 256:
		return bad("deployment-workers", "%d: between 1 and 256", c.DeploymentWorkers)
	case c.DeploymentLease < time.Second:
		return bad("deployment-lease", "%s: at least 1s", c.DeploymentLease)
	case c.DeploymentAttempts < 1:
		return bad("deployment-attempts", "%d: at least 1", c.DeploymentAttempts)
	case c.RenderMemoryMiB < minRenderMemoryMiB || c.RenderMemoryMiB > maxRenderMemoryMiB:
		return bad("render-memory-mib", "%d: between %d and %d (the Go runtime of a rendering process maps about 40 MiB at start, and its stack may take %d MiB)",
			c.RenderMemoryMiB, minRenderMemoryMiB, maxRenderMemoryMiB, render.DefaultStack>>20)
	case c.RenderTimeout < 100*time.Millisecond:
		return bad("render-timeout", "%s: at least 100ms", c.RenderTimeout)
	case c.RenderProcesses < 1 || c.RenderProcesses > 256:
		return bad("render-processes", "%d: between 1 and 256", c.RenderProcesses)
	}
	return nil
}

// Bounds of --render-memory-mib.
const (
	minRenderMemoryMiB = 128
	maxRenderMemoryMiB = 64 << 10
)

// renderLimits are the limits of the rendering processes.
func (c Config) renderLimits() render.Limits {
	return render.Limits{Memory: int64(c.RenderMemoryMiB) << 20, Time: c.RenderTimeout, Processes: c.RenderProcesses}
}
