package cloudformation

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/openproton/openproton/internal/provision"
)

// Limits of what the outcome reads.
const (
	maxOutputValue = 1024 // characters of a Proton output's value
	maxEventPages  = 20   // pages of events read back to the start of an operation
)

// result is the outcome of a deployment that left stack st deployed: its
// outputs (from the stack's Outputs, ordered by key) and its resources
// (ListStackResources: logical id and physical id).
func (r *run) result(ctx context.Context, st *types.Stack) (provision.Result, error) {
	res := provision.Result{Message: fmt.Sprintf("CloudFormation stack %s is %s.", r.stack, st.StackStatus)}
	for _, o := range st.Outputs {
		k, v := aws.ToString(o.OutputKey), aws.ToString(o.OutputValue)
		if k == "" || v == "" {
			continue
		}
		if n := utf8.RuneCountInString(v); n > maxOutputValue {
			return provision.Result{}, fmt.Errorf("output %s of stack %s is %d characters long; a Proton output holds at most %d", k, r.stack, n, maxOutputValue)
		}
		res.Outputs = append(res.Outputs, provision.Output{Key: k, Value: v})
	}
	sort.Slice(res.Outputs, func(i, j int) bool { return res.Outputs[i].Key < res.Outputs[j].Key })
	p := cfn.NewListStackResourcesPaginator(r.api, &cfn.ListStackResourcesInput{StackName: st.StackId})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return provision.Result{}, r.apiError(ctx, "list the resources of stack", err)
		}
		for _, s := range out.StackResourceSummaries {
			// A resource without a physical id was not provisioned.
			if id := aws.ToString(s.PhysicalResourceId); id != "" {
				res.Resources = append(res.Resources, provision.Resource{Name: aws.ToString(s.LogicalResourceId), Identifier: id, Engine: "CLOUDFORMATION"})
			}
		}
	}
	return res, nil
}

// failure is the error of a deployment that left stack st failed or
// rolled back: the reason of the operation's first failing event, else
// the stack's status reason, else its status.
func (r *run) failure(ctx context.Context, st *types.Stack) error {
	reason, err := r.firstFailure(ctx, aws.ToString(st.StackId))
	if err != nil {
		return err
	}
	if reason == "" {
		reason = aws.ToString(st.StackStatusReason)
	}
	if reason == "" {
		reason = fmt.Sprintf("stack %s ended %s", r.stack, st.StackStatus)
	}
	return errors.New(reason)
}

// firstFailure returns the reason of the first failing event (a status
// *_FAILED) of the last operation on stack id, "" when there is none.
// Events come newest first; the operation starts at the stack's own
// CREATE_, UPDATE_, DELETE_ or IMPORT_IN_PROGRESS.
func (r *run) firstFailure(ctx context.Context, id string) (string, error) {
	var events []types.StackEvent
	p := cfn.NewDescribeStackEventsPaginator(r.api, &cfn.DescribeStackEventsInput{StackName: aws.String(id)})
	for pages := 0; p.HasMorePages() && pages < maxEventPages && !r.startsOperation(events); pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			return "", r.apiError(ctx, "describe the events of stack", err)
		}
		for _, ev := range out.StackEvents {
			events = append(events, ev)
			if r.startsOperation(events) {
				break
			}
		}
	}
	for i := len(events) - 1; i >= 0; i-- {
		ev := events[i]
		if reason := aws.ToString(ev.ResourceStatusReason); strings.HasSuffix(string(ev.ResourceStatus), "_FAILED") && reason != "" {
			return reason, nil
		}
	}
	return "", nil
}

// startsOperation reports whether the last of events is the stack's own
// event that starts an operation.
func (r *run) startsOperation(events []types.StackEvent) bool {
	if len(events) == 0 {
		return false
	}
	ev := events[len(events)-1]
	if aws.ToString(ev.ResourceType) != "AWS::CloudFormation::Stack" || aws.ToString(ev.LogicalResourceId) != r.stack {
		return false
	}
	switch ev.ResourceStatus {
	case types.ResourceStatusCreateInProgress, types.ResourceStatusUpdateInProgress, types.ResourceStatusDeleteInProgress, types.ResourceStatusImportInProgress:
		return true
	}
	return false
}
