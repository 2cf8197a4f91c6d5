package e2e

// The services family of the isolation matrix: a world (isoBuildWorld)
// with two services of the owner's: isoweb, AWS-managed and ACTIVE, with
// an instance in the environment iso and a pipeline; and isobusy,
// self-managed (Terraform, in isotfenv), whose instance and pipeline each
// have an update in progress, waiting for a notification.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/openproton/openproton/internal/proton/services"
)

const (
	isoSvcName    = "isoweb"
	isoSvcInst    = "inst"
	isoBusyName   = "isobusy"
	isoBusyInst   = "tfinst"
	isoTfSvcTpl   = "isotfsvc"
	isoSvcSpec    = "proton: ServiceSpec\npipeline:\n  branch: main\ninstances:\n  - name: inst\n    environment: iso\n"
	isoBusySpec   = "proton: ServiceSpec\npipeline:\n  branch: main\ninstances:\n  - name: tfinst\n    environment: isotfenv\n"
	isoRepository = "arn:aws:codestar-connections:us-east-1:123456789012:connection/iso"
)

var isoSvcFamily = &isoFamily{name: "service", snapshot: isoSvcSnapshot, build: func(ctx context.Context, srv *Server, _ string) (*isoFixture, error) {
	return isoBuildServices(ctx, srv)
}}

// isoSvcCreate is the CreateService request of a service of the world.
func isoSvcCreate(name, template, spec string) *proton.CreateServiceInput {
	return &proton.CreateServiceInput{Name: aws.String(name), TemplateName: aws.String(template), TemplateMajorVersion: aws.String("1"),
		Spec: aws.String(spec), RepositoryConnectionArn: aws.String(isoRepository), RepositoryId: aws.String("example-org/web"),
		BranchName: aws.String("main"), Tags: isoTeamTag()}
}

