package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/openproton/openproton/internal/store"
)

func compARN(name string) string {
	return "arn:aws:proton:" + regionA + ":" + acctM + ":component/" + name
}

// newComponent returns component name in env, attached to svc/inst unless
// inst is "", with its first deployment of file.
func (x *esuite) newComponent(name, env, svc, inst, file string) (store.Component, store.NewDeployment) {
	x.seq++
	now := at(x.seq)
	doc := store.ComponentDocument{Manifest: "m", TemplateFile: file, ServiceName: svc, ServiceInstanceName: inst}
	c := store.Component{Account: acctM, Region: regionA, Name: name, EnvironmentName: env, ServiceName: svc, ServiceInstanceName: inst,
		TemplateState: doc.State(""), Mode: store.ModeManaged, DeploymentStatus: store.DeployInProgress, CreatedAt: now,
		LastModifiedAt: now, LastDeploymentAttemptedAt: now, LastAttemptedDeploymentID: uid(8000 + x.seq), Version: 1}
	d := store.Deployment{ID: c.LastAttemptedDeploymentID, Account: acctM, Region: regionA, EnvironmentName: env, TargetArn: compARN(name),
		TargetResourceType: store.TargetComponent, TargetKey: name, TargetResourceCreatedAt: now, Action: store.ActionDeploy,
		Mode: store.ModeManaged, Status: store.DeployInProgress, CreatedAt: now, LastModifiedAt: now, TargetState: c.TemplateState}
	return c, store.NewDeployment{Deployment: d, Queue: true}
}

// createComponent writes a new component as newComponent makes it.
func (x *esuite) createComponent(name, env, svc, inst string) (store.NewDeployment, error) {
	c, d := x.newComponent(name, env, svc, inst, "file-1")
	p := store.WriteComponentParams{Create: true, Component: c, Deployment: &d, Environment: env, ARN: compARN(name),
		Tags: []store.Tag{{Key: "team", Value: "a"}}, Quota: bigQuota}
	if inst != "" {
		p.Instance = &store.InstanceLink{ServiceName: svc, InstanceName: inst, Environment: env}
	}
	_, err := x.s.WriteComponent(x.ctx, p)
	return d, err
}

// redeployComponent starts a deploy (or delete) of the stored component
// moving it to doc, and returns the written params.
func (x *esuite) redeployComponent(name string, action store.DeploymentAction, doc store.ComponentDocument, idle bool) (store.WriteComponentParams, error) {
	x.t.Helper()
	cur := x.component(name)
	c, d := x.newComponent(name, cur.EnvironmentName, doc.ServiceName, doc.ServiceInstanceName, doc.TemplateFile)
	initial := cur.TemplateState
	d.InitialState, d.Action = &initial, action
	if action == store.ActionDelete {
		d.Status = store.DeleteInProgress
	}
	next := cur
	next.ServiceName, next.ServiceInstanceName, next.TemplateState = c.ServiceName, c.ServiceInstanceName, c.TemplateState
	next.DeploymentStatus, next.LastAttemptedDeploymentID = d.Status, d.ID
	p := store.WriteComponentParams{Component: next, ExpectVersion: cur.Version, Deployment: &d, Environment: cur.EnvironmentName}
	if next.Attached() && action == store.ActionDeploy {
		p.Instance = &store.InstanceLink{ServiceName: next.ServiceName, InstanceName: next.ServiceInstanceName,
			Environment: cur.EnvironmentName, Idle: idle}
	}
	_, err := x.s.WriteComponent(x.ctx, p)
	return p, err
}

func (x *esuite) component(name string) store.Component {
	x.t.Helper()
	c, err := x.s.GetComponent(x.ctx, acctM, regionA, name)
	if err != nil {
		x.t.Fatalf("GetComponent(%s): %v", name, err)
	}
	return c
}

// instanceWrite is a write of service svc that gives its instance inst a
// new deployment (a delete, or a deploy of the same state).
func (x *esuite) instanceWrite(svc, inst string, action store.DeploymentAction) store.WriteServiceParams {
	x.t.Helper()
	v := x.service(svc)
	tg, err := x.s.GetServiceInstance(x.ctx, acctM, regionA, svc, inst)
	if err != nil {
		x.t.Fatalf("GetServiceInstance: %v", err)
	}
	_, nd := x.newTarget(svc, inst, tg.EnvironmentName)
	initial := tg.TemplateState
	nd.Action, nd.InitialState = action, &initial
	if action == store.ActionDelete {
		nd.Status = store.DeleteInProgress
	}
	tg.DeploymentStatus, tg.LastAttemptedDeploymentID = nd.Status, nd.ID
	tg.Version++
	return store.WriteServiceParams{Service: v, ExpectVersion: v.Version, Targets: []store.ServiceTarget{tg},
		Deployments: []store.NewDeployment{nd}}
}

