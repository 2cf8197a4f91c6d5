package storetest

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// esuite is the state of one environments subtest.
type esuite struct {
	t   *testing.T
	h   Harness
	s   store.Store
	ctx context.Context
	seq int
}

func runE(t *testing.T, h Harness, name string, fn func(x *esuite)) {
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		x := &esuite{t: t, h: h, ctx: t.Context()}
		x.s = h.Open(t)
		t.Cleanup(func() {
			if err := x.s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		fn(x)
	})
}

const envTemplate = "vpc"

// publishVersion creates environment template envTemplate in acctM (if
// needed) with a new major version, registers it as DRAFT through the job
// API and, with publish, publishes it. It returns the version's major.
func (x *esuite) publishVersion(publish bool) string {
	x.t.Helper()
	return x.publishVersionOf(store.EnvironmentTemplate, envTemplate, publish)
}

// publishVersionOf is publishVersion for template name of kind.
func (x *esuite) publishVersionOf(kind store.TemplateKind, name string, publish bool) string {
	x.t.Helper()
	k := store.TemplateKey{Account: acctM, Region: regionA, Kind: kind, Name: name}
	if _, err := x.s.GetTemplate(x.ctx, k); err != nil {
		_, _, err := x.s.CreateTemplate(x.ctx, store.CreateTemplateParams{Template: store.Template{TemplateKey: k,
			Fingerprint: "fp", CreatedAt: at(0), LastModifiedAt: at(0)}, ARN: "arn:tpl", Quota: bigQuota})
		if err != nil {
			x.t.Fatalf("CreateTemplate: %v", err)
		}
	}
	x.seq++
	v, _, err := x.s.CreateTemplateVersion(x.ctx, store.CreateVersionParams{Template: k,
		Version: store.TemplateVersion{ID: uid(5000 + x.seq), SourceBucket: "b", SourceKey: "k", CreatedAt: at(x.seq), LastModifiedAt: at(x.seq)},
		ARN:     func(store.VersionNumber) string { return fmt.Sprintf("arn:version:%d", x.seq) }, Quota: bigQuota, Now: at(x.seq)})
	if err != nil {
		x.t.Fatalf("CreateTemplateVersion: %v", err)
	}
	job, ok, err := x.s.LeaseJob(x.ctx, store.LeaseJobParams{Owner: "storetest", Until: at(10_000).Add(time.Minute), Now: at(10_000),
		Kinds: []store.JobKind{store.JobRegistration}})
	if err != nil || !ok || job.ID != v.ID {
		x.t.Fatalf("LeaseJob: ok=%v err=%v", ok, err)
	}
	if err := x.s.FinishRegistration(x.ctx, store.FinishParams{ID: v.ID, Owner: "storetest", Status: store.VersionDraft,
		Schema: "schema", Bundle: []byte("bundle"), Now: at(x.seq)}); err != nil {
		x.t.Fatalf("FinishRegistration: %v", err)
	}
	if publish {
		st := store.VersionPublished
		if _, err := x.s.UpdateTemplateVersion(x.ctx, store.UpdateVersionParams{Key: v.VersionKey, Status: &st,
			From: []store.VersionStatus{store.VersionDraft}, Now: at(x.seq)}); err != nil {
			x.t.Fatalf("publish: %v", err)
		}
	}
	return fmt.Sprint(v.Major)
}

func envARN(name string) string {
	return "arn:aws:proton:" + regionA + ":" + acctM + ":environment/" + name
}

// newEnv returns an environment of acctM in regionA on envTemplate:major.0
// and its first deployment, which createParams queues.
func (x *esuite) newEnv(name, major string) (store.Environment, store.Deployment) {
	x.seq++
	m, err := strconv.ParseInt(major, 10, 64)
	if err != nil {
		x.t.Fatalf("major %q: %v", major, err)
	}
	k := store.VersionKey{TemplateKey: store.TemplateKey{Account: acctM, Region: regionA, Kind: store.EnvironmentTemplate, Name: envTemplate},
		VersionNumber: store.VersionNumber{Major: m}}
	return newEnvironment(k, name, uid(x.seq), at(x.seq))
}

