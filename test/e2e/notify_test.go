package e2e

// Notifications change only an in-flight self-managed deployment: the
// outputs and status messages of AWS-managed and finished deployments stay
// what openproton's engine (or the automation's last notification) made
// them, whoever sends the notification.

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// notifyDeploymentState is what a notification may change about a
// deployment and its environment, as the owner reads it.
func notifyDeploymentState(ctx context.Context, t *testing.T, m *proton.Client, env, id string) string {
	t.Helper()
	e, err := m.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String(env)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := m.GetDeployment(ctx, &proton.GetDeploymentInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := m.ListEnvironmentOutputs(ctx, &proton.ListEnvironmentOutputsInput{EnvironmentName: aws.String(env), DeploymentId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	var kv []string
	for _, o := range outs.Outputs {
		kv = append(kv, aws.ToString(o.Key)+"="+aws.ToString(o.ValueString))
	}
	return fmt.Sprintf("environment %s %q; deployment %s %q; outputs %s", e.Environment.DeploymentStatus,
		aws.ToString(e.Environment.DeploymentStatusMessage), d.Deployment.DeploymentStatus,
		aws.ToString(d.Deployment.DeploymentStatusMessage), strings.Join(kv, ","))
}

// TestNotifyConflicts sends notifications that must not change anything:
// to AWS-managed deployments (by the management account and by the
// environment account of the connection), to an old deployment by id, and
// to a finished self-managed deployment. Each is ConflictException and
// leaves the deployment and its environment as they were, on both stores.
func TestNotifyConflicts(t *testing.T) {
	t.Parallel()
	for _, st := range relStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			srv, ctx, fx := isoWorldServer(t, st)
			m := connClient(srv, fx.owner, "us-east-1")
			e := connClient(srv, fx.other, "us-east-1")
			managed, err := m.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String(isoEnvName)})
			if err != nil {
				t.Fatal(err)
			}
			tfArn := strings.Replace(fx.world.env, "/"+isoEnvName, "/"+isoTfEnvName, 1)
			tfDeps, err := m.ListDeployments(ctx, &proton.ListDeploymentsInput{EnvironmentName: aws.String(isoTfEnvName)})
			if err != nil || len(tfDeps.Deployments) != 2 {
				t.Fatalf("deployments of %s: %v, %v", isoTfEnvName, tfDeps, err)
			}
			tfFinished := aws.ToString(tfDeps.Deployments[1].Id) // newest first: [1] is the create, SUCCEEDED
			lastManaged := aws.ToString(managed.Environment.LastAttemptedDeploymentId)
			oldManaged := aws.ToString(fx.world.firstDeployment.Id)
			outputs := []types.Output{{Key: aws.String("VpcCidr"), ValueString: aws.String("6.6.6.0/24")}}
			message := aws.String("rewritten")
			cases := []struct {
				name   string
				cl     *proton.Client
				arn    string
				env    string
				id     string // the deployment whose state is checked
				byID   bool   // name it in the call
				status types.ResourceDeploymentStatus
				msg    *string
			}{
				{"outputs of an AWS-managed deployment", m, fx.world.env, isoEnvName, lastManaged, false, "", nil},
				{"a message on an AWS-managed deployment", m, fx.world.env, isoEnvName, lastManaged, false, "", message},
				{"outputs from the environment account", e, fx.world.env, isoEnvName, lastManaged, false, "", nil},
				{"a message from the environment account", e, fx.world.env, isoEnvName, lastManaged, false, types.ResourceDeploymentStatusInProgress, message},
				{"the end of an AWS-managed deployment from the environment account", e, fx.world.env, isoEnvName, lastManaged, false, types.ResourceDeploymentStatusFailed, message},
				{"outputs of an old AWS-managed deployment by id", m, fx.world.env, isoEnvName, oldManaged, true, "", nil},
				{"outputs of a finished self-managed deployment", m, tfArn, isoTfEnvName, tfFinished, true, "", nil},
				{"a message on a finished self-managed deployment", m, tfArn, isoTfEnvName, tfFinished, true, "", message},
				{"its repeated end with new outputs", m, tfArn, isoTfEnvName, tfFinished, true, types.ResourceDeploymentStatusSucceeded, nil},
			}
			for _, c := range cases {
				before := notifyDeploymentState(ctx, t, m, c.env, c.id)
				in := &proton.NotifyResourceDeploymentStatusChangeInput{ResourceArn: aws.String(c.arn), Status: c.status, StatusMessage: c.msg}
				if c.msg == nil {
					in.Outputs = outputs
				}
				if c.byID {
					in.DeploymentId = aws.String(c.id)
				}
				_, err := c.cl.NotifyResourceDeploymentStatusChange(ctx, in)
				if code, status := connErr(err); code != "ConflictException" || status != 409 {
					t.Errorf("%s: %s (HTTP %d) %v, want ConflictException", c.name, code, status, err)
				}
				if after := notifyDeploymentState(ctx, t, m, c.env, c.id); after != before {
					t.Errorf("%s changed\n%s\ninto\n%s", c.name, before, after)
				}
			}
			// The in-flight self-managed update still takes them.
			if _, err := m.NotifyResourceDeploymentStatusChange(ctx, &proton.NotifyResourceDeploymentStatusChangeInput{
				ResourceArn: aws.String(tfArn), Status: types.ResourceDeploymentStatusSucceeded, Outputs: outputs, StatusMessage: message,
			}); err != nil {
				t.Fatalf("ending the in-flight self-managed update: %v", err)
			}
			got, err := m.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String(isoTfEnvName)})
			if err != nil || got.Environment.DeploymentStatus != types.DeploymentStatusSucceeded || aws.ToString(got.Environment.DeploymentStatusMessage) != "rewritten" {
				t.Fatalf("self-managed environment after its update's end: %+v, %v", got, err)
			}
		})
	}
}
