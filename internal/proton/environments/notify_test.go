package environments

import (
	"fmt"
	"github.com/openproton/openproton/internal/auth"
	"testing"

	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/provision"
	"github.com/openproton/openproton/internal/store"
)

// notifyState is everything a notification may change: the deployment's
// status, message and outputs, and its environment's status and message.
type notifyState struct {
	envStatus  store.DeploymentStatus
	envMessage string
	status     store.DeploymentStatus
	message    string
	outputs    string
}

func (f *fixture) notifyState(t *testing.T, env, id string) notifyState {
	t.Helper()
	e := f.get(t, env)
	d, err := f.st.GetDeployment(t.Context(), caller.Region, id)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := f.st.ListOutputs(t.Context(), caller.Region, id)
	if err != nil {
		t.Fatal(err)
	}
	return notifyState{e.DeploymentStatus, e.DeploymentStatusMessage, d.Status, d.StatusMessage, fmt.Sprint(outs)}
}

func (f *fixture) notify(t *testing.T, e store.Environment, id, status string, msg *string, outs ...store.Output) error {
	t.Helper()
	return f.svc.Notify(t.Context(), caller, NotifyInput{ResourceArn: ARN(e), DeploymentID: id, Status: status, StatusMessage: msg, Outputs: outs})
}

func out(k, v string) store.Output { return store.Output{Key: k, Value: v} }

// TestNotifyChangesOnlyInFlightSelfManagedDeployments: a notification is
// ConflictException and changes nothing unless its deployment is in flight
// and carried out by the customer's automation (self-managed). A repeat of
// the final status that ended a self-managed deployment, changing nothing,
// is accepted.
func TestNotifyChangesOnlyInFlightSelfManagedDeployments(t *testing.T) {
	f := newFixture(t)
	msg := "from the automation"
	empty := ""

	managedRunning := f.create(t, "running")
	r := f.runner(provision.Emulate{}, runnerOptions{})
	managedDone := f.create(t, "done")
	for range 2 {
		if found, err := r.Step(t.Context()); !found || err != nil {
			t.Fatalf("Step: %v %v", found, err)
		}
	}
	oldManaged := f.get(t, "running").LastAttemptedDeploymentID
	managedDone = f.get(t, "done")
	// The runner took both; make "running" in flight again.
	if _, err := f.svc.Update(t.Context(), caller, "running", UpdateInput{DeploymentType: deployments.DeployCurrentVersion}); err != nil {
		t.Fatal(err)
	}
	managedRunning = f.get(t, "running")

	selfDone := f.terraformEnv(t, "tfdone")
	if err := f.notify(t, selfDone, "", "SUCCEEDED", nil, out("vpc", "v-1")); err != nil {
		t.Fatalf("notify SUCCEEDED: %v", err)
	}
	selfDone = f.get(t, "tfdone")
	firstTf := selfDone.LastAttemptedDeploymentID
	if _, err := f.svc.Update(t.Context(), caller, "tfdone", UpdateInput{DeploymentType: deployments.DeployCurrentVersion}); err != nil {
		t.Fatal(err)
	}
	if err := f.notify(t, selfDone, "", "FAILED", &msg); err != nil {
		t.Fatalf("notify FAILED: %v", err)
	}
	selfDone = f.get(t, "tfdone")

	conflicts := []struct {
		name    string
		e       store.Environment
		id      string // "" for the last attempted deployment
		status  string
		message *string
		outputs []store.Output
	}{
		{"outputs of a running AWS-managed deployment", managedRunning, "", "", nil, []store.Output{out("a", "1")}},
		{"a message on a running AWS-managed deployment", managedRunning, "", "", &msg, nil},
		{"IN_PROGRESS with outputs on a running AWS-managed deployment", managedRunning, "", "IN_PROGRESS", nil, []store.Output{out("a", "1")}},
		{"the end of a running AWS-managed deployment", managedRunning, "", "SUCCEEDED", nil, nil},
		{"outputs of a finished AWS-managed deployment", managedDone, "", "", nil, []store.Output{out("Cidr", "0.0.0.0/0")}},
		{"a message on a finished AWS-managed deployment", managedDone, "", "", &msg, nil},
		{"the repeated end of a finished AWS-managed deployment", managedDone, "", "SUCCEEDED", nil, nil},
		{"outputs of the old deployment of an AWS-managed environment", managedRunning, oldManaged, "", nil, []store.Output{out("a", "1")}},
		{"outputs of a finished self-managed deployment", selfDone, "", "", nil, []store.Output{out("vpc", "v-9")}},
		{"a message on a finished self-managed deployment", selfDone, "", "", &empty, nil},
		{"IN_PROGRESS on a finished self-managed deployment", selfDone, "", "IN_PROGRESS", nil, nil},
		{"a contradicting end", selfDone, "", "SUCCEEDED", nil, nil},
		{"the repeated end with another message", selfDone, "", "FAILED", &empty, nil},
		{"the repeated end with new outputs", selfDone, firstTf, "SUCCEEDED", nil, []store.Output{out("vpc", "v-2")}},
		{"the repeated end with a new output", selfDone, firstTf, "SUCCEEDED", nil, []store.Output{out("vpc", "v-1"), out("subnet", "s")}},
		{"outputs of an old self-managed deployment by id", selfDone, firstTf, "", nil, []store.Output{out("vpc", "v-3")}},
	}
	for _, c := range conflicts {
		t.Run(c.name, func(t *testing.T) {
			id := c.id
			if id == "" {
				id = c.e.LastAttemptedDeploymentID
			}
			before := f.notifyState(t, c.e.Name, id)
			err := f.notify(t, c.e, c.id, c.status, c.message, c.outputs...)
			if !fault.Is(err, fault.Conflict) {
				t.Errorf("Notify: %v, want ConflictException", err)
			}
			if after := f.notifyState(t, c.e.Name, id); after != before {
				t.Errorf("the refused notification changed\n%+v\ninto\n%+v", before, after)
			}
		})
	}

	// The repeat of the final status that changes nothing is accepted.
	before := f.notifyState(t, "tfdone", firstTf)
	for _, c := range []struct {
		status  string
		message *string
		outputs []store.Output
	}{{"SUCCEEDED", nil, nil}, {"SUCCEEDED", nil, []store.Output{out("vpc", "v-1")}}, {"SUCCEEDED", &empty, nil}} {
		if err := f.notify(t, selfDone, firstTf, c.status, c.message, c.outputs...); err != nil {
			t.Errorf("repeated %s %v: %v", c.status, c.outputs, err)
		}
	}
	if err := f.notify(t, selfDone, "", "FAILED", &msg); err != nil {
		t.Errorf("repeated FAILED with its message: %v", err)
	}
	if after := f.notifyState(t, "tfdone", firstTf); after != before {
		t.Errorf("a repeated notification changed\n%+v\ninto\n%+v", before, after)
	}

	// An in-flight self-managed deployment takes outputs, a message and
	// its end.
	running := f.terraformEnv(t, "tfrunning")
	if err := f.notify(t, running, "", "IN_PROGRESS", &msg, out("vpc", "v-7")); err != nil {
		t.Fatalf("IN_PROGRESS with outputs: %v", err)
	}
	if err := f.notify(t, running, "", "SUCCEEDED", nil, out("subnet", "s-1")); err != nil {
		t.Fatalf("SUCCEEDED: %v", err)
	}
	got := f.notifyState(t, "tfrunning", running.LastAttemptedDeploymentID)
	want := notifyState{store.DeploySucceeded, "", store.DeploySucceeded, "", fmt.Sprint([]store.Output{out("subnet", "s-1"), out("vpc", "v-7")})}
	if got != want {
		t.Errorf("self-managed deployment after its notifications: %+v, want %+v", got, want)
	}
}

