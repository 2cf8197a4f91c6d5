package e2e

// End-to-end tests of environments and deployments: the boto3 and AWS CLI
// suite (python/test_environments.py) against servers on SQLite and on
// PostgreSQL; the crash tests live in environments_durability_test.go.

import (
	"fmt"
	"testing"

	"github.com/openproton/openproton/internal/store/storetest/pgtest"
)

// Settings of the second server of the suite, whose deployments stay in
// progress long enough to be cancelled or conflicted with.
const (
	envSlowDelay = "4s"
	envSlowQuota = 3
)

// envClassTests is the number of tests of each class of
// python/test_environments.py.
var envClassTests = map[string]int{"CrossAccount": 1, "SelfManaged": 1, "Lifecycle": 4, "InvalidInput": 5, "SlowDeployments": 2}

// envSuite runs classes of python/test_environments.py side by side against
// srv (and slow), with the bundle directory both servers read.
func envSuite(t *testing.T, srv, slow *Server, bundles string, classes ...string) {
	env := []string{
		"PYTHONDONTWRITEBYTECODE=1",
		"OPENPROTON_BUNDLE_DIR=" + bundles,
	}
	if slow != nil {
		env = append(env, "OPENPROTON_SLOW_ENDPOINT="+slow.URL, "OPENPROTON_SLOW_DELAY=4",
			fmt.Sprintf("OPENPROTON_SLOW_QUOTA=%d", envSlowQuota))
	}
	for _, class := range classes {
		t.Run(class, func(t *testing.T) {
			t.Parallel()
			tests, ok := envClassTests[class]
			if !ok {
				t.Fatalf("envClassTests has no count for class %s", class)
			}
			out := RunPython(t, srv, env, tests, "python.test_environments."+class)
			connLogRun(t, out)
		})
	}
}

// TestEnvironmentsBoto3 runs the whole suite on SQLite servers.
func TestEnvironmentsBoto3(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	srv := StartServer(t, "--bundle-dir", bundles)
	slow := StartServer(t, "--bundle-dir", bundles, "--provisioner-delay", envSlowDelay,
		"--quota-environments", fmt.Sprint(envSlowQuota))
	t.Cleanup(func() { connNo5xx(t, srv, slow) })
	envSuite(t, srv, slow, bundles, "CrossAccount", "SelfManaged", "Lifecycle", "InvalidInput", "SlowDeployments")
}

// TestEnvironmentsPostgres runs the stories of the suite on a server whose
// store is PostgreSQL.
func TestEnvironmentsPostgres(t *testing.T) {
	t.Parallel()
	storeURL := pgtest.SchemaURL(t, "openproton_e2e_env")
	bundles := t.TempDir()
	srv := StartServer(t, "--store", storeURL, "--token-key", "openproton-e2e-environments-key", "--bundle-dir", bundles)
	t.Cleanup(func() { connNo5xx(t, srv) })
	envSuite(t, srv, nil, bundles, "CrossAccount", "SelfManaged", "Lifecycle")
}
