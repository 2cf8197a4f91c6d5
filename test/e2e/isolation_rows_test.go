package e2e

// Rows of the isolation matrix for the template, environment, deployment and
// account families.

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/openproton/openproton/internal/proton/environments"
	"github.com/openproton/openproton/internal/proton/templates"
)

// isoCall makes a row's call: f calls the operation on fx (or, with a
// ghost id, on a resource that does not exist) and returns the ARNs it
// returned or listed and the identifiers it sent; target is what a
// success on the fixture must return.
func isoCall(target func(fx *isoFixture) string, f func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) (returned, names []string, err error)) func(context.Context, *proton.Client, *isoFixture, string) isoResult {
	return func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) isoResult {
		returned, names, err := f(ctx, cl, fx, ghost)
		res := isoOutcome(err)
		res.returned, res.names = returned, names
		if target != nil {
			res.target = target(fx)
		}
		return res
	}
}

// isoGhostArn is resourceArn with the resource name name replaced by a
// ghost's (unchanged without a ghost).
func isoGhostArn(resourceArn, name, ghost string) string {
	if ghost == "" {
		return resourceArn
	}
	return strings.Replace(resourceArn, "/"+name, "/"+isoGhostName(ghost, name), 1)
}

func isoTemplateRows() []isoRow {
	f := isoTplFamily
	envTpl := func(fx *isoFixture) string { return fx.world.envTpl }
	envVer := func(fx *isoFixture) string { return fx.world.envVer }
	svcTpl := func(fx *isoFixture) string { return fx.world.svcTpl }
	svcVer := func(fx *isoFixture) string { return fx.world.svcVer }
	arnAt := func(get func(*isoFixture) string, name string) func(*isoFixture, string) string {
		return func(fx *isoFixture, ghost string) string { return isoGhostArn(get(fx), name, ghost) }
	}
	one := func(a *string, err error) ([]string, error) {
		if err != nil {
			return nil, err
		}
		return []string{aws.ToString(a)}, nil
	}
	rows := []isoRow{
		// Environment templates.
		{op: "GetEnvironmentTemplate", family: f, want: isoStandard(isoOK, isoHidden), call: isoCall(envTpl, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoEnvTpl)
			out, err := cl.GetEnvironmentTemplate(ctx, &proton.GetEnvironmentTemplateInput{Name: &n})
			if err != nil {
				return nil, []string{n}, err
			}
			r, err := one(out.EnvironmentTemplate.Arn, nil)
			return r, []string{n}, err
		})},
		{op: "UpdateEnvironmentTemplate", family: f, mutates: true, want: isoStandard(isoOK, isoHidden), call: isoCall(envTpl, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoEnvTpl)
			out, err := cl.UpdateEnvironmentTemplate(ctx, &proton.UpdateEnvironmentTemplateInput{Name: &n, Description: aws.String("changed")})
			if err != nil {
				return nil, []string{n}, err
			}
			return []string{aws.ToString(out.EnvironmentTemplate.Arn)}, []string{n}, nil
		})},
		{op: "DeleteEnvironmentTemplate", family: f, mutates: true, want: isoStandard(isoOK, isoHidden), call: isoCall(func(fx *isoFixture) string { return fx.world.bareEnvTpl }, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoBareEnvTpl)
			out, err := cl.DeleteEnvironmentTemplate(ctx, &proton.DeleteEnvironmentTemplateInput{Name: &n})
			if err != nil || out.EnvironmentTemplate == nil {
				return nil, []string{n}, err
			}
			return []string{aws.ToString(out.EnvironmentTemplate.Arn)}, []string{n}, nil
		})},
		{op: "ListEnvironmentTemplates", family: f, want: isoAllOwn(), call: isoCall(envTpl, func(ctx context.Context, cl *proton.Client, fx *isoFixture, _ string) ([]string, []string, error) {
			listed := []string{}
			p := proton.NewListEnvironmentTemplatesPaginator(cl, &proton.ListEnvironmentTemplatesInput{})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, nil, err
				}
				for _, s := range page.Templates {
					listed = append(listed, aws.ToString(s.Arn))
				}
			}
			return listed, nil, nil
		})},
		{op: "CreateEnvironmentTemplate", family: f, makesOwn: true, want: isoAllOwn(), call: func(ctx context.Context, cl *proton.Client, fx *isoFixture, _ string) isoResult {
			// The owner's own request: the owner gets its template again;
			// anyone else makes one of its own by that name.
			out, err := cl.CreateEnvironmentTemplate(ctx, fx.world.envTplCreate)
			res := isoOutcome(err)
			res.target = fx.world.envTpl
			if err == nil {
				res.made = aws.ToString(out.EnvironmentTemplate.Arn)
				res.returned = []string{res.made}
			}
			return res
		}},
		{op: "GetEnvironmentTemplateVersion", family: f, want: isoStandard(isoOK, isoHidden), call: isoCall(envVer, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoEnvTpl)
			out, err := cl.GetEnvironmentTemplateVersion(ctx, &proton.GetEnvironmentTemplateVersionInput{TemplateName: &n, MajorVersion: aws.String("1"), MinorVersion: aws.String("1")})
			if err != nil {
				return nil, []string{n}, err
			}
			return []string{aws.ToString(out.EnvironmentTemplateVersion.Arn)}, []string{n}, nil
		})},
		{op: "UpdateEnvironmentTemplateVersion", family: f, mutates: true, want: isoStandard(isoOK, isoHidden), call: isoCall(envVer, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoEnvTpl)
			out, err := cl.UpdateEnvironmentTemplateVersion(ctx, &proton.UpdateEnvironmentTemplateVersionInput{TemplateName: &n, MajorVersion: aws.String("1"), MinorVersion: aws.String("1"), Description: aws.String("changed")})
			if err != nil {
				return nil, []string{n}, err
			}
			return []string{aws.ToString(out.EnvironmentTemplateVersion.Arn)}, []string{n}, nil
		})},
		{op: "DeleteEnvironmentTemplateVersion", family: f, mutates: true, want: isoStandard(isoOK, isoHidden), call: isoCall(envVer, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoEnvTpl)
			out, err := cl.DeleteEnvironmentTemplateVersion(ctx, &proton.DeleteEnvironmentTemplateVersionInput{TemplateName: &n, MajorVersion: aws.String("1"), MinorVersion: aws.String("1")})
			if err != nil || out.EnvironmentTemplateVersion == nil {
				return nil, []string{n}, err
			}
			return []string{aws.ToString(out.EnvironmentTemplateVersion.Arn)}, []string{n}, nil
		})},
		{op: "ListEnvironmentTemplateVersions", family: f, want: isoStandard(isoOK, isoHidden), call: isoCall(envVer, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoEnvTpl)
			listed := []string{}
			p := proton.NewListEnvironmentTemplateVersionsPaginator(cl, &proton.ListEnvironmentTemplateVersionsInput{TemplateName: &n})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return listed, []string{n}, err
				}
				for _, s := range page.TemplateVersions {
					listed = append(listed, aws.ToString(s.Arn))
				}
			}
			return listed, []string{n}, nil
		})},
		{op: "CreateEnvironmentTemplateVersion", family: f, mutates: true, want: isoStandard(isoOK, isoHidden), call: isoCall(nil, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoEnvTpl)
			_, err := cl.CreateEnvironmentTemplateVersion(ctx, &proton.CreateEnvironmentTemplateVersionInput{TemplateName: &n, MajorVersion: aws.String("1"), Source: isoSource("env.tar.gz")})
			return nil, []string{n}, err
		})},

		// Service templates.
		{op: "GetServiceTemplate", family: f, want: isoStandard(isoOK, isoHidden), call: isoCall(svcTpl, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoSvcTpl)
			out, err := cl.GetServiceTemplate(ctx, &proton.GetServiceTemplateInput{Name: &n})
			if err != nil {
				return nil, []string{n}, err
			}
			return []string{aws.ToString(out.ServiceTemplate.Arn)}, []string{n}, nil
		})},
		{op: "UpdateServiceTemplate", family: f, mutates: true, want: isoStandard(isoOK, isoHidden), call: isoCall(svcTpl, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoSvcTpl)
			out, err := cl.UpdateServiceTemplate(ctx, &proton.UpdateServiceTemplateInput{Name: &n, Description: aws.String("changed")})
			if err != nil {
				return nil, []string{n}, err
			}
			return []string{aws.ToString(out.ServiceTemplate.Arn)}, []string{n}, nil
		})},
		{op: "DeleteServiceTemplate", family: f, mutates: true, want: isoStandard(isoOK, isoHidden), call: isoCall(func(fx *isoFixture) string { return fx.world.bareSvcTpl }, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoBareSvcTpl)
			out, err := cl.DeleteServiceTemplate(ctx, &proton.DeleteServiceTemplateInput{Name: &n})
			if err != nil || out.ServiceTemplate == nil {
				return nil, []string{n}, err
			}
			return []string{aws.ToString(out.ServiceTemplate.Arn)}, []string{n}, nil
		})},
		{op: "ListServiceTemplates", family: f, want: isoAllOwn(), call: isoCall(svcTpl, func(ctx context.Context, cl *proton.Client, fx *isoFixture, _ string) ([]string, []string, error) {
			listed := []string{}
			p := proton.NewListServiceTemplatesPaginator(cl, &proton.ListServiceTemplatesInput{})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, nil, err
				}
				for _, s := range page.Templates {
					listed = append(listed, aws.ToString(s.Arn))
				}
			}
			return listed, nil, nil
		})},
		{op: "CreateServiceTemplate", family: f, makesOwn: true, want: isoAllOwn(), call: func(ctx context.Context, cl *proton.Client, fx *isoFixture, _ string) isoResult {
			out, err := cl.CreateServiceTemplate(ctx, fx.world.svcTplCreate)
			res := isoOutcome(err)
			res.target = fx.world.svcTpl
			if err == nil {
				res.made = aws.ToString(out.ServiceTemplate.Arn)
				res.returned = []string{res.made}
			}
			return res
		}},
		{op: "GetServiceTemplateVersion", family: f, want: isoStandard(isoOK, isoHidden), call: isoCall(svcVer, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoSvcTpl)
			out, err := cl.GetServiceTemplateVersion(ctx, &proton.GetServiceTemplateVersionInput{TemplateName: &n, MajorVersion: aws.String("1"), MinorVersion: aws.String("0")})
			if err != nil {
				return nil, []string{n}, err
			}
			return []string{aws.ToString(out.ServiceTemplateVersion.Arn)}, []string{n}, nil
		})},
		{op: "UpdateServiceTemplateVersion", family: f, mutates: true, want: isoStandard(isoOK, isoHidden), call: isoCall(svcVer, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoSvcTpl)
			out, err := cl.UpdateServiceTemplateVersion(ctx, &proton.UpdateServiceTemplateVersionInput{TemplateName: &n, MajorVersion: aws.String("1"), MinorVersion: aws.String("0"), Description: aws.String("changed")})
			if err != nil {
				return nil, []string{n}, err
			}
			return []string{aws.ToString(out.ServiceTemplateVersion.Arn)}, []string{n}, nil
		})},
		{op: "DeleteServiceTemplateVersion", family: f, mutates: true, want: isoStandard(isoOK, isoHidden), call: isoCall(svcVer, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoSvcTpl)
			out, err := cl.DeleteServiceTemplateVersion(ctx, &proton.DeleteServiceTemplateVersionInput{TemplateName: &n, MajorVersion: aws.String("1"), MinorVersion: aws.String("0")})
			if err != nil || out.ServiceTemplateVersion == nil {
				return nil, []string{n}, err
			}
			return []string{aws.ToString(out.ServiceTemplateVersion.Arn)}, []string{n}, nil
		})},
		{op: "ListServiceTemplateVersions", family: f, want: isoStandard(isoOK, isoHidden), call: isoCall(svcVer, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoSvcTpl)
			listed := []string{}
			p := proton.NewListServiceTemplateVersionsPaginator(cl, &proton.ListServiceTemplateVersionsInput{TemplateName: &n})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return listed, []string{n}, err
				}
				for _, s := range page.TemplateVersions {
					listed = append(listed, aws.ToString(s.Arn))
				}
			}
			return listed, []string{n}, nil
		})},
		{op: "CreateServiceTemplateVersion", family: f, mutates: true, want: isoStandard(isoOK, isoHidden), call: isoCall(nil, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoSvcTpl)
			_, err := cl.CreateServiceTemplateVersion(ctx, &proton.CreateServiceTemplateVersionInput{
				TemplateName: &n, MajorVersion: aws.String("1"), Source: isoSource("svc.tar.gz"),
				CompatibleEnvironmentTemplates: []types.CompatibleEnvironmentTemplateInput{{TemplateName: aws.String(isoEnvTpl), MajorVersion: aws.String("1")}},
			})
			return nil, []string{n}, err
		})},
	}
	env, svc := templates.EnvironmentResourceType, templates.ServiceResourceType
	rows = append(rows, isoTagRows(f, "environment template", env, arnAt(envTpl, isoEnvTpl), isoOK, isoHidden)...)
	rows = append(rows, isoTagRows(f, "environment template version", env, arnAt(envVer, isoEnvTpl), isoOK, isoHidden)...)
	rows = append(rows, isoTagRows(f, "service template", svc, arnAt(svcTpl, isoSvcTpl), isoOK, isoHidden)...)
	return append(rows, isoTagRows(f, "service template version", svc, arnAt(svcVer, isoSvcTpl), isoOK, isoHidden)...)
}

