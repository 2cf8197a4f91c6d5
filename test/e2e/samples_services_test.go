package e2e

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/openproton/openproton/internal/awssamples"
)

// sampleEnvironmentLine is an instance's environment in a sample spec.
var sampleEnvironmentLine = regexp.MustCompile(`(?m)^(\s*environment:\s*)["']?[A-Za-z0-9_-]+["']?\s*$`)

// createService creates a service of a sample service template with its
// sample spec, each instance moved to the environment deployed from the
// first environment template the service template is compatible with
// (environments are named as their templates), and waits until the
// service is ACTIVE and its pipeline, if any, SUCCEEDED.
func (s sampleDeployer) createService(ctx context.Context, tpl awssamples.Template) error {
	if len(tpl.Compatible) == 0 {
		return errors.New("the sample names no compatible environment template")
	}
	env := tpl.Compatible[0].Name
	spec := sampleEnvironmentLine.ReplaceAllString(tpl.Spec, "${1}"+env)
	if tpl.Spec == "" {
		// The repository gives none: an instance with the schema's
		// defaults.
		spec = "proton: ServiceSpec\ninstances:\n  - name: sample\n    environment: " + env + "\n"
		if tpl.HasPipeline() {
			spec += "pipeline: {}\n"
		}
		tpl.SpecPath = "the schema's defaults (the repository gives no sample spec)"
	}
	in := &proton.CreateServiceInput{Name: aws.String(tpl.Name), TemplateName: aws.String(tpl.Name), TemplateMajorVersion: aws.String("1"),
		Spec: aws.String(spec)}
	if tpl.HasPipeline() {
		in.RepositoryConnectionArn = aws.String("arn:aws:codestar-connections:us-east-1:" + s.account + ":connection/samples")
		in.RepositoryId, in.BranchName = aws.String("my-org/"+tpl.Name), aws.String("main")
	}
	created, err := s.c.CreateService(ctx, in)
	if err != nil {
		return fmt.Errorf("CreateService with %s (instances in %s): %w", tpl.SpecPath, env, err)
	}
	if s.repo == awssamples.Terraform {
		// Self-managed: the automation reports each instance and the
		// pipeline done.
		if err := s.notifyService(ctx, created.Service); err != nil {
			return err
		}
	}
	for {
		got, err := s.c.GetService(ctx, &proton.GetServiceInput{Name: aws.String(tpl.Name)})
		if err != nil {
			return err
		}
		v := got.Service
		switch v.Status {
		case types.ServiceStatusActive:
			if p := v.Pipeline; p != nil && p.DeploymentStatus != types.DeploymentStatusSucceeded {
				return fmt.Errorf("pipeline is %s: %s", p.DeploymentStatus, aws.ToString(p.DeploymentStatusMessage))
			}
			return s.checkInstances(ctx, tpl)
		case types.ServiceStatusCreateFailed:
			return fmt.Errorf("does not deploy with %s: %s", tpl.SpecPath, s.failures(ctx, tpl.Name))
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return fmt.Errorf("service still %s: %w", v.Status, err)
		}
	}
}

// notifyService reports every instance and the pipeline of a self-managed
// service deployed, as the customer's automation does.
func (s sampleDeployer) notifyService(ctx context.Context, v *types.Service) error {
	insts, err := s.c.ListServiceInstances(ctx, &proton.ListServiceInstancesInput{ServiceName: v.Name})
	if err != nil {
		return err
	}
	var arns []*string
	for _, i := range insts.ServiceInstances {
		arns = append(arns, i.Arn)
	}
	if v.Pipeline != nil {
		arns = append(arns, v.Pipeline.Arn)
	}
	for _, a := range arns {
		if _, err := s.c.NotifyResourceDeploymentStatusChange(ctx, &proton.NotifyResourceDeploymentStatusChangeInput{ResourceArn: a,
			Status: types.ResourceDeploymentStatusSucceeded}); err != nil {
			return fmt.Errorf("NotifyResourceDeploymentStatusChange of %s: %w", aws.ToString(a), err)
		}
	}
	return nil
}

// failures says why the instances and pipeline of a service failed.
func (s sampleDeployer) failures(ctx context.Context, name string) string {
	var out []string
	insts, err := s.c.ListServiceInstances(ctx, &proton.ListServiceInstancesInput{ServiceName: aws.String(name)})
	if err != nil {
		return err.Error()
	}
	for _, i := range insts.ServiceInstances {
		if i.DeploymentStatus != types.DeploymentStatusSucceeded {
			out = append(out, fmt.Sprintf("instance %s %s: %s", aws.ToString(i.Name), i.DeploymentStatus, aws.ToString(i.DeploymentStatusMessage)))
		}
	}
	if got, err := s.c.GetService(ctx, &proton.GetServiceInput{Name: aws.String(name)}); err == nil && got.Service.Pipeline != nil &&
		got.Service.Pipeline.DeploymentStatus != types.DeploymentStatusSucceeded {
		out = append(out, fmt.Sprintf("pipeline %s: %s", got.Service.Pipeline.DeploymentStatus, aws.ToString(got.Service.Pipeline.DeploymentStatusMessage)))
	}
	return strings.Join(out, "; ")
}

// checkInstances checks that every instance of a sample service succeeded
// and notes how many outputs they have.
func (s sampleDeployer) checkInstances(ctx context.Context, tpl awssamples.Template) error {
	insts, err := s.c.ListServiceInstances(ctx, &proton.ListServiceInstancesInput{ServiceName: aws.String(tpl.Name)})
	if err != nil {
		return err
	}
	outputs := 0
	for _, i := range insts.ServiceInstances {
		if i.DeploymentStatus != types.DeploymentStatusSucceeded {
			return fmt.Errorf("instance %s is %s", aws.ToString(i.Name), i.DeploymentStatus)
		}
		outs, err := s.c.ListServiceInstanceOutputs(ctx, &proton.ListServiceInstanceOutputsInput{ServiceName: aws.String(tpl.Name), ServiceInstanceName: i.Name})
		if err != nil {
			return err
		}
		outputs += len(outs.Outputs)
	}
	s.note("%s %s: service ACTIVE with %s, %d instances (%d outputs), pipeline: %v", s.repo, tpl.Path, tpl.SpecPath,
		len(insts.ServiceInstances), outputs, tpl.HasPipeline())
	return nil
}
