package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/storetest"
)

// linkEnvironmentVersion writes the template columns of an environments row,
// which the environments family owns.
func linkEnvironmentVersion(t *testing.T, s store.Store, account, region, name, tmpl, major, minor string) {
	t.Helper()
	_, err := s.(*Store).writer.ExecContext(t.Context(), `INSERT INTO environments
		(account, region, name, template_name, template_major_version, template_minor_version) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (account, region, name) DO UPDATE SET template_name = excluded.template_name,
			template_major_version = excluded.template_major_version, template_minor_version = excluded.template_minor_version`,
		account, region, name, tmpl, major, minor)
	if err != nil {
		t.Fatalf("link environment %s to %s %s.%s: %v", name, tmpl, major, minor, err)
	}
}

func TestTemplatesFileStore(t *testing.T) {
	storetest.RunTemplates(t, storetest.TemplatesHarness{
		Open: func(t *testing.T) store.Store {
			return openFile(t, filepath.Join(t.TempDir(), "openproton.db"))
		},
		LinkEnvironmentVersion: linkEnvironmentVersion,
		Reopen: func(t *testing.T, s store.Store) store.Store {
			path := s.(*Store).path
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return openFile(t, path)
		},
	})
}

func TestTemplatesMemoryStore(t *testing.T) {
	storetest.RunTemplates(t, storetest.TemplatesHarness{
		Open: func(t *testing.T) store.Store {
			s, err := OpenMemory(t.Context())
			if err != nil {
				t.Fatalf("OpenMemory: %v", err)
			}
			return s
		},
		LinkEnvironmentVersion: linkEnvironmentVersion,
	})
}
