package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

func testEnvCreate(t *testing.T, h Harness) {
	runE(t, h, "RoundTrip", func(x *esuite) {
		e, d := x.newEnv("dev", x.publishVersion(true))
		e.EnvironmentAccountID, e.Description = "", "about dev"
		p := x.createParams(e, d)
		p.Tags = []store.Tag{{Key: "k", Value: "v"}}
		got, err := x.s.CreateEnvironment(x.ctx, p)
		if err != nil {
			x.t.Fatalf("CreateEnvironment: %v", err)
		}
		if got.Name != "dev" || got.Description != "about dev" || got.Spec != e.Spec || got.Inputs != e.Inputs ||
			got.Version != 1 || got.LastAttemptedDeploymentID != d.ID || !got.CreatedAt.Equal(e.CreatedAt) ||
			!got.LastDeploymentSucceededAt.IsZero() || got.Mode != store.ModeManaged {
			x.t.Fatalf("created %+v", got)
		}
		if x.env("dev") != got {
			x.t.Fatalf("GetEnvironment differs from the create's result")
		}
		gd := x.dep(d.ID)
		if !reflect.DeepEqual(gd, d) || gd.Status != store.DeployInProgress || gd.InitialState != nil {
			x.t.Fatalf("deployment %+v, want %+v", gd, d)
		}
		// Queued with it: due at its creation, serial on its target.
		if j := x.leaseJob("w", d.ID); !j.DueAt.Equal(d.CreatedAt) || j.Seq != d.CreatedAt.UnixMilli() ||
			j.SerialKey != acctM+"/"+regionA+"/ENVIRONMENT/dev" || j.Attempts != 1 || j.LeaseOwner != "w" || j.CancelRequested {
			x.t.Fatalf("job of the first deployment %+v", j)
		}
		if tags, _ := x.s.ListTags(x.ctx, envARN("dev")); len(tags) != 1 {
			x.t.Fatalf("tags %v", tags)
		}
		c, _ := x.s.CountResources(x.ctx, acctM, regionA)
		if c.Environments != 1 || c.EnvironmentTemplates != 1 || c.ServiceTemplates != 0 {
			x.t.Fatalf("CountResources = %+v", c)
		}
	})

	runE(t, h, "ClearsTheTombstoneOfItsName", func(x *esuite) {
		_, d := x.addEnv("dev")
		x.complete(x.mustLease("w", d.ID), "w", store.OutcomeSucceeded)
		x.remove("dev")
		if _, err := x.s.Tombstone(x.ctx, envTombstone("dev")); err != nil {
			x.t.Fatalf("tombstone of the deleted environment: %v", err)
		}
		x.addEnv("dev")
		if ts, err := x.s.Tombstone(x.ctx, envTombstone("dev")); !errors.Is(err, store.ErrNotFound) {
			x.t.Fatalf("tombstone after a create of its name: %+v, %v", ts, err)
		}
	})

	runE(t, h, "ExistingNameReturnsIt", func(x *esuite) {
		first, _ := x.addEnv("dev")
		e, d := x.newEnv("dev", first.MajorVersion)
		got, err := x.s.CreateEnvironment(x.ctx, x.createParams(e, d))
		wantErr(x.t, "second CreateEnvironment", err, store.ErrAlreadyExists)
		if got.LastAttemptedDeploymentID != first.LastAttemptedDeploymentID {
			x.t.Fatalf("returned %+v, want the existing environment", got)
		}
		if _, err := x.s.GetDeployment(x.ctx, regionA, d.ID); !errors.Is(err, store.ErrNotFound) {
			x.t.Fatalf("the refused create stored its deployment: %v", err)
		}
	})

	runE(t, h, "Quota", func(x *esuite) {
		major := x.publishVersion(true)
		for i := range 2 {
			e, d := x.newEnv(fmt.Sprint("env", i), major)
			p := x.createParams(e, d)
			p.Quota = 2
			if _, err := x.s.CreateEnvironment(x.ctx, p); err != nil {
				x.t.Fatal(err)
			}
		}
		e, d := x.newEnv("env9", major)
		p := x.createParams(e, d)
		p.Quota = 2
		_, err := x.s.CreateEnvironment(x.ctx, p)
		wantErr(x.t, "CreateEnvironment over quota", err, store.ErrQuotaExceeded)
	})

	runE(t, h, "VersionMustBePublished", func(x *esuite) {
		for _, major := range []string{x.publishVersion(false), "99"} {
			e, d := x.newEnv("dev", major)
			_, err := x.s.CreateEnvironment(x.ctx, x.createParams(e, d))
			wantErr(x.t, "CreateEnvironment on "+major, err, store.ErrVersionUnusable)
		}
		if _, err := x.s.GetEnvironment(x.ctx, acctM, regionA, "dev"); !errors.Is(err, store.ErrNotFound) {
			x.t.Fatalf("environment exists after refused creates: %v", err)
		}
	})

	runE(t, h, "ConnectionMustHold", func(x *esuite) {
		major := x.publishVersion(true)
		c := store.Connection{ID: uid(900), Region: regionA, EnvironmentAccountID: acctE, ManagementAccountID: acctM,
			EnvironmentName: "dev", RoleArn: "arn:aws:iam::" + acctE + ":role/r", Status: store.StatusPending, RequestedAt: at(1), LastModifiedAt: at(1)}
		if _, _, err := x.s.CreateConnection(x.ctx, store.CreateConnectionParams{Connection: c, ARN: "arn:c", Quota: bigQuota, Now: at(1)}); err != nil {
			x.t.Fatal(err)
		}
		link := &store.ConnectionLink{ID: c.ID, ManagementAccountID: acctM, EnvironmentAccountID: acctE, EnvironmentName: "dev"}
		try := func(l *store.ConnectionLink) error {
			e, d := x.newEnv("dev", major)
			e.EnvironmentAccountConnectionID, e.EnvironmentAccountID, e.ProtonServiceRoleArn = c.ID, acctE, ""
			p := x.createParams(e, d)
			p.Connection = l
			_, err := x.s.CreateEnvironment(x.ctx, p)
			return err
		}
		wantErr(x.t, "link to a PENDING connection", try(link), store.ErrConnectionUnusable)
		if _, err := x.s.TransitionConnection(x.ctx, store.TransitionParams{Region: regionA, ID: c.ID,
			From: statuses(store.StatusPending), To: store.StatusConnected, Now: at(2)}); err != nil {
			x.t.Fatal(err)
		}
		other := *link
		other.EnvironmentName = "prod"
		wantErr(x.t, "link naming another environment", try(&other), store.ErrConnectionUnusable)
		if err := try(link); err != nil {
			x.t.Fatalf("link to a CONNECTED connection: %v", err)
		}
		// The connection is now in use: a reject is refused.
		_, err := x.s.TransitionConnection(x.ctx, store.TransitionParams{Region: regionA, ID: c.ID,
			From: statuses(store.StatusConnected), To: store.StatusRejected, RequireUnused: true, Now: at(3)})
		var inUse *store.InUseError
		if !errors.As(err, &inUse) || inUse.Environment != "dev" {
			x.t.Fatalf("reject of a used connection: %v", err)
		}
		if e := x.env("dev"); e.EnvironmentAccountConnectionID != c.ID || e.EnvironmentAccountID != acctE {
			x.t.Fatalf("environment %+v", e)
		}
	})
}

