package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// The crash harness's load of the platform families: each worker's
// management account M writes environment templates, their versions,
// environments and (through them) deployments, and keeps them in its ledger
// next to its connections. The rules are those of the connections: one call
// at a time, every acknowledged answer recorded, at most one call in doubt.

// The crash server's bundle: every version registers the sample environment
// bundle from the bundle directory.
const (
	crashBucket    = "crash"
	crashBundleKey = "env.tar.gz"
	// At most this many live templates, versions per template and
	// environments per worker, so that every restart re-reads a bounded
	// ledger.
	crashMaxTemplates = 2
	crashMaxVersions  = 3
	crashMaxEnvs      = 2
)

// The families of the crash load that its ledger names: each declares the
// kinds of its writes (e2eFamilies).
const (
	famConnections  = "connections"
	famTemplates    = "templates"    // templates and template versions
	famEnvironments = "environments" // environments and their deployments
	famServices     = "services"     // services (and, through them, their instances and pipelines)
	famComponents   = "components"   // detached components
)

// crashFamilies are the families whose writes make the crash load, as the
// figures name them, in their order in e2eFamilies.
func crashFamilies() []string {
	var out []string
	for _, f := range e2eFamilies {
		if len(f.crash) > 0 {
			out = append(out, f.name)
		}
	}
	return out
}

// crashFamily is the family that declares writes of kind, or "".
func crashFamily(kind string) string {
	for _, f := range e2eFamilies {
		if slices.Contains(f.crash, kind) {
			return f.name
		}
	}
	return ""
}

// crashTemplate is the ledger entry of one environment template.
type crashTemplate struct {
	name, arn   string
	create      *proton.CreateEnvironmentTemplateInput
	description string            // as last acknowledged (or verified)
	tags        map[string]string // as last acknowledged (or verified)
	versions    []*crashVersion   // live, in creation order
}

// crashVersion is the ledger entry of one template version.
type crashVersion struct {
	tpl          *crashTemplate
	major, minor string
	create       *proton.CreateEnvironmentTemplateVersionInput // replayed with its client token
	description  string
	status       types.TemplateVersionStatus // as last acknowledged or seen
	round        int                         // the round its create was acknowledged in
}

func (v *crashVersion) key() string { return v.tpl.name + ":" + v.major + "." + v.minor }

// crashEnv is the ledger entry of one environment.
type crashEnv struct {
	name, arn   string
	tpl         *crashTemplate
	major       string
	spec        string // of the last acknowledged deployment
	tags        map[string]string
	deployments []*crashDeployment // acknowledged and not deleted, oldest first
	deleting    bool               // its DeleteEnvironment was acknowledged
}

// crashDeployment is the ledger entry of one deployment.
type crashDeployment struct {
	id     string
	spec   string // the spec it deploys ("" for a delete)
	delete bool
}

func (e *crashEnv) last() *crashDeployment { return e.deployments[len(e.deployments)-1] }

// crashSpec is the spec of an environment of the sample bundle, with a
// value of its own.
func crashSpec(n int) string {
	return fmt.Sprintf("proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.%d.%d.0/24\"\n", n/250%250, n%250)
}

