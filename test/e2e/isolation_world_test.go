package e2e

// The template and environment families of the isolation matrix. Both use
// one kind of fixture, a world built by a management account M: environment
// templates with registered versions, a service template whose version is
// compatible with them, an environment deployed through a connection from
// an environment account E (the other party), and account settings. A
// template-only world (for calls that change templates) leaves out the
// connection, the environments and the settings.

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

// Names of the world's resources: each world has an owner account of its
// own, so the names repeat freely.
const (
	isoEnvTpl     = "isotpl"     // versions 1.0 (published) and 1.1 (draft, the version rows' target)
	isoTfTpl      = "isotf"      // 1.0 (published), Terraform: self-managed environments
	isoSvcTpl     = "isosvc"     // 1.0, compatible with isotpl major 1
	isoBareEnvTpl = "isobare"    // no versions, so that it can be deleted
	isoBareSvcTpl = "isobaresvc" // no versions
	isoEnvName    = "iso"        // on isotpl 1.0 through the connection; deployed twice
	isoTfEnvName  = "isotfenv"   // self-managed, an update in progress (cancellable)
	isoBucket     = "iso"
	isoSpec       = "proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.9.0.0/16\"\n"
)

// isoTerraformManifest makes a bundle's environments self-managed.
const isoTerraformManifest = `infrastructure:
  templates:
    - file: "*"
      rendering_engine: hcl
      template_language: terraform
`

// isoWorld is what a world's rows target.
type isoWorld struct {
	envTpl, envVer, svcTpl, svcVer string // ARNs: isotpl, isotpl:1.1, isosvc, isosvc:1.0
	bareEnvTpl, bareSvcTpl         string // ARNs
	envTplCreate                   *proton.CreateEnvironmentTemplateInput
	svcTplCreate                   *proton.CreateServiceTemplateInput
	// Set in a world with environments only.
	env             string // ARN of isoEnvName
	firstDeployment *types.Deployment
	settingsRole    string // the owner's pipelineServiceRoleArn
	// Set in a world with services only (isoBuildServices): the ARNs of
	// isoweb and of its instance.
	service, instance string
}

var (
	isoEnvFamily = &isoFamily{name: "environment", snapshot: isoEnvSnapshot, build: func(ctx context.Context, srv *Server, _ string) (*isoFixture, error) {
		return isoBuildWorld(ctx, srv, true)
	}}
	isoTplFamily = &isoFamily{name: "template", snapshot: isoTplSnapshot, sharedWith: isoEnvFamily, build: func(ctx context.Context, srv *Server, _ string) (*isoFixture, error) {
		return isoBuildWorld(ctx, srv, false)
	}}
)

// isoWriteBundles puts the world's bundles into the server's bundle directory.
func isoWriteBundles(t *testing.T, bundles string) {
	bundletest.WriteObject(t, bundles, isoBucket, "env.tar.gz", bundletest.EnvBundle(t))
	bundletest.WriteObject(t, bundles, isoBucket, "svc.tar.gz", bundletest.ServiceBundle(t))
	bundletest.WriteObject(t, bundles, isoBucket, "tf.tar.gz", bundletest.Map(t, map[string]string{
		"schema/schema.yaml":           bundletest.EnvSchema(bundletest.PropVPCCIDR),
		"infrastructure/manifest.yaml": isoTerraformManifest,
		"infrastructure/main.tf":       "resource \"aws_vpc\" \"main\" {\n  cidr_block = var.environment.inputs.vpc_cidr\n}\n",
	}))
	// A service template whose instances and pipeline are self-managed.
	bundletest.WriteObject(t, bundles, isoBucket, "svctf.tar.gz", bundletest.Map(t, map[string]string{
		"schema/schema.yaml":                    bundletest.ServiceSchema,
		"instance_infrastructure/manifest.yaml": isoTerraformManifest,
		"instance_infrastructure/main.tf":       "resource \"null_resource\" \"x\" {}\n",
		"pipeline_infrastructure/manifest.yaml": isoTerraformManifest,
		"pipeline_infrastructure/main.tf":       "resource \"null_resource\" \"p\" {}\n",
	}))
}

