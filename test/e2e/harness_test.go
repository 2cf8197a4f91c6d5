package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the openproton binary built once by TestMain, in binDir.
var binary, binDir string

// raceBinary is the openproton binary built with the race detector, on
// first use (see StartRaceServer).
var raceBinary struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "openproton-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	binary = filepath.Join(dir, "openproton")
	if err := buildBinary(binary); err != nil {
		fmt.Fprintln(os.Stderr, "build openproton:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildBinary builds cmd/openproton to out with extra go build flags.
func buildBinary(out string, flags ...string) error {
	build := exec.Command("go", append(append([]string{"build"}, flags...), "-o", out, "./cmd/openproton")...)
	build.Dir = repoRoot()
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	return build.Run()
}

// repoRoot is the module root, two levels above this file.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Server is a running openproton process.
type Server struct {
	URL  string // http://127.0.0.1:PORT
	Addr string
	bin  string
	cmd  *exec.Cmd
	logs *syncBuffer
	prev string // the output of the process before the last restart
	args []string
	env  []string // extra environment of the process; see StartServerEnv

	exited  chan struct{} // closed when the process has exited
	waitErr error         // how it exited, once exited is closed
	asked   stopKind      // how the test ended the process, if it did
	checked bool          // its exit has been checked (see check)
}

// stopKind is how a test ended a server process, which decides the exit
// the process must have had.
type stopKind int

const (
	notStopped  stopKind = iota // the test did not end it: any exit is a failure
	stoppedTerm                 // SIGTERM from the test: the process must exit 0
	stoppedKill                 // SIGKILL from the test: the process must die of it
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// StartServer runs `openproton serve` with args (plus --listen on a free port
// unless args has one) and waits until /health answers. The process is
// stopped with SIGTERM when the test ends. With no --store in args, a
// throw-away SQLite file in t.TempDir() is used. The test fails if the
// process exits other than by the test's own Stop or Kill (a crash, a
// signal from elsewhere, a panic in a background goroutine), or reports a
// data race (see check).
func StartServer(t testing.TB, args ...string) *Server {
	t.Helper()
	return startServer(t, binary, nil, args)
}

// StartServerEnv is StartServer with extra environment variables for the
// server process. When env is given, the test's own AWS_* variables and
// shared AWS files are withheld, so that the server sees only env's
// credentials (for its S3 client, say).
func StartServerEnv(t testing.TB, env []string, args ...string) *Server {
	t.Helper()
	return startServer(t, binary, env, args)
}

// StartRaceServer is StartServer with a binary built with the race
// detector, so that the server's own concurrency runs under it: a data race
// the process reports fails the test when the process stops (see
// checkRaces). The binary is built on first use.
func StartRaceServer(t testing.TB, args ...string) *Server {
	t.Helper()
	raceBinary.once.Do(func() {
		raceBinary.path = filepath.Join(binDir, "openproton-race")
		raceBinary.err = buildBinary(raceBinary.path, "-race")
	})
	if raceBinary.err != nil {
		t.Fatalf("build openproton with -race: %v", raceBinary.err)
	}
	return startServer(t, raceBinary.path, nil, args)
}

func startServer(t testing.TB, bin string, env, args []string) *Server {
	t.Helper()
	joined := strings.Join(args, " ")
	if !strings.Contains(joined, "--listen") {
		args = append(args, "--listen", freeAddr(t))
	}
	if !strings.Contains(joined, "--store") {
		args = append(args, "--store", "sqlite:"+filepath.Join(t.TempDir(), "openproton.db"))
	}
	s := &Server{args: args, bin: bin, env: env}
	for i, a := range args {
		if a == "--listen" && i+1 < len(args) {
			s.Addr = args[i+1]
		}
	}
	s.URL = "http://" + s.Addr
	s.start(t)
	t.Cleanup(func() { s.Stop(t) })
	return s
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	if s.logs != nil {
		s.prev = s.logs.String()
	}
	s.logs = &syncBuffer{}
	s.cmd = exec.Command(s.bin, append([]string{"serve"}, s.args...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	s.cmd.Env = append(os.Environ(), "OPENPROTON_LOG_FORMAT=text")
	if s.env != nil {
		s.cmd.Env = []string{"OPENPROTON_LOG_FORMAT=text", "AWS_CONFIG_FILE=/dev/null",
			"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true"}
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") {
				s.cmd.Env = append(s.cmd.Env, kv)
			}
		}
		s.cmd.Env = append(s.cmd.Env, s.env...)
	}
	s.asked, s.checked = notStopped, false
	if err := s.cmd.Start(); err != nil {
		s.checked = true
		t.Fatal(err)
	}
	exited := make(chan struct{})
	s.exited = exited
	go func() {
		s.waitErr = s.cmd.Wait()
		close(exited)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if s.hasExited() {
			s.checked = true
			t.Fatalf("openproton exited at start: %v\n%s", s.waitErr, s.logs)
		}
		resp, err := http.Get(s.URL + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("openproton did not become healthy at %s:\n%s", s.URL, s.logs)
}

// Stop sends SIGTERM and waits for the process; it fails the test if the
// process does not exit 0, if it had already exited (the test did not end
// it), or if it reported a data race. Stopping a stopped server does
// nothing.
func (s *Server) Stop(t testing.TB) {
	if s.cmd == nil || s.cmd.Process == nil || s.checked {
		return
	}
	if !s.hasExited() {
		s.Terminate(t)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
			t.Errorf("openproton did not stop within 30s of SIGTERM")
		}
	}
	s.check(t)
}

// Terminate sends SIGTERM and returns at once: the test's own stop, which
// the process must answer by exiting 0 (checked by Stop, or when the test
// ends).
func (s *Server) Terminate(t testing.TB) {
	if s.hasExited() {
		return // exited on its own: check reports it
	}
	err := s.cmd.Process.Signal(syscall.SIGTERM)
	switch {
	case errors.Is(err, os.ErrProcessDone):
		// Exited on its own, and Wait has reaped it: check reports it.
	case err != nil:
		t.Errorf("send SIGTERM to openproton: %v", err)
	default:
		s.asked = stoppedTerm
	}
}

// Kill stops the process with SIGKILL, as a crash would. It fails the test
// if the process had exited before (the test did not end it), or reported
// a data race.
func (s *Server) Kill(t testing.TB) {
	if s.checked {
		return
	}
	if !s.hasExited() && s.cmd.Process.Kill() == nil {
		s.asked = stoppedKill
	}
	<-s.exited
	s.check(t)
}

// hasExited reports whether the process has exited.
func (s *Server) hasExited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// waitExit waits at most d for the process to exit and reports whether it
// did, and how (wait's error).
func (s *Server) waitExit(d time.Duration) (bool, error) {
	select {
	case <-s.exited:
		return true, s.waitErr
	case <-time.After(d):
		return false, nil
	}
}

// check fails the test with what exitFailures finds in the exit of the
// process, once per process.
func (s *Server) check(t testing.TB) {
	<-s.exited
	if s.checked {
		return
	}
	s.checked = true
	failures := exitFailures(s.asked, s.waitErr, s.logs.String())
	for _, f := range failures {
		t.Errorf("openproton %s: %s", s.Addr, f)
	}
	if len(failures) == 0 && t.Failed() {
		// The test failed for another reason: what the server warned of
		// is often the explanation.
		if p := logProblems(s.logs.String(), 200); p != "" {
			t.Logf("openproton %s: warnings and errors it logged:\n%s", s.Addr, p)
		}
	}
}

// logProblems returns the last n lines of logs at level WARN or ERROR.
func logProblems(logs string, n int) string {
	var out []string
	for _, l := range scanLines(logs) {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			out = append(out, l)
		}
	}
	return strings.Join(out[max(0, len(out)-n):], "\n")
}

// exitFailures is what is wrong with the exit of a server process that the
// test ended as asked says, with wait's error err and output logs: an exit
// the test did not cause, an exit other than the one its signal calls for,
// and a data race reported by a -race build (whatever the exit). The output
// follows the first failure.
func exitFailures(asked stopKind, err error, logs string) []string {
	var out []string
	switch asked {
	case notStopped:
		out = append(out, fmt.Sprintf("exited on its own, not stopped by the test (%s)", exitString(err)))
	case stoppedTerm:
		if err != nil {
			out = append(out, fmt.Sprintf("did not exit cleanly on SIGTERM (%s)", exitString(err)))
		}
	case stoppedKill:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			out = append(out, fmt.Sprintf("exited before the test's SIGKILL took effect (%s)", exitString(err)))
		}
	}
	if strings.Contains(logs, "WARNING: DATA RACE") {
		out = append(out, "reported a data race")
	}
	if len(out) > 0 {
		out[0] += "\n" + logs
	}
	return out
}

// exitString describes how a process exited.
func exitString(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// PID is the process id of the running server.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Restart stops the process (SIGTERM) and starts it again with the same
// arguments, on the same address and store.
func (s *Server) Restart(t testing.TB) {
	s.Stop(t)
	s.start(t)
}

// Logs returns what the process has written so far.
func (s *Server) Logs() string { return s.logs.String() }

// PreviousLogs returns what the process before the last restart wrote.
func (s *Server) PreviousLogs() string { return s.prev }

// RunClient runs a client program (python3, node, aws, ...) with the
// endpoint in its environment and fails the test, showing its output, when it
// exits non-zero. It returns the combined output.
func RunClient(t testing.TB, s *Server, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = filepath.Join(repoRoot(), "test", "e2e")
	cmd.Env = append(clientEnv(s), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s\n--- server log ---\n%s", name, strings.Join(args, " "), err, out, s.Logs())
	}
	return string(out)
}

// RunPython runs `python3 -m unittest -v target` (a file or a dotted class
// name, from test/e2e) against s with RunClient, and fails the test unless
// unittest ran exactly want tests and every one passed: none skipped, none
// an expected failure. A suite that lost tests, or whose guard skipped
// them, must not pass for a complete one. It returns the output.
func RunPython(t testing.TB, s *Server, env []string, want int, target string) string {
	t.Helper()
	requireTool(t, "python3", "python3 with boto3")
	out := RunClient(t, s, env, "python3", "-m", "unittest", "-v", target)
	m := regexp.MustCompile(`(?m)^Ran (\d+) tests? in`).FindStringSubmatch(out)
	if m == nil || m[1] != strconv.Itoa(want) || !regexp.MustCompile(`(?m)^OK$`).MatchString(out) {
		t.Fatalf("%s: want %d tests run and passed, none skipped:\n%s", target, want, out)
	}
	return out
}

// RunNode runs `node --test` on file (from test/e2e) against s with
// RunClient, and fails the test unless exactly want tests passed and none
// failed, was skipped, cancelled or left to do. It returns the output.
func RunNode(t testing.TB, s *Server, env []string, want int, file string) string {
	t.Helper()
	requireTool(t, "node", "Node.js 18 or later")
	if _, err := os.Stat(filepath.Join(repoRoot(), "test", "e2e", "js", "node_modules", "@aws-sdk", "client-proton")); err != nil {
		t.Fatal("@aws-sdk/client-proton is not installed: run `npm ci` in test/e2e/js")
	}
	out := RunClient(t, s, env, "node", "--test", "--test-reporter=tap", file)
	for _, line := range []string{fmt.Sprintf("# tests %d", want), fmt.Sprintf("# pass %d", want), "# fail 0", "# skipped 0", "# todo 0", "# cancelled 0"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(line) + `$`).MatchString(out) {
			t.Fatalf("%s: want %q in the node test summary:\n%s", file, line, out)
		}
	}
	return out
}

// clientEnv points every AWS client at s with harmless default credentials.
func clientEnv(s *Server) []string {
	env := []string{}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"OPENPROTON_ENDPOINT="+s.URL,
		"AWS_ENDPOINT_URL_PROTON="+s.URL,
		"AWS_ACCESS_KEY_ID=111111111111",
		"AWS_SECRET_ACCESS_KEY=openproton-test-secret",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_RETRY_MODE=standard",
	)
}

// scanLines returns the lines of s, for tests that read logs.
func scanLines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// requireTool fails the test when a client program is missing: a missing
// client must never turn into a silently skipped compatibility check.
func requireTool(t testing.TB, name, install string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is not installed; the end-to-end tests need it (%s)", name, install)
	}
}
