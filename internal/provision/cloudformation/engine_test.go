package cloudformation

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/openproton/openproton/internal/provision"
)

// errCancel stands for a user's cancel; errShutdown for a process that stops.
var (
	errCancel   = errors.New("User initiated cancellation.")
	errShutdown = errors.New("the server is shutting down")
)

const (
	goodTemplate    = "Resources: {Bucket: {Type: AWS::S3::Bucket}}\n"
	goodTemplateV2  = "Resources: {Bucket: {Type: AWS::S3::Bucket, Properties: {Tags: [{Key: v, Value: '2'}]}}}\n"
	badTemplate     = "Resources: {Bucket: {Type: AWS::S3::Bucket, Properties: {BucketName: taken}}}\n"
	firstReason     = "taken already exists"
	testRole        = "arn:aws:iam::222222222222:role/proton-service"
	testEnvironment = "arn:aws:proton:us-east-1:111111111111:environment/dev"
)

// harness is an engine on a fake CloudFormation and a fake STS.
type harness struct {
	cfn     *fakeCFN
	sts     *fakeSTS
	engine  *Engine
	regions []string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{cfn: newFake(), sts: &fakeSTS{}}
	h.cfn.templates[goodTemplate] = fakeTemplate{outputs: map[string]string{"BucketName": "dev-bucket-1", "Arn": "arn:aws:s3:::dev-bucket-1"},
		resources: map[string]string{"Bucket": "dev-bucket-1"}}
	h.cfn.templates[goodTemplateV2] = fakeTemplate{outputs: map[string]string{"BucketName": "dev-bucket-1", "Version": "2"},
		resources: map[string]string{"Bucket": "dev-bucket-1"}}
	h.cfn.templates[badTemplate] = fakeTemplate{failAt: "Bucket", reason: firstReason}
	h.engine = newEngine(Options{Poll: time.Millisecond, Timeout: 5 * time.Second, CancelRequested: func(c error) bool { return errors.Is(c, errCancel) }},
		func(region string) stscreds.AssumeRoleAPIClient { return h.sts },
		func(region string, creds aws.CredentialsProvider) API {
			h.regions = append(h.regions, region)
			return h.cfn
		})
	return h
}

func request(id string, action provision.Action, template string) provision.Request {
	req := provision.Request{DeploymentID: id, Action: action,
		Target:      provision.Target{Type: "ENVIRONMENT", Name: "dev", ARN: testEnvironment, Account: "111111111111", Region: "us-east-1"},
		Credentials: provision.Credentials{Account: "222222222222", RoleArn: testRole}}
	if template != "" {
		req.Files = []provision.File{{Path: "cloudformation.yaml", Content: template, RenderingEngine: "jinja", Language: "cloudformation"}}
	}
	return req
}

// stack is the fake's live stack of the test environment.
func (h *harness) stack(t *testing.T) *fakeStack {
	t.Helper()
	h.cfn.mu.Lock()
	defer h.cfn.mu.Unlock()
	return h.cfn.live(StackName(request("", provision.Deploy, "").Target))
}

func (h *harness) deploy(t *testing.T, id, template string) provision.Result {
	t.Helper()
	res, err := h.engine.Run(context.Background(), request(id, provision.Deploy, template))
	if err != nil {
		t.Fatalf("deploy %s: %v", id, err)
	}
	return res
}

