package storetest

import (
	"errors"
	"strconv"
	"testing"

	"github.com/openproton/openproton/internal/store"
)

const svcTemplate = "web"

func svcARN(name string) string {
	return "arn:aws:proton:" + regionA + ":" + acctM + ":service/" + name
}

// svcWorld is a service template version (1.0, published) and two
// environments whose deployments succeeded.
func (x *esuite) svcWorld() {
	x.t.Helper()
	x.publishVersionOf(store.ServiceTemplate, svcTemplate, true)
	for _, n := range []string{"dev", "prod"} {
		_, d := x.addEnv(n)
		x.finish(d, store.OutcomeSucceeded)
	}
	x.setCompatible(x.envMajors()...)
}

// envMajors are the majors of envTemplate that the environments run.
func (x *esuite) envMajors() []store.CompatibleTemplate {
	x.t.Helper()
	es, err := x.s.ListEnvironments(x.ctx, store.ListEnvironmentsQuery{Account: acctM, Region: regionA, Limit: 100})
	if err != nil {
		x.t.Fatalf("ListEnvironments: %v", err)
	}
	var out []store.CompatibleTemplate
	for _, e := range es {
		m, err := strconv.ParseInt(e.MajorVersion, 10, 64)
		if err != nil {
			x.t.Fatalf("environment %s: major %q", e.Name, e.MajorVersion)
		}
		out = append(out, store.CompatibleTemplate{Name: envTemplate, Major: m})
	}
	return out
}

// setCompatible sets the compatible environment templates of the service
// template version 1.0.
func (x *esuite) setCompatible(compat ...store.CompatibleTemplate) {
	x.t.Helper()
	k := store.VersionKey{TemplateKey: store.TemplateKey{Account: acctM, Region: regionA, Kind: store.ServiceTemplate, Name: svcTemplate},
		VersionNumber: store.VersionNumber{Major: 1, Minor: 0}}
	if _, err := x.s.UpdateTemplateVersion(x.ctx, store.UpdateVersionParams{Key: k, CompatibleEnvironmentTemplates: &compat,
		Now: at(x.seq)}); err != nil {
		x.t.Fatalf("set compatible templates: %v", err)
	}
}

// finish ends deployment d as a worker would.
func (x *esuite) finish(d store.Deployment, o store.Outcome) {
	x.t.Helper()
	// Other jobs leased on the way are handed back after.
	var held []store.JobKey
	defer func() {
		for _, k := range held {
			if err := x.s.ReleaseJob(x.ctx, k, "w"); err != nil {
				x.t.Errorf("ReleaseJob: %v", err)
			}
		}
	}()
	for {
		job, ok, err := x.s.LeaseJob(x.ctx, store.LeaseJobParams{Owner: "w", Until: at(1_000_000), Now: at(900_000),
			Kinds: []store.JobKind{store.JobDeployment}})
		if err != nil || !ok {
			x.t.Fatalf("LeaseJob for %s: ok=%v err=%v", d.ID, ok, err)
		}
		if job.ID == d.ID {
			break
		}
		held = append(held, job.JobKey)
	}
	if _, err := x.s.CompleteDeployment(x.ctx, store.CompleteParams{Region: regionA, ID: d.ID, LeaseOwner: "w", Outcome: o,
		Now: at(x.seq + 100), ARN: d.TargetArn, Outputs: []store.Output{{Key: "k", Value: d.ID}}}); err != nil {
		x.t.Fatalf("CompleteDeployment(%s): %v", d.ID, err)
	}
}

// newTarget returns a target of service svc (instance name, or the
// pipeline for "") and its first deployment.
func (x *esuite) newTarget(svc, name, env string) (store.ServiceTarget, store.NewDeployment) {
	x.seq++
	now := at(x.seq)
	st := store.TemplateState{TemplateName: svcTemplate, MajorVersion: "1", MinorVersion: "0", Spec: "spec", Inputs: "{}"}
	t := store.ServiceTarget{Account: acctM, Region: regionA, ServiceName: svc, Name: name, EnvironmentName: env, TemplateState: st,
		Mode: store.ModeManaged, DeploymentStatus: store.DeployInProgress, CreatedAt: now, LastDeploymentAttemptedAt: now,
		LastAttemptedDeploymentID: uid(7000 + x.seq), Version: 1}
	a := svcARN(svc) + "/pipeline"
	if name != "" {
		a = svcARN(svc) + "/service-instance/" + name
	}
	d := store.Deployment{ID: t.LastAttemptedDeploymentID, Account: acctM, Region: regionA, EnvironmentName: env, TargetArn: a,
		TargetResourceType: t.TargetType(), TargetKey: t.TargetKey(), TargetResourceCreatedAt: now, Action: store.ActionDeploy,
		Mode: store.ModeManaged, Status: store.DeployInProgress, CreatedAt: now, LastModifiedAt: now, TargetState: st}
	return t, store.NewDeployment{Deployment: d, Queue: true}
}

