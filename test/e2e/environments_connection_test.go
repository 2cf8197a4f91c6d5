package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// TestEnvironmentConnectionDeletedDuringDeployment deletes the environment
// account connection of an environment while a worker runs its deployment
// (4 s of emulated provisioning): the deployment must end FAILED with a
// message that names the deleted connection, record no outputs, and leave
// the environment without a succeeded deployment (docs/environments.md).
func TestEnvironmentConnectionDeletedDuringDeployment(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	spec := "sqlite:" + filepath.Join(t.TempDir(), "openproton.db")
	srv := connStartServer(t, "--store", spec, "--bundle-dir", bundles, "--provisioner-delay", "4s")
	db := storeDB(t, spec)
	mAcct, eAcct := connAccount(), connAccount()
	m, e := connClient(srv, mAcct, "us-east-1"), connClient(srv, eAcct, "us-east-1")
	ctx := context.Background()

	envPublishTemplate(t, m, bundles, "tpl")
	conn := connCreate(t, e, eAcct, mAcct, "linked")
	if _, err := m.AcceptEnvironmentAccountConnection(ctx, &proton.AcceptEnvironmentAccountConnectionInput{Id: conn.Id}); err != nil {
		t.Fatalf("accept: %v", err)
	}
	out, err := m.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{
		Name: aws.String("linked"), TemplateName: aws.String("tpl"), TemplateMajorVersion: aws.String("1"),
		Spec:                           aws.String("proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.9.0.0/16\"\n"),
		EnvironmentAccountConnectionId: conn.Id,
	})
	if err != nil {
		t.Fatalf("CreateEnvironment: %v", err)
	}
	depID := aws.ToString(out.Environment.LastAttemptedDeploymentId)

	// The worker holds the deployment and has begun its run (building the
	// request, which reads the connection, takes milliseconds; the run
	// lasts 4 s), so the connection goes while the run is under way.
	storeWaitLeased(t, db, depID, 10*time.Second)
	time.Sleep(time.Second)
	if _, err := e.DeleteEnvironmentAccountConnection(ctx, &proton.DeleteEnvironmentAccountConnectionInput{Id: conn.Id}); err != nil {
		t.Fatalf("delete the connection: %v", err)
	}
	if got, err := m.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String("linked")}); err != nil ||
		got.Environment.DeploymentStatus != types.DeploymentStatusInProgress {
		t.Fatalf("the deployment was no longer in progress when the connection was deleted: %v %+v", err, got)
	}

	env := envWaitTerminal(t, m, "linked", 30*time.Second)
	msg := aws.ToString(env.DeploymentStatusMessage)
	if env.DeploymentStatus != types.DeploymentStatusFailed || !strings.Contains(msg, aws.ToString(conn.Id)) || !strings.Contains(msg, "was deleted") {
		t.Fatalf("deployment ended %s (%q), want FAILED with a message saying that connection %s was deleted",
			env.DeploymentStatus, msg, aws.ToString(conn.Id))
	}
	if env.LastSucceededDeploymentId != nil || env.LastDeploymentSucceededAt != nil {
		t.Errorf("the environment shows a succeeded deployment: %s", aws.ToString(env.LastSucceededDeploymentId))
	}
	dep, err := m.GetDeployment(ctx, &proton.GetDeploymentInput{Id: aws.String(depID)})
	if err != nil {
		t.Fatalf("GetDeployment: %v", err)
	}
	if dep.Deployment.DeploymentStatus != types.DeploymentStatusFailed || aws.ToString(dep.Deployment.DeploymentStatusMessage) != msg {
		t.Errorf("deployment %s %q, want FAILED %q", dep.Deployment.DeploymentStatus, aws.ToString(dep.Deployment.DeploymentStatusMessage), msg)
	}
	outs, err := m.ListEnvironmentOutputs(ctx, &proton.ListEnvironmentOutputsInput{EnvironmentName: aws.String("linked"), DeploymentId: aws.String(depID)})
	if err != nil {
		t.Fatalf("ListEnvironmentOutputs: %v", err)
	}
	if len(outs.Outputs) != 0 {
		t.Errorf("the failed deployment recorded %d outputs", len(outs.Outputs))
	}
	connNo5xx(t, srv)
}
