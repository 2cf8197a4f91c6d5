package cloudformation

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

// fakeTemplate is what the fake does with a template body: the outputs
// and resources a successful operation leaves, or the resource that fails
// it (with a second, later failure, as the siblings cancelled by a failure
// report).
type fakeTemplate struct {
	outputs   map[string]string
	resources map[string]string // logical id → physical id
	failAt    string            // logical id of the failing resource
	reason    string            // its reason
}

// fakeStack is a stack of the fake.
type fakeStack struct {
	id, name    string
	status      types.StackStatus
	template    string
	changeSetID string
	outputs     map[string]string
	resources   map[string]string
	events      []types.StackEvent // oldest first
	// then are the statuses the stack passes through, one per read, while
	// an operation goes on; the last one is where it rests.
	then []types.StackStatus
	// after runs when the stack reaches the end of then.
	after func()
}

// fakeChangeSet is a change set of the fake.
type fakeChangeSet struct {
	id, name, stackID string
	kind              types.ChangeSetType
	template          string
	status            types.ChangeSetStatus
	execution         types.ExecutionStatus
	reason            string
	pendingReads      int // reads that still find it CREATE_PENDING
}

// fakeCFN is an in-process CloudFormation of the calls the engine makes,
// whose operations take a scripted number of reads. Like AWS it deletes a
// stack's change sets once one is executed and names that one in the
// stack; with keepExecuted it keeps them, as moto does.
type fakeCFN struct {
	mu           sync.Mutex
	templates    map[string]fakeTemplate
	stacks       map[string]*fakeStack // by id, deleted ones too
	changeSets   map[string]*fakeChangeSet
	reads        int  // reads an operation stays in progress
	csReads      int  // reads a new change set stays CREATE_PENDING
	keepExecuted bool // moto's way: executed change sets stay
	stuck        bool // operations never end
	// onRead runs on every DescribeStacks with the stack read.
	onRead func(*fakeStack)
	calls  map[string]int
	seq    int
}

func newFake() *fakeCFN {
	return &fakeCFN{templates: map[string]fakeTemplate{}, stacks: map[string]*fakeStack{}, changeSets: map[string]*fakeChangeSet{},
		reads: 2, calls: map[string]int{}}
}

func validation(msg string) error {
	return &smithy.GenericAPIError{Code: "ValidationError", Message: msg}
}

func (f *fakeCFN) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// live returns the stack named or with id ref that is not deleted.
func (f *fakeCFN) live(ref string) *fakeStack {
	for _, s := range f.stacks {
		if s.id == ref || s.name == ref && s.status != types.StackStatusDeleteComplete {
			return s
		}
	}
	return nil
}

func (f *fakeCFN) event(s *fakeStack, logical, typ string, status types.ResourceStatus, reason string) {
	f.seq++
	ev := types.StackEvent{EventId: aws.String(fmt.Sprint(f.seq)), StackId: aws.String(s.id), StackName: aws.String(s.name),
		LogicalResourceId: aws.String(logical), ResourceType: aws.String(typ), ResourceStatus: status,
		Timestamp: aws.Time(time.Unix(int64(f.seq), 0))}
	if reason != "" {
		ev.ResourceStatusReason = aws.String(reason)
	}
	s.events = append(s.events, ev)
}

func (f *fakeCFN) stackEvent(s *fakeStack, status types.ResourceStatus, reason string) {
	f.event(s, s.name, "AWS::CloudFormation::Stack", status, reason)
}

