package e2e

// A U+0000 (NUL) character in any text member is refused with a
// ValidationException naming the member, before anything is stored: SQLite
// would store it and PostgreSQL cannot, so both stores answer alike.

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// nulCase is one request with a NUL in the member at path; gone, when set,
// names what the request would have created, which must not exist after.
type nulCase struct {
	path string
	call func(ctx context.Context, m *proton.Client, fx *isoFixture) error
	gone func(ctx context.Context, m *proton.Client) error
}

const nul = "a\x00b"

func nulTemplate(mod func(*proton.CreateEnvironmentTemplateInput)) func(context.Context, *proton.Client, *isoFixture) error {
	return func(ctx context.Context, m *proton.Client, _ *isoFixture) error {
		in := &proton.CreateEnvironmentTemplateInput{Name: aws.String("nultpl")}
		mod(in)
		_, err := m.CreateEnvironmentTemplate(ctx, in)
		return err
	}
}

func nulEnvironment(mod func(*proton.CreateEnvironmentInput)) func(context.Context, *proton.Client, *isoFixture) error {
	return func(ctx context.Context, m *proton.Client, fx *isoFixture) error {
		in := &proton.CreateEnvironmentInput{Name: aws.String("nulenv"), TemplateName: aws.String(isoEnvTpl), TemplateMajorVersion: aws.String("1"),
			Spec: aws.String(isoSpec), ProtonServiceRoleArn: connRole(fx.owner, "proton")}
		mod(in)
		_, err := m.CreateEnvironment(ctx, in)
		return err
	}
}

func nulNotify(mod func(*proton.NotifyResourceDeploymentStatusChangeInput)) func(context.Context, *proton.Client, *isoFixture) error {
	return func(ctx context.Context, m *proton.Client, fx *isoFixture) error {
		in := &proton.NotifyResourceDeploymentStatusChangeInput{ResourceArn: aws.String(strings.Replace(fx.world.env, "/"+isoEnvName, "/"+isoTfEnvName, 1))}
		mod(in)
		_, err := m.NotifyResourceDeploymentStatusChange(ctx, in)
		return err
	}
}

func nulTag(key, value string) func(context.Context, *proton.Client, *isoFixture) error {
	return func(ctx context.Context, m *proton.Client, fx *isoFixture) error {
		_, err := m.TagResource(ctx, &proton.TagResourceInput{ResourceArn: aws.String(fx.world.envTpl), Tags: []types.Tag{{Key: aws.String(key), Value: aws.String(value)}}})
		return err
	}
}

var (
	nulNoTemplate = func(ctx context.Context, m *proton.Client) error {
		_, err := m.GetEnvironmentTemplate(ctx, &proton.GetEnvironmentTemplateInput{Name: aws.String("nultpl")})
		return err
	}
	nulNoEnvironment = func(ctx context.Context, m *proton.Client) error {
		_, err := m.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String("nulenv")})
		return err
	}
	nulNoVersion = func(ctx context.Context, m *proton.Client) error {
		_, err := m.GetEnvironmentTemplateVersion(ctx, &proton.GetEnvironmentTemplateVersionInput{TemplateName: aws.String(isoEnvTpl), MajorVersion: aws.String("1"), MinorVersion: aws.String("2")})
		return err
	}
)

