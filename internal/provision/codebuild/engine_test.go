package codebuild

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/openproton/openproton/internal/provision"
)

const (
	testRole     = "arn:aws:iam::222222222222:role/codebuild"
	testARN      = "arn:aws:proton:us-east-1:111111111111:environment/dev"
	testEndpoint = "http://127.0.0.1:4577"
)

// fakeSTS answers AssumeRole with fixed credentials, or refuses.
type fakeSTS struct {
	mu     sync.Mutex
	got    []*sts.AssumeRoleInput
	refuse bool
}

func (f *fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, in)
	if f.refuse {
		return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: sts:AssumeRole"}
	}
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{AccessKeyId: aws.String("ASIARUN"), SecretAccessKey: aws.String("run-secret"),
		SessionToken: aws.String("run-token"), Expiration: aws.Time(time.Now().Add(time.Hour))}}, nil
}

// fakeRuns records the credentials registered, and which are still.
type fakeRuns struct {
	mu      sync.Mutex
	added   []string // key secret account deployment
	current int
}

func (f *fakeRuns) Add(key, secret, account, deployment string) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.added = append(f.added, strings.Join([]string{key, secret, account, deployment}, " "))
	f.current++
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.current--
	}
}

type harness struct {
	sts  *fakeSTS
	runs *fakeRuns
	logs string
	opts Options
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{sts: &fakeSTS{}, runs: &fakeRuns{}, logs: filepath.Join(t.TempDir(), "logs")}
	h.opts = Options{Timeout: 20 * time.Second, LogDir: h.logs, WorkDir: t.TempDir(), Endpoint: func() string { return testEndpoint },
		Runs: h.runs, Environ: []string{"PATH=" + os.Getenv("PATH")}, Log: slog.New(slog.DiscardHandler)}
	return h
}

func (h *harness) engine() *Engine {
	return newEngine(h.opts, func(string) stscreds.AssumeRoleAPIClient { return h.sts })
}

func request(id string, action provision.Action, provisionCmds, deprovisionCmds []string) provision.Request {
	return provision.Request{DeploymentID: id, Action: action, CodeBuild: true,
		Target:       provision.Target{Type: "ENVIRONMENT", Name: "dev", ARN: testARN, Account: "111111111111", Region: "us-east-1"},
		TemplateName: "cb", MajorVersion: "1", MinorVersion: "0",
		Files: []provision.File{{Path: "scripts/hello.sh", Content: "echo hello from the bundle\n", RenderingEngine: "codebuild"}},
		Commands: &provision.Commands{Image: "aws/codebuild/amazonlinux2-x86_64-standard:4.0", Runtimes: map[string]string{"nodejs": "16"},
			Provision: provisionCmds, Deprovision: deprovisionCmds, InputType: "JSON",
			Input: map[string]any{"environment": map[string]any{"name": "dev", "inputs": map[string]any{"size": "small"}}}},
		Credentials: provision.Credentials{Account: "111111111111", CodebuildRoleArn: testRole}}
}

