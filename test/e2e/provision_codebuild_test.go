package e2e

// --provisioner aws runs the commands of CodeBuild templates on the
// openproton host, against moto_server for STS and S3: the commands get
// the input file and the assumed CodeBuild role, report outputs through
// the AWS CLI or an outputs file, and deprovision on delete; an
// input_type HCL template gets .tfvars files; a failing command fails the
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
		"        env:\n          variables:\n            GREETING: hello\n          secrets-manager:\n            TOKEN: proton/token\n" +
		"        provision:\n" + provision + "        deprovision:\n" + deprovision
}

// cbInput is a command that prints a member of the input file's
// environment.
func cbInput(path string) string { return cbRead(`["environment"]` + path) }

// cbRead is a command that prints expr of the input file, which is i.
func cbRead(expr string) string {
	return `python3 -c 'import json; i = json.load(open("proton-inputs.json")); print(i` + expr + `)'`
}

// cbNotify is a manifest's list item: the command that reports the
// outputs of the pairs (key, then a shell word of its value) with the
// AWS CLI.
func cbNotify(pairs ...string) string {
	var outs []string
	for i := 0; i+1 < len(pairs); i += 2 {
		outs = append(outs, `{\"key\":\"`+pairs[i]+`\",\"valueString\":\"`+pairs[i+1]+`\"}`)
	}
	return "          - |-\n            aws proton notify-resource-deployment-status-change --resource-arn \"$RESOURCE_ARN\" --outputs \"[" +
		strings.Join(outs, ",") + "]\"\n"
}

// cbReporting provisions by reporting, with the AWS CLI from inside the
// commands, the input it read, the role it runs as, the manifest's
// variable and k=v (after a long sleep for stage slow); and deprovisions
// by making a bucket named after the environment, with the same role, in
// moto.
var cbReporting = cbManifest(
	"          - "+cbInput(`["inputs"]["stage"]`)+" > stage.txt\n"+
		"          - if [ \"$(cat stage.txt)\" = slow ]; then echo waiting; sleep 300; fi\n"+
		"          - aws sts get-caller-identity --query Arn --output text > caller.txt\n"+
		"          - >-\n            aws proton notify-resource-deployment-status-change --resource-arn \"$RESOURCE_ARN\" --status IN_PROGRESS\n"+
		"            --outputs \"[{\\\"key\\\":\\\"k\\\",\\\"valueString\\\":\\\"v\\\"},{\\\"key\\\":\\\"stage\\\",\\\"valueString\\\":\\\"$(cat stage.txt)\\\"},"+
		"{\\\"key\\\":\\\"caller\\\",\\\"valueString\\\":\\\"$(cat caller.txt)\\\"},{\\\"key\\\":\\\"greeting\\\",\\\"valueString\\\":\\\"$GREETING\\\"}]\"\n"+
		"          - aws proton notify-resource-deployment-status-change --resource-arn \"$RESOURCE_ARN\" --status SUCCEEDED\n",
	"          - aws s3api create-bucket --bucket \"deprovisioned-$("+cbInput(`["name"]`)+")\"\n")

