package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

func testVersionCreate(t *testing.T, h Harness) {
	runT(t, h, "Numbering", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		x.addVersion(k, nil, 1, 0)
		x.addVersion(k, ptr64(1), 1, 1)
		x.addVersion(k, nil, 2, 0)
		x.addVersion(k, ptr64(1), 1, 2)
		x.addVersion(k, ptr64(2), 2, 1)
		_, _, err := x.s.CreateTemplateVersion(x.ctx, x.versionParams(k, ptr64(3)))
		wantErrT(x.t, "CreateTemplateVersion in a major without versions", err, store.ErrNoSuchMajor)
		_, _, err = x.s.CreateTemplateVersion(x.ctx, x.versionParams(envKey("none"), nil))
		wantErrT(x.t, "CreateTemplateVersion of an unknown template", err, store.ErrNotFound)
		_, _, err = x.s.CreateTemplateVersion(x.ctx, x.versionParams(svcKey("web"), nil))
		wantErrT(x.t, "CreateTemplateVersion of the other kind", err, store.ErrNotFound)
		x.wantNumbers("ListTemplateVersions", x.versions(k, nil), "1.0", "1.1", "1.2", "2.0", "2.1")
	})

	runT(t, h, "RoundTripsEveryField", func(x *tsuite) {
		k := svcKey("api")
		x.addTemplate(k)
		p := x.versionParams(k, nil)
		p.Version.CompatibleEnvironmentTemplates = []store.CompatibleTemplate{{Name: "b", Major: 3}, {Name: "a", Major: 1}}
		p.Version.SupportedComponentSources = []string{}
		p.Tags = []store.Tag{{Key: "k", Value: "v"}}
		got, _, err := x.s.CreateTemplateVersion(x.ctx, p)
		if err != nil {
			x.t.Fatal(err)
		}
		for _, v := range []store.TemplateVersion{got, x.getVersion(got.VersionKey)} {
			if v.ID != p.Version.ID || v.Description != p.Version.Description || v.SourceBucket != "bucket" ||
				v.SourceKey != p.Version.SourceKey || v.Status != store.VersionRegistering || v.StatusMessage != "" ||
				v.Schema != "" || v.Bundle != nil || v.RecommendedMinor != nil ||
				!slices.Equal(v.CompatibleEnvironmentTemplates, p.Version.CompatibleEnvironmentTemplates) ||
				v.SupportedComponentSources == nil || len(v.SupportedComponentSources) != 0 ||
				!sameInstant(v.CreatedAt, p.Version.CreatedAt) || !sameInstant(v.LastModifiedAt, p.Version.LastModifiedAt) {
				x.t.Fatalf("version = %+v, want the fields of %+v", v, p.Version)
			}
		}
		x.wantTagsT(versionARN(k, got.VersionNumber), store.Tag{Key: "k", Value: "v"})
		// Environment template versions carry no service fields.
		e := envKey("web")
		x.addTemplate(e)
		ev := x.addVersion(e, nil, 1, 0)
		if ev.CompatibleEnvironmentTemplates != nil || ev.SupportedComponentSources != nil {
			x.t.Fatalf("environment template version has service fields: %+v", ev)
		}
	})

	runT(t, h, "Quota", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		x.addVersion(k, nil, 1, 0)
		x.addVersion(k, ptr64(1), 1, 1)
		p := x.versionParams(k, ptr64(1))
		p.Quota = 2
		_, _, err := x.s.CreateTemplateVersion(x.ctx, p)
		wantErrT(x.t, "CreateTemplateVersion over quota", err, store.ErrQuotaExceeded)
		_, err = x.s.GetTemplateVersion(x.ctx, vkey(k, 1, 2), false)
		wantErrT(x.t, "GetTemplateVersion of the refused version", err, store.ErrNotFound)
	})

	runT(t, h, "NumberOfDeletedHighestIsReused", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		x.addVersion(k, nil, 1, 0)
		x.addVersion(k, ptr64(1), 1, 1)
		x.addVersion(k, ptr64(1), 1, 2)
		x.addVersion(k, nil, 2, 0)
		for _, n := range [][2]int64{{1, 1}, {1, 2}, {2, 0}} {
			if _, err := x.deleteVersion(vkey(k, n[0], n[1]), allowAll); err != nil {
				x.t.Fatal(err)
			}
		}
		x.addVersion(k, ptr64(1), 1, 1)
		x.addVersion(k, nil, 2, 0)
	})

	runT(t, h, "RecommendedFollowsPublishing", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		x.addVersion(k, nil, 1, 0)
		x.addVersion(k, ptr64(1), 1, 1)
		x.addVersion(k, nil, 2, 0)
		x.addVersion(k, ptr64(1), 1, 2)
		for _, n := range [][2]int64{{1, 0}, {1, 1}, {2, 0}, {1, 2}} {
			x.register(vkey(k, n[0], n[1]), store.VersionDraft)
		}
		wantRec := func(major, minor int64) {
			x.t.Helper()
			r := x.getTemplate(k).Recommended
			if major < 0 {
				if r != nil {
					x.t.Fatalf("Recommended = %+v, want none", *r)
				}
				return
			}
			if r == nil || *r != (store.VersionNumber{Major: major, Minor: minor}) {
				x.t.Fatalf("Recommended = %v, want %d.%d", r, major, minor)
			}
		}
		wantRecMinor := func(major, minor int64, want int64) {
			x.t.Helper()
			got := x.getVersion(vkey(k, major, minor)).RecommendedMinor
			if (want < 0) != (got == nil) || (got != nil && *got != want) {
				x.t.Fatalf("RecommendedMinor of %d.%d = %v, want %d (-1: none)", major, minor, got, want)
			}
		}
		wantRec(-1, 0)
		wantRecMinor(1, 0, -1)
		x.publish(vkey(k, 1, 1))
		wantRec(1, 1)
		wantRecMinor(1, 0, 1)
		wantRecMinor(2, 0, -1)
		x.publish(vkey(k, 2, 0))
		wantRec(2, 0)
		x.publish(vkey(k, 1, 0))
		wantRec(2, 0)
		wantRecMinor(1, 2, 1)
		x.publish(vkey(k, 1, 2))
		wantRec(2, 0)
		wantRecMinor(1, 0, 2)
		for _, v := range x.versions(k, nil) {
			if want := map[int64]int64{1: 2, 2: 0}[v.Major]; v.RecommendedMinor == nil || *v.RecommendedMinor != want {
				x.t.Fatalf("listed %d.%d: RecommendedMinor %v, want %d", v.Major, v.Minor, v.RecommendedMinor, want)
			}
		}
		ts, err := x.s.ListTemplates(x.ctx, store.ListTemplatesQuery{Account: acctE, Region: regionA, Kind: store.EnvironmentTemplate, Limit: 10})
		if err != nil || len(ts) != 1 || ts[0].Recommended == nil || *ts[0].Recommended != (store.VersionNumber{Major: 2}) {
			x.t.Fatalf("ListTemplates: %+v, %v; want web with recommended 2.0", ts, err)
		}
	})
}

