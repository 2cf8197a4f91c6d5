package e2e

// --provisioner aws runs the commands of CodeBuild templates on the
// openproton host, against moto_server for STS and S3: the commands get
// the input file and the assumed CodeBuild role, report outputs through
// the AWS CLI, and deprovision on delete; a failing command fails the
// deployment with the output's tail, and commands that run too long are
// stopped.

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// cbManifest is the manifest of a CodeBuild environment template with
// these provision and deprovision commands (YAML list items).
func cbManifest(provision, deprovision string) string {
	return "infrastructure:\n  templates:\n    - rendering_engine: codebuild\n      settings:\n" +
		"        image: aws/codebuild/amazonlinux2-x86_64-standard:4.0\n        runtimes:\n          nodejs: 16\n" +
		"        provision:\n" + provision + "        deprovision:\n" + deprovision
}

// cbInput is a command that prints a member of the input file's
// environment.
func cbInput(path string) string {
	return `python3 -c 'import json; print(json.load(open("proton-inputs.json"))["environment"]` + path + `)'`
}

// cbReporting provisions by reporting, with the AWS CLI from inside the
// commands, the input it read, the role it runs as and k=v; and
// deprovisions by making a bucket named after the environment, with the
// same role, in moto.
var cbReporting = cbManifest(
	"          - "+cbInput(`["inputs"]["stage"]`)+" > stage.txt\n"+
		"          - aws sts get-caller-identity --query Arn --output text > caller.txt\n"+
		"          - >-\n            aws proton notify-resource-deployment-status-change --resource-arn \"$RESOURCE_ARN\" --status IN_PROGRESS\n"+
		"            --outputs \"[{\\\"key\\\":\\\"k\\\",\\\"valueString\\\":\\\"v\\\"},{\\\"key\\\":\\\"stage\\\",\\\"valueString\\\":\\\"$(cat stage.txt)\\\"},"+
		"{\\\"key\\\":\\\"caller\\\",\\\"valueString\\\":\\\"$(cat caller.txt)\\\"}]\"\n"+
		"          - aws proton notify-resource-deployment-status-change --resource-arn \"$RESOURCE_ARN\" --status SUCCEEDED\n",
	"          - aws s3api create-bucket --bucket \"deprovisioned-$("+cbInput(`["name"]`)+")\"\n")

// cbFailing fails in its second command.
var cbFailing = cbManifest("          - echo about to fail\n          - exit 7\n          - echo never\n", "          - echo nothing to remove\n")

// cbSlow runs longer than the server's --codebuild-timeout.
var cbSlow = cbManifest("          - echo sleeping\n          - sleep 300\n", "          - echo nothing to remove\n")

// cbPublish registers and publishes an environment template whose
// infrastructure is manifest, with a stage input.
func cbPublish(t *testing.T, w *provWorld, name, manifest string) {
	t.Helper()
	files := bundletest.EnvFiles()
	delete(files, "infrastructure/cloudformation.yaml")
	files["schema/schema.yaml"] = bundletest.EnvSchema("        stage:\n          type: string\n          default: one\n")
	files["infrastructure/manifest.yaml"] = manifest
	envPublishBundle(t, w.cl, w.bundles, name, bundletest.Map(t, files))
}

// cbCreate creates environment name from template with the account's
// CodeBuild role.
func cbCreate(t *testing.T, w *provWorld, name, template string) {
	t.Helper()
	if _, err := w.cl.CreateEnvironment(context.Background(), &proton.CreateEnvironmentInput{Name: aws.String(name), TemplateName: aws.String(template),
		TemplateMajorVersion: aws.String("1"), Spec: aws.String(provEnvSpec("one")), CodebuildRoleArn: connRole(w.account, "codebuild")}); err != nil {
		t.Fatal(err)
	}
}

