package e2e

// Directly defined components through aws-sdk-go-v2 and the model's
// waiters (docs/components.md): AWS's S3 bucket component sample attached
// to an instance whose file reads its outputs with
// proton_cfn_iam_policy_arns, detached, and deleted; and the refusals of
// §2.7 and of the rules across families, each changing nothing.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/openproton/openproton/internal/awssamples"
	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// compInstanceCFN is an instance file that gives its role the managed
// policies of its component, as AWS's samples do, and shows them (and the
// component's name) as outputs.
const compInstanceCFN = `Resources:
  TaskRole:
    Type: AWS::IAM::Role
    Properties:
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
  Component:
    Value: '{{ service_instance.components.default.name | default("none") }}'
`

// compProbeCFN is a component file that shows the namespaces it sees.
const compProbeCFN = `Resources: {}
Outputs:
  Name:
    Value: '{{ component.name }}'
  Environment:
    Value: '{{ environment.name }}'
  Instance:
    Value: '{{ service_instance.name | default("none") }}/{{ service.name | default("none") }}'
  Port:
    Value: '{{ service_instance.inputs.port | default("none") }}'
`

const compCFNManifest = "infrastructure:\n  templates:\n    - file: cloudformation.yaml\n      rendering_engine: jinja\n      template_language: cloudformation\n"

// compWriteBundles writes the bundles of the components tests:
// isoWriteBundles' and compweb.tar.gz, a service template whose instance
// file reads its component's outputs.
func compWriteBundles(t *testing.T, bundles string) {
	isoWriteBundles(t, bundles)
	files := bundletest.ServiceFiles()
	files["instance_infrastructure/cloudformation.yaml"] = compInstanceCFN
	bundletest.WriteObject(t, bundles, isoBucket, "compweb.tar.gz", bundletest.Map(t, files))
}

// compBuild makes an account with environment template isotpl 1.0, service
// templates compweb (1.0 supports directly defined components) and
// plainweb (1.0 does not), environment dev with a component role and bare
// without one, and the account's pipeline role.
func compBuild(ctx context.Context, t *testing.T, srv *Server) *svcWorld {
	t.Helper()
	w := &svcWorld{account: connAccount()}
	w.cl = connClient(srv, w.account, "us-east-1")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := w.cl.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String(isoEnvTpl)})
	must(err)
	_, err = isoEnvVersion(ctx, w.cl, isoEnvTpl, "", "env.tar.gz", true)
	must(err)
	for _, tpl := range []struct {
		name    string
		sources []types.ServiceTemplateSupportedComponentSourceType
	}{{"compweb", compDirectlyDefined}, {"plainweb", nil}} {
		must(compServiceTemplate(ctx, w.cl, tpl.name, "compweb.tar.gz", isoEnvTpl, tpl.sources))
	}
	_, err = w.cl.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineServiceRoleArn: connRole(w.account, "pipeline")})
	must(err)
	for _, e := range []struct {
		name string
		role *string
	}{{"dev", connRole(w.account, "component")}, {"bare", nil}} {
		_, err := w.cl.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{Name: aws.String(e.name), TemplateName: aws.String(isoEnvTpl),
			TemplateMajorVersion: aws.String("1"), Spec: aws.String(isoSpec), ProtonServiceRoleArn: connRole(w.account, "proton"),
			ComponentRoleArn: e.role})
		must(err)
	}
	for _, e := range []string{"dev", "bare"} {
		_, err := isoWaitEnv(ctx, w.cl, e)
		must(err)
	}
	return w
}

// compDirectlyDefined is the supportedComponentSources of a service
// template version that allows directly defined components.
var compDirectlyDefined = []types.ServiceTemplateSupportedComponentSourceType{types.ServiceTemplateSupportedComponentSourceTypeDirectlyDefined}

// compServiceTemplate creates service template name with version 1.0 from
// the bundle key, compatible with major 1 of environment template env and
// with the component sources given, and publishes it once it registered.
func compServiceTemplate(ctx context.Context, cl *proton.Client, name, key, env string, sources []types.ServiceTemplateSupportedComponentSourceType) error {
	if _, err := cl.CreateServiceTemplate(ctx, &proton.CreateServiceTemplateInput{Name: aws.String(name)}); err != nil {
		return fmt.Errorf("create service template %s: %w", name, err)
	}
	if _, err := cl.CreateServiceTemplateVersion(ctx, &proton.CreateServiceTemplateVersionInput{TemplateName: aws.String(name),
		Source: isoSource(key), SupportedComponentSources: sources,
		CompatibleEnvironmentTemplates: []types.CompatibleEnvironmentTemplateInput{{TemplateName: aws.String(env), MajorVersion: aws.String("1")}}}); err != nil {
		return fmt.Errorf("create a version of %s: %w", name, err)
	}
	return publishServiceVersion(ctx, cl, &proton.GetServiceTemplateVersionInput{TemplateName: aws.String(name),
		MajorVersion: aws.String("1"), MinorVersion: aws.String("0")})
}

