package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// recordingTB is the testing.TB handed to the harness by the tests of the
// harness itself: it records the failures the harness reports and the
// cleanups it registers instead of failing the real test, which then
// checks them. Fatal failures go to the real test: they are not what these
// tests provoke.
type recordingTB struct {
	testing.TB
	mu       sync.Mutex
	failures []string
	cleanups []func()
}

func (r *recordingTB) Errorf(format string, args ...any) { r.record(fmt.Sprintf(format, args...)) }
func (r *recordingTB) Error(args ...any)                 { r.record(fmt.Sprint(args...)) }
func (r *recordingTB) Fail()                             { r.record("Fail") }
func (r *recordingTB) Cleanup(f func())                  { r.cleanups = append(r.cleanups, f) }

func (r *recordingTB) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.failures) > 0
}

func (r *recordingTB) record(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, msg)
}

// end runs the registered cleanups, last first, as the end of a test would,
// and returns the failures reported.
func (r *recordingTB) end() []string {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.cleanups = nil
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failures
}

// harnessDie sends sig to the server from outside the harness and waits
// until the process is gone.
func harnessDie(t *testing.T, srv *Server, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(srv.PID(), sig); err != nil {
		t.Fatalf("kill -%d %d: %v", sig, srv.PID(), err)
	}
	deadline := time.Now().Add(20 * time.Second)
	// Signal 0 finds the process until the harness has reaped it.
	for syscall.Kill(srv.PID(), 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not die of signal %d", sig)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHarnessNoticesServerDeaths kills a test server from outside the
// harness, as a crash would, and checks that the test that started it
// fails when it ends (through a recording testing.TB), whatever stops it:
// the end of the test, Stop, Kill or Restart. A server the test stops
// itself passes.
func TestHarnessNoticesServerDeaths(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		signal syscall.Signal // 0: the server stays up
		then   func(tb testing.TB, srv *Server)
		want   string // in a failure; "" for none
	}{
		{"clean stop", 0, nil, ""},
		{"stop then Kill", 0, func(tb testing.TB, srv *Server) { srv.Kill(tb) }, ""},
		{"SIGKILL", syscall.SIGKILL, nil, "signal: killed"},
		// The Go runtime treats a SIGSEGV as a fatal crash and exits 2 with
		// its stacks, the way a nil dereference in a worker would end.
		{"SIGSEGV", syscall.SIGSEGV, nil, "exit status 2"},
		// SIGTERM from someone else: the process exits 0, but the test did
		// not stop it.
		{"SIGTERM from outside", syscall.SIGTERM, nil, "exit status 0"},
		{"SIGKILL, then Stop", syscall.SIGKILL, func(tb testing.TB, srv *Server) { srv.Stop(tb) }, "signal: killed"},
		{"SIGSEGV, then Kill", syscall.SIGSEGV, func(tb testing.TB, srv *Server) { srv.Kill(tb) }, "exit status 2"},
		{"SIGKILL, then Restart", syscall.SIGKILL, func(tb testing.TB, srv *Server) { srv.Restart(tb) }, "signal: killed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rec := &recordingTB{TB: t}
			srv := StartServer(rec)
			if c.signal != 0 {
				harnessDie(t, srv, c.signal)
			}
			if c.then != nil {
				c.then(rec, srv)
			}
			failures := rec.end()
			switch {
			case c.want == "" && len(failures) > 0:
				t.Fatalf("the harness failed a server the test stopped itself: %q", failures)
			case c.want == "":
			case len(failures) == 0:
				t.Fatalf("the server died (%s) and the harness reported nothing", c.name)
			case !strings.Contains(failures[0], c.want):
				t.Fatalf("the harness reported %q, want a failure naming %q", failures[0], c.want)
			}
		})
	}
}

// TestHarnessExitFailures checks the harness's rule on how a server may
// end, data races included, for each way the test may have ended it.
func TestHarnessExitFailures(t *testing.T) {
	t.Parallel()
	exitWith := func(script string) error {
		return exec.Command("sh", "-c", script).Run()
	}
	clean, crashed, killed, termed := exitWith("exit 0"), exitWith("exit 2"), exitWith("kill -9 $$"), exitWith("kill -15 $$")
	if clean != nil || crashed == nil || killed == nil || termed == nil {
		t.Fatalf("could not make the exits: %v %v %v %v", clean, crashed, killed, termed)
	}
	race := "WARNING: DATA RACE\nWrite at 0x00c000123456 by goroutine 7:\n"
	cases := []struct {
		asked stopKind
		err   error
		logs  string
		want  []string // substrings of the failures, in order
	}{
		{stoppedTerm, clean, "", nil},
		{stoppedTerm, crashed, "", []string{"did not exit cleanly on SIGTERM (exit status 2)"}},
		{stoppedTerm, clean, race, []string{"reported a data race"}},
		{stoppedTerm, crashed, race, []string{"did not exit cleanly", "reported a data race"}},
		{stoppedKill, killed, "", nil},
		{stoppedKill, killed, race, []string{"reported a data race"}},
		{stoppedKill, crashed, "", []string{"exited before the test's SIGKILL took effect (exit status 2)"}},
		{stoppedKill, termed, "", []string{"exited before the test's SIGKILL"}},
		{stoppedKill, clean, "", []string{"exited before the test's SIGKILL took effect (exit status 0)"}},
		{notStopped, clean, "", []string{"exited on its own, not stopped by the test (exit status 0)"}},
		{notStopped, killed, "", []string{"exited on its own, not stopped by the test (signal: killed)"}},
		{notStopped, crashed, race, []string{"exited on its own", "reported a data race"}},
	}
	for i, c := range cases {
		got := exitFailures(c.asked, c.err, c.logs)
		ok := len(got) == len(c.want)
		for j := 0; ok && j < len(got); j++ {
			ok = strings.Contains(got[j], c.want[j])
		}
		if !ok {
			t.Errorf("case %d: exitFailures(%d, %v, %q) = %q, want %q", i, c.asked, c.err, c.logs, got, c.want)
		}
	}
}