func TestCreateSucceeds(t *testing.T) {
	h := newHarness(t)
	res := h.deploy(t, "d-1", goodTemplate)
	want := []provision.Output{{Key: "Arn", Value: "arn:aws:s3:::dev-bucket-1"}, {Key: "BucketName", Value: "dev-bucket-1"}}
	if len(res.Outputs) != 2 || res.Outputs[0] != want[0] || res.Outputs[1] != want[1] {
		t.Errorf("outputs = %v, want %v", res.Outputs, want)
	}
	if len(res.Resources) != 1 || res.Resources[0] != (provision.Resource{Name: "Bucket", Identifier: "dev-bucket-1", Engine: "CLOUDFORMATION"}) {
		t.Errorf("resources = %v", res.Resources)
	}
	st := h.stack(t)
	if st == nil || st.status != types.StackStatusCreateComplete || !strings.HasPrefix(st.name, "AWSProton-ENV-dev-") {
		t.Fatalf("stack = %+v, want AWSProton-ENV-dev-... CREATE_COMPLETE", st)
	}
	if !strings.Contains(res.Message, st.name) {
		t.Errorf("message %q does not name the stack %s", res.Message, st.name)
	}
	if len(h.sts.got) != 1 || aws.ToString(h.sts.got[0].RoleArn) != testRole || aws.ToString(h.sts.got[0].RoleSessionName) != "openproton-d-1" {
		t.Errorf("AssumeRole calls = %+v, want one of %s as openproton-d-1", h.sts.got, testRole)
	}
	if len(h.regions) != 1 || h.regions[0] != "us-east-1" {
		t.Errorf("CloudFormation regions = %v, want [us-east-1]", h.regions)
	}
}

func TestCreateFailsWithFirstReasonThenRecreates(t *testing.T) {
	h := newHarness(t)
	_, err := h.engine.Run(context.Background(), request("d-1", provision.Deploy, badTemplate))
	if err == nil || err.Error() != firstReason {
		t.Fatalf("error = %v, want the first failing reason %q", err, firstReason)
	}
	if st := h.stack(t); st == nil || st.status != types.StackStatusRollbackComplete {
		t.Fatalf("stack = %+v, want ROLLBACK_COMPLETE", st)
	}
	// A stack whose create rolled back can only be deleted: the next
	// deployment deletes it and creates it anew.
	res := h.deploy(t, "d-2", goodTemplate)
	if len(res.Outputs) != 2 || h.cfn.count("DeleteStack") != 1 {
		t.Errorf("outputs = %v, deletes = %d; want 2 outputs after 1 delete", res.Outputs, h.cfn.count("DeleteStack"))
	}
	if st := h.stack(t); st == nil || st.status != types.StackStatusCreateComplete {
		t.Errorf("stack = %+v, want CREATE_COMPLETE", st)
	}
}

func TestUpdateWithoutChangesSucceeds(t *testing.T) {
	h := newHarness(t)
	first := h.deploy(t, "d-1", goodTemplate)
	res := h.deploy(t, "d-2", goodTemplate)
	if len(res.Outputs) != len(first.Outputs) || res.Outputs[1] != first.Outputs[1] || len(res.Resources) != 1 {
		t.Errorf("result = %+v, want the stack's current outputs %v and resources", res, first.Outputs)
	}
	if !strings.Contains(res.Message, "changes nothing") {
		t.Errorf("message = %q, want it to say that nothing changed", res.Message)
	}
	if n := h.cfn.count("ExecuteChangeSet"); n != 1 {
		t.Errorf("ExecuteChangeSet called %d times, want 1", n)
	}
	if n := h.cfn.count("DeleteChangeSet"); n != 1 {
		t.Errorf("DeleteChangeSet called %d times, want 1 (the empty change set)", n)
	}
}

func TestUpdateSucceedsWithNewOutputs(t *testing.T) {
	h := newHarness(t)
	h.deploy(t, "d-1", goodTemplate)
	res := h.deploy(t, "d-2", goodTemplateV2)
	if len(res.Outputs) != 2 || res.Outputs[1] != (provision.Output{Key: "Version", Value: "2"}) {
		t.Errorf("outputs = %v, want Version 2", res.Outputs)
	}
	if st := h.stack(t); st.status != types.StackStatusUpdateComplete {
		t.Errorf("status = %s, want UPDATE_COMPLETE", st.status)
	}
}

