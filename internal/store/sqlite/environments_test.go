package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/storetest"
)

func TestEnvironmentsConformance(t *testing.T) {
	storetest.RunEnvironments(t, storetest.EnvironmentsHarness{
		Open: func(t *testing.T) store.Store {
			return openFile(t, filepath.Join(t.TempDir(), "openproton.db"))
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			path := s.(*Store).path
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return openFile(t, path)
		},
	})
}
