package postgres

import (
	"testing"

	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/storetest"
)

func TestEnvironmentsConformance(t *testing.T) {
	d := newTestDB(t)
	storetest.RunEnvironments(t, storetest.EnvironmentsHarness{
		Open: func(t *testing.T) store.Store { return d.open(t, d.newSchema(t)) },
		Reopen: func(t *testing.T, s store.Store) store.Store {
			ps := s.(*Store)
			if err := ps.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return d.open(t, ps.schema)
		},
	})
}