func (f *fakeCFN) CreateChangeSet(_ context.Context, in *cfn.CreateChangeSetInput, _ ...func(*cfn.Options)) (*cfn.CreateChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["CreateChangeSet"]++
	name := aws.ToString(in.StackName)
	s := f.live(name)
	switch {
	case in.ChangeSetType == types.ChangeSetTypeUpdate && s == nil:
		return nil, validation("Stack [" + name + "] does not exist")
	case in.ChangeSetType == types.ChangeSetTypeCreate && s != nil && s.status != types.StackStatusReviewInProgress:
		return nil, &types.AlreadyExistsException{Message: aws.String("Stack [" + name + "] already exists")}
	case s != nil && inProgress(s.status):
		return nil, validation("Stack:" + s.id + " is in " + string(s.status) + " state and can not be updated.")
	}
	if s == nil {
		f.seq++
		s = &fakeStack{id: fmt.Sprintf("arn:aws:cloudformation:us-east-1:222222222222:stack/%s/%d", name, f.seq), name: name,
			status: types.StackStatusReviewInProgress}
		f.stacks[s.id] = s
		f.stackEvent(s, types.ResourceStatus("REVIEW_IN_PROGRESS"), "User Initiated")
	}
	f.seq++
	cs := &fakeChangeSet{id: fmt.Sprintf("arn:aws:cloudformation:us-east-1:222222222222:changeSet/%s/%d", aws.ToString(in.ChangeSetName), f.seq),
		name: aws.ToString(in.ChangeSetName), stackID: s.id, kind: in.ChangeSetType, template: aws.ToString(in.TemplateBody),
		status: types.ChangeSetStatusCreateComplete, execution: types.ExecutionStatusAvailable, pendingReads: f.csReads}
	if in.ChangeSetType == types.ChangeSetTypeUpdate && s.template == cs.template {
		cs.status, cs.execution = types.ChangeSetStatusFailed, types.ExecutionStatusUnavailable
		cs.reason = "The submitted information didn't contain changes. Submit different information to create a change set."
	}
	f.changeSets[cs.id] = cs
	return &cfn.CreateChangeSetOutput{Id: aws.String(cs.id), StackId: aws.String(s.id)}, nil
}

// changeSet finds change set name of stack ref.
func (f *fakeCFN) changeSet(name, ref string) *fakeChangeSet {
	s := f.live(ref)
	for _, cs := range f.changeSets {
		if cs.name == name && s != nil && cs.stackID == s.id {
			return cs
		}
	}
	return nil
}

func (f *fakeCFN) DescribeChangeSet(_ context.Context, in *cfn.DescribeChangeSetInput, _ ...func(*cfn.Options)) (*cfn.DescribeChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DescribeChangeSet"]++
	cs := f.changeSet(aws.ToString(in.ChangeSetName), aws.ToString(in.StackName))
	if cs == nil {
		return nil, &types.ChangeSetNotFoundException{Message: aws.String("ChangeSet [" + aws.ToString(in.ChangeSetName) + "] does not exist")}
	}
	out := &cfn.DescribeChangeSetOutput{ChangeSetId: aws.String(cs.id), ChangeSetName: aws.String(cs.name), StackId: aws.String(cs.stackID),
		Status: cs.status, ExecutionStatus: cs.execution, StatusReason: aws.String(cs.reason)}
	if cs.pendingReads > 0 {
		cs.pendingReads--
		out.Status, out.ExecutionStatus = types.ChangeSetStatusCreatePending, types.ExecutionStatusUnavailable
	}
	return out, nil
}

func (f *fakeCFN) DeleteChangeSet(_ context.Context, in *cfn.DeleteChangeSetInput, _ ...func(*cfn.Options)) (*cfn.DeleteChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DeleteChangeSet"]++
	cs := f.changeSet(aws.ToString(in.ChangeSetName), aws.ToString(in.StackName))
	if cs == nil {
		return nil, &types.ChangeSetNotFoundException{Message: aws.String("no such change set")}
	}
	delete(f.changeSets, cs.id)
	return &cfn.DeleteChangeSetOutput{}, nil
}