func isoEnvRows() []isoRow {
	f := isoEnvFamily
	env := func(fx *isoFixture) string { return fx.world.env }
	envOut := func(e *types.Environment, names []string, err error) ([]string, []string, error) {
		if err != nil || e == nil {
			return nil, names, err
		}
		return []string{aws.ToString(e.Arn)}, names, nil
	}
	// Notifications change only an in-flight self-managed deployment
	// (docs/environments.md, Notifications): the row reports on the
	// self-managed environment's update, which has no connection, so the
	// owner alone may; environment accounts of connections and AWS-managed
	// deployments have their own test (TestNotifyConflicts).
	notify := isoStandard(isoOK, isoHidden)
	rows := []isoRow{
		{op: "GetEnvironment", family: f, want: isoStandard(isoOK, isoHidden), call: isoCall(env, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoEnvName)
			out, err := cl.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: &n})
			if err != nil {
				return envOut(nil, []string{n}, err)
			}
			return envOut(out.Environment, []string{n}, nil)
		})},
		{op: "UpdateEnvironment", family: f, mutates: true, want: isoStandard(isoOK, isoHidden), call: isoCall(env, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoEnvName)
			out, err := cl.UpdateEnvironment(ctx, &proton.UpdateEnvironmentInput{Name: &n, DeploymentType: types.DeploymentUpdateTypeNone, Description: aws.String("changed")})
			if err != nil {
				return envOut(nil, []string{n}, err)
			}
			return envOut(out.Environment, []string{n}, nil)
		})},
		{op: "DeleteEnvironment", family: f, mutates: true, want: isoStandard(isoOK, isoHidden), call: isoCall(env, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoEnvName)
			out, err := cl.DeleteEnvironment(ctx, &proton.DeleteEnvironmentInput{Name: &n})
			if err != nil {
				return envOut(nil, []string{n}, err)
			}
			return envOut(out.Environment, []string{n}, nil)
		})},
		{op: "CancelEnvironmentDeployment", family: f, mutates: true, want: isoStandard(isoOK, isoHidden), call: isoCall(nil, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			// The self-managed environment, whose update is in progress.
			n := isoGhostName(ghost, isoTfEnvName)
			_, err := cl.CancelEnvironmentDeployment(ctx, &proton.CancelEnvironmentDeploymentInput{EnvironmentName: &n})
			return nil, []string{n}, err
		})},
		{op: "ListEnvironments", family: f, want: isoAllOwn(), call: isoCall(env, func(ctx context.Context, cl *proton.Client, fx *isoFixture, _ string) ([]string, []string, error) {
			listed := []string{}
			p := proton.NewListEnvironmentsPaginator(cl, &proton.ListEnvironmentsInput{})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, nil, err
				}
				for _, s := range page.Environments {
					listed = append(listed, aws.ToString(s.Arn))
				}
			}
			return listed, nil, nil
		})},
		{op: "CreateEnvironment", family: f, mutates: true, want: isoStandard(isoOK, isoHidden), call: isoCall(func(fx *isoFixture) string { return strings.TrimSuffix(fx.world.env, isoEnvName) + "isonew" }, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			// A new environment on the owner's template: only the owner
			// has a template of that name.
			n := isoGhostName(ghost, isoEnvTpl)
			out, err := cl.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{
				Name: aws.String("isonew"), TemplateName: &n, TemplateMajorVersion: aws.String("1"), Spec: aws.String(isoSpec),
				ProtonServiceRoleArn: connRole(fx.owner, "proton"),
			})
			if err != nil {
				return envOut(nil, []string{n}, err)
			}
			return envOut(out.Environment, []string{n}, nil)
		})},
		{op: "ListEnvironmentOutputs", family: f, want: isoStandard(isoOK, isoHidden), call: isoCall(func(*isoFixture) string { return "Name" }, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoEnvName)
			out, err := cl.ListEnvironmentOutputs(ctx, &proton.ListEnvironmentOutputsInput{EnvironmentName: &n})
			if err != nil {
				return nil, []string{n}, err
			}
			keys := []string{}
			for _, o := range out.Outputs {
				keys = append(keys, aws.ToString(o.Key))
			}
			return keys, []string{n}, nil
		})},
		{op: "ListEnvironmentProvisionedResources", family: f, want: isoStandard(isoOK, isoHidden), call: isoCall(nil, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, isoEnvName)
			_, err := cl.ListEnvironmentProvisionedResources(ctx, &proton.ListEnvironmentProvisionedResourcesInput{EnvironmentName: &n})
			return nil, []string{n}, err
		})},
		{op: "NotifyResourceDeploymentStatusChange", family: f, mutates: true, want: notify, call: isoCall(nil, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			a := isoGhostArn(strings.Replace(fx.world.env, "/"+isoEnvName, "/"+isoTfEnvName, 1), isoTfEnvName, ghost)
			_, err := cl.NotifyResourceDeploymentStatusChange(ctx, &proton.NotifyResourceDeploymentStatusChangeInput{
				ResourceArn: &a, Outputs: []types.Output{{Key: aws.String("notified"), ValueString: aws.String("yes")}},
			})
			return nil, []string{a}, err
		})},
	}
	return append(rows, isoTagRows(f, "environment", environments.ResourceType, func(fx *isoFixture, ghost string) string {
		return isoGhostArn(fx.world.env, isoEnvName, ghost)
	}, isoOK, isoHidden)...)
}

