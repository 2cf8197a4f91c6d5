package storetest

import (
	"errors"
	"strings"
	"testing"

	"github.com/openproton/openproton/internal/store"
)

// updateAdding writes an UpdateService of service name (ACTIVE, with a
// pipeline) that adds instances "a" and "b" in prod and, when remove is
// set, removes instance remove; every deployment of the change is made at
// one time, so that the instances run side by side and the pipeline
// after them. It returns the change's deployments by target key.
func (x *esuite) updateAdding(name, remove string) map[string]store.Deployment {
	x.t.Helper()
	v := x.service(name)
	x.seq++
	now := at(x.seq)
	w := store.WriteServiceParams{Service: v, ExpectVersion: v.Version, MaxInstances: 20,
		Environments: []store.EnvironmentLink{{Name: "prod", TemplateName: envTemplate, MajorVersion: x.env("prod").MajorVersion}}}
	w.Service.Status, w.Service.Spec = store.ServiceUpdateInProgress, "spec2"
	w.Service.RollbackSpec, w.Service.RollbackInstances = v.Spec, []string{"a", "b"}
	for _, n := range []string{"a", "b"} {
		t, d := x.newTarget(name, n, "prod")
		t.Spec, d.TargetState.Spec, d.CreatedAt, d.LastModifiedAt = "spec2", "spec2", now, now
		w.Targets, w.Deployments = append(w.Targets, t), append(w.Deployments, d)
	}
	if remove != "" {
		tg, err := x.s.GetServiceInstance(x.ctx, acctM, regionA, name, remove)
		if err != nil {
			x.t.Fatalf("GetServiceInstance(%s): %v", remove, err)
		}
		_, d := x.newTarget(name, remove, tg.EnvironmentName)
		initial := tg.TemplateState
		d.Action, d.Status, d.InitialState, d.TargetState, d.CreatedAt = store.ActionDelete, store.DeleteInProgress, &initial, initial, now
		tg.DeploymentStatus, tg.LastAttemptedDeploymentID = store.DeleteInProgress, d.ID
		tg.Version++
		w.Targets, w.Deployments = append(w.Targets, tg), append(w.Deployments, d)
	}
	p := *v.Pipeline
	_, d := x.newTarget(name, "", "")
	initial := p.TemplateState
	d.InitialState, d.TargetState.Spec, d.CreatedAt, d.LastModifiedAt = &initial, "spec2", now, now
	p.Spec, p.DeploymentStatus, p.LastAttemptedDeploymentID = "spec2", store.DeployInProgress, d.ID
	p.Version++
	w.Targets, w.Deployments = append(w.Targets, p), append(w.Deployments, d)
	if _, err := x.s.WriteService(x.ctx, w); err != nil {
		x.t.Fatalf("WriteService(update): %v", err)
	}
	out := map[string]store.Deployment{}
	for _, d := range w.Deployments {
		out[d.TargetKey] = d.Deployment
	}
	return out
}

// activeService creates service name with an instance in dev and a
// pipeline, and ends their deployments.
func (x *esuite) activeService(name string) {
	x.t.Helper()
	p, err := x.createService(name, "dev")
	if err != nil {
		x.t.Fatalf("WriteService: %v", err)
	}
	for _, d := range p.Deployments {
		x.finish(d.Deployment, store.OutcomeSucceeded)
	}
	if v := x.service(name); v.Status != store.ServiceActive {
		x.t.Fatalf("service %s is %s, want ACTIVE", name, v.Status)
	}
}

// lastDeployment is the last attempted deployment of an instance.
func (x *esuite) lastDeployment(svc, name string) store.Deployment {
	x.t.Helper()
	tg, err := x.s.GetServiceInstance(x.ctx, acctM, regionA, svc, name)
	if err != nil {
		x.t.Fatalf("GetServiceInstance(%s): %v", name, err)
	}
	d, err := x.s.GetDeployment(x.ctx, regionA, tg.LastAttemptedDeploymentID)
	if err != nil {
		x.t.Fatalf("GetDeployment: %v", err)
	}
	return d
}

