package e2e

// The races of services (raceServices): UpdateService against DeleteService
// on one service, and instance updates against their cancels. Each round
// works in a fresh account with a deployed environment (raceTemplate) and
// a service template registered from the sample service bundle.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// raceServices are the races of services.
var raceServices = []raceScenario{
	{"update and delete racing on one service", raceSvcUpdateDelete},
	{"updates and cancels racing on one service instance", raceSvcInstanceCancel},
}

const raceSvcTpl = "racesvc"

// raceSvcSpec is a spec of the sample service template with instances in
// environment env.
func raceSvcSpec(env string, instances ...string) string {
	s := "proton: ServiceSpec\npipeline:\n  branch: main\ninstances:\n"
	for _, i := range instances {
		s += fmt.Sprintf("  - name: %s\n    environment: %s\n", i, env)
	}
	return s
}

// raceService makes, in a fresh account, environment env, service template
// raceSvcTpl 1.0 (published) and service name with instance a, ACTIVE; it
// returns the account's client.
func raceService(t *testing.T, e *raceEnv, env, name string) *proton.Client {
	t.Helper()
	acct, c := raceTemplate(t, e)
	ctx := connCtx(t)
	if _, err := c.CreateEnvironment(ctx, raceCreateEnvInput(acct, env)); err != nil {
		t.Fatalf("CreateEnvironment: %v", err)
	}
	if _, err := c.CreateServiceTemplate(ctx, &proton.CreateServiceTemplateInput{Name: aws.String(raceSvcTpl)}); err != nil {
		t.Fatalf("CreateServiceTemplate: %v", err)
	}
	if _, err := c.CreateServiceTemplateVersion(ctx, &proton.CreateServiceTemplateVersionInput{TemplateName: aws.String(raceSvcTpl),
		Source: isoSource("svc.tar.gz"), CompatibleEnvironmentTemplates: []types.CompatibleEnvironmentTemplateInput{
			{TemplateName: aws.String(raceEnvTpl), MajorVersion: aws.String("1")}}}); err != nil {
		t.Fatalf("CreateServiceTemplateVersion: %v", err)
	}
	key := &proton.GetServiceTemplateVersionInput{TemplateName: aws.String(raceSvcTpl), MajorVersion: aws.String("1"), MinorVersion: aws.String("0")}
	if err := publishServiceVersion(ctx, c, key); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineServiceRoleArn: connRole(acct, "pipeline")}); err != nil {
		t.Fatal(err)
	}
	if _, err := isoWaitEnv(ctx, c, env); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateService(ctx, &proton.CreateServiceInput{Name: aws.String(name), TemplateName: aws.String(raceSvcTpl),
		TemplateMajorVersion: aws.String("1"), Spec: aws.String(raceSvcSpec(env, "a")), Tags: isoTeamTag(),
		RepositoryConnectionArn: aws.String("arn:aws:codestar-connections:us-east-1:123456789012:connection/race"),
		RepositoryId:            aws.String("example-org/race"), BranchName: aws.String("main")}); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	if v := raceSvcSettle(t, c, name, 30*time.Second); v == nil || v.Status != types.ServiceStatusActive {
		t.Fatalf("service %s did not become ACTIVE: %+v", name, v)
	}
	return c
}

// raceSvcSettle polls service name until it is gone (nil) or no change of
// it is in progress, for at most within.
func raceSvcSettle(t *testing.T, c *proton.Client, name string, within time.Duration) *types.Service {
	t.Helper()
	return raceSettleOf(t, "service "+name, within, func(ctx context.Context) (*types.Service, string, bool, error) {
		out, err := c.GetService(ctx, &proton.GetServiceInput{Name: aws.String(name)})
		if err != nil {
			return nil, "", false, err
		}
		v := out.Service
		switch v.Status {
		case types.ServiceStatusCreateInProgress, types.ServiceStatusUpdateInProgress, types.ServiceStatusDeleteInProgress,
			types.ServiceStatusUpdateFailedCleanupInProgress:
			return v, string(v.Status), false, nil
		}
		p := v.Pipeline
		return v, string(v.Status), p == nil || raceTerminal(p.DeploymentStatus), nil
	})
}