func testVersionTokens(t *testing.T, h Harness) {
	const op = "CreateEnvironmentTemplateVersion"
	tok := func(token, fp string, exp time.Time) *store.Idempotency {
		return &store.Idempotency{Key: store.IdempotencyKey{Account: acctE, Region: regionA, Operation: op, Token: token}, Fingerprint: fp, ExpiresAt: exp}
	}
	create := func(x *tsuite, k store.TemplateKey, tk *store.Idempotency, now time.Time) (store.TemplateVersion, bool, error) {
		p := x.versionParams(k, nil)
		p.Token, p.Now = tk, now
		return x.s.CreateTemplateVersion(x.ctx, p)
	}

	runT(t, h, "ReplayMismatchAndExpiry", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		first, replayed, err := create(x, k, tok("t1", "fp1", at(480)), at(0))
		if err != nil || replayed {
			x.t.Fatalf("first create: replayed=%v err=%v", replayed, err)
		}
		x.register(first.VersionKey, store.VersionDraft)
		again, replayed, err := create(x, k, tok("t1", "fp1", at(490)), at(10))
		if err != nil || !replayed || again.ID != first.ID || again.Status != store.VersionDraft {
			x.t.Fatalf("replay: %+v replayed=%v err=%v; want the first version as it is now", again, replayed, err)
		}
		_, _, err = create(x, k, tok("t1", "fp2", at(490)), at(10))
		wantErrT(x.t, "create with another fingerprint", err, store.ErrIdempotencyMismatch)
		x.wantNumbers("versions after replays", x.versions(k, nil), "1.0")
		// Expired: a new version.
		third, replayed, err := create(x, k, tok("t1", "fp2", at(1000)), at(480))
		if err != nil || replayed || third.Major != 2 {
			x.t.Fatalf("create with an expired token: %+v replayed=%v err=%v", third, replayed, err)
		}
		// The token is scoped to its operation.
		p := x.versionParams(k, nil)
		p.Token = &store.Idempotency{Key: store.IdempotencyKey{Account: acctE, Region: regionA, Operation: "CreateServiceTemplateVersion", Token: "t1"},
			Fingerprint: "fp9", ExpiresAt: at(2000)}
		p.Now = at(500)
		if _, replayed, err := x.s.CreateTemplateVersion(x.ctx, p); err != nil || replayed {
			x.t.Fatalf("same token of another operation: replayed=%v err=%v", replayed, err)
		}
	})

	runT(t, h, "TokenOfDeletedVersionCreatesNew", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		first, _, err := create(x, k, tok("t1", "fp1", at(480)), at(0))
		if err != nil {
			x.t.Fatal(err)
		}
		if _, err := x.deleteVersion(first.VersionKey, allowAll); err != nil {
			x.t.Fatal(err)
		}
		second, replayed, err := create(x, k, tok("t1", "fp1", at(480)), at(5))
		if err != nil || replayed || second.ID == first.ID {
			x.t.Fatalf("create after the token's version was deleted: %+v replayed=%v err=%v", second, replayed, err)
		}
		// Even though 1.0 was reused, a replay returns the version by id.
		again, replayed, err := create(x, k, tok("t1", "fp1", at(480)), at(6))
		if err != nil || !replayed || again.ID != second.ID {
			x.t.Fatalf("replay: %+v replayed=%v err=%v", again, replayed, err)
		}
	})

	runT(t, h, "FailedCreateRecordsNoToken", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		p := x.versionParams(k, ptr64(7))
		p.Token = tok("t1", "fp1", at(480))
		_, _, err := x.s.CreateTemplateVersion(x.ctx, p)
		wantErrT(x.t, "create in a missing major", err, store.ErrNoSuchMajor)
		if _, replayed, err := create(x, k, tok("t1", "fp2", at(480)), at(1)); err != nil || replayed {
			x.t.Fatalf("create with the token of a failed create: replayed=%v err=%v", replayed, err)
		}
	})
}

