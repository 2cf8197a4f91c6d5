package environments

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/bundle/bundletest"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/pagetoken"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/templates"
	"github.com/openproton/openproton/internal/provision"
	"github.com/openproton/openproton/internal/render"
	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/sqlite"
	"github.com/openproton/openproton/internal/worker"
)

var caller = auth.Caller{Account: "111111111111", Region: "us-east-1", Partition: "aws"}

type fixture struct {
	st    *sqlite.Store
	svc   *Service
	tmpl  *templates.Service
	pages *pagetoken.Codec
	// running is the latest runner, which a cancel interrupts.
	running *worker.Runner
}

// newFixture opens a memory store holding a published version 1.0 of
// environment template "vpc" (the sample bundle of bundletest) and returns
// the services over it.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOf(t, bundletest.EnvFiles())
}

// newFixtureOf is newFixture with the files of the bundle of version 1.0.
func newFixtureOf(t *testing.T, files map[string]string) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	k := store.TemplateKey{Account: caller.Account, Region: caller.Region, Kind: store.EnvironmentTemplate, Name: "vpc"}
	now := time.Now().UTC().Truncate(time.Millisecond)
	if _, _, err := st.CreateTemplate(ctx, store.CreateTemplateParams{Template: store.Template{TemplateKey: k, Fingerprint: "f",
		CreatedAt: now, LastModifiedAt: now}, ARN: "arn:t", Quota: 10}); err != nil {
		t.Fatal(err)
	}
	v, _, err := st.CreateTemplateVersion(ctx, store.CreateVersionParams{Template: k, Version: store.TemplateVersion{ID: "v1",
		SourceBucket: "b", SourceKey: "k", CreatedAt: now, LastModifiedAt: now},
		ARN: func(store.VersionNumber) string { return "arn:v" }, Quota: 10, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.LeaseJob(ctx, store.LeaseJobParams{Owner: "test", Until: now.Add(time.Minute), Now: now,
		Kinds: []store.JobKind{store.JobRegistration}}); err != nil || !ok {
		t.Fatalf("lease registration: %v %v", ok, err)
	}
	if err := st.FinishRegistration(ctx, store.FinishParams{ID: v.ID, Owner: "test", Status: store.VersionDraft,
		Schema: files["schema/schema.yaml"], Bundle: bundletest.Map(t, files), Now: now}); err != nil {
		t.Fatal(err)
	}
	published := store.VersionPublished
	if _, err := st.UpdateTemplateVersion(ctx, store.UpdateVersionParams{Key: v.VersionKey, Status: &published,
		From: []store.VersionStatus{store.VersionDraft}, Now: now}); err != nil {
		t.Fatal(err)
	}
	pages, err := pagetoken.New(pagetoken.NewRandomKey())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, tmpl: templates.New(st, pages, templates.Options{}), pages: pages}
	f.svc = f.service(st)
	return f
}

// service returns the environments service over st, whose cancels
// interrupt the fixture's latest runner.
func (f *fixture) service(st interface {
	Store
	deployments.Store
}) *Service {
	deps := deployments.New(st, f.pages, deployments.Options{Interrupt: func(k store.JobKey, cause error) {
		if f.running != nil {
			f.running.Interrupt(k, cause)
		}
	}})
	return New(st, f.tmpl, deps, f.pages, Options{})
}

// runnerOptions configure a runner of the fixture's deployments.
type runnerOptions struct {
	lease       time.Duration
	maxAttempts int
	renderer    render.Renderer
	target      Store             // the store the environments target reads; the fixture's when nil
	deployments store.Deployments // the store the handler reads; the fixture's when nil
	maxOutputs  int               // the handler's limit; its default when 0
}

