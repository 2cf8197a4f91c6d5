package templates

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store"
)

// deletionFixture is a template with 1.0 (published), 1.1 (published,
// recommended minor of major 1), 1.2 (draft), 2.0 (published, the
// template's recommended version), 2.1 (failed) and 3.0 (draft).
func deletionFixture(t *testing.T) *fixture {
	return deletionFixtureOn(t, newFixture(t))
}

func deletionFixtureOn(t *testing.T, f *fixture) *fixture {
	f.createTemplate(env, "web")
	good := goodEnvBundle(t)
	f.version(env, "web", "", good)  // 1.0
	f.version(env, "web", "1", good) // 1.1
	f.version(env, "web", "1", good) // 1.2
	f.version(env, "web", "", good)  // 2.0
	wantStatus(t, f.version(env, "web", "2", []byte("junk")), store.VersionFailed)
	f.version(env, "web", "", good) // 3.0
	f.publish(env, "web", "1", "0")
	f.publish(env, "web", "1", "1")
	f.publish(env, "web", "2", "0")
	return f
}

func (f *fixture) del(major, minor string) error {
	_, _, err := f.svc.DeleteVersion(f.ctx, f.caller, env, "web", major, minor)
	return err
}

func (f *fixture) mustDel(major, minor string) {
	f.t.Helper()
	v, deleted, err := f.svc.DeleteVersion(f.ctx, f.caller, env, "web", major, minor)
	if err != nil || !deleted || Number(v.VersionNumber) != major+"."+minor {
		f.t.Fatalf("DeleteVersion(%s.%s) = %s, %v, %v", major, minor, Number(v.VersionNumber), deleted, err)
	}
}

func (f *fixture) remaining() string {
	f.t.Helper()
	vs, _, err := f.svc.ListVersions(f.ctx, f.caller, env, "web", "", 100, "")
	if err != nil {
		f.t.Fatal(err)
	}
	out := ""
	for _, v := range vs {
		out += Number(v.VersionNumber) + " "
	}
	return out
}

func TestDeleteMinorThatIsNotRecommended(t *testing.T) {
	f := deletionFixture(t)
	f.mustDel("1", "0") // published, but 1.1 is the recommended minor
	f.mustDel("1", "2") // draft
	f.mustDel("2", "1") // failed
	if got := f.remaining(); got != "1.1 2.0 3.0 " {
		t.Fatalf("remaining: %s", got)
	}
}

func TestDeleteRecommendedMinorOnlyWhenLastOfItsMajor(t *testing.T) {
	f := deletionFixture(t)
	wantFault(t, f.del("1", "1"), fault.Conflict, "1.1", "recommended minor version of major version 1", "2 other versions")
	f.mustDel("1", "0")
	wantFault(t, f.del("1", "1"), fault.Conflict, "1.1", "1 other versions")
	f.mustDel("1", "2")
	// The last minor of major 1: deleting it deletes the major.
	f.mustDel("1", "1")
	if got := f.remaining(); got != "2.0 2.1 3.0 " {
		t.Fatalf("remaining: %s", got)
	}
	if _, _, err := f.svc.ListVersions(f.ctx, f.caller, env, "web", "1", 0, ""); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: env, TemplateName: "web", MajorVersion: "1", Bucket: "bundles", Key: "x"})
	wantFault(t, err, fault.NotFound, "no major version 1")
}

func TestDeleteRecommendedVersionOnlyWhenLastOfTemplate(t *testing.T) {
	f := deletionFixture(t)
	wantFault(t, f.del("2", "0"), fault.Conflict, "2.0", "recommended version", "5 remain")
	for _, n := range [][2]string{{"2", "1"}, {"1", "0"}, {"1", "2"}, {"1", "1"}, {"3", "0"}} {
		f.mustDel(n[0], n[1])
	}
	tm, err := f.svc.GetTemplate(f.ctx, f.caller, env, "web")
	if err != nil || tm.Recommended == nil || Number(*tm.Recommended) != "2.0" {
		t.Fatalf("template before the last delete: %+v, %v", tm, err)
	}
	f.mustDel("2", "0")
	tm, err = f.svc.GetTemplate(f.ctx, f.caller, env, "web")
	if err != nil || tm.Recommended != nil {
		t.Fatalf("template after deleting every version: %+v, %v", tm, err)
	}
	if _, _, err := f.svc.DeleteTemplate(f.ctx, f.caller, env, "web"); err != nil {
		t.Fatalf("DeleteTemplate with no versions left: %v", err)
	}
}