func TestUpdateFails(t *testing.T) {
	h := newHarness(t)
	h.deploy(t, "d-1", goodTemplate)
	_, err := h.engine.Run(context.Background(), request("d-2", provision.Deploy, badTemplate))
	if err == nil || err.Error() != firstReason {
		t.Fatalf("error = %v, want %q", err, firstReason)
	}
	if st := h.stack(t); st.status != types.StackStatusUpdateRollbackComplete || st.template != goodTemplate {
		t.Errorf("stack = %s with template %q, want UPDATE_ROLLBACK_COMPLETE with the first template", st.status, st.template)
	}
}

// runUntil runs a deployment whose context ends with cause once the
// stack reaches status.
func (h *harness) runUntil(id, template string, status types.StackStatus, cause error) (provision.Result, error) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	h.cfn.onRead = func(s *fakeStack) {
		if s.status == status {
			cancel(cause)
		}
	}
	defer func() { h.cfn.onRead = nil }()
	return h.engine.Run(ctx, request(id, provision.Deploy, template))
}

func TestCancelDuringUpdateRollsBack(t *testing.T) {
	h := newHarness(t)
	h.deploy(t, "d-1", goodTemplate)
	_, err := h.runUntil("d-2", goodTemplateV2, types.StackStatusUpdateInProgress, errCancel)
	if !errors.Is(err, errCancel) {
		t.Fatalf("error = %v, want one wrapping the cancel", err)
	}
	if n := h.cfn.count("CancelUpdateStack"); n != 1 {
		t.Errorf("CancelUpdateStack called %d times, want 1", n)
	}
	// The run returned once the rollback had ended.
	if st := h.stack(t); st.status != types.StackStatusUpdateRollbackComplete || st.template != goodTemplate {
		t.Errorf("stack = %s with %q, want UPDATE_ROLLBACK_COMPLETE with the first template", st.status, st.template)
	}
}

// TestStopLeavesTheStackToTheNextAttempt: a process that stops during an
// update neither cancels it nor, on the next attempt, applies it again.
func TestStopLeavesTheStackToTheNextAttempt(t *testing.T) {
	for _, c := range []struct {
		name           string
		keep, finished bool
	}{
		{"retried during the update", false, false},
		{"retried after the update, its change set deleted (AWS)", false, true},
		{"retried after the update, its change set kept (moto)", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			h.cfn.keepExecuted = c.keep
			h.deploy(t, "d-1", goodTemplate)
			_, err := h.runUntil("d-2", goodTemplateV2, types.StackStatusUpdateInProgress, errShutdown)
			if !errors.Is(err, errShutdown) {
				t.Fatalf("error = %v, want one wrapping the shutdown", err)
			}
			for c.finished && inProgress(h.stack(t).status) {
				if _, err := h.cfn.DescribeStacks(context.Background(), &cfn.DescribeStacksInput{StackName: aws.String(h.stack(t).id)}); err != nil {
					t.Fatal(err)
				}
			}
			if n := h.cfn.count("CancelUpdateStack"); n != 0 {
				t.Errorf("CancelUpdateStack called %d times on a shutdown", n)
			}
			res := h.deploy(t, "d-2", goodTemplateV2)
			if len(res.Outputs) != 2 || res.Outputs[1].Key != "Version" {
				t.Errorf("outputs = %v, want those of the update", res.Outputs)
			}
			if n := h.cfn.count("ExecuteChangeSet"); n != 2 {
				t.Errorf("ExecuteChangeSet called %d times, want 2 (one per deployment)", n)
			}
			if n := h.cfn.count("CreateChangeSet"); n != 2 {
				t.Errorf("CreateChangeSet called %d times, want 2 (one per deployment)", n)
			}
		})
	}
}

