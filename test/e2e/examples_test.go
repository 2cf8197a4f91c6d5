package e2e

// The example templates of examples/ are what a new user starts from, so an
// example that stops registering or deploying must fail the build. This test
// makes each bundle with the tar command exactly as examples/README.md says,
// registers and publishes every example template, and deploys each example
// environment with its example spec: the CloudFormation one on the emulating
// engine, the Terraform one self-managed, ended the way a user's automation
// ends it, with NotifyResourceDeploymentStatusChange.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// exampleTemplate is one template folder of examples/: examples/LANG/KIND.
type exampleTemplate struct {
	lang, kind string // "cloudformation", "environment"
	dir        string
}

func (e exampleTemplate) name() string { return e.lang + "-" + e.kind }

// exampleTemplates finds every folder of examples/ that holds a
// schema/schema.yaml, so that a new example is registered without a change
// here.
func exampleTemplates(t *testing.T) []exampleTemplate {
	t.Helper()
	root := filepath.Join(repoRoot(), "examples")
	schemas, err := filepath.Glob(filepath.Join(root, "*", "*", "schema", "schema.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []exampleTemplate
	for _, s := range schemas {
		dir := filepath.Dir(filepath.Dir(s))
		e := exampleTemplate{lang: filepath.Base(filepath.Dir(dir)), kind: filepath.Base(dir), dir: dir}
		if e.kind != "environment" && e.kind != "service" {
			t.Fatalf("%s: an example template folder is named environment or service", dir)
		}
		out = append(out, e)
	}
	// Environments first: a service template names a registered
	// environment template of its language.
	slices.SortFunc(out, func(a, b exampleTemplate) int { return strings.Compare(a.kind+a.lang, b.kind+b.lang) })
	var names []string
	for _, e := range out {
		names = append(names, e.name())
	}
	for _, want := range []string{"cloudformation-environment", "cloudformation-service", "terraform-environment", "terraform-service"} {
		if !slices.Contains(names, want) {
			t.Fatalf("examples/ has no %s template (found %v)", want, names)
		}
	}
	return out
}

// tarBundle makes the bundle of folder dir as examples/README.md says:
// tar czf BUNDLE -C FOLDER .
func tarBundle(t *testing.T, dir, out string) {
	t.Helper()
	requireTool(t, "tar", "the tar command of the system")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("tar", "czf", out, "-C", dir, ".")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, msg)
	}
}

func TestExamplesRegisterAndDeploy(t *testing.T) {
	examples := exampleTemplates(t)
	bundles := t.TempDir()
	for _, e := range examples {
		tarBundle(t, e.dir, filepath.Join(bundles, "examples", e.name()+".tar.gz"))
	}
	srv := connStartServer(t, "--bundle-dir", bundles)
	c := connClient(srv, "111111111111", "us-east-1")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, e := range examples {
		t.Run(e.name(), func(t *testing.T) {
			src := &types.TemplateVersionSourceInputMemberS3{Value: types.S3ObjectSource{
				Bucket: aws.String("examples"), Key: aws.String(e.name() + ".tar.gz")}}
			if e.kind == "environment" {
				exampleEnvironment(ctx, t, c, e, src)
				return
			}
			exampleService(ctx, t, c, e, src)
		})
	}
}

