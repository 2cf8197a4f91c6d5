package e2e

// Services, their instances and pipelines through aws-sdk-go-v2, with the
// model's waiters (docs/services.md).

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// svcInstanceCFN renders what an instance sees: its environment's outputs,
// its inputs, its service and its (absent) component.
const svcInstanceCFN = `Resources: {}
Outputs:
  Env:
    Value: '{{ environment.outputs.Name }}'
  SameEnv:
    Value: '{{ service_instance.environment.outputs.Name }}'
  Port:
    Value: '{{ service_instance.inputs.port }}'
  Service:
    Value: '{{ service.name }}/{{ service.branch_name }}/{{ service.repository_id }}'
  Component:
    Value: '{{ service_instance.components.default | length }}'
`

// svcPipelineCFN renders the pipeline's inputs and its instances.
const svcPipelineCFN = `Resources: {}
Outputs:
  Branch:
    Value: '{{ pipeline.inputs.branch }}'
  Instances:
    Value: '{% for i in service_instances %}{{ i.name }}@{{ i.environment.outputs.Name }};{% endfor %}'
`

// svcWriteBundles writes the bundles of the services tests: isoWriteBundles'
// and web.tar.gz, a service template whose files show what they render.
func svcWriteBundles(t *testing.T, bundles string) {
	isoWriteBundles(t, bundles)
	files := bundletest.ServiceFiles()
	files["instance_infrastructure/cloudformation.yaml"] = svcInstanceCFN
	files["pipeline_infrastructure/cloudformation.yaml"] = svcPipelineCFN
	bundletest.WriteObject(t, bundles, isoBucket, "web.tar.gz", bundletest.Map(t, files))
}

// svcWorld is what a services test works on: an account with an
// environment template (isotpl 1.0), environments dev and prod on it, a
// service template web (1.0 and 1.1, compatible with isotpl 1) and the
// account's pipeline role.
type svcWorld struct {
	cl      *proton.Client
	account string
}

func svcBuild(ctx context.Context, t *testing.T, srv *Server, envs ...string) *svcWorld {
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
	_, err = w.cl.CreateServiceTemplate(ctx, &proton.CreateServiceTemplateInput{Name: aws.String("web")})
	must(err)
	for _, major := range []*string{nil, aws.String("1")} {
		v, err := w.cl.CreateServiceTemplateVersion(ctx, &proton.CreateServiceTemplateVersionInput{
			TemplateName: aws.String("web"), MajorVersion: major, Source: isoSource("web.tar.gz"),
			CompatibleEnvironmentTemplates: []types.CompatibleEnvironmentTemplateInput{{TemplateName: aws.String(isoEnvTpl), MajorVersion: aws.String("1")}},
		})
		must(err)
		key := &proton.GetServiceTemplateVersionInput{TemplateName: aws.String("web"), MajorVersion: v.ServiceTemplateVersion.MajorVersion,
			MinorVersion: v.ServiceTemplateVersion.MinorVersion}
		must(publishServiceVersion(ctx, w.cl, key))
	}
	_, err = w.cl.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineServiceRoleArn: connRole(w.account, "pipeline")})
	must(err)
	for _, e := range envs {
		_, err := w.cl.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{Name: aws.String(e), TemplateName: aws.String(isoEnvTpl),
			TemplateMajorVersion: aws.String("1"), Spec: aws.String(isoSpec), ProtonServiceRoleArn: connRole(w.account, "proton")})
		must(err)
	}
	for _, e := range envs {
		_, err := isoWaitEnv(ctx, w.cl, e)
		must(err)
	}
	return w
}

// svcSpec is a service spec with a pipeline and an instance in each of
// envs ("name@env", and "name@env:port" for a port of its own).
func svcSpec(instances ...string) string {
	var b strings.Builder
	b.WriteString("proton: ServiceSpec\npipeline:\n  branch: release\ninstances:\n")
	for _, in := range instances {
		name, env, _ := strings.Cut(in, "@")
		env, port, _ := strings.Cut(env, ":")
		fmt.Fprintf(&b, "  - name: %s\n    environment: %s\n", name, env)
		if port != "" {
			fmt.Fprintf(&b, "    spec:\n      port: %s\n", port)
		}
	}
	return b.String()
}