// nextPlatform picks the next write of the platform families at random
// among those the ledger allows. Some need the server's current state
// first (a version's registration, an environment's deployment): it reads
// it, and returns no write when there is nothing to do yet. answered is
// false when a read got no answer (the server died under it).
func (w *crashWorker) nextPlatform(t *testing.T) (op *crashOp, answered bool) {
	w.seq++
	var choices []*crashOp
	add := func(n int, op *crashOp) {
		for range n {
			choices = append(choices, op)
		}
	}
	if len(w.templates) < crashMaxTemplates {
		name := fmt.Sprintf("w%dt%d", w.n, w.seq)
		tags := w.randomTags(w.rng.IntN(3))
		in := &proton.CreateEnvironmentTemplateInput{Name: aws.String(name), Description: aws.String(fmt.Sprintf("d%d", w.seq)), Tags: crashTagList(tags)}
		add(2, &crashOp{kind: "template-create", tplCreate: in, tags: tags})
	}
	published := []*crashVersion{}
	for _, tp := range w.templates {
		add(1, &crashOp{kind: "template-update", tpl: tp, description: fmt.Sprintf("d%d", w.seq)})
		add(1, &crashOp{kind: "template-tag", tpl: tp, tags: w.randomTags(1 + w.rng.IntN(2))})
		if len(tp.versions) == 0 && !w.envsOn(tp, "") {
			add(1, &crashOp{kind: "template-delete", tpl: tp})
		}
		if len(tp.versions) < crashMaxVersions {
			in := &proton.CreateEnvironmentTemplateVersionInput{
				TemplateName: aws.String(tp.name), Description: aws.String(fmt.Sprintf("v%d", w.seq)),
				ClientToken: aws.String(fmt.Sprintf("crash-%s-%d", w.mgmt, w.seq)),
				Source:      &types.TemplateVersionSourceInputMemberS3{Value: types.S3ObjectSource{Bucket: aws.String(crashBucket), Key: aws.String(crashBundleKey)}},
			}
			add(2, &crashOp{kind: "version-create", tpl: tp, verCreate: in})
		}
		for _, v := range tp.versions {
			add(1, &crashOp{kind: "version-update", tpl: tp, ver: v, description: fmt.Sprintf("v%d", w.seq)})
			if !w.envsOn(tp, v.major) {
				add(1, &crashOp{kind: "version-delete", tpl: tp, ver: v})
			}
			switch v.status {
			case types.TemplateVersionStatusRegistrationInProgress, types.TemplateVersionStatusDraft:
				add(3, &crashOp{kind: "version-publish", tpl: tp, ver: v})
			case types.TemplateVersionStatusPublished:
				published = append(published, v)
			}
		}
	}
	if len(published) > 0 && len(w.envs) < crashMaxEnvs {
		v := published[w.rng.IntN(len(published))]
		tags := w.randomTags(w.rng.IntN(3))
		in := &proton.CreateEnvironmentInput{
			Name: aws.String(fmt.Sprintf("w%de%d", w.n, w.seq)), TemplateName: aws.String(v.tpl.name), TemplateMajorVersion: aws.String(v.major),
			Spec: aws.String(crashSpec(w.seq)), ProtonServiceRoleArn: connRole(w.mgmt, "crash"), Tags: crashTagList(tags),
		}
		add(3, &crashOp{kind: "env-create", tpl: v.tpl, ver: v, envCreate: in, tags: tags})
	}
	for _, e := range w.envs {
		if e.deleting {
			continue
		}
		add(3, &crashOp{kind: "env-update", env: e, spec: crashSpec(w.seq)})
		add(1, &crashOp{kind: "env-delete", env: e})
		add(1, &crashOp{kind: "env-tag", env: e, tags: w.randomTags(1 + w.rng.IntN(2))})
		// Deployments before the last two have ended and are neither the
		// last attempted nor the last succeeded one: they may be deleted.
		if n := len(e.deployments); n > 2 {
			add(1, &crashOp{kind: "deployment-delete", env: e, dep: e.deployments[w.rng.IntN(n-2)]})
		}
	}
	if len(choices) == 0 {
		return nil, true
	}
	op = choices[w.rng.IntN(len(choices))]
	switch op.kind {
	case "version-publish":
		return w.readyToPublish(t, op)
	case "env-update", "env-delete":
		return w.readyToDeploy(t, op)
	}
	return op, true
}

// envsOn reports whether an environment of the ledger (one being deleted
// included) runs on template tp (on its major version major, if given): a
// version an environment runs on cannot be deleted, nor a template with
// environments.
func (w *crashWorker) envsOn(tp *crashTemplate, major string) bool {
	for _, e := range w.envs {
		if e.tpl == tp && (major == "" || e.major == major) {
			return true
		}
	}
	return false
}

