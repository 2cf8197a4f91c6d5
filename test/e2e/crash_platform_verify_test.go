package e2e

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// verifyPlatform checks, through the API, the platform families of w's
// ledger against a restarted server, as verify does for connections: every
// acknowledged template, version, environment and deployment is there as
// it was answered (or as a write in doubt left it, whole), nothing else
// exists, deletes stay deleted, and version client tokens still replay.
// Every acknowledged state found missing or changed counts as lost.
func (w *crashWorker) verifyPlatform(t *testing.T, st *crashStats) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	op := w.doubt
	if op != nil && (crashFamily(op.kind) == famConnections || crashFamily(op.kind) == famServices) {
		op = nil
	}
	doubt := func(kind string) *crashOp {
		if op != nil && op.kind == kind {
			return op
		}
		return nil
	}
	settle := st.settled

	// Templates: exactly the ledger's, as acknowledged.
	listed := crashListTemplates(ctx, t, w.cm)
	if d := doubt("template-create"); d != nil {
		name := aws.ToString(d.tplCreate.Name)
		_, made := listed[name]
		settle(made)
		if made {
			tp := &crashTemplate{name: name, arn: aws.ToString(listed[name].Arn), create: d.tplCreate, description: aws.ToString(d.tplCreate.Description), tags: maps.Clone(d.tags)}
			w.templates = append(w.templates, tp)
		}
	}
	for _, tp := range slices.Clone(w.templates) {
		if _, ok := listed[tp.name]; !ok {
			if d := doubt("template-delete"); d != nil && d.tpl == tp {
				settle(true)
				w.templates = slices.DeleteFunc(w.templates, func(x *crashTemplate) bool { return x == tp })
				continue
			}
			t.Errorf("worker %d: template %s is gone after the restart", w.n, tp.name)
			w.lose(famTemplates)
			continue
		}
		delete(listed, tp.name)
		if d := doubt("template-delete"); d != nil && d.tpl == tp {
			settle(false)
		}
		out, err := w.cm.GetEnvironmentTemplate(ctx, &proton.GetEnvironmentTemplateInput{Name: aws.String(tp.name)})
		if err != nil {
			t.Fatalf("worker %d: read template %s: %v", w.n, tp.name, err)
		}
		got := aws.ToString(out.EnvironmentTemplate.Description)
		switch d := doubt("template-update"); {
		case got == tp.description:
			if d != nil && d.tpl == tp && got != d.description {
				settle(false)
			}
		case d != nil && d.tpl == tp && got == d.description:
			settle(true)
			tp.description = got
		default:
			t.Errorf("worker %d: template %s has description %q, acknowledged %q", w.n, tp.name, got, tp.description)
			w.lose(famTemplates)
		}
		tp.tags = w.checkTags(ctx, t, famTemplates, tp.arn, tp.tags, doubt("template-tag"), func(d *crashOp) bool { return d.tpl == tp }, st)
		w.verifyVersions(ctx, t, tp, doubt, settle, st)
		st.platformChecked++
	}
	for name := range listed {
		t.Errorf("worker %d: template %s exists, the ledger does not know it", w.n, name)
		w.lose(famTemplates) // a lost delete, or a write nobody made
	}

	// Environments and their deployments.
	envs := crashListEnvs(ctx, t, w.cm)
	if d := doubt("env-create"); d != nil {
		name := aws.ToString(d.envCreate.Name)
		_, made := envs[name]
		settle(made)
		if made {
			out, err := w.cm.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String(name)})
			if err != nil {
				t.Fatalf("worker %d: read environment %s: %v", w.n, name, err)
			}
			e := out.Environment
			if aws.ToString(e.Spec) != aws.ToString(d.envCreate.Spec) || aws.ToString(e.TemplateName) != d.tpl.name {
				t.Errorf("worker %d: %s in doubt made %s on %s with spec %q: not the create", w.n, d, name, aws.ToString(e.TemplateName), aws.ToString(e.Spec))
			}
			w.envs = append(w.envs, &crashEnv{name: name, arn: aws.ToString(e.Arn), tpl: d.tpl, major: aws.ToString(e.TemplateMajorVersion),
				spec: aws.ToString(e.Spec), tags: maps.Clone(d.tags),
				deployments: []*crashDeployment{{id: aws.ToString(e.LastAttemptedDeploymentId), spec: aws.ToString(e.Spec)}}})
		}
	}
	for _, e := range slices.Clone(w.envs) {
		if _, ok := envs[e.name]; !ok {
			d := doubt("env-delete")
			if d != nil && d.env == e {
				settle(true)
			}
			if !e.deleting && (d == nil || d.env != e) {
				t.Errorf("worker %d: environment %s is gone after the restart, with no delete acknowledged", w.n, e.name)
				w.lose(famEnvironments)
			}
			w.envGone(ctx, t, e)
			continue
		}
		delete(envs, e.name)
		w.verifyEnv(ctx, t, e, doubt, settle, st)
		st.platformChecked++
	}
	for name := range envs {
		t.Errorf("worker %d: environment %s exists, the ledger does not know it", w.n, name)
		w.lose(famEnvironments) // a lost delete, or a write nobody made
	}
}

