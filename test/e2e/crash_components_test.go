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

// The crash harness's load of components: detached components in each
// worker's services environment (crashSvcEnv, which setupServices gives a
// component role), deployed by the server's workers; the load creates
// them, changes their descriptions, tags and deletes them, with the rules
// of the other families: one call at a time, every acknowledged answer
// recorded, at most one call in doubt.

const (
	crashMaxComponents = 2
	crashComponentCFN  = "Resources: {}\nOutputs:\n  Name:\n    Value: '{{ component.name }}'\n"
)

// crashComponent is the ledger entry of one component.
type crashComponent struct {
	name, arn   string
	description string            // as last acknowledged (or verified)
	tags        map[string]string // as last acknowledged (or verified)
	deleting    bool              // its DeleteComponent was acknowledged
}

// nextComponent picks the next component write at random among those the
// ledger allows; a delete needs the component's deployment ended, which it
// reads first.
func (w *crashWorker) nextComponent(t *testing.T) (op *crashOp, answered bool) {
	w.seq++
	var choices []*crashOp
	live := 0
	for _, c := range w.comps {
		if !c.deleting {
			live++
		}
	}
	if live < crashMaxComponents {
		tags := w.randomTags(w.rng.IntN(3))
		in := &proton.CreateComponentInput{Name: aws.String(fmt.Sprintf("w%dc%d", w.n, w.seq)), EnvironmentName: aws.String(crashSvcEnv),
			Manifest: aws.String(compCFNManifest), TemplateFile: aws.String(crashComponentCFN), Description: aws.String(fmt.Sprintf("d%d", w.seq)),
			Tags: crashTagList(tags)}
		choices = append(choices, &crashOp{kind: "comp-create", compCreate: in, tags: tags}, &crashOp{kind: "comp-create", compCreate: in, tags: tags})
	}
	for _, c := range w.comps {
		if c.deleting {
			continue
		}
		choices = append(choices, &crashOp{kind: "comp-update", comp: c, description: fmt.Sprintf("d%d", w.seq)},
			&crashOp{kind: "comp-tag", comp: c, tags: w.randomTags(1 + w.rng.IntN(2))}, &crashOp{kind: "comp-delete", comp: c})
	}
	op = choices[w.rng.IntN(len(choices))]
	if op.kind != "comp-delete" {
		return op, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := w.svcs.cl.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String(op.comp.name)})
	if err != nil {
		return nil, w.readFailed(t, "read component "+op.comp.name, err)
	}
	if !raceTerminal(out.Component.DeploymentStatus) {
		return nil, true
	}
	return op, true
}

// sendComponent makes one component write and applies an acknowledged
// answer to the ledger; it returns false when the call got no answer.
func (w *crashWorker) sendComponent(t *testing.T, op *crashOp) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl := w.svcs.cl
	var (
		c   *types.Component
		err error
	)
	switch op.kind {
	case "comp-create":
		var o *proton.CreateComponentOutput
		if o, err = cl.CreateComponent(ctx, op.compCreate); err == nil {
			c = o.Component
		}
	case "comp-update":
		var o *proton.UpdateComponentOutput
		if o, err = cl.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String(op.comp.name), DeploymentType: types.ComponentDeploymentUpdateTypeNone,
			Description: aws.String(op.description)}); err == nil {
			c = o.Component
		}
	case "comp-tag":
		_, err = cl.TagResource(ctx, &proton.TagResourceInput{ResourceArn: aws.String(op.comp.arn), Tags: crashTagList(op.tags)})
	case "comp-delete":
		var o *proton.DeleteComponentOutput
		if o, err = cl.DeleteComponent(ctx, &proton.DeleteComponentInput{Name: aws.String(op.comp.name)}); err == nil {
			c = o.Component
		}
	}
	if err != nil {
		if code, status := connErr(err); code != "" || status >= 500 {
			t.Errorf("worker %d: %s answered %d %s: %v", w.n, op, status, code, err)
			return true
		}
		return false
	}
	w.acks[op.kind]++
	bad := func() { t.Errorf("worker %d: %s answered %s", w.n, op, isoJSON(c)) }
	switch op.kind {
	case "comp-create":
		if c == nil || aws.ToString(c.Name) != aws.ToString(op.compCreate.Name) || c.DeploymentStatus != types.DeploymentStatusInProgress {
			bad()
			return true
		}
		w.comps = append(w.comps, &crashComponent{name: aws.ToString(c.Name), arn: aws.ToString(c.Arn),
			description: aws.ToString(c.Description), tags: maps.Clone(op.tags)})
	case "comp-update":
		if c == nil || aws.ToString(c.Description) != op.description {
			bad()
			return true
		}
		op.comp.description = op.description
	case "comp-tag":
		maps.Copy(op.comp.tags, op.tags)
	case "comp-delete":
		if c == nil || c.DeploymentStatus != types.DeploymentStatusDeleteInProgress {
			bad()
			return true
		}
		op.comp.deleting = true
	}
	return true
}

