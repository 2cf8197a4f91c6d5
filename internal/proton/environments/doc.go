// Package environments applies the rules of Proton environments and of
// their deployments, outputs and provisioned resources.
//
// An environment lives in its management account (the caller of
// CreateEnvironment). It is provisioned in one of three modes, fixed at
// creation by its template version: managed by openproton's provisioning
// engine (CloudFormation and CodeBuild templates, with a service role or an
// environment account connection), self-managed (Terraform templates with a
// provisioning repository: the customer's automation reports results with
// NotifyResourceDeploymentStatusChange), or customer-managed (templates with
// provisioning CUSTOMER_MANAGED: the spec's values become the outputs).
//
// Every create, deploying update and delete records a deployment in the
// same transaction as the change, with its job in the store's job queue
// unless the environment is self-managed. The deployments package carries
// the jobs out; NewTarget is what environments plug into it: the rendered
// request of a deployment, and the connection its success depends on.
package environments
