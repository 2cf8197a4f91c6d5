package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"sync"
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

// migrated holds a database with every migration applied, as a file and
// as a memory image, made once per test binary: each subtest of the
// conformance suite starts from a copy, since migrating takes about a
// second under the race detector and the suite opens hundreds of stores.
// The migrations themselves have tests of their own.
var migrated struct {
	once  sync.Once
	file  []byte
	image []byte
	err   error
}

func migratedDB(t *testing.T) (file, image []byte) {
	t.Helper()
	migrated.once.Do(func() {
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "openproton-migrated-")
		if err != nil {
			migrated.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "openproton.db")
		f, err := Open(ctx, path)
		if err != nil {
			migrated.err = err
			return
		}
		if migrated.err = f.Close(); migrated.err != nil {
			return
		}
		if migrated.file, migrated.err = os.ReadFile(path); migrated.err != nil {
			return
		}
		m, err := OpenMemory(ctx)
		if err != nil {
			migrated.err = err
			return
		}
		defer m.Close()
		migrated.err = withConn(ctx, m.writer, func(c serializer) error {
			var err error
			migrated.image, err = c.Serialize()
			return err
		})
	})
	if migrated.err != nil {
		t.Fatalf("migrated database: %v", migrated.err)
	}
	return migrated.file, migrated.image
}

func TestFileStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) store.Store {
			file, _ := migratedDB(t)
			path := filepath.Join(t.TempDir(), "openproton.db")
			if err := os.WriteFile(path, file, 0o600); err != nil {
				t.Fatal(err)
			}
			return openFile(t, path)
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
			_, image := migratedDB(t)
			s, err := openMemory(t.Context(), image)
			if err != nil {
				t.Fatalf("openMemory: %v", err)
			}
			return s
		},
	})
}
