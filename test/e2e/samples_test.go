package e2e

// AWS's public sample templates (internal/awssamples) ran on AWS Proton, so
// each must register here, and each sample environment must deploy with its
// sample spec: the CloudFormation ones through the emulating engine, the
// Terraform ones self-managed, ended as their automation ends them. And a
// Jinja template is YAML only once rendered: registration takes it as it
// is, and a deployment fails when it does not render to YAML.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"

	"github.com/openproton/openproton/internal/awssamples"
	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// samplesTimeout bounds the whole test: 40 registrations and 10
// deployments on a busy machine.
const samplesTimeout = 4 * time.Minute

func TestAWSSamplesRegisterAndDeploy(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	srv := connStartServer(t, "--bundle-dir", bundles, "--provisioner-delay", "100ms")
	t.Cleanup(func() { connNo5xx(t, srv) })
	ctx, cancel := context.WithTimeout(context.Background(), samplesTimeout)
	defer cancel()
	var report []string
	var mu sync.Mutex
	note := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		report = append(report, fmt.Sprintf(format, args...))
	}
	// The two repositories use the same names: an account for each.
	for _, repo := range []string{awssamples.CloudFormation, awssamples.Terraform} {
		templates, err := awssamples.Templates(repo)
		if err != nil {
			t.Fatal(err)
		}
		account := connAccount()
		c := connClient(srv, account, "us-east-1")
		s := sampleDeployer{t: t, c: c, account: account, repo: repo, note: note}
		envs, services := awssamples.Of(templates, awssamples.Environment), awssamples.Of(templates, awssamples.Service)
		for _, tpl := range templates {
			data, err := tpl.Bundle()
			if err != nil {
				t.Fatal(err)
			}
			bundletest.WriteObject(t, bundles, "samples", s.key(tpl), data)
		}
		// Environment templates first: service templates name them.
		s.all(envs, func(tpl awssamples.Template) error { return s.register(ctx, tpl) })
		var wg sync.WaitGroup
		wg.Go(func() { s.all(services, func(tpl awssamples.Template) error { return s.register(ctx, tpl) }) })
		s.all(envs, func(tpl awssamples.Template) error { return s.deploy(ctx, tpl) })
		wg.Wait()
		// Every sample service, in the environments just deployed;
		// pipelines provision with the account's role, or, self-managed,
		// through its repository.
		if _, err := c.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineServiceRoleArn: connRole(account, "PipelineRole"),
			PipelineProvisioningRepository: &types.RepositoryBranchInput{Provider: types.RepositoryProviderGithub,
				Name: aws.String("my-org/pipelines"), Branch: aws.String("main")}}); err != nil {
			t.Fatal(err)
		}
		s.all(services, func(tpl awssamples.Template) error { return s.createService(ctx, tpl) })
	}
	sort.Strings(report)
	t.Logf("AWS's sample templates:\n  %s", strings.Join(report, "\n  "))
}

// sampleDeployer registers and deploys the samples of one repository in
// its own account.
type sampleDeployer struct {
	t       *testing.T
	c       *proton.Client
	account string
	repo    string
	note    func(format string, args ...any)
}

// all runs do for each template at once, failing the test, naming the
// sample, for each that fails.
func (s sampleDeployer) all(templates []awssamples.Template, do func(awssamples.Template) error) {
	var wg sync.WaitGroup
	for _, tpl := range templates {
		wg.Go(func() {
			if err := do(tpl); err != nil {
				s.t.Errorf("%s sample %s: %v", s.repo, tpl.Path, err)
				s.note("%s %s: %v", s.repo, tpl.Path, err)
			}
		})
	}
	wg.Wait()
}

// key is where the bundle of tpl is, in the bucket "samples".
func (s sampleDeployer) key(tpl awssamples.Template) string {
	return s.repo + "/" + tpl.Path + ".tar.gz"
}

