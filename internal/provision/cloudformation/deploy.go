package cloudformation

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/openproton/openproton/internal/provision"
)

// capabilities are acknowledged for every template, as AWS Proton did:
// its templates may create IAM resources and use transforms.
func capabilities() []types.Capability {
	return []types.Capability{types.CapabilityCapabilityIam, types.CapabilityCapabilityNamedIam, types.CapabilityCapabilityAutoExpand}
}

// run is one deployment's work on its target's stack.
type run struct {
	api       API
	opts      Options
	stack     string // StackName of the target
	changeSet string // ChangeSetName of the deployment
}

// deploy creates or updates the stack with template body through the
// deployment's change set, and waits for the stack to settle. An attempt
// that follows a crash continues from where the one before it stopped: a
// change set it finds executed is only watched.
func (r *run) deploy(ctx context.Context, body string) (provision.Result, error) {
	st, err := r.describe(ctx, r.stack)
	if err != nil {
		return provision.Result{}, err
	}
	var cs *cfn.DescribeChangeSetOutput
	if st != nil {
		id := aws.ToString(st.StackId)
		if cs, err = r.describeChangeSet(ctx, id); err != nil {
			return provision.Result{}, err
		}
		if r.executed(st, cs) {
			return r.watch(ctx, id)
		}
		if inProgress(st.StackStatus) {
			// An operation of an earlier deployment: it ends first.
			if st, err = r.settle(ctx, id); err != nil {
				return provision.Result{}, err
			}
		}
	}
	if st != nil && st.StackStatus == types.StackStatusRollbackComplete {
		// A failed create leaves a stack that can only be deleted; its
		// change sets go with it.
		if err := r.remove(ctx, aws.ToString(st.StackId)); err != nil {
			return provision.Result{}, err
		}
		st, cs = nil, nil
	}
	stackRef := r.stack
	if st != nil {
		stackRef = aws.ToString(st.StackId)
	}
	if cs == nil {
		kind := types.ChangeSetTypeUpdate
		if st == nil || st.StackStatus == types.StackStatusReviewInProgress {
			kind = types.ChangeSetTypeCreate
		}
		out, err := r.api.CreateChangeSet(ctx, &cfn.CreateChangeSetInput{
			StackName: aws.String(r.stack), ChangeSetName: aws.String(r.changeSet), ChangeSetType: kind,
			TemplateBody: aws.String(body), Capabilities: capabilities(),
			Description: aws.String("openproton deployment"),
		})
		if err != nil {
			return provision.Result{}, r.apiError(ctx, "create a change set of stack", err)
		}
		stackRef = aws.ToString(out.StackId)
	}
	if cs, err = r.changeSetReady(ctx, stackRef); err != nil {
		return provision.Result{}, err
	}
	switch {
	case executionStarted(cs.ExecutionStatus):
		return r.watch(ctx, stackRef)
	case cs.Status == types.ChangeSetStatusFailed && noChanges(aws.ToString(cs.StatusReason)):
		return r.unchanged(ctx, stackRef)
	case cs.Status == types.ChangeSetStatusFailed:
		return provision.Result{}, fmt.Errorf("the change set of stack %s failed: %s", r.stack, aws.ToString(cs.StatusReason))
	case cs.ExecutionStatus != types.ExecutionStatusAvailable:
		return provision.Result{}, fmt.Errorf("the change set of stack %s cannot be executed: it is %s", r.stack, cs.ExecutionStatus)
	}
	if ctx.Err() != nil {
		// Nothing was applied: the deployment ends here.
		return provision.Result{}, stopped(ctx)
	}
	if _, err := r.api.ExecuteChangeSet(ctx, &cfn.ExecuteChangeSetInput{ChangeSetName: aws.String(r.changeSet), StackName: aws.String(stackRef)}); err != nil {
		return provision.Result{}, r.apiError(ctx, "execute the change set of stack", err)
	}
	return r.watch(ctx, stackRef)
}

// executed reports whether the deployment's change set was executed on
// stack st: CloudFormation names it in the stack (and may have deleted
// it), or cs, the change set as read, says so.
func (r *run) executed(st *types.Stack, cs *cfn.DescribeChangeSetOutput) bool {
	if cs != nil && executionStarted(cs.ExecutionStatus) {
		return true
	}
	return changeSetOf(aws.ToString(st.ChangeSetId)) == r.changeSet
}

// executionStarted reports whether a change set was executed.
func executionStarted(s types.ExecutionStatus) bool {
	switch s {
	case types.ExecutionStatusExecuteInProgress, types.ExecutionStatusExecuteComplete, types.ExecutionStatusExecuteFailed:
		return true
	}
	return false
}

// describeChangeSet reads the deployment's change set of stack ref, nil
// when there is none.
func (r *run) describeChangeSet(ctx context.Context, ref string) (*cfn.DescribeChangeSetOutput, error) {
	out, err := r.api.DescribeChangeSet(ctx, &cfn.DescribeChangeSetInput{ChangeSetName: aws.String(r.changeSet), StackName: aws.String(ref)})
	switch {
	case err != nil && ctx.Err() == nil && changeSetMissing(err):
		return nil, nil
	case err != nil:
		return nil, r.apiError(ctx, "describe the change set of stack", err)
	}
	return out, nil
}

// changeSetReady waits until the deployment's change set of stack ref is
// created (or failed).
func (r *run) changeSetReady(ctx context.Context, ref string) (*cfn.DescribeChangeSetOutput, error) {
	w := r.newWait()
	for {
		cs, err := r.describeChangeSet(ctx, ref)
		switch {
		case err != nil:
			return nil, err
		case cs == nil:
			return nil, fmt.Errorf("the change set %s of stack %s is gone", r.changeSet, r.stack)
		case cs.Status != types.ChangeSetStatusCreatePending && cs.Status != types.ChangeSetStatusCreateInProgress:
			return cs, nil
		}
		if err := w.next(ctx, fmt.Sprintf("the change set of stack %s is still %s", r.stack, cs.Status)); err != nil {
			return nil, err
		}
	}
}

// unchanged ends a deployment whose template changes nothing: it
// succeeds with the stack as it is. Its failed change set is deleted, so
// that it does not linger on the stack.
func (r *run) unchanged(ctx context.Context, ref string) (provision.Result, error) {
	// A change set that cannot be deleted is only untidy.
	_, _ = r.api.DeleteChangeSet(ctx, &cfn.DeleteChangeSetInput{ChangeSetName: aws.String(r.changeSet), StackName: aws.String(ref)})
	st, err := r.describe(ctx, ref)
	switch {
	case err != nil:
		return provision.Result{}, err
	case st == nil:
		return provision.Result{}, fmt.Errorf("stack %s is gone", r.stack)
	}
	res, err := r.result(ctx, st)
	res.Message = fmt.Sprintf("CloudFormation stack %s is %s: the template changes nothing.", r.stack, st.StackStatus)
	return res, err
}