var nulCases = []nulCase{
	{"description", nulTemplate(func(in *proton.CreateEnvironmentTemplateInput) { in.Description = aws.String(nul) }), nulNoTemplate},
	{"displayName", nulTemplate(func(in *proton.CreateEnvironmentTemplateInput) { in.DisplayName = aws.String(nul) }), nulNoTemplate},
	{"tags.1.member.key", nulTemplate(func(in *proton.CreateEnvironmentTemplateInput) {
		in.Tags = []types.Tag{{Key: aws.String(nul), Value: aws.String("v")}}
	}), nulNoTemplate},
	{"tags.1.member.value", nulTemplate(func(in *proton.CreateEnvironmentTemplateInput) {
		in.Tags = []types.Tag{{Key: aws.String("k"), Value: aws.String(nul)}}
	}), nulNoTemplate},
	{"tags.1.member.key", nulTag(nul, "v"), nil},
	{"tags.1.member.value", nulTag("team", nul), nil},
	{"description", func(ctx context.Context, m *proton.Client, _ *isoFixture) error {
		_, err := m.UpdateEnvironmentTemplate(ctx, &proton.UpdateEnvironmentTemplateInput{Name: aws.String(isoEnvTpl), Description: aws.String(nul)})
		return err
	}, nil},
	{"source.s3.key", func(ctx context.Context, m *proton.Client, _ *isoFixture) error {
		_, err := m.CreateEnvironmentTemplateVersion(ctx, &proton.CreateEnvironmentTemplateVersionInput{TemplateName: aws.String(isoEnvTpl), MajorVersion: aws.String("1"),
			Source: &types.TemplateVersionSourceInputMemberS3{Value: types.S3ObjectSource{Bucket: aws.String(isoBucket), Key: aws.String("env" + nul + ".tar.gz")}}})
		return err
	}, nulNoVersion},
	{"description", func(ctx context.Context, m *proton.Client, _ *isoFixture) error {
		_, err := m.CreateEnvironmentTemplateVersion(ctx, &proton.CreateEnvironmentTemplateVersionInput{TemplateName: aws.String(isoEnvTpl), MajorVersion: aws.String("1"),
			Description: aws.String(nul), Source: isoSource("env.tar.gz")})
		return err
	}, nulNoVersion},
	{"description", nulEnvironment(func(in *proton.CreateEnvironmentInput) { in.Description = aws.String(nul) }), nulNoEnvironment},
	{"spec", nulEnvironment(func(in *proton.CreateEnvironmentInput) { in.Spec = aws.String(isoSpec + "# " + nul + "\n") }), nulNoEnvironment},
	{"provisioningRepository.branch", nulEnvironment(func(in *proton.CreateEnvironmentInput) {
		in.TemplateName, in.ProtonServiceRoleArn = aws.String(isoTfTpl), nil
		in.ProvisioningRepository = &types.RepositoryBranchInput{Provider: types.RepositoryProviderGithub, Name: aws.String("example-org/env-repo"), Branch: aws.String(nul)}
	}), nulNoEnvironment},
	{"provisioningRepository.name", nulEnvironment(func(in *proton.CreateEnvironmentInput) {
		in.TemplateName, in.ProtonServiceRoleArn = aws.String(isoTfTpl), nil
		in.ProvisioningRepository = &types.RepositoryBranchInput{Provider: types.RepositoryProviderGithub, Name: aws.String("example-org/env" + nul), Branch: aws.String("main")}
	}), nulNoEnvironment},
	{"description", func(ctx context.Context, m *proton.Client, _ *isoFixture) error {
		_, err := m.UpdateEnvironment(ctx, &proton.UpdateEnvironmentInput{Name: aws.String(isoEnvName), DeploymentType: types.DeploymentUpdateTypeNone, Description: aws.String(nul)})
		return err
	}, nil},
	{"outputs.1.member.key", nulNotify(func(in *proton.NotifyResourceDeploymentStatusChangeInput) {
		in.Outputs = []types.Output{{Key: aws.String(nul), ValueString: aws.String("v")}}
	}), nil},
	{"outputs.1.member.valueString", nulNotify(func(in *proton.NotifyResourceDeploymentStatusChangeInput) {
		in.Outputs = []types.Output{{Key: aws.String("k"), ValueString: aws.String(nul)}}
	}), nil},
	{"statusMessage", nulNotify(func(in *proton.NotifyResourceDeploymentStatusChangeInput) { in.StatusMessage = aws.String(nul) }), nil},
	{"tags.1.member.value", func(ctx context.Context, _ *proton.Client, fx *isoFixture) error {
		return nil // replaced in the test: a connection made by the environment account
	}, nil},
}

