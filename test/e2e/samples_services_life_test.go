package e2e

// AWS's CloudFormation sample service templates, end to end: every sample
// service is created with its sample spec in an environment made from the
// sample environment templates, and the model's waiters (Go SDK v2) see
// every service ACTIVE and every instance and pipeline SUCCEEDED. Then the
// developer's day: an instance moves to a new minor version, a pipeline
// update is cancelled, an instance is added and removed through
// UpdateService, GetResourcesSummary counts it all, and everything is
// deleted again: services (with the ServiceDeleted waiter), environments,
// templates.
//
// TestAWSSamplesRegisterAndDeploy creates the same services; this test
// waits as clients do, checks each instance's and pipeline's outputs
// against what their templates declare, and takes the services through
// their changes and deletes.

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

const (
	// samplesServicesTimeout bounds the whole test: 23 registrations, 6
	// environments, 17 services of an instance and a pipeline each, their
	// updates and their deletes, on a busy machine.
	samplesServicesTimeout = 5 * time.Minute
	// samplesServicesDelay is how long one emulated deployment takes: long
	// enough that a cancel sent right after an update finds it running.
	samplesServicesDelay = 2 * time.Second
	// samplesServicesPool is how many services are created or deleted at
	// once.
	samplesServicesPool = 6
	// samplesWait is the longest that one waiter waits.
	samplesWait = 2 * time.Minute
)

func TestAWSSamplesServices(t *testing.T) {
	t.Parallel()
	start := time.Now()
	bundles := t.TempDir()
	srv := connStartServer(t, "--bundle-dir", bundles, "--provisioner-delay", samplesServicesDelay.String())
	t.Cleanup(func() { connNo5xx(t, srv) })
	ctx, cancel := context.WithTimeout(context.Background(), samplesServicesTimeout)
	defer cancel()

	templates, err := awssamples.Templates(awssamples.CloudFormation)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]awssamples.Template{}
	for _, tpl := range templates {
		byPath[tpl.Path] = tpl
	}
	account := connAccount()
	c := connClient(srv, account, "us-east-1")
	var report []string
	var mu sync.Mutex
	note := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		report = append(report, fmt.Sprintf(format, args...))
	}
	s := sampleDeployer{t: t, c: c, account: account, repo: awssamples.CloudFormation, note: note}
	envs := awssamples.Of(templates, awssamples.Environment)
	svcs := awssamples.Of(templates, awssamples.Service)
	for _, tpl := range templates {
		data, err := tpl.Bundle()
		if err != nil {
			t.Fatal(err)
		}
		bundletest.WriteObject(t, bundles, "samples", s.key(tpl), data)
	}

	// The platform team: templates, environments, and where pipelines
	// provision.
	phase := time.Now()
	if _, err := c.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{
		PipelineServiceRoleArn: connRole(account, "ProtonPipelineServiceRole")}); err != nil {
		t.Fatalf("UpdateAccountSettings: %v", err)
	}
	s.all(envs, func(tpl awssamples.Template) error { return s.register(ctx, tpl) })
	var wg sync.WaitGroup
	wg.Go(func() { s.all(svcs, func(tpl awssamples.Template) error { return s.register(ctx, tpl) }) })
	s.all(envs, func(tpl awssamples.Template) error { return s.deploy(ctx, tpl) })
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d templates registered, %d environments deployed in %v", len(templates), len(envs), time.Since(phase).Round(time.Millisecond))

	// The developers: every sample service with its sample spec.
	phase = time.Now()
	d := samplesServices{t: t, c: c, account: account, note: note, created: &sync.Map{}}
	samplesPool(t, svcs, func(tpl awssamples.Template) error { return d.create(ctx, tpl) })
	t.Logf("%d services created in %v", len(svcs), time.Since(phase).Round(time.Millisecond))

	phase = time.Now()
	d.minorVersion(ctx, bundles, byPath["service-templates/backend-fargate-svc"])
	d.cancelPipeline(ctx, byPath["service-templates/worker-fargate-svc"])
	d.addAndRemove(ctx, byPath["service-templates/scheduled-ecs-ec2-svc"])
	t.Logf("minor version, cancelled pipeline update, instance added and removed in %v", time.Since(phase).Round(time.Millisecond))
	d.summary(ctx, len(envs), len(svcs))

	// And everything goes again: the services, then the environments
	// their instances ran in.
	phase = time.Now()
	samplesPool(t, svcs, func(tpl awssamples.Template) error { return d.delete(ctx, tpl) })
	samplesPool(t, envs, func(tpl awssamples.Template) error { return d.deleteEnvironment(ctx, tpl) })
	// Then the templates: no instance runs on their versions any more.
	samplesPool(t, templates, func(tpl awssamples.Template) error { return d.deleteTemplate(ctx, tpl) })
	if got := d.count(ctx); got != "0 services, 0 instances, 0 environments, 0 service templates, 0 environment templates" {
		t.Errorf("after the deletes the account holds %s", got)
	}
	t.Logf("services, environments and templates deleted in %v", time.Since(phase).Round(time.Millisecond))
	sort.Strings(report)
	t.Logf("AWS's sample services (%v in all):\n  %s", time.Since(start).Round(time.Millisecond), strings.Join(report, "\n  "))
}