// readyToPublish reads op's version: it can be published once it has
// registered; until then there is nothing to do.
func (w *crashWorker) readyToPublish(t *testing.T, op *crashOp) (*crashOp, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := w.cm.GetEnvironmentTemplateVersion(ctx, &proton.GetEnvironmentTemplateVersionInput{
		TemplateName: aws.String(op.tpl.name), MajorVersion: aws.String(op.ver.major), MinorVersion: aws.String(op.ver.minor)})
	if err != nil {
		return nil, w.readFailed(t, "read version "+op.ver.key(), err)
	}
	st := out.EnvironmentTemplateVersion.Status
	if !crashVersionMayBe(op.ver.status, st) {
		t.Errorf("worker %d: version %s is %s, the ledger has %s", w.n, op.ver.key(), st, op.ver.status)
		w.lose(famTemplates)
		return nil, true
	}
	op.ver.status = st
	if st != types.TemplateVersionStatusDraft {
		return nil, true
	}
	return op, true
}

// readyToDeploy reads op's environment: it can be updated or deleted once
// its deployment has ended.
func (w *crashWorker) readyToDeploy(t *testing.T, op *crashOp) (*crashOp, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := w.cm.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String(op.env.name)})
	if err != nil {
		return nil, w.readFailed(t, "read environment "+op.env.name, err)
	}
	if got := aws.ToString(out.Environment.LastAttemptedDeploymentId); got != op.env.last().id {
		t.Errorf("worker %d: environment %s runs deployment %s, the ledger's last is %s", w.n, op.env.name, got, op.env.last().id)
		w.lose(famEnvironments)
		return nil, true
	}
	if out.Environment.DeploymentStatus != types.DeploymentStatusSucceeded {
		return nil, true
	}
	return op, true
}

// readFailed handles a read of the load that failed: no answer (the server
// died) stops the worker; any answer is a failure, since the ledger says
// the resource exists.
func (w *crashWorker) readFailed(t *testing.T, what string, err error) bool {
	code, status := connErr(err)
	if code == "" && status < 500 {
		return false
	}
	t.Errorf("worker %d: %s: %d %s: %v", w.n, what, status, code, err)
	return true
}

// lose counts an acknowledged write of family that the server lost.
func (w *crashWorker) lose(family string) { w.lost[family]++ }

