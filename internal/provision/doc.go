// Package provision is the seam between deployments and the engines that
// carry them out. A worker hands an Engine one Request (the rendered
// infrastructure files, the spec and its inputs, the outputs of the
// environment, and the role to provision with) and records the Result
// (outputs and provisioned resources) or the error (the deployment fails
// with its message).
//
// Emulate (--provisioner emulate, the default) provisions nothing: it waits
// a configurable delay and reports success, with outputs taken from the
// rendered CloudFormation template's Outputs section, placeholders standing
// for what only provisioning could give (see Emulate); it emulates
// CodeBuild templates alike. The engine of --provisioner aws (AWS) gives
// CloudFormation templates to the package cloudformation below this one,
// which deploys real stacks, and CodeBuild templates to the package
// codebuild, which runs their commands on the openproton host.
package provision
