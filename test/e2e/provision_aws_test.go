package e2e

// --provisioner aws against moto_server: environments, service instances
// and pipelines deploy as real CloudFormation stacks in the account of
// their role, with the stacks' resolved outputs and resources; updates
// change the stacks and deletes remove them. CodeBuild templates:
// provision_codebuild_test.go.

import (
	"context"
	"errors"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// provEnvCFN is the environment template: a bucket, whose name and ARN
// only the stack can tell, and an input as it renders.
const provEnvCFN = `Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      Tags:
        - Key: stage
          Value: '{{ environment.inputs.stage }}'
Outputs:
  BucketName:
    Value: !Ref Bucket
  BucketArn:
    Value: !GetAtt Bucket.Arn
  Stage:
    Value: '{{ environment.inputs.stage }}'
`

// provInstanceCFN is the service instance template: a bucket of its own,
// and the environment's output it rendered with.
const provInstanceCFN = `Resources:
  Assets:
    Type: AWS::S3::Bucket
Outputs:
  AssetsBucket:
    Value: !Ref Assets
  EnvironmentBucket:
    Value: '{{ environment.outputs.BucketName }}'
  Port:
    Value: '{{ service_instance.inputs.port }}'
`

// provPipelineCFN is the pipeline template.
const provPipelineCFN = `Resources:
  Artifacts:
    Type: AWS::S3::Bucket
Outputs:
  ArtifactsBucket:
    Value: !Ref Artifacts
  Instances:
    Value: '{% for i in service_instances %}{{ i.name }};{% endfor %}'
`

// provWorld is a server with --provisioner aws on a moto_server, and an
// account whose roles the server assumes there.
type provWorld struct {
	srv     *Server
	cl      *proton.Client
	account string
	bundles string
	moto    string
	// cfn and s3 act in moto as the account's role, where the stacks live.
	cfn *cloudformation.Client
	s3  *s3.Client
}

// provMotoPatch fixes three defects of moto 5.2 that CloudFormation does
// not have: its ExecuteChangeSet applies the change set's resources but leaves
// the stack's outputs those of the template the stack had before (none for
// a stack that a change set created), so the stack's outputs are evaluated
// again once the change set is applied; and it takes the argument of
// Fn::GetAZs unresolved (`!GetAZs {Ref: 'AWS::Region'}`, which AWS's sample
// environments use, gives zones named "{'Ref': 'AWS::Region'}a"), so the
// argument is resolved first; and it leaves the list form of !GetAtt
// (`!GetAtt [PublicSubnet1EIP, AllocationId]`, in the same samples)
// unparsed.
const provMotoPatch = `
import sys
from moto.cloudformation import models
from moto.server import main

apply = models.ChangeSet.apply

def apply_and_output(self):
    apply(self)
    self.stack.template = self.template
    self.stack._parse_template()
    self.stack.output_map = self.stack._create_output_map()

models.ChangeSet.apply = apply_and_output

from moto.cloudformation import parsing

clean_json = parsing.clean_json

def clean_get_azs(resource_json, resources_map):
    # moto takes the argument of Fn::GetAZs as it is: {"Ref": "AWS::Region"}
    # becomes part of the zone names. It is resolved first, as
    # CloudFormation does.
    if isinstance(resource_json, dict) and isinstance(resource_json.get("Fn::GetAZs"), dict):
        resource_json = {"Fn::GetAZs": clean_json(resource_json["Fn::GetAZs"], resources_map)}
    return clean_json(resource_json, resources_map)

parsing.clean_json = clean_get_azs

import yaml
from moto.cloudformation import responses, utils

tag_constructor = utils.yaml_tag_constructor

def tag_constructor_lists(loader, tag, node):
    # moto keeps the nodes of the list form of !GetAtt unconstructed.
    if tag == "!GetAtt" and isinstance(node, yaml.SequenceNode):
        return {"Fn::GetAtt": loader.construct_sequence(node)}
    return tag_constructor(loader, tag, node)

models.yaml_tag_constructor = responses.yaml_tag_constructor = tag_constructor_lists
main(sys.argv[1:])
`

// provStartMoto starts moto_server with provMotoPatch.
func provStartMoto(t *testing.T) string {
	t.Helper()
	requireTool(t, "python3", "install Python 3")
	return startMotoCmd(t, func(host, port string) *exec.Cmd {
		return exec.Command("python3", "-c", provMotoPatch, "-H", host, "-p", port)
	})
}

// provStart starts moto_server and a server with --provisioner aws on it,
// with further flags.
func provStart(t *testing.T, flags ...string) *provWorld {
	t.Helper()
	w := &provWorld{moto: provStartMoto(t), bundles: t.TempDir(), account: connAccount()}
	env := []string{"AWS_ENDPOINT_URL=" + w.moto, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1"}
	if !slices.Contains(flags, "--codebuild-logs") {
		flags = append(flags, "--codebuild-logs", t.TempDir())
	}
	w.srv = StartServerEnv(t, env, append([]string{"--bundle-dir", w.bundles, "--provisioner", "aws", "--provisioner-poll", "100ms",
		"--provisioner-timeout", "1m"}, flags...)...)
	t.Cleanup(connHTTPClient.CloseIdleConnections)
	w.cl = connClient(w.srv, w.account, "us-east-1")
	cfg := w.configAs(aws.ToString(connRole(w.account, "proton")))
	w.cfn = cloudformation.NewFromConfig(cfg)
	w.s3 = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	return w
}

// configAs is the SDK configuration of a client of moto that acts as role
// (in its account: moto's STS gives an assumed role's credentials the
// role's account).
func (w *provWorld) configAs(role string) aws.Config {
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(w.moto),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), role))
	return cfg
}

