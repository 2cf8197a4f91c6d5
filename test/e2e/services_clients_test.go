package e2e

// Services through the clients that users drive them with: the calls of the
// AWS Proton plugins for Backstage (@aws-sdk/client-proton), and the
// model's service waiters in the AWS CLI (`aws proton wait ...`) and boto3.

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"

	"github.com/openproton/openproton/internal/awssamples"
	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// backstageEnvironment is the environment of the Backstage plugins'
// tutorial, where its software template puts both instances.
const backstageEnvironment = "backstage-proton-plugins-tutorial-env"

// TestBackstageTutorialJS runs js/backstage.test.mjs: the Backstage
// scaffolder action's CreateService, the JS SDK's waitUntilServiceCreated
// and the entity card's GetService, on AWS's sample templates fargate-env
// and load-balanced-fargate-svc, which the plugins' tutorial uses.
func TestBackstageTutorialJS(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	srv := connStartServer(t, "--bundle-dir", bundles, "--provisioner-delay", "500ms")
	t.Cleanup(func() { connNo5xx(t, srv) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	templates, err := awssamples.Templates(awssamples.CloudFormation)
	if err != nil {
		t.Fatal(err)
	}
	account := connAccount()
	c := connClient(srv, account, "us-east-1")
	s := sampleDeployer{t: t, c: c, account: account, repo: awssamples.CloudFormation, note: func(string, ...any) {}}
	var env awssamples.Template
	for _, tpl := range templates {
		switch tpl.Path {
		case "environment-templates/fargate-env", "service-templates/load-balanced-fargate-svc":
		default:
			continue
		}
		data, err := tpl.Bundle()
		if err != nil {
			t.Fatal(err)
		}
		bundletest.WriteObject(t, bundles, "samples", s.key(tpl), data)
		if err := s.register(ctx, tpl); err != nil {
			t.Fatalf("%s: %v", tpl.Path, err)
		}
		if tpl.Kind == awssamples.Environment {
			env = tpl
		}
	}
	if _, err := c.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{Name: aws.String(backstageEnvironment), TemplateName: aws.String(env.Name),
		TemplateMajorVersion: aws.String("1"), Spec: aws.String(env.Spec), ProtonServiceRoleArn: connRole(account, "ProtonServiceRole")}); err != nil {
		t.Fatalf("CreateEnvironment: %v", err)
	}
	if err := proton.NewEnvironmentDeployedWaiter(c, func(o *proton.EnvironmentDeployedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	}).Wait(ctx, &proton.GetEnvironmentInput{Name: aws.String(backstageEnvironment)}, time.Minute); err != nil {
		t.Fatalf("EnvironmentDeployed: %v", err)
	}
	if _, err := c.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineServiceRoleArn: connRole(account, "ProtonPipelineServiceRole")}); err != nil {
		t.Fatalf("UpdateAccountSettings: %v", err)
	}
	out := RunNode(t, srv, []string{"OPENPROTON_ACCOUNT=" + account, "OPENPROTON_ENVIRONMENT=" + backstageEnvironment}, 3, "js/backstage.test.mjs")
	connLogRun(t, out)
	got, err := c.GetService(ctx, &proton.GetServiceInput{Name: aws.String("nginx-website")})
	if err != nil {
		t.Fatalf("GetService after the suite: %v", err)
	}
	if got.Service.Status != types.ServiceStatusActive || aws.ToString(got.Service.RepositoryId) != "my-org/nginx-website" {
		t.Errorf("after the suite the service is %s from %s", got.Service.Status, aws.ToString(got.Service.RepositoryId))
	}
}

// TestServicesWaitersClients runs python/test_services_waiters.py: the
// model's service waiters (ServiceCreated, ServiceInstanceDeployed,
// ServicePipelineDeployed, ServiceUpdated, ServiceDeleted) through boto3
// and through `aws proton wait`, on their success and failure states. The CLI's waiters poll every 5 s
// (the pipeline's every 10 s), so its two tests run beside each other and
// beside boto3's.
func TestServicesWaitersClients(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	srv := StartServer(t, "--bundle-dir", bundles, "--provisioner-delay", "1s")
	t.Cleanup(func() { connNo5xx(t, srv) })
	env := []string{"OPENPROTON_BUNDLE_DIR=" + bundles}
	for target, tests := range map[string]int{"Boto3Waiters": 2, "CLIWaiters.test_success_states": 1, "CLIWaiters.test_failure_states": 1,
		"SelfManagedFailures": 2} {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			out := RunPython(t, srv, env, tests, "python.test_services_waiters."+target)
			connLogRun(t, out)
		})
	}
}
