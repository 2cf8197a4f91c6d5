// Package environments applies the rules of Proton environments, their
// deployments, outputs and provisioned resources, account settings and the
// resources summary.
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
// same transaction as the change. A deployment is also the job that carries
// it out: Runner leases queued deployments from the store, runs the engine
// while renewing its lease, and completes the deployment in a transaction
// that checks the lease. A crashed worker's lease expires and another
// worker takes the job over; after too many attempts it fails.
package environments
