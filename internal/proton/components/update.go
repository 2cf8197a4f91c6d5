package components

import (
	"context"
	"errors"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store"
)

// UpdateInput is an UpdateComponent request; nil members are absent.
type UpdateInput struct {
	DeploymentType      string
	Description         *string
	ServiceName         *string
	ServiceInstanceName *string
	ServiceSpec         *string
	TemplateFile        *string
	ClientToken         string
}

// Update changes a component (§2.7): NONE changes its description only;
// CURRENT_VERSION deploys it again with the members given: a new service
// spec or IaC file, an attachment to an instance (of its environment) or a
// detachment (both names ""). An attached component cannot move straight
// to another instance, and an update waits for the component and its
// instance to end their deployments.
func (s *Service) Update(ctx context.Context, caller auth.Caller, name string, in UpdateInput) (store.Component, error) {
	return family.Retrying(func() (store.Component, error) { return s.update(ctx, caller, name, in) })
}

func (s *Service) update(ctx context.Context, caller auth.Caller, name string, in UpdateInput) (store.Component, error) {
	c, err := s.load(ctx, caller, name)
	if err != nil {
		return c, err
	}
	if in.DeploymentType == deployments.DeployNone {
		if in.ServiceName != nil || in.ServiceInstanceName != nil || in.ServiceSpec != nil || in.TemplateFile != nil {
			return c, fault.New(fault.Validation, "deploymentType NONE changes the description only; serviceName, serviceInstanceName, serviceSpec and templateFile need CURRENT_VERSION.")
		}
		if in.Description == nil {
			return c, nil
		}
		next := c
		next.Description, next.LastModifiedAt = *in.Description, s.clock()
		out, err := s.store.WriteComponent(ctx, store.WriteComponentParams{Component: next, ExpectVersion: c.Version})
		return out, s.writeFault(c, err)
	}
	if in.DeploymentType != deployments.DeployCurrentVersion {
		return c, fault.New(fault.Validation, "Components deploy with deploymentType NONE or CURRENT_VERSION, not %s.", fault.Echo(in.DeploymentType))
	}
	if in.ClientToken != "" && in.ClientToken == c.LastClientToken {
		return c, nil // a retry of the update that started the last deployment
	}
	service, instance := c.ServiceName, c.ServiceInstanceName
	if in.ServiceName != nil || in.ServiceInstanceName != nil {
		if in.ServiceName == nil || in.ServiceInstanceName == nil {
			return c, fault.New(fault.Validation, "Give both serviceName and serviceInstanceName (both \"\" to detach the component), or neither to keep its attachment.")
		}
		if err := checkNames(*in.ServiceName, *in.ServiceInstanceName); err != nil {
			return c, err
		}
		service, instance = *in.ServiceName, *in.ServiceInstanceName
	}
	if c.Attached() && instance != "" && (service != c.ServiceName || instance != c.ServiceInstanceName) {
		return c, fault.New(fault.Conflict, "Component %s is attached to service instance %s of service %s; detach it first (serviceName and serviceInstanceName \"\") to attach it to another instance.",
			c.Name, c.ServiceInstanceName, c.ServiceName)
	}
	if c.DeploymentStatus.InFlight() {
		return c, fault.New(fault.Conflict, "Component %s has a deployment in progress (%s, deployment %s); wait for it to end.", c.Name, c.DeploymentStatus, c.LastAttemptedDeploymentID)
	}
	doc := c.Document()
	spec := c.Spec
	switch {
	case in.ServiceSpec != nil:
		spec = *in.ServiceSpec
	case instance == "":
		spec = "" // a detached component has no service spec
	}
	file := doc.TemplateFile
	if in.TemplateFile != nil {
		file = *in.TemplateFile
	}
	m, err := manifest(doc.Manifest)
	if err != nil {
		return c, family.Internal("stored manifest", err)
	}
	env := c.EnvironmentName
	if instance != "" {
		env = ""
	}
	p, err := s.place(ctx, caller, c.Name, env, service, instance, spec, !c.Attached(), m)
	if err != nil {
		return c, err
	}
	if p.env.Name != c.EnvironmentName {
		return c, fault.New(fault.Validation, "Component %s is in environment %s; service instance %s of service %s runs in %s. A component stays in its environment.",
			c.Name, c.EnvironmentName, instance, service, p.env.Name)
	}
	if p.inst != nil && p.inst.DeploymentStatus.InFlight() {
		return c, fault.New(fault.Conflict, "Service instance %s of service %s has a deployment in progress (%s); a component attached to it is updated once it ended.",
			p.inst.Name, p.inst.ServiceName, p.inst.DeploymentStatus)
	}
	next := c
	if in.Description != nil {
		next.Description = *in.Description
	}
	newDoc, err := p.document(doc.Manifest, file)
	if err != nil {
		return c, err
	}
	next.ServiceName, next.ServiceInstanceName, next.LastClientToken = newDoc.ServiceName, newDoc.ServiceInstanceName, in.ClientToken
	next, d := s.deploy(next, store.ActionDeploy, newDoc.State(spec), s.clock())
	w := store.WriteComponentParams{Component: next, ExpectVersion: c.Version, Deployment: &d}
	w.Instance, w.Environment = p.link(true)
	out, err := s.store.WriteComponent(ctx, w)
	if err := s.writeFault(next, err); err != nil {
		return c, err
	}
	s.queued(&d)
	return out, nil
}

