package e2e

// Choices of docs/compatibility.md that no client suite covered, checked
// through the Go SDK.

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// TestConnectionsChoices: a role of another account is accepted; a
// connection with only a CodeBuild role leaves roleArn out of every answer;
// an empty statuses filter lists every status.
func TestConnectionsChoices(t *testing.T) {
	t.Parallel()
	srv := connStartServer(t)
	e, m, other := connAccount(), connAccount(), connAccount()
	ce, cm := connClient(srv, e, "us-east-1"), connClient(srv, m, "us-east-1")
	ctx := connCtx(t)

	foreign := connCreate(t, ce, e, m, "foreign", func(in *proton.CreateEnvironmentAccountConnectionInput) { in.RoleArn = connRole(other, "r") })
	if aws.ToString(foreign.RoleArn) != aws.ToString(connRole(other, "r")) {
		t.Errorf("a role of another account came back as %q", aws.ToString(foreign.RoleArn))
	}

	cb := connCreate(t, ce, e, m, "codebuild", func(in *proton.CreateEnvironmentAccountConnectionInput) {
		in.RoleArn, in.CodebuildRoleArn = nil, connRole(e, "codebuild")
	})
	got := connGet(t, cm, aws.ToString(cb.Id))
	if cb.RoleArn != nil || got.RoleArn != nil || aws.ToString(got.CodebuildRoleArn) != aws.ToString(connRole(e, "codebuild")) {
		t.Errorf("a CodeBuild-only connection: create gave roleArn %q, get %q with codebuildRoleArn %q; want no roleArn",
			aws.ToString(cb.RoleArn), aws.ToString(got.RoleArn), aws.ToString(got.CodebuildRoleArn))
	}
	list, err := cm.ListEnvironmentAccountConnections(ctx, &proton.ListEnvironmentAccountConnectionsInput{
		RequestedBy: types.EnvironmentAccountConnectionRequesterAccountTypeManagementAccount, Statuses: []types.EnvironmentAccountConnectionStatus{}})
	if err != nil {
		t.Fatalf("list with an empty statuses filter: %v", err)
	}
	if _, err := cm.RejectEnvironmentAccountConnection(ctx, &proton.RejectEnvironmentAccountConnectionInput{Id: foreign.Id}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range list.EnvironmentAccountConnections {
		ids = append(ids, aws.ToString(s.Id))
		if aws.ToString(s.Id) == aws.ToString(cb.Id) && s.RoleArn != nil {
			t.Errorf("the list shows roleArn %q for a CodeBuild-only connection", aws.ToString(s.RoleArn))
		}
	}
	if !slices.Contains(ids, aws.ToString(foreign.Id)) || !slices.Contains(ids, aws.ToString(cb.Id)) {
		t.Errorf("an empty statuses filter listed %v, want both connections", ids)
	}
	// With a REJECTED one among them, statuses: [] still lists all.
	list, err = cm.ListEnvironmentAccountConnections(ctx, &proton.ListEnvironmentAccountConnectionsInput{
		RequestedBy: types.EnvironmentAccountConnectionRequesterAccountTypeManagementAccount, Statuses: []types.EnvironmentAccountConnectionStatus{}})
	if err != nil || len(list.EnvironmentAccountConnections) != 2 {
		t.Errorf("an empty statuses filter with a REJECTED connection: %v, %d listed, want 2", err, len(list.EnvironmentAccountConnections))
	}
}

// TestTagsChoices: ARNs that name nothing this server keeps answer
// ResourceNotFoundException for every tag operation, a key given twice is
// a ValidationException, and ListTagsForResource orders by key.
func TestTagsChoices(t *testing.T) {
	t.Parallel()
	srv := connStartServer(t)
	e, m := connAccount(), connAccount()
	ce := connClient(srv, e, "us-east-1")
	ctx := connCtx(t)
	c := connCreate(t, ce, e, m, "tagged")
	arn := aws.ToString(c.Arn)
	for _, ghost := range []string{
		"arn:aws:proton:eu-west-1:" + e + ":environment-account-connection/" + aws.ToString(c.Id), // another region
		"arn:aws:proton:us-east-1:" + e + ":rocket/" + aws.ToString(c.Id),                         // an unknown resource type
		"arn:aws:proton:us-east-1:" + e + ":environment-account-connection",                       // no id
		"arn:aws:proton:us-east-1:" + e + ":environment-template/a/b/c",                           // malformed
		"arn:aws:s3:us-east-1:" + e + ":bucket/x",                                                 // not Proton's
	} {
		_, err := ce.TagResource(ctx, &proton.TagResourceInput{ResourceArn: aws.String(ghost), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		connWantErr(t, err, "ResourceNotFoundException", 404)
		_, err = ce.UntagResource(ctx, &proton.UntagResourceInput{ResourceArn: aws.String(ghost), TagKeys: []string{"k"}})
		connWantErr(t, err, "ResourceNotFoundException", 404)
		_, err = ce.ListTagsForResource(ctx, &proton.ListTagsForResourceInput{ResourceArn: aws.String(ghost)})
		connWantErr(t, err, "ResourceNotFoundException", 404)
	}
	_, err := ce.TagResource(ctx, &proton.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{
		{Key: aws.String("k"), Value: aws.String("1")}, {Key: aws.String("k"), Value: aws.String("2")}}})
	connWantErr(t, err, "ValidationException", 400)
	if tags := connTags(t, ce, arn); len(tags) != 0 {
		t.Errorf("a refused tag write left tags %v", tags)
	}
	if _, err := ce.TagResource(ctx, &proton.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{
		{Key: aws.String("zeta"), Value: aws.String("")}, {Key: aws.String("beta"), Value: aws.String("1")}, {Key: aws.String("alpha"), Value: aws.String("2")}}}); err != nil {
		t.Fatal(err)
	}
	out, err := ce.ListTagsForResource(ctx, &proton.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, tag := range out.Tags {
		keys = append(keys, aws.ToString(tag.Key))
	}
	if !slices.Equal(keys, []string{"alpha", "beta", "zeta"}) {
		t.Errorf("tags listed in the order %v, want by key", keys)
	}
}

// TestTemplateTagsStayOnTheTemplate: a template's tags are not copied to
// the versions registered under it, and no AWS-managed tag is attached to
// either.
func TestTemplateTagsStayOnTheTemplate(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	srv := connStartServer(t, "--bundle-dir", bundles)
	acct := connAccount()
	c := connClient(srv, acct, "us-east-1")
	ctx := connCtx(t)
	bundletest.WriteObject(t, bundles, "bucket", "env.tar.gz", bundletest.EnvBundle(t))
	tpl, err := c.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String("tagged"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}})
	if err != nil {
		t.Fatalf("CreateEnvironmentTemplate: %v", err)
	}
	v, err := c.CreateEnvironmentTemplateVersion(ctx, &proton.CreateEnvironmentTemplateVersionInput{TemplateName: aws.String("tagged"),
		Source: &types.TemplateVersionSourceInputMemberS3{Value: types.S3ObjectSource{Bucket: aws.String("bucket"), Key: aws.String("env.tar.gz")}}})
	if err != nil {
		t.Fatalf("CreateEnvironmentTemplateVersion: %v", err)
	}
	w := proton.NewEnvironmentTemplateVersionRegisteredWaiter(c, func(o *proton.EnvironmentTemplateVersionRegisteredWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	})
	if err := w.Wait(ctx, &proton.GetEnvironmentTemplateVersionInput{TemplateName: aws.String("tagged"), MajorVersion: aws.String("1"), MinorVersion: aws.String("0")}, time.Minute); err != nil {
		t.Fatalf("version not registered: %v", err)
	}
	if tags := connTags(t, c, aws.ToString(tpl.EnvironmentTemplate.Arn)); !maps.Equal(tags, map[string]string{"team": "platform"}) {
		t.Errorf("the template's tags are %v, want only its own", tags)
	}
	if tags := connTags(t, c, aws.ToString(v.EnvironmentTemplateVersion.Arn)); len(tags) != 0 {
		t.Errorf("the version has tags %v, want none (a template's tags are not copied)", tags)
	}
}