func isoSource(key string) types.TemplateVersionSourceInput {
	return &types.TemplateVersionSourceInputMemberS3{Value: types.S3ObjectSource{Bucket: aws.String(isoBucket), Key: aws.String(key)}}
}

func isoTeamTag() []types.Tag { return []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}} }

// isoWaitVersion waits until a version has registered.
func isoWaitVersion(ctx context.Context, get func() (types.TemplateVersionStatus, error)) error {
	for {
		st, err := get()
		if err != nil {
			return err
		}
		switch st {
		case types.TemplateVersionStatusDraft, types.TemplateVersionStatusPublished:
			return nil
		case types.TemplateVersionStatusRegistrationFailed:
			return fmt.Errorf("registration failed")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// publishServiceVersion waits until the service template version key has
// registered, then publishes it; a failed registration is an error with
// its status message.
func publishServiceVersion(ctx context.Context, cl *proton.Client, key *proton.GetServiceTemplateVersionInput) error {
	var msg string
	if err := isoWaitVersion(ctx, func() (types.TemplateVersionStatus, error) {
		got, err := cl.GetServiceTemplateVersion(ctx, key)
		if err != nil {
			return "", err
		}
		msg = aws.ToString(got.ServiceTemplateVersion.StatusMessage)
		return got.ServiceTemplateVersion.Status, nil
	}); err != nil {
		return fmt.Errorf("service template %s %s.%s: %w: %s", aws.ToString(key.TemplateName), aws.ToString(key.MajorVersion),
			aws.ToString(key.MinorVersion), err, msg)
	}
	_, err := cl.UpdateServiceTemplateVersion(ctx, &proton.UpdateServiceTemplateVersionInput{TemplateName: key.TemplateName,
		MajorVersion: key.MajorVersion, MinorVersion: key.MinorVersion, Status: types.TemplateVersionStatusPublished})
	return err
}

// registerServiceTemplate creates service template name with version 1.0
// from the bundle at key in bucket, compatible with major 1 of the
// environment templates envs, and publishes it.
func registerServiceTemplate(ctx context.Context, cl *proton.Client, name, bucket, key string, envs ...string) error {
	if _, err := cl.CreateServiceTemplate(ctx, &proton.CreateServiceTemplateInput{Name: aws.String(name)}); err != nil {
		return err
	}
	in := &proton.CreateServiceTemplateVersionInput{TemplateName: aws.String(name),
		Source: &types.TemplateVersionSourceInputMemberS3{Value: types.S3ObjectSource{Bucket: aws.String(bucket), Key: aws.String(key)}}}
	for _, e := range envs {
		in.CompatibleEnvironmentTemplates = append(in.CompatibleEnvironmentTemplates,
			types.CompatibleEnvironmentTemplateInput{TemplateName: aws.String(e), MajorVersion: aws.String("1")})
	}
	if _, err := cl.CreateServiceTemplateVersion(ctx, in); err != nil {
		return err
	}
	return publishServiceVersion(ctx, cl, &proton.GetServiceTemplateVersionInput{TemplateName: aws.String(name),
		MajorVersion: aws.String("1"), MinorVersion: aws.String("0")})
}

// isoEnvVersion registers a version of an environment template (major "" for
// a new major) and publishes it if asked; it returns the version's ARN.
func isoEnvVersion(ctx context.Context, cl *proton.Client, name, major, key string, publish bool) (string, error) {
	in := &proton.CreateEnvironmentTemplateVersionInput{TemplateName: aws.String(name), Source: isoSource(key), Tags: isoTeamTag()}
	if major != "" {
		in.MajorVersion = aws.String(major)
	}
	out, err := cl.CreateEnvironmentTemplateVersion(ctx, in)
	if err != nil {
		return "", fmt.Errorf("create version of %s: %w", name, err)
	}
	v := out.EnvironmentTemplateVersion
	key3 := &proton.GetEnvironmentTemplateVersionInput{TemplateName: v.TemplateName, MajorVersion: v.MajorVersion, MinorVersion: v.MinorVersion}
	if err := isoWaitVersion(ctx, func() (types.TemplateVersionStatus, error) {
		got, err := cl.GetEnvironmentTemplateVersion(ctx, key3)
		if err != nil {
			return "", err
		}
		return got.EnvironmentTemplateVersion.Status, nil
	}); err != nil {
		return "", fmt.Errorf("register %s: %w", aws.ToString(v.Arn), err)
	}
	if publish {
		if _, err := cl.UpdateEnvironmentTemplateVersion(ctx, &proton.UpdateEnvironmentTemplateVersionInput{
			TemplateName: v.TemplateName, MajorVersion: v.MajorVersion, MinorVersion: v.MinorVersion, Status: types.TemplateVersionStatusPublished,
		}); err != nil {
			return "", fmt.Errorf("publish %s: %w", aws.ToString(v.Arn), err)
		}
	}
	return aws.ToString(v.Arn), nil
}

// isoWaitEnv waits until an environment's deployment has ended, and fails
// unless it succeeded.
func isoWaitEnv(ctx context.Context, cl *proton.Client, name string) (*types.Environment, error) {
	for {
		out, err := cl.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String(name)})
		if err != nil {
			return nil, err
		}
		e := out.Environment
		switch e.DeploymentStatus {
		case types.DeploymentStatusSucceeded:
			return e, nil
		case types.DeploymentStatusFailed, types.DeploymentStatusCancelled:
			return nil, fmt.Errorf("environment %s: deployment %s: %s", name, e.DeploymentStatus, aws.ToString(e.DeploymentStatusMessage))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// isoWorldServer starts a server on a fresh store of kind st, with the
// world's bundles, and builds a world with environments on it; the test
// fails if the server answers with a 5xx.
func isoWorldServer(t *testing.T, st relStore) (*Server, context.Context, *isoFixture) {
	t.Helper()
	args, _ := st.fresh(t)
	bundles := t.TempDir()
	isoWriteBundles(t, bundles)
	srv := connStartServer(t, append(args, "--bundle-dir", bundles, "--provisioner-delay", "100ms")...)
	t.Cleanup(func() { connNo5xx(t, srv) })
	ctx := connCtx(t)
	fx, err := isoBuildWorld(ctx, srv, true)
	if err != nil {
		t.Fatal(err)
	}
	return srv, ctx, fx
}

// isoBuildWorld builds a world on srv, with environments if withEnv.
func isoBuildWorld(ctx context.Context, srv *Server, withEnv bool) (*isoFixture, error) {
	fx := &isoFixture{owner: connAccount(), other: connAccount(), world: &isoWorld{}}
	w := fx.world
	m := connClient(srv, fx.owner, "us-east-1")
	w.envTplCreate = &proton.CreateEnvironmentTemplateInput{Name: aws.String(isoEnvTpl), Tags: isoTeamTag()}
	w.svcTplCreate = &proton.CreateServiceTemplateInput{Name: aws.String(isoSvcTpl), Tags: isoTeamTag()}
	envTpl, err := m.CreateEnvironmentTemplate(ctx, w.envTplCreate)
	if err != nil {
		return nil, err
	}
	w.envTpl = aws.ToString(envTpl.EnvironmentTemplate.Arn)
	svcTpl, err := m.CreateServiceTemplate(ctx, w.svcTplCreate)
	if err != nil {
		return nil, err
	}
	w.svcTpl = aws.ToString(svcTpl.ServiceTemplate.Arn)
	bare, err := m.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String(isoBareEnvTpl)})
	if err != nil {
		return nil, err
	}
	w.bareEnvTpl = aws.ToString(bare.EnvironmentTemplate.Arn)
	bareSvc, err := m.CreateServiceTemplate(ctx, &proton.CreateServiceTemplateInput{Name: aws.String(isoBareSvcTpl)})
	if err != nil {
		return nil, err
	}
	w.bareSvcTpl = aws.ToString(bareSvc.ServiceTemplate.Arn)
	if _, err := isoEnvVersion(ctx, m, isoEnvTpl, "", "env.tar.gz", true); err != nil {
		return nil, err
	}
	if w.envVer, err = isoEnvVersion(ctx, m, isoEnvTpl, "1", "env.tar.gz", false); err != nil {
		return nil, err
	}
	sv, err := m.CreateServiceTemplateVersion(ctx, &proton.CreateServiceTemplateVersionInput{
		TemplateName: aws.String(isoSvcTpl), Source: isoSource("svc.tar.gz"), Tags: isoTeamTag(),
		CompatibleEnvironmentTemplates: []types.CompatibleEnvironmentTemplateInput{{TemplateName: aws.String(isoEnvTpl), MajorVersion: aws.String("1")}},
	})
	if err != nil {
		return nil, fmt.Errorf("create service template version: %w", err)
	}
	w.svcVer = aws.ToString(sv.ServiceTemplateVersion.Arn)
	if err := isoWaitVersion(ctx, func() (types.TemplateVersionStatus, error) {
		got, err := m.GetServiceTemplateVersion(ctx, &proton.GetServiceTemplateVersionInput{TemplateName: aws.String(isoSvcTpl), MajorVersion: aws.String("1"), MinorVersion: aws.String("0")})
		if err != nil {
			return "", err
		}
		return got.ServiceTemplateVersion.Status, nil
	}); err != nil {
		return nil, fmt.Errorf("register %s: %w", w.svcVer, err)
	}
	if !withEnv {
		return fx, nil
	}
	// The environment account E connects to M for the environment.
	e := connClient(srv, fx.other, "us-east-1")
	conn, err := e.CreateEnvironmentAccountConnection(ctx, &proton.CreateEnvironmentAccountConnectionInput{
		ManagementAccountId: aws.String(fx.owner), EnvironmentName: aws.String(isoEnvName), RoleArn: connRole(fx.other, "env"),
	})
	if err != nil {
		return nil, err
	}
	if _, err := m.AcceptEnvironmentAccountConnection(ctx, &proton.AcceptEnvironmentAccountConnectionInput{Id: conn.EnvironmentAccountConnection.Id}); err != nil {
		return nil, err
	}
	created, err := m.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{
		Name: aws.String(isoEnvName), TemplateName: aws.String(isoEnvTpl), TemplateMajorVersion: aws.String("1"), TemplateMinorVersion: aws.String("0"),
		Spec: aws.String(isoSpec), EnvironmentAccountConnectionId: conn.EnvironmentAccountConnection.Id, Tags: isoTeamTag(),
	})
	if err != nil {
		return nil, fmt.Errorf("create environment: %w", err)
	}
	w.env = aws.ToString(created.Environment.Arn)
	if _, err := isoWaitEnv(ctx, m, isoEnvName); err != nil {
		return nil, err
	}
	first, err := m.GetDeployment(ctx, &proton.GetDeploymentInput{Id: created.Environment.LastAttemptedDeploymentId})
	if err != nil {
		return nil, err
	}
	w.firstDeployment = first.Deployment
	// A second deployment, so that the first may be deleted.
	if _, err := m.UpdateEnvironment(ctx, &proton.UpdateEnvironmentInput{Name: aws.String(isoEnvName), DeploymentType: types.DeploymentUpdateTypeCurrentVersion}); err != nil {
		return nil, err
	}
	if _, err := isoWaitEnv(ctx, m, isoEnvName); err != nil {
		return nil, err
	}
	// A self-managed environment with an update in progress.
	if _, err := m.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String(isoTfTpl)}); err != nil {
		return nil, err
	}
	if _, err := isoEnvVersion(ctx, m, isoTfTpl, "", "tf.tar.gz", true); err != nil {
		return nil, err
	}
	tf, err := m.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{
		Name: aws.String(isoTfEnvName), TemplateName: aws.String(isoTfTpl), TemplateMajorVersion: aws.String("1"), Spec: aws.String(isoSpec),
		ProvisioningRepository: &types.RepositoryBranchInput{Provider: types.RepositoryProviderGithub, Name: aws.String("example-org/env-repo"), Branch: aws.String("main")},
	})
	if err != nil {
		return nil, fmt.Errorf("create self-managed environment: %w", err)
	}
	if _, err := m.NotifyResourceDeploymentStatusChange(ctx, &proton.NotifyResourceDeploymentStatusChangeInput{ResourceArn: tf.Environment.Arn, Status: types.ResourceDeploymentStatusSucceeded}); err != nil {
		return nil, err
	}
	if _, err := m.UpdateEnvironment(ctx, &proton.UpdateEnvironmentInput{Name: aws.String(isoTfEnvName), DeploymentType: types.DeploymentUpdateTypeCurrentVersion}); err != nil {
		return nil, err
	}
	w.settingsRole = aws.ToString(connRole(fx.owner, "pipeline"))
	if _, err := m.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineServiceRoleArn: aws.String(w.settingsRole)}); err != nil {
		return nil, err
	}
	return fx, nil
}