// verifyVersions checks the versions of template tp.
func (w *crashWorker) verifyVersions(ctx context.Context, t *testing.T, tp *crashTemplate, doubt func(string) *crashOp, settle func(bool), st *crashStats) {
	t.Helper()
	listed := map[string]bool{}
	p := proton.NewListEnvironmentTemplateVersionsPaginator(w.cm, &proton.ListEnvironmentTemplateVersionsInput{TemplateName: aws.String(tp.name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("worker %d: list versions of %s: %v", w.n, tp.name, err)
		}
		for _, v := range page.TemplateVersions {
			listed[aws.ToString(v.MajorVersion)+"."+aws.ToString(v.MinorVersion)] = true
		}
	}
	// A create in doubt: its client token gives the version it made, or
	// makes it now.
	if d := doubt("version-create"); d != nil && d.tpl == tp {
		out, err := w.cm.CreateEnvironmentTemplateVersion(ctx, d.verCreate)
		if err != nil {
			t.Fatalf("worker %d: replay of %s: %v", w.n, d, err)
		}
		v := out.EnvironmentTemplateVersion
		key := aws.ToString(v.MajorVersion) + "." + aws.ToString(v.MinorVersion)
		settle(listed[key])
		listed[key] = true // made now, if not before: checked below with the others
		st.replays++
		tp.versions = append(tp.versions, &crashVersion{tpl: tp, major: aws.ToString(v.MajorVersion), minor: aws.ToString(v.MinorVersion),
			create: d.verCreate, description: aws.ToString(v.Description), status: v.Status, round: w.round})
	}
	for _, v := range slices.Clone(tp.versions) {
		key := v.major + "." + v.minor
		d := doubt("version-delete")
		inDoubt := d != nil && d.ver == v
		if !listed[key] {
			if inDoubt {
				settle(true)
			} else {
				t.Errorf("worker %d: version %s (%s, created in round %d) is gone after the restart; listed: %v; in doubt: %v", w.n, v.key(), v.status, v.round, slices.Sorted(maps.Keys(listed)), w.doubt)
				w.lose(famTemplates)
			}
			tp.versions = slices.DeleteFunc(tp.versions, func(x *crashVersion) bool { return x == v })
			continue
		}
		delete(listed, key)
		if inDoubt {
			settle(false)
		}
		out, err := w.cm.GetEnvironmentTemplateVersion(ctx, &proton.GetEnvironmentTemplateVersionInput{
			TemplateName: aws.String(tp.name), MajorVersion: aws.String(v.major), MinorVersion: aws.String(v.minor)})
		if err != nil {
			t.Fatalf("worker %d: read version %s: %v", w.n, v.key(), err)
		}
		got := out.EnvironmentTemplateVersion
		desc, status := aws.ToString(got.Description), got.Status
		upd, pub := doubt("version-update"), doubt("version-publish")
		switch {
		case upd != nil && upd.ver == v && desc == upd.description && desc != v.description:
			settle(true)
			v.description = desc
		case upd != nil && upd.ver == v && desc == v.description:
			settle(false)
		}
		switch {
		case pub != nil && pub.ver == v && status == types.TemplateVersionStatusPublished:
			settle(true)
		case pub != nil && pub.ver == v && status == v.status:
			settle(false)
		}
		if desc != v.description || !(crashVersionMayBe(v.status, status) || (pub != nil && pub.ver == v && status == types.TemplateVersionStatusPublished)) {
			t.Errorf("worker %d: version %s is %s %q, acknowledged %s %q", w.n, v.key(), status, desc, v.status, v.description)
			w.lose(famTemplates)
		}
		v.status = status
		st.platformChecked++
	}
	for key := range listed {
		t.Errorf("worker %d: version %s:%s exists, the ledger does not know it", w.n, tp.name, key)
		w.lose(famTemplates) // a lost delete, or a write nobody made
	}
	// Client tokens outlive the crash: a create acknowledged this round
	// (and a few older ones) replays to the same version.
	for _, v := range tp.versions {
		if v.round < w.round && w.rng.IntN(4) != 0 {
			continue
		}
		out, err := w.cm.CreateEnvironmentTemplateVersion(ctx, v.create)
		if err != nil {
			t.Errorf("worker %d: replay of the create of %s: %v", w.n, v.key(), err)
			w.lose(famTemplates)
			continue
		}
		if g := out.EnvironmentTemplateVersion; aws.ToString(g.MajorVersion) != v.major || aws.ToString(g.MinorVersion) != v.minor {
			t.Errorf("worker %d: replay of the create of %s gave %s.%s", w.n, v.key(), aws.ToString(g.MajorVersion), aws.ToString(g.MinorVersion))
			w.lose(famTemplates)
		}
		st.replays++
	}
}

// verifyEnv checks environment e, which the server lists. An
// environment being deleted may be gone at any moment: its delete
// deployment runs while it is checked.
func (w *crashWorker) verifyEnv(ctx context.Context, t *testing.T, e *crashEnv, doubt func(string) *crashOp, settle func(bool), st *crashStats) {
	t.Helper()
	upd, del := doubt("env-update"), doubt("env-delete")
	// gone reports whether err says that e's delete completed meanwhile,
	// which only a delete acknowledged (or committed in doubt) allows.
	gone := func(err error) bool {
		if code, _ := connErr(err); code != "ResourceNotFoundException" || !(e.deleting || (del != nil && del.env == e)) {
			return false
		}
		if !e.deleting {
			settle(true)
		}
		w.envGone(ctx, t, e)
		return true
	}
	out, err := w.cm.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String(e.name)})
	if gone(err) {
		return
	}
	if err != nil {
		t.Fatalf("worker %d: read environment %s: %v", w.n, e.name, err)
	}
	got := out.Environment
	last, spec, status := aws.ToString(got.LastAttemptedDeploymentId), aws.ToString(got.Spec), got.DeploymentStatus
	switch {
	case last == e.last().id:
		if (upd != nil && upd.env == e) || (del != nil && del.env == e) {
			settle(false)
		}
	case upd != nil && upd.env == e && spec == upd.spec:
		settle(true)
		e.spec = spec
		e.deployments = append(e.deployments, &crashDeployment{id: last, spec: spec})
	case del != nil && del.env == e && (status == types.DeploymentStatusDeleteInProgress || status == types.DeploymentStatusDeleteFailed):
		settle(true)
		e.deleting = true
		e.deployments = append(e.deployments, &crashDeployment{id: last, delete: true})
	default:
		t.Errorf("worker %d: environment %s runs deployment %s, the ledger's last is %s", w.n, e.name, last, e.last().id)
		w.lose(famEnvironments)
	}
	wantStatus := []types.DeploymentStatus{types.DeploymentStatusInProgress, types.DeploymentStatusSucceeded}
	if e.deleting {
		wantStatus = []types.DeploymentStatus{types.DeploymentStatusDeleteInProgress}
	}
	if spec != e.spec || !slices.Contains(wantStatus, status) {
		t.Errorf("worker %d: environment %s is %s with spec %q; acknowledged spec %q, deleting %v", w.n, e.name, status, spec, e.spec, e.deleting)
		w.lose(famEnvironments)
	}
	if e.deleting {
		// Its tags go with it when the delete completes; no tag write of
		// the load is sent to an environment being deleted.
		tags, err := crashTags(ctx, w.cm, e.arn)
		if gone(err) {
			return
		}
		if err != nil {
			t.Fatalf("worker %d: tags of %s: %v", w.n, e.arn, err)
		}
		if !maps.Equal(tags, e.tags) {
			t.Errorf("worker %d: tags of %s are %v, acknowledged %v", w.n, e.arn, tags, e.tags)
			w.lose(famEnvironments)
		}
	} else {
		e.tags = w.checkTags(ctx, t, famEnvironments, e.arn, e.tags, doubt("env-tag"), func(d *crashOp) bool { return d.env == e }, st)
	}

	// Its deployments: exactly the ledger's, each deploying what it was
	// acknowledged with.
	listed := map[string]bool{}
	p := proton.NewListDeploymentsPaginator(w.cm, &proton.ListDeploymentsInput{EnvironmentName: aws.String(e.name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if gone(err) {
			return
		}
		if err != nil {
			t.Fatalf("worker %d: list deployments of %s: %v", w.n, e.name, err)
		}
		for _, d := range page.Deployments {
			listed[aws.ToString(d.Id)] = true
		}
	}
	if d := doubt("deployment-delete"); d != nil && d.env == e {
		settle(!listed[d.dep.id])
		if !listed[d.dep.id] {
			e.deployments = slices.DeleteFunc(e.deployments, func(x *crashDeployment) bool { return x == d.dep })
		}
	}
	for _, d := range e.deployments {
		if !listed[d.id] {
			t.Errorf("worker %d: deployment %s of %s is gone after the restart", w.n, d.id, e.name)
			w.lose(famEnvironments)
			continue
		}
		delete(listed, d.id)
		if d.delete {
			continue
		}
		dout, err := w.cm.GetDeployment(ctx, &proton.GetDeploymentInput{Id: aws.String(d.id)})
		if gone(err) {
			return
		}
		if err != nil {
			t.Fatalf("worker %d: read deployment %s: %v", w.n, d.id, err)
		}
		target, ok := dout.Deployment.TargetState.(*types.DeploymentStateMemberEnvironment)
		if !ok || aws.ToString(target.Value.Spec) != d.spec || aws.ToString(dout.Deployment.EnvironmentName) != e.name {
			t.Errorf("worker %d: deployment %s of %s deploys %+v, acknowledged spec %q", w.n, d.id, e.name, dout.Deployment.TargetState, d.spec)
			w.lose(famEnvironments)
		}
		st.platformChecked++
	}
	for id := range listed {
		t.Errorf("worker %d: deployment %s of %s exists, the ledger does not know it", w.n, id, e.name)
		w.lose(famEnvironments) // a lost delete, or a write nobody made
	}
}

// envGone checks that an environment whose delete completed took its
// deployments with it, and drops it from the ledger.
func (w *crashWorker) envGone(ctx context.Context, t *testing.T, e *crashEnv) {
	t.Helper()
	for _, d := range e.deployments {
		_, err := w.cm.GetDeployment(ctx, &proton.GetDeploymentInput{Id: aws.String(d.id)})
		if code, _ := connErr(err); code != "ResourceNotFoundException" {
			t.Errorf("worker %d: deployment %s of deleted environment %s: %v", w.n, d.id, e.name, err)
		}
	}
	if _, err := crashTags(ctx, w.cm, e.arn); err == nil {
		t.Errorf("worker %d: the tags of deleted environment %s can still be read", w.n, e.name)
	}
	w.envs = slices.DeleteFunc(w.envs, func(x *crashEnv) bool { return x == e })
}

// checkTags compares the tags of arn with the acknowledged ones, or with
// those a tag write in doubt (d, if mine says it is on this resource)
// would have left, and returns what it found.
func (w *crashWorker) checkTags(ctx context.Context, t *testing.T, family, arn string, want map[string]string, d *crashOp, mine func(*crashOp) bool, st *crashStats) map[string]string {
	t.Helper()
	return w.checkTagsOf(ctx, t, w.cm, family, arn, want, d, mine, st)
}

// checkTagsOf is checkTags as cl's account.
func (w *crashWorker) checkTagsOf(ctx context.Context, t *testing.T, cl *proton.Client, family, arn string, want map[string]string, d *crashOp, mine func(*crashOp) bool, st *crashStats) map[string]string {
	t.Helper()
	got, err := crashTags(ctx, cl, arn)
	if err != nil {
		t.Fatalf("worker %d: tags of %s: %v", w.n, arn, err)
	}
	return w.compareTags(t, family, arn, got, want, d, mine, st)
}

// compareTags is checkTags with the tags got already read.
func (w *crashWorker) compareTags(t *testing.T, family, arn string, got, want map[string]string, d *crashOp, mine func(*crashOp) bool, st *crashStats) map[string]string {
	t.Helper()
	if d != nil && mine(d) {
		merged := maps.Clone(want)
		maps.Copy(merged, d.tags)
		switch {
		case maps.Equal(got, merged) && !maps.Equal(got, want):
			st.doubtCommitted++
			return got
		case maps.Equal(got, want):
			st.doubtUncommitted++
			return got
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("worker %d: tags of %s are %v, acknowledged %v", w.n, arn, got, want)
		w.lose(family)
	}
	return got
}

// crashListTemplates lists every environment template of the caller, by
// name.
func crashListTemplates(ctx context.Context, t *testing.T, cl *proton.Client) map[string]types.EnvironmentTemplateSummary {
	t.Helper()
	out := map[string]types.EnvironmentTemplateSummary{}
	p := proton.NewListEnvironmentTemplatesPaginator(cl, &proton.ListEnvironmentTemplatesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("list templates: %v", err)
		}
		for _, s := range page.Templates {
			out[aws.ToString(s.Name)] = s
		}
	}
	return out
}

// crashListEnvs lists every environment of the caller, by name.
func crashListEnvs(ctx context.Context, t *testing.T, cl *proton.Client) map[string]types.EnvironmentSummary {
	t.Helper()
	out := map[string]types.EnvironmentSummary{}
	p := proton.NewListEnvironmentsPaginator(cl, &proton.ListEnvironmentsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("list environments: %v", err)
		}
		for _, s := range page.Environments {
			out[aws.ToString(s.Name)] = s
		}
	}
	return out
}