// TestEnvironmentNeedsAConnectedConnection: CreateEnvironment through a
// PENDING or a REJECTED connection is a ConflictException, and creates
// nothing.
func TestEnvironmentNeedsAConnectedConnection(t *testing.T) {
	t.Parallel()
	bundles := t.TempDir()
	srv := connStartServer(t, "--bundle-dir", bundles)
	e, m := connAccount(), connAccount()
	ce, cm := connClient(srv, e, "us-east-1"), connClient(srv, m, "us-east-1")
	ctx := connCtx(t)
	envPublishTemplate(t, cm, bundles, "tpl")
	pending := connCreate(t, ce, e, m, "env")
	rejected := connCreate(t, ce, e, m, "env")
	if _, err := cm.RejectEnvironmentAccountConnection(ctx, &proton.RejectEnvironmentAccountConnectionInput{Id: rejected.Id}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*types.EnvironmentAccountConnection{pending, rejected} {
		_, err := cm.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{Name: aws.String("env"), TemplateName: aws.String("tpl"),
			TemplateMajorVersion: aws.String("1"), Spec: aws.String(isoSpec), EnvironmentAccountConnectionId: c.Id})
		connWantErr(t, err, "ConflictException", 409)
	}
	out, err := cm.ListEnvironments(ctx, &proton.ListEnvironmentsInput{})
	if err != nil || len(out.Environments) != 0 {
		t.Fatalf("environments after refused creates: %v %v", err, out)
	}
}
