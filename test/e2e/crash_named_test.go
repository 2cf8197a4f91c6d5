package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// The crash harness's ledger of the families whose resources are named
// in their account and written the same four ways, services and
// components: created, described, tagged and deleted, each write's
// acknowledged answer recorded, at most one in doubt.

// crashNamed is the ledger entry of one service or component.
type crashNamed struct {
	name, arn   string
	description string            // as last acknowledged (or verified)
	tags        map[string]string // as last acknowledged (or verified)
	deleting    bool              // its delete was acknowledged
}

// crashSeen is a named resource as the restarted server lists it.
type crashSeen struct {
	arn      string
	status   string // its status, for messages
	deleting bool   // its delete is in progress
	// description is the listed description; nil when the list does not
	// carry it (crashNamedFamily.describe reads it).
	description *string
}

// crashNamedFamily is what verifyNamed needs of one family.
type crashNamedFamily struct {
	noun    string // "service"
	prefix  string // of its write kinds: "svc" for svc-create...
	fam     string // its family in the crash figures (famServices...)
	entries *[]*crashNamed
	// list returns every resource of the family in the worker's account.
	list func(ctx context.Context) (map[string]crashSeen, error)
	// created is the name and description of the resource a create in
	// doubt asked for.
	created func(op *crashOp) (name, description string)
	// describe reads the description of a resource whose listing does not
	// carry it.
	describe func(ctx context.Context, name string) (string, error)
}

// writeOf is the write an op of a named family makes: create, update, tag
// or delete.
func writeOf(op *crashOp) string {
	_, w, _ := strings.Cut(op.kind, "-")
	return w
}

// namedWrites are the update, tag and delete writes of the entries not
// being deleted, whose number is live.
func (w *crashWorker) namedWrites(entries []*crashNamed, prefix string) (choices []*crashOp, live int) {
	for _, e := range entries {
		if e.deleting {
			continue
		}
		live++
		choices = append(choices, &crashOp{kind: prefix + "-update", named: e, description: fmt.Sprintf("d%d", w.seq)},
			&crashOp{kind: prefix + "-tag", named: e, tags: w.randomTags(1 + w.rng.IntN(2))}, &crashOp{kind: prefix + "-delete", named: e})
	}
	return choices, live
}

// recordNamed applies the acknowledged write op to the entries of its
// family; name, arn and description are what a create answered.
func recordNamed(entries *[]*crashNamed, op *crashOp, name, arn, description string) {
	switch writeOf(op) {
	case "create":
		*entries = append(*entries, &crashNamed{name: name, arn: arn, description: description, tags: maps.Clone(op.tags)})
	case "update":
		op.named.description = op.description
	case "tag":
		maps.Copy(op.named.tags, op.tags)
	case "delete":
		op.named.deleting = true
	}
}

// verifyNamed checks the entries of family f against a restarted server:
// every acknowledged resource is there as answered (or as a write in doubt
// left it, whole), or gone after an acknowledged delete; nothing else
// exists.
func (w *crashWorker) verifyNamed(t *testing.T, st *crashStats, f crashNamedFamily) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	doubt := func(write string, e *crashNamed) *crashOp {
		if d := w.doubt; d != nil && d.kind == f.prefix+"-"+write && (e == nil || d.named == e) {
			return d
		}
		return nil
	}
	settle := st.settled
	listed, err := f.list(ctx)
	if err != nil {
		t.Fatalf("worker %d: list %ss: %v", w.n, f.noun, err)
	}
	if d := doubt("create", nil); d != nil {
		name, description := f.created(d)
		seen, made := listed[name]
		settle(made)
		if made {
			*f.entries = append(*f.entries, &crashNamed{name: name, arn: seen.arn, description: description, tags: maps.Clone(d.tags)})
		}
	}
	for _, e := range slices.Clone(*f.entries) {
		seen, ok := listed[e.name]
		del := doubt("delete", e)
		if !ok {
			if del != nil {
				settle(true)
			}
			if !e.deleting && del == nil {
				t.Errorf("worker %d: %s %s is gone after the restart, with no delete acknowledged", w.n, f.noun, e.name)
				w.lose(f.fam)
			}
			*f.entries = slices.DeleteFunc(*f.entries, func(x *crashNamed) bool { return x == e })
			continue
		}
		delete(listed, e.name)
		switch {
		case del != nil && seen.deleting:
			settle(true)
			e.deleting = true
		case del != nil:
			settle(false)
		case e.deleting && !seen.deleting:
			t.Errorf("worker %d: %s %s is %s after its delete was acknowledged", w.n, f.noun, e.name, seen.status)
			w.lose(f.fam)
		}
		var got string
		if seen.description != nil {
			got = *seen.description
		} else {
			got, err = f.describe(ctx, e.name)
			if code, _ := connErr(err); e.deleting && code == "ResourceNotFoundException" {
				continue // its delete completed during the check; the next check finds it gone
			}
			if err != nil {
				t.Fatalf("worker %d: read %s %s: %v", w.n, f.noun, e.name, err)
			}
		}
		switch d := doubt("update", e); {
		case got == e.description:
			if d != nil && got != d.description {
				settle(false)
			}
		case d != nil && got == d.description:
			settle(true)
			e.description = got
		default:
			t.Errorf("worker %d: %s %s has description %q, acknowledged %q", w.n, f.noun, e.name, got, e.description)
			w.lose(f.fam)
		}
		tags, err := crashTags(ctx, w.svcs.cl, e.arn)
		if code, _ := connErr(err); e.deleting && code == "ResourceNotFoundException" {
			continue // its delete completed during the check; the next check finds it gone
		}
		if err != nil {
			t.Fatalf("worker %d: tags of %s: %v", w.n, e.arn, err)
		}
		e.tags = w.compareTags(t, f.fam, e.arn, tags, e.tags, doubt("tag", e), func(*crashOp) bool { return true }, st)
		st.platformChecked++
	}
	for name := range listed {
		t.Errorf("worker %d: %s %s exists, the ledger does not know it", w.n, f.noun, name)
		w.lose(f.fam)
	}
}