// TestCrashBetweenCreationAndExecution: an attempt that stopped before
// its change set could be executed leaves it to the next, which executes
// it once.
func TestCrashBetweenCreationAndExecution(t *testing.T) {
	h := newHarness(t)
	h.deploy(t, "d-1", goodTemplate)
	h.cfn.csReads = 1000
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		for h.cfn.count("DescribeChangeSet") < 3 {
			time.Sleep(time.Millisecond)
		}
		cancel(errShutdown)
	}()
	_, err := h.engine.Run(ctx, request("d-2", provision.Deploy, goodTemplateV2))
	if !errors.Is(err, errShutdown) || h.cfn.count("ExecuteChangeSet") != 1 {
		t.Fatalf("error = %v, executions = %d; want the shutdown and only d-1's execution", err, h.cfn.count("ExecuteChangeSet"))
	}
	h.cfn.mu.Lock()
	for _, cs := range h.cfn.changeSets {
		cs.pendingReads = 0
	}
	h.cfn.mu.Unlock()
	res := h.deploy(t, "d-2", goodTemplateV2)
	if len(res.Outputs) != 2 || res.Outputs[1].Key != "Version" {
		t.Errorf("outputs = %v, want those of the update", res.Outputs)
	}
	if c, e := h.cfn.count("CreateChangeSet"), h.cfn.count("ExecuteChangeSet"); c != 2 || e != 2 {
		t.Errorf("CreateChangeSet %d, ExecuteChangeSet %d times; want 2 and 2", c, e)
	}
}

func TestCancelBeforeExecutionAppliesNothing(t *testing.T) {
	h := newHarness(t)
	h.deploy(t, "d-1", goodTemplate)
	h.cfn.csReads = 1000
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errCancel)
	_, err := h.engine.Run(ctx, request("d-2", provision.Deploy, goodTemplateV2))
	if !errors.Is(err, errCancel) {
		t.Fatalf("error = %v, want the cancel", err)
	}
	if n := h.cfn.count("ExecuteChangeSet"); n != 1 {
		t.Errorf("ExecuteChangeSet called %d times, want 1 (d-1 only)", n)
	}
}

func TestWaitsAreBounded(t *testing.T) {
	h := newHarness(t)
	h.engine.opts.Timeout = 50 * time.Millisecond
	h.cfn.stuck = true
	_, err := h.engine.Run(context.Background(), request("d-1", provision.Deploy, goodTemplate))
	if err == nil || !strings.Contains(err.Error(), "is still CREATE_IN_PROGRESS after 50ms") {
		t.Fatalf("error = %v, want the wait to run out", err)
	}
}

func TestDestroy(t *testing.T) {
	h := newHarness(t)
	res, err := h.engine.Run(context.Background(), request("d-1", provision.Destroy, ""))
	if err != nil || !strings.Contains(res.Message, "does not exist") {
		t.Fatalf("destroy of a missing stack = %+v, %v; want success", res, err)
	}
	h.deploy(t, "d-2", goodTemplate)
	if _, err := h.engine.Run(context.Background(), request("d-3", provision.Destroy, "")); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if st := h.stack(t); st != nil {
		t.Errorf("stack %s is %s after the destroy", st.name, st.status)
	}
	if n := h.cfn.count("DeleteStack"); n != 1 {
		t.Errorf("DeleteStack called %d times, want 1", n)
	}
}

func TestAssumeRoleFailureFailsWithAWSMessage(t *testing.T) {
	h := newHarness(t)
	h.sts.err = &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: &smithy.GenericAPIError{Code: "AccessDenied",
		Message: "User: arn:aws:iam::111111111111:user/openproton is not authorized to perform: sts:AssumeRole on resource: " + testRole}}
	_, err := h.engine.Run(context.Background(), request("d-1", provision.Deploy, goodTemplate))
	want := "could not assume role " + testRole + ": AccessDenied: User: arn:aws:iam::111111111111:user/openproton is not authorized to perform: sts:AssumeRole on resource: " + testRole
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant  %s", err, want)
	}
	if n := h.cfn.count("CreateChangeSet"); n != 0 {
		t.Errorf("CreateChangeSet called %d times", n)
	}
}