// samplesPool runs do for each template, samplesServicesPool at a time,
// failing the test, naming the sample, for each that fails.
func samplesPool(t *testing.T, templates []awssamples.Template, do func(awssamples.Template) error) {
	sem := make(chan struct{}, samplesServicesPool)
	var wg sync.WaitGroup
	for _, tpl := range templates {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := do(tpl); err != nil {
				t.Errorf("sample %s: %v", tpl.Path, err)
			}
		})
	}
	wg.Wait()
}

// samplesServices creates, changes and deletes the sample services of one
// account.
type samplesServices struct {
	t       *testing.T
	c       *proton.Client
	account string
	note    func(format string, args ...any)
	created *sync.Map // names of the services that CreateService took
}

// sampleInstanceEnvironment is an instance's environment in a sample spec.
var sampleInstanceEnvironment = regexp.MustCompile(`(?m)^(\s+)environment:.*$`)

// spec is the sample spec of tpl with each instance's environment renamed
// to the environment made from tpl's first compatible environment
// template (environments are named after their templates).
func (d samplesServices) spec(tpl awssamples.Template) (string, error) {
	if tpl.Spec == "" {
		return "", errors.New("the repository gives no sample spec")
	}
	env := tpl.Compatible[0].Name
	spec := sampleInstanceEnvironment.ReplaceAllString(tpl.Spec, `${1}environment: "`+env+`"`)
	if spec == tpl.Spec {
		return "", fmt.Errorf("%s names no instance environment", tpl.SpecPath)
	}
	return spec, nil
}

// sampleInstanceName is an instance's name in a sample spec.
var sampleInstanceName = regexp.MustCompile(`(?m)^\s*- name:\s*"?([A-Za-z0-9-_]+)"?\s*$`)

// sampleInstances lists the instance names of a spec.
func sampleInstances(spec string) []string {
	var out []string
	for _, m := range sampleInstanceName.FindAllStringSubmatch(spec, -1) {
		out = append(out, m[1])
	}
	return out
}

// The model's waiters, polling every 100 ms to 1 s rather than every 5 s.
var (
	samplesWaitCreated = func(o *proton.ServiceCreatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	}
	samplesWaitUpdated = func(o *proton.ServiceUpdatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	}
	samplesWaitDeleted = func(o *proton.ServiceDeletedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	}
	samplesWaitInstance = func(o *proton.ServiceInstanceDeployedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	}
	samplesWaitPipeline = func(o *proton.ServicePipelineDeployedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	}
)

