package e2e

// The races of the template and environment families (raceTemplates,
// raceEnvironments):
// a client token of CreateEnvironmentTemplateVersion, concurrent updates of
// one environment, updates, cancels and deletes racing on one environment,
// and the environment quota. Each round works in a fresh account with a
// template of its own, registered from the sample bundle that TestRaces
// writes into the race server's bundle directory.

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// raceTemplates are the races of templates.
var raceTemplates = []raceScenario{
	{"one client token from many clients (template version)", raceVersionToken},
}

// raceEnvironments are the races of environments.
var raceEnvironments = []raceScenario{
	{"concurrent updates of one environment", raceEnvUpdates},
	{"update, cancel and delete racing on one environment", raceEnvUpdateCancelDelete},
	{"the environment quota under concurrent creates", raceEnvQuotaCreates},
}

// Settings of the race server for these scenarios.
const (
	// raceProvisionerDelay is how long an emulated deployment takes: long
	// enough that a deployment started by the winner of a race is still in
	// progress while the other calls of the race arrive.
	raceProvisionerDelay = 300 * time.Millisecond
	raceEnvQuota         = 3 // environments per account
	raceEnvTpl           = "racetpl"
)

// raceEnvArgs are the server flags these scenarios need; bundles is the
// bundle directory, into which the sample bundles are written.
func raceEnvArgs(t *testing.T, bundles string) []string {
	isoWriteBundles(t, bundles)
	return []string{"--bundle-dir", bundles, "--provisioner-delay", raceProvisionerDelay.String(),
		"--quota-environments", fmt.Sprint(raceEnvQuota)}
}

// raceEnvAnswer is the answer to one racing environment call.
type raceEnvAnswer struct {
	op     string // "update", "cancel", "delete", "create"
	err    error
	code   string
	status int
	env    *types.Environment // nil on error and for the delete of a gone environment
}

func (a raceEnvAnswer) String() string {
	if a.err != nil {
		return fmt.Sprintf("%s: %d %s (%v)", a.op, a.status, a.code, a.err)
	}
	if a.env == nil {
		return a.op + ": 200 (no environment)"
	}
	return fmt.Sprintf("%s: 200 %s %s deployment %s", a.op, aws.ToString(a.env.Name), a.env.DeploymentStatus, aws.ToString(a.env.LastAttemptedDeploymentId))
}

// raceEnvCall makes one call of kind on environment name.
func raceEnvCall(c *proton.Client, kind, name string) raceEnvAnswer {
	ctx, cancel := connCallCtx()
	defer cancel()
	a := raceEnvAnswer{op: kind}
	switch kind {
	case "update":
		var out *proton.UpdateEnvironmentOutput
		if out, a.err = c.UpdateEnvironment(ctx, &proton.UpdateEnvironmentInput{Name: aws.String(name), DeploymentType: types.DeploymentUpdateTypeCurrentVersion}); a.err == nil {
			a.env = out.Environment
		}
	case "cancel":
		var out *proton.CancelEnvironmentDeploymentOutput
		if out, a.err = c.CancelEnvironmentDeployment(ctx, &proton.CancelEnvironmentDeploymentInput{EnvironmentName: aws.String(name)}); a.err == nil {
			a.env = out.Environment
		}
	case "delete":
		var out *proton.DeleteEnvironmentOutput
		if out, a.err = c.DeleteEnvironment(ctx, &proton.DeleteEnvironmentInput{Name: aws.String(name)}); a.err == nil {
			a.env = out.Environment
		}
	}
	a.code, a.status = connErr(a.err)
	return a
}

// raceEnvFire makes the calls of kinds on environment name all at once.
func raceEnvFire(c *proton.Client, name string, kinds []string) []raceEnvAnswer {
	answers := make([]raceEnvAnswer, len(kinds))
	connRace(len(kinds), func(i int) { answers[i] = raceEnvCall(c, kinds[i], name) })
	return answers
}

// raceEnvLog logs the answers of a failed round.
func raceEnvLog(t *testing.T, answers []raceEnvAnswer) {
	if t.Failed() {
		for _, a := range answers {
			t.Log(a)
		}
	}
}