// svcCreate is a CreateService request of service name on web.
func svcCreate(name, spec string) *proton.CreateServiceInput {
	return &proton.CreateServiceInput{Name: aws.String(name), TemplateName: aws.String("web"), TemplateMajorVersion: aws.String("1"),
		TemplateMinorVersion: aws.String("0"), Spec: aws.String(spec), RepositoryConnectionArn: aws.String("arn:aws:codestar-connections:us-east-1:123456789012:connection/abc"),
		RepositoryId: aws.String("example-org/web"), BranchName: aws.String("main")}
}

func svcOutputs(t *testing.T, outs []types.Output) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, o := range outs {
		m[aws.ToString(o.Key)] = aws.ToString(o.ValueString)
	}
	return m
}

// svcExpectCode fails unless err is the API error code.
func svcExpectCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got, _ := connErr(err); got != code {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

// TestServicesGoSDK walks a service through its life with aws-sdk-go-v2 and
// the model's waiters: create with two instances and a pipeline, what the
// files render, a minor version update of an instance, a cancelled
// pipeline update, adding and removing instances, and the delete; and the
// refusals of §2.4–2.6, each changing nothing.
func TestServicesGoSDK(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	svcWriteBundles(t, bundles)
	srv := connStartServer(t, "--store", "memory", "--bundle-dir", bundles, "--provisioner-delay", "300ms")
	t.Cleanup(func() { connNo5xx(t, srv) })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w := svcBuild(ctx, t, srv, "dev", "prod")
	cl := w.cl
	const poll = 200 * time.Millisecond

	created, err := cl.CreateService(ctx, svcCreate("web1", svcSpec("a@dev", "b@prod:8080")))
	if err != nil {
		t.Fatal(err)
	}
	if got := created.Service.Status; got != types.ServiceStatusCreateInProgress {
		t.Errorf("created service is %s", got)
	}
	if err := proton.NewServiceCreatedWaiter(cl, func(o *proton.ServiceCreatedWaiterOptions) { o.MinDelay, o.MaxDelay = poll, poll }).
		Wait(ctx, &proton.GetServiceInput{Name: aws.String("web1")}, time.Minute); err != nil {
		t.Fatalf("service_created: %v", err)
	}
	if err := proton.NewServicePipelineDeployedWaiter(cl, func(o *proton.ServicePipelineDeployedWaiterOptions) { o.MinDelay, o.MaxDelay = poll, poll }).
		Wait(ctx, &proton.GetServiceInput{Name: aws.String("web1")}, time.Minute); err != nil {
		t.Fatalf("service_pipeline_deployed: %v", err)
	}
	instanceWaiter := proton.NewServiceInstanceDeployedWaiter(cl, func(o *proton.ServiceInstanceDeployedWaiterOptions) { o.MinDelay, o.MaxDelay = poll, poll })
	for _, n := range []string{"a", "b"} {
		if err := instanceWaiter.Wait(ctx, &proton.GetServiceInstanceInput{ServiceName: aws.String("web1"), Name: aws.String(n)}, time.Minute); err != nil {
			t.Fatalf("service_instance_deployed %s: %v", n, err)
		}
	}
	// What the files rendered.
	outs, err := cl.ListServiceInstanceOutputs(ctx, &proton.ListServiceInstanceOutputsInput{ServiceName: aws.String("web1"), ServiceInstanceName: aws.String("b")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Env": "prod", "SameEnv": "prod", "Port": "8080", "Service": "web1/main/example-org/web", "Component": "0"}
	if got := svcOutputs(t, outs.Outputs); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("instance outputs = %v, want %v", got, want)
	}
	pouts, err := cl.ListServicePipelineOutputs(ctx, &proton.ListServicePipelineOutputsInput{ServiceName: aws.String("web1")})
	if err != nil {
		t.Fatal(err)
	}
	if got := svcOutputs(t, pouts.Outputs); got["Branch"] != "release" || got["Instances"] != "a@dev;b@prod;" {
		t.Errorf("pipeline outputs = %v", got)
	}

	svcRefusals(ctx, t, w)

	// An instance moves to the new minor version.
	up, err := cl.UpdateServiceInstance(ctx, &proton.UpdateServiceInstanceInput{ServiceName: aws.String("web1"), Name: aws.String("a"),
		DeploymentType: types.DeploymentUpdateTypeMinorVersion})
	if err != nil {
		t.Fatal(err)
	}
	if up.ServiceInstance.DeploymentStatus != types.DeploymentStatusInProgress || aws.ToString(up.ServiceInstance.TemplateMinorVersion) != "1" {
		t.Errorf("updated instance = %s %s", up.ServiceInstance.DeploymentStatus, aws.ToString(up.ServiceInstance.TemplateMinorVersion))
	}
	_, err = cl.UpdateServiceInstance(ctx, &proton.UpdateServiceInstanceInput{ServiceName: aws.String("web1"), Name: aws.String("a"),
		DeploymentType: types.DeploymentUpdateTypeCurrentVersion})
	svcExpectCode(t, "update of an instance in progress", err, "ConflictException")
	if err := instanceWaiter.Wait(ctx, &proton.GetServiceInstanceInput{ServiceName: aws.String("web1"), Name: aws.String("a")}, time.Minute); err != nil {
		t.Fatalf("service_instance_deployed after the update: %v", err)
	}

	// An instance outside the spec (as service sync makes one), repeated
	// with its client token; a second one of that name is refused.
	extra := &proton.CreateServiceInstanceInput{ServiceName: aws.String("web1"), Name: aws.String("x"), ClientToken: aws.String("x-1"),
		Spec: aws.String(svcSpec("x@prod:9090")), Tags: isoTeamTag()}
	ci, err := cl.CreateServiceInstance(ctx, extra)
	if err != nil {
		t.Fatal(err)
	}
	if ci.ServiceInstance.DeploymentStatus != types.DeploymentStatusInProgress || aws.ToString(ci.ServiceInstance.TemplateMinorVersion) != "0" {
		t.Errorf("created instance = %s on 1.%s", ci.ServiceInstance.DeploymentStatus, aws.ToString(ci.ServiceInstance.TemplateMinorVersion))
	}
	if again, err := cl.CreateServiceInstance(ctx, extra); err != nil || aws.ToString(again.ServiceInstance.LastAttemptedDeploymentId) != aws.ToString(ci.ServiceInstance.LastAttemptedDeploymentId) {
		t.Errorf("repeated CreateServiceInstance: %+v, %v", again, err)
	}
	extra.ClientToken = aws.String("x-2")
	_, err = cl.CreateServiceInstance(ctx, extra)
	svcExpectCode(t, "a second instance of one name", err, "ConflictException")
	if err := instanceWaiter.Wait(ctx, &proton.GetServiceInstanceInput{ServiceName: aws.String("web1"), Name: aws.String("x")}, time.Minute); err != nil {
		t.Fatalf("service_instance_deployed of the created instance: %v", err)
	}
	xouts, err := cl.ListServiceInstanceOutputs(ctx, &proton.ListServiceInstanceOutputsInput{ServiceName: aws.String("web1"), ServiceInstanceName: aws.String("x")})
	if err != nil || svcOutputs(t, xouts.Outputs)["Port"] != "9090" {
		t.Errorf("outputs of the created instance: %+v, %v", xouts, err)
	}
	if tags, err := isoTags(ctx, cl, aws.ToString(ci.ServiceInstance.Arn)); err != nil || tags != "team=a" {
		t.Errorf("tags of the created instance: %q, %v", tags, err)
	}

	// A pipeline update, cancelled.
	if _, err := cl.UpdateServicePipeline(ctx, &proton.UpdateServicePipelineInput{ServiceName: aws.String("web1"),
		DeploymentType: types.DeploymentUpdateTypeMinorVersion, Spec: aws.String(svcSpec("a@dev", "b@prod:8080"))}); err != nil {
		t.Fatal(err)
	}
	c, err := cl.CancelServicePipelineDeployment(ctx, &proton.CancelServicePipelineDeploymentInput{ServiceName: aws.String("web1")})
	if err != nil {
		t.Fatal(err)
	}
	if c.Pipeline.DeploymentStatus != types.DeploymentStatusCancelling {
		t.Errorf("cancelled pipeline is %s", c.Pipeline.DeploymentStatus)
	}
	pipe := svcWaitPipeline(ctx, t, cl, "web1")
	if pipe.DeploymentStatus != types.DeploymentStatusCancelled || aws.ToString(pipe.TemplateMinorVersion) != "0" {
		t.Errorf("pipeline after the cancel = %s on 1.%s, want CANCELLED on 1.0", pipe.DeploymentStatus, aws.ToString(pipe.TemplateMinorVersion))
	}

	// ${Proton::CURRENT_VAL} keeps an instance's current value.
	if _, err := cl.UpdateServiceInstance(ctx, &proton.UpdateServiceInstanceInput{ServiceName: aws.String("web1"), Name: aws.String("b"),
		DeploymentType: types.DeploymentUpdateTypeCurrentVersion, Spec: aws.String(svcSpec(`b@prod:"${Proton::CURRENT_VAL}"`))}); err != nil {
		t.Fatal(err)
	}
	if err := instanceWaiter.Wait(ctx, &proton.GetServiceInstanceInput{ServiceName: aws.String("web1"), Name: aws.String("b")}, time.Minute); err != nil {
		t.Fatalf("service_instance_deployed after CURRENT_VAL: %v", err)
	}
	bouts, err := cl.ListServiceInstanceOutputs(ctx, &proton.ListServiceInstanceOutputsInput{ServiceName: aws.String("web1"), ServiceInstanceName: aws.String("b")})
	if err != nil || svcOutputs(t, bouts.Outputs)["Port"] != "8080" {
		t.Errorf("port of b after ${Proton::CURRENT_VAL}: %+v, %v", bouts, err)
	}

	// Add an instance, then remove one.
	updatedWaiter := proton.NewServiceUpdatedWaiter(cl, func(o *proton.ServiceUpdatedWaiterOptions) { o.MinDelay, o.MaxDelay = poll, poll })
	u, err := cl.UpdateService(ctx, &proton.UpdateServiceInput{Name: aws.String("web1"), Spec: aws.String(svcSpec("a@dev", "b@prod:8080", "c@dev"))})
	if err != nil {
		t.Fatal(err)
	}
	if u.Service.Status != types.ServiceStatusUpdateInProgress {
		t.Errorf("service after adding an instance is %s", u.Service.Status)
	}
	if err := updatedWaiter.Wait(ctx, &proton.GetServiceInput{Name: aws.String("web1")}, time.Minute); err != nil {
		t.Fatalf("service_updated: %v", err)
	}
	if err := instanceWaiter.Wait(ctx, &proton.GetServiceInstanceInput{ServiceName: aws.String("web1"), Name: aws.String("c")}, time.Minute); err != nil {
		t.Fatalf("new instance: %v", err)
	}
	if _, err := cl.UpdateService(ctx, &proton.UpdateServiceInput{Name: aws.String("web1"), Spec: aws.String(svcSpec("b@prod:8080", "c@dev"))}); err != nil {
		t.Fatal(err)
	}
	if err := updatedWaiter.Wait(ctx, &proton.GetServiceInput{Name: aws.String("web1")}, time.Minute); err != nil {
		t.Fatalf("service_updated after a removal: %v", err)
	}
	_, err = cl.GetServiceInstance(ctx, &proton.GetServiceInstanceInput{ServiceName: aws.String("web1"), Name: aws.String("a")})
	svcExpectCode(t, "removed instance", err, "ResourceNotFoundException")
	list, err := cl.ListServiceInstances(ctx, &proton.ListServiceInstancesInput{SortBy: types.ListServiceInstancesSortByEnvironmentName,
		SortOrder: types.SortOrderDescending})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list.ServiceInstances {
		names = append(names, aws.ToString(s.Name))
	}
	if fmt.Sprint(names) != "[b c]" {
		t.Errorf("instances by environment, descending = %v", names)
	}
	filtered, err := cl.ListServiceInstances(ctx, &proton.ListServiceInstancesInput{Filters: []types.ListServiceInstancesFilter{
		{Key: types.ListServiceInstancesFilterByEnvironmentName, Value: aws.String("dev")}}})
	if err != nil || len(filtered.ServiceInstances) != 1 || aws.ToString(filtered.ServiceInstances[0].Name) != "c" {
		t.Errorf("instances in dev = %+v, %v", filtered, err)
	}
	published, err := cl.ListServiceInstances(ctx, &proton.ListServiceInstancesInput{ServiceName: aws.String("web1"), Filters: []types.ListServiceInstancesFilter{
		{Key: types.ListServiceInstancesFilterByDeployedTemplateVersionStatus, Value: aws.String("PUBLISHED")},
		{Key: types.ListServiceInstancesFilterByCreatedAtAfter, Value: aws.String("2020-01-01T00:00:00Z")}}})
	if err != nil || len(published.ServiceInstances) != 2 {
		t.Errorf("instances on published versions, created after 2020 = %+v, %v", published, err)
	}
	deps, err := cl.ListDeployments(ctx, &proton.ListDeploymentsInput{ServiceName: aws.String("web1"), ServiceInstanceName: aws.String("b")})
	if err != nil || len(deps.Deployments) != 2 || aws.ToString(deps.Deployments[0].ServiceInstanceName) != "b" {
		t.Errorf("deployments of instance b = %+v, %v", deps, err)
	}
	sum, err := cl.GetResourcesSummary(ctx, &proton.GetResourcesSummaryInput{})
	if err != nil {
		t.Fatal(err)
	}
	if c := sum.Counts; aws.ToInt32(c.Services.Total) != 1 || aws.ToInt32(c.ServiceInstances.Total) != 2 || aws.ToInt32(c.Pipelines.Total) != 1 ||
		aws.ToInt32(c.ServiceInstances.UpToDate) != 0 || aws.ToInt32(c.ServiceInstances.BehindMinor) != 2 {
		t.Errorf("resources summary: %s", isoJSON(c))
	}

	// Delete everything.
	if _, err := cl.DeleteService(ctx, &proton.DeleteServiceInput{Name: aws.String("web1")}); err != nil {
		t.Fatal(err)
	}
	if err := proton.NewServiceDeletedWaiter(cl, func(o *proton.ServiceDeletedWaiterOptions) { o.MinDelay, o.MaxDelay = poll, poll }).
		Wait(ctx, &proton.GetServiceInput{Name: aws.String("web1")}, time.Minute); err != nil {
		t.Fatalf("service_deleted: %v", err)
	}
	again, err := cl.DeleteService(ctx, &proton.DeleteServiceInput{Name: aws.String("web1")})
	if err != nil || again.Service != nil {
		t.Errorf("repeated delete: %+v, %v", again, err)
	}
	for _, e := range []string{"dev", "prod"} {
		if _, err := cl.DeleteEnvironment(ctx, &proton.DeleteEnvironmentInput{Name: aws.String(e)}); err != nil {
			t.Errorf("delete environment %s after its service: %v", e, err)
		}
	}
	if _, err := cl.DeleteServiceTemplateVersion(ctx, &proton.DeleteServiceTemplateVersionInput{TemplateName: aws.String("web"),
		MajorVersion: aws.String("1"), MinorVersion: aws.String("0")}); err != nil {
		t.Errorf("delete a version nothing runs on: %v", err)
	}
}

// svcWaitPipeline waits until a service's pipeline has no deployment in
// flight and returns it.
func svcWaitPipeline(ctx context.Context, t *testing.T, cl *proton.Client, name string) *types.ServicePipeline {
	t.Helper()
	for {
		got, err := cl.GetService(ctx, &proton.GetServiceInput{Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		switch p := got.Service.Pipeline; p.DeploymentStatus {
		case types.DeploymentStatusInProgress, types.DeploymentStatusCancelling:
		default:
			return p
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// svcState is what a refused call must leave as it was: the service, its
// instances, the deployments and the environments.
func svcState(ctx context.Context, t *testing.T, cl *proton.Client) string {
	t.Helper()
	var parts []string
	svcs, err := cl.ListServices(ctx, &proton.ListServicesInput{})
	if err != nil {
		t.Fatal(err)
	}
	insts, err := cl.ListServiceInstances(ctx, &proton.ListServiceInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	deps, err := cl.ListDeployments(ctx, &proton.ListDeploymentsInput{})
	if err != nil {
		t.Fatal(err)
	}
	envs, err := cl.ListEnvironments(ctx, &proton.ListEnvironmentsInput{})
	if err != nil {
		t.Fatal(err)
	}
	parts = append(parts, isoJSON(svcs.Services), isoJSON(insts.ServiceInstances), isoJSON(deps.Deployments), isoJSON(envs.Environments))
	for _, s := range svcs.Services {
		got, err := cl.GetService(ctx, &proton.GetServiceInput{Name: s.Name})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, isoJSON(got.Service))
	}
	return strings.Join(parts, "\n")
}

// svcRefusals makes each refused call of §2.4–2.6 on the world's settled
// service web1 and checks its error code and that nothing changed.
func svcRefusals(ctx context.Context, t *testing.T, w *svcWorld) {
	cl := w.cl
	before := svcState(ctx, t, cl)
	noRepo := svcCreate("web2", svcSpec("a@dev"))
	noRepo.RepositoryId = nil
	noInstances := svcCreate("web2", "proton: ServiceSpec\npipeline: {}\ninstances: []\n")
	cases := []struct {
		what string
		call func() error
		code string
	}{
		{"an instance in an environment that does not exist", func() error {
			_, err := cl.CreateService(ctx, svcCreate("web2", svcSpec("a@nowhere")))
			return err
		}, "ResourceNotFoundException"},
		{"a spec without instances", func() error { _, err := cl.CreateService(ctx, noInstances); return err }, "ValidationException"},
		{"a pipeline without its repository", func() error { _, err := cl.CreateService(ctx, noRepo); return err }, "ValidationException"},
		{"a spec that is not valid", func() error {
			_, err := cl.CreateService(ctx, svcCreate("web2", svcSpec("a@dev:notanumber")))
			return err
		}, "ValidationException"},
		{"the same name with other parameters", func() error {
			_, err := cl.CreateService(ctx, svcCreate("web1", svcSpec("a@dev")))
			return err
		}, "ValidationException"},
		{"an update that changes an instance", func() error {
			_, err := cl.UpdateService(ctx, &proton.UpdateServiceInput{Name: aws.String("web1"), Spec: aws.String(svcSpec("a@dev:81", "b@prod:8080"))})
			return err
		}, "ValidationException"},
		{"an update that changes the pipeline", func() error {
			_, err := cl.UpdateService(ctx, &proton.UpdateServiceInput{Name: aws.String("web1"),
				Spec: aws.String(strings.Replace(svcSpec("a@dev", "b@prod:8080"), "release", "other", 1))})
			return err
		}, "ValidationException"},
		{"an update without instances", func() error {
			_, err := cl.UpdateService(ctx, &proton.UpdateServiceInput{Name: aws.String("web1"), Spec: aws.String("proton: ServiceSpec\npipeline:\n  branch: release\ninstances: []\n")})
			return err
		}, "ValidationException"},
		{"deleting an environment with instances", func() error {
			_, err := cl.DeleteEnvironment(ctx, &proton.DeleteEnvironmentInput{Name: aws.String("dev")})
			return err
		}, "ConflictException"},
		{"deleting a version instances run on", func() error {
			_, err := cl.DeleteServiceTemplateVersion(ctx, &proton.DeleteServiceTemplateVersionInput{TemplateName: aws.String("web"),
				MajorVersion: aws.String("1"), MinorVersion: aws.String("0")})
			return err
		}, "ConflictException"},
		{"cancelling an instance without a deployment in progress", func() error {
			_, err := cl.CancelServiceInstanceDeployment(ctx, &proton.CancelServiceInstanceDeploymentInput{ServiceName: aws.String("web1"), ServiceInstanceName: aws.String("a")})
			return err
		}, "ConflictException"},
		{"a MAJOR_VERSION update without a higher major", func() error {
			_, err := cl.UpdateServiceInstance(ctx, &proton.UpdateServiceInstanceInput{ServiceName: aws.String("web1"), Name: aws.String("a"),
				DeploymentType: types.DeploymentUpdateTypeMajorVersion})
			return err
		}, "ValidationException"},
		{"CURRENT_VERSION with a version", func() error {
			_, err := cl.UpdateServicePipeline(ctx, &proton.UpdateServicePipelineInput{ServiceName: aws.String("web1"), Spec: aws.String(svcSpec("a@dev")),
				DeploymentType: types.DeploymentUpdateTypeCurrentVersion, TemplateMajorVersion: aws.String("1")})
			return err
		}, "ValidationException"},
		{"an instance of another service's name", func() error {
			_, err := cl.GetServiceInstance(ctx, &proton.GetServiceInstanceInput{ServiceName: aws.String("nope"), Name: aws.String("a")})
			return err
		}, "ResourceNotFoundException"},
	}
	for _, c := range cases {
		svcExpectCode(t, c.what, c.call(), c.code)
		if after := svcState(ctx, t, cl); after != before {
			t.Errorf("%s changed something:\n%s\nwas\n%s", c.what, after, before)
			before = after
		}
	}
}

// TestServicesBackstageJS runs js/services.test.mjs: the calls of the
// Backstage plugin for AWS Proton (CreateService with a repository, then
// GetService) through @aws-sdk/client-proton.
func TestServicesBackstageJS(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	svcWriteBundles(t, bundles)
	srv := connStartServer(t, "--bundle-dir", bundles, "--provisioner-delay", "100ms")
	t.Cleanup(func() { connNo5xx(t, srv) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w := svcBuild(ctx, t, srv, "dev")
	out := RunNode(t, srv, []string{"OPENPROTON_ACCOUNT=" + w.account, "OPENPROTON_ENVIRONMENT=dev"}, 1, "js/services.test.mjs")
	connLogRun(t, out)
}

// TestServicesBoto3 runs python/test_services.py: every waiter of the model
// for services, instances and pipelines through boto3 and the AWS CLI.
func TestServicesBoto3(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	srv := StartServer(t, "--bundle-dir", bundles)
	t.Cleanup(func() { connNo5xx(t, srv) })
	out := RunPython(t, srv, []string{"PYTHONDONTWRITEBYTECODE=1", "OPENPROTON_BUNDLE_DIR=" + bundles}, 2, "python.test_services.Waiters")
	connLogRun(t, out)
}

// TestServicesPipelineWithoutRole: a pipeline of an account without
// pipelineServiceRoleArn fails its deployment with a message that names
// the setting, and the service ends CREATE_FAILED, which the waiter
// service_created reports as a failure.
func TestServicesPipelineWithoutRole(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	svcWriteBundles(t, bundles)
	srv := connStartServer(t, "--store", "memory", "--bundle-dir", bundles, "--provisioner-delay", "100ms")
	t.Cleanup(func() { connNo5xx(t, srv) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w := svcBuild(ctx, t, srv, "dev")
	if _, err := w.cl.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineServiceRoleArn: aws.String("")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.cl.CreateService(ctx, svcCreate("norole", svcSpec("a@dev"))); err != nil {
		t.Fatal(err)
	}
	err := proton.NewServiceCreatedWaiter(w.cl, func(o *proton.ServiceCreatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, 200*time.Millisecond
	}).
		Wait(ctx, &proton.GetServiceInput{Name: aws.String("norole")}, time.Minute)
	if err == nil {
		t.Fatal("service_created succeeded for a service whose pipeline cannot provision")
	}
	got, err := w.cl.GetService(ctx, &proton.GetServiceInput{Name: aws.String("norole")})
	if err != nil {
		t.Fatal(err)
	}
	p := got.Service.Pipeline
	if got.Service.Status != types.ServiceStatusCreateFailed || p.DeploymentStatus != types.DeploymentStatusFailed ||
		!strings.Contains(aws.ToString(p.DeploymentStatusMessage), "pipelineServiceRoleArn") {
		t.Errorf("service %s, pipeline %s: %q; want CREATE_FAILED, FAILED naming pipelineServiceRoleArn",
			got.Service.Status, p.DeploymentStatus, aws.ToString(p.DeploymentStatusMessage))
	}
	if m := aws.ToString(got.Service.StatusMessage); !strings.HasPrefix(m, "The pipeline failed: ") || !strings.Contains(m, "pipelineServiceRoleArn") {
		t.Errorf("the failed service's statusMessage is %q; want it to say that the pipeline failed, and why", m)
	}
	inst, err := w.cl.GetServiceInstance(ctx, &proton.GetServiceInstanceInput{ServiceName: aws.String("norole"), Name: aws.String("a")})
	if err != nil || inst.ServiceInstance.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Errorf("the instance of a service whose pipeline failed: %+v, %v", inst, err)
	}
	// The pipeline never deployed: deleting the service needs no
	// pipeline role, although the account still has none.
	if _, err := w.cl.DeleteService(ctx, &proton.DeleteServiceInput{Name: aws.String("norole")}); err != nil {
		t.Fatal(err)
	}
	err = proton.NewServiceDeletedWaiter(w.cl, func(o *proton.ServiceDeletedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, 200*time.Millisecond
	}).Wait(ctx, &proton.GetServiceInput{Name: aws.String("norole")}, time.Minute)
	if err != nil {
		got, gerr := w.cl.GetService(ctx, &proton.GetServiceInput{Name: aws.String("norole")})
		if gerr == nil && got.Service.Pipeline != nil {
			t.Fatalf("service_deleted: %v; the service is %s, its pipeline %s: %q", err, got.Service.Status,
				got.Service.Pipeline.DeploymentStatus, aws.ToString(got.Service.Pipeline.DeploymentStatusMessage))
		}
		t.Fatalf("service_deleted: %v", err)
	}
}
