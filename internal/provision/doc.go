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
// for what only provisioning could give (see Emulate). The engine of
// --provisioner aws, which deploys real CloudFormation stacks, is in the
// package cloudformation below this one.
package provision
