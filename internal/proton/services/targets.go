package services

import (
	"cmp"
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/bundle"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/paging"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// DeployInput is an UpdateServiceInstance or UpdateServicePipeline
// request; nil members are absent. The spec is a whole service spec, of
// which the instance's entry (or the pipeline's inputs) is used.
type DeployInput struct {
	DeploymentType       string
	Spec                 *string
	TemplateMajorVersion *string
	TemplateMinorVersion *string
	ClientToken          string
}

// UpdateInstance deploys a service instance again (§2.5), following the
// rules of the deployment types.
func (s *Service) UpdateInstance(ctx context.Context, caller auth.Caller, service, name string, in DeployInput) (store.ServiceTarget, error) {
	return retrying(func() (store.ServiceTarget, error) {
		t, err := s.loadInstance(ctx, caller, service, name)
		if err != nil {
			return t, err
		}
		return s.redeploy(ctx, caller, t, in)
	})
}

// pipeline returns the pipeline of the caller's service.
func (s *Service) pipeline(ctx context.Context, caller auth.Caller, service string) (store.Service, store.ServiceTarget, error) {
	v, err := s.load(ctx, caller, service)
	if err != nil {
		return v, store.ServiceTarget{}, err
	}
	if v.Pipeline == nil {
		return v, store.ServiceTarget{}, fault.New(fault.NotFound, "Service %s has no pipeline.", service)
	}
	return v, *v.Pipeline, nil
}

// UpdatePipeline deploys a service's pipeline again (§2.6).
func (s *Service) UpdatePipeline(ctx context.Context, caller auth.Caller, service string, in DeployInput) (store.ServiceTarget, error) {
	return retrying(func() (store.ServiceTarget, error) {
		_, t, err := s.pipeline(ctx, caller, service)
		if err != nil {
			return t, err
		}
		return s.redeploy(ctx, caller, t, in)
	})
}

// redeploy starts a deployment of the target t as in asks.
func (s *Service) redeploy(ctx context.Context, caller auth.Caller, t store.ServiceTarget, in DeployInput) (store.ServiceTarget, error) {
	if in.DeploymentType == deployments.DeployNone {
		if in.Spec != nil || in.TemplateMajorVersion != nil || in.TemplateMinorVersion != nil {
			return t, fault.New(fault.Validation, "deploymentType NONE deploys nothing; a spec or template version needs CURRENT_VERSION, MINOR_VERSION or MAJOR_VERSION.")
		}
		return t, nil
	}
	if in.ClientToken != "" && in.ClientToken == t.LastClientToken {
		return t, nil // a retry of the update that started the last deployment
	}
	v, err := s.load(ctx, caller, t.ServiceName)
	if err != nil {
		return t, err
	}
	if t.DeploymentStatus.InFlight() {
		return t, fault.New(fault.Conflict, "%s has a deployment in progress (%s, deployment %s); wait for it to end.", words(t), t.DeploymentStatus, t.LastAttemptedDeploymentID)
	}
	if v.Status.InFlight() {
		return t, fault.New(fault.Conflict, "Service %s is %s; wait for it to end.", v.Name, v.Status)
	}
	choice := deployments.VersionChoice{DeploymentType: in.DeploymentType, Major: in.TemplateMajorVersion, Minor: in.TemplateMinorVersion,
		Template: t.TemplateName, CurrentMajor: t.MajorVersion, CurrentMinor: t.MinorVersion, Noun: "service template"}
	major, minor, err := choice.Wanted()
	if err != nil {
		return t, err
	}
	ver, err := s.resolve(ctx, caller, t.TemplateName, major, minor)
	if err != nil {
		return t, err
	}
	if err := choice.Check(ver.MajorVersion, ver.MinorVersion); err != nil {
		return t, err
	}
	p := store.WriteServiceParams{Service: v, ExpectVersion: v.Version,
		Template: &store.VersionLink{TemplateName: ver.TemplateName, MajorVersion: ver.MajorVersion, MinorVersion: ver.MinorVersion}}
	p.Service.Modified = true
	if t.IsPipeline() && !ver.hasPipeline() {
		return t, fault.New(fault.Validation, "Version %s.%s of service template %s has no pipeline.", ver.MajorVersion, ver.MinorVersion, ver.TemplateName)
	}
	if !t.IsPipeline() {
		e, _, err := s.environmentFor(ctx, caller, ver, t.Name, t.EnvironmentName)
		if err != nil {
			return t, err
		}
		p.Environments = []store.EnvironmentLink{{Name: e.Name, TemplateName: e.TemplateName, MajorVersion: e.MajorVersion}}
	}
	spec := t.Spec
	if in.Spec != nil {
		spec = *in.Spec
	}
	inputs, err := s.inputsFor(ver, t, spec)
	if err != nil {
		return t, err
	}
	t2, d := s.deploy(t, store.ActionDeploy, store.TemplateState{TemplateName: ver.TemplateName, MajorVersion: ver.MajorVersion,
		MinorVersion: ver.MinorVersion, Spec: spec, Inputs: inputs}, s.clock())
	t2.LastClientToken = in.ClientToken
	p.Targets, p.Deployments = []store.ServiceTarget{t2}, []store.NewDeployment{d}
	_, err = s.store.WriteService(ctx, p)
	if err := s.writeFault(t.ServiceName, err); err != nil {
		return t, err
	}
	s.queued(p.Deployments)
	return s.reload(ctx, t2)
}

// inputsFor validates spec for the target t on version ver and returns
// t's inputs from it, encoded.
func (s *Service) inputsFor(ver version, t store.ServiceTarget, spec string) (string, error) {
	prev, err := deployments.Inputs(t.TemplateState)
	if err != nil {
		return "", family.Internal("stored inputs", err)
	}
	previous := bundle.PreviousInputs{Instances: map[string]map[string]any{t.Name: prev}}
	if t.IsPipeline() {
		previous = bundle.PreviousInputs{Pipeline: prev}
	}
	parsed, err := validateSpec(ver, spec, previous)
	if err != nil {
		return "", err
	}
	if t.IsPipeline() {
		return deployments.EncodeInputs(parsed.Pipeline)
	}
	for _, is := range parsed.Instances {
		if is.Name == t.Name {
			if is.Environment != t.EnvironmentName {
				return "", fault.New(fault.Validation, "Service instance %s runs in environment %s; an instance cannot move to environment %s.", t.Name, t.EnvironmentName, is.Environment)
			}
			return deployments.EncodeInputs(is.Inputs)
		}
	}
	return "", fault.New(fault.Validation, "The spec has no instance named %s.", t.Name)
}

// reload reads a target as it is now.
func (s *Service) reload(ctx context.Context, t store.ServiceTarget) (store.ServiceTarget, error) {
	if !t.IsPipeline() {
		out, err := s.store.GetServiceInstance(ctx, t.Account, t.Region, t.ServiceName, t.Name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return t, instanceNotFound(t.ServiceName, t.Name) // deleted meanwhile
		case err != nil:
			return t, family.Internal("get service instance", err)
		}
		return out, nil
	}
	v, err := s.store.GetService(ctx, t.Account, t.Region, t.ServiceName)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && v.Pipeline == nil:
		return t, notFound(t.ServiceName) // deleted meanwhile
	case err != nil:
		return t, family.Internal("get service", err)
	}
	return *v.Pipeline, nil
}

