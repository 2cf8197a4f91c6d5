package e2e

// The components family of the isolation matrix: a world (isoBuildWorld)
// whose connection gives environment iso a component role, with two
// detached components of the owner's: isocomp in iso, deployed, and
// isotfcomp (Terraform) in the self-managed isotfenv, whose update is in
// progress, waiting for a notification.

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/openproton/openproton/internal/proton/components"
)

const (
	isoCompName   = "isocomp"
	isoTfCompName = "isotfcomp"
	isoCompCFN    = "Resources: {}\nOutputs:\n  Name:\n    Value: '{{ component.name }}'\n"
	isoCompTFMan  = "infrastructure:\n  templates:\n    - file: main.tf\n      rendering_engine: hcl\n      template_language: terraform\n"
)

var isoCompFamily = &isoFamily{name: "component", snapshot: isoCompSnapshot, build: func(ctx context.Context, srv *Server, _ string) (*isoFixture, error) {
	return isoBuildComponents(ctx, srv)
}}

// isoCompCreate is the CreateComponent request of a detached component of
// the world.
func isoCompCreate(name, env string) *proton.CreateComponentInput {
	in := &proton.CreateComponentInput{Name: aws.String(name), EnvironmentName: aws.String(env), Manifest: aws.String(compCFNManifest),
		TemplateFile: aws.String(isoCompCFN), Tags: isoTeamTag()}
	if env == isoTfEnvName {
		in.Manifest, in.TemplateFile = aws.String(isoCompTFMan), aws.String("resource \"null_resource\" \"c\" {}\n")
	}
	return in
}

// isoCompArn is the ARN of a component of the owner's.
func isoCompArn(fx *isoFixture, name string) string {
	return fmt.Sprintf("arn:aws:proton:us-east-1:%s:component/%s", fx.owner, name)
}

// isoBuildComponents builds a world with the two components.
func isoBuildComponents(ctx context.Context, srv *Server) (*isoFixture, error) {
	fx, err := isoBuildWorld(ctx, srv, true)
	if err != nil {
		return nil, err
	}
	m, e := connClient(srv, fx.owner, "us-east-1"), connClient(srv, fx.other, "us-east-1")
	env, err := m.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String(isoEnvName)})
	if err != nil {
		return nil, err
	}
	if _, err := e.UpdateEnvironmentAccountConnection(ctx, &proton.UpdateEnvironmentAccountConnectionInput{
		Id: env.Environment.EnvironmentAccountConnectionId, ComponentRoleArn: connRole(fx.other, "component")}); err != nil {
		return nil, fmt.Errorf("give the connection a component role: %w", err)
	}
	// The self-managed environment's update ends first, so that the
	// component's notifications are the only ones in flight.
	if _, err := m.NotifyResourceDeploymentStatusChange(ctx, &proton.NotifyResourceDeploymentStatusChangeInput{
		ResourceArn: aws.String(fmt.Sprintf("arn:aws:proton:us-east-1:%s:environment/%s", fx.owner, isoTfEnvName)),
		Status:      types.ResourceDeploymentStatusSucceeded}); err != nil {
		return nil, fmt.Errorf("notify %s: %w", isoTfEnvName, err)
	}
	if _, err := m.CreateComponent(ctx, isoCompCreate(isoCompName, isoEnvName)); err != nil {
		return nil, fmt.Errorf("create component: %w", err)
	}
	if _, err := m.CreateComponent(ctx, isoCompCreate(isoTfCompName, isoTfEnvName)); err != nil {
		return nil, fmt.Errorf("create self-managed component: %w", err)
	}
	if _, err := m.NotifyResourceDeploymentStatusChange(ctx, &proton.NotifyResourceDeploymentStatusChangeInput{
		ResourceArn: aws.String(isoCompArn(fx, isoTfCompName)), Status: types.ResourceDeploymentStatusSucceeded}); err != nil {
		return nil, fmt.Errorf("notify %s: %w", isoTfCompName, err)
	}
	for {
		got, err := m.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String(isoCompName)})
		if err != nil {
			return nil, err
		}
		if got.Component.DeploymentStatus == types.DeploymentStatusSucceeded {
			break
		}
		if got.Component.DeploymentStatus != types.DeploymentStatusInProgress {
			return nil, fmt.Errorf("component %s is %s: %s", isoCompName, got.Component.DeploymentStatus, aws.ToString(got.Component.DeploymentStatusMessage))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	// The self-managed component's update, in progress until notified.
	if _, err := m.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String(isoTfCompName),
		DeploymentType: types.ComponentDeploymentUpdateTypeCurrentVersion}); err != nil {
		return nil, err
	}
	return fx, nil
}

// isoCompSnapshot is the owner's components, their deployments and
// outputs, and the tags of isocomp.
func isoCompSnapshot(ctx context.Context, srv *Server, fx *isoFixture) (string, error) {
	m := connClient(srv, fx.owner, "us-east-1")
	var parts []string
	for _, name := range []string{isoCompName, isoTfCompName} {
		c, err := m.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String(name)})
		if err != nil {
			return "", err
		}
		deps, err := m.ListDeployments(ctx, &proton.ListDeploymentsInput{ComponentName: aws.String(name)})
		if err != nil {
			return "", err
		}
		outs, err := m.ListComponentOutputs(ctx, &proton.ListComponentOutputsInput{ComponentName: aws.String(name)})
		if err != nil {
			return "", err
		}
		parts = append(parts, isoJSON(c.Component), isoJSON(deps.Deployments), isoJSON(outs.Outputs))
	}
	list, err := m.ListComponents(ctx, &proton.ListComponentsInput{})
	if err != nil {
		return "", err
	}
	tags, err := isoTags(ctx, m, isoCompArn(fx, isoCompName))
	if err != nil {
		return "", err
	}
	return isoJSON(list.Components) + "\n " + fmt.Sprint(parts) + "\n tags " + tags, nil
}

