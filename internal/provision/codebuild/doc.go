// Package codebuild is the engine of --provisioner aws for CodeBuild
// templates (rendering_engine: codebuild). AWS Proton ran such a
// template's provision commands (on a deploy) or its deprovision commands
// (on a delete) in an AWS CodeBuild project of the environment account;
// this engine runs them on the openproton host instead, one after another
// in one shell (sh -e), as CodeBuild ran the commands of a build phase.
//
// Each run gets a fresh work directory holding the template's
// infrastructure files and the input file: for the manifest's input_type
// JSON, proton-inputs.json (the name that AWS's samples read) and
// proton-input.json (the name of AWS's documentation); for HCL, the same
// document as Terraform variable definitions in proton-input.tfvars and
// proton.auto.tfvars (see InputFiles). The environment is clean: PATH, HOME (the work
// directory), RESOURCE_ARN, the region, AWS_ENDPOINT_URL_PROTON pointing at
// this server, the server's own AWS_ENDPOINT_URL* settings, and the
// credentials of the CodeBuild role, assumed with STS for the run. The
// same credentials sign the commands' calls to openproton: the engine
// registers them (Options.Runs) so that
// `aws proton notify-resource-deployment-status-change` in a command
// reports outputs of the run's deployment.
//
// Provision commands that succeeded may also leave their outputs in the
// work directory, in proton-outputs.json (OutputsFile: Proton's output
// list, a flat object, the AWS CDK's outputs file or what `terraform output
// -json` prints), which the result carries.
//
// A run is bounded in time (Options.Timeout): when it runs out, or when the
// deployment is cancelled, the commands' process group is killed. A failed
// run fails the deployment with the tail of the commands' output; the
// whole output is kept per deployment under Options.LogDir. The commands
// run in a bubblewrap sandbox (bwrap) when it is installed and
// Options.Sandbox is set: the work directory writable, the rest of the
// file system read-only, Options.Hidden out of sight, the network shared.
//
// The manifest's image and runtimes cannot be honoured: the commands run
// with the host's tools, and the deployment's message says so.
package codebuild