// runner returns a runner of deployment jobs with engine, as the server
// wires it.
func (f *fixture) runner(engine provision.Engine, o runnerOptions) *worker.Runner {
	if o.target == nil {
		o.target = f.st
	}
	if o.deployments == nil {
		o.deployments = f.st
	}
	h := deployments.NewHandler(o.deployments, engine, map[store.TargetType]deployments.Target{
		store.TargetEnvironment: NewTarget(o.target, f.tmpl, o.renderer)}, deployments.HandlerOptions{MaxOutputs: o.maxOutputs})
	f.running = worker.NewRunner(f.st, map[store.JobKind]worker.Handler{store.JobDeployment: h},
		worker.RunnerOptions{Owner: "runner", Lease: o.lease, MaxAttempts: o.maxAttempts})
	return f.running
}

func (f *fixture) create(t *testing.T, name string) store.Environment {
	t.Helper()
	e, err := f.svc.Create(t.Context(), caller, CreateInput{Name: name, TemplateName: "vpc", TemplateMajorVersion: "1",
		Spec: "proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.1.0.0/16\"\n", ProtonServiceRoleArn: "arn:aws:iam::111111111111:role/p"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return e
}

func (f *fixture) get(t *testing.T, name string) store.Environment {
	t.Helper()
	e, err := f.svc.Get(t.Context(), caller, name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRunnerDeploysAndRecordsOutputs(t *testing.T) {
	f := newFixture(t)
	f.create(t, "dev")
	r := f.runner(provision.Emulate{}, runnerOptions{})
	if found, err := r.Step(t.Context()); !found || err != nil {
		t.Fatalf("Step: %v %v", found, err)
	}
	e := f.get(t, "dev")
	if e.DeploymentStatus != store.DeploySucceeded || e.LastSucceededDeploymentID != e.LastAttemptedDeploymentID {
		t.Fatalf("environment %+v", e)
	}
	outs, err := f.svc.Outputs(t.Context(), caller, "dev", "")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Output{{Key: "Cidr", Value: "10.1.0.0/16"}, {Key: "Count", Value: "2"}, {Key: "Name", Value: "dev"}}
	if len(outs) != len(want) {
		t.Fatalf("outputs %v, want %v", outs, want)
	}
	for i := range want {
		if outs[i] != want[i] {
			t.Fatalf("outputs %v, want %v", outs, want)
		}
	}
	if found, _ := r.Step(t.Context()); found {
		t.Fatal("a completed deployment was run again")
	}
}

// TestRenderedTemplatesAreCheckedAsYAML: a Jinja template is YAML only
// once rendered, so a deployment checks what it renders; one that renders
// to something else fails, naming the file, the line and what that line
// reads, and the engine never sees it.
func TestRenderedTemplatesAreCheckedAsYAML(t *testing.T) {
	files := bundletest.EnvFiles()
	files["infrastructure/cloudformation.yaml"] = "Resources:\n{% for i in range(2) %}\n  Topic{{ i }}:\n    Type: AWS::SNS::Topic\n{% endfor %}\n" +
		"Outputs:\n  Name:\n    Value: {{ environment.name }}: {{ environment.inputs.count }}\n"
	f := newFixtureOf(t, files)
	f.create(t, "dev")
	engine := &recordingEngine{}
	if found, err := f.runner(engine, runnerOptions{}).Step(t.Context()); !found || err != nil {
		t.Fatalf("Step: %v %v", found, err)
	}
	e := f.get(t, "dev")
	want := `infrastructure/cloudformation.yaml is not valid YAML once rendered: line 11: mapping values are not allowed in this context (the rendered line 11 reads "    Value: dev: 2")`
	if e.DeploymentStatus != store.DeployFailed || e.DeploymentStatusMessage != want {
		t.Fatalf("environment %s: %q, want FAILED: %q", e.DeploymentStatus, e.DeploymentStatusMessage, want)
	}
	if engine.runs != 0 {
		t.Fatalf("the engine ran %d times", engine.runs)
	}
}

// recordingEngine counts its runs and provisions nothing.
type recordingEngine struct{ runs int }

func (e *recordingEngine) Name() string { return "recording" }

func (e *recordingEngine) Run(context.Context, provision.Request) (provision.Result, error) {
	e.runs++
	return provision.Result{}, nil
}

func TestRunnerGivesUpAfterMaxAttempts(t *testing.T) {
	f := newFixture(t)
	f.create(t, "dev")
	// A worker that died: it leased the deployment with a lease that ran out.
	if _, ok, err := f.st.LeaseJob(t.Context(), store.LeaseJobParams{Owner: "dead", Until: time.Now().Add(-time.Second), Now: time.Now()}); !ok || err != nil {
		t.Fatalf("lease: %v %v", ok, err)
	}
	r := f.runner(provision.Emulate{}, runnerOptions{maxAttempts: 1})
	if found, err := r.Step(t.Context()); !found || err != nil {
		t.Fatalf("Step: %v %v", found, err)
	}
	e := f.get(t, "dev")
	if e.DeploymentStatus != store.DeployFailed || !strings.Contains(e.DeploymentStatusMessage, "abandoned after 1 attempts") {
		t.Fatalf("environment %s: %q", e.DeploymentStatus, e.DeploymentStatusMessage)
	}
}

func TestRunnerReleasesItsLeaseOnShutdown(t *testing.T) {
	f := newFixture(t)
	f.create(t, "dev")
	r := f.runner(provision.Emulate{Delay: time.Hour}, runnerOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = r.Step(ctx)
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	<-done
	j, ok, err := f.st.LeaseJob(t.Context(), store.LeaseJobParams{Owner: "next", Until: time.Now().Add(time.Minute), Now: time.Now()})
	if err != nil || !ok {
		t.Fatalf("the deployment was not free at once after the shutdown: %v %v", ok, err)
	}
	if d, err := f.st.GetDeployment(t.Context(), j.Region, j.ID); j.Attempts != 1 || err != nil || d.Status != store.DeployInProgress {
		t.Fatalf("deployment after release: attempts %d, status %s (%v)", j.Attempts, d.Status, err)
	}
}

func TestCancelStopsARunningUpdate(t *testing.T) {
	f := newFixture(t)
	f.create(t, "dev")
	fast := f.runner(provision.Emulate{}, runnerOptions{})
	if _, err := fast.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := f.get(t, "dev")
	spec := "proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.2.0.0/16\"\n"
	if _, err := f.svc.Update(t.Context(), caller, "dev", UpdateInput{DeploymentType: deployments.DeployCurrentVersion, Spec: &spec}); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Update(t.Context(), caller, "dev", UpdateInput{DeploymentType: deployments.DeployCurrentVersion})
	if !fault.Is(err, fault.Conflict) {
		t.Fatalf("update while in progress: %v", err)
	}
	slow := f.runner(provision.Emulate{Delay: time.Hour}, runnerOptions{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = slow.Step(t.Context())
	}()
	time.Sleep(100 * time.Millisecond)
	e, err := f.svc.Cancel(t.Context(), caller, "dev")
	if err != nil || (e.DeploymentStatus != store.DeployCancelling && e.DeploymentStatus != store.DeployCancelled) {
		t.Fatalf("Cancel: %v %+v", err, e)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the running deployment did not stop")
	}
	e = f.get(t, "dev")
	if e.DeploymentStatus != store.DeployCancelled || e.Spec != before.Spec || e.DeploymentStatusMessage != worker.ErrCancelRequested.Error() {
		t.Fatalf("after cancel: %s %q spec %q", e.DeploymentStatus, e.DeploymentStatusMessage, e.Spec)
	}
}

// cancelOnRead is the store of a runner that sees a cancel arrive between
// leasing a deployment and starting to run it: the cancel commits while the
// run reads its environment, when there is no run yet to interrupt.
type cancelOnRead struct {
	*sqlite.Store
	cancel func()
}

func (s cancelOnRead) GetEnvironment(ctx context.Context, account, region, name string) (store.Environment, error) {
	s.cancel()
	return s.Store.GetEnvironment(ctx, account, region, name)
}

// newUpdating returns a fixture whose environment name was deployed and
// has an update queued, not yet run.
func newUpdating(t *testing.T, name string) *fixture {
	t.Helper()
	f := newFixture(t)
	f.create(t, name)
	if _, err := f.runner(provision.Emulate{}, runnerOptions{}).Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	spec := "proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.2.0.0/16\"\n"
	if _, err := f.svc.Update(t.Context(), caller, name, UpdateInput{DeploymentType: deployments.DeployCurrentVersion, Spec: &spec}); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCancelBeforeTheRunStarts(t *testing.T) {
	f := newUpdating(t, "dev")
	cancelled := false
	st := cancelOnRead{Store: f.st, cancel: func() {
		if cancelled {
			return
		}
		cancelled = true
		if _, err := f.svc.Cancel(t.Context(), caller, "dev"); err != nil {
			t.Errorf("Cancel: %v", err)
		}
	}}
	r := f.runner(provision.Emulate{Delay: time.Hour}, runnerOptions{target: st})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = r.Step(t.Context())
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a deployment cancelled before its run started ran on")
	}
	if e := f.get(t, "dev"); e.DeploymentStatus != store.DeployCancelled {
		t.Fatalf("after a cancel before the run started: %s %q", e.DeploymentStatus, e.DeploymentStatusMessage)
	}
}

// cancelOnDeploymentRead is the store of a deployment handler that sees
// a cancel arrive, and interrupt its run, while it reads the deployment it
// leased. Like PostgreSQL's driver, and unlike SQLite's, it gives up a read
// whose context has ended.
type cancelOnDeploymentRead struct {
	*sqlite.Store
	cancel func()
}

func (s cancelOnDeploymentRead) GetDeployment(ctx context.Context, region, id string) (store.Deployment, error) {
	s.cancel()
	if err := ctx.Err(); err != nil {
		return store.Deployment{}, err
	}
	return s.Store.GetDeployment(ctx, region, id)
}

func TestCancelWhileTheRunReadsItsDeployment(t *testing.T) {
	f := newUpdating(t, "dev")
	cancelled := false
	st := cancelOnDeploymentRead{Store: f.st, cancel: func() {
		if cancelled {
			return
		}
		cancelled = true
		if _, err := f.svc.Cancel(t.Context(), caller, "dev"); err != nil {
			t.Errorf("Cancel: %v", err)
		}
	}}
	// The lease outlasts the test: only the run that was interrupted can
	// end the deployment in time.
	r := f.runner(provision.Emulate{Delay: time.Hour}, runnerOptions{deployments: st, lease: time.Hour})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 2 {
			if _, err := r.Step(t.Context()); err != nil {
				t.Errorf("Step: %v", err)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a deployment cancelled while its run read it was not ended")
	}
	if e := f.get(t, "dev"); e.DeploymentStatus != store.DeployCancelled {
		t.Fatalf("after a cancel while the run read its deployment: %s %q", e.DeploymentStatus, e.DeploymentStatusMessage)
	}
}

func TestUpdateDeploymentTypeRules(t *testing.T) {
	f := newFixture(t)
	f.create(t, "dev")
	if _, err := f.runner(provision.Emulate{}, runnerOptions{}).Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	one, two, spec := "1", "2", "proton: EnvironmentSpec\nspec: {}\n"
	for _, in := range []UpdateInput{
		{DeploymentType: DeployNone, Spec: &spec},
		{DeploymentType: deployments.DeployCurrentVersion, TemplateMajorVersion: &one},
		{DeploymentType: deployments.DeployMinorVersion, TemplateMajorVersion: &two},
		{DeploymentType: deployments.DeployMajorVersion, TemplateMajorVersion: &one},
		{DeploymentType: deployments.DeployMajorVersion}, // no higher major exists
	} {
		before := f.get(t, "dev")
		_, err := f.svc.Update(t.Context(), caller, "dev", in)
		if !fault.Is(err, fault.Validation) {
			t.Errorf("%+v: err = %v, want ValidationException", in, err)
		}
		if after := f.get(t, "dev"); after != before {
			t.Errorf("%+v changed the environment", in)
		}
	}
}

// goneStore answers as the store does once an environment and its
// deployments were deleted by another request: the deployment reads or
// the cancel find nothing.
type goneStore struct {
	*sqlite.Store
	getGone, cancelGone bool
}

func (s goneStore) GetDeployment(ctx context.Context, region, id string) (store.Deployment, error) {
	if s.getGone {
		return store.Deployment{}, store.ErrNotFound
	}
	return s.Store.GetDeployment(ctx, region, id)
}

func (s goneStore) CancelDeployment(ctx context.Context, region, id string, now time.Time) (store.Deployment, error) {
	if s.cancelGone {
		return store.Deployment{}, store.ErrNotFound
	}
	return s.Store.CancelDeployment(ctx, region, id, now)
}

func TestCancelOfAnEnvironmentDeletedMeanwhile(t *testing.T) {
	f := newUpdating(t, "dev")
	for _, st := range []goneStore{{Store: f.st, getGone: true}, {Store: f.st, cancelGone: true}} {
		_, err := f.service(st).Cancel(t.Context(), caller, "dev")
		if !fault.Is(err, fault.NotFound) {
			t.Errorf("cancel while the environment is deleted (deployment read gone %v, cancel gone %v): %v, want ResourceNotFoundException",
				st.getGone, st.cancelGone, err)
		}
	}
}

// hookEngine is the emulating engine with a hook that runs in the middle of
// every run.
type hookEngine struct {
	provision.Emulate
	during func()
}

func (h hookEngine) Run(ctx context.Context, req provision.Request) (provision.Result, error) {
	h.during()
	return h.Emulate.Run(ctx, req)
}

func TestConnectionDeletedDuringTheRunFailsTheDeployment(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	c := store.Connection{ID: "c0ffee00-0000-4000-8000-000000000001", Region: caller.Region, EnvironmentAccountID: "222222222222",
		ManagementAccountID: caller.Account, EnvironmentName: "dev", RoleArn: "arn:aws:iam::222222222222:role/r",
		Status: store.StatusConnected, RequestedAt: now, LastModifiedAt: now}
	if _, _, err := f.st.CreateConnection(ctx, store.CreateConnectionParams{Connection: c, ARN: "arn:c", Quota: 10, Now: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Create(ctx, caller, CreateInput{Name: "dev", TemplateName: "vpc", TemplateMajorVersion: "1",
		Spec: "proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.1.0.0/16\"\n", EnvironmentAccountConnectionID: c.ID}); err != nil {
		t.Fatalf("Create: %v", err)
	}
	engine := hookEngine{during: func() {
		if _, err := f.st.DeleteConnection(ctx, c.Region, c.ID, "arn:c", now); err != nil {
			t.Errorf("DeleteConnection: %v", err)
		}
	}}
	if found, err := f.runner(engine, runnerOptions{}).Step(ctx); !found || err != nil {
		t.Fatalf("Step: %v %v", found, err)
	}
	e := f.get(t, "dev")
	if e.DeploymentStatus != store.DeployFailed || e.DeploymentStatusMessage != errConnectionDeleted(e).Error() || e.LastSucceededDeploymentID != "" {
		t.Fatalf("environment %s %q (last succeeded %q), want FAILED: the connection was deleted", e.DeploymentStatus, e.DeploymentStatusMessage, e.LastSucceededDeploymentID)
	}
	if outs, err := f.st.ListOutputs(ctx, caller.Region, e.LastAttemptedDeploymentID); err != nil || len(outs) != 0 {
		t.Fatalf("outputs of the failed deployment: %v %v", outs, err)
	}
}

func TestSecondCancelReturnsTheEnvironmentUnchanged(t *testing.T) {
	f := newUpdating(t, "dev")
	first, err := f.svc.Cancel(t.Context(), caller, "dev")
	if err != nil || first.DeploymentStatus != store.DeployCancelling {
		t.Fatalf("first cancel: %v %+v", err, first)
	}
	second, err := f.svc.Cancel(t.Context(), caller, "dev")
	if err != nil {
		t.Fatalf("second cancel: %v, want the environment unchanged", err)
	}
	if second.DeploymentStatus != first.DeploymentStatus || second.LastAttemptedDeploymentID != first.LastAttemptedDeploymentID ||
		second.Spec != first.Spec || second.Version != first.Version {
		t.Fatalf("second cancel changed the environment:\n%+v\nwas\n%+v", second, first)
	}
}

// unavailableStore fails every read of an environment, as a store that does
// not answer does.
type unavailableStore struct{ *sqlite.Store }

func (unavailableStore) GetEnvironment(context.Context, string, string, string) (store.Environment, error) {
	return store.Environment{}, errors.New("store unavailable")
}

func TestAStoreFailureBeforeTheRunLeavesTheDeploymentToALaterAttempt(t *testing.T) {
	f := newFixture(t)
	f.create(t, "dev")
	r := f.runner(provision.Emulate{}, runnerOptions{lease: time.Minute, target: unavailableStore{f.st}})
	if found, err := r.Step(t.Context()); !found || err != nil {
		t.Fatalf("Step: %v %v", found, err)
	}
	if e := f.get(t, "dev"); e.DeploymentStatus != store.DeployInProgress {
		t.Fatalf("deployment ended %s (%q) when its environment could not be read; want it left to a later attempt",
			e.DeploymentStatus, e.DeploymentStatusMessage)
	}
	if j, err := f.st.RenewJob(t.Context(), store.JobKey{Region: caller.Region, Kind: store.JobDeployment,
		ID: f.get(t, "dev").LastAttemptedDeploymentID}, "runner", time.Now().Add(time.Minute)); err != nil || j.Attempts != 1 {
		t.Fatalf("job after the failed attempt: %+v, %v; want it still leased, to be taken up when the lease runs out", j, err)
	}
}

// notifyingEngine records notified outputs of the deployment while it
// runs, as the commands of a CodeBuild run do, and returns outs as its
// result.
type notifyingEngine struct {
	st       store.Deployments
	notified []store.Output
	outs     []provision.Output
}

func (e notifyingEngine) Name() string { return "notifying" }

func (e notifyingEngine) Run(ctx context.Context, req provision.Request) (provision.Result, error) {
	if _, err := e.st.RecordOutputs(ctx, store.NotifyOutputsParams{Region: req.Target.Region, ID: req.DeploymentID, Outputs: e.notified,
		MaxOutputs: 500, Now: time.Now()}); err != nil {
		return provision.Result{}, err
	}
	return provision.Result{Outputs: e.outs}, nil
}

// TestOutputsNotifiedAndReturnedShareOneLimit: the outputs a run's commands
// notified and those of its result count together, by key, against the
// most a deployment may hold; over it, the deployment fails, saying so.
func TestOutputsNotifiedAndReturnedShareOneLimit(t *testing.T) {
	for _, max := range []int{3, 4} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			f := newFixture(t)
			f.create(t, "dev")
			engine := notifyingEngine{st: f.st, notified: []store.Output{{Key: "a", Value: "1"}, {Key: "b", Value: "1"}},
				outs: []provision.Output{{Key: "b", Value: "2"}, {Key: "c", Value: "2"}, {Key: "d", Value: "2"}}}
			if found, err := f.runner(engine, runnerOptions{maxOutputs: max}).Step(t.Context()); !found || err != nil {
				t.Fatalf("Step: %v %v", found, err)
			}
			e := f.get(t, "dev")
			want := "The deployment would hold 4 outputs (those its commands notified and those of its result); at most 3 are allowed."
			if max == 4 {
				want = ""
			}
			if (e.DeploymentStatus == store.DeploySucceeded) != (max == 4) || e.DeploymentStatusMessage != want {
				t.Fatalf("with at most %d outputs: %s %q", max, e.DeploymentStatus, e.DeploymentStatusMessage)
			}
		})
	}
}