// verifyComponents checks the components of w's ledger against a restarted
// server: every acknowledged component is there as answered (or as a write
// in doubt left it, whole), or gone after an acknowledged delete; nothing
// else exists.
func (w *crashWorker) verifyComponents(t *testing.T, st *crashStats) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	doubt := func(kind string, c *crashComponent) *crashOp {
		if d := w.doubt; d != nil && d.kind == kind && (c == nil || d.comp == c) {
			return d
		}
		return nil
	}
	settle := st.settled
	listed := map[string]types.ComponentSummary{}
	p := proton.NewListComponentsPaginator(w.svcs.cl, &proton.ListComponentsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("worker %d: list components: %v", w.n, err)
		}
		for _, c := range page.Components {
			listed[aws.ToString(c.Name)] = c
		}
	}
	if d := doubt("comp-create", nil); d != nil {
		name := aws.ToString(d.compCreate.Name)
		c, made := listed[name]
		settle(made)
		if made {
			w.comps = append(w.comps, &crashComponent{name: name, arn: aws.ToString(c.Arn), description: aws.ToString(d.compCreate.Description),
				tags: maps.Clone(d.tags)})
		}
	}
	for _, c := range slices.Clone(w.comps) {
		sum, ok := listed[c.name]
		del := doubt("comp-delete", c)
		if !ok {
			if del != nil {
				settle(true)
			}
			if !c.deleting && del == nil {
				t.Errorf("worker %d: component %s is gone after the restart, with no delete acknowledged", w.n, c.name)
				w.lose(famComponents)
			}
			w.comps = slices.DeleteFunc(w.comps, func(x *crashComponent) bool { return x == c })
			continue
		}
		delete(listed, c.name)
		switch {
		case del != nil && sum.DeploymentStatus == types.DeploymentStatusDeleteInProgress:
			settle(true)
			c.deleting = true
		case del != nil:
			settle(false)
		case c.deleting && sum.DeploymentStatus != types.DeploymentStatusDeleteInProgress:
			t.Errorf("worker %d: component %s is %s after its delete was acknowledged", w.n, c.name, sum.DeploymentStatus)
			w.lose(famComponents)
		}
		full, err := w.svcs.cl.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String(c.name)})
		if code, _ := connErr(err); c.deleting && code == "ResourceNotFoundException" {
			continue // its delete completed during the check; the next check finds it gone
		}
		if err != nil {
			t.Fatalf("worker %d: read component %s: %v", w.n, c.name, err)
		}
		got := aws.ToString(full.Component.Description)
		switch d := doubt("comp-update", c); {
		case got == c.description:
			if d != nil && got != d.description {
				settle(false)
			}
		case d != nil && got == d.description:
			settle(true)
			c.description = got
		default:
			t.Errorf("worker %d: component %s has description %q, acknowledged %q", w.n, c.name, got, c.description)
			w.lose(famComponents)
		}
		tags, err := crashTags(ctx, w.svcs.cl, c.arn)
		if code, _ := connErr(err); c.deleting && code == "ResourceNotFoundException" {
			continue
		}
		if err != nil {
			t.Fatalf("worker %d: tags of %s: %v", w.n, c.arn, err)
		}
		c.tags = w.compareTags(t, famComponents, c.arn, tags, c.tags, doubt("comp-tag", c), func(*crashOp) bool { return true }, st)
		st.platformChecked++
	}
	for name := range listed {
		t.Errorf("worker %d: component %s exists, the ledger does not know it", w.n, name)
		w.lose(famComponents)
	}
}

// settleComponents waits until no component of the ledger has a
// deployment in flight: each ends SUCCEEDED, or gone after its delete. It
// returns how many it waited for.
func (w *crashWorker) settleComponents(t *testing.T, within time.Duration) int {
	t.Helper()
	return w.settle(t, within, func(ctx context.Context) []string {
		var pending []string
		for _, c := range w.comps {
			out, err := w.svcs.cl.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String(c.name)})
			if code, _ := connErr(err); code == "ResourceNotFoundException" && c.deleting {
				continue
			}
			if err != nil {
				t.Fatalf("worker %d: read component %s: %v", w.n, c.name, err)
			}
			switch st := out.Component.DeploymentStatus; st {
			case types.DeploymentStatusInProgress, types.DeploymentStatusDeleteInProgress:
				pending = append(pending, "component "+c.name+" "+string(st))
			case types.DeploymentStatusSucceeded:
			default:
				t.Errorf("worker %d: component %s ended %s: %s", w.n, c.name, st, aws.ToString(out.Component.DeploymentStatusMessage))
			}
		}
		return pending
	})
}