// raceSvcAnswer is the answer to one racing service call.
type raceSvcAnswer struct {
	op     string
	err    error
	code   string
	status int
	svc    *types.Service
}

func (a raceSvcAnswer) String() string {
	if a.err != nil {
		return fmt.Sprintf("%s: %d %s (%v)", a.op, a.status, a.code, a.err)
	}
	if a.svc == nil {
		return a.op + ": 200 (no service)"
	}
	return fmt.Sprintf("%s: 200 %s", a.op, a.svc.Status)
}

// raceSvcUpdateDelete races UpdateService (adding an instance, or changing
// the description) against DeleteService on one ACTIVE service: every
// refusal is a ConflictException (or, once the service is gone, a
// ResourceNotFoundException for an update), and the service ends either
// gone with all its instances, when a delete started, or ACTIVE with the
// instances the winning update gave it.
func raceSvcUpdateDelete(t *testing.T, e *raceEnv, r int) {
	env, name := fmt.Sprintf("env%d", r), fmt.Sprintf("svc%d", r)
	c := raceService(t, e, env, name)
	kinds := append(append(raceRepeat("add", 4), raceRepeat("describe", 2)...), raceRepeat("delete", 3)...)
	answers := make([]raceSvcAnswer, len(kinds))
	connRace(len(kinds), func(i int) {
		ctx, cancel := connCallCtx()
		defer cancel()
		a := raceSvcAnswer{op: kinds[i]}
		switch kinds[i] {
		case "add":
			var out *proton.UpdateServiceOutput
			if out, a.err = c.UpdateService(ctx, &proton.UpdateServiceInput{Name: aws.String(name), Spec: aws.String(raceSvcSpec(env, "a", "b"))}); a.err == nil {
				a.svc = out.Service
			}
		case "describe":
			var out *proton.UpdateServiceOutput
			if out, a.err = c.UpdateService(ctx, &proton.UpdateServiceInput{Name: aws.String(name), Description: aws.String(fmt.Sprint(i))}); a.err == nil {
				a.svc = out.Service
			}
		case "delete":
			var out *proton.DeleteServiceOutput
			if out, a.err = c.DeleteService(ctx, &proton.DeleteServiceInput{Name: aws.String(name)}); a.err == nil {
				a.svc = out.Service
			}
		}
		a.code, a.status = connErr(a.err)
		answers[i] = a
	})
	defer func() {
		if t.Failed() {
			for _, a := range answers {
				t.Log(a)
			}
		}
	}()
	deleting, added := false, false
	for _, a := range answers {
		if a.err != nil {
			conflict := a.code == "ConflictException" && a.status == 409
			gone := a.code == "ResourceNotFoundException" && a.status == 404 && a.op != "delete"
			if !conflict && !gone {
				t.Errorf("round %d: %s", r, a)
			}
			continue
		}
		switch {
		case a.op == "delete" && a.svc != nil:
			deleting = true
			if a.svc.Status != types.ServiceStatusDeleteInProgress {
				t.Errorf("round %d: %s, want DELETE_IN_PROGRESS", r, a)
			}
		case a.op == "add" && a.svc.Status == types.ServiceStatusUpdateInProgress:
			added = true
		}
	}
	final := raceSvcSettle(t, c, name, 30*time.Second)
	ctx := connCtx(t)
	insts, err := c.ListServiceInstances(ctx, &proton.ListServiceInstancesInput{})
	if err != nil {
		t.Fatalf("ListServiceInstances: %v", err)
	}
	switch {
	case final == nil && !deleting:
		t.Fatalf("round %d: the service is gone, but no delete started", r)
	case final == nil && len(insts.ServiceInstances) != 0:
		t.Errorf("round %d: the service is gone, but %d instances remain", r, len(insts.ServiceInstances))
	case final != nil && deleting:
		t.Errorf("round %d: a delete started, but the service is %s", r, final.Status)
	case final != nil && final.Status != types.ServiceStatusActive:
		t.Errorf("round %d: the service ended %s: %s", r, final.Status, aws.ToString(final.StatusMessage))
	case final != nil && added != (len(insts.ServiceInstances) == 2):
		t.Errorf("round %d: an instance was added: %v; the service has %d instances", r, added, len(insts.ServiceInstances))
	}
	if final == nil {
		// Nothing of the service holds its environment any more.
		if _, err := c.DeleteEnvironment(ctx, &proton.DeleteEnvironmentInput{Name: aws.String(env)}); err != nil {
			t.Errorf("round %d: delete the environment of a deleted service: %v", r, err)
		}
	}
}

