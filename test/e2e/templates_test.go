package e2e

// End-to-end tests of environment and service templates: the platform
// administrator's flow with boto3 and the AWS CLI against a server that
// fetches bundles from S3 (moto_server, started here on a loopback port) and
// one that reads them from a bundle directory; and a server killed while a
// registration is running.

import (
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// s3Credentials are what both the tests and the server use towards
// moto_server, which accepts any.
var s3Credentials = []string{
	"AWS_ACCESS_KEY_ID=openproton-s3-test",
	"AWS_SECRET_ACCESS_KEY=openproton-s3-secret",
	"AWS_REGION=us-east-1",
}

// startMoto runs moto_server on a free loopback port and returns its URL.
// A missing moto_server fails the test.
func startMoto(t *testing.T) string {
	t.Helper()
	return startMotoCmd(t, func(host, port string) *exec.Cmd { return exec.Command("moto_server", "-H", host, "-p", port) })
}

// startMotoCmd is startMoto with the command that command makes to serve
// on host and port.
func startMotoCmd(t *testing.T, command func(host, port string) *exec.Cmd) string {
	t.Helper()
	requireTool(t, "moto_server", "pip install 'moto[server]'")
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	cmd := command(host, port)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-done:
			t.Fatalf("moto_server exited at start:\n%s", logs)
		default:
		}
		if resp, err := http.Get(url + "/"); err == nil {
			resp.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer at %s within 30s:\n%s", url, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// templateServers starts moto_server, a server reading bundles from it and a
// server reading them from a bundle directory, and returns the environment
// of the Python suites. With quota, a third server with small template
// quotas is started for the quota tests.
func templateServers(t *testing.T, quota bool) (srvs []*Server, env []string) {
	t.Helper()
	moto := startMoto(t)
	s3srv := StartServerEnv(t, s3Credentials, "--bundle-s3-endpoint", moto)
	dir := t.TempDir()
	dirsrv := StartServer(t, "--bundle-dir", dir)
	srvs = []*Server{s3srv, dirsrv}
	env = append([]string{
		"PYTHONDONTWRITEBYTECODE=1",
		"OPENPROTON_S3_ENDPOINT=" + moto,
		"OPENPROTON_DIR_ENDPOINT=" + dirsrv.URL,
		"OPENPROTON_BUNDLE_DIR=" + dir,
	}, prefixed("OPENPROTON_S3_", s3Credentials)...)
	if quota {
		q := StartServer(t, "--bundle-dir", dir, "--quota-template-versions", "3", "--quota-templates", "2")
		srvs = append(srvs, q)
		env = append(env, "OPENPROTON_QUOTA_ENDPOINT="+q.URL, "OPENPROTON_VERSION_QUOTA=3", "OPENPROTON_TEMPLATE_QUOTA=2")
	}
	return srvs, env
}

// prefixed renames AWS_X=v to prefixX=v, so the suites can pass moto's
// credentials to their S3 client while their Proton clients use their own.
func prefixed(prefix string, kvs []string) []string {
	out := make([]string, len(kvs))
	for i, kv := range kvs {
		out[i] = prefix + strings.TrimPrefix(kv, "AWS_")
	}
	return out
}

// TestTemplatesBoto3 runs python/test_templates.py: the template rules
// through boto3, bundles in S3 and in a bundle directory.
func TestTemplatesBoto3(t *testing.T) {
	t.Parallel()
	srvs, env := templateServers(t, true)
	out := RunPython(t, srvs[0], env, 18, "python/test_templates.py")
	connLogRun(t, out)
	connNo5xx(t, srvs...)
}

// TestTemplatesCLI runs python/test_templates_cli.py: the platform
// administrator's flow with the AWS CLI (`aws s3 cp`, `aws proton ...`,
// `aws proton wait ...`), against S3 and against a bundle directory, side by
// side (the CLI starts slowly and its waiter polls every 2 s).
func TestTemplatesCLI(t *testing.T) {
	t.Parallel()
	srvs, env := templateServers(t, false)
	for _, class := range []string{"CLIFlowS3", "CLIFlowBundleDir"} {
		t.Run(class, func(t *testing.T) {
			t.Parallel()
			out := RunPython(t, srvs[0], env, 1, "python.test_templates_cli."+class)
			connLogRun(t, out)
		})
	}
	t.Cleanup(func() { connNo5xx(t, srvs...) })
}

// TestTemplatesRegistrationSurvivesKill kills a server (SIGKILL) while it
// holds a registration (--test-registration-delay keeps the job leased),
// starts it again, and expects the version to finish registering: the new
// process takes the job over once the dead one's lease runs out. The Go
// SDK's waiter watches it, as a deploy script would.
func TestTemplatesRegistrationSurvivesKill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bundletest.WriteObject(t, dir, "bundles-e2e", "env.tar.gz", bundletest.EnvBundle(t))
	db := "sqlite:" + filepath.Join(t.TempDir(), "openproton.db")
	srv := StartServer(t, "--store", db, "--bundle-dir", dir, "--registration-lease", "3s", "--test-registration-delay", "1h")
	c := connClient(srv, "111111111111", "us-east-1")
	ctx := connCtx(t)
	if _, err := c.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.CreateEnvironmentTemplateVersion(ctx, &proton.CreateEnvironmentTemplateVersionInput{
		TemplateName: aws.String("web"),
		Source:       &types.TemplateVersionSourceInputMemberS3{Value: types.S3ObjectSource{Bucket: aws.String("bundles-e2e"), Key: aws.String("env.tar.gz")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := out.EnvironmentTemplateVersion; v.Status != types.TemplateVersionStatusRegistrationInProgress || aws.ToString(v.MajorVersion) != "1" {
		t.Fatalf("created version: %+v", v)
	}
	// Kill once the job is leased (held by the delay).
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(srv.Logs(), "template registration started") {
		if time.Now().After(deadline) {
			t.Fatalf("the registration did not start:\n%s", srv.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	srv.Kill(t)

	srv.args = []string{"--listen", srv.Addr, "--store", db, "--bundle-dir", dir, "--registration-lease", "3s"}
	srv.start(t)
	c = connClient(srv, "111111111111", "us-east-1")
	get := &proton.GetEnvironmentTemplateVersionInput{TemplateName: aws.String("web"), MajorVersion: aws.String("1"), MinorVersion: aws.String("0")}
	waiter := proton.NewEnvironmentTemplateVersionRegisteredWaiter(c, func(o *proton.EnvironmentTemplateVersionRegisteredWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, time.Second
	})
	wctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got, err := waiter.WaitForOutput(wctx, get, 60*time.Second)
	if err != nil {
		t.Fatalf("waiting for the registration after the restart: %v\n--- server log ---\n%s", err, srv.Logs())
	}
	// The restarted process took the job over: its first lease of it was
	// not the job's first.
	if m := regexp.MustCompile(`template registration started.*attempt=(\d+)`).FindStringSubmatch(srv.Logs()); m == nil || m[1] == "1" {
		t.Errorf("the restarted server did not take the registration over from the killed one:\n%s", srv.Logs())
	}
	v := got.EnvironmentTemplateVersion
	if v.Status != types.TemplateVersionStatusDraft || !strings.Contains(aws.ToString(v.Schema), "environment_input_type") {
		t.Fatalf("registered version: %+v", v)
	}
}

// TestTemplatesEncryptionKey: a template's encryptionKey is stored and
// returned (docs/compatibility.md), for both kinds of template, and takes
// part in deciding a repeated create.
func TestTemplatesEncryptionKey(t *testing.T) {
	t.Parallel()
	srv := connStartServer(t)
	acct := connAccount()
	c := connClient(srv, acct, "us-east-1")
	ctx := connCtx(t)
	key := "arn:aws:kms:us-east-1:" + acct + ":key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

	env, err := c.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String("keyed"), EncryptionKey: aws.String(key)})
	if err != nil {
		t.Fatalf("CreateEnvironmentTemplate: %v", err)
	}
	if got := aws.ToString(env.EnvironmentTemplate.EncryptionKey); got != key {
		t.Errorf("CreateEnvironmentTemplate returned encryptionKey %q, want %q", got, key)
	}
	gotEnv, err := c.GetEnvironmentTemplate(ctx, &proton.GetEnvironmentTemplateInput{Name: aws.String("keyed")})
	if err != nil {
		t.Fatalf("GetEnvironmentTemplate: %v", err)
	}
	if got := aws.ToString(gotEnv.EnvironmentTemplate.EncryptionKey); got != key {
		t.Errorf("GetEnvironmentTemplate returned encryptionKey %q, want %q", got, key)
	}
	svc, err := c.CreateServiceTemplate(ctx, &proton.CreateServiceTemplateInput{Name: aws.String("keyed"), EncryptionKey: aws.String(key)})
	if err != nil {
		t.Fatalf("CreateServiceTemplate: %v", err)
	}
	if got := aws.ToString(svc.ServiceTemplate.EncryptionKey); got != key {
		t.Errorf("CreateServiceTemplate returned encryptionKey %q, want %q", got, key)
	}
	gotSvc, err := c.GetServiceTemplate(ctx, &proton.GetServiceTemplateInput{Name: aws.String("keyed")})
	if err != nil {
		t.Fatalf("GetServiceTemplate: %v", err)
	}
	if got := aws.ToString(gotSvc.ServiceTemplate.EncryptionKey); got != key {
		t.Errorf("GetServiceTemplate returned encryptionKey %q, want %q", got, key)
	}
	// Without a key, none is returned.
	plain, err := c.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String("plain")})
	if err != nil {
		t.Fatalf("CreateEnvironmentTemplate: %v", err)
	}
	if plain.EnvironmentTemplate.EncryptionKey != nil {
		t.Errorf("a template created without a key returned encryptionKey %q", aws.ToString(plain.EnvironmentTemplate.EncryptionKey))
	}
	// A repeated create with another key is another request.
	_, err = c.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String("keyed"), EncryptionKey: aws.String(key + "0")})
	if msg := connWantErr(t, err, "ValidationException", 400); !strings.Contains(msg, "Idempotent parameter mismatch") {
		t.Errorf("repeated create with another key: %q, want Idempotent parameter mismatch", msg)
	}
}