// Delete starts deleting a detached component: it becomes
// DELETE_IN_PROGRESS and is gone once its delete deployment succeeded. A
// repeated delete returns the component while the delete is in progress,
// and deleted=false once it is gone, for as long as the server remembers
// it.
func (s *Service) Delete(ctx context.Context, caller auth.Caller, name string) (store.Component, bool, error) {
	type result struct {
		c       store.Component
		deleted bool
	}
	r, err := family.Retrying(func() (result, error) {
		c, deleted, err := s.delete(ctx, caller, name)
		return result{c, deleted}, err
	})
	return r.c, r.deleted, err
}

func (s *Service) delete(ctx context.Context, caller auth.Caller, name string) (store.Component, bool, error) {
	c, err := s.store.GetComponent(ctx, caller.Account, caller.Region, name)
	if errors.Is(err, store.ErrNotFound) {
		return c, false, family.DeletedBefore(ctx, s.store, store.Resource{Type: ResourceType, Account: caller.Account, Region: caller.Region, Key: name},
			s.clock(), s.tokenTTL, notFound(name))
	}
	if err != nil {
		return c, false, family.Internal("get component", err)
	}
	switch {
	case c.DeploymentStatus == store.DeleteInProgress:
		return c, true, nil
	case c.Attached():
		return c, false, fault.New(fault.Conflict, "Component %s is attached to service instance %s of service %s; detach it (UpdateComponent with serviceName and serviceInstanceName \"\") before deleting it.",
			c.Name, c.ServiceInstanceName, c.ServiceName)
	case c.DeploymentStatus.InFlight():
		return c, false, fault.New(fault.Conflict, "Component %s has a deployment in progress (%s); wait for it to end.", c.Name, c.DeploymentStatus)
	}
	next, d := s.deploy(c, store.ActionDelete, c.TemplateState, s.clock())
	out, err := s.store.WriteComponent(ctx, store.WriteComponentParams{Component: next, ExpectVersion: c.Version, Deployment: &d})
	if err := s.writeFault(c, err); err != nil {
		return c, false, err
	}
	s.queued(&d)
	return out, true, nil
}

// Cancel asks the in-progress update of a component to stop: the component
// and the deployment become CANCELLING, and a worker ends it CANCELLED (the
// component returns to the file and spec it ran), or SUCCEEDED or FAILED if
// it finished first. An update that attaches or detaches the component
// cannot be cancelled: another component may have been attached to the
// instance it left meanwhile.
func (s *Service) Cancel(ctx context.Context, caller auth.Caller, name string) (store.Component, error) {
	c, err := s.load(ctx, caller, name)
	if err != nil {
		return c, err
	}
	switch c.DeploymentStatus {
	case store.DeployCancelling:
		return c, nil
	case store.DeployInProgress:
	default:
		return c, fault.New(fault.Conflict, "Component %s has no deployment in progress to cancel (its status is %s).", name, c.DeploymentStatus)
	}
	d, err := s.store.GetDeployment(ctx, c.Region, c.LastAttemptedDeploymentID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return c, notFound(name)
	case err != nil:
		return c, family.Internal("get deployment", err)
	}
	if d.InitialState == nil {
		return c, fault.New(fault.Conflict, "Deployment %s creates component %s; only the deployment of an update can be cancelled.", d.ID, name)
	}
	from, to := store.DocumentOf(*d.InitialState), store.DocumentOf(d.TargetState)
	if from.ServiceName != to.ServiceName || from.ServiceInstanceName != to.ServiceInstanceName {
		return c, fault.New(fault.Conflict, "Deployment %s attaches or detaches component %s, which cannot be cancelled; wait for it to end.", d.ID, name)
	}
	d, stop, err := s.deployments.Cancel(ctx, c.Region, d.ID, s.clock())
	switch {
	case errors.Is(err, store.ErrConditionFailed):
		return c, fault.New(fault.Conflict, "Deployment %s of component %s is %s and can no longer be cancelled.", d.ID, name, d.Status)
	case errors.Is(err, store.ErrNotFound):
		return c, notFound(name)
	case err != nil:
		return c, family.Internal("cancel deployment", err)
	}
	defer stop()
	return s.load(ctx, caller, name)
}