// exampleEnvironment registers and publishes an example environment template
// and deploys an environment of it with the example's spec.
func exampleEnvironment(ctx context.Context, t *testing.T, c *proton.Client, e exampleTemplate, src types.TemplateVersionSourceInput) {
	name := e.name()
	if _, err := c.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String(name)}); err != nil {
		t.Fatalf("CreateEnvironmentTemplate: %v", err)
	}
	if _, err := c.CreateEnvironmentTemplateVersion(ctx, &proton.CreateEnvironmentTemplateVersionInput{TemplateName: aws.String(name), Source: src}); err != nil {
		t.Fatalf("CreateEnvironmentTemplateVersion: %v", err)
	}
	key := &proton.GetEnvironmentTemplateVersionInput{TemplateName: aws.String(name), MajorVersion: aws.String("1"), MinorVersion: aws.String("0")}
	w := proton.NewEnvironmentTemplateVersionRegisteredWaiter(c, func(o *proton.EnvironmentTemplateVersionRegisteredWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, time.Second
	})
	if err := w.Wait(ctx, key, time.Minute); err != nil {
		v, _ := c.GetEnvironmentTemplateVersion(ctx, key)
		if v != nil {
			t.Fatalf("%s did not register: %s", e.dir, aws.ToString(v.EnvironmentTemplateVersion.StatusMessage))
		}
		t.Fatalf("%s did not register: %v", e.dir, err)
	}
	if _, err := c.UpdateEnvironmentTemplateVersion(ctx, &proton.UpdateEnvironmentTemplateVersionInput{TemplateName: aws.String(name),
		MajorVersion: aws.String("1"), MinorVersion: aws.String("0"), Status: types.TemplateVersionStatusPublished}); err != nil {
		t.Fatalf("publish: %v", err)
	}

	spec, err := os.ReadFile(filepath.Join(filepath.Dir(e.dir), "environment-spec.yaml"))
	if err != nil {
		t.Fatalf("the example's spec: %v", err)
	}
	in := &proton.CreateEnvironmentInput{Name: aws.String(e.lang), TemplateName: aws.String(name),
		TemplateMajorVersion: aws.String("1"), Spec: aws.String(string(spec))}
	selfManaged := exampleEngine(t, e) == "hcl"
	if selfManaged {
		in.ProvisioningRepository = &types.RepositoryBranchInput{Provider: types.RepositoryProviderGithub,
			Name: aws.String("my-org/infrastructure"), Branch: aws.String("main")}
	} else {
		in.ProtonServiceRoleArn = aws.String("arn:aws:iam::111111111111:role/ProtonServiceRole")
	}
	created, err := c.CreateEnvironment(ctx, in)
	if err != nil {
		t.Fatalf("CreateEnvironment with %s: %v", filepath.Join(e.lang, "environment-spec.yaml"), err)
	}
	want := map[string]string{}
	if selfManaged {
		// The automation applies the Terraform and reports its outputs.
		var outs []types.Output
		for _, o := range terraformOutputs(t, e) {
			want[o] = "value-of-" + o
			outs = append(outs, types.Output{Key: aws.String(o), ValueString: aws.String(want[o])})
		}
		if _, err := c.NotifyResourceDeploymentStatusChange(ctx, &proton.NotifyResourceDeploymentStatusChangeInput{
			ResourceArn: created.Environment.Arn, Status: types.ResourceDeploymentStatusSucceeded, Outputs: outs}); err != nil {
			t.Fatalf("NotifyResourceDeploymentStatusChange: %v", err)
		}
	} else {
		// Outputs with plain string values, which the emulating engine
		// records from the rendered template, and placeholders for those
		// that only CloudFormation could resolve.
		want["ClusterName"] = e.lang
		want["VpcCidr"] = "10.0.0.0/16"
		want["VpcId"] = "emulated:VPC.Ref"
		want["PublicSubnetOne"] = "emulated:PublicSubnetOne.Ref"
		want["PublicSubnetTwo"] = "emulated:PublicSubnetTwo.Ref"
	}
	dw := proton.NewEnvironmentDeployedWaiter(c, func(o *proton.EnvironmentDeployedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, time.Second
	})
	if err := dw.Wait(ctx, &proton.GetEnvironmentInput{Name: aws.String(e.lang)}, time.Minute); err != nil {
		got, _ := c.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String(e.lang)})
		if got != nil {
			t.Fatalf("environment of %s not deployed: %s: %s", e.dir, got.Environment.DeploymentStatus, aws.ToString(got.Environment.DeploymentStatusMessage))
		}
		t.Fatalf("environment of %s not deployed: %v", e.dir, err)
	}
	if got := environmentOutputs(ctx, t, c, e.lang); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("outputs of the %s environment: %v, want %v", e.lang, got, want)
	}
}