// compCreateService creates a service of template tpl with instances a
// and b in dev, and waits for it.
func compCreateService(ctx context.Context, t *testing.T, cl *proton.Client, name, tpl string) {
	t.Helper()
	in := svcCreate(name, svcSpec("a@dev", "b@dev"))
	in.TemplateName = aws.String(tpl)
	if _, err := cl.CreateService(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := proton.NewServiceCreatedWaiter(cl, func(o *proton.ServiceCreatedWaiterOptions) { o.MinDelay, o.MaxDelay = compPoll, compPoll }).
		Wait(ctx, &proton.GetServiceInput{Name: aws.String(name)}, time.Minute); err != nil {
		t.Fatalf("service_created %s: %v", name, err)
	}
}

const compPoll = 200 * time.Millisecond

// compInstanceOutputs redeploys instance a of svc1 and returns its outputs.
func compInstanceOutputs(ctx context.Context, t *testing.T, cl *proton.Client) map[string]string {
	t.Helper()
	if _, err := cl.UpdateServiceInstance(ctx, &proton.UpdateServiceInstanceInput{ServiceName: aws.String("svc1"), Name: aws.String("a"),
		DeploymentType: types.DeploymentUpdateTypeCurrentVersion}); err != nil {
		t.Fatal(err)
	}
	if err := proton.NewServiceInstanceDeployedWaiter(cl, func(o *proton.ServiceInstanceDeployedWaiterOptions) { o.MinDelay, o.MaxDelay = compPoll, compPoll }).
		Wait(ctx, &proton.GetServiceInstanceInput{ServiceName: aws.String("svc1"), Name: aws.String("a")}, time.Minute); err != nil {
		t.Fatalf("service_instance_deployed: %v", err)
	}
	outs, err := cl.ListServiceInstanceOutputs(ctx, &proton.ListServiceInstanceOutputsInput{ServiceName: aws.String("svc1"), ServiceInstanceName: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	return svcOutputs(t, outs.Outputs)
}

// TestComponentsGoSDK: AWS's S3 bucket component, attached to an instance
// whose file gives its role the component's policy, detached, and deleted,
// with the model's waiters; and every refusal of §2.7.
func TestComponentsGoSDK(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	compWriteBundles(t, bundles)
	srv := connStartServer(t, "--store", "memory", "--bundle-dir", bundles, "--provisioner-delay", "300ms")
	t.Cleanup(func() { connNo5xx(t, srv) })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w := compBuild(ctx, t, srv)
	cl := w.cl
	compCreateService(ctx, t, cl, "svc1", "compweb")
	compCreateService(ctx, t, cl, "plain1", "plainweb")
	if got := compInstanceOutputs(ctx, t, cl); got["Policies"] != "base" || got["Component"] != "none" {
		t.Errorf("instance without a component: %v", got)
	}
	s3, err := awssamples.S3BucketComponent(awssamples.CloudFormation)
	if err != nil {
		t.Fatal(err)
	}
	tfS3, err := awssamples.S3BucketComponent(awssamples.Terraform)
	if err != nil {
		t.Fatal(err)
	}

	compRefusals(ctx, t, cl, s3, tfS3)

	// Attach AWS's sample.
	deployed := proton.NewComponentDeployedWaiter(cl, func(o *proton.ComponentDeployedWaiterOptions) { o.MinDelay, o.MaxDelay = compPoll, compPoll })
	create := &proton.CreateComponentInput{Name: aws.String("bucket"), ServiceName: aws.String("svc1"), ServiceInstanceName: aws.String("a"),
		Manifest: aws.String(s3.Manifest), TemplateFile: aws.String(s3.TemplateFile), ClientToken: aws.String("bucket-1"), Tags: isoTeamTag()}
	c, err := cl.CreateComponent(ctx, create)
	if err != nil {
		t.Fatal(err)
	}
	if c.Component.DeploymentStatus != types.DeploymentStatusInProgress || aws.ToString(c.Component.EnvironmentName) != "dev" {
		t.Errorf("created component = %s in %q", c.Component.DeploymentStatus, aws.ToString(c.Component.EnvironmentName))
	}
	if again, err := cl.CreateComponent(ctx, create); err != nil || aws.ToString(again.Component.LastAttemptedDeploymentId) != aws.ToString(c.Component.LastAttemptedDeploymentId) {
		t.Errorf("repeated CreateComponent with its client token: %v", err)
	}
	if err := deployed.Wait(ctx, &proton.GetComponentInput{Name: aws.String("bucket")}, time.Minute); err != nil {
		t.Fatalf("component_deployed: %v", err)
	}
	couts, err := cl.ListComponentOutputs(ctx, &proton.ListComponentOutputsInput{ComponentName: aws.String("bucket")})
	if err != nil {
		t.Fatal(err)
	}
	policy := "arn:aws:iam::" + w.account + ":policy/emulated/S3BucketAccessPolicy"
	if got := svcOutputs(t, couts.Outputs); got["BucketAccessPolicyArn"] != policy || got["BucketName"] != "emulated:S3Bucket.Arn" {
		t.Errorf("component outputs = %v", got)
	}

	// The attached component holds its instance, service and environment.
	compHeld(ctx, t, cl, s3)

	// The instance's file, deployed again, gives the role the policy.
	if got := compInstanceOutputs(ctx, t, cl); got["Policies"] != "base,"+policy || got["Component"] != "bucket" {
		t.Errorf("instance with the component: %v, want its policy %s", got, policy)
	}

	// A component's update waits for its instance, and the other way round.
	if _, err := cl.UpdateServiceInstance(ctx, &proton.UpdateServiceInstanceInput{ServiceName: aws.String("svc1"), Name: aws.String("a"),
		DeploymentType: types.DeploymentUpdateTypeCurrentVersion}); err != nil {
		t.Fatal(err)
	}
	_, err = cl.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String("bucket"), DeploymentType: types.ComponentDeploymentUpdateTypeCurrentVersion})
	svcExpectCode(t, "component update while its instance deploys", err, "ConflictException")
	if err := proton.NewServiceInstanceDeployedWaiter(cl, func(o *proton.ServiceInstanceDeployedWaiterOptions) { o.MinDelay, o.MaxDelay = compPoll, compPoll }).
		Wait(ctx, &proton.GetServiceInstanceInput{ServiceName: aws.String("svc1"), Name: aws.String("a")}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String("bucket"), DeploymentType: types.ComponentDeploymentUpdateTypeCurrentVersion,
		Description: aws.String("the bucket")}); err != nil {
		t.Fatal(err)
	}
	_, err = cl.UpdateServiceInstance(ctx, &proton.UpdateServiceInstanceInput{ServiceName: aws.String("svc1"), Name: aws.String("a"),
		DeploymentType: types.DeploymentUpdateTypeCurrentVersion})
	svcExpectCode(t, "instance update while its component deploys", err, "ConflictException")
	_, err = cl.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String("bucket"), DeploymentType: types.ComponentDeploymentUpdateTypeCurrentVersion})
	svcExpectCode(t, "component update while it deploys", err, "ConflictException")
	if err := deployed.Wait(ctx, &proton.GetComponentInput{Name: aws.String("bucket")}, time.Minute); err != nil {
		t.Fatalf("component_deployed after the update: %v", err)
	}

	// Detach it: the instance deploys without it.
	d, err := cl.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String("bucket"), DeploymentType: types.ComponentDeploymentUpdateTypeCurrentVersion,
		ServiceName: aws.String(""), ServiceInstanceName: aws.String(""), TemplateFile: aws.String(compProbeCFN)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Component.ServiceName != nil || d.Component.ServiceInstanceName != nil || aws.ToString(d.Component.EnvironmentName) != "dev" {
		t.Errorf("detached component = %+v", d.Component)
	}
	_, err = cl.CancelComponentDeployment(ctx, &proton.CancelComponentDeploymentInput{ComponentName: aws.String("bucket")})
	svcExpectCode(t, "cancel of a detach", err, "ConflictException")
	if err := deployed.Wait(ctx, &proton.GetComponentInput{Name: aws.String("bucket")}, time.Minute); err != nil {
		t.Fatalf("component_deployed after the detach: %v", err)
	}
	couts, err = cl.ListComponentOutputs(ctx, &proton.ListComponentOutputsInput{ComponentName: aws.String("bucket")})
	if got := svcOutputs(t, couts.Outputs); err != nil || got["Name"] != "bucket" || got["Environment"] != "dev" || got["Instance"] != "none/none" {
		t.Errorf("a detached component sees %v (%v), want its name and environment only", got, err)
	}
	if got := compInstanceOutputs(ctx, t, cl); got["Policies"] != "base" || got["Component"] != "none" {
		t.Errorf("instance after the detach: %v", got)
	}

	// History, lists, counts, tags.
	deps, err := cl.ListDeployments(ctx, &proton.ListDeploymentsInput{ComponentName: aws.String("bucket")})
	if err != nil || len(deps.Deployments) != 3 || aws.ToString(deps.Deployments[0].ComponentName) != "bucket" {
		t.Fatalf("component deployments = %+v, %v", deps, err)
	}
	first, err := cl.GetDeployment(ctx, &proton.GetDeploymentInput{Id: deps.Deployments[2].Id, ComponentName: aws.String("bucket")})
	if err != nil {
		t.Fatal(err)
	}
	st, ok := first.Deployment.TargetState.(*types.DeploymentStateMemberComponent)
	if !ok || aws.ToString(st.Value.ServiceInstanceName) != "a" || !strings.Contains(aws.ToString(st.Value.TemplateFile), "S3BucketAccessPolicy") {
		t.Errorf("first deployment's target state = %#v", first.Deployment.TargetState)
	}
	// Old deployments can go, the last ones cannot.
	_, err = cl.DeleteDeployment(ctx, &proton.DeleteDeploymentInput{Id: deps.Deployments[0].Id})
	svcExpectCode(t, "delete of the component's last deployment", err, "ConflictException")
	if _, err := cl.DeleteDeployment(ctx, &proton.DeleteDeploymentInput{Id: deps.Deployments[2].Id}); err != nil {
		t.Errorf("delete of the component's first deployment: %v", err)
	}
	if left, err := cl.ListDeployments(ctx, &proton.ListDeploymentsInput{ComponentName: aws.String("bucket")}); err != nil || len(left.Deployments) != 2 {
		t.Errorf("component deployments after a delete: %+v, %v", left, err)
	}
	for _, in := range []*proton.ListComponentsInput{{EnvironmentName: aws.String("dev")}, {}} {
		list, err := cl.ListComponents(ctx, in)
		if err != nil || len(list.Components) != 1 || aws.ToString(list.Components[0].Name) != "bucket" {
			t.Errorf("ListComponents(%v) = %+v, %v", aws.ToString(in.EnvironmentName), list, err)
		}
	}
	if list, err := cl.ListComponents(ctx, &proton.ListComponentsInput{ServiceName: aws.String("svc1"), ServiceInstanceName: aws.String("a")}); err != nil || len(list.Components) != 0 {
		t.Errorf("components of svc1/a after the detach: %+v, %v", list, err)
	}
	sum, err := cl.GetResourcesSummary(ctx, &proton.GetResourcesSummaryInput{})
	if err != nil || aws.ToInt32(sum.Counts.Components.Total) != 1 || aws.ToInt32(sum.Counts.Components.Failed) != 0 {
		t.Errorf("summary components = %+v, %v", sum, err)
	}
	if tags, err := isoTags(ctx, cl, aws.ToString(c.Component.Arn)); err != nil || tags != "team=a" {
		t.Errorf("tags of the component: %q, %v", tags, err)
	}

	// An attached component's file sees its instance, with the inputs its
	// service spec gives.
	if _, err := cl.CreateComponent(ctx, &proton.CreateComponentInput{Name: aws.String("probe"), ServiceName: aws.String("svc1"),
		ServiceInstanceName: aws.String("b"), ServiceSpec: aws.String(svcSpec("a@dev", "b@dev:9090")), Manifest: aws.String(compCFNManifest),
		TemplateFile: aws.String(compProbeCFN)}); err != nil {
		t.Fatal(err)
	}
	if err := deployed.Wait(ctx, &proton.GetComponentInput{Name: aws.String("probe")}, time.Minute); err != nil {
		t.Fatalf("component_deployed of the probe: %v", err)
	}
	pouts, err := cl.ListComponentOutputs(ctx, &proton.ListComponentOutputsInput{ComponentName: aws.String("probe")})
	if got := svcOutputs(t, pouts.Outputs); err != nil || got["Name"] != "probe" || got["Environment"] != "dev" || got["Instance"] != "b/svc1" || got["Port"] != "9090" {
		t.Errorf("an attached component sees %v (%v)", got, err)
	}
	if _, err := cl.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String("probe"), DeploymentType: types.ComponentDeploymentUpdateTypeCurrentVersion,
		ServiceName: aws.String(""), ServiceInstanceName: aws.String("")}); err != nil {
		t.Fatal(err)
	}
	if err := deployed.Wait(ctx, &proton.GetComponentInput{Name: aws.String("probe")}, time.Minute); err != nil {
		t.Fatalf("component_deployed of the detached probe: %v", err)
	}
	if got, err := cl.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String("probe")}); err != nil || got.Component.ServiceSpec != nil {
		t.Errorf("a detached component keeps its service spec: %+v, %v", got, err)
	}

	// Delete them.
	if _, err := cl.DeleteComponent(ctx, &proton.DeleteComponentInput{Name: aws.String("probe")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.DeleteComponent(ctx, &proton.DeleteComponentInput{Name: aws.String("bucket")}); err != nil {
		t.Fatal(err)
	}
	if err := proton.NewComponentDeletedWaiter(cl, func(o *proton.ComponentDeletedWaiterOptions) { o.MinDelay, o.MaxDelay = compPoll, compPoll }).
		Wait(ctx, &proton.GetComponentInput{Name: aws.String("bucket")}, time.Minute); err != nil {
		t.Fatalf("component_deleted: %v", err)
	}
	if out, err := cl.DeleteComponent(ctx, &proton.DeleteComponentInput{Name: aws.String("bucket")}); err != nil || out.Component != nil {
		t.Errorf("repeated delete after it ended: %+v, %v", out, err)
	}
	if _, err := cl.DeleteService(ctx, &proton.DeleteServiceInput{Name: aws.String("svc1")}); err != nil {
		t.Fatal(err)
	}
	if err := proton.NewServiceDeletedWaiter(cl, func(o *proton.ServiceDeletedWaiterOptions) { o.MinDelay, o.MaxDelay = compPoll, compPoll }).
		Wait(ctx, &proton.GetServiceInput{Name: aws.String("svc1")}, time.Minute); err != nil {
		t.Fatalf("service_deleted: %v", err)
	}
}

// compRefusals checks the refusals of CreateComponent: each is the
// modelled error, and no component is left.
func compRefusals(ctx context.Context, t *testing.T, cl *proton.Client, s3, tfS3 awssamples.Component) {
	t.Helper()
	base := proton.CreateComponentInput{Name: aws.String("refused"), Manifest: aws.String(s3.Manifest), TemplateFile: aws.String(s3.TemplateFile)}
	with := func(f func(*proton.CreateComponentInput)) *proton.CreateComponentInput {
		in := base
		f(&in)
		return &in
	}
	for _, c := range []struct {
		what string
		in   *proton.CreateComponentInput
		code string
	}{
		{"neither environment nor instance", with(func(*proton.CreateComponentInput) {}), "ValidationException"},
		{"a service without an instance", with(func(in *proton.CreateComponentInput) { in.ServiceName = aws.String("svc1") }), "ValidationException"},
		{"an environment without a component role", with(func(in *proton.CreateComponentInput) { in.EnvironmentName = aws.String("bare") }), "ValidationException"},
		{"a service spec for a detached component", with(func(in *proton.CreateComponentInput) {
			in.EnvironmentName, in.ServiceSpec = aws.String("dev"), aws.String(svcSpec("a@dev"))
		}), "ValidationException"},
		{"a version without DIRECTLY_DEFINED", with(func(in *proton.CreateComponentInput) {
			in.ServiceName, in.ServiceInstanceName = aws.String("plain1"), aws.String("a")
		}), "ValidationException"},
		{"an instance in another environment", with(func(in *proton.CreateComponentInput) {
			in.ServiceName, in.ServiceInstanceName, in.EnvironmentName = aws.String("svc1"), aws.String("a"), aws.String("bare")
		}), "ValidationException"},
		{"Terraform in an AWS-managed environment", with(func(in *proton.CreateComponentInput) {
			in.EnvironmentName, in.Manifest, in.TemplateFile = aws.String("dev"), aws.String(tfS3.Manifest), aws.String(tfS3.TemplateFile)
		}), "ValidationException"},
		{"CodeBuild", with(func(in *proton.CreateComponentInput) {
			in.EnvironmentName = aws.String("dev")
			in.Manifest = aws.String("infrastructure:\n  templates:\n    - rendering_engine: codebuild\n      settings:\n        image: x\n        provision: [a]\n        deprovision: [b]\n")
		}), "ValidationException"},
		{"two files", with(func(in *proton.CreateComponentInput) {
			in.EnvironmentName = aws.String("dev")
			in.Manifest = aws.String(compCFNManifest + "    - file: other.yaml\n      rendering_engine: jinja\n      template_language: cloudformation\n")
		}), "ValidationException"},
		{"a missing instance", with(func(in *proton.CreateComponentInput) {
			in.ServiceName, in.ServiceInstanceName = aws.String("svc1"), aws.String("nope")
		}), "ResourceNotFoundException"},
		{"a missing environment", with(func(in *proton.CreateComponentInput) { in.EnvironmentName = aws.String("nowhere") }), "ResourceNotFoundException"},
		{"a service spec without the instance", with(func(in *proton.CreateComponentInput) {
			in.ServiceName, in.ServiceInstanceName, in.ServiceSpec = aws.String("svc1"), aws.String("a"), aws.String(svcSpec("b@dev"))
		}), "ValidationException"},
		{"a service spec the template's schema refuses", with(func(in *proton.CreateComponentInput) {
			in.ServiceName, in.ServiceInstanceName, in.ServiceSpec = aws.String("svc1"), aws.String("a"), aws.String(svcSpec(`a@dev:"not a port"`))
		}), "ValidationException"},
	} {
		_, err := cl.CreateComponent(ctx, c.in)
		svcExpectCode(t, c.what, err, c.code)
	}
	_, err := cl.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String("refused")})
	svcExpectCode(t, "a refused component", err, "ResourceNotFoundException")
}