func TestProvisionCodeBuildEnvironment(t *testing.T) {
	t.Parallel()
	requireTool(t, "aws", "pip install awscli")
	logs := t.TempDir()
	w := provStart(t, "--codebuild-timeout", "10s", "--codebuild-logs", logs)
	ctx := context.Background()
	cbPublish(t, w, "cbreport", cbReporting)
	cbPublish(t, w, "cbfail", cbFailing)
	cbPublish(t, w, "cbslow", cbSlow)
	cbCreate(t, w, "cb-dev", "cbreport")
	cbCreate(t, w, "cb-fail", "cbfail")
	cbCreate(t, w, "cb-slow", "cbslow")

	// Only the run's own credentials report on its deployment: the
	// account's do not.
	_, err := w.cl.NotifyResourceDeploymentStatusChange(ctx, &proton.NotifyResourceDeploymentStatusChangeInput{
		ResourceArn: aws.String("arn:aws:proton:us-east-1:" + w.account + ":environment/cb-slow"),
		Outputs:     []types.Output{{Key: aws.String("k"), ValueString: aws.String("forged")}}})
	var conflict *types.ConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("the account's notification on the running CodeBuild deployment: %v, want ConflictException", err)
	}

	// The commands ran with the input file and the CodeBuild role, and
	// reported their outputs; the last one's SUCCEEDED was taken.
	env := envWaitTerminal(t, w.cl, "cb-dev", time.Minute)
	msg := aws.ToString(env.DeploymentStatusMessage)
	if env.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Fatalf("cb-dev ended %s: %s\n%s", env.DeploymentStatus, msg, w.srv.Logs())
	}
	if !strings.Contains(msg, "The 4 provision commands ran.") || strings.Count(msg, "cannot be honoured locally") != 1 {
		t.Errorf("message %q; want the commands counted and the image named once", msg)
	}
	outs, err := w.cl.ListEnvironmentOutputs(ctx, &proton.ListEnvironmentOutputsInput{EnvironmentName: aws.String("cb-dev")})
	if err != nil {
		t.Fatal(err)
	}
	got := svcOutputs(t, outs.Outputs)
	caller := got["caller"]
	delete(got, "caller")
	if want := map[string]string{"k": "v", "stage": "one"}; !maps.Equal(got, want) ||
		!strings.HasPrefix(caller, "arn:aws:sts::"+w.account+":assumed-role/codebuild/openproton-") {
		t.Errorf("outputs = %v with caller %q; want %v and the assumed CodeBuild role", got, caller, want)
	}
	log, err := os.ReadFile(filepath.Join(logs, aws.ToString(env.LastSucceededDeploymentId)+".log"))
	if err != nil || !strings.Contains(string(log), "[openproton] Running command: aws sts get-caller-identity") {
		t.Errorf("log of the deployment: %q, %v; want the commands named", log, err)
	}

	// A failing command fails the deployment with the output's tail.
	env = envWaitTerminal(t, w.cl, "cb-fail", time.Minute)
	msg = aws.ToString(env.DeploymentStatusMessage)
	if env.DeploymentStatus != types.DeploymentStatusFailed || !strings.Contains(msg, `Command "exit 7" failed with exit status 7.`) ||
		!strings.Contains(msg, "about to fail") || strings.Contains(msg, "never") {
		t.Errorf("cb-fail ended %s: %q; want FAILED by exit 7 with the output's tail", env.DeploymentStatus, msg)
	}

	// Commands that run too long are stopped.
	env = envWaitTerminal(t, w.cl, "cb-slow", time.Minute)
	msg = aws.ToString(env.DeploymentStatusMessage)
	if env.DeploymentStatus != types.DeploymentStatusFailed || !strings.Contains(msg, "The commands ran longer than 10s and were stopped.") ||
		!strings.Contains(msg, "sleeping") {
		t.Errorf("cb-slow ended %s: %q; want FAILED, stopped after 10s", env.DeploymentStatus, msg)
	}

	// A delete runs the deprovision commands, with the role.
	if _, err := w.cl.DeleteEnvironment(ctx, &proton.DeleteEnvironmentInput{Name: aws.String("cb-dev")}); err != nil {
		t.Fatal(err)
	}
	provWaitGone(t, func() error {
		_, err := w.cl.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String("cb-dev")})
		return err
	})
	if _, err := w.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("deprovisioned-cb-dev")}); err != nil {
		t.Errorf("the deprovision command's bucket: %v\n%s", err, w.srv.Logs())
	}
}