func testEnvUpdate(t *testing.T, h Harness) {
	runE(t, h, "ConditionalOnVersion", func(x *esuite) {
		e, d := x.addEnv("dev")
		x.complete(x.mustLease("w", d.ID), "w", store.OutcomeSucceeded)
		e = x.env("dev")
		next := e
		next.Description = "new"
		got, err := x.s.UpdateEnvironment(x.ctx, store.UpdateEnvironmentParams{Environment: next, ExpectVersion: e.Version})
		if err != nil || got.Description != "new" || got.Version != e.Version+1 {
			x.t.Fatalf("UpdateEnvironment: %+v, %v", got, err)
		}
		next.Description = "stale"
		cur, err := x.s.UpdateEnvironment(x.ctx, store.UpdateEnvironmentParams{Environment: next, ExpectVersion: e.Version})
		wantErr(x.t, "stale UpdateEnvironment", err, store.ErrConditionFailed)
		if cur.Description != "new" {
			x.t.Fatalf("returned %+v, want the environment as it is now", cur)
		}
		next.Name = "nosuch"
		_, err = x.s.UpdateEnvironment(x.ctx, store.UpdateEnvironmentParams{Environment: next, ExpectVersion: 1})
		wantErr(x.t, "UpdateEnvironment of a missing environment", err, store.ErrNotFound)
	})

	runE(t, h, "RefusedLinkChangesNothing", func(x *esuite) {
		e, _ := x.addEnv("dev")
		next := e
		next.MajorVersion = x.publishVersion(false)
		_, err := x.s.UpdateEnvironment(x.ctx, store.UpdateEnvironmentParams{Environment: next, ExpectVersion: e.Version,
			Template: &store.VersionLink{TemplateName: envTemplate, MajorVersion: next.MajorVersion, MinorVersion: "0"}})
		wantErr(x.t, "UpdateEnvironment to a draft", err, store.ErrVersionUnusable)
		if got := x.env("dev"); got != e {
			x.t.Fatalf("environment changed: %+v", got)
		}
	})
	runE(t, h, "VersionLeftByAnUpdateInFlightStaysInUse", func(x *esuite) {
		// A cancel sends the environment back to the version it is leaving,
		// so that version must not be deleted while the update runs.
		e, d := x.addEnv("dev")
		x.complete(x.mustLease("w", d.ID), "w", store.OutcomeSucceeded)
		e = x.env("dev")
		old := e.TemplateState
		target := old
		target.MajorVersion = x.publishVersion(true)
		_, u := x.deploy(e, target)
		var major int64
		fmt.Sscan(old.MajorVersion, &major)
		del := store.DeleteVersionParams{Key: store.VersionKey{
			TemplateKey:   store.TemplateKey{Account: acctM, Region: regionA, Kind: store.EnvironmentTemplate, Name: envTemplate},
			VersionNumber: store.VersionNumber{Major: major}},
			ARN: "arn:old", Now: at(x.seq), Allow: func(store.TemplateVersion, []store.TemplateVersion) error { return nil }}
		_, err := x.s.DeleteTemplateVersion(x.ctx, del)
		var inUse *store.VersionInUseError
		if !errors.As(err, &inUse) || inUse.Name != "dev" {
			x.t.Fatalf("DeleteTemplateVersion of the version an update is leaving: %v, want in use by dev", err)
		}
		x.complete(x.mustLease("w", u.ID), "w", store.OutcomeSucceeded)
		if _, err := x.s.DeleteTemplateVersion(x.ctx, del); err != nil {
			x.t.Fatalf("DeleteTemplateVersion after the update finished: %v", err)
		}
	})
}