// raceTemplate makes, in a fresh account, environment template raceEnvTpl
// with version 1.0 registered and published; it returns the account and
// its client.
func raceTemplate(t *testing.T, e *raceEnv) (string, *proton.Client) {
	t.Helper()
	acct := connAccount()
	c := e.client(acct)
	ctx := connCtx(t)
	if _, err := c.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String(raceEnvTpl)}); err != nil {
		t.Fatalf("CreateEnvironmentTemplate: %v", err)
	}
	if _, err := isoEnvVersion(ctx, c, raceEnvTpl, "", "env.tar.gz", true); err != nil {
		t.Fatal(err)
	}
	return acct, c
}

// raceCreateEnvInput is a CreateEnvironment of raceEnvTpl 1.0 in acct,
// deployed by the emulated provisioner, with a tag (which TestRaces's store
// check then expects gone with a deleted environment).
func raceCreateEnvInput(acct, name string) *proton.CreateEnvironmentInput {
	return &proton.CreateEnvironmentInput{
		Name: aws.String(name), TemplateName: aws.String(raceEnvTpl), TemplateMajorVersion: aws.String("1"),
		Spec: aws.String(isoSpec), ProtonServiceRoleArn: connRole(acct, "proton"), Tags: isoTeamTag(),
	}
}

// raceDeployedEnv makes, in a fresh account, an environment whose first
// deployment has succeeded; it returns the account's client.
func raceDeployedEnv(t *testing.T, e *raceEnv, name string) *proton.Client {
	t.Helper()
	acct, c := raceTemplate(t, e)
	ctx := connCtx(t)
	if _, err := c.CreateEnvironment(ctx, raceCreateEnvInput(acct, name)); err != nil {
		t.Fatalf("CreateEnvironment: %v", err)
	}
	if _, err := isoWaitEnv(ctx, c, name); err != nil {
		t.Fatal(err)
	}
	return c
}

// raceDeployments lists every deployment of environment name, oldest first.
func raceDeployments(t *testing.T, c *proton.Client, name string) []types.DeploymentSummary {
	t.Helper()
	out, err := raceListDeployments(c, name)
	if err != nil {
		t.Fatalf("ListDeployments: %v", err)
	}
	return out
}

func raceListDeployments(c *proton.Client, name string) ([]types.DeploymentSummary, error) {
	ctx, cancel := connCallCtx()
	defer cancel()
	var out []types.DeploymentSummary
	p := proton.NewListDeploymentsPaginator(c, &proton.ListDeploymentsInput{EnvironmentName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Deployments...)
	}
	slices.SortStableFunc(out, func(a, b types.DeploymentSummary) int {
		return aws.ToTime(a.CreatedAt).Compare(aws.ToTime(b.CreatedAt))
	})
	return out, nil
}

// raceTerminal reports whether a deployment status is final.
func raceTerminal(st types.DeploymentStatus) bool {
	switch st {
	case types.DeploymentStatusSucceeded, types.DeploymentStatusFailed, types.DeploymentStatusCancelled,
		types.DeploymentStatusDeleteFailed, types.DeploymentStatusDeleteComplete:
		return true
	}
	return false
}

// raceOneAtATime fails unless each of an environment's deployments (oldest
// first, all ended) began after the one before it ended.
func raceOneAtATime(t *testing.T, r int, ds []types.DeploymentSummary) {
	t.Helper()
	for i := 1; i < len(ds); i++ {
		prev, d := ds[i-1], ds[i]
		if aws.ToTime(d.CreatedAt).Before(aws.ToTime(prev.CompletedAt)) {
			t.Errorf("round %d: deployment %s began at %s, before deployment %s ended at %s",
				r, aws.ToString(d.Id), aws.ToTime(d.CreatedAt), aws.ToString(prev.Id), aws.ToTime(prev.CompletedAt))
		}
	}
}

// raceSettle polls environment name until it is gone (nil) or its
// deployment status is final, for at most within.
func raceSettle(t *testing.T, c *proton.Client, name string, within time.Duration) *types.Environment {
	t.Helper()
	return raceSettleOf(t, "environment "+name, within, func(ctx context.Context) (*types.Environment, string, bool, error) {
		out, err := c.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String(name)})
		if err != nil {
			return nil, "", false, err
		}
		e := out.Environment
		return e, string(e.DeploymentStatus), raceTerminal(e.DeploymentStatus), nil
	})
}

