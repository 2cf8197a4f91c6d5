package e2e

// Hostile templates: every one fails its own deployment with a message
// that names the limit it reached, and nothing else happens: the server
// process lives on, keeps answering another account quickly, keeps its
// memory, repeats the failure on demand without harm and does not bring it
// back after a restart.

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// renderTimeout is the rendering time limit of the test's server: short,
// so that the template that loops for ever fails soon.
const renderTimeout = "3s"

// renderHostile are the hostile templates (the infrastructure file of an
// environment template) and the message each deployment must end with.
var renderHostile = []struct{ name, template, want string }{
	{"recursion", "# {% macro f(n) %}{{ f(n) }}{% endmacro %}\nOutputs:\n  X:\n    Value: '{{ f(1) }}'\n",
		"rendering infrastructure/cloudformation.yaml stopped: it needed recursion or nesting deeper than the rendering stack limit (32 MiB) allows"},
	// The 24 doublings that took an in-process server from 34 MB to 1 GB.
	{"doubling", renderDoubling(24),
		"rendering infrastructure/cloudformation.yaml stopped: it exceeded the rendering memory limit (256 MiB)"},
	{"loop", "Resources: {}\n# {% for a in 'x' * 100000 %}{% for b in 'x' * 100000 %}{% endfor %}{% endfor %}\n",
		"rendering infrastructure/cloudformation.yaml stopped: it took longer than the rendering time limit (" + renderTimeout + ")"},
	{"nesting", "Outputs:\n  X:\n    Value: '{{ " + strings.Repeat("(", 30000) + "1" + strings.Repeat(")", 30000) + " }}'\n",
		"rendering infrastructure/cloudformation.yaml stopped: it needed recursion or nesting deeper than the rendering stack limit (32 MiB) allows"},
}

func renderDoubling(n int) string {
	var b strings.Builder
	b.WriteString(`# {% set v0 = "xxxxxxxxxx" %}`)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "{%% set v%d = v%d ~ v%d %%}", i, i-1, i-1)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "Outputs:\n  L:\n    Value: '{{ v%d | length }}'\n", n)
	return b.String()
}

// renderMaxServerHWM bounds the peak resident memory of the server process
// through the whole test. The server alone peaks near 30 MiB under a soak
// load (reliability.md); rendering in the server, the 24 doublings alone
// needed one 168 MB string and took it past 1 GB. 128 MiB leaves the
// server four times its own peak and fails at once if any hostile value
// is built in its process again.
const renderMaxServerHWM = 128 << 20

// renderMaxOtherCall bounds each call of the other account while the
// hostile renderings run. They take the machine's CPUs for seconds, at a
// lower priority than the server; a call takes milliseconds when the
// machine is idle, and the bound leaves room for a machine that other
// work keeps busy too.
const renderMaxOtherCall = 2 * time.Second