// exampleService registers and publishes an example service template,
// compatible with the example environment template of its language. A
// template without pipeline_infrastructure/ is created with its pipeline
// managed outside Proton, as AWS required.
func exampleService(ctx context.Context, t *testing.T, c *proton.Client, e exampleTemplate, src types.TemplateVersionSourceInput) {
	name := e.name()
	in := &proton.CreateServiceTemplateInput{Name: aws.String(name)}
	if _, err := os.Stat(filepath.Join(e.dir, "pipeline_infrastructure")); err != nil {
		in.PipelineProvisioning = types.ProvisioningCustomerManaged
	}
	if _, err := c.CreateServiceTemplate(ctx, in); err != nil {
		t.Fatalf("CreateServiceTemplate: %v", err)
	}
	if _, err := c.CreateServiceTemplateVersion(ctx, &proton.CreateServiceTemplateVersionInput{TemplateName: aws.String(name), Source: src,
		CompatibleEnvironmentTemplates: []types.CompatibleEnvironmentTemplateInput{{
			TemplateName: aws.String(e.lang + "-environment"), MajorVersion: aws.String("1")}}}); err != nil {
		t.Fatalf("CreateServiceTemplateVersion: %v", err)
	}
	key := &proton.GetServiceTemplateVersionInput{TemplateName: aws.String(name), MajorVersion: aws.String("1"), MinorVersion: aws.String("0")}
	w := proton.NewServiceTemplateVersionRegisteredWaiter(c, func(o *proton.ServiceTemplateVersionRegisteredWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, time.Second
	})
	if err := w.Wait(ctx, key, time.Minute); err != nil {
		v, _ := c.GetServiceTemplateVersion(ctx, key)
		if v != nil {
			t.Fatalf("%s did not register: %s", e.dir, aws.ToString(v.ServiceTemplateVersion.StatusMessage))
		}
		t.Fatalf("%s did not register: %v", e.dir, err)
	}
	if _, err := c.UpdateServiceTemplateVersion(ctx, &proton.UpdateServiceTemplateVersionInput{TemplateName: aws.String(name),
		MajorVersion: aws.String("1"), MinorVersion: aws.String("0"), Status: types.TemplateVersionStatusPublished}); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

var renderingEngine = regexp.MustCompile(`(?m)^\s*rendering_engine:\s*(\w+)`)

// exampleEngine is the rendering engine of an example environment's
// infrastructure manifest.
func exampleEngine(t *testing.T, e exampleTemplate) string {
	t.Helper()
	m, err := os.ReadFile(filepath.Join(e.dir, "infrastructure", "manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	match := renderingEngine.FindSubmatch(m)
	if match == nil {
		t.Fatalf("%s: infrastructure/manifest.yaml names no rendering_engine", e.dir)
	}
	return string(match[1])
}

var terraformOutput = regexp.MustCompile(`(?m)^output\s+"([^"]+)"`)

// terraformOutputs lists the outputs an example Terraform environment
// declares, which its automation reports.
func terraformOutputs(t *testing.T, e exampleTemplate) []string {
	t.Helper()
	tfs, err := filepath.Glob(filepath.Join(e.dir, "infrastructure", "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range tfs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range terraformOutput.FindAllSubmatch(b, -1) {
			out = append(out, string(m[1]))
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s declares no Terraform output", e.dir)
	}
	return out
}

// environmentOutputs returns the outputs of an environment's last succeeded
// deployment, by key.
func environmentOutputs(ctx context.Context, t *testing.T, c *proton.Client, env string) map[string]string {
	t.Helper()
	out, err := c.ListEnvironmentOutputs(ctx, &proton.ListEnvironmentOutputsInput{EnvironmentName: aws.String(env)})
	if err != nil {
		t.Fatalf("ListEnvironmentOutputs %s: %v", env, err)
	}
	m := map[string]string{}
	for _, o := range out.Outputs {
		m[aws.ToString(o.Key)] = aws.ToString(o.ValueString)
	}
	return m
}