// createService makes service name with instances in envs and a pipeline.
func (x *esuite) createService(name string, envs ...string) (store.WriteServiceParams, error) {
	x.seq++
	p := store.WriteServiceParams{Create: true, Service: store.Service{Account: acctM, Region: regionA, Name: name,
		TemplateName: svcTemplate, MajorVersion: "1", MinorVersion: "0", Spec: "spec", Status: store.ServiceCreateInProgress,
		CreatedAt: at(x.seq), LastModifiedAt: at(x.seq), Fingerprint: "fp", Version: 1},
		Template: &store.VersionLink{TemplateName: svcTemplate, MajorVersion: "1", MinorVersion: "0"},
		Tags:     []store.Tag{{Key: "team", Value: "a"}}, ARN: svcARN(name), Quota: bigQuota, MaxInstances: 20}
	for i, e := range append([]string{""}, envs...) {
		n := ""
		if i > 0 {
			n = "i" + e
			major := "1"
			if got, err := x.s.GetEnvironment(x.ctx, acctM, regionA, e); err == nil {
				major = got.MajorVersion
			}
			p.Environments = append(p.Environments, store.EnvironmentLink{Name: e, TemplateName: envTemplate, MajorVersion: major})
		}
		t, d := x.newTarget(name, n, e)
		p.Targets, p.Deployments = append(p.Targets, t), append(p.Deployments, d)
	}
	_, err := x.s.WriteService(x.ctx, p)
	return p, err
}

func (x *esuite) service(name string) store.Service {
	x.t.Helper()
	v, err := x.s.GetService(x.ctx, acctM, regionA, name)
	if err != nil {
		x.t.Fatalf("GetService(%s): %v", name, err)
	}
	return v
}