func TestDeleteRecommendationMovesWithPublishing(t *testing.T) {
	f := deletionFixture(t)
	// Publishing 1.2 makes it the recommended minor of major 1: now 1.1 can
	// go, 1.2 cannot.
	f.publish(env, "web", "1", "2")
	f.mustDel("1", "1")
	wantFault(t, f.del("1", "2"), fault.Conflict, "1.2")
	// Publishing 3.0 makes it the template's recommended version: 2.0 is
	// then the recommended minor of major 2, which still has 2.1.
	f.publish(env, "web", "3", "0")
	wantFault(t, f.del("2", "0"), fault.Conflict, "recommended minor version of major version 2")
	f.mustDel("2", "1")
	f.mustDel("2", "0")
	wantFault(t, f.del("3", "0"), fault.Conflict, "recommended version")
}

func TestDeleteVersionInUseByEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "openproton.db")
	f := deletionFixtureOn(t, newFileFixture(t, path))
	// The environments family records what an environment runs on; the
	// test writes those columns directly.
	db, err := sql.Open("sqlite", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(f.ctx, `INSERT INTO environments (account, region, name, template_name, template_major_version, template_minor_version)
		VALUES (?, ?, 'prod', 'web', '1', '2')`, f.caller.Account, f.caller.Region); err != nil {
		t.Fatal(err)
	}
	wantFault(t, f.del("1", "2"), fault.Conflict, "1.2", "environment prod")
	f.mustDel("1", "0")
	if _, err := db.ExecContext(f.ctx, `DELETE FROM environments WHERE name = 'prod'`); err != nil {
		t.Fatal(err)
	}
	f.mustDel("1", "2")
}

func TestDeleteVersionIsIdempotent(t *testing.T) {
	f := deletionFixture(t)
	f.mustDel("1", "2")
	v, deleted, err := f.svc.DeleteVersion(f.ctx, f.caller, env, "web", "1", "2")
	if err != nil || deleted || v.ID != "" {
		t.Fatalf("repeated delete: %+v, %v, %v", v, deleted, err)
	}
	wantFault(t, f.del("7", "0"), fault.NotFound, "7.0")
	_, _, err = f.svc.DeleteVersion(f.ctx, f.caller, env, "nope", "1", "0")
	wantFault(t, err, fault.NotFound, "Environment template nope")
	f.advance(family.TokenTTL + time.Second)
	wantFault(t, f.del("1", "2"), fault.NotFound, "1.2")
}

func TestDeletionRuleAlone(t *testing.T) {
	v := func(major, minor int64, st store.VersionStatus) store.TemplateVersion {
		return store.TemplateVersion{ID: Number(store.VersionNumber{Major: major, Minor: minor}),
			VersionKey: store.VersionKey{VersionNumber: store.VersionNumber{Major: major, Minor: minor}}, Status: st}
	}
	p, d := store.VersionPublished, store.VersionDraft
	cases := []struct {
		name   string
		target store.TemplateVersion
		all    []store.TemplateVersion
		ok     bool
	}{
		{"only version", v(1, 0, p), nil, true},
		{"draft among published", v(1, 1, d), []store.TemplateVersion{v(1, 0, p)}, true},
		{"lower published minor", v(1, 0, p), []store.TemplateVersion{v(1, 1, p)}, true},
		{"recommended with a draft sibling", v(1, 0, p), []store.TemplateVersion{v(1, 1, d)}, false},
		{"recommended minor of a lower major, last of its major", v(1, 0, p), []store.TemplateVersion{v(2, 0, p)}, true},
		{"recommended version with another major left", v(2, 0, p), []store.TemplateVersion{v(1, 0, d)}, false},
	}
	for _, c := range cases {
		all := append([]store.TemplateVersion{c.target}, c.all...)
		err := deletionRule(c.target, all)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}
