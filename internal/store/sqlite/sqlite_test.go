package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/storetest"
)

func openFile(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

func TestFileStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Harness{
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

func TestMemoryStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) store.Store {
			s, err := OpenMemory(t.Context())
			if err != nil {
				t.Fatalf("OpenMemory: %v", err)
			}
			return s
		},
	})
}