// isoCompRows are the rows of the components family.
func isoCompRows() []isoRow {
	f := isoCompFamily
	comp := func(fx *isoFixture) string { return isoCompArn(fx, isoCompName) }
	std := isoStandard(isoOK, isoHidden)
	// call makes a call on a component of the world (name, or a ghost's).
	call := func(name string, target func(*isoFixture) string, f func(ctx context.Context, cl *proton.Client, n string) (*types.Component, error)) func(context.Context, *proton.Client, *isoFixture, string) isoResult {
		return isoCall(target, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			n := isoGhostName(ghost, name)
			c, err := f(ctx, cl, n)
			if err != nil || c == nil {
				return nil, []string{n}, err
			}
			return []string{aws.ToString(c.Arn)}, []string{n}, nil
		})
	}
	rows := []isoRow{
		{op: "GetComponent", family: f, want: std, call: call(isoCompName, comp, func(ctx context.Context, cl *proton.Client, n string) (*types.Component, error) {
			out, err := cl.GetComponent(ctx, &proton.GetComponentInput{Name: &n})
			if err != nil {
				return nil, err
			}
			return out.Component, nil
		})},
		{op: "ListComponents", family: f, want: isoAllOwn(), call: isoCall(comp, func(ctx context.Context, cl *proton.Client, fx *isoFixture, _ string) ([]string, []string, error) {
			listed := []string{}
			p := proton.NewListComponentsPaginator(cl, &proton.ListComponentsInput{})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, nil, err
				}
				for _, c := range page.Components {
					listed = append(listed, aws.ToString(c.Arn))
				}
			}
			return listed, nil, nil
		})},
		{op: "CreateComponent", family: f, mutates: true, want: std, call: isoCall(nil, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
			// A new component in the owner's environment: only the owner
			// has an environment of that name.
			n := isoGhostName(ghost, isoEnvName)
			_, err := cl.CreateComponent(ctx, isoCompCreate("isonewcomp", n))
			return nil, []string{n}, err
		})},
		{op: "UpdateComponent", family: f, mutates: true, want: std, call: call(isoCompName, comp, func(ctx context.Context, cl *proton.Client, n string) (*types.Component, error) {
			out, err := cl.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: &n, DeploymentType: types.ComponentDeploymentUpdateTypeCurrentVersion})
			if err != nil {
				return nil, err
			}
			return out.Component, nil
		})},
		{op: "DeleteComponent", family: f, mutates: true, want: std, call: call(isoCompName, comp, func(ctx context.Context, cl *proton.Client, n string) (*types.Component, error) {
			out, err := cl.DeleteComponent(ctx, &proton.DeleteComponentInput{Name: &n})
			if err != nil {
				return nil, err
			}
			return out.Component, nil
		})},
		{op: "CancelComponentDeployment", family: f, mutates: true, want: std, call: call(isoTfCompName, nil, func(ctx context.Context, cl *proton.Client, n string) (*types.Component, error) {
			_, err := cl.CancelComponentDeployment(ctx, &proton.CancelComponentDeploymentInput{ComponentName: &n})
			return nil, err
		})},
		{op: "ListComponentOutputs", family: f, want: std, call: call(isoCompName, nil, func(ctx context.Context, cl *proton.Client, n string) (*types.Component, error) {
			_, err := cl.ListComponentOutputs(ctx, &proton.ListComponentOutputsInput{ComponentName: &n})
			return nil, err
		})},
		{op: "ListComponentProvisionedResources", family: f, want: std, call: call(isoCompName, nil, func(ctx context.Context, cl *proton.Client, n string) (*types.Component, error) {
			_, err := cl.ListComponentProvisionedResources(ctx, &proton.ListComponentProvisionedResourcesInput{ComponentName: &n})
			return nil, err
		})},
		// A notification on the self-managed component's update in
		// progress: the component's account alone may report on it.
		{op: "NotifyResourceDeploymentStatusChange", on: "component", family: f, mutates: true, want: std,
			call: isoCall(nil, func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) ([]string, []string, error) {
				a := isoGhostArn(isoCompArn(fx, isoTfCompName), isoTfCompName, ghost)
				_, err := cl.NotifyResourceDeploymentStatusChange(ctx, &proton.NotifyResourceDeploymentStatusChangeInput{
					ResourceArn: &a, Outputs: []types.Output{{Key: aws.String("notified"), ValueString: aws.String("yes")}},
				})
				return nil, []string{a}, err
			})},
	}
	return append(rows, isoTagRows(f, "component", components.ResourceType, func(fx *isoFixture, ghost string) string {
		return isoGhostArn(isoCompArn(fx, isoCompName), isoCompName, ghost)
	}, isoOK, isoHidden)...)
}