// stack returns the one stack whose name starts with prefix, nil when
// there is none.
func (w *provWorld) stack(t *testing.T, prefix string) *cfntypes.Stack {
	t.Helper()
	return stackIn(t, w.cfn, prefix)
}

// stackIn is provWorld.stack as client c sees it.
func stackIn(t *testing.T, c *cloudformation.Client, prefix string) *cfntypes.Stack {
	t.Helper()
	ctx := context.Background()
	out, err := c.ListStacks(ctx, &cloudformation.ListStacksInput{})
	if err != nil {
		t.Fatalf("ListStacks: %v", err)
	}
	var found []string
	for _, s := range out.StackSummaries {
		if strings.HasPrefix(aws.ToString(s.StackName), prefix) && s.StackStatus != cfntypes.StackStatusDeleteComplete {
			found = append(found, aws.ToString(s.StackName))
		}
	}
	switch len(found) {
	case 0:
		return nil
	case 1:
	default:
		t.Fatalf("stacks %v all start with %s", found, prefix)
	}
	got, err := c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(found[0])})
	if err != nil {
		t.Fatalf("DescribeStacks %s: %v", found[0], err)
	}
	return &got.Stacks[0]
}

// stackOutputs are a stack's outputs.
func stackOutputs(s *cfntypes.Stack) map[string]string {
	m := map[string]string{}
	for _, o := range s.Outputs {
		m[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return m
}

// stackResources are a stack's resources as Proton lists them
// ("logical id=physical id").
func (w *provWorld) stackResources(t *testing.T, s *cfntypes.Stack) []string {
	t.Helper()
	out, err := w.cfn.ListStackResources(context.Background(), &cloudformation.ListStackResourcesInput{StackName: s.StackId})
	if err != nil {
		t.Fatalf("ListStackResources: %v", err)
	}
	var rs []string
	for _, r := range out.StackResourceSummaries {
		rs = append(rs, aws.ToString(r.LogicalResourceId)+"="+aws.ToString(r.PhysicalResourceId))
	}
	slices.Sort(rs)
	return rs
}

// protonResources are provisioned resources as "name=identifier", each
// provisioned by CloudFormation.
func protonResources(t *testing.T, rs []types.ProvisionedResource) []string {
	t.Helper()
	var out []string
	for _, r := range rs {
		if r.ProvisioningEngine != types.ProvisionedResourceEngineCloudformation {
			t.Errorf("resource %s is provisioned by %q, want CLOUDFORMATION", aws.ToString(r.Name), r.ProvisioningEngine)
		}
		out = append(out, aws.ToString(r.Name)+"="+aws.ToString(r.Identifier))
	}
	slices.Sort(out)
	return out
}

// bucketExists reports whether the bucket exists in moto, as the account.
func (w *provWorld) bucketExists(t *testing.T, name string) bool {
	t.Helper()
	_, err := w.s3.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(name)})
	var ae smithy.APIError
	if err != nil && !(errors.As(err, &ae) && (ae.ErrorCode() == "NotFound" || ae.ErrorCode() == "NoSuchBucket")) {
		t.Fatalf("HeadBucket %s: %v", name, err)
	}
	return err == nil
}