func TestRefusedRequests(t *testing.T) {
	two := request("d", provision.Deploy, goodTemplate)
	two.Files = append(two.Files, provision.File{Path: "more.yaml", Content: goodTemplate, RenderingEngine: "jinja", Language: "cloudformation"})
	tf := request("d", provision.Deploy, "")
	tf.Files = []provision.File{{Path: "main.tf", Content: "x", RenderingEngine: "hcl", Language: "terraform"}}
	big := request("d", provision.Deploy, strings.Repeat("#", maxTemplateBody+1))
	cb := request("d", provision.Deploy, "")
	cb.Files = []provision.File{{Path: "manifest.yaml", Content: "x", RenderingEngine: "codebuild", Language: "cloudformation"}}
	noRole := request("d", provision.Deploy, goodTemplate)
	noRole.Credentials.RoleArn = ""
	for _, c := range []struct {
		name string
		req  provision.Request
		want string
	}{
		{"two CloudFormation files", two, "2 CloudFormation files (cloudformation.yaml, more.yaml)"},
		{"terraform", tf, "main.tf is a terraform template"},
		{"too large", big, "CloudFormation takes at most 51200"},
		{"codebuild", cb, "CodeBuild provisioning (rendering_engine: codebuild) is not built yet"},
		{"no role", noRole, "no role to provision with"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			_, err := h.engine.Run(context.Background(), c.req)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to say %q", err, c.want)
			}
			if len(h.sts.got) != 0 || len(h.regions) != 0 {
				t.Errorf("the engine reached AWS for a refused request")
			}
		})
	}
}

func TestCodeBuildDestroyDeprovisionsNothing(t *testing.T) {
	h := newHarness(t)
	req := request("d", provision.Destroy, "")
	req.CodeBuild = true
	res, err := h.engine.Run(context.Background(), req)
	if err != nil || !strings.Contains(res.Message, "not built yet") {
		t.Fatalf("result = %+v, %v; want success saying CodeBuild is not built", res, err)
	}
	if len(h.sts.got) != 0 {
		t.Errorf("the engine assumed a role")
	}
}

// TestCancelAfterTheUpdateEndedKeepsItsResult: a cancel that reaches an
// update already complete cannot cancel it, and the deployment keeps its
// result.
func TestCancelAfterTheUpdateEndedKeepsItsResult(t *testing.T) {
	h := newHarness(t)
	h.deploy(t, "d-1", goodTemplate)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	h.cfn.onRead = func(s *fakeStack) {
		if s.status == types.StackStatusUpdateInProgress {
			// The cancel and the end of the update cross.
			cancel(errCancel)
			s.status, s.then = types.StackStatusUpdateComplete, nil
			s.after()
			s.after = nil
		}
	}
	res, err := h.engine.Run(ctx, request("d-2", provision.Deploy, goodTemplateV2))
	if err != nil || len(res.Outputs) != 2 || res.Outputs[1].Key != "Version" {
		t.Fatalf("result = %+v, %v; want the update's outputs", res, err)
	}
	if n := h.cfn.count("CancelUpdateStack"); n != 1 {
		t.Errorf("CancelUpdateStack called %d times, want 1 (refused)", n)
	}
}

func TestDeleteFailsWithFirstReason(t *testing.T) {
	h := newHarness(t)
	h.deploy(t, "d-1", goodTemplate)
	h.cfn.onRead = func(s *fakeStack) {
		if s.status == types.StackStatusDeleteInProgress && len(s.then) == 1 {
			s.then, s.after = []types.StackStatus{types.StackStatusDeleteFailed}, func() {
				h.cfn.event(s, "Bucket", "AWS::S3::Bucket", types.ResourceStatusDeleteFailed, "The bucket you tried to delete is not empty")
				h.cfn.stackEvent(s, types.ResourceStatusDeleteFailed, "The following resource(s) failed to delete: [Bucket].")
			}
		}
	}
	_, err := h.engine.Run(context.Background(), request("d-2", provision.Destroy, ""))
	if err == nil || err.Error() != "The bucket you tried to delete is not empty" {
		t.Fatalf("error = %v, want the bucket's reason", err)
	}
	if st := h.stack(t); st == nil || st.status != types.StackStatusDeleteFailed {
		t.Errorf("stack = %+v, want DELETE_FAILED", st)
	}
}