func testEnvComplete(t *testing.T, h Harness) {
	runE(t, h, "Succeeded", func(x *esuite) {
		_, d := x.addEnv("dev")
		got := x.complete(x.mustLease("w", d.ID), "w", store.OutcomeSucceeded, store.Output{Key: "b", Value: "2"}, store.Output{Key: "a", Value: "1"})
		if got.Status != store.DeploySucceeded || got.CompletedAt.IsZero() || !reflect.DeepEqual(x.dep(d.ID), got) {
			x.t.Fatalf("completed %+v", got)
		}
		// The job ended with it.
		_, err := x.s.RenewJob(x.ctx, jobOf(d.ID), "w", at(1000))
		wantErr(x.t, "RenewJob of a completed deployment", err, store.ErrLeaseLost)
		if j, ok := x.lease("v", at(100_000)); ok {
			x.t.Fatalf("a completed deployment's job is still queued: %+v", j)
		}
		e := x.env("dev")
		if e.DeploymentStatus != store.DeploySucceeded || e.LastSucceededDeploymentID != d.ID || e.DeploymentStatusMessage != "msg SUCCEEDED" ||
			!e.LastDeploymentSucceededAt.Equal(got.CompletedAt) {
			x.t.Fatalf("environment %+v", e)
		}
		outs, _ := x.s.ListOutputs(x.ctx, regionA, d.ID)
		if len(outs) != 2 || outs[0].Key != "a" || outs[1].Value != "2" {
			x.t.Fatalf("outputs %v", outs)
		}
		_, err = x.s.CompleteDeployment(x.ctx, store.CompleteParams{Region: regionA, ID: d.ID, Outcome: store.OutcomeFailed, Now: at(99)})
		wantErr(x.t, "second CompleteDeployment", err, store.ErrConditionFailed)
		_, err = x.s.CompleteDeployment(x.ctx, store.CompleteParams{Region: regionA, ID: d.ID, LeaseOwner: "w", Outcome: store.OutcomeFailed, Now: at(99)})
		wantErr(x.t, "second CompleteDeployment by the worker", err, store.ErrLeaseLost)
		_, err = x.s.CompleteDeployment(x.ctx, store.CompleteParams{Region: regionA, ID: uid(999), Outcome: store.OutcomeFailed, Now: at(99)})
		wantErr(x.t, "CompleteDeployment of an unknown id", err, store.ErrNotFound)
	})

	runE(t, h, "SuccessNeedsItsConnection", func(x *esuite) {
		major := x.publishVersion(true)
		link := func(name string, id int) (store.Connection, store.Deployment) {
			c := store.Connection{ID: uid(id), Region: regionA, EnvironmentAccountID: acctE, ManagementAccountID: acctM,
				EnvironmentName: name, RoleArn: "arn:aws:iam::" + acctE + ":role/r", Status: store.StatusConnected, RequestedAt: at(1), LastModifiedAt: at(1)}
			if _, _, err := x.s.CreateConnection(x.ctx, store.CreateConnectionParams{Connection: c, ARN: "arn:c:" + name, Quota: bigQuota, Now: at(1)}); err != nil {
				x.t.Fatal(err)
			}
			return c, x.mustLease("w", x.addLinked(name, major, c).ID)
		}
		complete := func(c store.Connection, d store.Deployment, o store.Outcome) (store.Deployment, error) {
			return x.s.CompleteDeployment(x.ctx, store.CompleteParams{Region: regionA, ID: d.ID, LeaseOwner: "w", Outcome: o,
				Message: "msg", Outputs: []store.Output{{Key: "a", Value: "1"}}, Now: at(50), ARN: d.TargetArn, Connection: c.ID})
		}

		// The connection exists: the success commits.
		c, d := link("dev", 910)
		if got, err := complete(c, d, store.OutcomeSucceeded); err != nil || got.Status != store.DeploySucceeded {
			x.t.Fatalf("success through an existing connection: %+v, %v", got, err)
		}

		// The connection was deleted during the run: the success is refused
		// and changes nothing, a failure still commits.
		c, d = link("prod", 920)
		if _, err := x.s.DeleteConnection(x.ctx, regionA, c.ID, "arn:c:prod", at(40)); err != nil {
			x.t.Fatal(err)
		}
		_, err := complete(c, d, store.OutcomeSucceeded)
		wantErr(x.t, "success through a deleted connection", err, store.ErrConnectionUnusable)
		if now := x.dep(d.ID); now.Status != store.DeployInProgress || !now.CompletedAt.IsZero() {
			x.t.Fatalf("deployment after a refused success: %+v", now)
		}
		if j, err := x.s.RenewJob(x.ctx, jobOf(d.ID), "w", at(60)); err != nil || j.LeaseOwner != "w" {
			x.t.Fatalf("job after a refused success: %+v, %v; want it still held by w", j, err)
		}
		if e := x.env("prod"); e.DeploymentStatus != store.DeployInProgress || e.LastSucceededDeploymentID != "" {
			x.t.Fatalf("environment after a refused success: %+v", e)
		}
		if outs, err := x.s.ListOutputs(x.ctx, regionA, d.ID); err != nil || len(outs) != 0 {
			x.t.Fatalf("outputs after a refused success: %v, %v", outs, err)
		}
		if got, err := complete(c, d, store.OutcomeFailed); err != nil || got.Status != store.DeployFailed {
			x.t.Fatalf("failure through a deleted connection: %+v, %v", got, err)
		}
		if e := x.env("prod"); e.DeploymentStatus != store.DeployFailed {
			x.t.Fatalf("environment after the failure: %+v", e)
		}
	})

	runE(t, h, "TagsNeedTheEnvironment", func(x *esuite) {
		x.addEnv("dev")
		tag := store.Tag{Key: "team", Value: "c"}
		if err := x.s.TagResource(x.ctx, envARN("dev"), []store.Tag{tag}, 50); err != nil {
			x.t.Fatalf("TagResource of an environment: %v", err)
		}
		err := x.s.TagResource(x.ctx, envARN("nosuch"), []store.Tag{tag}, 50)
		wantErr(x.t, "TagResource of a missing environment", err, store.ErrNotFound)
		if tags, err := x.s.ListTags(x.ctx, envARN("nosuch")); err != nil || len(tags) != 0 {
			x.t.Fatalf("tags of a missing environment: %v, %v", tags, err)
		}
	})

	runE(t, h, "CancelledUpdateRestoresInitialState", func(x *esuite) {
		_, d := x.addEnv("dev")
		x.complete(x.mustLease("w", d.ID), "w", store.OutcomeSucceeded)
		before := x.env("dev")
		_, u := x.redeploy(before, "changed spec")
		if x.env("dev").Spec != "changed spec" {
			x.t.Fatal("the update did not take the new spec")
		}
		c, err := x.s.CancelDeployment(x.ctx, regionA, u.ID, at(x.seq))
		if err != nil || c.Status != store.DeployCancelling || !reflect.DeepEqual(x.dep(u.ID), c) {
			x.t.Fatalf("CancelDeployment: %+v, %v", c, err)
		}
		if st := x.env("dev").DeploymentStatus; st != store.DeployCancelling {
			x.t.Fatalf("environment %s, want CANCELLING", st)
		}
		_, err = x.s.CancelDeployment(x.ctx, regionA, u.ID, at(x.seq))
		wantErr(x.t, "second CancelDeployment", err, store.ErrConditionFailed)
		// Its job, which waited for a worker, asks that worker to stop.
		if j := x.leaseJob("w", u.ID); !j.CancelRequested || j.Attempts != 1 {
			x.t.Fatalf("job of the cancelled deployment %+v", j)
		}
		x.complete(x.dep(u.ID), "w", store.OutcomeCancelled)
		e := x.env("dev")
		if e.DeploymentStatus != store.DeployCancelled || e.Spec != before.Spec || e.LastSucceededDeploymentID != d.ID {
			x.t.Fatalf("environment after cancel %+v", e)
		}
	})

	runE(t, h, "SelfManagedWaitsForNotification", func(x *esuite) {
		d := x.addSelfManaged("tf")
		if _, ok := x.lease("w", at(100)); ok {
			x.t.Fatal("a self-managed deployment was leased")
		}
		msg := "applying"
		if _, err := x.s.RecordOutputs(x.ctx, store.NotifyOutputsParams{Region: regionA, ID: d.ID, Message: &msg,
			Outputs: []store.Output{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}, MaxOutputs: 2, Now: at(101)}); err != nil {
			x.t.Fatal(err)
		}
		if x.env("tf").DeploymentStatusMessage != "applying" {
			x.t.Fatal("message not recorded on the environment")
		}
		_, err := x.s.RecordOutputs(x.ctx, store.NotifyOutputsParams{Region: regionA, ID: d.ID,
			Outputs: []store.Output{{Key: "c", Value: "3"}}, MaxOutputs: 2, Now: at(102)})
		wantErr(x.t, "RecordOutputs over the limit", err, store.ErrTooManyOutputs)
		if outs, _ := x.s.ListOutputs(x.ctx, regionA, d.ID); len(outs) != 2 {
			x.t.Fatalf("outputs after a refused record: %v", outs)
		}
		_, err = x.s.CompleteDeployment(x.ctx, store.CompleteParams{Region: regionA, ID: d.ID, LeaseOwner: "w", Outcome: store.OutcomeSucceeded, Now: at(103)})
		wantErr(x.t, "CompleteDeployment with an owner that holds no lease", err, store.ErrLeaseLost)
		x.complete(d, "", store.OutcomeSucceeded)
		if x.env("tf").DeploymentStatus != store.DeploySucceeded {
			x.t.Fatal("notification did not complete the deployment")
		}
		// A finished deployment takes no more outputs nor messages.
		late := "late"
		_, err = x.s.RecordOutputs(x.ctx, store.NotifyOutputsParams{Region: regionA, ID: d.ID, Message: &late,
			Outputs: []store.Output{{Key: "a", Value: "changed"}}, MaxOutputs: 5, Now: at(104)})
		wantErr(x.t, "RecordOutputs of a finished deployment", err, store.ErrConditionFailed)
		if outs, _ := x.s.ListOutputs(x.ctx, regionA, d.ID); len(outs) != 2 || outs[0].Value != "1" {
			x.t.Fatalf("outputs after a refused record: %v", outs)
		}
		if got, err := x.s.GetDeployment(x.ctx, regionA, d.ID); err != nil || got.StatusMessage == late || x.env("tf").DeploymentStatusMessage == late {
			x.t.Fatalf("message after a refused record: %+v, %v", got, err)
		}
	})

	runE(t, h, "CancelOfASelfManagedUpdateGetsAJob", func(x *esuite) {
		d := x.addSelfManaged("tf")
		x.complete(d, "", store.OutcomeSucceeded)
		_, u := x.redeploy(x.env("tf"), "changed")
		// The update waits for a notification: no job.
		if j, ok := x.lease("w", at(100_000)); ok {
			x.t.Fatalf("a self-managed update was queued: %+v", j)
		}
		if _, err := x.s.CancelDeployment(x.ctx, regionA, u.ID, at(200)); err != nil {
			x.t.Fatal(err)
		}
		// The cancel needs a worker to finish it: a job, due at the cancel,
		// that asks to stop; the notification path is closed meanwhile.
		if _, ok := x.lease("w", at(200).Add(-time.Millisecond)); ok {
			x.t.Fatal("the cancel's job was leased before it was due")
		}
		j, ok := x.lease("w", at(200))
		if !ok || j.ID != u.ID || !j.CancelRequested || !j.DueAt.Equal(at(200)) {
			x.t.Fatalf("job of the cancel %+v (ok %v)", j, ok)
		}
		_, err := x.s.CompleteDeployment(x.ctx, store.CompleteParams{Region: regionA, ID: u.ID, Outcome: store.OutcomeSucceeded, Now: at(201)})
		wantErr(x.t, "a notification of a deployment whose cancel a worker finishes", err, store.ErrConditionFailed)
		x.complete(x.dep(u.ID), "w", store.OutcomeCancelled)
		if got := x.env("tf"); got.DeploymentStatus != store.DeployCancelled || got.Spec == "changed" {
			x.t.Fatalf("environment after the cancel %+v", got)
		}
	})

	runE(t, h, "DeleteRemovesEverything", func(x *esuite) {
		_, d := x.addEnv("dev")
		x.complete(x.mustLease("w", d.ID), "w", store.OutcomeSucceeded, store.Output{Key: "a", Value: "1"})
		got, del := x.remove("dev")
		if _, err := x.s.GetEnvironment(x.ctx, acctM, regionA, "dev"); !errors.Is(err, store.ErrNotFound) {
			x.t.Fatalf("environment after delete: %v", err)
		}
		for _, id := range []string{d.ID, del.ID} {
			if _, err := x.s.GetDeployment(x.ctx, regionA, id); !errors.Is(err, store.ErrNotFound) {
				x.t.Fatalf("deployment %s after delete: %v", id, err)
			}
		}
		if outs, _ := x.s.ListOutputs(x.ctx, regionA, d.ID); len(outs) != 0 {
			x.t.Fatalf("outputs after delete: %v", outs)
		}
		if tags, _ := x.s.ListTags(x.ctx, envARN("dev")); len(tags) != 0 {
			x.t.Fatalf("tags after delete: %v", tags)
		}
		if j, ok := x.lease("v", at(100_000)); ok {
			x.t.Fatalf("a job of the deleted environment is left: %+v", j)
		}
		ts, err := x.s.Tombstone(x.ctx, envTombstone("dev"))
		if err != nil || !ts.DeletedAt.Equal(got.CompletedAt) || ts.Owner != acctM {
			x.t.Fatalf("tombstone %+v, %v", ts, err)
		}
		if err := x.s.Purge(x.ctx, ts.DeletedAt, ts.DeletedAt); err != nil {
			x.t.Fatal(err)
		}
		if _, err := x.s.Tombstone(x.ctx, envTombstone("dev")); err != nil {
			x.t.Fatalf("a tombstone of the purge's instant was purged: %v", err)
		}
		if err := x.s.Purge(x.ctx, ts.DeletedAt, ts.DeletedAt.Add(time.Millisecond)); err != nil {
			x.t.Fatal(err)
		}
		if _, err := x.s.Tombstone(x.ctx, envTombstone("dev")); !errors.Is(err, store.ErrNotFound) {
			x.t.Fatalf("tombstone after purge: %v", err)
		}
	})
}

