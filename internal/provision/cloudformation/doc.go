// Package cloudformation is the engine of --provisioner aws: it deploys a
// target's rendered CloudFormation template as a real stack, the way AWS
// Proton did, with the AWS SDK for Go v2 and its standard configuration
// (the server's credential chain, AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_CLOUDFORMATION / AWS_ENDPOINT_URL_STS, the shared config
// files).
//
// For each deployment the engine assumes the request's role with STS (the
// session name carries the deployment id) and works on one stack per
// target, named by StackName so that every deployment of a target, and
// every attempt of one deployment, finds the same stack. A deploy goes
// through a change set named after the deployment (ChangeSetName): an
// attempt that follows a crash finds its change set, and executes it only
// if no attempt did, so that a change is never applied twice. The engine
// then polls the stack until it settles: *_COMPLETE succeeded (outputs
// from the stack's Outputs, provisioned resources from
// ListStackResources); a rollback or *_FAILED failed, with the reason of
// the first failing event of the operation as the message. A destroy
// deletes the stack and waits for it to go.
//
// A user's cancel (Options.CancelRequested) of an update in progress is a
// CancelUpdateStack, and the run ends once the rollback has. Any other end
// of the run's context (the process stops, another worker took the
// deployment over) leaves the stack to CloudFormation and the next attempt.
//
// CodeBuild provisioning (rendering_engine: codebuild) is not built: such
// a deployment fails, saying so.
package cloudformation
