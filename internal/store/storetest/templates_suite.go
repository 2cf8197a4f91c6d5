package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// tsuite is the state of one templates subtest.
type tsuite struct {
	t   *testing.T
	h   Harness
	s   store.Store
	ctx context.Context
	seq int
}

func runT(t *testing.T, h Harness, name string, fn func(x *tsuite)) {
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		x := &tsuite{t: t, h: h, ctx: t.Context()}
		x.s = h.Open(t)
		t.Cleanup(func() {
			if err := x.s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		fn(x)
	})
}

func envKey(name string) store.TemplateKey {
	return store.TemplateKey{Account: acctE, Region: regionA, Kind: store.EnvironmentTemplate, Name: name}
}

func svcKey(name string) store.TemplateKey {
	return store.TemplateKey{Account: acctE, Region: regionA, Kind: store.ServiceTemplate, Name: name}
}

func vkey(k store.TemplateKey, major, minor int64) store.VersionKey {
	return store.VersionKey{TemplateKey: k, VersionNumber: store.VersionNumber{Major: major, Minor: minor}}
}

func tmplARN(k store.TemplateKey) string {
	return fmt.Sprintf("arn:aws:proton:%s:%s:%s-template/%s", k.Region, k.Account, map[store.TemplateKind]string{
		store.EnvironmentTemplate: "environment", store.ServiceTemplate: "service"}[k.Kind], k.Name)
}

func versionARN(k store.TemplateKey, n store.VersionNumber) string {
	return fmt.Sprintf("%s:%d.%d", tmplARN(k), n.Major, n.Minor)
}

// tombstone reads the tombstone that the template of k (version "") or its
// version ("major.minor") left.
func (x *tsuite) tombstone(k store.TemplateKey, version string) (store.Tombstone, error) {
	key := k.Name
	if version != "" {
		key += ":" + version
	}
	typ := map[store.TemplateKind]string{store.EnvironmentTemplate: "environment-template", store.ServiceTemplate: "service-template"}[k.Kind]
	return x.s.Tombstone(x.ctx, store.Resource{Type: typ, Account: k.Account, Region: k.Region, Key: key})
}

func (x *tsuite) newTemplate(k store.TemplateKey) store.Template {
	x.seq++
	return store.Template{
		TemplateKey: k, DisplayName: "Display " + k.Name, Description: "about " + k.Name,
		Fingerprint: "fp-" + k.Name, CreatedAt: at(x.seq), LastModifiedAt: at(x.seq),
	}
}

func (x *tsuite) addTemplate(k store.TemplateKey, mods ...func(*store.Template)) store.Template {
	x.t.Helper()
	t := x.newTemplate(k)
	for _, m := range mods {
		m(&t)
	}
	got, created, err := x.s.CreateTemplate(x.ctx, store.CreateTemplateParams{Template: t, ARN: tmplARN(k), Quota: bigQuota})
	if err != nil || !created {
		x.t.Fatalf("CreateTemplate(%s): created=%v err=%v", k.Name, created, err)
	}
	return got
}

func (x *tsuite) versionParams(k store.TemplateKey, major *int64) store.CreateVersionParams {
	x.seq++
	v := store.TemplateVersion{
		ID: uid(1000 + x.seq), Description: fmt.Sprintf("version %d", x.seq),
		SourceBucket: "bucket", SourceKey: fmt.Sprintf("key-%d.tar.gz", x.seq),
		CreatedAt: at(x.seq), LastModifiedAt: at(x.seq),
	}
	if k.Kind == store.ServiceTemplate {
		v.CompatibleEnvironmentTemplates = []store.CompatibleTemplate{{Name: "env", Major: 1}}
		v.SupportedComponentSources = []string{"DIRECTLY_DEFINED"}
	}
	return store.CreateVersionParams{
		Template: k, Major: major, Version: v,
		ARN:   func(n store.VersionNumber) string { return versionARN(k, n) },
		Quota: bigQuota, Now: at(x.seq),
	}
}

// addVersion creates a version (a new major when major is nil) and checks
// its number.
func (x *tsuite) addVersion(k store.TemplateKey, major *int64, wantMajor, wantMinor int64) store.TemplateVersion {
	x.t.Helper()
	v, replayed, err := x.s.CreateTemplateVersion(x.ctx, x.versionParams(k, major))
	if err != nil || replayed {
		x.t.Fatalf("CreateTemplateVersion(%s): replayed=%v err=%v", k.Name, replayed, err)
	}
	if v.Major != wantMajor || v.Minor != wantMinor {
		x.t.Fatalf("CreateTemplateVersion(%s) = %d.%d, want %d.%d", k.Name, v.Major, v.Minor, wantMajor, wantMinor)
	}
	if v.Status != store.VersionRegistering {
		x.t.Fatalf("CreateTemplateVersion: status %s, want REGISTRATION_IN_PROGRESS", v.Status)
	}
	return v
}