// componentWorld is svcWorld with service s1, whose instances idev and
// iprod deployed.
func (x *esuite) componentWorld() {
	x.t.Helper()
	x.svcWorld()
	p, err := x.createService("s1", "dev", "prod")
	if err != nil {
		x.t.Fatalf("WriteService: %v", err)
	}
	for _, d := range p.Deployments {
		x.finish(d.Deployment, store.OutcomeSucceeded)
	}
}

func testComponents(t *testing.T, h Harness) {
	runE(t, h, "AttachDeployDetachDelete", func(x *esuite) {
		x.componentWorld()
		d, err := x.createComponent("c1", "dev", "s1", "idev")
		if err != nil {
			t.Fatalf("create attached component: %v", err)
		}
		if _, err := x.createComponent("c1", "dev", "", ""); !errors.Is(err, store.ErrAlreadyExists) {
			t.Errorf("second create: %v, want ErrAlreadyExists", err)
		}
		// One component per instance.
		if _, err := x.createComponent("c2", "dev", "s1", "idev"); !errors.Is(err, store.ErrHasComponent) {
			t.Errorf("second component on idev: %v, want ErrHasComponent", err)
		}
		if _, err := x.s.GetComponent(x.ctx, acctM, regionA, "c2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("refused create left c2: %v", err)
		}
		// The instance, its service and its environment are held.
		v := x.service("s1")
		if _, err := x.s.WriteService(x.ctx, x.instanceWrite("s1", "idev", store.ActionDelete)); !errors.Is(err, store.ErrHasComponent) {
			t.Errorf("removing an instance with a component: %v, want ErrHasComponent", err)
		}
		if _, err := x.s.WriteService(x.ctx, x.instanceWrite("s1", "idev", store.ActionDeploy)); !errors.Is(err, store.ErrComponentBusy) {
			t.Errorf("instance update while its component deploys: %v, want ErrComponentBusy", err)
		}
		if got := x.service("s1"); got.Version != v.Version {
			t.Errorf("refused service writes changed the service")
		}
		e := x.env("dev")
		del := store.Deployment{ID: uid(9101), Account: acctM, Region: regionA, EnvironmentName: "dev", TargetArn: envARN("dev"),
			TargetResourceType: store.TargetEnvironment, TargetKey: "dev", Action: store.ActionDelete, Mode: store.ModeManaged,
			Status: store.DeleteInProgress, CreatedAt: at(500), LastModifiedAt: at(500), TargetState: e.TemplateState}
		next := e
		next.DeploymentStatus, next.LastAttemptedDeploymentID = store.DeleteInProgress, del.ID
		if _, err := x.s.UpdateEnvironment(x.ctx, store.UpdateEnvironmentParams{Environment: next, ExpectVersion: e.Version,
			Deployment: &del}); !errors.Is(err, store.ErrHasInstances) && !errors.Is(err, store.ErrHasComponents) {
			t.Errorf("delete of environment with a component: %v", err)
		}
		x.finish(d.Deployment, store.OutcomeSucceeded)
		c := x.component("c1")
		if c.DeploymentStatus != store.DeploySucceeded || c.LastSucceededDeploymentID != d.ID || c.Document().TemplateFile != "file-1" {
			t.Fatalf("component after its deployment = %+v", c)
		}
		if got, err := x.s.ComponentOf(x.ctx, acctM, regionA, "s1", "idev"); err != nil || got.Name != "c1" {
			t.Errorf("ComponentOf = %+v, %v", got, err)
		}
		// An update waits for its instance.
		w := x.instanceWrite("s1", "idev", store.ActionDeploy)
		if _, err := x.s.WriteService(x.ctx, w); err != nil {
			t.Fatalf("instance update: %v", err)
		}
		doc := c.Document()
		doc.TemplateFile = "file-2"
		if _, err := x.redeployComponent("c1", store.ActionDeploy, doc, true); !errors.Is(err, store.ErrInstanceBusy) {
			t.Errorf("component update while its instance deploys: %v, want ErrInstanceBusy", err)
		}
		if got := x.component("c1"); got.Version != c.Version {
			t.Errorf("refused update changed the component")
		}
		x.finish(w.Deployments[0].Deployment, store.OutcomeSucceeded)
		// A cancelled update returns to the file it ran.
		p, err := x.redeployComponent("c1", store.ActionDeploy, doc, true)
		if err != nil {
			t.Fatalf("component update: %v", err)
		}
		if _, err := x.s.CancelDeployment(x.ctx, regionA, p.Deployment.ID, at(700)); err != nil {
			t.Fatal(err)
		}
		x.finish(p.Deployment.Deployment, store.OutcomeCancelled)
		if got := x.component("c1"); got.DeploymentStatus != store.DeployCancelled || got.Document().TemplateFile != "file-1" {
			t.Errorf("after a cancelled update: %s %q", got.DeploymentStatus, got.Document().TemplateFile)
		}
		// Detach, then delete.
		if _, err := x.redeployComponent("c1", store.ActionDeploy, store.ComponentDocument{Manifest: "m", TemplateFile: "file-3"}, true); err != nil {
			t.Fatalf("detach: %v", err)
		}
		c = x.component("c1")
		if c.Attached() || c.EnvironmentName != "dev" {
			t.Errorf("detached component = %+v", c)
		}
		if _, err := x.s.ComponentOf(x.ctx, acctM, regionA, "s1", "idev"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ComponentOf after detach: %v", err)
		}
		x.finish(x.dep(c.LastAttemptedDeploymentID), store.OutcomeSucceeded)
		if _, err := x.s.WriteService(x.ctx, x.instanceWrite("s1", "idev", store.ActionDelete)); err != nil {
			t.Errorf("removing the instance after the detach: %v", err)
		}
		list, err := x.s.ListComponents(x.ctx, store.ListComponentsQuery{Account: acctM, Region: regionA, EnvironmentName: "dev", Limit: 10})
		if err != nil || len(list) != 1 || list[0].Name != "c1" {
			t.Errorf("ListComponents(dev) = %+v, %v", list, err)
		}
		if list, _ := x.s.ListComponents(x.ctx, store.ListComponentsQuery{Account: acctM, Region: regionA, ServiceName: "s1", Limit: 10}); len(list) != 0 {
			t.Errorf("ListComponents(s1) after the detach = %+v", list)
		}
		deps, err := x.s.ListDeployments(x.ctx, store.ListDeploymentsQuery{Account: acctM, Region: regionA, ComponentName: "c1", Limit: 10})
		if err != nil || len(deps) != 3 {
			t.Errorf("ListDeployments(component) = %d, %v", len(deps), err)
		}
		cnt, err := x.s.CountResources(x.ctx, acctM, regionA)
		if err != nil || cnt.Components != (store.DeployedCounts{Total: 1}) {
			t.Errorf("counts = %+v, %v", cnt.Components, err)
		}
		p, err = x.redeployComponent("c1", store.ActionDelete, c.Document(), false)
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
		x.finish(p.Deployment.Deployment, store.OutcomeSucceeded)
		if _, err := x.s.GetComponent(x.ctx, acctM, regionA, "c1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetComponent after delete: %v", err)
		}
		if _, err := x.s.Tombstone(x.ctx, store.Resource{Type: "component", Account: acctM, Region: regionA, Key: "c1"}); err != nil {
			t.Errorf("Tombstone: %v", err)
		}
		if tags, err := x.s.ListTags(x.ctx, compARN("c1")); err != nil || len(tags) != 0 {
			t.Errorf("tags after delete: %v, %v", tags, err)
		}
		if deps, _ := x.s.ListDeployments(x.ctx, store.ListDeploymentsQuery{Account: acctM, Region: regionA, ComponentName: "c1", Limit: 10}); len(deps) != 0 {
			t.Errorf("%d deployments left", len(deps))
		}
	})
	runE(t, h, "Refusals", func(x *esuite) {
		x.componentWorld()
		for _, c := range []struct {
			name, env, svc, inst string
			want                 error
		}{
			{"a", "nowhere", "", "", store.ErrEnvironmentUnusable},
			{"b", "dev", "s1", "nope", store.ErrInstanceUnusable},
			{"c", "dev", "nosvc", "idev", store.ErrInstanceUnusable},
			{"d", "prod", "s1", "idev", store.ErrInstanceUnusable}, // idev is in dev
		} {
			if _, err := x.createComponent(c.name, c.env, c.svc, c.inst); !errors.Is(err, c.want) {
				t.Errorf("create %s: %v, want %v", c.name, err, c.want)
			}
			if _, err := x.s.GetComponent(x.ctx, acctM, regionA, c.name); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("refused create left %s: %v", c.name, err)
			}
		}
		if _, err := x.createComponent("e", "prod", "", ""); err != nil {
			t.Fatalf("detached component: %v", err)
		}
		c, d := x.newComponent("f", "prod", "", "", "x")
		if _, err := x.s.WriteComponent(x.ctx, store.WriteComponentParams{Create: true, Component: c, Deployment: &d,
			Environment: "prod", ARN: compARN("f"), Quota: 1}); !errors.Is(err, store.ErrQuotaExceeded) {
			t.Errorf("quota: %v, want ErrQuotaExceeded", err)
		}
		// A detached component holds its environment.
		e := x.env("prod")
		del := store.Deployment{ID: uid(9201), Account: acctM, Region: regionA, EnvironmentName: "prod", TargetArn: envARN("prod"),
			TargetResourceType: store.TargetEnvironment, TargetKey: "prod", Action: store.ActionDelete, Mode: store.ModeManaged,
			Status: store.DeleteInProgress, CreatedAt: at(500), LastModifiedAt: at(500), TargetState: e.TemplateState}
		next := e
		next.DeploymentStatus, next.LastAttemptedDeploymentID = store.DeleteInProgress, del.ID
		w := x.instanceWrite("s1", "iprod", store.ActionDelete)
		if _, err := x.s.WriteService(x.ctx, w); err != nil {
			t.Fatal(err)
		}
		x.finish(w.Deployments[0].Deployment, store.OutcomeSucceeded)
		if _, err := x.s.UpdateEnvironment(x.ctx, store.UpdateEnvironmentParams{Environment: next, ExpectVersion: e.Version,
			Deployment: &del}); !errors.Is(err, store.ErrHasComponents) {
			t.Errorf("delete of an environment with a detached component: %v, want ErrHasComponents", err)
		}
		if got := x.env("prod"); got.Version != e.Version {
			t.Errorf("refused delete changed the environment")
		}
		// A stale write is refused with the component as it is.
		cur := x.component("e")
		stale := store.WriteComponentParams{Component: cur, ExpectVersion: cur.Version - 1}
		if got, err := x.s.WriteComponent(x.ctx, stale); !errors.Is(err, store.ErrConditionFailed) || got.Version != cur.Version {
			t.Errorf("stale write: %v (version %d)", err, got.Version)
		}
	})
	runE(t, h, "AttachesRace", func(x *esuite) {
		// Creates of components attached to one instance, all at once:
		// exactly one is written, the others get ErrHasComponent.
		x.componentWorld()
		const n = 8
		ps := make([]store.WriteComponentParams, n)
		for i := range ps {
			name := fmt.Sprintf("r%d", i)
			c, d := x.newComponent(name, "dev", "s1", "idev", "f")
			ps[i] = store.WriteComponentParams{Create: true, Component: c, Deployment: &d, Environment: "dev", ARN: compARN(name), Quota: bigQuota,
				Instance: &store.InstanceLink{ServiceName: "s1", InstanceName: "idev", Environment: "dev"}}
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range ps {
			wg.Go(func() { _, errs[i] = x.s.WriteComponent(x.ctx, ps[i]) })
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrHasComponent):
				t.Errorf("create %d: %v, want ErrHasComponent", i, err)
			}
		}
		list, err := x.s.ListComponents(x.ctx, store.ListComponentsQuery{Account: acctM, Region: regionA, Limit: 100})
		if won != 1 || err != nil || len(list) != 1 {
			t.Errorf("%d creates won, %d components exist (%v); want 1", won, len(list), err)
		}
		// Updates attaching detached components to one instance, all at
		// once (no scope lock orders them: the instance's row does).
		for i := range ps {
			name := fmt.Sprintf("d%d", i)
			if _, err := x.createComponent(name, "prod", "", ""); err != nil {
				t.Fatal(err)
			}
			cur := x.component(name)
			c, d := x.newComponent(name, "prod", "s1", "iprod", "f")
			initial := cur.TemplateState
			d.InitialState = &initial
			next := cur
			next.ServiceName, next.ServiceInstanceName, next.TemplateState = "s1", "iprod", c.TemplateState
			next.DeploymentStatus, next.LastAttemptedDeploymentID = store.DeployInProgress, d.ID
			ps[i] = store.WriteComponentParams{Component: next, ExpectVersion: cur.Version, Deployment: &d, Environment: "prod",
				Instance: &store.InstanceLink{ServiceName: "s1", InstanceName: "iprod", Environment: "prod"}}
		}
		for i := range ps {
			wg.Go(func() { _, errs[i] = x.s.WriteComponent(x.ctx, ps[i]) })
		}
		wg.Wait()
		won = 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrHasComponent):
				t.Errorf("attach %d: %v, want ErrHasComponent", i, err)
			}
		}
		list, err = x.s.ListComponents(x.ctx, store.ListComponentsQuery{Account: acctM, Region: regionA, ServiceName: "s1", ServiceInstanceName: "iprod", Limit: 100})
		if won != 1 || err != nil || len(list) != 1 {
			t.Errorf("%d attaches won, %d components attached (%v); want 1", won, len(list), err)
		}
	})
}
