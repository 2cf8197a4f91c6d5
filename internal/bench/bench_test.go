package bench

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store/storetest/pgtest"
)

// These tests check that the harness works end to end, briefly and with few
// connections: every scenario runs against real processes and reports well-
// formed numbers with no failed request. They measure no speed.

// binary is the openproton executable TestMain builds.
var binary string

func TestMain(m *testing.M) {
	ServeCeilingIfAsked() // the harness runs this test binary as the ceiling
	dir, err := os.MkdirTemp("", "openproton-bench-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_, file, _, _ := runtime.Caller(0)
	binary, err = BuildServer(context.Background(), filepath.Join(filepath.Dir(file), "..", ".."), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var smokeLoad = Load{Connections: 4, Warmup: 100 * time.Millisecond, Duration: 700 * time.Millisecond}

// checkResult fails unless r looks like a real measurement without errors.
func checkResult(t *testing.T, name string, r Result) {
	t.Helper()
	switch {
	case r.Errors != 0:
		t.Errorf("%s: %d errors, the first: %s", name, r.Errors, r.FirstError)
	case r.Requests == 0 || r.PerSecond <= 0:
		t.Errorf("%s: no request measured: %+v", name, r)
	case !(0 < r.P50 && r.P50 <= r.P90 && r.P90 <= r.P99 && r.P99 <= r.Max):
		t.Errorf("%s: latencies out of order: p50 %s p90 %s p99 %s max %s", name, r.P50, r.P90, r.P99, r.Max)
	case r.GeneratorCPU <= 0:
		t.Errorf("%s: no generator CPU time measured", name)
	case r.ServerRSS <= 0 || r.ServerPeak < r.ServerRSS:
		t.Errorf("%s: server memory %d (peak %d) not measured", name, r.ServerRSS, r.ServerPeak)
	}
}

func TestEveryScenarioOnBothStores(t *testing.T) {
	_, pg := pgtest.Connect(t)
	dir := t.TempDir()
	profiles := filepath.Join(dir, "profiles")
	if err := os.MkdirAll(profiles, 0o755); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	rep, err := Run(t.Context(), Options{Binary: binary, Dir: dir, Load: smokeLoad, Postgres: pg,
		Scenarios: Scenarios(), ProfileDir: profiles, ColdStarts: 2, Log: &log})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	if want := 2 + 2*len(Scenarios()); len(rep.Rows) != want {
		t.Fatalf("%d rows, want %d (two ceilings, every scenario on both stores)", len(rep.Rows), want)
	}
	for _, row := range rep.Rows {
		name := row.Target + ", " + row.Scenario
		checkResult(t, name, row.Result)
		if row.Target != TargetCeiling && row.Ratio <= 0 {
			t.Errorf("%s: ratio to the ceiling %v", name, row.Ratio)
		}
		// The environment scenarios measure their own operation only,
		// not the connections' nor the setup's.
		for prefix, op := range map[string]string{"Environment Get": opGetEnvironment, "Environment List": opListEnvironments} {
			if strings.HasPrefix(row.Scenario, prefix) && (len(row.Ops) != 1 || row.Ops[op].Requests != row.Requests) {
				t.Errorf("%s: measured %v, want %s only", name, row.Ops, op)
			}
		}
		if strings.HasPrefix(row.Scenario, "Accept") {
			for _, op := range []string{opCreate, opAccept, opReject} {
				if row.Ops[op].Requests == 0 {
					t.Errorf("%s: no %s measured", name, op)
				}
			}
		}
	}
	if f := rep.Footprint; f == nil || len(f.ColdStarts) != 2 || f.MedianColdStart() <= 0 || f.IdleRSS <= 0 {
		t.Errorf("footprint not measured: %+v", rep.Footprint)
	}
	files, _ := filepath.Glob(filepath.Join(profiles, "*.pprof"))
	if len(files) != 2*len(Scenarios()) {
		t.Errorf("%d CPU profiles, want one per openproton scenario (%d):\n%s", len(files), 2*len(Scenarios()), log.String())
	}
	for _, f := range files {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("profile %s is empty: %v", f, err)
		}
	}

	var md strings.Builder
	rep.Markdown(&md)
	for _, want := range []string{"| Target | Scenario | Requests/s |", TargetCeiling, TargetSQLite, TargetPostgreSQL,
		"Accept/Reject mix", "Environment Get", "Environment List (page of 100)", "Cold start", "| Target | Goal | Measured | Met |", "Get p99, SQLite"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, md.String())
		}
	}
}