func TestHostileTemplates(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	srv := connStartServer(t, "--bundle-dir", bundles, "--render-timeout", renderTimeout, "--provisioner-delay", "100ms")
	t.Cleanup(func() { connNo5xx(t, srv) })
	pid := srv.PID()
	ctx := context.Background()
	hostile, other := connAccount(), connAccount()
	hc, oc := connClient(srv, hostile, "us-east-1"), connClient(srv, other, "us-east-1")
	for _, h := range renderHostile {
		files := bundletest.EnvFiles()
		files["infrastructure/cloudformation.yaml"] = h.template
		envPublishBundle(t, hc, bundles, h.name, bundletest.Map(t, files))
	}
	envPublishTemplate(t, oc, bundles, "benign")

	// The other account is served while the hostile deployments render.
	stop := make(chan struct{})
	var calls []time.Duration
	var wg sync.WaitGroup
	var stopOnce sync.Once
	stopCalls := func() {
		stopOnce.Do(func() { close(stop) })
		wg.Wait()
	}
	// A check below that ends the test early must stop the calls first:
	// they report through t.
	defer stopCalls()
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			_, err := oc.ListEnvironmentTemplates(ctx, &proton.ListEnvironmentTemplatesInput{})
			calls = append(calls, time.Since(start))
			if err != nil {
				t.Errorf("the other account's call failed while hostile templates rendered: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	for _, h := range renderHostile {
		renderCreate(t, hc, hostile, h.name)
	}
	renderCreate(t, oc, other, "benign")
	if env := envWaitTerminal(t, oc, "benign", time.Minute); env.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Errorf("the other account's environment ended %s: %s", env.DeploymentStatus, aws.ToString(env.DeploymentStatusMessage))
	}
	first := renderCheckFailures(t, hc)
	stopCalls()
	slowest := time.Duration(0)
	for _, d := range calls {
		slowest = max(slowest, d)
	}
	t.Logf("%d calls of the other account while hostile templates rendered; slowest %s", len(calls), slowest)
	if len(calls) < 10 || slowest > renderMaxOtherCall {
		t.Errorf("the other account made %d calls, the slowest in %s; want 10 or more, each within %s", len(calls), slowest, renderMaxOtherCall)
	}
	renderCheckServer(t, srv, pid)

	// Asking again repeats the failure, and nothing else.
	for _, h := range renderHostile {
		if _, err := hc.UpdateEnvironment(ctx, &proton.UpdateEnvironmentInput{Name: aws.String(h.name),
			DeploymentType: types.DeploymentUpdateTypeCurrentVersion}); err != nil {
			t.Fatalf("UpdateEnvironment %s: %v", h.name, err)
		}
	}
	again := renderCheckFailures(t, hc)
	for name, id := range again {
		if id == first[name] {
			t.Errorf("%s: the update made no new deployment", name)
		}
	}
	renderCheckServer(t, srv, pid)

	// A restart brings nothing back: no deployment is run again.
	srv.Restart(t)
	time.Sleep(3 * time.Second) // three polls of the deployment workers
	if after := renderCheckFailures(t, hc); fmt.Sprint(after) != fmt.Sprint(again) {
		t.Errorf("after a restart the last deployments are %v, want %v", after, again)
	}
	if logs := srv.Logs(); strings.Contains(logs, "deployment ended") || strings.Contains(logs, "fatal error") {
		t.Errorf("the restarted server ran a deployment again:\n%s", logs)
	}
}

// renderCreate creates environment name of the template of that name.
func renderCreate(t *testing.T, c *proton.Client, account, name string) {
	t.Helper()
	_, err := c.CreateEnvironment(context.Background(), &proton.CreateEnvironmentInput{
		Name: aws.String(name), TemplateName: aws.String(name), TemplateMajorVersion: aws.String("1"),
		Spec: aws.String("proton: EnvironmentSpec\nspec: {}\n"), ProtonServiceRoleArn: connRole(account, "proton"),
	})
	if err != nil {
		t.Fatalf("CreateEnvironment %s: %v", name, err)
	}
}

// renderCheckFailures waits for every hostile environment's deployment to
// end, checks that it FAILED with its limit's message, and returns each
// environment's last attempted deployment.
func renderCheckFailures(t *testing.T, c *proton.Client) map[string]string {
	t.Helper()
	last := map[string]string{}
	for _, h := range renderHostile {
		env := envWaitTerminal(t, c, h.name, time.Minute)
		if env.DeploymentStatus != types.DeploymentStatusFailed || aws.ToString(env.DeploymentStatusMessage) != h.want {
			t.Errorf("%s ended %s: %q, want FAILED: %q", h.name, env.DeploymentStatus, aws.ToString(env.DeploymentStatusMessage), h.want)
		}
		last[h.name] = aws.ToString(env.LastAttemptedDeploymentId)
	}
	return last
}

// renderCheckServer checks that the server is the process it was, alive
// and answering, and that its peak resident memory stayed bounded.
func renderCheckServer(t *testing.T, srv *Server, pid int) {
	t.Helper()
	if srv.PID() != pid {
		t.Fatalf("the server is process %d, no longer %d", srv.PID(), pid)
	}
	if srv.hasExited() {
		t.Fatalf("the server process ended: %v\n%s", srv.waitErr, srv.Logs())
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			kib, _ := strconv.ParseInt(f[1], 10, 64)
			t.Logf("server peak resident memory (VmHWM) %.1f MiB", float64(kib)/1024)
			if kib<<10 > renderMaxServerHWM {
				t.Errorf("the server's peak resident memory is %d KiB, over %d MiB", kib, renderMaxServerHWM>>20)
			}
			return
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
}
