package e2e

// The races of components (raceComponents): attaches racing for one
// instance, component and instance updates racing, and a detach racing a
// delete of the instance's service. Each round works in a fresh account
// with an environment whose component role provisions components, and a
// service whose template version supports them.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// raceComponents are the races of components.
var raceComponents = []raceScenario{
	{"attaches racing for one service instance", raceCompAttach},
	{"component and instance updates racing", raceCompInstanceUpdates},
	{"a detach racing the delete of the instance's service", raceCompDetachDelete},
}

const raceCompCFN = "Resources: {}\nOutputs:\n  Name:\n    Value: '{{ component.name }}'\n"

// raceCompCreate is a CreateComponent request: attached to instance a of
// service svc, or detached in env when svc is "".
func raceCompCreate(name, env, svc string) *proton.CreateComponentInput {
	in := &proton.CreateComponentInput{Name: aws.String(name), Manifest: aws.String(compCFNManifest), TemplateFile: aws.String(raceCompCFN)}
	if svc == "" {
		in.EnvironmentName = aws.String(env)
	} else {
		in.ServiceName, in.ServiceInstanceName = aws.String(svc), aws.String("a")
	}
	return in
}

// raceCompService makes, in a fresh account, environment env with a
// component role, service template raceSvcTpl 1.0 supporting directly
// defined components, and service name with instance a, ACTIVE; then the
// components named (detached in env, or attached to a with the prefix
// "@"), deployed.
func raceCompService(t *testing.T, e *raceEnv, env, name string, comps ...string) *proton.Client {
	t.Helper()
	acct, c := raceTemplate(t, e)
	ctx := connCtx(t)
	in := raceCreateEnvInput(acct, env)
	in.ComponentRoleArn = connRole(acct, "component")
	if _, err := c.CreateEnvironment(ctx, in); err != nil {
		t.Fatalf("CreateEnvironment: %v", err)
	}
	if err := compServiceTemplate(ctx, c, raceSvcTpl, "svc.tar.gz", raceEnvTpl, compDirectlyDefined); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineServiceRoleArn: connRole(acct, "pipeline")}); err != nil {
		t.Fatal(err)
	}
	if _, err := isoWaitEnv(ctx, c, env); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateService(ctx, &proton.CreateServiceInput{Name: aws.String(name), TemplateName: aws.String(raceSvcTpl),
		TemplateMajorVersion: aws.String("1"), Spec: aws.String(raceSvcSpec(env, "a")),
		RepositoryConnectionArn: aws.String("arn:aws:codestar-connections:us-east-1:123456789012:connection/race"),
		RepositoryId:            aws.String("example-org/race"), BranchName: aws.String("main")}); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	if v := raceSvcSettle(t, c, name, 30*time.Second); v == nil || v.Status != types.ServiceStatusActive {
		t.Fatalf("service %s did not become ACTIVE: %+v", name, v)
	}
	for _, n := range comps {
		svc := ""
		if n[0] == '@' {
			n, svc = n[1:], name
		}
		if _, err := c.CreateComponent(ctx, raceCompCreate(n, env, svc)); err != nil {
			t.Fatalf("CreateComponent %s: %v", n, err)
		}
		if st := raceCompSettle(t, c, n); st != types.DeploymentStatusSucceeded {
			t.Fatalf("component %s is %s", n, st)
		}
	}
	return c
}

// raceCompSettle waits until component name's deployment has ended and
// returns its status ("" once it is gone).
func raceCompSettle(t *testing.T, c *proton.Client, name string) types.DeploymentStatus {
	t.Helper()
	v := raceSettleOf(t, "component "+name, 30*time.Second, func(ctx context.Context) (*types.Component, string, bool, error) {
		out, err := c.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String(name)})
		if err != nil {
			return nil, "", false, err
		}
		s := out.Component.DeploymentStatus
		return out.Component, string(s), raceTerminal(s), nil
	})
	if v == nil {
		return ""
	}
	return v.DeploymentStatus
}