// sendPlatform makes one write of the platform families and applies an
// acknowledged answer to the ledger; it returns false when the call got no
// answer.
func (w *crashWorker) sendPlatform(t *testing.T, op *crashOp) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var (
		tpl *types.EnvironmentTemplate
		ver *types.EnvironmentTemplateVersion
		env *types.Environment
		dep *types.Deployment
		err error
	)
	switch op.kind {
	case "template-create":
		var o *proton.CreateEnvironmentTemplateOutput
		if o, err = w.cm.CreateEnvironmentTemplate(ctx, op.tplCreate); err == nil {
			tpl = o.EnvironmentTemplate
		}
	case "template-update":
		var o *proton.UpdateEnvironmentTemplateOutput
		if o, err = w.cm.UpdateEnvironmentTemplate(ctx, &proton.UpdateEnvironmentTemplateInput{Name: aws.String(op.tpl.name), Description: aws.String(op.description)}); err == nil {
			tpl = o.EnvironmentTemplate
		}
	case "template-tag":
		_, err = w.cm.TagResource(ctx, &proton.TagResourceInput{ResourceArn: aws.String(op.tpl.arn), Tags: crashTagList(op.tags)})
	case "template-delete":
		var o *proton.DeleteEnvironmentTemplateOutput
		if o, err = w.cm.DeleteEnvironmentTemplate(ctx, &proton.DeleteEnvironmentTemplateInput{Name: aws.String(op.tpl.name)}); err == nil {
			tpl = o.EnvironmentTemplate
		}
	case "version-create":
		var o *proton.CreateEnvironmentTemplateVersionOutput
		if o, err = w.cm.CreateEnvironmentTemplateVersion(ctx, op.verCreate); err == nil {
			ver = o.EnvironmentTemplateVersion
		}
	case "version-update", "version-publish":
		in := &proton.UpdateEnvironmentTemplateVersionInput{TemplateName: aws.String(op.tpl.name), MajorVersion: aws.String(op.ver.major), MinorVersion: aws.String(op.ver.minor)}
		if op.kind == "version-update" {
			in.Description = aws.String(op.description)
		} else {
			in.Status = types.TemplateVersionStatusPublished
		}
		var o *proton.UpdateEnvironmentTemplateVersionOutput
		if o, err = w.cm.UpdateEnvironmentTemplateVersion(ctx, in); err == nil {
			ver = o.EnvironmentTemplateVersion
		}
	case "version-delete":
		var o *proton.DeleteEnvironmentTemplateVersionOutput
		if o, err = w.cm.DeleteEnvironmentTemplateVersion(ctx, &proton.DeleteEnvironmentTemplateVersionInput{
			TemplateName: aws.String(op.tpl.name), MajorVersion: aws.String(op.ver.major), MinorVersion: aws.String(op.ver.minor)}); err == nil {
			ver = o.EnvironmentTemplateVersion
		}
	case "env-create":
		var o *proton.CreateEnvironmentOutput
		if o, err = w.cm.CreateEnvironment(ctx, op.envCreate); err == nil {
			env = o.Environment
		}
	case "env-update":
		var o *proton.UpdateEnvironmentOutput
		if o, err = w.cm.UpdateEnvironment(ctx, &proton.UpdateEnvironmentInput{Name: aws.String(op.env.name),
			DeploymentType: types.DeploymentUpdateTypeCurrentVersion, Spec: aws.String(op.spec)}); err == nil {
			env = o.Environment
		}
	case "env-delete":
		var o *proton.DeleteEnvironmentOutput
		if o, err = w.cm.DeleteEnvironment(ctx, &proton.DeleteEnvironmentInput{Name: aws.String(op.env.name)}); err == nil {
			env = o.Environment
		}
	case "env-tag":
		_, err = w.cm.TagResource(ctx, &proton.TagResourceInput{ResourceArn: aws.String(op.env.arn), Tags: crashTagList(op.tags)})
	case "deployment-delete":
		var o *proton.DeleteDeploymentOutput
		if o, err = w.cm.DeleteDeployment(ctx, &proton.DeleteDeploymentInput{Id: aws.String(op.dep.id)}); err == nil {
			dep = o.Deployment
		}
	}
	if err != nil {
		code, status := connErr(err)
		switch {
		case op.kind == "version-delete" && code == "ConflictException":
			// The deletion rules of recommended versions, which the ledger
			// does not model: a refusal, which changes nothing (the next
			// verification finds the version as it was).
			w.refused++
			return true
		case code != "" || status >= 500:
			t.Errorf("worker %d: %s answered %d %s: %v", w.n, op, status, code, err)
			return true
		}
		return false
	}
	w.acks[op.kind]++
	w.applyPlatform(t, op, tpl, ver, env, dep)
	return true
}

