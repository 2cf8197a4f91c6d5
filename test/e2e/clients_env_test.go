package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestClientSuitesRequireTheirSettings runs the Python and JavaScript
// suites without a setting the Go tests give them: each must fail, naming
// the setting, rather than skip its tests or fall back to some default
// server. (No server is needed: they fail before their first call.)
func TestClientSuitesRequireTheirSettings(t *testing.T) {
	t.Parallel()
	requireTool(t, "python3", "python3 with boto3")
	requireTool(t, "node", "Node.js 18 or later")
	endpoint := "OPENPROTON_ENDPOINT=http://127.0.0.1:9"
	cases := []struct {
		name    string
		env     []string
		missing string
		args    []string
	}{
		{"boto3 suite without an endpoint", nil, "OPENPROTON_ENDPOINT",
			[]string{"python3", "-m", "unittest", "-v", "python/test_connections.py"}},
		{"protocol suite without an auth mode", []string{endpoint}, "PROTO_AUTH",
			[]string{"python3", "-m", "unittest", "-v", "python/test_protocol.py"}},
		{"slow deployments without the slow server", []string{endpoint}, "OPENPROTON_SLOW_ENDPOINT",
			[]string{"python3", "-m", "unittest", "-v", "python.test_environments.SlowDeployments"}},
		{"template quotas without the quota server", []string{endpoint}, "OPENPROTON_QUOTA_ENDPOINT",
			[]string{"python3", "-m", "unittest", "-v", "python.test_templates.TagsAndErrors.test_quotas"}},
		{"JS suite without an endpoint", nil, "OPENPROTON_ENDPOINT",
			[]string{"node", "--test", "js/connections.test.mjs"}},
		{"JS protocol suite without an auth mode", []string{endpoint}, "PROTO_AUTH",
			[]string{"node", "--test", "js/protocol.test.mjs"}},
		{"JS services suite without its account", []string{endpoint}, "OPENPROTON_ACCOUNT",
			[]string{"node", "--test", "js/services.test.mjs"}},
		{"services waiters without a bundle directory", []string{endpoint}, "OPENPROTON_BUNDLE_DIR",
			[]string{"python3", "-m", "unittest", "-v", "python.test_services_waiters"}},
		{"components waiters without a bundle directory", []string{endpoint}, "OPENPROTON_BUNDLE_DIR",
			[]string{"python3", "-m", "unittest", "-v", "python.test_components_waiters"}},
		{"Backstage tutorial suite without its account", []string{endpoint}, "OPENPROTON_ACCOUNT",
			[]string{"node", "--test", "js/backstage.test.mjs"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, c.args[0], c.args[1:]...)
			cmd.Dir = filepath.Join(repoRoot(), "test", "e2e")
			for _, kv := range cmd.Environ() {
				if !strings.HasPrefix(kv, "OPENPROTON_") && !strings.HasPrefix(kv, "PROTO_") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, append(c.env, "PYTHONDONTWRITEBYTECODE=1")...)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("%s passed without %s:\n%s", strings.Join(c.args, " "), c.missing, out)
			}
			if !strings.Contains(string(out), c.missing+" is not set") {
				t.Fatalf("%s failed without naming %s:\n%s", strings.Join(c.args, " "), c.missing, out)
			}
		})
	}
}