func testVersionUpdate(t *testing.T, h Harness) {
	runT(t, h, "ConditionalStatus", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		v := x.addVersion(k, nil, 1, 0)
		st := store.VersionPublished
		cur, err := x.s.UpdateTemplateVersion(x.ctx, store.UpdateVersionParams{Key: v.VersionKey, Status: &st,
			From: []store.VersionStatus{store.VersionDraft}, Now: at(50)})
		wantErrT(x.t, "publish a registering version", err, store.ErrConditionFailed)
		if cur.Status != store.VersionRegistering {
			x.t.Fatalf("ErrConditionFailed came with %+v, want the version as it is", cur)
		}
		x.register(v.VersionKey, store.VersionDraft)
		got := x.publish(v.VersionKey)
		if got.Status != store.VersionPublished || !sameInstant(got.LastModifiedAt, at(x.seq)) {
			x.t.Fatalf("published version = %+v", got)
		}
		_, err = x.s.UpdateTemplateVersion(x.ctx, store.UpdateVersionParams{Key: vkey(k, 9, 9), Now: at(60)})
		wantErrT(x.t, "update of an unknown version", err, store.ErrNotFound)
	})

	runT(t, h, "RegistrationStatusOnlyThroughItsJob", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		v := x.addVersion(k, nil, 1, 0)
		any := []store.VersionStatus{store.VersionRegistering, store.VersionFailed, store.VersionDraft, store.VersionPublished}
		st := store.VersionDraft
		cur, err := x.s.UpdateTemplateVersion(x.ctx, store.UpdateVersionParams{Key: v.VersionKey, Status: &st, From: any, Now: at(50)})
		wantErrT(x.t, "a status update of a registering version", err, store.ErrConditionFailed)
		if cur.Status != store.VersionRegistering {
			x.t.Fatalf("ErrConditionFailed came with %+v, want the version as it is", cur)
		}
		// Its job is still there, and ends it.
		x.register(v.VersionKey, store.VersionDraft)
		st = store.VersionRegistering
		cur, err = x.s.UpdateTemplateVersion(x.ctx, store.UpdateVersionParams{Key: v.VersionKey, Status: &st, From: any, Now: at(51)})
		wantErrT(x.t, "a status update back to REGISTRATION_IN_PROGRESS", err, store.ErrConditionFailed)
		if cur.Status != store.VersionDraft {
			x.t.Fatalf("ErrConditionFailed came with %+v, want the version as it is", cur)
		}
		x.wantNoLease("w", at(100_000))
	})

	runT(t, h, "FieldsKeepOrChange", func(x *tsuite) {
		k := svcKey("api")
		x.addTemplate(k)
		v := x.addVersion(k, nil, 1, 0)
		d := "changed"
		got, err := x.s.UpdateTemplateVersion(x.ctx, store.UpdateVersionParams{Key: v.VersionKey, Description: &d, Now: at(70)})
		if err != nil || got.Description != d || got.Status != store.VersionRegistering ||
			!slices.Equal(got.CompatibleEnvironmentTemplates, v.CompatibleEnvironmentTemplates) ||
			!slices.Equal(got.SupportedComponentSources, v.SupportedComponentSources) || !sameInstant(got.LastModifiedAt, at(70)) {
			x.t.Fatalf("update of the description: %+v, %v", got, err)
		}
		compat := []store.CompatibleTemplate{{Name: "z", Major: 2}}
		none := []string{}
		got, err = x.s.UpdateTemplateVersion(x.ctx, store.UpdateVersionParams{Key: v.VersionKey,
			CompatibleEnvironmentTemplates: &compat, SupportedComponentSources: &none, Now: at(71)})
		if err != nil || got.Description != d || !slices.Equal(got.CompatibleEnvironmentTemplates, compat) ||
			got.SupportedComponentSources == nil || len(got.SupportedComponentSources) != 0 {
			x.t.Fatalf("update of the service fields: %+v, %v", got, err)
		}
	})
}