// register registers version 1.0 of a sample template from its bundle and
// publishes it.
func (s sampleDeployer) register(ctx context.Context, tpl awssamples.Template) error {
	src := &types.TemplateVersionSourceInputMemberS3{Value: types.S3ObjectSource{Bucket: aws.String("samples"), Key: aws.String(s.key(tpl))}}
	name := aws.String(tpl.Name)
	var status func() (types.TemplateVersionStatus, string, error)
	if tpl.Kind == awssamples.Environment {
		if _, err := s.c.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: name}); err != nil {
			return fmt.Errorf("CreateEnvironmentTemplate: %w", err)
		}
		if _, err := s.c.CreateEnvironmentTemplateVersion(ctx, &proton.CreateEnvironmentTemplateVersionInput{TemplateName: name, Source: src}); err != nil {
			return fmt.Errorf("CreateEnvironmentTemplateVersion: %w", err)
		}
		status = func() (types.TemplateVersionStatus, string, error) {
			v, err := s.c.GetEnvironmentTemplateVersion(ctx, &proton.GetEnvironmentTemplateVersionInput{TemplateName: name,
				MajorVersion: aws.String("1"), MinorVersion: aws.String("0")})
			if err != nil {
				return "", "", err
			}
			return v.EnvironmentTemplateVersion.Status, aws.ToString(v.EnvironmentTemplateVersion.StatusMessage), nil
		}
	} else {
		in := &proton.CreateServiceTemplateInput{Name: name}
		if !tpl.HasPipeline() {
			in.PipelineProvisioning = types.ProvisioningCustomerManaged
		}
		if _, err := s.c.CreateServiceTemplate(ctx, in); err != nil {
			return fmt.Errorf("CreateServiceTemplate: %w", err)
		}
		var compatible []types.CompatibleEnvironmentTemplateInput
		for _, e := range tpl.Compatible {
			compatible = append(compatible, types.CompatibleEnvironmentTemplateInput{TemplateName: aws.String(e.Name), MajorVersion: aws.String(e.Major)})
		}
		if _, err := s.c.CreateServiceTemplateVersion(ctx, &proton.CreateServiceTemplateVersionInput{TemplateName: name, Source: src,
			CompatibleEnvironmentTemplates: compatible}); err != nil {
			return fmt.Errorf("CreateServiceTemplateVersion: %w", err)
		}
		status = func() (types.TemplateVersionStatus, string, error) {
			v, err := s.c.GetServiceTemplateVersion(ctx, &proton.GetServiceTemplateVersionInput{TemplateName: name,
				MajorVersion: aws.String("1"), MinorVersion: aws.String("0")})
			if err != nil {
				return "", "", err
			}
			return v.ServiceTemplateVersion.Status, aws.ToString(v.ServiceTemplateVersion.StatusMessage), nil
		}
	}
	for {
		st, msg, err := status()
		switch {
		case err != nil:
			return err
		case st == types.TemplateVersionStatusRegistrationFailed:
			return fmt.Errorf("does not register: %s", msg)
		case st == types.TemplateVersionStatusDraft:
			s.note("%s %s: %s template registered (%d files)", s.repo, tpl.Path, tpl.Kind, len(tpl.Files))
			return s.publish(ctx, tpl)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return fmt.Errorf("still %s: %w", st, err)
		}
	}
}

func (s sampleDeployer) publish(ctx context.Context, tpl awssamples.Template) error {
	var err error
	if tpl.Kind == awssamples.Environment {
		_, err = s.c.UpdateEnvironmentTemplateVersion(ctx, &proton.UpdateEnvironmentTemplateVersionInput{TemplateName: aws.String(tpl.Name),
			MajorVersion: aws.String("1"), MinorVersion: aws.String("0"), Status: types.TemplateVersionStatusPublished})
	} else {
		_, err = s.c.UpdateServiceTemplateVersion(ctx, &proton.UpdateServiceTemplateVersionInput{TemplateName: aws.String(tpl.Name),
			MajorVersion: aws.String("1"), MinorVersion: aws.String("0"), Status: types.TemplateVersionStatusPublished})
	}
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return nil
}