func (h *harness) log(t *testing.T, id string) string {
	t.Helper()
	b, err := os.ReadFile(LogPath(h.logs, id))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCommandsRunInOrderInOneShell(t *testing.T) {
	h := newHarness(t)
	out := filepath.Join(t.TempDir(), "order")
	req := request("d1", provision.Deploy, []string{
		"echo one > " + out,
		"export LATER=two; cd scripts",
		`echo "$LATER" >> ` + out + `; sh hello.sh >> ` + out,
		"cat ../proton-inputs.json ../proton-input.json >> " + out,
	}, nil)
	req.Commands.Secrets = []string{"TOKEN"}
	res, err := h.engine().Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if !strings.HasPrefix(got, "one\ntwo\nhello from the bundle\n{") {
		t.Errorf("the commands wrote %q; want one, two, the bundle's script, then the input file", got)
	}
	var in map[string]any
	dec := json.NewDecoder(strings.NewReader(got[strings.Index(got, "{"):]))
	for range 2 {
		if err := dec.Decode(&in); err != nil {
			t.Fatalf("input file: %v in %q", err, got)
		}
		if env, _ := in["environment"].(map[string]any); env["name"] != "dev" || env["inputs"].(map[string]any)["size"] != "small" {
			t.Errorf("input file = %v", in)
		}
	}
	if !strings.Contains(res.Message, "The 4 provision commands ran.") || strings.Count(res.Message, "cannot be honoured locally") != 1 ||
		!strings.Contains(res.Message, "image aws/codebuild/amazonlinux2-x86_64-standard:4.0, runtimes nodejs 16 and env variables from Parameter Store or Secrets Manager (TOKEN) cannot") {
		t.Errorf("message = %q; want the commands counted and the image and runtimes named once", res.Message)
	}
	if len(res.Outputs) != 0 {
		t.Errorf("outputs = %v; the commands report outputs through the API, not the result", res.Outputs)
	}
}

func TestEnvironmentIsClean(t *testing.T) {
	h := newHarness(t)
	h.opts.Environ = []string{"PATH=" + os.Getenv("PATH"), "HOME=/root", "SERVER_SECRET=x", "AWS_ACCESS_KEY_ID=server-key",
		"AWS_SECRET_ACCESS_KEY=server-secret", "AWS_PROFILE=server", "AWS_ENDPOINT_URL=http://aws.example", "AWS_ENDPOINT_URL_S3=http://s3.example",
		"AWS_ENDPOINT_URL_PROTON=http://elsewhere", "OPENPROTON_STORE=sqlite:x"}
	out := filepath.Join(t.TempDir(), "env")
	req := request("d1", provision.Deploy, []string{"env > " + out, `test -f "$HOME/proton-inputs.json" && test "$PWD" = "$HOME"`}, nil)
	req.Commands.Variables = map[string]string{"TF_VERSION": "1.3.4", "AWS_ACCESS_KEY_ID": "manifest", "PATH": "/manifest", "RESOURCE_ARN": "x"}
	if _, err := h.engine().Run(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		name, value, _ := strings.Cut(line, "=")
		switch name {
		case "PWD", "OLDPWD", "SHLVL", "_": // the shell's own
		default:
			got[name] = value
		}
	}
	want := map[string]string{"PATH": os.Getenv("PATH"), "RESOURCE_ARN": testARN, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "ASIARUN", "AWS_SECRET_ACCESS_KEY": "run-secret", "AWS_SESSION_TOKEN": "run-token",
		"AWS_ENDPOINT_URL_PROTON": testEndpoint, "AWS_ENDPOINT_URL": "http://aws.example", "AWS_ENDPOINT_URL_S3": "http://s3.example",
		"TF_VERSION": "1.3.4"}
	home := got["HOME"]
	delete(got, "HOME")
	if !strings.HasPrefix(home, h.opts.WorkDir) {
		t.Errorf("HOME = %q, want the work directory under %s", home, h.opts.WorkDir)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
		delete(got, k)
	}
	if len(got) != 0 {
		t.Errorf("the server's environment leaked: %v", got)
	}
	if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the work directory %s outlived the run: %v", home, err)
	}
	if len(h.sts.got) != 1 || aws.ToString(h.sts.got[0].RoleArn) != testRole || aws.ToString(h.sts.got[0].RoleSessionName) != "openproton-d1" {
		t.Errorf("AssumeRole calls = %+v, want one of %s as openproton-d1", h.sts.got, testRole)
	}
	if want := []string{"ASIARUN run-secret 222222222222 d1"}; !slices.Equal(h.runs.added, want) || h.runs.current != 0 {
		t.Errorf("registered credentials = %v (%d still), want %v, removed after the run", h.runs.added, h.runs.current, want)
	}
}

