package cloudformation

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/openproton/openproton/internal/provision"
)

// destroy deletes the target's stack and waits until it is gone. A stack
// that does not exist is already destroyed.
func (r *run) destroy(ctx context.Context) (provision.Result, error) {
	st, err := r.describe(ctx, r.stack)
	switch {
	case err != nil:
		return provision.Result{}, err
	case st == nil:
		return provision.Result{Message: fmt.Sprintf("CloudFormation stack %s does not exist: nothing to delete.", r.stack)}, nil
	}
	if err := r.remove(ctx, aws.ToString(st.StackId)); err != nil {
		return provision.Result{}, err
	}
	return provision.Result{Message: fmt.Sprintf("CloudFormation stack %s was deleted.", r.stack)}, nil
}

// remove deletes stack id (after the operation in progress on it, if any)
// and waits until it is gone. A delete cannot be cancelled: when ctx ends,
// the stack is left to CloudFormation and the next attempt.
func (r *run) remove(ctx context.Context, id string) error {
	st, err := r.settle(ctx, id)
	if err != nil || st == nil {
		return err
	}
	if _, err := r.api.DeleteStack(ctx, &cfn.DeleteStackInput{StackName: aws.String(id)}); err != nil {
		return r.apiError(ctx, "delete stack", err)
	}
	if st, err = r.settle(ctx, id); err != nil || st == nil {
		return err
	}
	return r.failure(ctx, st)
}