// isoBuildServices builds a world with the two services.
func isoBuildServices(ctx context.Context, srv *Server) (*isoFixture, error) {
	fx, err := isoBuildWorld(ctx, srv, true)
	if err != nil {
		return nil, err
	}
	m := connClient(srv, fx.owner, "us-east-1")
	if _, err := m.UpdateServiceTemplateVersion(ctx, &proton.UpdateServiceTemplateVersionInput{TemplateName: aws.String(isoSvcTpl),
		MajorVersion: aws.String("1"), MinorVersion: aws.String("0"), Status: types.TemplateVersionStatusPublished}); err != nil {
		return nil, err
	}
	if _, err := m.CreateServiceTemplate(ctx, &proton.CreateServiceTemplateInput{Name: aws.String(isoTfSvcTpl)}); err != nil {
		return nil, err
	}
	if _, err := m.CreateServiceTemplateVersion(ctx, &proton.CreateServiceTemplateVersionInput{TemplateName: aws.String(isoTfSvcTpl),
		Source:                         isoSource("svctf.tar.gz"),
		CompatibleEnvironmentTemplates: []types.CompatibleEnvironmentTemplateInput{{TemplateName: aws.String(isoTfTpl), MajorVersion: aws.String("1")}},
	}); err != nil {
		return nil, fmt.Errorf("create Terraform service template version: %w", err)
	}
	key := &proton.GetServiceTemplateVersionInput{TemplateName: aws.String(isoTfSvcTpl), MajorVersion: aws.String("1"), MinorVersion: aws.String("0")}
	if err := publishServiceVersion(ctx, m, key); err != nil {
		return nil, err
	}
	if _, err := m.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineProvisioningRepository: &types.RepositoryBranchInput{
		Provider: types.RepositoryProviderGithub, Name: aws.String("example-org/pipelines"), Branch: aws.String("main")}}); err != nil {
		return nil, err
	}
	web, err := m.CreateService(ctx, isoSvcCreate(isoSvcName, isoSvcTpl, isoSvcSpec))
	if err != nil {
		return nil, fmt.Errorf("create service: %w", err)
	}
	fx.world.service = aws.ToString(web.Service.Arn)
	busy, err := m.CreateService(ctx, isoSvcCreate(isoBusyName, isoTfSvcTpl, isoBusySpec))
	if err != nil {
		return nil, fmt.Errorf("create self-managed service: %w", err)
	}
	pipeline := aws.ToString(busy.Service.Pipeline.Arn)
	instance := strings.TrimSuffix(pipeline, "/pipeline") + "/service-instance/" + isoBusyInst
	for _, a := range []string{instance, pipeline} {
		if _, err := m.NotifyResourceDeploymentStatusChange(ctx, &proton.NotifyResourceDeploymentStatusChangeInput{ResourceArn: aws.String(a),
			Status: types.ResourceDeploymentStatusSucceeded}); err != nil {
			return nil, fmt.Errorf("notify %s: %w", a, err)
		}
	}
	for {
		got, err := m.GetService(ctx, &proton.GetServiceInput{Name: aws.String(isoSvcName)})
		if err != nil {
			return nil, err
		}
		if got.Service.Status == types.ServiceStatusActive && got.Service.Pipeline.DeploymentStatus == types.DeploymentStatusSucceeded {
			fx.world.instance = fx.world.service + "/service-instance/" + isoSvcInst
			break
		}
		if got.Service.Status != types.ServiceStatusCreateInProgress {
			return nil, fmt.Errorf("service %s is %s: %s", isoSvcName, got.Service.Status, aws.ToString(got.Service.StatusMessage))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	// The self-managed service's updates, in progress until notified.
	if _, err := m.UpdateServiceInstance(ctx, &proton.UpdateServiceInstanceInput{ServiceName: aws.String(isoBusyName), Name: aws.String(isoBusyInst),
		DeploymentType: types.DeploymentUpdateTypeCurrentVersion}); err != nil {
		return nil, err
	}
	if _, err := m.UpdateServicePipeline(ctx, &proton.UpdateServicePipelineInput{ServiceName: aws.String(isoBusyName), Spec: aws.String(isoBusySpec),
		DeploymentType: types.DeploymentUpdateTypeCurrentVersion}); err != nil {
		return nil, err
	}
	return fx, nil
}

// isoSvcSnapshot is the owner's services, instances, their deployments and
// outputs, and the tags of isoweb and its instance.
func isoSvcSnapshot(ctx context.Context, srv *Server, fx *isoFixture) (string, error) {
	m := connClient(srv, fx.owner, "us-east-1")
	var parts []string
	for _, name := range []string{isoSvcName, isoBusyName} {
		v, err := m.GetService(ctx, &proton.GetServiceInput{Name: aws.String(name)})
		if err != nil {
			return "", err
		}
		parts = append(parts, isoJSON(v.Service))
	}
	insts, err := m.ListServiceInstances(ctx, &proton.ListServiceInstancesInput{})
	if err != nil {
		return "", err
	}
	// The services' deployments only: the world's environments have
	// theirs in the environment family's snapshot.
	var deps []types.DeploymentSummary
	for _, name := range []string{isoSvcName, isoBusyName} {
		out, err := m.ListDeployments(ctx, &proton.ListDeploymentsInput{ServiceName: aws.String(name)})
		if err != nil {
			return "", err
		}
		deps = append(deps, out.Deployments...)
	}
	outs, err := m.ListServiceInstanceOutputs(ctx, &proton.ListServiceInstanceOutputsInput{ServiceName: aws.String(isoSvcName), ServiceInstanceName: aws.String(isoSvcInst)})
	if err != nil {
		return "", err
	}
	parts = append(parts, isoJSON(insts.ServiceInstances), isoJSON(deps), isoJSON(outs.Outputs))
	for _, a := range []string{fx.world.service, fx.world.instance} {
		tags, err := isoTags(ctx, m, a)
		if err != nil {
			return "", err
		}
		parts = append(parts, a+" tags "+tags)
	}
	return strings.Join(parts, "\n "), nil
}

// isoSvcRows are the rows of the services family.
func isoSvcRows() []isoRow {
	f := isoSvcFamily
	svc := func(fx *isoFixture) string { return fx.world.service }
	inst := func(fx *isoFixture) string { return fx.world.instance }
	std := isoStandard(isoOK, isoHidden)
	// call makes a call on a service of the world (name, or a ghost's).
	call := func(name string, target func(*isoFixture) string, f func(ctx context.Context, cl *proton.Client, svc string) ([]string, error)) func(context.Context, *proton.Client, *isoFixture, string) isoResult {
		return isoCall(target, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, name)
			returned, err := f(ctx, cl, n)
			return returned, []string{n}, err
		})
	}
	arns := func(as ...*string) []string {
		out := []string{}
		for _, a := range as {
			out = append(out, aws.ToString(a))
		}
		return out
	}
	rows := []isoRow{
		{op: "GetService", family: f, want: std, call: call(isoSvcName, svc, func(ctx context.Context, cl *proton.Client, n string) ([]string, error) {
			out, err := cl.GetService(ctx, &proton.GetServiceInput{Name: &n})
			if err != nil {
				return nil, err
			}
			return arns(out.Service.Arn), nil
		})},
		{op: "ListServices", family: f, want: isoAllOwn(), call: isoCall(svc, func(ctx context.Context, cl *proton.Client, fx *isoFixture, _ string) ([]string, []string, error) {
			listed := []string{}
			p := proton.NewListServicesPaginator(cl, &proton.ListServicesInput{})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, nil, err
				}
				for _, s := range page.Services {
					listed = append(listed, aws.ToString(s.Arn))
				}
			}
			return listed, nil, nil
		})},
		{op: "CreateService", family: f, mutates: true, want: std, call: isoCall(nil, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			// A new service on the owner's template: only the owner has
			// a template of that name.
			n := isoGhostName(ghost, isoSvcTpl)
			_, err := cl.CreateService(ctx, isoSvcCreate("isonew", n, isoSvcSpec))
			return nil, []string{n}, err
		})},
		{op: "UpdateService", family: f, mutates: true, want: std, call: call(isoSvcName, svc, func(ctx context.Context, cl *proton.Client, n string) ([]string, error) {
			out, err := cl.UpdateService(ctx, &proton.UpdateServiceInput{Name: &n, Description: aws.String("changed")})
			if err != nil {
				return nil, err
			}
			return arns(out.Service.Arn), nil
		})},
		{op: "DeleteService", family: f, mutates: true, want: std, call: call(isoSvcName, svc, func(ctx context.Context, cl *proton.Client, n string) ([]string, error) {
			out, err := cl.DeleteService(ctx, &proton.DeleteServiceInput{Name: &n})
			if err != nil || out.Service == nil {
				return nil, err
			}
			return arns(out.Service.Arn), nil
		})},
		{op: "CreateServiceInstance", family: f, mutates: true, want: std, call: call(isoSvcName, nil, func(ctx context.Context, cl *proton.Client, n string) ([]string, error) {
			_, err := cl.CreateServiceInstance(ctx, &proton.CreateServiceInstanceInput{ServiceName: &n, Name: aws.String("inst2"), ClientToken: aws.String("iso"),
				Spec: aws.String(isoSvcSpec + "  - name: inst2\n    environment: iso\n"), Tags: isoTeamTag()})
			return nil, err
		})},
		{op: "GetServiceInstance", family: f, want: std, call: call(isoSvcName, inst, func(ctx context.Context, cl *proton.Client, n string) ([]string, error) {
			out, err := cl.GetServiceInstance(ctx, &proton.GetServiceInstanceInput{ServiceName: &n, Name: aws.String(isoSvcInst)})
			if err != nil {
				return nil, err
			}
			return arns(out.ServiceInstance.Arn), nil
		})},
		{op: "ListServiceInstances", family: f, want: isoAllOwn(), call: isoCall(inst, func(ctx context.Context, cl *proton.Client, fx *isoFixture, _ string) ([]string, []string, error) {
			listed := []string{}
			p := proton.NewListServiceInstancesPaginator(cl, &proton.ListServiceInstancesInput{})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, nil, err
				}
				for _, s := range page.ServiceInstances {
					listed = append(listed, aws.ToString(s.Arn))
				}
			}
			return listed, nil, nil
		})},
		{op: "UpdateServiceInstance", family: f, mutates: true, want: std, call: call(isoSvcName, inst, func(ctx context.Context, cl *proton.Client, n string) ([]string, error) {
			out, err := cl.UpdateServiceInstance(ctx, &proton.UpdateServiceInstanceInput{ServiceName: &n, Name: aws.String(isoSvcInst),
				DeploymentType: types.DeploymentUpdateTypeCurrentVersion})
			if err != nil {
				return nil, err
			}
			return arns(out.ServiceInstance.Arn), nil
		})},
		{op: "CancelServiceInstanceDeployment", family: f, mutates: true, want: std, call: call(isoBusyName, nil, func(ctx context.Context, cl *proton.Client, n string) ([]string, error) {
			_, err := cl.CancelServiceInstanceDeployment(ctx, &proton.CancelServiceInstanceDeploymentInput{ServiceName: &n, ServiceInstanceName: aws.String(isoBusyInst)})
			return nil, err
		})},
		{op: "ListServiceInstanceOutputs", family: f, want: std, call: call(isoSvcName, nil, func(ctx context.Context, cl *proton.Client, n string) ([]string, error) {
			_, err := cl.ListServiceInstanceOutputs(ctx, &proton.ListServiceInstanceOutputsInput{ServiceName: &n, ServiceInstanceName: aws.String(isoSvcInst)})
			return nil, err
		})},
		{op: "ListServiceInstanceProvisionedResources", family: f, want: std, call: call(isoSvcName, nil, func(ctx context.Context, cl *proton.Client, n string) ([]string, error) {
			_, err := cl.ListServiceInstanceProvisionedResources(ctx, &proton.ListServiceInstanceProvisionedResourcesInput{ServiceName: &n, ServiceInstanceName: aws.String(isoSvcInst)})
			return nil, err
		})},
		{op: "UpdateServicePipeline", family: f, mutates: true, want: std, call: call(isoSvcName, nil, func(ctx context.Context, cl *proton.Client, n string) ([]string, error) {
			_, err := cl.UpdateServicePipeline(ctx, &proton.UpdateServicePipelineInput{ServiceName: &n, Spec: aws.String(isoSvcSpec),
				DeploymentType: types.DeploymentUpdateTypeCurrentVersion})
			return nil, err
		})},
		{op: "CancelServicePipelineDeployment", family: f, mutates: true, want: std, call: call(isoBusyName, nil, func(ctx context.Context, cl *proton.Client, n string) ([]string, error) {
			_, err := cl.CancelServicePipelineDeployment(ctx, &proton.CancelServicePipelineDeploymentInput{ServiceName: &n})
			return nil, err
		})},
		{op: "ListServicePipelineOutputs", family: f, want: std, call: call(isoSvcName, nil, func(ctx context.Context, cl *proton.Client, n string) ([]string, error) {
			_, err := cl.ListServicePipelineOutputs(ctx, &proton.ListServicePipelineOutputsInput{ServiceName: &n})
			return nil, err
		})},
		{op: "ListServicePipelineProvisionedResources", family: f, want: std, call: call(isoSvcName, nil, func(ctx context.Context, cl *proton.Client, n string) ([]string, error) {
			_, err := cl.ListServicePipelineProvisionedResources(ctx, &proton.ListServicePipelineProvisionedResourcesInput{ServiceName: &n})
			return nil, err
		})},
	}
	// A notification on the self-managed instance's update in progress:
	// the service's account alone may report on it.
	rows = append(rows, isoRow{op: "NotifyResourceDeploymentStatusChange", on: "service instance", family: f, mutates: true, want: std,
		call: isoCall(nil, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			a := strings.Replace(fx.world.service, "/"+isoSvcName, "/"+isoBusyName, 1) + "/service-instance/" + isoBusyInst
			a = isoGhostArn(a, isoBusyName, ghost)
			_, err := cl.NotifyResourceDeploymentStatusChange(ctx, &proton.NotifyResourceDeploymentStatusChangeInput{
				ResourceArn: &a, Outputs: []types.Output{{Key: aws.String("notified"), ValueString: aws.String("yes")}},
			})
			return nil, []string{a}, err
		})})
	rows = append(rows, isoTagRows(f, "service", services.ResourceType, func(fx *isoFixture, ghost string) string {
		return isoGhostArn(fx.world.service, isoSvcName, ghost)
	}, isoOK, isoHidden)...)
	return append(rows, isoTagRows(f, "service instance", services.ResourceType, func(fx *isoFixture, ghost string) string {
		return isoGhostArn(fx.world.instance, isoSvcInst, ghost)
	}, isoOK, isoHidden)...)
}