// envTombstone names the tombstone of environment name of acctM in regionA.
func envTombstone(name string) store.Resource {
	return store.Resource{Type: "environment", Account: acctM, Region: regionA, Key: name}
}

// remove deletes environment name, in its last deployment's state, through
// a delete deployment that a worker completes, and returns that deployment
// as completed and as recorded.
func (x *esuite) remove(name string) (store.Deployment, store.Deployment) {
	x.t.Helper()
	e := x.env(name)
	x.seq++
	cur := e.TemplateState
	del := store.Deployment{ID: uid(x.seq), Account: acctM, Region: regionA, EnvironmentName: name, TargetArn: envARN(name),
		TargetResourceType: store.TargetEnvironment, TargetKey: name, TargetResourceCreatedAt: e.CreatedAt, Action: store.ActionDelete, Mode: e.Mode,
		Status: store.DeleteInProgress, CreatedAt: at(x.seq), LastModifiedAt: at(x.seq), InitialState: &cur, TargetState: cur}
	next := e
	next.DeploymentStatus, next.LastAttemptedDeploymentID = store.DeleteInProgress, del.ID
	if _, err := x.s.UpdateEnvironment(x.ctx, store.UpdateEnvironmentParams{Environment: next, ExpectVersion: e.Version, Deployment: &del, Queue: true}); err != nil {
		x.t.Fatal(err)
	}
	got := x.complete(x.mustLease("w", del.ID), "w", store.OutcomeSucceeded)
	if got.Status != "DELETE_COMPLETE" {
		x.t.Fatalf("delete deployment %s", got.Status)
	}
	return got, del
}