// compHeld checks what the component attached to svc1/a holds: a second
// component, deleting it, its instance, its service and its environment,
// and moving it to another instance are refused, and nothing changes.
func compHeld(ctx context.Context, t *testing.T, cl *proton.Client, s3 awssamples.Component) {
	t.Helper()
	before, err := cl.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String("bucket")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.CreateComponent(ctx, &proton.CreateComponentInput{Name: aws.String("second"), ServiceName: aws.String("svc1"),
		ServiceInstanceName: aws.String("a"), Manifest: aws.String(s3.Manifest), TemplateFile: aws.String(s3.TemplateFile)})
	svcExpectCode(t, "a second component on one instance", err, "ConflictException")
	_, err = cl.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String("second")})
	svcExpectCode(t, "the refused second component", err, "ResourceNotFoundException")
	_, err = cl.DeleteComponent(ctx, &proton.DeleteComponentInput{Name: aws.String("bucket")})
	svcExpectCode(t, "delete of an attached component", err, "ConflictException")
	_, err = cl.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String("bucket"), DeploymentType: types.ComponentDeploymentUpdateTypeCurrentVersion,
		ServiceName: aws.String("svc1"), ServiceInstanceName: aws.String("b")})
	svcExpectCode(t, "moving a component straight to another instance", err, "ConflictException")
	_, err = cl.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String("bucket"), DeploymentType: types.ComponentDeploymentUpdateTypeCurrentVersion,
		ServiceName: aws.String("")})
	svcExpectCode(t, "one of the two names", err, "ValidationException")
	_, err = cl.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String("bucket"), DeploymentType: types.ComponentDeploymentUpdateTypeNone,
		TemplateFile: aws.String("x")})
	svcExpectCode(t, "NONE with a template file", err, "ValidationException")
	_, err = cl.DeleteService(ctx, &proton.DeleteServiceInput{Name: aws.String("svc1")})
	svcExpectCode(t, "delete of a service with a component", err, "ConflictException")
	_, err = cl.UpdateService(ctx, &proton.UpdateServiceInput{Name: aws.String("svc1"), Spec: aws.String(svcSpec("b@dev"))})
	svcExpectCode(t, "removing an instance with a component", err, "ConflictException")
	_, err = cl.DeleteEnvironment(ctx, &proton.DeleteEnvironmentInput{Name: aws.String("dev")})
	svcExpectCode(t, "delete of an environment with a component", err, "ConflictException")
	svc, err := cl.GetService(ctx, &proton.GetServiceInput{Name: aws.String("svc1")})
	if err != nil || svc.Service.Status != types.ServiceStatusActive {
		t.Errorf("service after the refusals: %+v, %v", svc, err)
	}
	if _, err := cl.GetServiceInstance(ctx, &proton.GetServiceInstanceInput{ServiceName: aws.String("svc1"), Name: aws.String("a")}); err != nil {
		t.Errorf("instance after the refusals: %v", err)
	}
	after, err := cl.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String("bucket")})
	if err != nil || aws.ToString(after.Component.LastAttemptedDeploymentId) != aws.ToString(before.Component.LastAttemptedDeploymentId) ||
		!after.Component.LastModifiedAt.Equal(*before.Component.LastModifiedAt) {
		t.Errorf("component changed by the refusals: %+v, %v", after, err)
	}
}

