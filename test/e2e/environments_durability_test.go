package e2e

// A deployment in flight when its server is killed ends in a terminal state
// after a restart: the lease of the dead process expires and the new one
// takes the deployment over, or gives it up after the configured attempts.

import (
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// envPublishTemplate writes the sample environment bundle into the bundle directory, registers
// it as version 1.0 of a new template and publishes it.
func envPublishTemplate(t *testing.T, c *proton.Client, bundles, name string) {
	t.Helper()
	envPublishBundle(t, c, bundles, name, bundletest.EnvBundle(t))
}

// envPublishBundle is envPublishTemplate with a bundle of the caller's.
func envPublishBundle(t *testing.T, c *proton.Client, bundles, name string, bundle []byte) {
	t.Helper()
	ctx := context.Background()
	bundletest.WriteObject(t, bundles, "bucket", name+".tar.gz", bundle)
	if _, err := c.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String(name)}); err != nil {
		t.Fatalf("CreateEnvironmentTemplate: %v", err)
	}
	_, err := c.CreateEnvironmentTemplateVersion(ctx, &proton.CreateEnvironmentTemplateVersionInput{
		TemplateName: aws.String(name),
		Source:       &types.TemplateVersionSourceInputMemberS3{Value: types.S3ObjectSource{Bucket: aws.String("bucket"), Key: aws.String(name + ".tar.gz")}},
	})
	if err != nil {
		t.Fatalf("CreateEnvironmentTemplateVersion: %v", err)
	}
	w := proton.NewEnvironmentTemplateVersionRegisteredWaiter(c, func(o *proton.EnvironmentTemplateVersionRegisteredWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, time.Second
	})
	key := &proton.GetEnvironmentTemplateVersionInput{TemplateName: aws.String(name), MajorVersion: aws.String("1"), MinorVersion: aws.String("0")}
	if err := w.Wait(ctx, key, time.Minute); err != nil {
		t.Fatalf("version not registered: %v", err)
	}
	if _, err := c.UpdateEnvironmentTemplateVersion(ctx, &proton.UpdateEnvironmentTemplateVersionInput{
		TemplateName: aws.String(name), MajorVersion: aws.String("1"), MinorVersion: aws.String("0"), Status: types.TemplateVersionStatusPublished,
	}); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

// envWaitTerminal polls an environment until its deployment ends.
func envWaitTerminal(t *testing.T, c *proton.Client, name string, within time.Duration) *types.Environment {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		out, err := c.GetEnvironment(context.Background(), &proton.GetEnvironmentInput{Name: aws.String(name)})
		if err != nil {
			t.Fatalf("GetEnvironment: %v", err)
		}
		switch out.Environment.DeploymentStatus {
		case types.DeploymentStatusSucceeded, types.DeploymentStatusFailed, types.DeploymentStatusCancelled:
			return out.Environment
		}
		if time.Now().After(deadline) {
			t.Fatalf("environment %s still %s after %s", name, out.Environment.DeploymentStatus, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// envWithArg returns args with the value of flag replaced.
func envWithArg(args []string, flag, value string) []string {
	out := slices.Clone(args)
	for i := range out {
		if out[i] == flag && i+1 < len(out) {
			out[i+1] = value
		}
	}
	return out
}

// envKillDuringDeployment starts a server whose deployments never end by
// themselves, creates an environment, kills the server once a worker holds
// the deployment (its lease, read from the store), restarts it with
// restartArgs changed and returns the environment once its deployment
// ended, and how often the deployment was taken up (the attempt that the
// restarted server's log gives for the end).
func envKillDuringDeployment(t *testing.T, flag, value string, extra ...string) (*types.Environment, int) {
	bundles := t.TempDir()
	spec := "sqlite:" + filepath.Join(t.TempDir(), "openproton.db")
	args := append([]string{"--store", spec, "--bundle-dir", bundles, "--provisioner-delay", "1h", "--deployment-lease", "2s", "--render-timeout", "500ms"}, extra...)
	srv := connStartServer(t, args...)
	db := storeDB(t, spec)
	acct := connAccount()
	c := connClient(srv, acct, "us-east-1")
	ctx := context.Background()
	envPublishTemplate(t, c, bundles, "tpl")
	out, err := c.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{
		Name: aws.String("crash"), TemplateName: aws.String("tpl"), TemplateMajorVersion: aws.String("1"),
		Spec: aws.String("proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.9.0.0/16\"\n"), ProtonServiceRoleArn: connRole(acct, "proton"),
	})
	if err != nil {
		t.Fatalf("CreateEnvironment: %v", err)
	}
	id := aws.ToString(out.Environment.LastAttemptedDeploymentId)
	// The kill must find the deployment held by a worker of the killed
	// process, or there is nothing to take over.
	storeWaitLeased(t, db, id, 10*time.Second)
	srv.Kill(t)
	connHTTPClient.CloseIdleConnections()
	srv.args = envWithArg(srv.args, flag, value)
	srv.start(t)
	env := envWaitTerminal(t, c, "crash", 60*time.Second)
	return env, envEndedAtAttempt(t, srv, id)
}

// envEndedAtAttempt returns the attempt at which the server ended deployment
// id, from its log line "deployment ended". The job that counted the
// attempts goes with the end of the deployment, so the log is what tells.
func envEndedAtAttempt(t *testing.T, srv *Server, id string) int {
	t.Helper()
	attempt := regexp.MustCompile(` attempt=(\d+)`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, line := range scanLines(srv.Logs()) {
			if !strings.Contains(line, `msg="deployment ended"`) || !strings.Contains(line, " deployment="+id+" ") {
				continue
			}
			m := attempt.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("the line that ended deployment %s gives no attempt: %s", id, line)
			}
			n, _ := strconv.Atoi(m[1])
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server logged no end of deployment %s:\n%s", id, srv.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestEnvironmentDeploymentSurvivesKill: after a kill -9 the restarted
// server (with a short provisioner delay) takes the deployment over and
// completes it.
func TestEnvironmentDeploymentSurvivesKill(t *testing.T) {
	t.Parallel()
	env, attempts := envKillDuringDeployment(t, "--provisioner-delay", "100ms")
	if env.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Fatalf("deployment ended %s: %s", env.DeploymentStatus, aws.ToString(env.DeploymentStatusMessage))
	}
	if attempts != 2 {
		t.Fatalf("the deployment was taken up %d times, want 2: by the killed server, then by the restarted one", attempts)
	}
}

// TestEnvironmentDeploymentGivesUp: with one attempt allowed, the deployment
// that a killed server was running fails after the restart, with a message.
func TestEnvironmentDeploymentGivesUp(t *testing.T) {
	t.Parallel()
	env, _ := envKillDuringDeployment(t, "--provisioner-delay", "100ms", "--deployment-attempts", "1")
	if env.DeploymentStatus != types.DeploymentStatusFailed || aws.ToString(env.DeploymentStatusMessage) == "" {
		t.Fatalf("deployment ended %s (%q), want FAILED with a message", env.DeploymentStatus, aws.ToString(env.DeploymentStatusMessage))
	}
}