// create creates the sample service of tpl and waits, with the model's
// waiters, until it is ACTIVE and its instances and pipeline SUCCEEDED;
// each instance and the pipeline must have the outputs their templates
// declare.
func (d samplesServices) create(ctx context.Context, tpl awssamples.Template) error {
	spec, err := d.spec(tpl)
	if err != nil {
		return err
	}
	in := &proton.CreateServiceInput{Name: aws.String(tpl.Name), TemplateName: aws.String(tpl.Name),
		TemplateMajorVersion: aws.String("1"), Spec: aws.String(spec)}
	if tpl.HasPipeline() {
		in.RepositoryConnectionArn = aws.String("arn:aws:codestar-connections:us-east-1:" + d.account + ":connection/2c1a2fa6-6b1a-4d4b-9c3e-0d6b4d8f5e21")
		in.RepositoryId = aws.String("my-org/" + tpl.Name)
		in.BranchName = aws.String("main")
	}
	if _, err := d.c.CreateService(ctx, in); err != nil {
		return fmt.Errorf("CreateService with %s: %w", tpl.SpecPath, err)
	}
	d.created.Store(tpl.Name, true)
	name := aws.String(tpl.Name)
	if err := proton.NewServiceCreatedWaiter(d.c, samplesWaitCreated).Wait(ctx, &proton.GetServiceInput{Name: name}, samplesWait); err != nil {
		return d.why("ServiceCreated", tpl, err)
	}
	instances := sampleInstances(spec)
	if len(instances) == 0 {
		return fmt.Errorf("%s names no instance", tpl.SpecPath)
	}
	outputs := 0
	for _, inst := range instances {
		if err := proton.NewServiceInstanceDeployedWaiter(d.c, samplesWaitInstance).Wait(ctx,
			&proton.GetServiceInstanceInput{ServiceName: name, Name: aws.String(inst)}, samplesWait); err != nil {
			return d.why("ServiceInstanceDeployed "+inst, tpl, err)
		}
		n, err := d.checkOutputs(ctx, tpl, "instance_infrastructure/cloudformation.yaml", func(ctx context.Context) ([]types.Output, error) {
			out, err := d.c.ListServiceInstanceOutputs(ctx, &proton.ListServiceInstanceOutputsInput{ServiceName: name, ServiceInstanceName: aws.String(inst)})
			if err != nil {
				return nil, err
			}
			return out.Outputs, nil
		})
		if err != nil {
			return fmt.Errorf("instance %s: %w", inst, err)
		}
		outputs += n
	}
	if tpl.HasPipeline() {
		if err := proton.NewServicePipelineDeployedWaiter(d.c, samplesWaitPipeline).Wait(ctx, &proton.GetServiceInput{Name: name}, samplesWait); err != nil {
			return d.why("ServicePipelineDeployed", tpl, err)
		}
		n, err := d.checkOutputs(ctx, tpl, "pipeline_infrastructure/cloudformation.yaml", func(ctx context.Context) ([]types.Output, error) {
			out, err := d.c.ListServicePipelineOutputs(ctx, &proton.ListServicePipelineOutputsInput{ServiceName: name})
			if err != nil {
				return nil, err
			}
			return out.Outputs, nil
		})
		if err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
		outputs += n
	}
	got, err := d.c.GetService(ctx, &proton.GetServiceInput{Name: name})
	if err != nil {
		return err
	}
	v := got.Service
	if v.Status != types.ServiceStatusActive || (tpl.HasPipeline() && (v.Pipeline == nil || v.Pipeline.DeploymentStatus != types.DeploymentStatusSucceeded)) {
		return fmt.Errorf("after the waiters the service is %s, its pipeline %+v", v.Status, v.Pipeline)
	}
	d.note("%s: ACTIVE with %s, %d instance(s) in %s and a pipeline SUCCEEDED, %d outputs", tpl.Path, tpl.SpecPath,
		len(instances), tpl.Compatible[0].Name, outputs)
	return nil
}

// why explains a waiter's failure with the service as it is.
func (d samplesServices) why(waiter string, tpl awssamples.Template, err error) error {
	got, gerr := d.c.GetService(context.Background(), &proton.GetServiceInput{Name: aws.String(tpl.Name)})
	if gerr != nil {
		return fmt.Errorf("%s: %w (GetService: %v)", waiter, err, gerr)
	}
	v := got.Service
	msg := fmt.Sprintf("service %s: %s", v.Status, aws.ToString(v.StatusMessage))
	if v.Pipeline != nil {
		msg += fmt.Sprintf("; pipeline %s: %s", v.Pipeline.DeploymentStatus, aws.ToString(v.Pipeline.DeploymentStatusMessage))
	}
	insts, ierr := d.c.ListServiceInstances(context.Background(), &proton.ListServiceInstancesInput{ServiceName: aws.String(tpl.Name)})
	if ierr == nil {
		for _, i := range insts.ServiceInstances {
			msg += fmt.Sprintf("; instance %s: %s: %s", aws.ToString(i.Name), i.DeploymentStatus, aws.ToString(i.DeploymentStatusMessage))
		}
	}
	return fmt.Errorf("%s with %s: %w (%s)", waiter, tpl.SpecPath, err, msg)
}