func testVersionDelete(t *testing.T, h Harness) {
	runT(t, h, "RemovesVersionBundleTagsAndLeavesTombstone", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		p := x.versionParams(k, nil)
		p.Tags = []store.Tag{{Key: "a", Value: "b"}}
		v, _, err := x.s.CreateTemplateVersion(x.ctx, p)
		if err != nil {
			x.t.Fatal(err)
		}
		x.register(v.VersionKey, store.VersionDraft)
		if b := x.getVersion(v.VersionKey).Bundle; string(b) != "bundle of "+v.ID {
			x.t.Fatalf("bundle = %q", b)
		}
		gone, err := x.deleteVersion(v.VersionKey, allowAll)
		if err != nil || gone.ID != v.ID || gone.Status != store.VersionDraft {
			x.t.Fatalf("DeleteTemplateVersion = %+v, %v", gone, err)
		}
		_, err = x.s.GetTemplateVersion(x.ctx, v.VersionKey, true)
		wantErrT(x.t, "GetTemplateVersion after delete", err, store.ErrNotFound)
		x.wantTagsT(versionARN(k, v.VersionNumber))
		if ts, err := x.tombstone(k, "1.0"); err != nil || !sameInstant(ts.DeletedAt, at(x.seq)) || ts.Owner != k.Account {
			x.t.Fatalf("tombstone of 1.0 = %+v, %v", ts, err)
		}
		_, err = x.deleteVersion(v.VersionKey, allowAll)
		wantErrT(x.t, "delete again", err, store.ErrNotFound)
		// The next version registers with a new bundle, not the old one.
		w := x.addVersion(k, nil, 1, 0)
		x.register(w.VersionKey, store.VersionDraft)
		if b := x.getVersion(w.VersionKey).Bundle; string(b) != "bundle of "+w.ID {
			x.t.Fatalf("bundle of the reused number = %q", b)
		}
	})

	runT(t, h, "AllowSeesEveryVersionAndCanRefuse", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		x.addVersion(k, nil, 1, 0)
		x.addVersion(k, ptr64(1), 1, 1)
		x.addVersion(k, nil, 2, 0)
		x.register(vkey(k, 1, 0), store.VersionDraft)
		x.register(vkey(k, 1, 1), store.VersionDraft)
		x.publish(vkey(k, 1, 1))
		refused := errors.New("refused by the rules")
		var seen []string
		_, err := x.deleteVersion(vkey(k, 1, 1), func(v store.TemplateVersion, all []store.TemplateVersion) error {
			if v.Status != store.VersionPublished || v.RecommendedMinor == nil || *v.RecommendedMinor != 1 {
				return fmt.Errorf("Allow got %+v", v)
			}
			seen = numbers(all)
			return refused
		})
		if err != refused {
			x.t.Fatalf("DeleteTemplateVersion: err = %v, want Allow's error unchanged", err)
		}
		if !equal(seen, "1.0", "1.1", "2.0") {
			x.t.Fatalf("Allow saw %v", seen)
		}
		x.getVersion(vkey(k, 1, 1))
	})

	runT(t, h, "InUseByEnvironment", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		x.addVersion(k, nil, 1, 0)
		x.addVersion(k, ptr64(1), 1, 1)
		x.published(vkey(k, 1, 0))
		x.environmentOn(x.published(vkey(k, 1, 1)), "prod")
		// Same numbers elsewhere do not count.
		for _, other := range []store.TemplateKey{envKey("web2"), {Account: acctE, Region: regionB, Kind: store.EnvironmentTemplate, Name: "web"},
			{Account: acctX, Region: regionA, Kind: store.EnvironmentTemplate, Name: "web"}} {
			x.addTemplate(other)
			x.addVersion(other, nil, 1, 0)
			x.environmentOn(x.published(vkey(other, 1, 0)), "other")
		}
		_, err := x.deleteVersion(vkey(k, 1, 1), allowAll)
		var inUse *store.VersionInUseError
		if !errors.As(err, &inUse) || inUse.Kind != "environment" || inUse.Name != "prod" {
			x.t.Fatalf("delete of a version in use: err = %v, want VersionInUseError naming environment prod", err)
		}
		x.getVersion(vkey(k, 1, 1))
		if _, err := x.deleteVersion(vkey(k, 1, 0), allowAll); err != nil {
			x.t.Fatalf("delete of an unused version: %v", err)
		}
		// Service template versions are not checked against environments,
		// even of a template of the same name and numbers (prod runs on
		// environment template web 1.1).
		s := svcKey("web")
		x.addTemplate(s)
		x.addVersion(s, nil, 1, 0)
		x.addVersion(s, ptr64(1), 1, 1)
		if _, err := x.deleteVersion(vkey(s, 1, 1), allowAll); err != nil {
			x.t.Fatalf("delete of a service template version: %v", err)
		}
	})
}