// TestComponentsWaitersClients runs python/test_components_waiters.py: the
// model's ComponentDeployed and ComponentDeleted waiters (success and
// failure) through boto3 and through `aws proton wait`, on AWS's S3 bucket
// component attached to an instance that reads its policy, and on its
// Terraform twin in a self-managed environment.
func TestComponentsWaitersClients(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	srv := StartServer(t, "--bundle-dir", bundles, "--provisioner-delay", "1s")
	t.Cleanup(func() { connNo5xx(t, srv) })
	env := []string{"OPENPROTON_BUNDLE_DIR=" + bundles}
	for target, tests := range map[string]int{"Boto3Waiters": 2, "CLIWaiters": 1, "DeleteFailed": 2} {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			out := RunPython(t, srv, env, tests, "python.test_components_waiters."+target)
			connLogRun(t, out)
		})
	}
}

// compNotify reports the end of the last deployment of the resource arn,
// as self-managed automation does.
func compNotify(ctx context.Context, t *testing.T, cl *proton.Client, arn string, outs map[string]string) {
	t.Helper()
	in := &proton.NotifyResourceDeploymentStatusChangeInput{ResourceArn: aws.String(arn), Status: types.ResourceDeploymentStatusSucceeded}
	for k, v := range outs {
		in.Outputs = append(in.Outputs, types.Output{Key: aws.String(k), ValueString: aws.String(v)})
	}
	if _, err := cl.NotifyResourceDeploymentStatusChange(ctx, in); err != nil {
		t.Fatalf("notify %s: %v", arn, err)
	}
}