// raceCompInstanceSettle waits until instance a of service svc has no
// deployment in flight, and returns its status.
func raceCompInstanceSettle(t *testing.T, c *proton.Client, svc string) types.DeploymentStatus {
	t.Helper()
	v := raceSettleOf(t, "instance a of "+svc, 30*time.Second, func(ctx context.Context) (*types.ServiceInstance, string, bool, error) {
		out, err := c.GetServiceInstance(ctx, &proton.GetServiceInstanceInput{ServiceName: aws.String(svc), Name: aws.String("a")})
		if err != nil {
			return nil, "", false, err
		}
		s := out.ServiceInstance.DeploymentStatus
		return out.ServiceInstance, string(s), raceTerminal(s), nil
	})
	if v == nil {
		return ""
	}
	return v.DeploymentStatus
}

// raceCompConflicts fails for an error that is not a ConflictException.
func raceCompConflicts(t *testing.T, r int, op string, err error) {
	t.Helper()
	if code, status := connErr(err); err != nil && (code != "ConflictException" || status != 409) {
		t.Errorf("round %d: %s: %v", r, op, err)
	}
}

// raceCompAttach races, for one instance, attaches of two detached
// components and creates of two attached ones: exactly one wins, every
// other call is a ConflictException, and the instance ends with the
// winner and nothing else.
func raceCompAttach(t *testing.T, e *raceEnv, r int) {
	env, name := fmt.Sprintf("aenv%d", r), fmt.Sprintf("asvc%d", r)
	c := raceCompService(t, e, env, name, "c1", "c2")
	kinds := []string{"c1", "c1", "c2", "c2", "new3", "new4"}
	errs := make([]error, len(kinds))
	connRace(len(kinds), func(i int) {
		ctx, cancel := connCallCtx()
		defer cancel()
		if kinds[i][0] == 'n' {
			_, errs[i] = c.CreateComponent(ctx, raceCompCreate(kinds[i], env, name))
			return
		}
		_, errs[i] = c.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String(kinds[i]), DeploymentType: types.ComponentDeploymentUpdateTypeCurrentVersion,
			ServiceName: aws.String(name), ServiceInstanceName: aws.String("a")})
	})
	winner, wins := "", 0
	for i, err := range errs {
		raceCompConflicts(t, r, "attach "+kinds[i], err)
		if err == nil {
			winner, wins = kinds[i], wins+1
		}
	}
	if wins != 1 {
		t.Fatalf("round %d: %d attaches succeeded, want 1 (%v)", r, wins, errs)
	}
	raceCompSettle(t, c, winner)
	ctx := connCtx(t)
	list, err := c.ListComponents(ctx, &proton.ListComponentsInput{ServiceName: aws.String(name), ServiceInstanceName: aws.String("a")})
	if err != nil || len(list.Components) != 1 || aws.ToString(list.Components[0].Name) != winner {
		t.Errorf("round %d: components of the instance = %+v, %v; want %s alone", r, list, err, winner)
	}
	all, err := c.ListComponents(ctx, &proton.ListComponentsInput{})
	if err != nil || len(all.Components) != 2+btoi(winner[0] == 'n') {
		t.Errorf("round %d: %d components in all, %v", r, len(all.Components), err)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// raceCompInstanceUpdates races updates of an attached component against
// updates of its instance: one at a time, so exactly one wins, every other
// call is a ConflictException, and each ends SUCCEEDED with one new
// deployment in all.
func raceCompInstanceUpdates(t *testing.T, e *raceEnv, r int) {
	env, name := fmt.Sprintf("uenv%d", r), fmt.Sprintf("usvc%d", r)
	c := raceCompService(t, e, env, name, "@comp")
	kinds := append(raceRepeat("component", 4), raceRepeat("instance", 4)...)
	errs := make([]error, len(kinds))
	connRace(len(kinds), func(i int) {
		ctx, cancel := connCallCtx()
		defer cancel()
		if kinds[i] == "component" {
			_, errs[i] = c.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String("comp"), DeploymentType: types.ComponentDeploymentUpdateTypeCurrentVersion})
			return
		}
		_, errs[i] = c.UpdateServiceInstance(ctx, &proton.UpdateServiceInstanceInput{ServiceName: aws.String(name), Name: aws.String("a"),
			DeploymentType: types.DeploymentUpdateTypeCurrentVersion})
	})
	wins := 0
	for i, err := range errs {
		raceCompConflicts(t, r, kinds[i]+" update", err)
		if err == nil {
			wins++
		}
	}
	if wins != 1 {
		t.Errorf("round %d: %d updates succeeded, want 1 (%v)", r, wins, errs)
	}
	if st := raceCompSettle(t, c, "comp"); st != types.DeploymentStatusSucceeded {
		t.Errorf("round %d: component is %s", r, st)
	}
	if st := raceCompInstanceSettle(t, c, name); st != types.DeploymentStatusSucceeded {
		t.Errorf("round %d: instance is %s", r, st)
	}
	ctx := connCtx(t)
	cd, err1 := c.ListDeployments(ctx, &proton.ListDeploymentsInput{ComponentName: aws.String("comp")})
	id, err2 := c.ListDeployments(ctx, &proton.ListDeploymentsInput{ServiceName: aws.String(name), ServiceInstanceName: aws.String("a")})
	if err1 != nil || err2 != nil || len(cd.Deployments)+len(id.Deployments) != 3 {
		t.Errorf("round %d: component and instance deployments: %v %v (%v, %v), want 3 in all", r, cd, id, err1, err2)
	}
}