// applyPlatform records an acknowledged write, checking that the answer is
// the one the ledger predicts.
func (w *crashWorker) applyPlatform(t *testing.T, op *crashOp, tpl *types.EnvironmentTemplate, ver *types.EnvironmentTemplateVersion, env *types.Environment, dep *types.Deployment) {
	bad := func(got any) { t.Errorf("worker %d: %s answered %+v", w.n, op, got) }
	switch op.kind {
	case "template-create":
		if tpl == nil || aws.ToString(tpl.Name) != aws.ToString(op.tplCreate.Name) || aws.ToString(tpl.Description) != aws.ToString(op.tplCreate.Description) {
			bad(tpl)
			return
		}
		w.templates = append(w.templates, &crashTemplate{name: aws.ToString(tpl.Name), arn: aws.ToString(tpl.Arn), create: op.tplCreate,
			description: aws.ToString(tpl.Description), tags: maps.Clone(op.tags)})
	case "template-update":
		if tpl == nil || aws.ToString(tpl.Description) != op.description {
			bad(tpl)
			return
		}
		op.tpl.description = op.description
	case "template-tag":
		maps.Copy(op.tpl.tags, op.tags)
	case "template-delete":
		if tpl == nil || aws.ToString(tpl.Name) != op.tpl.name {
			bad(tpl)
		}
		w.templates = slices.DeleteFunc(w.templates, func(x *crashTemplate) bool { return x == op.tpl })
	case "version-create":
		if ver == nil || aws.ToString(ver.TemplateName) != op.tpl.name || ver.Status != types.TemplateVersionStatusRegistrationInProgress {
			bad(ver)
			return
		}
		op.tpl.versions = append(op.tpl.versions, &crashVersion{tpl: op.tpl, major: aws.ToString(ver.MajorVersion), minor: aws.ToString(ver.MinorVersion),
			create: op.verCreate, description: aws.ToString(ver.Description), status: ver.Status, round: w.round})
	case "version-update":
		if ver == nil || aws.ToString(ver.Description) != op.description {
			bad(ver)
			return
		}
		op.ver.description, op.ver.status = op.description, ver.Status
	case "version-publish":
		if ver == nil || ver.Status != types.TemplateVersionStatusPublished {
			bad(ver)
			return
		}
		op.ver.status = ver.Status
	case "version-delete":
		op.tpl.versions = slices.DeleteFunc(op.tpl.versions, func(x *crashVersion) bool { return x == op.ver })
	case "env-create":
		if env == nil || aws.ToString(env.Name) != aws.ToString(op.envCreate.Name) || aws.ToString(env.Spec) != aws.ToString(op.envCreate.Spec) ||
			env.DeploymentStatus != types.DeploymentStatusInProgress || env.LastAttemptedDeploymentId == nil {
			bad(env)
			return
		}
		w.envs = append(w.envs, &crashEnv{name: aws.ToString(env.Name), arn: aws.ToString(env.Arn), tpl: op.tpl, major: aws.ToString(env.TemplateMajorVersion),
			spec: aws.ToString(env.Spec), tags: maps.Clone(op.tags),
			deployments: []*crashDeployment{{id: aws.ToString(env.LastAttemptedDeploymentId), spec: aws.ToString(env.Spec)}}})
	case "env-update":
		if env == nil || aws.ToString(env.Spec) != op.spec || env.DeploymentStatus != types.DeploymentStatusInProgress ||
			aws.ToString(env.LastAttemptedDeploymentId) == op.env.last().id {
			bad(env)
			return
		}
		op.env.spec = op.spec
		op.env.deployments = append(op.env.deployments, &crashDeployment{id: aws.ToString(env.LastAttemptedDeploymentId), spec: op.spec})
	case "env-delete":
		if env == nil || env.DeploymentStatus != types.DeploymentStatusDeleteInProgress || aws.ToString(env.LastAttemptedDeploymentId) == op.env.last().id {
			bad(env)
			return
		}
		op.env.deleting = true
		op.env.deployments = append(op.env.deployments, &crashDeployment{id: aws.ToString(env.LastAttemptedDeploymentId), delete: true})
	case "env-tag":
		maps.Copy(op.env.tags, op.tags)
	case "deployment-delete":
		if dep == nil || aws.ToString(dep.Id) != op.dep.id {
			bad(dep)
		}
		op.env.deployments = slices.DeleteFunc(op.env.deployments, func(x *crashDeployment) bool { return x == op.dep })
	}
}

// crashTagList is tags as the SDK sends them, ordered by key.
func crashTagList(tags map[string]string) []types.Tag {
	var out []types.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// crashVersionMayBe reports whether a version the ledger has in status was
// is allowed to be in status is now: registration moves on by itself (to
// DRAFT, or to REGISTRATION_FAILED when a registration was taken up too
// often after kills); nothing else changes without a write.
func crashVersionMayBe(was, is types.TemplateVersionStatus) bool {
	if was == types.TemplateVersionStatusRegistrationInProgress {
		return is == was || is == types.TemplateVersionStatusDraft || is == types.TemplateVersionStatusRegistrationFailed
	}
	return is == was
}