// TestComponentsTerraformGoSDK: AWS's Terraform S3 bucket component,
// attached to an instance of a self-managed (Terraform) service in a
// self-managed environment: its deployments wait for the customer's
// automation (NotifyResourceDeploymentStatusChange), which reports its
// outputs; it is detached and deleted the same way.
func TestComponentsTerraformGoSDK(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	compWriteBundles(t, bundles)
	srv := connStartServer(t, "--store", "memory", "--bundle-dir", bundles, "--provisioner-delay", "100ms")
	t.Cleanup(func() { connNo5xx(t, srv) })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	account := connAccount()
	cl := connClient(srv, account, "us-east-1")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := cl.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String(isoTfTpl)})
	must(err)
	_, err = isoEnvVersion(ctx, cl, isoTfTpl, "", "tf.tar.gz", true)
	must(err)
	repo := &types.RepositoryBranchInput{Provider: types.RepositoryProviderGithub, Name: aws.String("example-org/infra"), Branch: aws.String("main")}
	env, err := cl.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{Name: aws.String("tfdev"), TemplateName: aws.String(isoTfTpl),
		TemplateMajorVersion: aws.String("1"), Spec: aws.String(isoSpec), ProvisioningRepository: repo})
	must(err)
	compNotify(ctx, t, cl, aws.ToString(env.Environment.Arn), nil)
	_, err = cl.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineProvisioningRepository: repo})
	must(err)
	must(compServiceTemplate(ctx, cl, "tfweb", "svctf.tar.gz", isoTfTpl, compDirectlyDefined))
	in := svcCreate("tfsvc", svcSpec("a@tfdev"))
	in.TemplateName = aws.String("tfweb")
	svc, err := cl.CreateService(ctx, in)
	must(err)
	instance := aws.ToString(svc.Service.Arn) + "/service-instance/a"
	compNotify(ctx, t, cl, instance, nil)
	compNotify(ctx, t, cl, aws.ToString(svc.Service.Pipeline.Arn), nil)
	if err := proton.NewServiceCreatedWaiter(cl, func(o *proton.ServiceCreatedWaiterOptions) { o.MinDelay, o.MaxDelay = compPoll, compPoll }).
		Wait(ctx, &proton.GetServiceInput{Name: aws.String("tfsvc")}, time.Minute); err != nil {
		t.Fatalf("service_created: %v", err)
	}

	tf, err := awssamples.S3BucketComponent(awssamples.Terraform)
	must(err)
	s3, err := awssamples.S3BucketComponent(awssamples.CloudFormation)
	must(err)
	_, err = cl.CreateComponent(ctx, &proton.CreateComponentInput{Name: aws.String("cfn"), EnvironmentName: aws.String("tfdev"),
		Manifest: aws.String(s3.Manifest), TemplateFile: aws.String(s3.TemplateFile)})
	svcExpectCode(t, "CloudFormation in a self-managed environment", err, "ValidationException")
	c, err := cl.CreateComponent(ctx, &proton.CreateComponentInput{Name: aws.String("bucket"), ServiceName: aws.String("tfsvc"),
		ServiceInstanceName: aws.String("a"), Manifest: aws.String(tf.Manifest), TemplateFile: aws.String(tf.TemplateFile)})
	must(err)
	// Nothing provisions it but the customer's automation.
	time.Sleep(500 * time.Millisecond)
	if got, err := cl.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String("bucket")}); err != nil || got.Component.DeploymentStatus != types.DeploymentStatusInProgress {
		t.Fatalf("self-managed component before its notification: %+v, %v", got, err)
	}
	policy := "arn:aws:iam::" + account + ":policy/terraform-component"
	compNotify(ctx, t, cl, aws.ToString(c.Component.Arn), map[string]string{"BucketArn": "arn:aws:s3:::component-bucket", "BucketAccessPolicyArn": policy})
	deployed := proton.NewComponentDeployedWaiter(cl, func(o *proton.ComponentDeployedWaiterOptions) { o.MinDelay, o.MaxDelay = compPoll, compPoll })
	if err := deployed.Wait(ctx, &proton.GetComponentInput{Name: aws.String("bucket")}, time.Minute); err != nil {
		t.Fatalf("component_deployed: %v", err)
	}
	outs, err := cl.ListComponentOutputs(ctx, &proton.ListComponentOutputsInput{ComponentName: aws.String("bucket")})
	if got := svcOutputs(t, outs.Outputs); err != nil || got["BucketAccessPolicyArn"] != policy {
		t.Errorf("outputs of the Terraform component: %v, %v", got, err)
	}
	first, err := cl.GetDeployment(ctx, &proton.GetDeploymentInput{Id: c.Component.LastAttemptedDeploymentId})
	must(err)
	if st, ok := first.Deployment.TargetState.(*types.DeploymentStateMemberComponent); !ok || aws.ToString(st.Value.TemplateFile) != tf.TemplateFile {
		t.Errorf("the deployment's state does not hold the component's file: %#v", first.Deployment.TargetState)
	}

	// Detach it, then delete it: each waits for the automation too.
	if _, err := cl.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String("bucket"), DeploymentType: types.ComponentDeploymentUpdateTypeCurrentVersion,
		ServiceName: aws.String(""), ServiceInstanceName: aws.String("")}); err != nil {
		t.Fatal(err)
	}
	compNotify(ctx, t, cl, aws.ToString(c.Component.Arn), nil)
	if err := deployed.Wait(ctx, &proton.GetComponentInput{Name: aws.String("bucket")}, time.Minute); err != nil {
		t.Fatalf("component_deployed after the detach: %v", err)
	}
	if _, err := cl.DeleteComponent(ctx, &proton.DeleteComponentInput{Name: aws.String("bucket")}); err != nil {
		t.Fatal(err)
	}
	compNotify(ctx, t, cl, aws.ToString(c.Component.Arn), nil)
	if err := proton.NewComponentDeletedWaiter(cl, func(o *proton.ComponentDeletedWaiterOptions) { o.MinDelay, o.MaxDelay = compPoll, compPoll }).
		Wait(ctx, &proton.GetComponentInput{Name: aws.String("bucket")}, time.Minute); err != nil {
		t.Fatalf("component_deleted: %v", err)
	}
}