// checkOutputs checks that list answers an output, with a value, for each
// output that file of tpl declares, and returns how many.
func (d samplesServices) checkOutputs(ctx context.Context, tpl awssamples.Template, file string, list func(context.Context) ([]types.Output, error)) (int, error) {
	want, conditional := sampleTemplateOutputs(tpl.Files[file])
	outs, err := list(ctx)
	if err != nil {
		return 0, err
	}
	var got []string
	for _, o := range outs {
		if aws.ToString(o.ValueString) == "" {
			return 0, fmt.Errorf("output %s has no value", aws.ToString(o.Key))
		}
		got = append(got, aws.ToString(o.Key))
	}
	sort.Strings(got)
	sort.Strings(want)
	if conditional {
		// Outputs inside a Jinja conditional exist only when it holds
		// (apprunner-svc declares its service and its outputs only once
		// the pipeline gave the instance an image).
		for _, k := range got {
			if !slices.Contains(want, k) {
				return 0, fmt.Errorf("output %s, which %s does not declare (it declares %v)", k, file, want)
			}
		}
		return len(got), nil
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		return 0, fmt.Errorf("outputs %v, want those %s declares: %v", got, file, want)
	}
	return len(got), nil
}

// sampleTemplateOutputs lists the keys of the Outputs section of a
// CloudFormation template, read line by line (it is YAML only once
// rendered), and whether the section is inside a Jinja conditional.
func sampleTemplateOutputs(file []byte) (out []string, conditional bool) {
	in := false
	depth := 0
	for _, line := range strings.Split(string(file), "\n") {
		if !in {
			depth += strings.Count(line, "{% if") - strings.Count(line, "{% endif")
		}
		switch {
		case strings.HasPrefix(line, "Outputs:"):
			in, conditional = true, depth > 0
		case in && line != "" && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "#"):
			in = false
		case in:
			if m := cloudFormationOutputKey.FindStringSubmatch(line); m != nil {
				out = append(out, m[1])
			}
		}
	}
	return out, conditional
}