func TestScaleModeOnBothStores(t *testing.T) {
	_, pg := pgtest.Connect(t)
	var log strings.Builder
	rep, err := RunScale(t.Context(), ScaleOptions{Binary: binary, Dir: t.TempDir(), Load: smokeLoad, Rows: 3000, Rounds: 2, Postgres: pg, Log: &log})
	if err != nil {
		t.Fatalf("RunScale: %v\n%s", err, log.String())
	}
	if len(rep.Rows) != 4 {
		t.Fatalf("%d rows, want Get and List on both stores", len(rep.Rows))
	}
	for _, row := range rep.Rows {
		checkResult(t, row.Target+", "+row.Scenario+", empty", row.Empty)
		checkResult(t, row.Target+", "+row.Scenario+", full", row.Full)
		if row.P99Ratio() <= 0 || len(row.EmptyP99s) != 2 || len(row.FullP99s) != 2 {
			t.Errorf("%s, %s: p99 ratio %v of rounds %v and %v", row.Target, row.Scenario, row.P99Ratio(), row.EmptyP99s, row.FullP99s)
		}
	}
	var md strings.Builder
	rep.Markdown(&md)
	if !strings.Contains(md.String(), "3,000 stored") {
		t.Errorf("the scale report lacks its table:\n%s", md.String())
	}
}

func TestQuantile(t *testing.T) {
	ds := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for q, want := range map[float64]time.Duration{0.5: 5, 0.9: 9, 0.99: 10, 1: 10, 0: 1} {
		if got := quantile(ds, q); got != want {
			t.Errorf("quantile %v = %v, want %v", q, got, want)
		}
	}
	if quantile(nil, 0.5) != 0 {
		t.Error("quantile of nothing should be 0")
	}
}

func TestCreateBodyIsTheAPIsShape(t *testing.T) {
	a := NewAccounts(1, 1)
	got := string(createBody(nil, a.Environment[0], a.Management[0], "env-1", "tok"))
	want := `{"managementAccountId":"200000000000","environmentName":"env-1","roleArn":"arn:aws:iam::100000000000:role/bench-environment-role","clientToken":"tok"}`
	if got != want {
		t.Fatalf("createBody = %s, want %s", got, want)
	}
}

func TestScenarioNamedTellsTheFamiliesApart(t *testing.T) {
	for prefix, want := range map[string]string{
		"Get": "Get", "List": "List (page of 100)", "Environment Get": "Environment Get",
		"Environment List": "Environment List (page of 100)",
	} {
		if sc, ok := ScenarioNamed(prefix); !ok || sc.Name != want {
			t.Errorf("ScenarioNamed(%q) = %q, %v; want %q", prefix, sc.Name, ok, want)
		}
	}
	if sc, ok := ScenarioNamed("Template"); ok {
		t.Errorf("ScenarioNamed(Template) = %q, want none", sc.Name)
	}
}

func TestWriteBundlesWritesTheEnvironmentBundle(t *testing.T) {
	dir := t.TempDir()
	if err := WriteBundles(dir); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, benchBundleBucket, benchBundleKey))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	want := []string{"infrastructure/cloudformation.yaml", "infrastructure/manifest.yaml", "schema/schema.yaml"}
	if !slices.Equal(names, want) {
		t.Fatalf("bundle holds %v, want %v", names, want)
	}
}