// TestComponentsQuota: a create over --quota-components is
// ServiceQuotaExceededException and makes nothing; a delete frees the room.
func TestComponentsQuota(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	isoWriteBundles(t, bundles)
	srv := connStartServer(t, "--store", "memory", "--bundle-dir", bundles, "--provisioner-delay", "50ms", "--quota-components", "1")
	t.Cleanup(func() { connNo5xx(t, srv) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	account := connAccount()
	cl := connClient(srv, account, "us-east-1")
	if _, err := cl.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String(isoEnvTpl)}); err != nil {
		t.Fatal(err)
	}
	if _, err := isoEnvVersion(ctx, cl, isoEnvTpl, "", "env.tar.gz", true); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{Name: aws.String("dev"), TemplateName: aws.String(isoEnvTpl),
		TemplateMajorVersion: aws.String("1"), Spec: aws.String(isoSpec), ProtonServiceRoleArn: connRole(account, "proton"),
		ComponentRoleArn: connRole(account, "component")}); err != nil {
		t.Fatal(err)
	}
	if _, err := isoWaitEnv(ctx, cl, "dev"); err != nil {
		t.Fatal(err)
	}
	create := func(name string) error {
		_, err := cl.CreateComponent(ctx, &proton.CreateComponentInput{Name: aws.String(name), EnvironmentName: aws.String("dev"),
			Manifest: aws.String(compCFNManifest), TemplateFile: aws.String(compProbeCFN)})
		return err
	}
	if err := create("first"); err != nil {
		t.Fatal(err)
	}
	svcExpectCode(t, "a component over the quota", create("second"), "ServiceQuotaExceededException")
	_, err := cl.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String("second")})
	svcExpectCode(t, "the component over the quota", err, "ResourceNotFoundException")
	waiter := proton.NewComponentDeployedWaiter(cl, func(o *proton.ComponentDeployedWaiterOptions) { o.MinDelay, o.MaxDelay = compPoll, compPoll })
	if err := waiter.Wait(ctx, &proton.GetComponentInput{Name: aws.String("first")}, time.Minute); err != nil {
		t.Fatal(err)
	}
	// A detached component holds its environment.
	_, err = cl.DeleteEnvironment(ctx, &proton.DeleteEnvironmentInput{Name: aws.String("dev")})
	svcExpectCode(t, "delete of an environment with a detached component", err, "ConflictException")
	if env, err := cl.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String("dev")}); err != nil || env.Environment.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Errorf("environment after the refused delete: %+v, %v", env, err)
	}
	if _, err := cl.DeleteComponent(ctx, &proton.DeleteComponentInput{Name: aws.String("first")}); err != nil {
		t.Fatal(err)
	}
	if err := proton.NewComponentDeletedWaiter(cl, func(o *proton.ComponentDeletedWaiterOptions) { o.MinDelay, o.MaxDelay = compPoll, compPoll }).
		Wait(ctx, &proton.GetComponentInput{Name: aws.String("first")}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := create("second"); err != nil {
		t.Errorf("a create after the delete: %v", err)
	}
}