func provEnvSpec(stage string) string {
	return "proton: EnvironmentSpec\nspec:\n  stage: " + stage + "\n"
}

// checkEnvironment checks that environment name succeeded and that its
// outputs and provisioned resources are its stack's, and returns the stack.
func (w *provWorld) checkEnvironment(t *testing.T, name string) *cfntypes.Stack {
	t.Helper()
	ctx := context.Background()
	if env := envWaitTerminal(t, w.cl, name, time.Minute); env.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Fatalf("environment %s ended %s: %s\n%s", name, env.DeploymentStatus, aws.ToString(env.DeploymentStatusMessage), w.srv.Logs())
	}
	st := w.stack(t, "AWSProton-ENV-"+name+"-")
	if st == nil {
		t.Fatalf("no stack AWSProton-ENV-%s-... in the role's account", name)
	}
	outs, err := w.cl.ListEnvironmentOutputs(ctx, &proton.ListEnvironmentOutputsInput{EnvironmentName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := svcOutputs(t, outs.Outputs), stackOutputs(st); !maps.Equal(got, want) {
		t.Errorf("environment outputs = %v, want the stack's %v", got, want)
	}
	res, err := w.cl.ListEnvironmentProvisionedResources(ctx, &proton.ListEnvironmentProvisionedResourcesInput{EnvironmentName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := protonResources(t, res.ProvisionedResources), w.stackResources(t, st); !slices.Equal(got, want) || len(got) == 0 {
		t.Errorf("provisioned resources = %v, want the stack's %v", got, want)
	}
	return st
}

// publishBucketEnv registers and publishes bucketenv 1.0, whose template
// is provEnvCFN.
func (w *provWorld) publishBucketEnv(t *testing.T) {
	t.Helper()
	files := bundletest.EnvFiles()
	files["schema/schema.yaml"] = bundletest.EnvSchema("        stage:\n          type: string\n          default: one\n")
	files["infrastructure/cloudformation.yaml"] = provEnvCFN
	envPublishBundle(t, w.cl, w.bundles, "bucketenv", bundletest.Map(t, files))
}

func TestProvisionAWSEnvironmentAndService(t *testing.T) {
	t.Parallel()
	w := provStart(t)
	ctx := context.Background()
	w.publishBucketEnv(t)

	// Create: the stack's resolved outputs and its resources.
	if _, err := w.cl.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{Name: aws.String("dev"), TemplateName: aws.String("bucketenv"),
		TemplateMajorVersion: aws.String("1"), Spec: aws.String(provEnvSpec("one")), ProtonServiceRoleArn: connRole(w.account, "proton")}); err != nil {
		t.Fatal(err)
	}
	st := w.checkEnvironment(t, "dev")
	outs := stackOutputs(st)
	bucket := outs["BucketName"]
	if st.StackStatus != cfntypes.StackStatusCreateComplete || outs["Stage"] != "one" || bucket == "" || strings.Contains(bucket, "emulated") ||
		outs["BucketArn"] != "arn:aws:s3:::"+bucket {
		t.Fatalf("stack %s is %s with outputs %v; want CREATE_COMPLETE, Stage one and a real bucket", aws.ToString(st.StackName), st.StackStatus, outs)
	}
	if !w.bucketExists(t, bucket) {
		t.Errorf("bucket %s of the stack does not exist", bucket)
	}

	// Update: the same stack changes.
	if _, err := w.cl.UpdateEnvironment(ctx, &proton.UpdateEnvironmentInput{Name: aws.String("dev"), DeploymentType: types.DeploymentUpdateTypeCurrentVersion,
		Spec: aws.String(provEnvSpec("two"))}); err != nil {
		t.Fatal(err)
	}
	up := w.checkEnvironment(t, "dev")
	if aws.ToString(up.StackId) != aws.ToString(st.StackId) || up.StackStatus != cfntypes.StackStatusUpdateComplete || stackOutputs(up)["Stage"] != "two" {
		t.Errorf("after the update the stack is %s (%s) with %v; want the same stack UPDATE_COMPLETE with Stage two",
			aws.ToString(up.StackId), up.StackStatus, stackOutputs(up))
	}

	provService(t, w, bucket)

	// Delete: the stack and its bucket are gone.
	if _, err := w.cl.DeleteEnvironment(ctx, &proton.DeleteEnvironmentInput{Name: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	provWaitGone(t, func() error {
		_, err := w.cl.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String("dev")})
		return err
	})
	_, err := w.cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: st.StackName})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" || !strings.Contains(ae.ErrorMessage(), "does not exist") {
		t.Errorf("DescribeStacks of the deleted environment's stack: %v, want ValidationError: ... does not exist", err)
	}
	if w.bucketExists(t, bucket) {
		t.Errorf("bucket %s outlived its stack", bucket)
	}
}