// TestNulCharactersAreRefused sends each request of nulCases with a NUL
// in one member, on SQLite and on PostgreSQL: each is a 400
// ValidationException naming the member (without echoing the value), and
// nothing is created or changed.
func TestNulCharactersAreRefused(t *testing.T) {
	t.Parallel()
	for _, st := range relStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			srv, ctx, fx := isoWorldServer(t, st)
			m := connClient(srv, fx.owner, "us-east-1")
			e := connClient(srv, fx.other, "us-east-1")
			tfOutputs := func() string {
				out, err := m.ListEnvironmentOutputs(ctx, &proton.ListEnvironmentOutputsInput{EnvironmentName: aws.String(isoTfEnvName)})
				if err != nil {
					t.Fatal(err)
				}
				return isoJSON(out.Outputs)
			}
			snapshot := func() string {
				envs, err := isoEnvSnapshot(ctx, srv, fx)
				if err != nil {
					t.Fatal(err)
				}
				tpls, err := isoTplSnapshot(ctx, srv, fx)
				if err != nil {
					t.Fatal(err)
				}
				conns, err := e.ListEnvironmentAccountConnections(ctx, &proton.ListEnvironmentAccountConnectionsInput{RequestedBy: types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount})
				if err != nil {
					t.Fatal(err)
				}
				return envs + "\n" + tpls + "\n" + tfOutputs() + "\n" + isoJSON(conns.EnvironmentAccountConnections)
			}
			before := snapshot()
			cases := append([]nulCase(nil), nulCases...)
			cases[len(cases)-1].call = func(ctx context.Context, _ *proton.Client, fx *isoFixture) error {
				_, err := e.CreateEnvironmentAccountConnection(ctx, &proton.CreateEnvironmentAccountConnectionInput{
					ManagementAccountId: aws.String(fx.owner), EnvironmentName: aws.String("nulenv"), RoleArn: connRole(fx.other, "env"),
					Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String(nul)}}})
				return err
			}
			for i, c := range cases {
				err := c.call(ctx, m, fx)
				code, status := connErr(err)
				if code != "ValidationException" || status != 400 {
					t.Errorf("case %d (%s): %s (HTTP %d) %v, want ValidationException", i, c.path, code, status, err)
					continue
				}
				msg := connWantErr(t, err, "ValidationException", 400)
				want := "1 validation error detected: Value at '" + c.path + "' failed to satisfy constraint: Member must not contain the character U+0000 (NUL)"
				if !strings.Contains(msg, want) || strings.ContainsRune(msg, 0) {
					t.Errorf("case %d (%s): message %q, want it to hold %q and no NUL", i, c.path, msg, want)
				}
				if c.gone != nil {
					if code, _ := connErr(c.gone(ctx, m)); code != "ResourceNotFoundException" {
						t.Errorf("case %d (%s): what the refused request would have made exists (%s)", i, c.path, code)
					}
				}
			}
			if after := snapshot(); after != before {
				t.Errorf("refused requests changed the store:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// nulWaitVersion waits until version major.minor of template name has
// registered, and returns it.
func nulWaitVersion(ctx context.Context, t *testing.T, m *proton.Client, name, major, minor string) *types.EnvironmentTemplateVersion {
	t.Helper()
	var v *types.EnvironmentTemplateVersion
	err := isoWaitVersion(ctx, func() (types.TemplateVersionStatus, error) {
		out, err := m.GetEnvironmentTemplateVersion(ctx, &proton.GetEnvironmentTemplateVersionInput{TemplateName: aws.String(name), MajorVersion: aws.String(major), MinorVersion: aws.String(minor)})
		if err != nil {
			return "", err
		}
		v = out.EnvironmentTemplateVersion
		return v.Status, nil
	})
	if err != nil && v == nil {
		t.Fatal(err)
	}
	return v
}

// TestNulCharactersFromBundles: text that reaches the store through a
// template bundle rather than a request cannot carry U+0000 either. A
// schema holding one, raw or as a YAML escape, fails its registration
// with a message naming the file and line; a template whose rendered
// output holds one fails its deployment, naming the output. Nothing is
// answered with a 5xx, on SQLite and on PostgreSQL.
func TestNulCharactersFromBundles(t *testing.T) {
	t.Parallel()
	schema := bundletest.EnvSchema(bundletest.PropVPCCIDR)
	withEscape := strings.Replace(schema, `default: "10.0.0.0/16"`, `default: "10.0.0.0/16\0"`, 1)
	line := func(text, of string) string {
		return fmt.Sprint(1 + strings.Count(text[:strings.Index(text, of)], "\n"))
	}
	for _, st := range relStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			args, _ := st.fresh(t)
			bundles := t.TempDir()
			files := func(schema, cfn string) []byte {
				return bundletest.Map(t, map[string]string{"schema/schema.yaml": schema, "infrastructure/manifest.yaml": bundletest.CFNManifest,
					"infrastructure/cloudformation.yaml": cfn})
			}
			bundletest.WriteObject(t, bundles, isoBucket, "raw.tar.gz", files(strings.Replace(schema, "schema:", "schema: # \x00", 1), bundletest.EnvCloudFormation))
			bundletest.WriteObject(t, bundles, isoBucket, "escape.tar.gz", files(withEscape, bundletest.EnvCloudFormation))
			bundletest.WriteObject(t, bundles, isoBucket, "output.tar.gz", files(schema,
				"Resources: {}\nOutputs:\n  Bad:\n    Value: \"{{ '\\\\0' }}\"\n"))
			srv := connStartServer(t, append(args, "--bundle-dir", bundles, "--provisioner-delay", "100ms")...)
			t.Cleanup(func() { connNo5xx(t, srv) })
			ctx := connCtx(t)
			acct := connAccount()
			m := connClient(srv, acct, "us-east-1")
			const refused = "holds the character U+0000 (NUL), which no text of a template or spec may hold"
			for i, c := range []struct{ key, want string }{
				{"raw.tar.gz", "schema/schema.yaml: line 1: " + refused},
				{"escape.tar.gz", "schema/schema.yaml: line " + line(withEscape, `\0`) + ": " + refused},
			} {
				name := fmt.Sprintf("nul%d", i)
				if _, err := m.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String(name)}); err != nil {
					t.Fatal(err)
				}
				if _, err := m.CreateEnvironmentTemplateVersion(ctx, &proton.CreateEnvironmentTemplateVersionInput{TemplateName: aws.String(name), Source: isoSource(c.key)}); err != nil {
					t.Fatal(err)
				}
				v := nulWaitVersion(ctx, t, m, name, "1", "0")
				if v.Status != types.TemplateVersionStatusRegistrationFailed || !strings.Contains(aws.ToString(v.StatusMessage), c.want) {
					t.Errorf("%s: version %s %q, want REGISTRATION_FAILED with %q", c.key, v.Status, aws.ToString(v.StatusMessage), c.want)
				}
			}

			if _, err := m.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String("nulout")}); err != nil {
				t.Fatal(err)
			}
			if _, err := isoEnvVersion(ctx, m, "nulout", "", "output.tar.gz", true); err != nil {
				t.Fatal(err)
			}
			if _, err := m.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{Name: aws.String("nulout"), TemplateName: aws.String("nulout"),
				TemplateMajorVersion: aws.String("1"), Spec: aws.String(isoSpec), ProtonServiceRoleArn: connRole(acct, "proton")}); err != nil {
				t.Fatal(err)
			}
			_, err := isoWaitEnv(ctx, m, "nulout")
			want := `cloudformation.yaml: output "Bad": its value holds the character U+0000 (NUL), which an output cannot hold`
			if err == nil || !strings.Contains(err.Error(), "deployment FAILED: "+want) {
				t.Errorf("deployment of a template whose output holds a NUL: %v, want it FAILED with %q", err, want)
			}
		})
	}
}