// words names a target in messages.
func words(t store.ServiceTarget) string {
	if t.IsPipeline() {
		return "The pipeline of service " + t.ServiceName
	}
	return "Service instance " + t.Name + " of service " + t.ServiceName
}

// CancelInstance asks the in-progress update of an instance to stop.
func (s *Service) CancelInstance(ctx context.Context, caller auth.Caller, service, name string) (store.ServiceTarget, error) {
	t, err := s.loadInstance(ctx, caller, service, name)
	if err != nil {
		return t, err
	}
	return s.cancel(ctx, t)
}

// CancelPipeline asks the in-progress update of a pipeline to stop.
func (s *Service) CancelPipeline(ctx context.Context, caller auth.Caller, service string) (store.ServiceTarget, error) {
	_, t, err := s.pipeline(ctx, caller, service)
	if err != nil {
		return t, err
	}
	return s.cancel(ctx, t)
}

// cancel asks the in-progress update deployment of t to stop: t and the
// deployment become CANCELLING, and a worker ends the deployment CANCELLED
// (or SUCCEEDED or FAILED, if it finished first).
func (s *Service) cancel(ctx context.Context, t store.ServiceTarget) (store.ServiceTarget, error) {
	switch t.DeploymentStatus {
	case store.DeployCancelling:
		return t, nil
	case store.DeployInProgress:
	default:
		return t, fault.New(fault.Conflict, "%s has no deployment in progress to cancel (its status is %s).", words(t), t.DeploymentStatus)
	}
	d, err := s.store.GetDeployment(ctx, t.Region, t.LastAttemptedDeploymentID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return t, fault.New(fault.NotFound, "%s was not found.", words(t))
	case err != nil:
		return t, family.Internal("get deployment", err)
	}
	if d.InitialState == nil {
		return t, fault.New(fault.Conflict, "Deployment %s creates %s; only the deployment of an update can be cancelled.", d.ID, lowerFirst(words(t)))
	}
	d, stop, err := s.deployments.Cancel(ctx, t.Region, d.ID, s.clock())
	switch {
	case errors.Is(err, store.ErrConditionFailed):
		return t, fault.New(fault.Conflict, "Deployment %s of %s is %s and can no longer be cancelled.", d.ID, lowerFirst(words(t)), d.Status)
	case errors.Is(err, store.ErrNotFound):
		return t, fault.New(fault.NotFound, "%s was not found.", words(t))
	case err != nil:
		return t, family.Internal("cancel deployment", err)
	}
	// The answer is read before a run of the deployment here is told to
	// stop: it shows the cancel, not the end of the run it cuts short.
	defer stop()
	return s.reload(ctx, t)
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

// InstanceOutputs returns an instance's outputs: those of its last
// succeeded deployment, or of the deployment named.
func (s *Service) InstanceOutputs(ctx context.Context, caller auth.Caller, service, name, deploymentID string) ([]store.Output, error) {
	t, err := s.loadInstance(ctx, caller, service, name)
	if err != nil {
		return nil, err
	}
	return s.outputs(ctx, caller, t, deploymentID)
}

// PipelineOutputs returns a pipeline's outputs.
func (s *Service) PipelineOutputs(ctx context.Context, caller auth.Caller, service, deploymentID string) ([]store.Output, error) {
	_, t, err := s.pipeline(ctx, caller, service)
	if err != nil {
		return nil, err
	}
	return s.outputs(ctx, caller, t, deploymentID)
}

func (s *Service) outputs(ctx context.Context, caller auth.Caller, t store.ServiceTarget, id string) ([]store.Output, error) {
	if id == "" {
		id = t.LastSucceededDeploymentID
	} else {
		d, err := s.deployments.Get(ctx, caller, id, deployments.Filter{ServiceName: t.ServiceName, ServiceInstanceName: t.Name})
		if err != nil {
			return nil, err
		}
		if d.TargetResourceType != t.TargetType() {
			return nil, family.NotFound("Deployment", id)
		}
	}
	if id == "" {
		return []store.Output{}, nil
	}
	out, err := s.store.ListOutputs(ctx, caller.Region, id)
	if err != nil {
		return nil, family.Internal("list outputs", err)
	}
	return out, nil
}

// InstanceResources returns the resources of an instance's last succeeded
// deployment.
func (s *Service) InstanceResources(ctx context.Context, caller auth.Caller, service, name string) ([]store.ProvisionedResource, error) {
	t, err := s.loadInstance(ctx, caller, service, name)
	if err != nil {
		return nil, err
	}
	return s.resources(ctx, t)
}

// PipelineResources returns the resources of a pipeline's last succeeded
// deployment.
func (s *Service) PipelineResources(ctx context.Context, caller auth.Caller, service string) ([]store.ProvisionedResource, error) {
	_, t, err := s.pipeline(ctx, caller, service)
	if err != nil {
		return nil, err
	}
	return s.resources(ctx, t)
}

func (s *Service) resources(ctx context.Context, t store.ServiceTarget) ([]store.ProvisionedResource, error) {
	if t.LastSucceededDeploymentID == "" {
		return []store.ProvisionedResource{}, nil
	}
	out, err := s.store.ListProvisionedResources(ctx, t.Region, t.LastSucceededDeploymentID)
	if err != nil {
		return nil, family.Internal("list provisioned resources", err)
	}
	return out, nil
}

// ListInput is a ListServices request.
type ListInput struct {
	MaxResults int
	NextToken  string
}

// List returns one page of the caller's services in name order.
func (s *Service) List(ctx context.Context, caller auth.Caller, in ListInput) ([]store.Service, string, error) {
	binding := paging.Binding("ListServices", caller.Account, caller.Region)
	return paging.ByName(s.pages, binding, in.NextToken, in.MaxResults, MaxPageSize, func(after string, limit int) ([]store.Service, error) {
		rows, err := s.store.ListServices(ctx, store.ListServicesQuery{Account: caller.Account, Region: caller.Region, After: after, Limit: limit})
		if err != nil {
			return nil, family.Internal("list services", err)
		}
		return rows, nil
	}, func(v store.Service) string { return v.Name })
}

// Filter is one filter of ListServiceInstances.
type Filter struct{ Key, Value string }

// ListInstancesInput is a ListServiceInstances request.
type ListInstancesInput struct {
	ServiceName string
	Filters     []Filter
	SortBy      string
	SortOrder   string
	MaxResults  int
	NextToken   string
}

// timeFilters are the filter keys whose values are times.
var timeFilters = map[string]bool{"lastDeploymentAttemptedAtBefore": true, "lastDeploymentAttemptedAtAfter": true,
	"createdAtBefore": true, "createdAtAfter": true}

// ListInstances returns one page of the caller's instances, of one service
// or of all, that match every filter key (filters of one key are
// alternatives), ordered by sortBy (default serviceName, then instance
// name) and sortOrder.
func (s *Service) ListInstances(ctx context.Context, caller auth.Caller, in ListInstancesInput) ([]store.ServiceTarget, string, error) {
	if in.ServiceName != "" {
		if _, err := s.load(ctx, caller, in.ServiceName); err != nil {
			return nil, "", err
		}
	}
	q := store.ListInstancesQuery{Account: caller.Account, Region: caller.Region, ServiceName: in.ServiceName,
		SortBy: in.SortBy, Descending: in.SortOrder == "DESCENDING"}
	parts := []string{"ListServiceInstances", caller.Account, caller.Region, in.ServiceName, in.SortBy, in.SortOrder}
	for _, f := range in.Filters {
		qf := store.InstanceFilter{Key: f.Key, Value: f.Value}
		if timeFilters[f.Key] {
			at, err := time.Parse(time.RFC3339Nano, f.Value)
			if err != nil {
				return nil, "", fault.New(fault.Validation, "Filter %s takes a date and time such as 1985-04-12T23:20:50.52Z, not %q.", f.Key, fault.Echo(f.Value))
			}
			qf.At = at
		}
		q.Filters = append(q.Filters, qf)
		parts = append(parts, f.Key, f.Value)
	}
	binding := paging.Binding(parts...)
	if in.NextToken != "" {
		pos, err := paging.DecodeName(s.pages, binding, in.NextToken)
		if err != nil {
			return nil, "", err
		}
		if q.Offset, err = strconv.Atoi(pos); err != nil {
			return nil, "", paging.BadToken()
		}
	}
	limit := paging.Size(in.MaxResults, MaxPageSize)
	q.Limit = limit + 1
	rows, err := s.store.ListServiceInstances(ctx, q)
	if err != nil {
		return nil, "", family.Internal("list service instances", err)
	}
	rows, next := paging.Cut(s.pages, binding, rows, limit, func(store.ServiceTarget) []byte {
		return paging.Name(strconv.Itoa(q.Offset + limit))
	})
	return rows, next, nil
}

// Notify records what provisioning automation reports about a deployment of
// a service instance or pipeline (deployments.Service.Notify says how).
// The caller is the service's account, or a CodeBuild run of the
// deployment notified (whose role may live in an environment account).
func (s *Service) Notify(ctx context.Context, caller auth.Caller, in deployments.NotifyInput) error {
	a, ok := arn.Parse(in.ResourceArn)
	foreign := a.Account != caller.Account
	if !ok || a.Region != caller.Region || (foreign && caller.Deployment == "") || a.Type() != ResourceType {
		return tagging.NotFound(in.ResourceArn)
	}
	svc, rest, _ := strings.Cut(a.ID(), "/")
	var t store.ServiceTarget
	var err error
	if inst, ok := strings.CutPrefix(rest, "service-instance/"); ok {
		t, err = s.store.GetServiceInstance(ctx, a.Account, a.Region, svc, inst)
	} else if rest == "pipeline" {
		var v store.Service
		if v, err = s.store.GetService(ctx, a.Account, a.Region, svc); err == nil && v.Pipeline == nil {
			err = store.ErrNotFound
		}
		if err == nil {
			t = *v.Pipeline
		}
	} else {
		return tagging.NotFound(in.ResourceArn)
	}
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && TargetARN(t) != a.String():
		return tagging.NotFound(in.ResourceArn)
	case err != nil:
		return family.Internal("get service target", err)
	}
	// A CodeBuild run's credentials report on the run's own deployment only.
	if id := cmp.Or(in.DeploymentID, t.LastAttemptedDeploymentID); foreign && id != caller.Deployment {
		return tagging.NotFound(in.ResourceArn)
	}
	return s.deployments.NotifyTarget(ctx, deployments.NotifiedTarget{Account: t.Account, Region: t.Region, Type: t.TargetType(), Key: t.TargetKey(),
		LastAttempted: t.LastAttemptedDeploymentID}, in, lowerFirst(words(t)), s.clock())
}
