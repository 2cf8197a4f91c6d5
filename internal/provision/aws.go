package provision

import "context"

// AWS is the engine of --provisioner aws: it gives a request to the engine
// of its template's kind, CodeBuild for a CodeBuild template (Request's
// CodeBuild set), CloudFormation for any other.
type AWS struct {
	CloudFormation Engine
	CodeBuild      Engine
}

// Name implements Engine.
func (a AWS) Name() string { return "aws" }

// Run implements Engine.
func (a AWS) Run(ctx context.Context, req Request) (Result, error) {
	if req.CodeBuild {
		return a.CodeBuild.Run(ctx, req)
	}
	return a.CloudFormation.Run(ctx, req)
}
