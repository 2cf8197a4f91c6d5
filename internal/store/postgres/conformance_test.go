package postgres

import (
	"testing"

	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/storetest"
)

// TestConformance runs the shared store suite; every subtest gets a store on
// a schema of its own.
func TestConformance(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) store.Store {
			return d.open(t, d.newSchema(t))
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			ps, ok := s.(*Store)
			if !ok {
				t.Fatalf("Reopen: store is a %T, not a *postgres.Store", s)
			}
			if err := ps.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return d.open(t, ps.schema)
		},
	})
}
