package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// Statement is one SQL statement with ? placeholders and its arguments.
type Statement struct {
	SQL  string
	Args []any
}

// legacyDeployment is a deployment row of the schema before deployments had
// jobs, when the queue was columns of the deployment.
type legacyDeployment struct {
	id, env    string
	mode       store.ProvisioningMode
	status     store.DeploymentStatus
	queued     bool
	leaseOwner string
	leaseUntil time.Time
	attempts   int
	created    time.Time
}

// legacy holds deployments in every state of the old queue: finished, run by
// a worker (whose lease the migration must keep), waiting for a notification
// (self-managed), and being cancelled without a worker yet.
var legacy = []legacyDeployment{
	{id: uid(1), env: "dev", mode: store.ModeManaged, status: store.DeploySucceeded, created: at(1)},
	{id: uid(2), env: "dev", mode: store.ModeManaged, status: store.DeployInProgress, queued: true,
		leaseOwner: "old-replica", leaseUntil: at(50), attempts: 2, created: at(2)},
	{id: uid(3), env: "tf", mode: store.ModeSelfManaged, status: store.DeployInProgress, created: at(3)},
	{id: uid(4), env: "stop", mode: store.ModeSelfManaged, status: store.DeployCancelling, queued: true, created: at(4)},
}

// legacyEnvironments are the environments of legacy: name, mode, status,
// last attempted and last succeeded deployment.
var legacyEnvironments = [][5]string{
	{"dev", string(store.ModeManaged), string(store.DeployInProgress), uid(2), uid(1)},
	{"tf", string(store.ModeSelfManaged), string(store.DeployInProgress), uid(3), ""},
	{"stop", string(store.ModeSelfManaged), string(store.DeployCancelling), uid(4), ""},
}

// LegacyDeployments returns the statements that fill a database migrated to
// version 5 (before deployments moved into the job queue) with environments
// and their deployments in flight, the queue state in the deployment rows.
func LegacyDeployments() []Statement {
	var out []Statement
	for _, e := range legacyEnvironments {
		out = append(out, Statement{`INSERT INTO environments (account, region, name, template_name, template_major_version,
			template_minor_version, mode, deployment_status, created_at_ms, last_attempted_deployment_id,
			last_succeeded_deployment_id) VALUES (?, ?, ?, 'vpc', '1', '0', ?, ?, ?, ?, ?)`,
			[]any{acctM, regionA, e[0], e[1], e[2], ms(at(1)), e[3], e[4]}})
	}
	for _, d := range legacy {
		out = append(out, Statement{`INSERT INTO deployments (region, id, account, environment_name, target_arn, target_resource_type,
			target_created_at_ms, action, mode, status, created_at_ms, last_modified_at_ms, target_template_name,
			target_major_version, target_minor_version, target_spec, target_inputs_json,
			queued, lease_owner, lease_expires_at_ms, attempts)
			VALUES (?, ?, ?, ?, ?, 'ENVIRONMENT', ?, 'DEPLOY', ?, ?, ?, ?, 'vpc', '1', '0', 'spec', '{}', ?, ?, ?, ?)`,
			[]any{regionA, d.id, acctM, d.env, envARN(d.env), ms(at(1)), string(d.mode), string(d.status),
				ms(d.created), ms(d.created), d.queued, d.leaseOwner, msOrZero(d.leaseUntil), d.attempts}})
	}
	return out
}

// CheckLegacyDeployments checks, through s, the database of
// LegacyDeployments after the migration to deployment jobs: the deployments
// read as before, with their targets' keys; the queued ones are jobs, in
// their order, with their leases, attempts and cancel requests; the others
// have none; and the store carries them on.
func CheckLegacyDeployments(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	for _, l := range legacy {
		d, err := s.GetDeployment(ctx, regionA, l.id)
		if err != nil {
			t.Fatalf("GetDeployment(%s) after the migration: %v", l.id, err)
		}
		if d.TargetResourceType != store.TargetEnvironment || d.TargetKey != l.env || d.EnvironmentName != l.env ||
			d.Status != l.status || !d.CreatedAt.Equal(l.created) {
			t.Fatalf("deployment %s after the migration: %+v", l.id, d)
		}
	}
	lease := func(owner string, now time.Time) (store.Job, bool) {
		t.Helper()
		j, ok, err := s.LeaseJob(ctx, store.LeaseJobParams{Owner: owner, Until: now.Add(time.Minute), Now: now})
		if err != nil {
			t.Fatalf("LeaseJob: %v", err)
		}
		return j, ok
	}
	// The old replica's lease still holds: only the cancel is free.
	j, ok := lease("new", at(10))
	want := store.Job{JobKey: jobOf(uid(4)), Account: acctM, SerialKey: acctM + "/" + regionA + "/ENVIRONMENT/stop",
		Seq: ms(at(4)), DueAt: at(4), LeaseOwner: "new", LeaseExpiresAt: at(11), Attempts: 1, CancelRequested: true}
	if !ok || !reflect.DeepEqual(j, want) {
		t.Fatalf("first lease after the migration: %+v (ok %v), want %+v", j, ok, want)
	}
	if j, ok := lease("new", at(10)); ok {
		t.Fatalf("leased %s while the old replica's lease holds", j.ID)
	}
	// The old replica finishes its deployment with its lease.
	if _, err := s.CompleteDeployment(ctx, store.CompleteParams{Region: regionA, ID: uid(2), LeaseOwner: "old-replica",
		Outcome: store.OutcomeSucceeded, Now: at(20), ARN: envARN("dev")}); err != nil {
		t.Fatalf("CompleteDeployment by the lease holder of before the migration: %v", err)
	}
	if e, err := s.GetEnvironment(ctx, acctM, regionA, "dev"); err != nil || e.DeploymentStatus != store.DeploySucceeded || e.LastSucceededDeploymentID != uid(2) {
		t.Fatalf("environment after its deployment completed: %+v, %v", e, err)
	}
	if _, err := s.CompleteDeployment(ctx, store.CompleteParams{Region: regionA, ID: uid(4), LeaseOwner: "new",
		Outcome: store.OutcomeCancelled, Now: at(20), ARN: envARN("stop")}); err != nil {
		t.Fatalf("CompleteDeployment of the cancel: %v", err)
	}
	// The self-managed deployment has no job: its notification ends it.
	if j, ok := lease("new", at(100_000)); ok {
		t.Fatalf("leased %s: a deployment without a worker got a job", j.ID)
	}
	if _, err := s.CompleteDeployment(ctx, store.CompleteParams{Region: regionA, ID: uid(3), Outcome: store.OutcomeSucceeded,
		Now: at(21), ARN: envARN("tf")}); err != nil {
		t.Fatalf("notification of a self-managed deployment after the migration: %v", err)
	}
}

func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

func ms(t time.Time) int64 { return t.UnixMilli() }