// cbHCL has input_type HCL: its commands check the Terraform variable
// definitions written for it, report Port and notified, and leave an
// outputs file in the AWS CDK's form whose Port wins.
var cbHCL = strings.Replace(cbManifest(
	"          - test ! -e proton-inputs.json\n"+
		"          - grep -q '^environment = {' proton.auto.tfvars\n"+
		"          - grep -Eq '^ +stage += \"one\"$' proton-input.tfvars\n"+
		"          - grep -Eq '^ +name += \"cb-hcl\"$' proton-input.tfvars\n"+
		"          - cmp proton-input.tfvars proton.auto.tfvars\n"+
		cbNotify("Port", "1", "notified", "yes")+
		"          - |-\n            printf '%s' '{\"NetStack\": {\"VpcId\": \"vpc-hcl\", \"Port\": 8080}}' > proton-outputs.json\n",
	"          - echo nothing to remove\n"), "      settings:\n", "      input_type: HCL\n      settings:\n", 1)

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
	cbPublish(t, w, "cbhcl", cbHCL)
	cbPublish(t, w, "cbfail", cbFailing)
	cbPublish(t, w, "cbslow", cbSlow)
	cbCreate(t, w, "cb-dev", "cbreport")
	cbCreate(t, w, "cb-hcl", "cbhcl")
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
	if !strings.Contains(msg, "The 5 provision commands ran.") || strings.Count(msg, "cannot be honoured locally") != 1 ||
		!strings.Contains(msg, "Secrets Manager (TOKEN)") {
		t.Errorf("message %q; want the commands counted, the image and the secret named once", msg)
	}
	outs, err := w.cl.ListEnvironmentOutputs(ctx, &proton.ListEnvironmentOutputsInput{EnvironmentName: aws.String("cb-dev")})
	if err != nil {
		t.Fatal(err)
	}
	got := svcOutputs(t, outs.Outputs)
	caller := got["caller"]
	delete(got, "caller")
	if want := map[string]string{"k": "v", "stage": "one", "greeting": "hello"}; !maps.Equal(got, want) ||
		!strings.HasPrefix(caller, "arn:aws:sts::"+w.account+":assumed-role/codebuild/openproton-") {
		t.Errorf("outputs = %v with caller %q; want %v and the assumed CodeBuild role", got, caller, want)
	}
	log, err := os.ReadFile(filepath.Join(logs, aws.ToString(env.LastSucceededDeploymentId)+".log"))
	if err != nil || !strings.Contains(string(log), "[openproton] Running command: aws sts get-caller-identity") {
		t.Errorf("log of the deployment: %q, %v; want the commands named", log, err)
	}

	// input_type HCL: the commands read the .tfvars files; the outputs
	// file's Port wins over the notified one.
	env = envWaitTerminal(t, w.cl, "cb-hcl", time.Minute)
	if env.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Errorf("cb-hcl ended %s: %s", env.DeploymentStatus, aws.ToString(env.DeploymentStatusMessage))
	}
	outs, err = w.cl.ListEnvironmentOutputs(ctx, &proton.ListEnvironmentOutputsInput{EnvironmentName: aws.String("cb-hcl")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := svcOutputs(t, outs.Outputs), map[string]string{"VpcId": "vpc-hcl", "Port": "8080", "notified": "yes"}; !maps.Equal(got, want) {
		t.Errorf("cb-hcl outputs = %v, want %v", got, want)
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

	cbService(t, w)

	// A cancel of an update stops its commands; the environment keeps
	// its outputs.
	if _, err := w.cl.UpdateEnvironment(ctx, &proton.UpdateEnvironmentInput{Name: aws.String("cb-dev"), DeploymentType: types.DeploymentUpdateTypeCurrentVersion,
		Spec: aws.String(provEnvSpec("slow"))}); err != nil {
		t.Fatal(err)
	}
	cbWaitLog(t, logs, "\nwaiting\n") // the output, not the command
	if _, err := w.cl.CancelEnvironmentDeployment(ctx, &proton.CancelEnvironmentDeploymentInput{EnvironmentName: aws.String("cb-dev")}); err != nil {
		t.Fatal(err)
	}
	env = envWaitTerminal(t, w.cl, "cb-dev", time.Minute)
	if env.DeploymentStatus != types.DeploymentStatusCancelled {
		t.Errorf("the cancelled update ended %s: %s", env.DeploymentStatus, aws.ToString(env.DeploymentStatusMessage))
	}
	if !cbLogSays(t, logs, "[openproton] stopped: User initiated cancellation.") {
		t.Errorf("no log says that the cancel stopped the commands: %s", cbLogsText(t, logs))
	}
	outs, err = w.cl.ListEnvironmentOutputs(ctx, &proton.ListEnvironmentOutputsInput{EnvironmentName: aws.String("cb-dev")})
	if err != nil || svcOutputs(t, outs.Outputs)["stage"] != "one" {
		t.Errorf("outputs after the cancel: %v, %v; want those of the last success", outs, err)
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

// cbService deploys a service whose instance and pipeline are CodeBuild
// templates on environment cb-dev: their commands read the input file
// (the environment's outputs, the instance's inputs, the pipeline's
// instances) and report outputs.
func cbService(t *testing.T, w *provWorld) {
	t.Helper()
	ctx := context.Background()
	files := bundletest.ServiceFiles()
	delete(files, "instance_infrastructure/cloudformation.yaml")
	delete(files, "pipeline_infrastructure/cloudformation.yaml")
	files["instance_infrastructure/manifest.yaml"] = cbManifest(
		cbNotify("env_k", "$("+cbRead(`["environment"]["outputs"]["k"]`)+")", "port", "$("+cbRead(`["service_instance"]["inputs"]["port"]`)+")",
			"service", "$("+cbRead(`["service"]["name"]`)+")"),
		"          - echo bye\n")
	files["pipeline_infrastructure/manifest.yaml"] = cbManifest(
		cbNotify("instances", "$("+cbRead(`["service_instances"][0]["name"]`)+")", "branch", "$("+cbRead(`["pipeline"]["inputs"]["branch"]`)+")"),
		"          - echo bye\n")
	bundletest.WriteObject(t, w.bundles, "bucket", "cbsvc.tar.gz", bundletest.Map(t, files))
	if err := registerServiceTemplate(ctx, w.cl, "cbsvc", "bucket", "cbsvc.tar.gz", "cbreport"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.cl.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineCodebuildRoleArn: connRole(w.account, "pipeline-codebuild")}); err != nil {
		t.Fatal(err)
	}
	in := svcCreate("cbweb", "proton: ServiceSpec\npipeline:\n  branch: release\ninstances:\n  - name: front\n    environment: cb-dev\n    spec:\n      port: 8080\n")
	in.TemplateName = aws.String("cbsvc")
	if _, err := w.cl.CreateService(ctx, in); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if inst := provWaitInstance(cctx, t, w.cl, "cbweb", "front"); inst.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Fatalf("instance ended %s: %s\n%s", inst.DeploymentStatus, aws.ToString(inst.DeploymentStatusMessage), w.srv.Logs())
	}
	got, err := w.cl.ListServiceInstanceOutputs(ctx, &proton.ListServiceInstanceOutputsInput{ServiceName: aws.String("cbweb"), ServiceInstanceName: aws.String("front")})
	if err != nil {
		t.Fatal(err)
	}
	if g, want := svcOutputs(t, got.Outputs), map[string]string{"env_k": "v", "port": "8080", "service": "cbweb"}; !maps.Equal(g, want) {
		t.Errorf("instance outputs = %v, want %v", g, want)
	}
	if p := svcWaitPipeline(cctx, t, w.cl, "cbweb"); p.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Fatalf("pipeline ended %s: %s", p.DeploymentStatus, aws.ToString(p.DeploymentStatusMessage))
	}
	pouts, err := w.cl.ListServicePipelineOutputs(ctx, &proton.ListServicePipelineOutputsInput{ServiceName: aws.String("cbweb")})
	if err != nil {
		t.Fatal(err)
	}
	if g, want := svcOutputs(t, pouts.Outputs), map[string]string{"instances": "front", "branch": "release"}; !maps.Equal(g, want) {
		t.Errorf("pipeline outputs = %v, want %v", g, want)
	}
	if _, err := w.cl.DeleteService(ctx, &proton.DeleteServiceInput{Name: aws.String("cbweb")}); err != nil {
		t.Fatal(err)
	}
	provWaitGone(t, func() error {
		_, err := w.cl.GetService(ctx, &proton.GetServiceInput{Name: aws.String("cbweb")})
		return err
	})
}

// cbLogSays reports whether a log in logs holds text.
func cbLogSays(t *testing.T, logs, text string) bool {
	t.Helper()
	entries, err := os.ReadDir(logs)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join(logs, e.Name())); err == nil && strings.Contains(string(b), text) {
			return true
		}
	}
	return false
}

// cbWaitLog waits until a log in logs holds text.
func cbWaitLog(t *testing.T, logs, text string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cbLogSays(t, logs, text); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no log says %q after a minute", text)
		}
	}
}

// cbLogsText is every log in logs, for messages.
func cbLogsText(t *testing.T, logs string) string {
	t.Helper()
	entries, err := os.ReadDir(logs)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(logs, e.Name()))
		b.WriteString("== " + e.Name() + "\n" + string(data))
	}
	return b.String()
}
