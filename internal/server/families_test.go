package server

import (
	"slices"
	"testing"

	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/handlers"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store/sqlstore"
)

// TestFamilyDeclarations checks each family's declaration against what
// implements it: the handlers implement exactly the operations the families
// declare, each declared once; the domain and the store declare the same ARN
// resource types; and a type whose resources take tags has both a tag owner
// and a store statement that finds one (and one that lists them all).
func TestFamilyDeclarations(t *testing.T) {
	declared := map[string]string{}
	domain := map[string]family.Resource{}
	for _, f := range (&handlers.Service{}).Families() {
		for _, op := range f.Operations {
			if other, ok := declared[op]; ok {
				t.Errorf("operation %s is declared by the families %s and %s", op, other, f.Name)
			}
			if _, ok := api.LookupOperation(op); !ok {
				t.Errorf("family %s declares %s, which is no operation of the API", f.Name, op)
			}
			declared[op] = f.Name
		}
		for _, r := range f.Resources {
			if _, ok := domain[r.Type]; ok {
				t.Errorf("ARN resource type %s is declared twice", r.Type)
			}
			domain[r.Type] = r
		}
	}
	implemented := handlers.Implemented()
	if len(implemented) == 0 {
		t.Fatal("no operation is implemented: the probe is broken")
	}
	for _, op := range implemented {
		if declared[op] == "" {
			t.Errorf("operation %s is implemented, but no family declares it", op)
		}
	}
	for op, f := range declared {
		if !slices.Contains(implemented, op) {
			t.Errorf("family %s declares %s, which the handlers do not implement", f, op)
		}
	}

	stored := map[string]sqlstore.Resource{}
	for _, f := range sqlstore.Families() {
		for _, r := range f.Resources {
			if _, ok := stored[r.Type]; ok {
				t.Errorf("the store declares ARN resource type %s twice", r.Type)
			}
			stored[r.Type] = r
			if (r.Find == nil) != (r.List == "") {
				t.Errorf("the store declares ARN resource type %s with a statement that finds one but none that lists them, or the other way round", r.Type)
			}
		}
	}
	for typ, r := range domain {
		s, ok := stored[typ]
		switch {
		case !ok:
			t.Errorf("ARN resource type %s has no declaration in the store (sqlstore)", typ)
		case r.TagOwner != nil && s.Find == nil:
			t.Errorf("ARN resource type %s takes tags, but the store has no statement that finds one (Resource.Find)", typ)
		case r.TagOwner == nil && s.Find != nil:
			t.Errorf("the store finds resources of type %s for tag writes, but no family declares a tag owner for them", typ)
		}
	}
	for typ := range stored {
		if _, ok := domain[typ]; !ok {
			t.Errorf("the store declares ARN resource type %s, which no family declares", typ)
		}
	}
}
