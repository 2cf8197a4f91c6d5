package server

import (
	"flag"
	"net/url"
	"time"

	"github.com/openproton/openproton/internal/provision/cloudformation"
	"github.com/openproton/openproton/internal/provision/codebuild"
	"github.com/openproton/openproton/internal/render"
)

// DefaultCodeBuildLogs is where the output of CodeBuild commands is kept
// unless --codebuild-logs says otherwise: in the data directory below the
// working directory.
const DefaultCodeBuildLogs = "openproton-data/codebuild-logs"

// httpURL reports whether s is an http or https URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

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
	fs.StringVar(&c.Provisioner, "provisioner", "emulate", "provisioning engine of AWS-managed deployments: emulate provisions nothing and completes each deployment after --provisioner-delay; aws deploys CloudFormation stacks with the AWS SDK's standard configuration (credentials, AWS_ENDPOINT_URL...), assuming each deployment's role, and runs the commands of CodeBuild templates on this host")
	fs.DurationVar(&c.ProvisionerDelay, "provisioner-delay", time.Second, "how long the emulate provisioner takes for one deployment")
	fs.DurationVar(&c.ProvisionerPoll, "provisioner-poll", cloudformation.DefaultPoll, "how often the aws provisioner reads a stack or change set it waits for")
	fs.DurationVar(&c.ProvisionerTimeout, "provisioner-timeout", cloudformation.DefaultTimeout, "how long the aws provisioner waits for one change set, stack operation or rollback before it fails the deployment")
	fs.DurationVar(&c.CodeBuildTimeout, "codebuild-timeout", codebuild.DefaultTimeout, "how long the commands of one CodeBuild template's run may take under --provisioner aws before they are stopped and the deployment fails")
	fs.BoolVar(&c.CodeBuildSandbox, "codebuild-sandbox", true, "run the commands of CodeBuild templates in a bubblewrap sandbox (bwrap) when it is installed: the work directory writable, the rest of the file system read-only")
	fs.StringVar(&c.CodeBuildLogs, "codebuild-logs", DefaultCodeBuildLogs, "directory that keeps the output of each deployment's CodeBuild commands, as <deployment id>.log")
	fs.StringVar(&c.CodeBuildEndpoint, "codebuild-proton-endpoint", "", "URL of this server that CodeBuild commands call (their AWS_ENDPOINT_URL_PROTON); empty: http:// and the address the server listens on, 127.0.0.1 for a wildcard one")
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
	case c.CodeBuildTimeout < time.Second:
		return bad("codebuild-timeout", "%s: at least 1s", c.CodeBuildTimeout)
	case c.CodeBuildLogs == "":
		return bad("codebuild-logs", "%q: must name a directory", c.CodeBuildLogs)
	case c.CodeBuildEndpoint != "" && !httpURL(c.CodeBuildEndpoint):
		return bad("codebuild-proton-endpoint", "%q: an http:// or https:// URL with a host", c.CodeBuildEndpoint)
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
