package e2e

// Reliability tests (docs/reliability.md): crash safety under SIGKILL
// (crash_*_test.go), races under the race detector (races_test.go),
// hostile HTTP input (hostile_test.go), cross-account and cross-region
// isolation (isolation_test.go), signature checks and secrets in logs
// (auth_matrix_test.go) and a bounded soak (soak_test.go). Each runs short
// in `go test` (and so in CI); the OPENPROTON_* knobs below make them run
// long, which scripts/reliability does. Measured figures go to the test log
// and, when OPENPROTON_RELIABILITY_REPORT names a file, to that file as JSON
// lines, from which scripts/reliability prints the table of
// docs/reliability.md.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// relKnob reads a positive integer from the environment variable name, or
// returns def when it is unset.
func relKnob(t testing.TB, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// relDuration reads a positive duration from the environment variable
// name, or returns def when it is unset.
func relDuration(t testing.TB, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a positive duration such as 60s", name, v)
	}
	return d
}

var relReport sync.Mutex

// relFigure records one measured figure of a reliability test, with the
// command that reproduces it.
func relFigure(t testing.TB, figure string, value any, command string) {
	t.Helper()
	t.Logf("figure: %s = %v", figure, value)
	path := os.Getenv("OPENPROTON_RELIABILITY_REPORT")
	if path == "" {
		return
	}
	line, err := json.Marshal(map[string]any{
		"test": t.Name(), "figure": figure, "value": value, "command": command,
		"at": time.Now().UTC().Format(time.RFC3339),
	})
	if err != nil {
		t.Fatal(err)
	}
	relReport.Lock()
	defer relReport.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("OPENPROTON_RELIABILITY_REPORT: %v", err)
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		t.Fatalf("OPENPROTON_RELIABILITY_REPORT: %v", err)
	}
}

// relRuntime is one sample of a server process: its goroutines and Go heap
// from the debug listener, and its resident memory from /proc.
type relRuntime struct {
	Goroutines     int    `json:"goroutines"`
	HeapAllocBytes uint64 `json:"heapAllocBytes"`
	HeapInuseBytes uint64 `json:"heapInuseBytes"`
	SysBytes       uint64 `json:"sysBytes"`
	RSSBytes       uint64 `json:"-"`
}

func (r relRuntime) String() string {
	return fmt.Sprintf("%d goroutines, heap %.1f MiB, RSS %.1f MiB", r.Goroutines, mib(r.HeapAllocBytes), mib(r.RSSBytes))
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// relDebugServer starts a server with its debug listener on; debug is the
// listener's base URL.
func relDebugServer(t *testing.T, start func(testing.TB, ...string) *Server, args ...string) (srv *Server, debug string) {
	t.Helper()
	addr := freeAddr(t)
	srv = start(t, append(args, "--debug-listen", addr)...)
	return srv, "http://" + addr
}

// relSample reads a server's runtime figures; with gc, the server collects
// garbage first, so that two samples compare live memory.
func relSample(t testing.TB, srv *Server, debug string, gc bool) relRuntime {
	t.Helper()
	url := debug + "/debug/runtime"
	if gc {
		url += "?gc=1"
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("debug listener: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r relRuntime
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &r) != nil {
		t.Fatalf("debug listener: %d %s", resp.StatusCode, body)
	}
	r.RSSBytes = relRSS(t, srv.PID())
	return r
}

// relRSS reads the resident set size of a process from /proc.
func relRSS(t testing.TB, pid int) uint64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read RSS of the server: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// relSettleGoroutines waits until the server's goroutine count is at most
// limit, and returns the last sample; it gives up after d.
func relSettleGoroutines(t testing.TB, srv *Server, debug string, limit int, d time.Duration) relRuntime {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		r := relSample(t, srv, debug, false)
		if r.Goroutines <= limit || time.Now().After(deadline) {
			return r
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// relGoroutineDump returns the server's goroutine stacks, for a failure
// message.
func relGoroutineDump(debug string) string {
	resp, err := http.Get(debug + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// relStore is a store kind the reliability tests run on.
type relStore struct {
	name string
	// fresh makes an empty store and returns the server arguments that
	// select it and its --store value.
	fresh func(t *testing.T) (args []string, spec string)
	// settle, if set, waits after a server process was killed until the
	// store has finished with it (see relPostgresSettle), and returns how
	// long that took.
	settle func(t *testing.T, spec string) time.Duration
}

// relStores are the stores every reliability test runs on.
var relStores = []relStore{
	{"sqlite", func(t *testing.T) ([]string, string) {
		spec := "sqlite:" + filepath.Join(t.TempDir(), "openproton.db")
		return []string{"--store", spec}, spec
	}, nil},
	{"postgres", func(t *testing.T) ([]string, string) {
		_, schema, spec := pgStore(t, "openproton_e2e_rel")
		// The sessions of the test's servers carry the schema's name, so
		// that relPostgresSettle can tell them from everyone else's.
		u, err := url.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("application_name", schema)
		u.RawQuery = q.Encode()
		spec = u.String()
		return []string{"--store", spec, "--token-key", "openproton-e2e-reliability-key"}, spec
	}, relPostgresSettle},
}

// relPostgresSettle waits until PostgreSQL has ended every session of a
// killed server (they carry the store URL's application_name). A killed
// process can leave a transaction whose COMMIT it had already sent: the
// database still carries it out, a moment later, and a session ends only
// when the database finds its client gone. Until then a write the client
// never got an answer for may still appear; after it, nothing of the dead
// process can change anything.
func relPostgresSettle(t *testing.T, spec string) time.Duration {
	t.Helper()
	u, err := url.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	app := q.Get("application_name")
	// One session of its own (not a pool per call, which would stay open
	// until the test ends), under another name.
	q.Del("pool_max_conns")
	q.Set("application_name", "openproton-e2e-settle")
	u.RawQuery = q.Encode()
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	admin, err := pgx.Connect(cctx, u.String())
	cancel()
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer admin.Close(context.Background())
	start := time.Now()
	deadline := start.Add(30 * time.Second)
	for {
		var n int
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n)
		cancel()
		if err != nil {
			t.Fatalf("read pg_stat_activity: %v", err)
		}
		if n == 0 {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL still has %d sessions of the killed server after 30s", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// relProblems is the warnings and errors in a server's log.
func relProblems(logs string) string {
	var out []string
	for _, line := range scanLines(logs) {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") || strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, `"level":"WARN"`) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// relTail is the last n lines of s, for failure messages.
func relTail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