// newEnvironment returns environment name of k's account and region on the
// environment template version k, managed, and its first deployment id,
// made at now.
func newEnvironment(k store.VersionKey, name, id string, now time.Time) (store.Environment, store.Deployment) {
	st := store.TemplateState{TemplateName: k.Name, MajorVersion: strconv.FormatInt(k.Major, 10), MinorVersion: strconv.FormatInt(k.Minor, 10),
		Spec: "proton: EnvironmentSpec\nspec:\n  a: 1\n", Inputs: `{"a":1}`}
	e := store.Environment{Account: k.Account, Region: k.Region, Name: name, TemplateState: st,
		ProtonServiceRoleArn: "arn:aws:iam::" + k.Account + ":role/p", Mode: store.ModeManaged,
		DeploymentStatus: store.DeployInProgress, CreatedAt: now, LastDeploymentAttemptedAt: now,
		LastAttemptedDeploymentID: id, Fingerprint: "fp-" + name, Version: 1}
	d := store.Deployment{ID: id, Account: k.Account, Region: k.Region, EnvironmentName: name,
		TargetArn: "arn:aws:proton:" + k.Region + ":" + k.Account + ":environment/" + name, TargetResourceType: store.TargetEnvironment,
		TargetKey: name, TargetResourceCreatedAt: now, Action: store.ActionDeploy, Mode: store.ModeManaged, Status: store.DeployInProgress,
		CreatedAt: now, LastModifiedAt: now, TargetState: st}
	return e, d
}

// createEnvironment stores e with its first deployment d (queued with
// queue) and the links it asks for, through the store.
func createEnvironment(ctx context.Context, t *testing.T, s store.Store, e store.Environment, d store.Deployment, queue bool, conn *store.ConnectionLink) {
	t.Helper()
	if _, err := s.CreateEnvironment(ctx, store.CreateEnvironmentParams{Environment: e, Deployment: d, Queue: queue, ARN: d.TargetArn,
		Quota: bigQuota, Connection: conn, Template: store.VersionLink{TemplateName: e.TemplateName, MajorVersion: e.MajorVersion,
			MinorVersion: e.MinorVersion}}); err != nil {
		t.Fatalf("CreateEnvironment(%s): %v", e.Name, err)
	}
}

// addLinked creates environment name on envTemplate:major.0, linked to
// connection c (CONNECTED, of management account acctM), and returns its
// first deployment, queued.
func (x *esuite) addLinked(name, major string, c store.Connection) store.Deployment {
	x.t.Helper()
	e, d := x.newEnv(name, major)
	e.EnvironmentAccountConnectionID, e.EnvironmentAccountID, e.ProtonServiceRoleArn = c.ID, c.EnvironmentAccountID, ""
	createEnvironment(x.ctx, x.t, x.s, e, d, true, &store.ConnectionLink{ID: c.ID, ManagementAccountID: c.ManagementAccountID,
		EnvironmentAccountID: c.EnvironmentAccountID, EnvironmentName: c.EnvironmentName})
	return d
}

func (x *esuite) createParams(e store.Environment, d store.Deployment) store.CreateEnvironmentParams {
	return store.CreateEnvironmentParams{Environment: e, Deployment: d, Queue: true, ARN: envARN(e.Name), Quota: bigQuota,
		Template: store.VersionLink{TemplateName: e.TemplateName, MajorVersion: e.MajorVersion, MinorVersion: e.MinorVersion}}
}

// addEnv creates an environment with newEnv on a freshly published major.
func (x *esuite) addEnv(name string) (store.Environment, store.Deployment) {
	x.t.Helper()
	e, d := x.newEnv(name, x.publishVersion(true))
	got, err := x.s.CreateEnvironment(x.ctx, x.createParams(e, d))
	if err != nil {
		x.t.Fatalf("CreateEnvironment(%s): %v", name, err)
	}
	return got, d
}

// addSelfManaged creates a self-managed environment, whose first
// deployment waits for a notification (no job), and returns that deployment.
func (x *esuite) addSelfManaged(name string) store.Deployment {
	x.t.Helper()
	e, d := x.newEnv(name, x.publishVersion(true))
	e.Mode, d.Mode = store.ModeSelfManaged, store.ModeSelfManaged
	p := x.createParams(e, d)
	p.Queue = false
	if _, err := x.s.CreateEnvironment(x.ctx, p); err != nil {
		x.t.Fatalf("CreateEnvironment(%s): %v", name, err)
	}
	return d
}

func (x *esuite) env(name string) store.Environment {
	x.t.Helper()
	e, err := x.s.GetEnvironment(x.ctx, acctM, regionA, name)
	if err != nil {
		x.t.Fatalf("GetEnvironment(%s): %v", name, err)
	}
	return e
}