// isoDeploymentRows are the rows of the deployments family, on the
// environment world's first deployment.
func isoDeploymentRows() []isoRow {
	f := isoEnvFamily
	dep := func(fx *isoFixture) string { return aws.ToString(fx.world.firstDeployment.Arn) }
	depID := func(fx *isoFixture, ghost string) string {
		if ghost != "" {
			return ghost
		}
		return aws.ToString(fx.world.firstDeployment.Id)
	}
	return []isoRow{
		{op: "GetDeployment", family: f, want: isoStandard(isoOK, isoHidden), call: isoCall(dep, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			id := depID(fx, ghost)
			out, err := cl.GetDeployment(ctx, &proton.GetDeploymentInput{Id: &id})
			if err != nil {
				return nil, []string{id}, err
			}
			return []string{aws.ToString(out.Deployment.Arn)}, []string{id}, nil
		})},
		{op: "DeleteDeployment", family: f, mutates: true, want: isoStandard(isoOK, isoHidden), call: isoCall(dep, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			id := depID(fx, ghost)
			out, err := cl.DeleteDeployment(ctx, &proton.DeleteDeploymentInput{Id: &id})
			if err != nil || out.Deployment == nil {
				return nil, []string{id}, err
			}
			return []string{aws.ToString(out.Deployment.Arn)}, []string{id}, nil
		})},
		{op: "ListDeployments", family: f, want: isoStandard(isoOK, isoHidden), call: isoCall(dep, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			// Every deployment the caller sees, then those of the
			// environment by name: neither may show the owner's to others.
			n := isoGhostName(ghost, isoEnvName)
			listed := []string{}
			for _, in := range []*proton.ListDeploymentsInput{{}, {EnvironmentName: &n}} {
				p := proton.NewListDeploymentsPaginator(cl, in)
				for p.HasMorePages() {
					page, err := p.NextPage(ctx)
					if err != nil {
						return listed, []string{n}, err
					}
					for _, s := range page.Deployments {
						listed = append(listed, aws.ToString(s.Arn))
					}
				}
			}
			return listed, []string{n}, nil
		})},
	}
}