// minorVersion registers and publishes version 1.1 of tpl's template and
// moves the first instance of its service to it.
func (d samplesServices) minorVersion(ctx context.Context, bundles string, tpl awssamples.Template) {
	t := d.t
	files := map[string][]byte{}
	for p, data := range tpl.Files {
		files[p] = data
	}
	files["instance_infrastructure/cloudformation.yaml"] = append([]byte("# version 1.1\n"), files["instance_infrastructure/cloudformation.yaml"]...)
	next := tpl
	next.Files = files
	data, err := next.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	key := "samples-1.1/" + tpl.Path + ".tar.gz"
	bundletest.WriteObject(t, bundles, "samples", key, data)
	name := aws.String(tpl.Name)
	var compatible []types.CompatibleEnvironmentTemplateInput
	for _, e := range tpl.Compatible {
		compatible = append(compatible, types.CompatibleEnvironmentTemplateInput{TemplateName: aws.String(e.Name), MajorVersion: aws.String(e.Major)})
	}
	if _, err := d.c.CreateServiceTemplateVersion(ctx, &proton.CreateServiceTemplateVersionInput{TemplateName: name, MajorVersion: aws.String("1"),
		Source:                         &types.TemplateVersionSourceInputMemberS3{Value: types.S3ObjectSource{Bucket: aws.String("samples"), Key: aws.String(key)}},
		CompatibleEnvironmentTemplates: compatible}); err != nil {
		t.Fatalf("CreateServiceTemplateVersion 1.1 of %s: %v", tpl.Name, err)
	}
	get := &proton.GetServiceTemplateVersionInput{TemplateName: name, MajorVersion: aws.String("1"), MinorVersion: aws.String("1")}
	if err := proton.NewServiceTemplateVersionRegisteredWaiter(d.c, func(o *proton.ServiceTemplateVersionRegisteredWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	}).Wait(ctx, get, samplesWait); err != nil {
		t.Fatalf("ServiceTemplateVersionRegistered 1.1 of %s: %v", tpl.Name, err)
	}
	if _, err := d.c.UpdateServiceTemplateVersion(ctx, &proton.UpdateServiceTemplateVersionInput{TemplateName: name, MajorVersion: aws.String("1"),
		MinorVersion: aws.String("1"), Status: types.TemplateVersionStatusPublished}); err != nil {
		t.Fatalf("publish 1.1 of %s: %v", tpl.Name, err)
	}
	spec, _ := d.spec(tpl)
	inst := aws.String(sampleInstances(spec)[0])
	before, err := d.c.GetServiceInstance(ctx, &proton.GetServiceInstanceInput{ServiceName: name, Name: inst})
	if err != nil {
		t.Fatal(err)
	}
	up, err := d.c.UpdateServiceInstance(ctx, &proton.UpdateServiceInstanceInput{ServiceName: name, Name: inst,
		DeploymentType: types.DeploymentUpdateTypeMinorVersion, TemplateMajorVersion: aws.String("1"), TemplateMinorVersion: aws.String("1")})
	if err != nil {
		t.Fatalf("UpdateServiceInstance %s to 1.1: %v", *inst, err)
	}
	if up.ServiceInstance.DeploymentStatus != types.DeploymentStatusInProgress {
		t.Errorf("UpdateServiceInstance answered %s, want IN_PROGRESS", up.ServiceInstance.DeploymentStatus)
	}
	if err := proton.NewServiceInstanceDeployedWaiter(d.c, samplesWaitInstance).Wait(ctx, &proton.GetServiceInstanceInput{ServiceName: name, Name: inst}, samplesWait); err != nil {
		t.Fatalf("ServiceInstanceDeployed after the update to 1.1: %v", d.why("ServiceInstanceDeployed", tpl, err))
	}
	after, err := d.c.GetServiceInstance(ctx, &proton.GetServiceInstanceInput{ServiceName: name, Name: inst})
	if err != nil {
		t.Fatal(err)
	}
	i := after.ServiceInstance
	if aws.ToString(i.TemplateMajorVersion) != "1" || aws.ToString(i.TemplateMinorVersion) != "1" ||
		aws.ToString(i.LastSucceededDeploymentId) == aws.ToString(before.ServiceInstance.LastSucceededDeploymentId) {
		t.Errorf("after the update the instance runs %s.%s, last succeeded deployment %s (before %s)", aws.ToString(i.TemplateMajorVersion),
			aws.ToString(i.TemplateMinorVersion), aws.ToString(i.LastSucceededDeploymentId), aws.ToString(before.ServiceInstance.LastSucceededDeploymentId))
	}
	d.note("%s: instance %s updated to 1.1", tpl.Path, *inst)
}