// deploy creates an environment of a sample environment template with its
// sample spec and waits until its deployment succeeds: a CloudFormation
// one through the emulating engine, whose outputs must be every output of
// the template; a Terraform one self-managed, ended with
// NotifyResourceDeploymentStatusChange and the outputs its files declare.
func (s sampleDeployer) deploy(ctx context.Context, tpl awssamples.Template) error {
	if tpl.Spec == "" {
		return errors.New("the repository gives no sample spec")
	}
	in := &proton.CreateEnvironmentInput{Name: aws.String(tpl.Name), TemplateName: aws.String(tpl.Name),
		TemplateMajorVersion: aws.String("1"), Spec: aws.String(tpl.Spec)}
	selfManaged := s.repo == awssamples.Terraform
	if selfManaged {
		in.ProvisioningRepository = &types.RepositoryBranchInput{Provider: types.RepositoryProviderGithub,
			Name: aws.String("my-org/infrastructure"), Branch: aws.String("main")}
	} else {
		in.ProtonServiceRoleArn = connRole(s.account, "ProtonServiceRole")
	}
	created, err := s.c.CreateEnvironment(ctx, in)
	if err != nil {
		return fmt.Errorf("CreateEnvironment with %s: %w", tpl.SpecPath, err)
	}
	var want []string
	if selfManaged {
		var outs []types.Output
		for _, o := range terraformSampleOutputs(tpl) {
			want = append(want, o)
			outs = append(outs, types.Output{Key: aws.String(o), ValueString: aws.String("value-of-" + o)})
		}
		if _, err := s.c.NotifyResourceDeploymentStatusChange(ctx, &proton.NotifyResourceDeploymentStatusChangeInput{
			ResourceArn: created.Environment.Arn, Status: types.ResourceDeploymentStatusSucceeded, Outputs: outs}); err != nil {
			return fmt.Errorf("NotifyResourceDeploymentStatusChange: %w", err)
		}
	} else {
		want, err = cloudFormationSampleOutputs(tpl)
		if err != nil {
			return err
		}
	}
	for {
		got, err := s.c.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String(tpl.Name)})
		if err != nil {
			return err
		}
		e := got.Environment
		switch e.DeploymentStatus {
		case types.DeploymentStatusSucceeded:
			return s.checkOutputs(ctx, tpl, want)
		case types.DeploymentStatusFailed, types.DeploymentStatusCancelled:
			return fmt.Errorf("does not deploy with %s: %s: %s", tpl.SpecPath, e.DeploymentStatus, aws.ToString(e.DeploymentStatusMessage))
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return fmt.Errorf("deployment still %s: %w", e.DeploymentStatus, err)
		}
	}
}