func testEnvHistory(t *testing.T, h Harness) {
	runE(t, h, "ListNewestFirstAndDelete", func(x *esuite) {
		_, d := x.addEnv("dev")
		x.complete(x.mustLease("w", d.ID), "w", store.OutcomeSucceeded)
		_, u1 := x.redeploy(x.env("dev"), "s1")
		x.complete(x.mustLease("w", u1.ID), "w", store.OutcomeFailed)
		_, u2 := x.redeploy(x.env("dev"), "s2")
		x.addEnv("other")
		all, err := x.s.ListDeployments(x.ctx, store.ListDeploymentsQuery{Account: acctM, Region: regionA, EnvironmentName: "dev", Limit: 10})
		if err != nil {
			x.t.Fatal(err)
		}
		if len(all) != 3 || all[0].ID != u2.ID || all[1].ID != u1.ID || all[2].ID != d.ID {
			x.t.Fatalf("list order %v", []string{all[0].ID, all[1].ID, all[2].ID})
		}
		page, _ := x.s.ListDeployments(x.ctx, store.ListDeploymentsQuery{Account: acctM, Region: regionA, Limit: 10,
			After: &store.DeploymentCursor{CreatedAt: all[0].CreatedAt, ID: all[0].ID}})
		if len(page) != 2 || page[0].ID != u1.ID {
			x.t.Fatalf("page after the newest: %d rows", len(page))
		}
		every, _ := x.s.ListDeployments(x.ctx, store.ListDeploymentsQuery{Account: acctM, Region: regionA, Limit: 10})
		if len(every) != 4 {
			x.t.Fatalf("account-wide list has %d deployments, want 4", len(every))
		}
		for _, id := range []string{u2.ID, d.ID} { // in flight; last succeeded
			_, err := x.s.DeleteDeployment(x.ctx, regionA, id)
			wantErr(x.t, "DeleteDeployment "+id, err, store.ErrConditionFailed)
		}
		if got, err := x.s.DeleteDeployment(x.ctx, regionA, u1.ID); err != nil || got.ID != u1.ID {
			x.t.Fatalf("DeleteDeployment of an old failed deployment: %v", err)
		}
		_, err = x.s.DeleteDeployment(x.ctx, regionA, u1.ID)
		wantErr(x.t, "second DeleteDeployment", err, store.ErrNotFound)
		envs, _ := x.s.ListEnvironments(x.ctx, store.ListEnvironmentsQuery{Account: acctM, Region: regionA, Limit: 10})
		if len(envs) != 2 || envs[0].Name != "dev" || envs[1].Name != "other" {
			x.t.Fatalf("ListEnvironments: %d", len(envs))
		}
		envs, _ = x.s.ListEnvironments(x.ctx, store.ListEnvironmentsQuery{Account: acctM, Region: regionA, Limit: 10, After: "dev",
			Templates: []store.TemplateFilter{{TemplateName: envTemplate, MajorVersion: x.env("other").MajorVersion}}})
		if len(envs) != 1 || envs[0].Name != "other" {
			x.t.Fatalf("filtered ListEnvironments: %d", len(envs))
		}
	})
}