func TestFailingCommandFailsWithTheTail(t *testing.T) {
	h := newHarness(t)
	req := request("d1", provision.Deploy, []string{"for i in $(seq 1 50); do echo line $i; done", "echo bad >&2; exit 3", "echo never"}, nil)
	_, err := h.engine().Run(context.Background(), req)
	if err == nil {
		t.Fatal("the run succeeded")
	}
	msg := err.Error()
	for _, want := range []string{`Command "echo bad >&2; exit 3" failed with exit status 3.`, "cannot be honoured locally", "The output ends:\n", "line 50", "bad"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "line 20\n") || strings.Contains(msg, "never") {
		t.Errorf("message %q holds more than the last 20 lines, or a command after the failing one ran", msg)
	}
	if log := h.log(t, "d1"); !strings.Contains(log, "line 1\n") || !strings.Contains(log, "line 50\n") || strings.Contains(log, "never\n") {
		t.Errorf("log = %q; want every line of the output", log)
	}
}

// processGone reports whether process pid is gone (or a zombie).
func processGone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(rest, "Z")
}

// waitGone waits until the process whose pid file is pidFile is gone.
func waitGone(t *testing.T, pidFile string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); !processGone(pid); {
		if time.Now().After(deadline) {
			t.Fatalf("process %d of the commands still runs", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTooLongIsStopped(t *testing.T) {
	h := newHarness(t)
	h.opts.Timeout = 500 * time.Millisecond
	pidFile := filepath.Join(t.TempDir(), "pid")
	req := request("d1", provision.Deploy, []string{"echo started", "sleep 60 & echo $! > " + pidFile + "; wait"}, nil)
	start := time.Now()
	_, err := h.engine().Run(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "The commands ran longer than 500ms and were stopped.") || !strings.Contains(err.Error(), "started") {
		t.Fatalf("error = %v; want the run stopped after 500ms, with the output's tail", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the run took %s", d)
	}
	waitGone(t, pidFile)
	if log := h.log(t, "d1"); !strings.Contains(log, "stopped after 500ms") {
		t.Errorf("log = %q; want it to say the run was stopped", log)
	}
}

func TestCancelKillsTheCommands(t *testing.T) {
	h := newHarness(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	req := request("d1", provision.Deploy, []string{"sleep 60 & echo $! > " + pidFile + "; wait"}, nil)
	cause := errors.New("cancelled by the user")
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		for {
			if _, err := os.Stat(pidFile); err == nil {
				cancel(cause)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	start := time.Now()
	_, err := h.engine().Run(ctx, req)
	if !errors.Is(err, cause) {
		t.Fatalf("error = %v; want it to wrap the cancel's cause", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the run took %s", d)
	}
	waitGone(t, pidFile)
}

func TestLogsAreKeptAndBounded(t *testing.T) {
	h := newHarness(t)
	e := h.engine()
	if _, err := e.Run(context.Background(), request("d1", provision.Deploy, []string{"echo first attempt"}, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Run(context.Background(), request("d1", provision.Deploy, []string{"echo second attempt"}, nil)); err != nil {
		t.Fatal(err)
	}
	log := h.log(t, "d1")
	if !strings.Contains(log, "first attempt") || !strings.Contains(log, "second attempt") || !strings.Contains(log, marker+"echo first attempt") {
		t.Errorf("log = %q; want both attempts, each command named", log)
	}
	if st, err := os.Stat(LogPath(h.logs, "d1")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("log file: %v, %v; want mode 0600", st, err)
	}
	big := request("d2", provision.Deploy, []string{"head -c 9000000 /dev/zero | tr '\\000' a", "echo after"}, nil)
	if _, err := e.Run(context.Background(), big); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(LogPath(h.logs, "d2"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > MaxLog+1024 || st.Size() < MaxLog {
		t.Errorf("log of 9 MB of output is %d bytes; want it cut at %d", st.Size(), MaxLog)
	}
}

func TestDestroyRunsDeprovision(t *testing.T) {
	h := newHarness(t)
	out := filepath.Join(t.TempDir(), "out")
	res, err := h.engine().Run(context.Background(), request("d1", provision.Destroy, []string{"echo provision > " + out}, []string{"echo deprovision > " + out}))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "deprovision\n" || !strings.Contains(res.Message, "The 1 deprovision commands ran.") {
		t.Errorf("destroy wrote %q with message %q; want the deprovision command's", b, res.Message)
	}
	none := request("d2", provision.Destroy, []string{"echo provision > " + out}, nil)
	res, err = h.engine().Run(context.Background(), none)
	if err != nil || !strings.Contains(res.Message, "no deprovision commands") || len(h.sts.got) != 1 {
		t.Errorf("destroy without deprovision commands: %+v, %v, %d AssumeRole calls; want nothing run", res, err, len(h.sts.got))
	}
}

func TestRefusedRoleOrNoURLFailsTheDeployment(t *testing.T) {
	h := newHarness(t)
	h.sts.refuse = true
	_, err := h.engine().Run(context.Background(), request("d1", provision.Deploy, []string{"echo hi"}, nil))
	if err == nil || !strings.Contains(err.Error(), "could not assume the CodeBuild role "+testRole+": AccessDenied: not authorized") {
		t.Fatalf("error = %v; want AWS's refusal", err)
	}
	h.opts.Endpoint = func() string { return "" }
	if _, err := h.engine().Run(context.Background(), request("d1", provision.Deploy, []string{"echo hi"}, nil)); err == nil ||
		!strings.Contains(err.Error(), "not known yet") {
		t.Fatalf("error = %v; want the unknown URL refused", err)
	}
	h.opts.Endpoint = func() string { return testEndpoint }
	noRole := request("d1", provision.Deploy, []string{"echo hi"}, nil)
	noRole.Credentials.CodebuildRoleArn = ""
	if _, err := h.engine().Run(context.Background(), noRole); err == nil || !strings.Contains(err.Error(), "no CodeBuild role") {
		t.Fatalf("error = %v; want no CodeBuild role", err)
	}
}

// TestSandbox needs bubblewrap (bwrap): the rest of the file system is
// read-only and the hidden paths are out of sight, the work directory is
// writable.
func TestSandbox(t *testing.T) {
	if _, err := exec.LookPath("bwrap"); err != nil {
		t.Skip("needs bubblewrap (bwrap): apt-get install bubblewrap")
	}
	h := newHarness(t)
	h.opts.Sandbox = true
	// Not below /tmp, which the sandbox replaces with an empty one.
	varTmp := func() string {
		d, err := os.MkdirTemp("/var/tmp", "openproton-sandbox-test-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		return d
	}
	secret := varTmp()
	if err := os.WriteFile(filepath.Join(secret, "store.db"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	credentials := filepath.Join(varTmp(), "credentials.yaml")
	if err := os.WriteFile(credentials, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.opts.Hidden = []string{secret, h.logs, credentials, filepath.Join(secret, "missing")}
	outside := varTmp()
	e := h.engine()
	if e.bwrap == "" {
		t.Fatal("bwrap is installed but the engine does not use it")
	}
	if _, err := e.Run(context.Background(), request("d1", provision.Deploy, []string{"echo ok > here", "cat here", "test ! -e " + filepath.Join(secret, "store.db"), "test ! -s " + credentials}, nil)); err != nil {
		t.Fatalf("the work directory is not writable, or a hidden file is visible: %v", err)
	}
	_, err := e.Run(context.Background(), request("d2", provision.Deploy, []string{"echo escaped > " + filepath.Join(outside, "f")}, nil))
	if err == nil || !strings.Contains(err.Error(), "Read-only file system") {
		t.Errorf("error = %v; want a write outside the work directory refused", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "f")); err == nil {
		t.Errorf("a sandboxed command wrote outside its work directory")
	}
}

func TestWithoutBwrapTheLogSaysSo(t *testing.T) {
	h := newHarness(t)
	h.opts.Sandbox = true
	h.opts.Environ = []string{"PATH=/nonexistent"}
	t.Setenv("PATH", "/nonexistent") // exec.LookPath finds no bwrap
	e := h.engine()
	if e.bwrap != "" {
		t.Fatalf("bwrap found at %s on an empty PATH", e.bwrap)
	}
	if _, err := e.Run(context.Background(), request("d1", provision.Deploy, []string{"echo hi"}, nil)); err != nil {
		t.Fatal(err)
	}
	if log := h.log(t, "d1"); strings.Count(log, "bubblewrap (bwrap) is not installed: the commands run without a sandbox") != 1 {
		t.Errorf("log = %q; want it to say once that the commands ran unsandboxed", log)
	}
}