func testServices(t *testing.T, h Harness) {
	testServiceRollback(t, h)
	runE(t, h, "FailedTargetNamed", func(x *esuite) {
		x.svcWorld()
		p, err := x.createService("f1", "dev")
		if err != nil {
			t.Fatalf("WriteService: %v", err)
		}
		for _, d := range p.Deployments {
			o := store.OutcomeSucceeded
			if d.TargetResourceType == store.TargetServiceInstance {
				o = store.OutcomeFailed
			}
			x.finish(d.Deployment, o)
		}
		if v := x.service("f1"); v.Status != store.ServiceCreateFailed || v.StatusMessage != "Service instance idev failed: " {
			t.Errorf("after a failed instance: %s %q; want CREATE_FAILED naming the instance", v.Status, v.StatusMessage)
		}
	})
	runE(t, h, "CreateSettleDelete", func(x *esuite) {
		x.svcWorld()
		p, err := x.createService("s1", "dev", "prod")
		if err != nil {
			t.Fatalf("WriteService: %v", err)
		}
		v := x.service("s1")
		if v.Status != store.ServiceCreateInProgress || v.Pipeline == nil || v.Pipeline.DeploymentStatus != store.DeployInProgress {
			t.Fatalf("service = %+v", v)
		}
		if _, err := x.createService("s1", "dev"); !errors.Is(err, store.ErrAlreadyExists) {
			t.Errorf("second create: %v, want ErrAlreadyExists", err)
		}
		// The environments and the version are in use.
		e := x.env("dev")
		del := store.Deployment{ID: uid(9001), Account: acctM, Region: regionA, EnvironmentName: "dev", TargetArn: envARN("dev"),
			TargetResourceType: store.TargetEnvironment, TargetKey: "dev", Action: store.ActionDelete, Mode: store.ModeManaged,
			Status: store.DeleteInProgress, CreatedAt: at(500), LastModifiedAt: at(500), TargetState: e.TemplateState}
		next := e
		next.DeploymentStatus, next.LastAttemptedDeploymentID = store.DeleteInProgress, del.ID
		if _, err := x.s.UpdateEnvironment(x.ctx, store.UpdateEnvironmentParams{Environment: next, ExpectVersion: e.Version, Deployment: &del}); !errors.Is(err, store.ErrHasInstances) {
			t.Errorf("delete of environment with instances: %v, want ErrHasInstances", err)
		}
		if got := x.env("dev"); got.DeploymentStatus != e.DeploymentStatus {
			t.Errorf("environment changed: %s", got.DeploymentStatus)
		}
		k := store.VersionKey{TemplateKey: store.TemplateKey{Account: acctM, Region: regionA, Kind: store.ServiceTemplate, Name: svcTemplate},
			VersionNumber: store.VersionNumber{Major: 1}}
		var inUse *store.VersionInUseError
		if _, err := x.s.DeleteTemplateVersion(x.ctx, store.DeleteVersionParams{Key: k, ARN: "arn:v", Now: at(600),
			Allow: func(store.TemplateVersion, []store.TemplateVersion) error { return nil }}); !errors.As(err, &inUse) {
			t.Errorf("delete of version in use: %v, want VersionInUseError", err)
		}
		var outside *store.CompatibilityInUseError
		other := []store.CompatibleTemplate{{Name: "other", Major: 1}}
		if _, err := x.s.UpdateTemplateVersion(x.ctx, store.UpdateVersionParams{Key: k, CompatibleEnvironmentTemplates: &other,
			Now: at(601)}); !errors.As(err, &outside) || outside.Environment != "dev" && outside.Environment != "prod" {
			t.Errorf("dropping the environments' template from the version: %v, want CompatibilityInUseError", err)
		}
		kept := []store.CompatibleTemplate{{Name: envTemplate, Major: 1}, {Name: envTemplate, Major: 2}, {Name: "other", Major: 1}}
		if _, err := x.s.UpdateTemplateVersion(x.ctx, store.UpdateVersionParams{Key: k, CompatibleEnvironmentTemplates: &kept, Now: at(602)}); err != nil {
			t.Errorf("keeping the environments' template majors: %v", err)
		}
		// Listing instances, and deployments by service.
		insts, err := x.s.ListServiceInstances(x.ctx, store.ListInstancesQuery{Account: acctM, Region: regionA, SortBy: "environmentName",
			Descending: true, Limit: 10})
		if err != nil || len(insts) != 2 || insts[0].EnvironmentName != "prod" {
			t.Errorf("ListServiceInstances = %+v, %v", insts, err)
		}
		insts, err = x.s.ListServiceInstances(x.ctx, store.ListInstancesQuery{Account: acctM, Region: regionA,
			Filters: []store.InstanceFilter{{Key: "environmentName", Value: "dev"}, {Key: "deploymentStatus", Value: "IN_PROGRESS"}}, Limit: 10})
		if err != nil || len(insts) != 1 || insts[0].Name != "idev" {
			t.Errorf("filtered ListServiceInstances = %+v, %v", insts, err)
		}
		deps, err := x.s.ListDeployments(x.ctx, store.ListDeploymentsQuery{Account: acctM, Region: regionA, ServiceName: "s1", Limit: 10})
		if err != nil || len(deps) != 3 {
			t.Errorf("ListDeployments(service) = %d, %v", len(deps), err)
		}
		// Ending every deployment settles the service.
		for i, d := range p.Deployments {
			x.finish(d.Deployment, store.OutcomeSucceeded)
			if got := x.service("s1").Status; (i < 2) != (got == store.ServiceCreateInProgress) {
				t.Errorf("after %d deployments the service is %s", i+1, got)
			}
		}
		if got := x.service("s1"); got.Status != store.ServiceActive || got.Pipeline.LastSucceededDeploymentID != p.Deployments[0].ID {
			t.Errorf("service = %+v", got)
		}
		// Delete: every target gets a delete deployment.
		v = x.service("s1")
		w := store.WriteServiceParams{Service: v, ExpectVersion: v.Version}
		w.Service.Status = store.ServiceDeleteInProgress
		for _, name := range []string{"", "idev", "iprod"} {
			tg, err := x.s.GetServiceInstance(x.ctx, acctM, regionA, "s1", name)
			if name == "" {
				tg, err = *v.Pipeline, nil
			}
			if err != nil {
				t.Fatalf("GetServiceInstance: %v", err)
			}
			_, nd := x.newTarget("s1", name, tg.EnvironmentName)
			nd.Action, nd.Status = store.ActionDelete, store.DeleteInProgress
			tg.DeploymentStatus, tg.LastAttemptedDeploymentID = store.DeleteInProgress, nd.ID
			tg.Version++
			w.Targets, w.Deployments = append(w.Targets, tg), append(w.Deployments, nd)
		}
		stale := w
		if _, err := x.s.WriteService(x.ctx, w); err != nil {
			t.Fatalf("WriteService(delete): %v", err)
		}
		if _, err := x.s.WriteService(x.ctx, stale); !errors.Is(err, store.ErrConditionFailed) {
			t.Errorf("stale write: %v, want ErrConditionFailed", err)
		}
		for _, d := range w.Deployments {
			x.finish(d.Deployment, store.OutcomeSucceeded)
		}
		if _, err := x.s.GetService(x.ctx, acctM, regionA, "s1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetService after delete: %v", err)
		}
		if _, err := x.s.Tombstone(x.ctx, store.Resource{Type: "service", Account: acctM, Region: regionA, Key: "s1"}); err != nil {
			t.Errorf("Tombstone: %v", err)
		}
		if tags, err := x.s.ListTags(x.ctx, svcARN("s1")); err != nil || len(tags) != 0 {
			t.Errorf("tags after delete: %v, %v", tags, err)
		}
		deps, _ = x.s.ListDeployments(x.ctx, store.ListDeploymentsQuery{Account: acctM, Region: regionA, ServiceName: "s1", Limit: 10})
		if len(deps) != 0 {
			t.Errorf("%d deployments left", len(deps))
		}
		// The environment can go now.
		if _, err := x.s.UpdateEnvironment(x.ctx, store.UpdateEnvironmentParams{Environment: next, ExpectVersion: e.Version, Deployment: &del}); err != nil {
			t.Errorf("delete of environment without instances: %v", err)
		}
	})
	runE(t, h, "Refusals", func(x *esuite) {
		x.svcWorld()
		if _, err := x.createService("s2", "nowhere"); !errors.Is(err, store.ErrEnvironmentUnusable) {
			t.Errorf("missing environment: %v", err)
		}
		// The version no longer lists the environments' template (an
		// update that committed after the caller's checks): the create
		// is refused in its transaction, and nothing is written.
		x.setCompatible(store.CompatibleTemplate{Name: "other", Major: 1})
		if _, err := x.createService("s2", "dev"); !errors.Is(err, store.ErrVersionUnusable) {
			t.Errorf("environment outside the compatible templates: %v", err)
		}
		if _, err := x.s.GetService(x.ctx, acctM, regionA, "s2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after a refused create, GetService: %v", err)
		}
		x.setCompatible(x.envMajors()...)
		p, _ := x.createService("s3", "dev")
		p.Service.Name, p.ARN = "s4", svcARN("s4")
		p.Quota = 1
		if _, err := x.s.WriteService(x.ctx, p); !errors.Is(err, store.ErrQuotaExceeded) {
			t.Errorf("quota: %v", err)
		}
		p, err := x.createService("s5", "dev", "prod")
		if err != nil {
			t.Fatal(err)
		}
		v := x.service("s5")
		t1, d1 := x.newTarget("s5", "extra", "dev")
		w := store.WriteServiceParams{Service: v, ExpectVersion: v.Version, Targets: []store.ServiceTarget{t1},
			Deployments: []store.NewDeployment{d1}, MaxInstances: 2}
		if _, err := x.s.WriteService(x.ctx, w); !errors.Is(err, store.ErrTooManyInstances) {
			t.Errorf("instance quota: %v", err)
		}
		for _, n := range []string{"s2", "s4"} {
			if _, err := x.s.GetService(x.ctx, acctM, regionA, n); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s exists after a refused create: %v", n, err)
			}
		}
		if got := x.service("s5"); got.Version != v.Version {
			t.Errorf("refused write changed the service")
		}
		// A cancelled update of an instance goes back to where it was.
		for _, d := range p.Deployments {
			x.finish(d.Deployment, store.OutcomeSucceeded)
		}
		tg, _ := x.s.GetServiceInstance(x.ctx, acctM, regionA, "s5", "idev")
		_, nd := x.newTarget("s5", "idev", "dev")
		initial := tg.TemplateState
		nd.InitialState = &initial
		nd.TargetState.MinorVersion = "1"
		next := tg
		next.TemplateState, next.DeploymentStatus, next.LastAttemptedDeploymentID = nd.TargetState, store.DeployInProgress, nd.ID
		next.Version++
		v = x.service("s5")
		if _, err := x.s.WriteService(x.ctx, store.WriteServiceParams{Service: v, ExpectVersion: v.Version,
			Targets: []store.ServiceTarget{next}, Deployments: []store.NewDeployment{nd}}); err != nil {
			t.Fatal(err)
		}
		if _, err := x.s.CancelDeployment(x.ctx, regionA, nd.ID, at(800)); err != nil {
			t.Fatal(err)
		}
		if got, _ := x.s.GetServiceInstance(x.ctx, acctM, regionA, "s5", "idev"); got.DeploymentStatus != store.DeployCancelling {
			t.Errorf("instance is %s, want CANCELLING", got.DeploymentStatus)
		}
		x.finish(nd.Deployment, store.OutcomeCancelled)
		if got, _ := x.s.GetServiceInstance(x.ctx, acctM, regionA, "s5", "idev"); got.DeploymentStatus != store.DeployCancelled || got.MinorVersion != "0" {
			t.Errorf("instance after cancel = %s %s", got.DeploymentStatus, got.MinorVersion)
		}
		c, err := x.s.CountResources(x.ctx, acctM, regionA)
		want := store.DeployedCounts{Total: 3}
		if err != nil || c.Services.Total != 2 || c.ServiceInstances != want || c.Pipelines.Total != 2 {
			t.Errorf("counts = %+v, %v", c, err)
		}
		x.publishVersionOf(store.ServiceTemplate, svcTemplate, true) // major 2: every instance is behind its major
		if c, err = x.s.CountResources(x.ctx, acctM, regionA); err != nil || c.ServiceInstances.BehindMajor != 3 {
			t.Errorf("counts after a new major = %+v, %v", c, err)
		}
	})
	runE(t, h, "PipelineAfterInstances", func(x *esuite) {
		// The deployments of one change run side by side, the pipeline's
		// after its instances'.
		x.svcWorld()
		p := store.WriteServiceParams{Create: true, Service: store.Service{Account: acctM, Region: regionA, Name: "s",
			TemplateName: svcTemplate, MajorVersion: "1", MinorVersion: "0", Status: store.ServiceCreateInProgress,
			CreatedAt: at(50), LastModifiedAt: at(50), Version: 1}, ARN: svcARN("s"), Quota: bigQuota}
		for _, n := range []string{"", "a", "b"} {
			t, d := x.newTarget("s", n, "dev")
			if n == "" {
				t.EnvironmentName, d.EnvironmentName = "", ""
			}
			d.CreatedAt = at(50)
			p.Targets, p.Deployments = append(p.Targets, t), append(p.Deployments, d)
		}
		if _, err := x.s.WriteService(x.ctx, p); err != nil {
			t.Fatal(err)
		}
		lease := func() string {
			job, ok, err := x.s.LeaseJob(x.ctx, store.LeaseJobParams{Owner: "w", Until: at(1_000_000), Now: at(900_000),
				Kinds: []store.JobKind{store.JobDeployment}})
			if err != nil || !ok {
				return ""
			}
			return job.ID
		}
		got := []string{lease(), lease(), lease()}
		if got[0] == "" || got[1] == "" || got[2] != "" || got[0] == p.Deployments[0].ID || got[1] == p.Deployments[0].ID {
			t.Fatalf("leased %v: want both instances' deployments and not the pipeline's (%s)", got, p.Deployments[0].ID)
		}
		for _, d := range p.Deployments[1:] {
			if _, err := x.s.CompleteDeployment(x.ctx, store.CompleteParams{Region: regionA, ID: d.ID, LeaseOwner: "w",
				Outcome: store.OutcomeSucceeded, Now: at(60), ARN: d.TargetArn}); err != nil {
				t.Fatal(err)
			}
		}
		if id := lease(); id != p.Deployments[0].ID {
			t.Errorf("after the instances, leased %q, want the pipeline's %s", id, p.Deployments[0].ID)
		}
	})
}