// provService deploys a service with an instance and a pipeline on
// environment dev, whose stack made bucket, and deletes it.
func provService(t *testing.T, w *provWorld, bucket string) {
	t.Helper()
	ctx := context.Background()
	files := bundletest.ServiceFiles()
	files["instance_infrastructure/cloudformation.yaml"] = provInstanceCFN
	files["pipeline_infrastructure/cloudformation.yaml"] = provPipelineCFN
	bundletest.WriteObject(t, w.bundles, "bucket", "websvc.tar.gz", bundletest.Map(t, files))
	if err := registerServiceTemplate(ctx, w.cl, "websvc", "bucket", "websvc.tar.gz", "bucketenv"); err != nil {
		t.Fatal(err)
	}
	// The pipeline's role is in the same account, so that the test's
	// client sees its stack too.
	if _, err := w.cl.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineServiceRoleArn: connRole(w.account, "pipeline")}); err != nil {
		t.Fatal(err)
	}
	in := svcCreate("web", "proton: ServiceSpec\npipeline:\n  branch: release\ninstances:\n  - name: front\n    environment: dev\n    spec:\n      port: 8080\n")
	in.TemplateName = aws.String("websvc")
	if _, err := w.cl.CreateService(ctx, in); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	inst := provWaitInstance(cctx, t, w.cl, "web", "front")
	if inst.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Fatalf("instance ended %s: %s", inst.DeploymentStatus, aws.ToString(inst.DeploymentStatusMessage))
	}
	ist := w.stack(t, "AWSProton-SVC-web-front-")
	if ist == nil {
		t.Fatal("no stack AWSProton-SVC-web-front-...")
	}
	iouts := stackOutputs(ist)
	if iouts["EnvironmentBucket"] != bucket || iouts["Port"] != "8080" || iouts["AssetsBucket"] == "" {
		t.Errorf("instance stack outputs = %v, want EnvironmentBucket %s (the environment's stack output), Port 8080 and a bucket", iouts, bucket)
	}
	got, err := w.cl.ListServiceInstanceOutputs(ctx, &proton.ListServiceInstanceOutputsInput{ServiceName: aws.String("web"), ServiceInstanceName: aws.String("front")})
	if err != nil {
		t.Fatal(err)
	}
	if g := svcOutputs(t, got.Outputs); !maps.Equal(g, iouts) {
		t.Errorf("instance outputs = %v, want its stack's %v", g, iouts)
	}
	ires, err := w.cl.ListServiceInstanceProvisionedResources(ctx, &proton.ListServiceInstanceProvisionedResourcesInput{ServiceName: aws.String("web"),
		ServiceInstanceName: aws.String("front")})
	if err != nil {
		t.Fatal(err)
	}
	if g, want := protonResources(t, ires.ProvisionedResources), w.stackResources(t, ist); !slices.Equal(g, want) || len(g) == 0 {
		t.Errorf("instance resources = %v, want its stack's %v", g, want)
	}

	if p := svcWaitPipeline(cctx, t, w.cl, "web"); p.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Fatalf("pipeline ended %s: %s", p.DeploymentStatus, aws.ToString(p.DeploymentStatusMessage))
	}
	pst := w.stack(t, "AWSProton-PIPELINE-web-")
	if pst == nil {
		t.Fatal("no stack AWSProton-PIPELINE-web-...")
	}
	pouts, err := w.cl.ListServicePipelineOutputs(ctx, &proton.ListServicePipelineOutputsInput{ServiceName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if g, want := svcOutputs(t, pouts.Outputs), stackOutputs(pst); !maps.Equal(g, want) || want["Instances"] != "front;" {
		t.Errorf("pipeline outputs = %v, want its stack's %v with Instances front;", g, want)
	}

	if _, err := w.cl.DeleteService(ctx, &proton.DeleteServiceInput{Name: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	provWaitGone(t, func() error {
		_, err := w.cl.GetService(ctx, &proton.GetServiceInput{Name: aws.String("web")})
		return err
	})
	for _, prefix := range []string{"AWSProton-SVC-web-front-", "AWSProton-PIPELINE-web-"} {
		if s := w.stack(t, prefix); s != nil {
			t.Errorf("stack %s is %s after the service's delete", aws.ToString(s.StackName), s.StackStatus)
		}
	}
}

// provWaitInstance waits until an instance has no deployment in flight.
func provWaitInstance(ctx context.Context, t *testing.T, cl *proton.Client, svc, name string) *types.ServiceInstance {
	t.Helper()
	for {
		got, err := cl.GetServiceInstance(ctx, &proton.GetServiceInstanceInput{ServiceName: aws.String(svc), Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		switch got.ServiceInstance.DeploymentStatus {
		case types.DeploymentStatusInProgress, types.DeploymentStatusCancelling:
		default:
			return got.ServiceInstance
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// provWaitGone waits until get answers ResourceNotFoundException.
func provWaitGone(t *testing.T, get func() error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		err := get()
		var nf *types.ResourceNotFoundException
		switch {
		case errors.As(err, &nf):
			return
		case err != nil:
			t.Fatal(err)
		case time.Now().After(deadline):
			t.Fatal("still there after a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestProvisionAWSThroughConnection: an environment provisioned through an
// environment account connection gets its stack in the environment
// account, where the management account's role cannot see it.
func TestProvisionAWSThroughConnection(t *testing.T) {
	t.Parallel()
	w := provStart(t)
	ctx := context.Background()
	w.publishBucketEnv(t)
	envAccount := connAccount()
	role := connRole(envAccount, "proton-service-role")
	conn := connCreate(t, connClient(w.srv, envAccount, "us-east-1"), envAccount, w.account, "linked")
	if _, err := w.cl.AcceptEnvironmentAccountConnection(ctx, &proton.AcceptEnvironmentAccountConnectionInput{Id: conn.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.cl.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{Name: aws.String("linked"), TemplateName: aws.String("bucketenv"),
		TemplateMajorVersion: aws.String("1"), Spec: aws.String(provEnvSpec("one")), EnvironmentAccountConnectionId: conn.Id}); err != nil {
		t.Fatal(err)
	}
	if env := envWaitTerminal(t, w.cl, "linked", time.Minute); env.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Fatalf("environment ended %s: %s", env.DeploymentStatus, aws.ToString(env.DeploymentStatusMessage))
	}
	inEnvAccount := cloudformation.NewFromConfig(w.configAs(aws.ToString(role)))
	st := stackIn(t, inEnvAccount, "AWSProton-ENV-linked-")
	if st == nil || !strings.Contains(aws.ToString(st.StackId), ":"+envAccount+":") {
		t.Fatalf("stack in the environment account = %+v, want AWSProton-ENV-linked-... of account %s", st, envAccount)
	}
	if s := w.stack(t, "AWSProton-ENV-linked-"); s != nil {
		t.Errorf("the management account sees stack %s", aws.ToString(s.StackId))
	}
	outs, err := w.cl.ListEnvironmentOutputs(ctx, &proton.ListEnvironmentOutputsInput{EnvironmentName: aws.String("linked")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := svcOutputs(t, outs.Outputs), stackOutputs(st); !maps.Equal(got, want) || want["BucketName"] == "" {
		t.Errorf("outputs = %v, want the environment account's stack's %v", got, want)
	}
	if _, err := w.cl.DeleteEnvironment(ctx, &proton.DeleteEnvironmentInput{Name: aws.String("linked")}); err != nil {
		t.Fatal(err)
	}
	provWaitGone(t, func() error {
		_, err := w.cl.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String("linked")})
		return err
	})
	if s := stackIn(t, inEnvAccount, "AWSProton-ENV-linked-"); s != nil {
		t.Errorf("stack %s is %s after the delete", aws.ToString(s.StackName), s.StackStatus)
	}
}