// settlePlatform waits, after the last kill, until every deployment and
// registration of w's ledger has ended: the ones a kill interrupted must
// be taken over by the restarted server. It returns how many it waited for.
func (w *crashWorker) settlePlatform(t *testing.T, within time.Duration) int {
	t.Helper()
	return w.settle(t, within, func(ctx context.Context) []string {
		pending := []string{}
		for _, tp := range w.templates {
			for _, v := range tp.versions {
				out, err := w.cm.GetEnvironmentTemplateVersion(ctx, &proton.GetEnvironmentTemplateVersionInput{
					TemplateName: aws.String(tp.name), MajorVersion: aws.String(v.major), MinorVersion: aws.String(v.minor)})
				if err != nil {
					t.Fatalf("worker %d: read version %s: %v", w.n, v.key(), err)
				}
				if out.EnvironmentTemplateVersion.Status == types.TemplateVersionStatusRegistrationInProgress {
					pending = append(pending, "registration of "+v.key())
				}
			}
		}
		for _, e := range w.envs {
			out, err := w.cm.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String(e.name)})
			if code, _ := connErr(err); code == "ResourceNotFoundException" && e.deleting {
				continue
			}
			if err != nil {
				t.Fatalf("worker %d: read environment %s: %v", w.n, e.name, err)
			}
			switch out.Environment.DeploymentStatus {
			case types.DeploymentStatusInProgress, types.DeploymentStatusDeleteInProgress:
				pending = append(pending, "deployment "+aws.ToString(out.Environment.LastAttemptedDeploymentId)+" of "+e.name)
			case types.DeploymentStatusSucceeded:
			default:
				t.Errorf("worker %d: environment %s ended %s: %s", w.n, e.name, out.Environment.DeploymentStatus, aws.ToString(out.Environment.DeploymentStatusMessage))
			}
		}
		return pending
	})
}

// settle polls what is in flight (pending names it) until nothing is, for
// at most within, and returns how many things it waited for.
func (w *crashWorker) settle(t *testing.T, within time.Duration, pending func(ctx context.Context) []string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within+30*time.Second)
	defer cancel()
	deadline := time.Now().Add(within)
	waited := map[string]bool{}
	for {
		now := pending(ctx)
		for _, p := range now {
			waited[p] = true
		}
		if len(now) == 0 {
			return len(waited)
		}
		if time.Now().After(deadline) {
			t.Errorf("worker %d: still in flight %s after the last restart: %v", w.n, within, now)
			return len(waited)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