func (f *fakeCFN) ExecuteChangeSet(_ context.Context, in *cfn.ExecuteChangeSetInput, _ ...func(*cfn.Options)) (*cfn.ExecuteChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["ExecuteChangeSet"]++
	cs := f.changeSet(aws.ToString(in.ChangeSetName), aws.ToString(in.StackName))
	if cs == nil {
		return nil, &types.ChangeSetNotFoundException{Message: aws.String("no such change set")}
	}
	if cs.execution != types.ExecutionStatusAvailable || cs.pendingReads > 0 {
		return nil, &types.InvalidChangeSetStatusException{Message: aws.String("ChangeSet is in " + string(cs.execution) + " state")}
	}
	s := f.stacks[cs.stackID]
	cs.execution = types.ExecutionStatusExecuteInProgress
	s.changeSetID = cs.id
	t := f.templates[cs.template]
	create := cs.kind == types.ChangeSetTypeCreate
	prefix, rollback := "CREATE", "ROLLBACK"
	if !create {
		prefix, rollback = "UPDATE", "UPDATE_ROLLBACK"
	}
	f.stackEvent(s, types.ResourceStatus(prefix+"_IN_PROGRESS"), "User Initiated")
	progress := types.StackStatus(prefix + "_IN_PROGRESS")
	var then []types.StackStatus
	for i := 0; i < f.reads; i++ {
		then = append(then, progress)
	}
	if t.failAt != "" {
		then = append(then, types.StackStatus(rollback+"_IN_PROGRESS"), types.StackStatus(rollback+"_COMPLETE"))
	} else {
		then = append(then, types.StackStatus(prefix+"_COMPLETE"))
	}
	s.status, s.then = progress, then
	s.after = func() {
		if t.failAt != "" {
			f.event(s, t.failAt, "AWS::S3::Bucket", types.ResourceStatus(prefix+"_FAILED"), t.reason)
			f.event(s, "Sibling", "AWS::S3::Bucket", types.ResourceStatus(prefix+"_FAILED"), "Resource "+prefix+" cancelled")
			f.stackEvent(s, types.ResourceStatus(rollback+"_IN_PROGRESS"), "The following resource(s) failed: ["+t.failAt+"].")
			f.stackEvent(s, types.ResourceStatus(rollback+"_COMPLETE"), "")
			cs.execution = types.ExecutionStatusExecuteFailed
			if create {
				s.resources, s.outputs = nil, nil
			}
		} else {
			for logical := range t.resources {
				f.event(s, logical, "AWS::S3::Bucket", types.ResourceStatus(prefix+"_COMPLETE"), "")
			}
			f.stackEvent(s, types.ResourceStatus(prefix+"_COMPLETE"), "")
			s.template, s.outputs, s.resources = cs.template, t.outputs, t.resources
			cs.execution = types.ExecutionStatusExecuteComplete
		}
		if !f.keepExecuted {
			for id, other := range f.changeSets {
				if other.stackID == s.id {
					delete(f.changeSets, id)
				}
			}
		}
	}
	return &cfn.ExecuteChangeSetOutput{}, nil
}