// raceSvcInstanceCancel races updates of one instance against cancels of
// its deployment: one update at a time succeeds, every refusal is a
// ConflictException, and the instance ends SUCCEEDED or CANCELLED with its
// deployments one after the other.
func raceSvcInstanceCancel(t *testing.T, e *raceEnv, r int) {
	env, name := fmt.Sprintf("ienv%d", r), fmt.Sprintf("isvc%d", r)
	c := raceService(t, e, env, name)
	kinds := append(raceRepeat("update", 4), raceRepeat("cancel", 4)...)
	type answer struct {
		op  string
		err error
	}
	answers := make([]answer, len(kinds))
	connRace(len(kinds), func(i int) {
		ctx, cancel := connCallCtx()
		defer cancel()
		a := answer{op: kinds[i]}
		if kinds[i] == "update" {
			_, a.err = c.UpdateServiceInstance(ctx, &proton.UpdateServiceInstanceInput{ServiceName: aws.String(name), Name: aws.String("a"),
				DeploymentType: types.DeploymentUpdateTypeCurrentVersion})
		} else {
			_, a.err = c.CancelServiceInstanceDeployment(ctx, &proton.CancelServiceInstanceDeploymentInput{ServiceName: aws.String(name), ServiceInstanceName: aws.String("a")})
		}
		answers[i] = a
	})
	updates := 0
	for _, a := range answers {
		code, status := connErr(a.err)
		switch {
		case a.err == nil && a.op == "update":
			updates++
		case a.err != nil && (code != "ConflictException" || status != 409):
			t.Errorf("round %d: %s: %v", r, a.op, a.err)
		}
	}
	if updates != 1 {
		t.Errorf("round %d: %d updates succeeded, want 1", r, updates)
	}
	ctx := connCtx(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := c.GetServiceInstance(ctx, &proton.GetServiceInstanceInput{ServiceName: aws.String(name), Name: aws.String("a")})
		if err != nil {
			t.Fatalf("GetServiceInstance: %v", err)
		}
		st := got.ServiceInstance.DeploymentStatus
		if st == types.DeploymentStatusSucceeded || st == types.DeploymentStatusCancelled {
			break
		}
		if raceTerminal(st) || time.Now().After(deadline) {
			t.Fatalf("round %d: instance is %s", r, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	deps, err := c.ListDeployments(ctx, &proton.ListDeploymentsInput{ServiceName: aws.String(name), ServiceInstanceName: aws.String("a")})
	if err != nil {
		t.Fatalf("ListDeployments: %v", err)
	}
	if len(deps.Deployments) != 2 {
		t.Errorf("round %d: instance has %d deployments, want 2", r, len(deps.Deployments))
	}
	ds := deps.Deployments
	for i, j := 0, len(ds)-1; i < j; i, j = i+1, j-1 {
		ds[i], ds[j] = ds[j], ds[i]
	}
	raceOneAtATime(t, r, ds)
}
