package cloudformation

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/openproton/openproton/internal/provision"
)

// wait paces the reads of one wait and bounds it by Options.Timeout.
type wait struct {
	poll     time.Duration
	deadline time.Time
	timeout  time.Duration
}

func (r *run) newWait() *wait {
	return &wait{poll: r.opts.Poll, deadline: time.Now().Add(r.opts.Timeout), timeout: r.opts.Timeout}
}

// next sleeps until the next read. It fails with state (what is still
// awaited) once the wait has lasted its timeout, and with an error
// wrapping the cause when ctx ends.
func (w *wait) next(ctx context.Context, state string) error {
	if !time.Now().Before(w.deadline) {
		return fmt.Errorf("%s after %s", state, w.timeout)
	}
	t := time.NewTimer(w.poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return stopped(ctx)
	case <-t.C:
		return nil
	}
}

// stopped is the error of a run whose context ended.
func stopped(ctx context.Context) error {
	return fmt.Errorf("deployment stopped: %w", context.Cause(ctx))
}

// apiError is the error of a failed call to CloudFormation: what was
// being done and AWS's message, or stopped when ctx ended meanwhile.
func (r *run) apiError(ctx context.Context, doing string, err error) error {
	if ctx.Err() != nil {
		return stopped(ctx)
	}
	return fmt.Errorf("%s %s: %s", doing, r.stack, awsMessage(err))
}

// inProgress reports whether an operation is under way on a stack with
// status s. REVIEW_IN_PROGRESS is not one: it is the rest of a stack that
// only a change set of type CREATE has created.
func inProgress(s types.StackStatus) bool {
	return strings.HasSuffix(string(s), "_IN_PROGRESS") && s != types.StackStatusReviewInProgress
}

// succeeded reports whether a stack with status s is deployed as asked.
func succeeded(s types.StackStatus) bool {
	switch s {
	case types.StackStatusCreateComplete, types.StackStatusUpdateComplete, types.StackStatusImportComplete:
		return true
	}
	return false
}

// changeSetOf is the name of the change set of change set ARN arn
// (arn:aws:cloudformation:REGION:ACCOUNT:changeSet/NAME/ID), "" if arn is
// none.
func changeSetOf(arn string) string {
	_, rest, ok := strings.Cut(arn, ":changeSet/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// describe reads stack ref (a name or an id), nil when it does not exist
// or is deleted.
func (r *run) describe(ctx context.Context, ref string) (*types.Stack, error) {
	out, err := r.api.DescribeStacks(ctx, &cfn.DescribeStacksInput{StackName: aws.String(ref)})
	switch {
	case err != nil && ctx.Err() == nil && stackMissing(err):
		return nil, nil
	case err != nil:
		return nil, r.apiError(ctx, "describe stack", err)
	case len(out.Stacks) == 0 || out.Stacks[0].StackStatus == types.StackStatusDeleteComplete:
		return nil, nil
	}
	return &out.Stacks[0], nil
}

// settle polls stack ref until no operation is in progress on it, and
// returns it (nil once it is deleted).
func (r *run) settle(ctx context.Context, ref string) (*types.Stack, error) {
	w := r.newWait()
	for {
		st, err := r.describe(ctx, ref)
		if err != nil || st == nil || !inProgress(st.StackStatus) {
			return st, err
		}
		if err := w.next(ctx, fmt.Sprintf("stack %s is still %s", r.stack, st.StackStatus)); err != nil {
			return nil, err
		}
	}
}

// watch waits for the operation that the deployment started on stack ref
// to end, and returns its outcome. A user's cancel meanwhile cancels it.
func (r *run) watch(ctx context.Context, ref string) (provision.Result, error) {
	st, err := r.settle(ctx, ref)
	switch {
	case ctx.Err() != nil:
		return r.stop(ctx, ref)
	case err != nil:
		return provision.Result{}, err
	case st == nil:
		return provision.Result{}, fmt.Errorf("stack %s was deleted while it deployed", r.stack)
	case succeeded(st.StackStatus):
		return r.result(ctx, st)
	}
	return provision.Result{}, r.failure(ctx, st)
}

// stop ends a run whose context ended while the stack's operation went
// on. On a user's cancel, an update is cancelled and its rollback awaited;
// otherwise the stack is left to the next attempt. A deployment that ended
// before it could be cancelled returns its result.
func (r *run) stop(ctx context.Context, ref string) (provision.Result, error) {
	cause := context.Cause(ctx)
	if !r.opts.CancelRequested(cause) {
		return provision.Result{}, fmt.Errorf("stopped watching stack %s, whose operation goes on for a later attempt to find: %w", r.stack, cause)
	}
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.Timeout)
	defer cancel()
	// A stack whose update ended meanwhile, or that is being created,
	// refuses the cancel; it is then awaited all the same.
	_, cerr := r.api.CancelUpdateStack(bctx, &cfn.CancelUpdateStackInput{StackName: aws.String(ref)})
	st, err := r.settle(bctx, ref)
	switch {
	case err != nil:
		return provision.Result{}, fmt.Errorf("cancel the update of stack %s: %v: %w", r.stack, err, cause)
	case st == nil:
		return provision.Result{}, fmt.Errorf("stack %s was deleted while it deployed: %w", r.stack, cause)
	case cerr != nil && succeeded(st.StackStatus):
		return r.result(bctx, st)
	case cerr != nil:
		return provision.Result{}, fmt.Errorf("the update of stack %s could not be cancelled (%s) and ended %s: %w", r.stack, awsMessage(cerr), st.StackStatus, cause)
	}
	return provision.Result{}, fmt.Errorf("the update of stack %s was cancelled; the stack is %s: %w", r.stack, st.StackStatus, cause)
}
