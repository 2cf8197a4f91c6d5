package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/storetest"
)

// linkEnvironmentVersion writes the template columns of an environments row,
// which the environments family owns.
func linkEnvironmentVersion(t *testing.T, s store.Store, account, region, name, tmpl, major, minor string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := s.(*Store).pool.Exec(ctx, `INSERT INTO environments
		(account, region, name, template_name, template_major_version, template_minor_version) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (account, region, name) DO UPDATE SET template_name = EXCLUDED.template_name,
			template_major_version = EXCLUDED.template_major_version, template_minor_version = EXCLUDED.template_minor_version`,
		account, region, name, tmpl, major, minor)
	if err != nil {
		t.Fatalf("link environment %s to %s %s.%s: %v", name, tmpl, major, minor, err)
	}
}

// TestTemplatesConformance runs the templates store suite; every subtest gets
// a store on a schema of its own.
func TestTemplatesConformance(t *testing.T) {
	d := newTestDB(t)
	storetest.RunTemplates(t, storetest.TemplatesHarness{
		Open: func(t *testing.T) store.Store {
			return d.open(t, d.newSchema(t))
		},
		LinkEnvironmentVersion: linkEnvironmentVersion,
		Reopen: func(t *testing.T, s store.Store) store.Store {
			ps := s.(*Store)
			if err := ps.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return d.open(t, ps.schema)
		},
	})
}
