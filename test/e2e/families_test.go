package e2e

import (
	"slices"
	"testing"

	"github.com/openproton/openproton/internal/handlers"
)

// e2eFamily is what the end-to-end tests declare of one resource family of
// the server (family.Family.Name): its rows of the isolation matrix, its
// race scenarios, and the kinds of its writes in the crash harness's load
// (crashOp.kind).
type e2eFamily struct {
	name  string
	rows  func() []isoRow
	races []raceScenario
	crash []string
}

// e2eFamilies declares every family of the server, in the order of the
// matrix's rows, the races and the crash figures. TestFamilyDeclarations
// fails when one is missing or incomplete.
var e2eFamilies = []e2eFamily{
	{name: "connections", rows: isoConnRows, races: raceConnections,
		crash: []string{"create", "accept", "reject", "update", "tag", "untag", "delete"}},
	{name: "templates", rows: isoTemplateRows, races: raceTemplates, crash: []string{"template-create", "template-update",
		"template-tag", "template-delete", "version-create", "version-update", "version-publish", "version-delete"}},
	// The crash load deletes an environment's old deployments through the
	// environment's ledger, and counts them with it.
	{name: "environments", rows: isoEnvRows, races: raceEnvironments,
		crash: []string{"env-create", "env-update", "env-tag", "env-delete", "deployment-delete"}},
	{name: "services", rows: isoSvcRows, races: raceServices, crash: []string{"svc-create", "svc-update", "svc-tag", "svc-delete"}},
	{name: "components", rows: isoCompRows, races: raceComponents, crash: []string{"comp-create", "comp-update", "comp-tag", "comp-delete"}},
	{name: "deployments", rows: isoDeploymentRows},
	{name: "account", rows: isoAccountRows},
	// The tagging operations have rows on each taggable resource type, in
	// the rows of the family that declares it.
	{name: "tagging"},
}

// TestFamilyDeclarations fails when the end-to-end declaration of a family
// is missing or incomplete: every family of the server has one, and only
// those; every operation a family declares has a row of the isolation
// matrix among the family's rows; every ARN resource type whose resources
// take tags has a row of each tagging operation on it, among the rows of the
// family that declares the type; and each kind of crash write belongs to
// one family.
func TestFamilyDeclarations(t *testing.T) {
	t.Parallel()
	declared := map[string]e2eFamily{}
	for _, f := range e2eFamilies {
		if _, dup := declared[f.name]; dup {
			t.Errorf("family %s is declared twice in e2eFamilies", f.name)
		}
		declared[f.name] = f
	}
	server := (&handlers.Service{}).Families()
	var taggingOps []string
	for _, f := range server {
		if f.Name == "tagging" {
			taggingOps = f.Operations
		}
	}
	if len(taggingOps) == 0 {
		t.Fatal("the server has no tagging family")
	}
	for _, f := range server {
		e, ok := declared[f.Name]
		if !ok {
			t.Errorf("family %s has no declaration in the end-to-end tests (e2eFamilies)", f.Name)
			continue
		}
		delete(declared, f.Name)
		var rows []isoRow
		if e.rows != nil {
			rows = e.rows()
		}
		has := func(op, tags string) bool {
			return slices.ContainsFunc(rows, func(r isoRow) bool { return r.op == op && (tags == "" || r.tags == tags) })
		}
		for _, op := range f.Operations {
			if f.Name != "tagging" && !has(op, "") {
				t.Errorf("operation %s of family %s has no row in the isolation matrix (the family's rows in e2eFamilies)", op, f.Name)
			}
		}
		for _, r := range f.Resources {
			for _, op := range taggingOps {
				if r.TagOwner != nil && !has(op, r.Type) {
					t.Errorf("resources of type %s take tags, but family %s has no isolation row of %s on one", r.Type, f.Name, op)
				}
			}
		}
	}
	for name := range declared {
		t.Errorf("e2eFamilies declares %s, which is no family of the server", name)
	}
	kinds := map[string]string{}
	for _, f := range e2eFamilies {
		for _, k := range f.crash {
			if other, ok := kinds[k]; ok {
				t.Errorf("crash writes of kind %s are declared by %s and %s", k, other, f.name)
			}
			kinds[k] = f.name
		}
	}
	for _, f := range []string{famConnections, famTemplates, famEnvironments, famServices, famComponents} {
		if !slices.Contains(crashFamilies(), f) {
			t.Errorf("the crash ledger counts writes of family %s, which declares none", f)
		}
	}
}