// raceCompDetachDelete races detaches of a component against deletes of
// its instance's service: a delete succeeds only once the component is
// detached, so the service is either gone with the component detached, or
// still there; every refusal is a ConflictException.
func raceCompDetachDelete(t *testing.T, e *raceEnv, r int) {
	env, name := fmt.Sprintf("denv%d", r), fmt.Sprintf("dsvc%d", r)
	c := raceCompService(t, e, env, name, "@comp")
	kinds := append(raceRepeat("detach", 3), raceRepeat("delete", 3)...)
	errs := make([]error, len(kinds))
	connRace(len(kinds), func(i int) {
		ctx, cancel := connCallCtx()
		defer cancel()
		if kinds[i] == "detach" {
			_, errs[i] = c.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String("comp"), DeploymentType: types.ComponentDeploymentUpdateTypeCurrentVersion,
				ServiceName: aws.String(""), ServiceInstanceName: aws.String("")})
			return
		}
		_, errs[i] = c.DeleteService(ctx, &proton.DeleteServiceInput{Name: aws.String(name)})
	})
	detached, deleted := 0, false
	for i, err := range errs {
		raceCompConflicts(t, r, kinds[i], err)
		switch {
		case err == nil && kinds[i] == "detach":
			detached++
		case err == nil:
			deleted = true
		}
	}
	if detached != 1 {
		t.Errorf("round %d: %d detaches succeeded, want 1 (%v)", r, detached, errs)
	}
	raceCompSettle(t, c, "comp")
	final := raceSvcSettle(t, c, name, 30*time.Second)
	ctx := connCtx(t)
	got, err := c.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String("comp")})
	switch {
	case err != nil:
		t.Fatalf("round %d: GetComponent: %v", r, err)
	case deleted && (final != nil || got.Component.ServiceName != nil):
		t.Errorf("round %d: a delete succeeded; service %+v, component attached to %q", r, final, aws.ToString(got.Component.ServiceName))
	case !deleted && final == nil:
		t.Errorf("round %d: no delete succeeded, but the service is gone", r)
	case got.Component.ServiceName != nil:
		t.Errorf("round %d: the detach succeeded, but the component is attached to %s", r, aws.ToString(got.Component.ServiceName))
	}
}