// TestNotifyFromACodeBuildRun: the credentials of a CodeBuild run report
// outputs of their own in-flight deployment, from the role's account; a
// status and a message are accepted and not recorded, the engine ends the
// deployment. Another deployment, or one that ended, is refused.
func TestNotifyFromACodeBuildRun(t *testing.T) {
	f := newFixture(t)
	msg := "from the commands"
	e := f.create(t, "cb")
	id := e.LastAttemptedDeploymentID
	run := caller
	run.Account, run.AccessKey, run.Deployment = "222222222222", "ASIARUN", id
	notify := func(c auth.Caller, status string, msg *string, outs ...store.Output) error {
		return f.svc.Notify(t.Context(), c, NotifyInput{ResourceArn: ARN(e), Status: status, StatusMessage: msg, Outputs: outs, Run: c.Deployment})
	}
	before := f.notifyState(t, "cb", id)
	for _, c := range []struct {
		status string
		outs   []store.Output
	}{{"", []store.Output{out("k", "v")}}, {"IN_PROGRESS", []store.Output{out("k2", "v2")}}, {"SUCCEEDED", nil}, {"FAILED", []store.Output{out("k", "v1")}}} {
		if err := notify(run, c.status, &msg, c.outs...); err != nil {
			t.Fatalf("run's %q notification: %v", c.status, err)
		}
	}
	got := f.notifyState(t, "cb", id)
	want := before
	want.outputs = fmt.Sprint([]store.Output{out("k", "v1"), out("k2", "v2")})
	if got != want {
		t.Errorf("after the run's notifications: %+v, want %+v (outputs only)", got, want)
	}

	other := run
	other.Deployment = "00000000-0000-0000-0000-000000000000"
	if err := notify(other, "", nil, out("k", "forged")); !fault.Is(err, fault.NotFound) {
		t.Errorf("another run's notification: %v, want ResourceNotFoundException", err)
	}
	r := f.runner(provision.Emulate{}, runnerOptions{})
	if found, err := r.Step(t.Context()); !found || err != nil {
		t.Fatalf("Step: %v %v", found, err)
	}
	if err := notify(run, "", nil, out("k", "late")); !fault.Is(err, fault.Conflict) {
		t.Errorf("the run's notification after its deployment ended: %v, want ConflictException", err)
	}
}