// published registers version k, the next registration due, and publishes
// it.
func (x *tsuite) published(k store.VersionKey) store.VersionKey {
	x.t.Helper()
	x.register(k, store.VersionDraft)
	return x.publish(k).VersionKey
}

// environmentOn stores environment name of k's account and region, running
// on version k (published), through the store.
func (x *tsuite) environmentOn(k store.VersionKey, name string) {
	x.t.Helper()
	x.seq++
	e, d := newEnvironment(k, name, uid(3000+x.seq), at(x.seq))
	createEnvironment(x.ctx, x.t, x.s, e, d, false, nil)
}

func testVersionList(t *testing.T, h Harness) {
	runT(t, h, "NumericOrderFiltersAndCursor", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		x.addVersion(k, nil, 1, 0)
		for i := int64(1); i <= 10; i++ {
			x.addVersion(k, ptr64(1), 1, i)
		}
		x.addVersion(k, nil, 2, 0)
		x.addVersion(k, ptr64(2), 2, 1)
		all := x.versions(k, nil)
		x.wantNumbers("all", all, "1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10", "2.0", "2.1")
		for _, v := range all {
			if v.Schema != "" || v.Bundle != nil {
				x.t.Fatalf("listed version carries its schema or bundle: %+v", v)
			}
		}
		x.wantNumbers("major 2", x.versions(k, ptr64(2)), "2.0", "2.1")
		x.wantNumbers("major 3", x.versions(k, ptr64(3)))
		page, err := x.s.ListTemplateVersions(x.ctx, store.ListVersionsQuery{Template: k, After: &store.VersionNumber{Major: 1, Minor: 9}, Limit: 2})
		if err != nil {
			x.t.Fatal(err)
		}
		x.wantNumbers("after 1.9", page, "1.10", "2.0")
		page, err = x.s.ListTemplateVersions(x.ctx, store.ListVersionsQuery{Template: k, Major: ptr64(1), After: &store.VersionNumber{Major: 1, Minor: 9}, Limit: 5})
		if err != nil {
			x.t.Fatal(err)
		}
		x.wantNumbers("major 1 after 1.9", page, "1.10")
	})

	runT(t, h, "UnknownTemplate", func(x *tsuite) {
		_, err := x.s.ListTemplateVersions(x.ctx, store.ListVersionsQuery{Template: envKey("none"), Limit: 10})
		wantErrT(x.t, "ListTemplateVersions of an unknown template", err, store.ErrNotFound)
		x.addTemplate(envKey("empty"))
		x.wantNumbers("template without versions", x.versions(envKey("empty"), nil))
		_, err = x.s.ListTemplateVersions(x.ctx, store.ListVersionsQuery{Template: envKey("none"), Limit: 0})
		wantErrT(x.t, "ListTemplateVersions of an unknown template, limit 0", err, store.ErrNotFound)
	})
}