func (x *esuite) dep(id string) store.Deployment {
	x.t.Helper()
	d, err := x.s.GetDeployment(x.ctx, regionA, id)
	if err != nil {
		x.t.Fatalf("GetDeployment(%s): %v", id, err)
	}
	return d
}

// lease leases the deployment job that is due longest at now, for a minute.
func (x *esuite) lease(owner string, now time.Time) (store.Job, bool) {
	x.t.Helper()
	j, ok, err := x.s.LeaseJob(x.ctx, store.LeaseJobParams{Owner: owner, Until: now.Add(time.Minute), Now: now,
		Kinds: []store.JobKind{store.JobDeployment}})
	if err != nil {
		x.t.Fatalf("LeaseJob: %v", err)
	}
	if ok && (j.Kind != store.JobDeployment || j.Region != regionA || j.Account != acctM) {
		x.t.Fatalf("LeaseJob = %+v, want a deployment job of %s in %s", j, acctM, regionA)
	}
	return j, ok
}

// leaseJob leases the job of deployment id at the suite's clock.
func (x *esuite) leaseJob(owner, id string) store.Job {
	x.t.Helper()
	j, ok := x.lease(owner, at(x.seq))
	if !ok || j.ID != id {
		x.t.Fatalf("LeaseJob = %s (ok=%v), want %s", j.ID, ok, id)
	}
	return j
}

// mustLease leases the job of deployment id and returns the deployment.
func (x *esuite) mustLease(owner, id string) store.Deployment {
	x.t.Helper()
	x.leaseJob(owner, id)
	return x.dep(id)
}

func jobOf(id string) store.JobKey {
	return store.JobKey{Region: regionA, Kind: store.JobDeployment, ID: id}
}

func (x *esuite) complete(d store.Deployment, owner string, o store.Outcome, outs ...store.Output) store.Deployment {
	x.t.Helper()
	x.seq++
	got, err := x.s.CompleteDeployment(x.ctx, store.CompleteParams{Region: regionA, ID: d.ID, LeaseOwner: owner,
		Outcome: o, Message: "msg " + string(o), Outputs: outs, Now: at(x.seq), ARN: d.TargetArn})
	if err != nil {
		x.t.Fatalf("CompleteDeployment(%s, %s): %v", d.ID, o, err)
	}
	return got
}

// redeploy records a new deploy of e (an update) with spec and returns it.
func (x *esuite) redeploy(e store.Environment, spec string) (store.Environment, store.Deployment) {
	x.t.Helper()
	st := e.TemplateState
	st.Spec = spec
	return x.deploy(e, st)
}

// deploy records a new deploy of e to target, queued unless e is
// self-managed, and returns it.
func (x *esuite) deploy(e store.Environment, target store.TemplateState) (store.Environment, store.Deployment) {
	x.t.Helper()
	x.seq++
	now := at(x.seq)
	initial := e.TemplateState
	next := e
	next.TemplateState = target
	d := store.Deployment{ID: uid(x.seq), Account: acctM, Region: regionA, EnvironmentName: e.Name,
		TargetArn: envARN(e.Name), TargetResourceType: store.TargetEnvironment, TargetKey: e.Name, TargetResourceCreatedAt: e.CreatedAt,
		Action: store.ActionDeploy, Mode: e.Mode, Status: store.DeployInProgress, CreatedAt: now, LastModifiedAt: now,
		PreviousAttemptedID: e.LastAttemptedDeploymentID, PreviousSucceededID: e.LastSucceededDeploymentID,
		InitialState: &initial, TargetState: target}
	next.DeploymentStatus, next.LastAttemptedDeploymentID, next.LastDeploymentAttemptedAt, next.Modified = store.DeployInProgress, d.ID, now, true
	got, err := x.s.UpdateEnvironment(x.ctx, store.UpdateEnvironmentParams{Environment: next, ExpectVersion: e.Version, Deployment: &d,
		Queue:    e.Mode != store.ModeSelfManaged,
		Template: &store.VersionLink{TemplateName: target.TemplateName, MajorVersion: target.MajorVersion, MinorVersion: target.MinorVersion}})
	if err != nil {
		x.t.Fatalf("UpdateEnvironment(%s): %v", e.Name, err)
	}
	return got, d
}
