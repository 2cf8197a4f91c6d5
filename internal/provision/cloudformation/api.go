package cloudformation

import (
	"context"

	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// API is the part of the CloudFormation API that the engine calls.
// *cloudformation.Client implements it; the tests put a fake in its place.
type API interface {
	CreateChangeSet(ctx context.Context, in *cfn.CreateChangeSetInput, opts ...func(*cfn.Options)) (*cfn.CreateChangeSetOutput, error)
	DescribeChangeSet(ctx context.Context, in *cfn.DescribeChangeSetInput, opts ...func(*cfn.Options)) (*cfn.DescribeChangeSetOutput, error)
	DeleteChangeSet(ctx context.Context, in *cfn.DeleteChangeSetInput, opts ...func(*cfn.Options)) (*cfn.DeleteChangeSetOutput, error)
	ExecuteChangeSet(ctx context.Context, in *cfn.ExecuteChangeSetInput, opts ...func(*cfn.Options)) (*cfn.ExecuteChangeSetOutput, error)
	DescribeStacks(ctx context.Context, in *cfn.DescribeStacksInput, opts ...func(*cfn.Options)) (*cfn.DescribeStacksOutput, error)
	DescribeStackEvents(ctx context.Context, in *cfn.DescribeStackEventsInput, opts ...func(*cfn.Options)) (*cfn.DescribeStackEventsOutput, error)
	ListStackResources(ctx context.Context, in *cfn.ListStackResourcesInput, opts ...func(*cfn.Options)) (*cfn.ListStackResourcesOutput, error)
	DeleteStack(ctx context.Context, in *cfn.DeleteStackInput, opts ...func(*cfn.Options)) (*cfn.DeleteStackOutput, error)
	CancelUpdateStack(ctx context.Context, in *cfn.CancelUpdateStackInput, opts ...func(*cfn.Options)) (*cfn.CancelUpdateStackOutput, error)
}

var _ API = (*cfn.Client)(nil)
