package e2e

import (
	"context"
	"fmt"
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

// nextComponent picks the next component write at random among those the
// ledger allows; a delete needs the component's deployment ended, which it
// reads first.
func (w *crashWorker) nextComponent(t *testing.T) (op *crashOp, answered bool) {
	w.seq++
	choices, live := w.namedWrites(w.comps, "comp")
	if live < crashMaxComponents {
		tags := w.randomTags(w.rng.IntN(3))
		in := &proton.CreateComponentInput{Name: aws.String(fmt.Sprintf("w%dc%d", w.n, w.seq)), EnvironmentName: aws.String(crashSvcEnv),
			Manifest: aws.String(compCFNManifest), TemplateFile: aws.String(crashComponentCFN), Description: aws.String(fmt.Sprintf("d%d", w.seq)),
			Tags: crashTagList(tags)}
		choices = append(choices, &crashOp{kind: "comp-create", compCreate: in, tags: tags}, &crashOp{kind: "comp-create", compCreate: in, tags: tags})
	}
	op = choices[w.rng.IntN(len(choices))]
	if op.kind != "comp-delete" {
		return op, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := w.svcs.cl.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String(op.named.name)})
	if err != nil {
		return nil, w.readFailed(t, "read component "+op.named.name, err)
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
		if o, err = cl.UpdateComponent(ctx, &proton.UpdateComponentInput{Name: aws.String(op.named.name), DeploymentType: types.ComponentDeploymentUpdateTypeNone,
			Description: aws.String(op.description)}); err == nil {
			c = o.Component
		}
	case "comp-tag":
		_, err = cl.TagResource(ctx, &proton.TagResourceInput{ResourceArn: aws.String(op.named.arn), Tags: crashTagList(op.tags)})
	case "comp-delete":
		var o *proton.DeleteComponentOutput
		if o, err = cl.DeleteComponent(ctx, &proton.DeleteComponentInput{Name: aws.String(op.named.name)}); err == nil {
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
		recordNamed(&w.comps, op, aws.ToString(c.Name), aws.ToString(c.Arn), aws.ToString(c.Description))
	case "comp-update":
		if c == nil || aws.ToString(c.Description) != op.description {
			bad()
			return true
		}
		recordNamed(&w.comps, op, "", "", "")
	case "comp-delete":
		if c == nil || c.DeploymentStatus != types.DeploymentStatusDeleteInProgress {
			bad()
			return true
		}
		recordNamed(&w.comps, op, "", "", "")
	default:
		recordNamed(&w.comps, op, "", "", "")
	}
	return true
}

// verifyComponents checks the components of w's ledger against a restarted
// server: every acknowledged component is there as answered (or as a write
// in doubt left it, whole), or gone after an acknowledged delete; nothing
// else exists.
func (w *crashWorker) verifyComponents(t *testing.T, st *crashStats) {
	t.Helper()
	w.verifyNamed(t, st, crashNamedFamily{noun: "component", prefix: "comp", fam: famComponents, entries: &w.comps,
		list: func(ctx context.Context) (map[string]crashSeen, error) {
			listed := map[string]crashSeen{}
			p := proton.NewListComponentsPaginator(w.svcs.cl, &proton.ListComponentsInput{})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, err
				}
				for _, c := range page.Components {
					listed[aws.ToString(c.Name)] = crashSeen{arn: aws.ToString(c.Arn), status: string(c.DeploymentStatus),
						deleting: c.DeploymentStatus == types.DeploymentStatusDeleteInProgress}
				}
			}
			return listed, nil
		},
		created: func(op *crashOp) (string, string) {
			return aws.ToString(op.compCreate.Name), aws.ToString(op.compCreate.Description)
		},
		describe: func(ctx context.Context, name string) (string, error) {
			out, err := w.svcs.cl.GetComponent(ctx, &proton.GetComponentInput{Name: aws.String(name)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Component.Description), nil
		}})
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
