package templates

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/bundle"
	"github.com/openproton/openproton/internal/bundle/bundletest"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/pagetoken"
	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/sqlite"
	"github.com/openproton/openproton/internal/worker"
)

// envBundle is the sample environment bundle with its schema replaced.
func envBundle(t testing.TB, schema string) []byte {
	files := bundletest.EnvFiles()
	files["schema/schema.yaml"] = schema
	return bundletest.Map(t, files)
}

// goodEnvBundle has one optional input, vpc_cidr; the compatibility tests
// add and remove inputs from there.
func goodEnvBundle(t testing.TB) []byte {
	return envBundle(t, bundletest.EnvSchema(bundletest.PropVPCCIDR))
}

// fakeSource serves bundles from memory; fail transient errors come first.
// onFetch, when set, runs once before the next fetch.
type fakeSource struct {
	mu      sync.Mutex
	objects map[string][]byte
	fail    int
	calls   int
	onFetch func()
}

func (f *fakeSource) Fetch(ctx context.Context, bucket, key string) ([]byte, error) {
	f.mu.Lock()
	hook := f.onFetch
	f.onFetch = nil
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail > 0 {
		f.fail--
		return nil, errors.New("connection reset by peer")
	}
	data, ok := f.objects[bucket+"/"+key]
	if !ok {
		return nil, &bundle.Problem{Msg: fmt.Sprintf("s3://%s/%s: the object does not exist", bucket, key)}
	}
	return data, nil
}

// fixture is a templates Service and Registrar over an in-memory store, with
// a clock the test moves, and the runner of the Registrar's jobs.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	st     store.Store
	svc    *Service
	reg    *Registrar
	runner *worker.Runner
	logs   *logBuffer
	src    *fakeSource
	mu     sync.Mutex
	now    time.Time
	caller auth.Caller
	woken  int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := sqlite.OpenMemory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return newFixtureOn(t, st)
}

// newFileFixture is a fixture on an SQLite file, which the test can also
// open directly (see linkEnv).
func newFileFixture(t *testing.T, path string) *fixture {
	t.Helper()
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	return newFixtureOn(t, st)
}

func newFixtureOn(t *testing.T, st store.Store) *fixture {
	t.Cleanup(func() { st.Close() })
	pages, err := pagetoken.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: t.Context(), st: st, src: &fakeSource{objects: map[string][]byte{}},
		now:    time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		caller: auth.Caller{Account: "111111111111", Region: "us-east-1", Partition: "aws"}}
	clock := f.clock
	f.svc = New(st, pages, Options{Now: clock, Wake: func() { f.woken++ }})
	f.logs = &logBuffer{}
	f.reg = NewRegistrar(st, f.src, RegistrarOptions{Owner: "test-owner", Now: clock,
		Log: slog.New(slog.NewTextHandler(f.logs, nil))})
	f.runner = f.reg.Runner(st)
	return f
}

// logBuffer collects a log for the test to read.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lease takes the due registration job as owner would, for the fixture's
// lease time.
func (f *fixture) lease(owner string) store.Job {
	f.t.Helper()
	now := f.clock()
	job, ok, err := f.st.LeaseJob(f.ctx, store.LeaseJobParams{Owner: owner, Until: now.Add(DefaultLease), Now: now,
		Kinds: []store.JobKind{store.JobRegistration}})
	if err != nil || !ok {
		f.t.Fatalf("lease as %s: ok=%v err=%v", owner, ok, err)
	}
	return job
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// drain runs the registrar until no job is due now.
func (f *fixture) drain() {
	f.t.Helper()
	for range 1000 {
		found, err := f.runner.Step(f.ctx)
		if err != nil {
			f.t.Fatalf("Runner.Step: %v", err)
		}
		if !found {
			return
		}
	}
	f.t.Fatal("registrar never ran out of jobs")
}

func (f *fixture) put(key string, data []byte) {
	f.src.mu.Lock()
	f.src.objects["bundles/"+key] = data
	f.src.mu.Unlock()
}

func (f *fixture) createTemplate(kind store.TemplateKind, name string, mods ...func(*CreateTemplateInput)) store.Template {
	f.t.Helper()
	in := CreateTemplateInput{Kind: kind, Name: name}
	for _, m := range mods {
		m(&in)
	}
	t, err := f.svc.CreateTemplate(f.ctx, f.caller, in)
	if err != nil {
		f.t.Fatalf("CreateTemplate(%s): %v", name, err)
	}
	return t
}

// version creates a version of template name from the bundle data (stored
// under a fresh key), registers it and returns it as it is then.
func (f *fixture) version(kind store.TemplateKind, name, major string, data []byte, mods ...func(*CreateVersionInput)) store.TemplateVersion {
	f.t.Helper()
	key := fmt.Sprintf("%s-%d.tar.gz", name, len(f.src.objects))
	f.put(key, data)
	in := CreateVersionInput{Kind: kind, TemplateName: name, MajorVersion: major, Bucket: "bundles", Key: key}
	if kind == store.ServiceTemplate {
		in.Compatible = []Compatible{{TemplateName: "env", MajorVersion: "1"}}
	}
	for _, m := range mods {
		m(&in)
	}
	v, err := f.svc.CreateVersion(f.ctx, f.caller, in)
	if err != nil {
		f.t.Fatalf("CreateVersion(%s): %v", name, err)
	}
	if v.Status != store.VersionRegistering {
		f.t.Fatalf("CreateVersion: status %s", v.Status)
	}
	f.drain()
	return f.get(kind, name, v.Major, v.Minor)
}

func (f *fixture) get(kind store.TemplateKind, name string, major, minor int64) store.TemplateVersion {
	f.t.Helper()
	v, err := f.svc.GetVersion(f.ctx, f.caller, kind, name, fmt.Sprint(major), fmt.Sprint(minor))
	if err != nil {
		f.t.Fatalf("GetVersion(%s %d.%d): %v", name, major, minor, err)
	}
	return v
}

func (f *fixture) publish(kind store.TemplateKind, name, major, minor string) store.TemplateVersion {
	f.t.Helper()
	st := "PUBLISHED"
	v, err := f.svc.UpdateVersion(f.ctx, f.caller, kind, name, major, minor, UpdateVersionInput{Status: &st})
	if err != nil {
		f.t.Fatalf("publish %s %s.%s: %v", name, major, minor, err)
	}
	return v
}

// wantFault fails unless err is a fault of code whose message contains
// every one of parts.
func wantFault(t *testing.T, err error, code fault.Code, parts ...string) {
	t.Helper()
	e, ok := fault.As(err)
	if !ok || e.Code != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Fatalf("message %q does not contain %q", e.Message, p)
		}
	}
}

// wantMessage fails unless err is a fault of code with exactly message msg.
func wantMessage(t *testing.T, err error, code fault.Code, msg string) {
	t.Helper()
	e, ok := fault.As(err)
	if !ok || e.Code != code || e.Message != msg {
		t.Fatalf("err = %v, want %s %q", err, code, msg)
	}
}

func wantStatus(t *testing.T, v store.TemplateVersion, st store.VersionStatus, msgParts ...string) {
	t.Helper()
	if v.Status != st {
		t.Fatalf("version %d.%d: status %s (%q), want %s", v.Major, v.Minor, v.Status, v.StatusMessage, st)
	}
	for _, p := range msgParts {
		if !strings.Contains(v.StatusMessage, p) {
			t.Fatalf("statusMessage %q does not contain %q", v.StatusMessage, p)
		}
	}
}