// raceSettleOf polls get until the resource is gone (nil) or settled, for
// at most within; get answers the resource, its status (for the failure
// message) and whether it settled.
func raceSettleOf[T any](t *testing.T, what string, within time.Duration, get func(context.Context) (*T, string, bool, error)) *T {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := connCallCtx()
		v, status, settled, err := get(ctx)
		cancel()
		if code, st := connErr(err); code == "ResourceNotFoundException" && st == 404 {
			return nil
		}
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if settled {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still %s after %s", what, status, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// raceVersionToken races creates of a template version with one client
// token: exactly one version results, every success names it, and (odd
// rounds) callers with another description get the mismatch error.
func raceVersionToken(t *testing.T, e *raceEnv, r int) {
	const n = 12
	acct := connAccount()
	c := e.client(acct)
	if _, err := c.CreateEnvironmentTemplate(connCtx(t), &proton.CreateEnvironmentTemplateInput{Name: aws.String(raceEnvTpl)}); err != nil {
		t.Fatalf("CreateEnvironmentTemplate: %v", err)
	}
	token := fmt.Sprintf("race-version-%d-%s", r, acct)
	mixed := r%2 == 1
	in := func(i int) *proton.CreateEnvironmentTemplateVersionInput {
		desc := "same"
		if mixed && i%2 == 1 {
			desc = "other"
		}
		return &proton.CreateEnvironmentTemplateVersionInput{
			TemplateName: aws.String(raceEnvTpl), Source: isoSource("env.tar.gz"),
			Description: aws.String(desc), ClientToken: aws.String(token),
		}
	}
	type answer struct {
		err error
		v   *types.EnvironmentTemplateVersion
	}
	answers := make([]answer, n)
	connRace(n, func(i int) {
		ctx, cancel := connCallCtx()
		defer cancel()
		out, err := c.CreateEnvironmentTemplateVersion(ctx, in(i))
		answers[i].err = err
		if err == nil {
			answers[i].v = out.EnvironmentTemplateVersion
		}
	})
	made := map[string]bool{} // ARN, major.minor and description of each success
	for i, a := range answers {
		code, status := connErr(a.err)
		switch {
		case a.err == nil:
			made[fmt.Sprintf("%s %s.%s %q", aws.ToString(a.v.Arn), aws.ToString(a.v.MajorVersion), aws.ToString(a.v.MinorVersion), aws.ToString(a.v.Description))] = true
		case mixed && code == "ValidationException" && status == 400:
		default:
			t.Errorf("round %d: create %d: %d %s (%v)", r, i, status, code, a.err)
		}
	}
	out, err := c.ListEnvironmentTemplateVersions(connCtx(t), &proton.ListEnvironmentTemplateVersionsInput{TemplateName: aws.String(raceEnvTpl)})
	if err != nil {
		t.Fatalf("ListEnvironmentTemplateVersions: %v", err)
	}
	var listed []string
	for _, v := range out.TemplateVersions {
		listed = append(listed, fmt.Sprintf("%s %s.%s %q", aws.ToString(v.Arn), aws.ToString(v.MajorVersion), aws.ToString(v.MinorVersion), aws.ToString(v.Description)))
	}
	if len(made) != 1 || len(listed) != 1 || !made[listed[0]] {
		t.Fatalf("round %d: one token made versions %v, the list shows %v", r, made, listed)
	}
	// A retry after the race replays the same version.
	winner := out.TemplateVersions[0]
	ctx := connCtx(t)
	again, err := c.CreateEnvironmentTemplateVersion(ctx, in(slices.IndexFunc(answers, func(a answer) bool { return a.err == nil })))
	if err != nil {
		t.Fatalf("round %d: retry with the token: %v", r, err)
	}
	if got := again.EnvironmentTemplateVersion; aws.ToString(got.Arn) != aws.ToString(winner.Arn) {
		t.Errorf("round %d: the retry made %s, the race %s", r, aws.ToString(got.Arn), aws.ToString(winner.Arn))
	}
}

// raceEnvUpdates races redeploys (CURRENT_VERSION) of one deployed
// environment: one succeeds, the others get ConflictException, exactly one
// deployment is added, and the environment ends deployed by it. A call that
// the server takes up only after the winner's deployment has ended (a race
// spread wider than raceProvisionerDelay) may rightly succeed too: then its
// deployment must have begun after the previous one ended, since two
// deployments of one environment never run at once.
func raceEnvUpdates(t *testing.T, e *raceEnv, r int) {
	const n = 10
	name := fmt.Sprintf("upd%d", r)
	c := raceDeployedEnv(t, e, name)
	before := raceDeployments(t, c, name)
	answers := raceEnvFire(c, name, raceRepeat("update", n))
	defer raceEnvLog(t, answers)
	var won []string // the deployments of the successful updates
	for _, a := range answers {
		switch {
		case a.err == nil:
			won = append(won, aws.ToString(a.env.LastAttemptedDeploymentId))
			if a.env.DeploymentStatus != types.DeploymentStatusInProgress {
				t.Errorf("round %d: %s, want IN_PROGRESS", r, a)
			}
		case a.code == "ConflictException" && a.status == 409:
		default:
			t.Errorf("round %d: %s", r, a)
		}
	}
	final, err := isoWaitEnv(connCtx(t), c, name)
	if err != nil {
		t.Fatalf("round %d: %v", r, err)
	}
	after := raceDeployments(t, c, name)
	var added []string
	raceOneAtATime(t, r, after)
	for _, d := range after {
		if !slices.ContainsFunc(before, func(b types.DeploymentSummary) bool { return aws.ToString(b.Id) == aws.ToString(d.Id) }) {
			added = append(added, aws.ToString(d.Id))
		}
	}
	if len(won) == 0 || !slices.Equal(slices.Sorted(slices.Values(added)), slices.Sorted(slices.Values(won))) {
		t.Fatalf("round %d: %d of %d concurrent updates succeeded (deployments %v) and %d deployments were added (%v); want one, and one per success",
			r, len(won), n, won, len(added), added)
	}
	if len(won) > 1 {
		t.Logf("round %d: %d updates succeeded one after the other (the race was spread wider than a deployment)", r, len(won))
	}
	newest := added[len(added)-1]
	if aws.ToString(final.LastSucceededDeploymentId) != newest || aws.ToString(final.LastAttemptedDeploymentId) != newest {
		t.Errorf("round %d: the environment's last attempted and succeeded deployments are %s and %s, want %s",
			r, aws.ToString(final.LastAttemptedDeploymentId), aws.ToString(final.LastSucceededDeploymentId), newest)
	}
}

// raceEnvUpdateCancelDelete races redeploys, cancels and deletes at one
// deployed environment (odd rounds: while an update is already in
// progress). Every answer is a success or a modelled error; the environment
// settles either gone, which a successful delete explains, or in a final
// status whose last attempted deployment exists and is final too, with one
// deployment per successful update.
func raceEnvUpdateCancelDelete(t *testing.T, e *raceEnv, r int) {
	name := fmt.Sprintf("ucd%d", r)
	c := raceDeployedEnv(t, e, name)
	deployments := 1 // the create's
	if r%2 == 1 {
		if a := raceEnvCall(c, "update", name); a.err != nil {
			t.Fatalf("round %d: %s", r, a)
		}
		deployments++
	}
	kinds := append(append(raceRepeat("update", 4), raceRepeat("cancel", 4)...), raceRepeat("delete", 3)...)
	answers := raceEnvFire(c, name, kinds)
	defer raceEnvLog(t, answers)
	// Right after the race, at most one deployment is under way (unless
	// the environment is already gone with its deployments).
	if ds, err := raceListDeployments(c, name); err == nil {
		var running []string
		for _, d := range ds {
			if !raceTerminal(d.DeploymentStatus) {
				running = append(running, fmt.Sprintf("%s %s", aws.ToString(d.Id), d.DeploymentStatus))
			}
		}
		if len(running) > 1 {
			t.Errorf("round %d: deployments under way at once: %v", r, running)
		}
	} else if code, status := connErr(err); code != "ResourceNotFoundException" || status != 404 {
		t.Fatalf("round %d: ListDeployments: %v", r, err)
	}
	deleting := false // a delete started
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
		case a.op == "update":
			deployments++
			if a.env.DeploymentStatus != types.DeploymentStatusInProgress {
				t.Errorf("round %d: %s, want IN_PROGRESS", r, a)
			}
		case a.op == "delete" && a.env != nil:
			deleting = true
			if a.env.DeploymentStatus != types.DeploymentStatusDeleteInProgress {
				t.Errorf("round %d: %s, want DELETE_IN_PROGRESS", r, a)
			}
		}
	}
	final := raceSettle(t, c, name, 30*time.Second)
	if final == nil {
		if !deleting {
			t.Fatalf("round %d: the environment is gone, but no delete started", r)
		}
		out, err := c.ListEnvironments(connCtx(t), &proton.ListEnvironmentsInput{})
		if err != nil {
			t.Fatalf("ListEnvironments: %v", err)
		}
		if len(out.Environments) != 0 {
			t.Errorf("round %d: the deleted environment is still listed: %s", r, aws.ToString(out.Environments[0].Name))
		}
		return
	}
	if deleting {
		t.Errorf("round %d: a delete started, but the environment ended %s", r, final.DeploymentStatus)
	}
	last := aws.ToString(final.LastAttemptedDeploymentId)
	d, err := c.GetDeployment(connCtx(t), &proton.GetDeploymentInput{Id: aws.String(last)})
	if err != nil {
		t.Fatalf("round %d: the last attempted deployment %s: %v", r, last, err)
	}
	if st := d.Deployment.DeploymentStatus; !raceTerminal(st) || st != final.DeploymentStatus {
		t.Errorf("round %d: the environment ended %s, its last attempted deployment %s is %s", r, final.DeploymentStatus, last, st)
	}
	listed := raceDeployments(t, c, name)
	newest := ""
	if len(listed) > 0 {
		newest = aws.ToString(listed[len(listed)-1].Id)
	}
	if len(listed) != deployments || newest != last {
		t.Errorf("round %d: %d deployments listed (the newest %s), want %d (the newest %s)", r, len(listed), newest, deployments, last)
	}
	for _, s := range listed {
		if !raceTerminal(s.DeploymentStatus) {
			t.Errorf("round %d: deployment %s is still %s", r, aws.ToString(s.Id), s.DeploymentStatus)
		}
	}
	raceOneAtATime(t, r, listed)
}