func (f *fakeCFN) DescribeStacks(_ context.Context, in *cfn.DescribeStacksInput, _ ...func(*cfn.Options)) (*cfn.DescribeStacksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DescribeStacks"]++
	ref := aws.ToString(in.StackName)
	s := f.live(ref)
	if s == nil {
		return nil, validation("Stack with id " + ref + " does not exist")
	}
	if len(s.then) > 0 && !f.stuck {
		s.status, s.then = s.then[0], s.then[1:]
		if len(s.then) == 0 && s.after != nil {
			s.after()
			s.after = nil
		}
	}
	if f.onRead != nil {
		f.onRead(s)
	}
	st := types.Stack{StackId: aws.String(s.id), StackName: aws.String(s.name), StackStatus: s.status, CreationTime: aws.Time(time.Unix(1, 0))}
	if s.changeSetID != "" && !f.keepExecuted {
		st.ChangeSetId = aws.String(s.changeSetID)
	}
	for k, v := range s.outputs {
		st.Outputs = append(st.Outputs, types.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
	}
	return &cfn.DescribeStacksOutput{Stacks: []types.Stack{st}}, nil
}

// eventPage is the fake's page size of DescribeStackEvents.
const eventPage = 3

func (f *fakeCFN) DescribeStackEvents(_ context.Context, in *cfn.DescribeStackEventsInput, _ ...func(*cfn.Options)) (*cfn.DescribeStackEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DescribeStackEvents"]++
	s := f.live(aws.ToString(in.StackName))
	if s == nil {
		return nil, validation("Stack with id " + aws.ToString(in.StackName) + " does not exist")
	}
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	out := &cfn.DescribeStackEventsOutput{}
	for i := len(s.events) - 1 - start; i >= 0 && len(out.StackEvents) < eventPage; i-- {
		out.StackEvents = append(out.StackEvents, s.events[i])
	}
	if next := start + len(out.StackEvents); next < len(s.events) {
		out.NextToken = aws.String(fmt.Sprint(next))
	}
	return out, nil
}

func (f *fakeCFN) ListStackResources(_ context.Context, in *cfn.ListStackResourcesInput, _ ...func(*cfn.Options)) (*cfn.ListStackResourcesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["ListStackResources"]++
	s := f.live(aws.ToString(in.StackName))
	if s == nil {
		return nil, validation("Stack with id " + aws.ToString(in.StackName) + " does not exist")
	}
	out := &cfn.ListStackResourcesOutput{}
	for logical, physical := range s.resources {
		out.StackResourceSummaries = append(out.StackResourceSummaries, types.StackResourceSummary{LogicalResourceId: aws.String(logical),
			PhysicalResourceId: aws.String(physical), ResourceType: aws.String("AWS::S3::Bucket"), ResourceStatus: types.ResourceStatusCreateComplete})
	}
	return out, nil
}

func (f *fakeCFN) DeleteStack(_ context.Context, in *cfn.DeleteStackInput, _ ...func(*cfn.Options)) (*cfn.DeleteStackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DeleteStack"]++
	s := f.live(aws.ToString(in.StackName))
	if s == nil || s.status == types.StackStatusDeleteInProgress {
		return &cfn.DeleteStackOutput{}, nil
	}
	f.stackEvent(s, types.ResourceStatusDeleteInProgress, "User Initiated")
	s.status = types.StackStatusDeleteInProgress
	s.then = nil
	for i := 0; i < f.reads; i++ {
		s.then = append(s.then, types.StackStatusDeleteInProgress)
	}
	s.then = append(s.then, types.StackStatusDeleteComplete)
	s.after = func() {
		for id, cs := range f.changeSets {
			if cs.stackID == s.id {
				delete(f.changeSets, id)
			}
		}
	}
	return &cfn.DeleteStackOutput{}, nil
}

func (f *fakeCFN) CancelUpdateStack(_ context.Context, in *cfn.CancelUpdateStackInput, _ ...func(*cfn.Options)) (*cfn.CancelUpdateStackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["CancelUpdateStack"]++
	s := f.live(aws.ToString(in.StackName))
	if s == nil || s.status != types.StackStatusUpdateInProgress {
		return nil, validation("CancelUpdateStack cannot be called from current stack status")
	}
	s.then = []types.StackStatus{types.StackStatusUpdateRollbackInProgress, types.StackStatusUpdateRollbackInProgress, types.StackStatusUpdateRollbackComplete}
	s.after = func() {
		f.event(s, "Bucket", "AWS::S3::Bucket", types.ResourceStatusUpdateFailed, "Resource update cancelled")
		f.stackEvent(s, types.ResourceStatusUpdateRollbackComplete, "")
		for _, cs := range f.changeSets {
			if cs.stackID == s.id && cs.execution == types.ExecutionStatusExecuteInProgress {
				cs.execution = types.ExecutionStatusExecuteFailed
			}
		}
	}
	return &cfn.CancelUpdateStackOutput{}, nil
}

// fakeSTS answers AssumeRole with err, or with credentials.
type fakeSTS struct {
	mu  sync.Mutex
	err error
	got []*sts.AssumeRoleInput
}

func (f *fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, in)
	if f.err != nil {
		return nil, f.err
	}
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{AccessKeyId: aws.String("ASIAFAKE"), SecretAccessKey: aws.String("secret"),
		SessionToken: aws.String("token"), Expiration: aws.Time(time.Now().Add(time.Hour))}}, nil
}