func (x *tsuite) getVersion(k store.VersionKey) store.TemplateVersion {
	x.t.Helper()
	v, err := x.s.GetTemplateVersion(x.ctx, k, true)
	if err != nil {
		x.t.Fatalf("GetTemplateVersion(%s %d.%d): %v", k.Name, k.Major, k.Minor, err)
	}
	return v
}

func (x *tsuite) getTemplate(k store.TemplateKey) store.Template {
	x.t.Helper()
	t, err := x.s.GetTemplate(x.ctx, k)
	if err != nil {
		x.t.Fatalf("GetTemplate(%s): %v", k.Name, err)
	}
	return t
}

// register drives a version's job to status through the job API (lease,
// finish), the way the worker does.
func (x *tsuite) register(k store.VersionKey, status store.VersionStatus) store.TemplateVersion {
	x.t.Helper()
	want := x.getVersion(k)
	for range 100 {
		job, ok := x.lease("owner-register", at(10_000))
		if !ok {
			x.t.Fatalf("no registration job due while registering %s %d.%d", k.Name, k.Major, k.Minor)
		}
		st, schema := store.VersionFailed, ""
		if job.ID == want.ID {
			st, schema = status, "schema of "+want.ID
		}
		if err := x.s.FinishRegistration(x.ctx, store.FinishParams{ID: job.ID, Owner: "owner-register", Status: st,
			Schema: schema, Bundle: []byte("bundle of " + job.ID), Now: at(x.seq)}); err != nil {
			x.t.Fatalf("FinishRegistration: %v", err)
		}
		if job.ID == want.ID {
			return x.getVersion(k)
		}
		x.t.Fatalf("register: leased %s before the wanted %s %d.%d", job.ID, k.Name, k.Major, k.Minor)
	}
	panic("unreachable")
}

func (x *tsuite) publish(k store.VersionKey) store.TemplateVersion {
	x.t.Helper()
	st := store.VersionPublished
	v, err := x.s.UpdateTemplateVersion(x.ctx, store.UpdateVersionParams{Key: k, Status: &st,
		From: []store.VersionStatus{store.VersionDraft}, Now: at(x.seq)})
	if err != nil {
		x.t.Fatalf("publish %s %d.%d: %v", k.Name, k.Major, k.Minor, err)
	}
	return v
}

func allowAll(store.TemplateVersion, []store.TemplateVersion) error { return nil }

func (x *tsuite) deleteVersion(k store.VersionKey, allow func(store.TemplateVersion, []store.TemplateVersion) error) (store.TemplateVersion, error) {
	return x.s.DeleteTemplateVersion(x.ctx, store.DeleteVersionParams{
		Key: k, ARN: versionARN(k.TemplateKey, k.VersionNumber), Allow: allow, Now: at(x.seq),
	})
}

func (x *tsuite) versions(k store.TemplateKey, major *int64) []store.TemplateVersion {
	x.t.Helper()
	vs, err := x.s.ListTemplateVersions(x.ctx, store.ListVersionsQuery{Template: k, Major: major, Limit: bigQuota})
	if err != nil {
		x.t.Fatalf("ListTemplateVersions(%s): %v", k.Name, err)
	}
	return vs
}

func numbers(vs []store.TemplateVersion) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprintf("%d.%d", v.Major, v.Minor)
	}
	return out
}

func (x *tsuite) wantNumbers(what string, vs []store.TemplateVersion, want ...string) {
	x.t.Helper()
	if got := numbers(vs); !slices.Equal(got, want) {
		x.t.Fatalf("%s: versions %v, want %v", what, got, want)
	}
}

func (x *tsuite) wantTagsT(arn string, want ...store.Tag) {
	x.t.Helper()
	got, err := x.s.ListTags(x.ctx, arn)
	if err != nil {
		x.t.Fatalf("ListTags(%s): %v", arn, err)
	}
	if !slices.Equal(got, want) {
		x.t.Fatalf("ListTags(%s) = %v, want %v", arn, got, want)
	}
}

func ptr64(n int64) *int64 { return &n }

func wantErrT(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

func sameInstant(a, b time.Time) bool {
	return a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond))
}