// cancelPipeline starts an update of tpl's service's pipeline and cancels
// it: the pipeline ends CANCELLED and keeps its last successful
// deployment.
func (d samplesServices) cancelPipeline(ctx context.Context, tpl awssamples.Template) {
	t := d.t
	name := aws.String(tpl.Name)
	got, err := d.c.GetService(ctx, &proton.GetServiceInput{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	before := got.Service.Pipeline
	up, err := d.c.UpdateServicePipeline(ctx, &proton.UpdateServicePipelineInput{ServiceName: name, Spec: got.Service.Spec,
		DeploymentType: types.DeploymentUpdateTypeCurrentVersion})
	if err != nil {
		t.Fatalf("UpdateServicePipeline: %v", err)
	}
	if up.Pipeline.DeploymentStatus != types.DeploymentStatusInProgress {
		t.Fatalf("UpdateServicePipeline answered %s, want IN_PROGRESS", up.Pipeline.DeploymentStatus)
	}
	c, err := d.c.CancelServicePipelineDeployment(ctx, &proton.CancelServicePipelineDeploymentInput{ServiceName: name})
	if err != nil {
		t.Fatalf("CancelServicePipelineDeployment: %v", err)
	}
	if c.Pipeline.DeploymentStatus != types.DeploymentStatusCancelling {
		t.Errorf("CancelServicePipelineDeployment answered %s, want CANCELLING", c.Pipeline.DeploymentStatus)
	}
	// No waiter of the model ends on CANCELLED: poll as a client would.
	var p *types.ServicePipeline
	for {
		got, err := d.c.GetService(ctx, &proton.GetServiceInput{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if p = got.Service.Pipeline; p.DeploymentStatus != types.DeploymentStatusCancelling {
			break
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			t.Fatalf("pipeline still CANCELLING: %v", err)
		}
	}
	if p.DeploymentStatus != types.DeploymentStatusCancelled ||
		aws.ToString(p.LastSucceededDeploymentId) != aws.ToString(before.LastSucceededDeploymentId) ||
		aws.ToString(p.LastAttemptedDeploymentId) == aws.ToString(before.LastAttemptedDeploymentId) {
		t.Errorf("after the cancel the pipeline is %s (%s), last attempted %s, last succeeded %s; before: last attempted %s, last succeeded %s",
			p.DeploymentStatus, aws.ToString(p.DeploymentStatusMessage), aws.ToString(p.LastAttemptedDeploymentId), aws.ToString(p.LastSucceededDeploymentId),
			aws.ToString(before.LastAttemptedDeploymentId), aws.ToString(before.LastSucceededDeploymentId))
	}
	dep, err := d.c.GetDeployment(ctx, &proton.GetDeploymentInput{Id: p.LastAttemptedDeploymentId})
	if err != nil {
		t.Fatalf("GetDeployment of the cancelled update: %v", err)
	}
	if dep.Deployment.DeploymentStatus != types.DeploymentStatusCancelled || dep.Deployment.TargetResourceType != types.DeploymentTargetResourceTypeServicePipeline {
		t.Errorf("the cancelled update's deployment is %s of a %s", dep.Deployment.DeploymentStatus, dep.Deployment.TargetResourceType)
	}
	d.note("%s: pipeline update cancelled: %s", tpl.Path, aws.ToString(p.DeploymentStatusMessage))
}

// addAndRemove adds an instance to tpl's service through UpdateService,
// then removes it again, waiting with ServiceUpdated each time.
func (d samplesServices) addAndRemove(ctx context.Context, tpl awssamples.Template) {
	t := d.t
	name := aws.String(tpl.Name)
	spec, _ := d.spec(tpl)
	first := sampleInstances(spec)[0]
	// The new instance is the first one again under another name, in the
	// same environment.
	i := strings.Index(spec, "instances:")
	if i < 0 {
		t.Fatalf("%s has no instances", tpl.SpecPath)
	}
	block := spec[i+len("instances:"):]
	added := strings.Replace(block, first, "canary", 1)
	bigger := strings.TrimRight(spec, "\n") + "\n" + strings.TrimLeft(strings.TrimRight(added, "\n"), "\n") + "\n"
	if got := sampleInstances(bigger); len(got) != 2 || got[1] != "canary" {
		t.Fatalf("the spec with an instance added names instances %v:\n%s", got, bigger)
	}
	update := func(spec string, what string) {
		up, err := d.c.UpdateService(ctx, &proton.UpdateServiceInput{Name: name, Spec: aws.String(spec)})
		if err != nil {
			t.Fatalf("UpdateService that %s: %v", what, err)
		}
		if up.Service.Status != types.ServiceStatusUpdateInProgress {
			t.Errorf("UpdateService that %s answered %s, want UPDATE_IN_PROGRESS", what, up.Service.Status)
		}
		if err := proton.NewServiceUpdatedWaiter(d.c, samplesWaitUpdated).Wait(ctx, &proton.GetServiceInput{Name: name}, samplesWait); err != nil {
			t.Fatalf("ServiceUpdated after UpdateService that %s: %v", what, d.why("ServiceUpdated", tpl, err))
		}
	}
	update(bigger, "adds an instance")
	canary := &proton.GetServiceInstanceInput{ServiceName: name, Name: aws.String("canary")}
	if err := proton.NewServiceInstanceDeployedWaiter(d.c, samplesWaitInstance).Wait(ctx, canary, samplesWait); err != nil {
		t.Fatalf("ServiceInstanceDeployed of the added instance: %v", err)
	}
	if got, want := d.instanceNames(ctx, name), strings.Join(slices.Sorted(slices.Values([]string{first, "canary"})), ","); got != want {
		t.Errorf("after the add the service has instances %s", got)
	}
	update(spec, "removes it")
	if _, err := d.c.GetServiceInstance(ctx, canary); !samplesNotFound(err) {
		t.Errorf("GetServiceInstance of the removed instance: %v, want ResourceNotFoundException", err)
	}
	if got := d.instanceNames(ctx, name); got != first {
		t.Errorf("after the removal the service has instances %s", got)
	}
	d.note("%s: instance canary added and removed through UpdateService", tpl.Path)
}

// instanceNames lists the instances of a service, comma separated.
func (d samplesServices) instanceNames(ctx context.Context, service *string) string {
	var out []string
	p := proton.NewListServiceInstancesPaginator(d.c, &proton.ListServiceInstancesInput{ServiceName: service})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			d.t.Fatalf("ListServiceInstances: %v", err)
		}
		for _, i := range page.ServiceInstances {
			out = append(out, aws.ToString(i.Name))
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func samplesNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}

// delete deletes tpl's service and waits with ServiceDeleted.
func (d samplesServices) delete(ctx context.Context, tpl awssamples.Template) error {
	name := aws.String(tpl.Name)
	if _, ok := d.created.Load(tpl.Name); !ok {
		return nil // its creation failed, and the test with it
	}
	out, err := d.c.DeleteService(ctx, &proton.DeleteServiceInput{Name: name})
	if err != nil {
		return fmt.Errorf("DeleteService: %w", err)
	}
	if out.Service == nil || out.Service.Status != types.ServiceStatusDeleteInProgress {
		return fmt.Errorf("DeleteService answered %+v, want DELETE_IN_PROGRESS", out.Service)
	}
	if err := proton.NewServiceDeletedWaiter(d.c, samplesWaitDeleted).Wait(ctx, &proton.GetServiceInput{Name: name}, samplesWait); err != nil {
		return d.why("ServiceDeleted", tpl, err)
	}
	return nil
}

// deleteEnvironment deletes the environment of tpl, now without
// instances, and waits until it is gone.
func (d samplesServices) deleteEnvironment(ctx context.Context, tpl awssamples.Template) error {
	name := aws.String(tpl.Name)
	if _, err := d.c.DeleteEnvironment(ctx, &proton.DeleteEnvironmentInput{Name: name}); err != nil {
		return fmt.Errorf("DeleteEnvironment: %w", err)
	}
	for {
		got, err := d.c.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: name})
		switch {
		case samplesNotFound(err):
			return nil
		case err != nil:
			return err
		case got.Environment.DeploymentStatus == types.DeploymentStatusDeleteFailed:
			return fmt.Errorf("DELETE_FAILED: %s", aws.ToString(got.Environment.DeploymentStatusMessage))
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return fmt.Errorf("environment still %s: %w", got.Environment.DeploymentStatus, err)
		}
	}
}

// summary checks GetResourcesSummary against what the test made: every
// service, instance and pipeline, all up to date but the service whose
// instance moved to 1.1 and its pipeline, which stay on 1.0, a minor
// version behind; environments count only their total.
func (d samplesServices) summary(ctx context.Context, envs, svcs int) {
	got, err := d.c.GetResourcesSummary(ctx, &proton.GetResourcesSummaryInput{})
	if err != nil {
		d.t.Fatalf("GetResourcesSummary: %v", err)
	}
	counts := func(c *types.ResourceCountsSummary) string {
		if c == nil {
			return "none"
		}
		return fmt.Sprintf("total %d, failed %d, up to date %d, behind major %d, behind minor %d", aws.ToInt32(c.Total),
			aws.ToInt32(c.Failed), aws.ToInt32(c.UpToDate), aws.ToInt32(c.BehindMajor), aws.ToInt32(c.BehindMinor))
	}
	s := got.Counts
	for what, c := range map[string]struct {
		got  *types.ResourceCountsSummary
		want string
	}{
		"environments":      {s.Environments, fmt.Sprintf("total %d, failed 0, up to date 0, behind major 0, behind minor 0", envs)},
		"services":          {s.Services, fmt.Sprintf("total %d, failed 0, up to date %d, behind major 0, behind minor 1", svcs, svcs-1)},
		"service instances": {s.ServiceInstances, fmt.Sprintf("total %d, failed 0, up to date %d, behind major 0, behind minor 0", svcs, svcs)},
		"pipelines":         {s.Pipelines, fmt.Sprintf("total %d, failed 0, up to date %d, behind major 0, behind minor 1", svcs, svcs-1)},
	} {
		if g := counts(c.got); g != c.want {
			d.t.Errorf("GetResourcesSummary: %s: %s, want %s", what, g, c.want)
		}
	}
}

// deleteTemplate deletes the versions of tpl's template, the one that is
// not recommended first, then the template.
func (d samplesServices) deleteTemplate(ctx context.Context, tpl awssamples.Template) error {
	name := aws.String(tpl.Name)
	if tpl.Kind == awssamples.Environment {
		if _, err := d.c.DeleteEnvironmentTemplateVersion(ctx, &proton.DeleteEnvironmentTemplateVersionInput{TemplateName: name,
			MajorVersion: aws.String("1"), MinorVersion: aws.String("0")}); err != nil {
			return fmt.Errorf("DeleteEnvironmentTemplateVersion 1.0: %w", err)
		}
		if _, err := d.c.DeleteEnvironmentTemplate(ctx, &proton.DeleteEnvironmentTemplateInput{Name: name}); err != nil {
			return fmt.Errorf("DeleteEnvironmentTemplate: %w", err)
		}
		return nil
	}
	for {
		got, err := d.c.ListServiceTemplateVersions(ctx, &proton.ListServiceTemplateVersionsInput{TemplateName: name})
		if err != nil {
			return fmt.Errorf("ListServiceTemplateVersions: %w", err)
		}
		if len(got.TemplateVersions) == 0 {
			break
		}
		// The oldest first: the newest published one is recommended.
		v := got.TemplateVersions[len(got.TemplateVersions)-1]
		for _, x := range got.TemplateVersions {
			if aws.ToString(x.MinorVersion) < aws.ToString(v.MinorVersion) {
				v = x
			}
		}
		if _, err := d.c.DeleteServiceTemplateVersion(ctx, &proton.DeleteServiceTemplateVersionInput{TemplateName: name,
			MajorVersion: v.MajorVersion, MinorVersion: v.MinorVersion}); err != nil {
			return fmt.Errorf("DeleteServiceTemplateVersion %s.%s: %w", aws.ToString(v.MajorVersion), aws.ToString(v.MinorVersion), err)
		}
	}
	if _, err := d.c.DeleteServiceTemplate(ctx, &proton.DeleteServiceTemplateInput{Name: name}); err != nil {
		return fmt.Errorf("DeleteServiceTemplate: %w", err)
	}
	return nil
}

// count says how many services, instances, environments and templates
// the account holds.
func (d samplesServices) count(ctx context.Context) string {
	svcs, err := d.c.ListServices(ctx, &proton.ListServicesInput{})
	if err != nil {
		return err.Error()
	}
	insts, err := d.c.ListServiceInstances(ctx, &proton.ListServiceInstancesInput{})
	if err != nil {
		return err.Error()
	}
	envs, err := d.c.ListEnvironments(ctx, &proton.ListEnvironmentsInput{})
	if err != nil {
		return err.Error()
	}
	stpls, err := d.c.ListServiceTemplates(ctx, &proton.ListServiceTemplatesInput{})
	if err != nil {
		return err.Error()
	}
	etpls, err := d.c.ListEnvironmentTemplates(ctx, &proton.ListEnvironmentTemplatesInput{})
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d services, %d instances, %d environments, %d service templates, %d environment templates", len(svcs.Services),
		len(insts.ServiceInstances), len(envs.Environments), len(stpls.Templates), len(etpls.Templates))
}
