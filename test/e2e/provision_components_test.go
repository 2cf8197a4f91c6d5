package e2e

// --provisioner aws against moto_server for components: AWS's S3 bucket
// component deploys as a stack of its own with the environment's component
// role, and the instance it is attached to gives its role the stack's real
// managed policy, read through proton_cfn_iam_policy_arns.

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/openproton/openproton/internal/awssamples"
	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// provRoleInstanceCFN is an instance file whose role takes its component's
// managed policies, and shows them as an output.
const provRoleInstanceCFN = `Resources:
  TaskRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: ecs-tasks.amazonaws.com
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/ReadOnlyAccess
        {{ service_instance.components.default.outputs | proton_cfn_iam_policy_arns }}
Outputs:
  Policies:
    Value:
      Fn::Join:
        - ","
        - - base
          {{ service_instance.components.default.outputs | proton_cfn_iam_policy_arns }}
`

func TestProvisionAWSComponent(t *testing.T) {
	t.Parallel()
	w := provStart(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w.publishBucketEnv(t)
	if _, err := w.cl.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{Name: aws.String("dev"), TemplateName: aws.String("bucketenv"),
		TemplateMajorVersion: aws.String("1"), Spec: aws.String(provEnvSpec("one")), ProtonServiceRoleArn: connRole(w.account, "proton"),
		ComponentRoleArn: connRole(w.account, "component")}); err != nil {
		t.Fatal(err)
	}
	w.checkEnvironment(t, "dev")
	files := bundletest.ServiceFiles()
	files["instance_infrastructure/cloudformation.yaml"] = provRoleInstanceCFN
	bundletest.WriteObject(t, w.bundles, isoBucket, "rolesvc.tar.gz", bundletest.Map(t, files))
	if err := compServiceTemplate(ctx, w.cl, "rolesvc", "rolesvc.tar.gz", "bucketenv", compDirectlyDefined); err != nil {
		t.Fatal(err)
	}
	if _, err := w.cl.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineServiceRoleArn: connRole(w.account, "pipeline")}); err != nil {
		t.Fatal(err)
	}
	in := svcCreate("web", svcSpec("front@dev"))
	in.TemplateName = aws.String("rolesvc")
	if _, err := w.cl.CreateService(ctx, in); err != nil {
		t.Fatal(err)
	}
	if inst := provWaitInstance(ctx, t, w.cl, "web", "front"); inst.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Fatalf("instance ended %s: %s", inst.DeploymentStatus, aws.ToString(inst.DeploymentStatusMessage))
	}

	s3, err := awssamples.S3BucketComponent(awssamples.CloudFormation)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.cl.CreateComponent(ctx, &proton.CreateComponentInput{Name: aws.String("bucket"), ServiceName: aws.String("web"),
		ServiceInstanceName: aws.String("front"), Manifest: aws.String(s3.Manifest), TemplateFile: aws.String(s3.TemplateFile)}); err != nil {
		t.Fatal(err)
	}
	deployed := proton.NewComponentDeployedWaiter(w.cl, func(o *proton.ComponentDeployedWaiterOptions) { o.MinDelay, o.MaxDelay = compPoll, compPoll })
	if err := deployed.Wait(ctx, &proton.GetComponentInput{Name: aws.String("bucket")}, time.Minute); err != nil {
		got, _ := w.cl.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String("bucket")})
		t.Fatalf("component_deployed: %v (%s)", err, aws.ToString(got.Component.DeploymentStatusMessage))
	}
	st := w.stack(t, "AWSProton-COMPONENT-bucket-")
	if st == nil {
		t.Fatal("no stack AWSProton-COMPONENT-bucket-... in the component role's account")
	}
	souts := stackOutputs(st)
	policy := souts["BucketAccessPolicyArn"]
	if !strings.HasPrefix(policy, "arn:aws:iam::"+w.account+":policy/") || strings.Contains(policy, "emulated") {
		t.Fatalf("component stack outputs = %v, want a real policy ARN of account %s", souts, w.account)
	}
	outs, err := w.cl.ListComponentOutputs(ctx, &proton.ListComponentOutputsInput{ComponentName: aws.String("bucket")})
	if err != nil || !maps.Equal(svcOutputs(t, outs.Outputs), souts) {
		t.Errorf("component outputs = %v (%v), want its stack's %v", outs, err, souts)
	}
	res, err := w.cl.ListComponentProvisionedResources(ctx, &proton.ListComponentProvisionedResourcesInput{ComponentName: aws.String("bucket")})
	if err != nil || len(res.ProvisionedResources) != 2 {
		t.Errorf("component resources = %+v, %v; want the bucket and the policy", res, err)
	}

	// The instance deployed again gives its role the component's policy.
	if _, err := w.cl.UpdateServiceInstance(ctx, &proton.UpdateServiceInstanceInput{ServiceName: aws.String("web"), Name: aws.String("front"),
		DeploymentType: types.DeploymentUpdateTypeCurrentVersion}); err != nil {
		t.Fatal(err)
	}
	if inst := provWaitInstance(ctx, t, w.cl, "web", "front"); inst.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Fatalf("instance ended %s: %s", inst.DeploymentStatus, aws.ToString(inst.DeploymentStatusMessage))
	}
	ist := w.stack(t, "AWSProton-SVC-web-front-")
	if ist == nil || stackOutputs(ist)["Policies"] != "base,"+policy {
		t.Fatalf("instance stack = %+v; want Policies base,%s", ist, policy)
	}

	// Detached and deleted, its stack goes.
	if _, err := w.cl.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String("bucket"), DeploymentType: types.ComponentDeploymentUpdateTypeCurrentVersion,
		ServiceName: aws.String(""), ServiceInstanceName: aws.String("")}); err != nil {
		t.Fatal(err)
	}
	if err := deployed.Wait(ctx, &proton.GetComponentInput{Name: aws.String("bucket")}, time.Minute); err != nil {
		t.Fatalf("component_deployed after the detach: %v", err)
	}
	if _, err := w.cl.DeleteComponent(ctx, &proton.DeleteComponentInput{Name: aws.String("bucket")}); err != nil {
		t.Fatal(err)
	}
	provWaitGone(t, func() error {
		_, err := w.cl.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String("bucket")})
		return err
	})
	if s := w.stack(t, "AWSProton-COMPONENT-bucket-"); s != nil {
		t.Errorf("stack %s is %s after the component's delete", aws.ToString(s.StackName), s.StackStatus)
	}
}