// isoAccountRows are the rows of the account family, on the environment
// world's owner.
func isoAccountRows() []isoRow {
	f := isoEnvFamily
	return []isoRow{
		{op: "GetAccountSettings", family: f, want: isoAllOwn(), call: isoCall(func(fx *isoFixture) string { return fx.world.settingsRole }, func(ctx context.Context, cl *proton.Client, fx *isoFixture, _ string) ([]string, []string, error) {
			out, err := cl.GetAccountSettings(ctx, &proton.GetAccountSettingsInput{})
			if err != nil {
				return nil, nil, err
			}
			return []string{aws.ToString(out.AccountSettings.PipelineServiceRoleArn)}, nil, nil
		})},
		{op: "UpdateAccountSettings", family: f, mutates: true, want: isoAllOwn(), call: isoCall(func(fx *isoFixture) string { return fx.world.settingsRole }, func(ctx context.Context, cl *proton.Client, fx *isoFixture, _ string) ([]string, []string, error) {
			// Changes the caller's own settings only: the owner's service
			// role stays, and nobody else sees it.
			out, err := cl.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineCodebuildRoleArn: aws.String("arn:aws:iam::123456789012:role/iso-cb")})
			if err != nil {
				return nil, nil, err
			}
			return []string{aws.ToString(out.AccountSettings.PipelineServiceRoleArn)}, nil, nil
		})},
		{op: "GetResourcesSummary", family: f, want: isoAllOwn(), call: isoCall(func(*isoFixture) string { return "environments:2 environmentTemplates:3 serviceTemplates:2" }, func(ctx context.Context, cl *proton.Client, fx *isoFixture, _ string) ([]string, []string, error) {
			out, err := cl.GetResourcesSummary(ctx, &proton.GetResourcesSummaryInput{})
			if err != nil {
				return nil, nil, err
			}
			c := out.Counts
			return []string{fmt.Sprintf("environments:%d environmentTemplates:%d serviceTemplates:%d",
				aws.ToInt32(c.Environments.Total), aws.ToInt32(c.EnvironmentTemplates.Total), aws.ToInt32(c.ServiceTemplates.Total))}, nil, nil
		})},
	}
}