// checkOutputs checks that the environment of tpl has an output, with a
// value, for each of want.
func (s sampleDeployer) checkOutputs(ctx context.Context, tpl awssamples.Template, want []string) error {
	got := map[string]string{}
	p := proton.NewListEnvironmentOutputsPaginator(s.c, &proton.ListEnvironmentOutputsInput{EnvironmentName: aws.String(tpl.Name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListEnvironmentOutputs: %w", err)
		}
		for _, o := range page.Outputs {
			got[aws.ToString(o.Key)] = aws.ToString(o.ValueString)
		}
	}
	var keys []string
	emulated := 0
	for k, v := range got {
		keys = append(keys, k)
		if v == "" {
			return fmt.Errorf("output %s has no value", k)
		}
		if strings.HasPrefix(v, "emulated:") {
			emulated++
		}
	}
	sort.Strings(keys)
	sort.Strings(want)
	if !slices.Equal(keys, want) {
		return fmt.Errorf("outputs %v, want %v", keys, want)
	}
	s.note("%s %s: environment deployed with %s, %d outputs (%d emulated)", s.repo, tpl.Path, tpl.SpecPath, len(got), emulated)
	return nil
}

// cloudFormationSampleOutputs lists the outputs that a sample's
// CloudFormation template declares: the keys of its Outputs section, read
// line by line, since the template is YAML only once rendered.
func cloudFormationSampleOutputs(tpl awssamples.Template) ([]string, error) {
	var out []string
	in := false
	for _, line := range strings.Split(string(tpl.Files["infrastructure/cloudformation.yaml"]), "\n") {
		switch {
		case strings.HasPrefix(line, "Outputs:"):
			in = true
		case in && line != "" && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "#"):
			in = false
		case in:
			if m := cloudFormationOutputKey.FindStringSubmatch(line); m != nil {
				out = append(out, m[1])
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the sample's template declares no output")
	}
	return out, nil
}

// cloudFormationOutputKey is a key of the Outputs section.
var cloudFormationOutputKey = regexp.MustCompile(`^  ([A-Za-z0-9]+):\s*$`)

var terraformSampleOutput = regexp.MustCompile(`(?m)^output\s+"([^"]+)"`)

// terraformSampleOutputs lists the outputs that a sample's Terraform files
// declare, which its automation reports.
func terraformSampleOutputs(tpl awssamples.Template) []string {
	var out []string
	for _, p := range tpl.Paths() {
		if strings.HasSuffix(p, ".tf") {
			for _, m := range terraformSampleOutput.FindAllSubmatch(tpl.Files[p], -1) {
				out = append(out, string(m[1]))
			}
		}
	}
	return out
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// TestJinjaYAMLOnlyOnceRendered: an environment template whose Jinja file
// is not YAML before rendering (a list item that an expression writes, as
// AWS's load-balanced-fargate-svc sample has) registers and deploys; one
// that renders to something that is not YAML registers and fails its
// deployment, naming the file, the line and what it reads.
func TestJinjaYAMLOnlyOnceRendered(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	srv := connStartServer(t, "--bundle-dir", bundles, "--provisioner-delay", "100ms")
	t.Cleanup(func() { connNo5xx(t, srv) })
	account := connAccount()
	c := connClient(srv, account, "us-east-1")
	ctx := connCtx(t)
	for name, template := range map[string]string{
		"not-yaml-before": `Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/ReadOnlyAccess
        {{ "- arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }}
Outputs:
  Name:
    Value: '{{ environment.name }}'
  Role:
    Value: !GetAtt Role.Arn
`,
		"not-yaml-after": `Resources:
  Topic:
    Type: AWS::SNS::Topic
Outputs:
  Name:
    Value: {{ environment.name }}: {{ environment.inputs.vpc_cidr }}
`,
	} {
		files := bundletest.EnvFiles()
		files["infrastructure/cloudformation.yaml"] = template
		envPublishBundle(t, c, bundles, name, bundletest.Map(t, files))
		if _, err := c.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{Name: aws.String(name), TemplateName: aws.String(name),
			TemplateMajorVersion: aws.String("1"), Spec: aws.String("proton: EnvironmentSpec\nspec: {}\n"),
			ProtonServiceRoleArn: connRole(account, "proton")}); err != nil {
			t.Fatalf("CreateEnvironment %s: %v", name, err)
		}
	}
	if env := envWaitTerminal(t, c, "not-yaml-before", time.Minute); env.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Errorf("not-yaml-before ended %s: %s", env.DeploymentStatus, aws.ToString(env.DeploymentStatusMessage))
	}
	if got := environmentOutputs(ctx, t, c, "not-yaml-before"); fmt.Sprint(got) != fmt.Sprint(map[string]string{"Name": "not-yaml-before", "Role": "emulated:Role.Arn"}) {
		t.Errorf("outputs of not-yaml-before: %v", got)
	}
	want := `infrastructure/cloudformation.yaml is not valid YAML once rendered: line 6: mapping values are not allowed in this context (the rendered line 6 reads "    Value: not-yaml-after: 10.0.0.0/16")`
	if env := envWaitTerminal(t, c, "not-yaml-after", time.Minute); env.DeploymentStatus != types.DeploymentStatusFailed || aws.ToString(env.DeploymentStatusMessage) != want {
		t.Errorf("not-yaml-after ended %s: %q, want FAILED: %q", env.DeploymentStatus, aws.ToString(env.DeploymentStatusMessage), want)
	}
}