// isoTplSnapshot is the owner's templates, versions and their tags.
func isoTplSnapshot(ctx context.Context, srv *Server, fx *isoFixture) (string, error) {
	m := connClient(srv, fx.owner, "us-east-1")
	w := fx.world
	var parts []string
	envs, err := m.ListEnvironmentTemplates(ctx, &proton.ListEnvironmentTemplatesInput{})
	if err != nil {
		return "", err
	}
	svcs, err := m.ListServiceTemplates(ctx, &proton.ListServiceTemplatesInput{})
	if err != nil {
		return "", err
	}
	envVers, err := m.ListEnvironmentTemplateVersions(ctx, &proton.ListEnvironmentTemplateVersionsInput{TemplateName: aws.String(isoEnvTpl)})
	if err != nil {
		return "", err
	}
	svcVers, err := m.ListServiceTemplateVersions(ctx, &proton.ListServiceTemplateVersionsInput{TemplateName: aws.String(isoSvcTpl)})
	if err != nil {
		return "", err
	}
	parts = append(parts, isoJSON(envs.Templates), isoJSON(svcs.Templates), isoJSON(envVers.TemplateVersions), isoJSON(svcVers.TemplateVersions))
	for _, a := range []string{w.envTpl, w.envVer, w.svcTpl, w.svcVer} {
		tags, err := isoTags(ctx, m, a)
		if err != nil {
			return "", err
		}
		parts = append(parts, a+" tags "+tags)
	}
	return strings.Join(parts, "\n "), nil
}