// raceEnvQuotaCreates races creates of environments with distinct names in
// one account: exactly the quota succeed and exist, the others get
// ServiceQuotaExceededException.
func raceEnvQuotaCreates(t *testing.T, e *raceEnv, r int) {
	const n = 8
	acct, c := raceTemplate(t, e)
	answers := make([]raceEnvAnswer, n)
	connRace(n, func(i int) {
		ctx, cancel := connCallCtx()
		defer cancel()
		out, err := c.CreateEnvironment(ctx, raceCreateEnvInput(acct, fmt.Sprintf("q%d", i)))
		a := raceEnvAnswer{op: "create", err: err}
		a.code, a.status = connErr(err)
		if err == nil {
			a.env = out.Environment
		}
		answers[i] = a
	})
	defer raceEnvLog(t, answers)
	var made []string
	for _, a := range answers {
		switch {
		case a.err == nil:
			made = append(made, aws.ToString(a.env.Name))
		case a.code == "ServiceQuotaExceededException" && a.status == 402:
		default:
			t.Errorf("round %d: %s", r, a)
		}
	}
	var listed []string
	p := proton.NewListEnvironmentsPaginator(c, &proton.ListEnvironmentsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(connCtx(t))
		if err != nil {
			t.Fatalf("ListEnvironments: %v", err)
		}
		for _, s := range page.Environments {
			listed = append(listed, aws.ToString(s.Name))
		}
	}
	slices.Sort(made)
	slices.Sort(listed)
	if len(made) != raceEnvQuota || !slices.Equal(made, listed) {
		t.Errorf("round %d: creates of %v succeeded and %v exist; the quota is %d", r, made, listed, raceEnvQuota)
	}
}
