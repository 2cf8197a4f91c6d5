package templates

import (
	"bytes"
	"testing"

	"github.com/openproton/openproton/internal/bundle/bundletest"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/store"
)

func TestResolveEnvironmentTemplateVersion(t *testing.T) {
	f := newFixture(t)
	resolve := func(name, major, minor string) (ResolvedVersion, error) {
		return f.svc.ResolveEnvironmentTemplateVersion(f.ctx, f.caller.Account, f.caller.Region, name, major, minor)
	}
	_, err := resolve("web", "", "")
	wantFault(t, err, fault.NotFound, "web")

	f.createTemplate(env, "web", func(in *CreateTemplateInput) { in.Provisioning = "CUSTOMER_MANAGED" })
	schemaOnly := bundletest.TarGz(t, bundletest.File("schema/schema.yaml", bundletest.EnvSchema("        vpc_id:\n          type: string\n")))
	f.version(env, "web", "", schemaOnly) // 1.0
	// The hints say only what works: an environment cannot use a DRAFT,
	// so naming the version is no way out; publishing it is.
	_, err = resolve("web", "", "")
	wantMessage(t, err, fault.Validation, "Environment template web has no published version; environments use published versions only, so publish one (UpdateEnvironmentTemplateVersion with status PUBLISHED).")
	_, err = resolve("web", "1", "")
	wantMessage(t, err, fault.Validation, "Major version 1 of environment template web has no published minor version; environments use published versions only, so publish one of its minor versions (UpdateEnvironmentTemplateVersion with status PUBLISHED).")
	_, err = resolve("web", "", "0")
	wantFault(t, err, fault.Validation, "needs a major")
	// A DRAFT named explicitly resolves, as a DRAFT.
	r, err := resolve("web", "1", "0")
	if err != nil || r.Status != "DRAFT" || r.Provisioning != "CUSTOMER_MANAGED" || !bytes.Equal(r.Bundle, schemaOnly) ||
		r.TemplateName != "web" || r.MajorVersion != "1" || r.MinorVersion != "0" {
		t.Fatalf("resolve 1.0: %+v, %v", r, err)
	}
	f.publish(env, "web", "1", "0")
	f.version(env, "web", "1", schemaOnly) // 1.1 draft
	f.version(env, "web", "", schemaOnly)  // 2.0 draft
	wantStatus(t, f.version(env, "web", "2", []byte("junk")), store.VersionFailed)
	for _, c := range []struct{ major, minor, want string }{
		{"", "", "1.0"}, {"1", "", "1.0"}, {"1", "1", "1.1"},
	} {
		r, err := resolve("web", c.major, c.minor)
		if err != nil || r.MajorVersion+"."+r.MinorVersion != c.want {
			t.Fatalf("resolve(%q, %q) = %+v, %v; want %s", c.major, c.minor, r, err, c.want)
		}
	}
	f.publish(env, "web", "2", "0")
	if r, err := resolve("web", "", ""); err != nil || r.MajorVersion != "2" || r.Status != "PUBLISHED" {
		t.Fatalf("recommended after publishing 2.0: %+v, %v", r, err)
	}
	_, err = resolve("web", "2", "1")
	wantFault(t, err, fault.NotFound, "not registered", "REGISTRATION_FAILED")
	_, err = resolve("web", "3", "")
	wantFault(t, err, fault.NotFound, "no major version 3")
	_, err = resolve("web", "1", "9")
	wantFault(t, err, fault.NotFound, "1.9")
	_, err = resolve("web", "99999999999999999999", "0")
	wantFault(t, err, fault.NotFound)
	// Other accounts and regions, and service templates, never resolve.
	_, err = f.svc.ResolveEnvironmentTemplateVersion(f.ctx, "222222222222", f.caller.Region, "web", "1", "0")
	wantFault(t, err, fault.NotFound)
	_, err = f.svc.ResolveEnvironmentTemplateVersion(f.ctx, f.caller.Account, "eu-west-1", "web", "1", "0")
	wantFault(t, err, fault.NotFound)
	f.createTemplate(svc, "api")
	_, err = resolve("api", "", "")
	wantFault(t, err, fault.NotFound)
}
