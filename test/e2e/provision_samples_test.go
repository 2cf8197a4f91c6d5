package e2e

// AWS's CloudFormation sample environments under --provisioner aws,
// against moto_server (with the fixes of provMotoPatch): each that moto
// can run deploys as a real stack, with the stack's resolved outputs, and
// a service renders with those outputs and deploys beside it; the others
// fail, for want of resource types that moto's CloudFormation does not
// implement (provSamplesMotoCannot; docs/provisioning.md says so).

import (
	"context"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"

	"github.com/openproton/openproton/internal/awssamples"
	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// provSamplesMotoCannot are the sample environments that moto 5.2 cannot
// run, with the resource type its CloudFormation lacks.
var provSamplesMotoCannot = map[string]string{
	"ecs-ec2-env": "AWS::ServiceDiscovery::PrivateDnsNamespace",
	"fargate-env": "AWS::ServiceDiscovery::PrivateDnsNamespace",
	"vpc-env":     "AWS::AppRunner::VpcConnector",
}

func TestProvisionAWSSamples(t *testing.T) {
	t.Parallel()
	w := provStart(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	templates, err := awssamples.Templates(awssamples.CloudFormation)
	if err != nil {
		t.Fatal(err)
	}
	envs := awssamples.Of(templates, awssamples.Environment)
	s := sampleDeployer{t: t, c: w.cl, account: w.account, repo: awssamples.CloudFormation, note: func(string, ...any) {}}
	for _, tpl := range envs {
		data, err := tpl.Bundle()
		if err != nil {
			t.Fatal(err)
		}
		bundletest.WriteObject(t, w.bundles, "samples", s.key(tpl), data)
	}
	s.all(envs, func(tpl awssamples.Template) error { return s.register(ctx, tpl) })
	deployed := make(map[string]map[string]string, len(envs))
	for _, tpl := range envs {
		if _, err := w.cl.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{Name: aws.String(tpl.Name), TemplateName: aws.String(tpl.Name),
			TemplateMajorVersion: aws.String("1"), Spec: aws.String(tpl.Spec), ProtonServiceRoleArn: connRole(w.account, "proton")}); err != nil {
			t.Fatalf("%s: %v", tpl.Path, err)
		}
	}
	for _, tpl := range envs {
		e := envWaitTerminal(t, w.cl, tpl.Name, 2*time.Minute)
		lacks, cannot := provSamplesMotoCannot[tpl.Name]
		switch {
		case cannot && e.DeploymentStatus == types.DeploymentStatusSucceeded:
			t.Errorf("%s deployed, though moto lacks %s: take it off provSamplesMotoCannot", tpl.Path, lacks)
		case cannot:
			t.Logf("%s: %s (moto's CloudFormation lacks %s)", tpl.Path, e.DeploymentStatus, lacks)
		case e.DeploymentStatus != types.DeploymentStatusSucceeded:
			t.Errorf("%s ended %s: %s", tpl.Path, e.DeploymentStatus, aws.ToString(e.DeploymentStatusMessage))
		default:
			deployed[tpl.Name] = w.sampleOutputs(t, tpl)
		}
	}
	if len(deployed) != len(envs)-len(provSamplesMotoCannot) {
		t.Fatalf("%d sample environments deployed, want %d", len(deployed), len(envs)-len(provSamplesMotoCannot))
	}
	w.serviceOnSample(t, deployed)
}

// sampleOutputs checks that the environment of a sample deployed as a
// stack whose resolved outputs it has, and returns them.
func (w *provWorld) sampleOutputs(t *testing.T, tpl awssamples.Template) map[string]string {
	t.Helper()
	st := w.stack(t, "AWSProton-ENV-"+tpl.Name+"-")
	if st == nil {
		t.Fatalf("%s: no stack", tpl.Path)
	}
	outs, err := w.cl.ListEnvironmentOutputs(context.Background(), &proton.ListEnvironmentOutputsInput{EnvironmentName: aws.String(tpl.Name)})
	if err != nil {
		t.Fatal(err)
	}
	got, want := svcOutputs(t, outs.Outputs), stackOutputs(st)
	if !maps.Equal(got, want) || len(got) == 0 {
		t.Errorf("%s: outputs %v, want the stack's %v", tpl.Path, got, want)
	}
	for k, v := range got {
		if strings.HasPrefix(v, "emulated:") {
			t.Errorf("%s: output %s is %q, a placeholder", tpl.Path, k, v)
		}
	}
	return got
}

// serviceOnSample deploys a service of its own on the first sample
// environment (by name) that deployed: its instance file renders the
// environment's outputs, which must be the environment stack's.
func (w *provWorld) serviceOnSample(t *testing.T, deployed map[string]map[string]string) {
	t.Helper()
	ctx := context.Background()
	names := slices.Sorted(maps.Keys(deployed))
	env := names[0]
	outs := deployed[env]
	keys := slices.Sorted(maps.Keys(outs))
	var b strings.Builder
	b.WriteString("Resources:\n  Assets:\n    Type: AWS::S3::Bucket\nOutputs:\n")
	for _, k := range keys {
		b.WriteString("  Env" + k + ":\n    Value: '{{ environment.outputs." + k + " }}'\n")
	}
	files := bundletest.ServiceFiles()
	files["instance_infrastructure/cloudformation.yaml"] = b.String()
	files["pipeline_infrastructure/cloudformation.yaml"] = provPipelineCFN
	bundletest.WriteObject(t, w.bundles, "samples", "onsample.tar.gz", bundletest.Map(t, files))
	if err := registerServiceTemplate(ctx, w.cl, "onsample", "samples", "onsample.tar.gz", env); err != nil {
		t.Fatal(err)
	}
	if _, err := w.cl.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineServiceRoleArn: connRole(w.account, "pipeline")}); err != nil {
		t.Fatal(err)
	}
	in := svcCreate("onsample", "proton: ServiceSpec\npipeline:\n  branch: main\ninstances:\n  - name: one\n    environment: "+env+"\n")
	in.TemplateName, in.TemplateMinorVersion = aws.String("onsample"), nil
	if _, err := w.cl.CreateService(ctx, in); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if inst := provWaitInstance(cctx, t, w.cl, "onsample", "one"); inst.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Fatalf("instance on %s ended %s: %s", env, inst.DeploymentStatus, aws.ToString(inst.DeploymentStatusMessage))
	}
	ist := w.stack(t, "AWSProton-SVC-onsample-one-")
	if ist == nil {
		t.Fatal("no stack of the instance")
	}
	iouts := stackOutputs(ist)
	var wrong []string
	for _, k := range keys {
		if iouts["Env"+k] != outs[k] {
			wrong = append(wrong, k+": "+iouts["Env"+k]+" (want "+outs[k]+")")
		}
	}
	sort.Strings(wrong)
	if len(wrong) > 0 {
		t.Errorf("the instance on %s rendered outputs of its environment wrong: %v", env, wrong)
	}
	if p := svcWaitPipeline(cctx, t, w.cl, "onsample"); p.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Errorf("pipeline ended %s: %s", p.DeploymentStatus, aws.ToString(p.DeploymentStatusMessage))
	}
	t.Logf("a service on %s rendered the %d outputs of its stack", env, len(keys))
}