func testServiceRollback(t *testing.T, h Harness) {
	// An update adds a and b; creating a fails while b still deploys. The
	// update is rolled back at once: the spec is the one before it, the
	// pipeline is not deployed, a is deleted, and b once it ends; the
	// cleanup is complete when both are gone, failed when one stays.
	for _, bDelete := range []store.Outcome{store.OutcomeSucceeded, store.OutcomeFailed} {
		runE(t, h, "UpdateRollback/"+string(bDelete), func(x *esuite) {
			x.svcWorld()
			x.activeService("r")
			before := x.service("r")
			ds := x.updateAdding("r", "")
			x.finish(ds["r/a"], store.OutcomeFailed)

			v := x.service("r")
			if v.Status != store.ServiceUpdateFailedCleanupInProgress || v.Spec != before.Spec ||
				!strings.HasPrefix(v.StatusMessage, "Service instance a failed: ") {
				t.Fatalf("after a failed new instance: %s %q spec %q; want UPDATE_FAILED_CLEANUP_IN_PROGRESS, spec %q", v.Status, v.StatusMessage, v.Spec, before.Spec)
			}
			if p := v.Pipeline; p.DeploymentStatus != store.DeployCancelled || p.Spec != before.Pipeline.Spec ||
				p.LastSucceededDeploymentID != before.Pipeline.LastSucceededDeploymentID {
				t.Errorf("pipeline = %s spec %q; want CANCELLED on its previous spec", p.DeploymentStatus, p.Spec)
			}
			if d, err := x.s.GetDeployment(x.ctx, regionA, ds["r"].ID); err != nil || d.Status != store.DeployCancelled ||
				!strings.Contains(d.StatusMessage, "rolled back") {
				t.Errorf("pipeline deployment = %s %q, %v; want CANCELLED", d.Status, d.StatusMessage, err)
			}
			delA := x.lastDeployment("r", "a")
			if delA.Action != store.ActionDelete || delA.Status != store.DeleteInProgress || delA.PreviousAttemptedID != ds["r/a"].ID {
				t.Errorf("a's deployment = %s %s, want a delete", delA.Action, delA.Status)
			}
			// A rolling back service takes no change.
			w := store.WriteServiceParams{Service: v, ExpectVersion: v.Version - 1}
			if _, err := x.s.WriteService(x.ctx, w); !errors.Is(err, store.ErrConditionFailed) {
				t.Errorf("stale write while rolling back: %v", err)
			}

			x.finish(ds["r/b"], store.OutcomeSucceeded)
			delB := x.lastDeployment("r", "b")
			if delB.Action != store.ActionDelete || delB.Status != store.DeleteInProgress {
				t.Errorf("b's deployment = %s %s, want a delete once its create ended", delB.Action, delB.Status)
			}
			x.finish(delA, store.OutcomeSucceeded)
			if v := x.service("r"); v.Status != store.ServiceUpdateFailedCleanupInProgress {
				t.Errorf("with b's delete in flight the service is %s", v.Status)
			}
			x.finish(delB, bDelete)

			v = x.service("r")
			insts, err := x.s.ListServiceInstances(x.ctx, store.ListInstancesQuery{Account: acctM, Region: regionA, ServiceName: "r", Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, i := range insts {
				names = append(names, i.Name)
			}
			want, wantNames := store.ServiceUpdateFailedCleanupComplete, "idev"
			if bDelete != store.OutcomeSucceeded {
				want, wantNames = store.ServiceUpdateFailedCleanupFailed, "b,idev"
			}
			if v.Status != want || strings.Join(names, ",") != wantNames || v.Spec != before.Spec || v.RollbackSpec != "" || v.RollbackInstances != nil {
				t.Errorf("after the cleanup: %s, instances %v, spec %q, rollback %q %v; want %s, instances %s", v.Status, names, v.Spec,
					v.RollbackSpec, v.RollbackInstances, want, wantNames)
			}
			if !strings.HasPrefix(v.StatusMessage, "Service instance a failed: ") ||
				(bDelete != store.OutcomeSucceeded) != strings.Contains(v.StatusMessage, "Deleting service instance b failed") {
				t.Errorf("message %q", v.StatusMessage)
			}
			if c, err := x.s.CountResources(x.ctx, acctM, regionA); err != nil || c.Services.Failed != 1 {
				t.Errorf("counts = %+v, %v; want the service counted as failed", c.Services, err)
			}
		})
	}
	// An update whose new instances deploy but whose removed instance
	// cannot be deleted completes, with the cleanup failed; the pipeline
	// deploys.
	runE(t, h, "UpdateCompleteCleanupFailed", func(x *esuite) {
		x.svcWorld()
		x.activeService("c")
		ds := x.updateAdding("c", "idev")
		for _, k := range []string{"c/a", "c/b", "c/idev", "c"} {
			o := store.OutcomeSucceeded
			if k == "c/idev" {
				o = store.OutcomeFailed
			}
			x.finish(ds[k], o)
		}
		v := x.service("c")
		if v.Status != store.ServiceUpdateCompleteCleanupFailed || v.Spec != "spec2" || v.Pipeline.DeploymentStatus != store.DeploySucceeded ||
			!strings.HasPrefix(v.StatusMessage, "Service instance idev failed") || v.RollbackInstances != nil {
			t.Errorf("service = %s %q spec %q pipeline %s", v.Status, v.StatusMessage, v.Spec, v.Pipeline.DeploymentStatus)
		}
	})
	// A failed pipeline is not rolled back.
	runE(t, h, "UpdatePipelineFailed", func(x *esuite) {
		x.svcWorld()
		x.activeService("p")
		ds := x.updateAdding("p", "")
		for _, k := range []string{"p/a", "p/b", "p"} {
			o := store.OutcomeSucceeded
			if k == "p" {
				o = store.OutcomeFailed
			}
			x.finish(ds[k], o)
		}
		if v := x.service("p"); v.Status != store.ServiceUpdateFailed || v.Spec != "spec2" || !strings.HasPrefix(v.StatusMessage, "The pipeline failed") {
			t.Errorf("service = %s %q spec %q", v.Status, v.StatusMessage, v.Spec)
		}
	})
}