func testEnvSettings(t *testing.T, h Harness) {
	runE(t, h, "PartialUpdates", func(x *esuite) {
		if a, err := x.s.GetAccountSettings(x.ctx, acctM, regionA); err != nil || a != (store.AccountSettings{}) {
			x.t.Fatalf("initial settings %+v, %v", a, err)
		}
		role, repo := "arn:role", store.RepositoryBranch{Provider: "GITHUB", Name: "o/r", Branch: "main"}
		if _, err := x.s.UpdateAccountSettings(x.ctx, acctM, regionA, store.AccountSettingsUpdate{PipelineServiceRoleArn: &role}); err != nil {
			x.t.Fatal(err)
		}
		a, err := x.s.UpdateAccountSettings(x.ctx, acctM, regionA, store.AccountSettingsUpdate{PipelineProvisioningRepository: &repo})
		if err != nil || a.PipelineServiceRoleArn != role || a.PipelineProvisioningRepository != repo {
			x.t.Fatalf("settings %+v, %v", a, err)
		}
		if got, _ := x.s.GetAccountSettings(x.ctx, acctM, regionA); got != a {
			x.t.Fatalf("GetAccountSettings = %+v, want %+v", got, a)
		}
		if got, _ := x.s.GetAccountSettings(x.ctx, acctM, regionB); got != (store.AccountSettings{}) {
			x.t.Fatalf("settings leak to another region: %+v", got)
		}
	})
}

func testEnvConcurrency(t *testing.T, h Harness) {
	runE(t, h, "RacingCreatesOfOneName", func(x *esuite) {
		major := x.publishVersion(true)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			e, d := x.newEnv("dev", major)
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = x.s.CreateEnvironment(x.ctx, x.createParams(e, d))
			}()
		}
		wg.Wait()
		created := 0
		for _, err := range errs {
			switch {
			case err == nil:
				created++
			case !errors.Is(err, store.ErrAlreadyExists):
				x.t.Fatalf("CreateEnvironment: %v", err)
			}
		}
		if created != 1 {
			x.t.Fatalf("%d creates of one name succeeded", created)
		}
	})
}