// isoEnvSnapshot is the owner's environments, their deployments, outputs
// and tags, and its account settings.
func isoEnvSnapshot(ctx context.Context, srv *Server, fx *isoFixture) (string, error) {
	m := connClient(srv, fx.owner, "us-east-1")
	var parts []string
	for _, name := range []string{isoEnvName, isoTfEnvName} {
		e, err := m.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String(name)})
		if err != nil {
			return "", err
		}
		parts = append(parts, isoJSON(e.Environment))
	}
	deps, err := m.ListDeployments(ctx, &proton.ListDeploymentsInput{})
	if err != nil {
		return "", err
	}
	outs, err := m.ListEnvironmentOutputs(ctx, &proton.ListEnvironmentOutputsInput{EnvironmentName: aws.String(isoEnvName)})
	if err != nil {
		return "", err
	}
	settings, err := m.GetAccountSettings(ctx, &proton.GetAccountSettingsInput{})
	if err != nil {
		return "", err
	}
	tags, err := isoTags(ctx, m, fx.world.env)
	if err != nil {
		return "", err
	}
	parts = append(parts, isoJSON(deps.Deployments), isoJSON(outs.Outputs), isoJSON(settings.AccountSettings), "tags "+tags)
	return strings.Join(parts, "\n "), nil
}
