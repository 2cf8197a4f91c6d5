package storetest

import (
	"testing"

	"github.com/openproton/openproton/internal/store"
)

func testTemplates(t *testing.T, h Harness) {
	runT(t, h, "RoundTripsEveryField", func(x *tsuite) {
		k := envKey("web")
		want := x.newTemplate(k)
		want.EncryptionKey = "arn:aws:kms:us-east-1:111111111111:key/abc"
		want.Provisioning = "CUSTOMER_MANAGED"
		got, created, err := x.s.CreateTemplate(x.ctx, store.CreateTemplateParams{Template: want, ARN: tmplARN(k), Quota: bigQuota,
			Tags: []store.Tag{{Key: "team", Value: "a"}}})
		if err != nil || !created {
			x.t.Fatalf("CreateTemplate: created=%v err=%v", created, err)
		}
		for _, g := range []store.Template{got, x.getTemplate(k)} {
			if g.TemplateKey != k || g.DisplayName != want.DisplayName || g.Description != want.Description ||
				g.EncryptionKey != want.EncryptionKey || g.Provisioning != want.Provisioning || g.Fingerprint != want.Fingerprint ||
				!sameInstant(g.CreatedAt, want.CreatedAt) || !sameInstant(g.LastModifiedAt, want.LastModifiedAt) || g.Recommended != nil {
				x.t.Fatalf("template = %+v, want %+v", g, want)
			}
		}
		x.wantTagsT(tmplARN(k), store.Tag{Key: "team", Value: "a"})
	})

	runT(t, h, "ExistingNameReturnsItUnchanged", func(x *tsuite) {
		k := envKey("web")
		first := x.addTemplate(k)
		again := x.newTemplate(k)
		again.Fingerprint, again.Description = "other", "other"
		got, created, err := x.s.CreateTemplate(x.ctx, store.CreateTemplateParams{Template: again, ARN: tmplARN(k), Quota: 1,
			Tags: []store.Tag{{Key: "x", Value: "y"}}})
		if err != nil || created {
			x.t.Fatalf("CreateTemplate of an existing name: created=%v err=%v (no quota check applies)", created, err)
		}
		if got.Fingerprint != first.Fingerprint || got.Description != first.Description {
			x.t.Fatalf("CreateTemplate of an existing name returned %+v, want the original %+v", got, first)
		}
		x.wantTagsT(tmplARN(k))
	})

	runT(t, h, "KindsAndScopesAreSeparate", func(x *tsuite) {
		x.addTemplate(envKey("web"))
		x.addTemplate(svcKey("web"))
		other := envKey("web")
		other.Region = regionB
		x.addTemplate(other)
		other.Account, other.Region = acctX, regionA
		x.addTemplate(other)
		if _, err := x.s.GetTemplate(x.ctx, store.TemplateKey{Account: acctM, Region: regionA, Kind: store.EnvironmentTemplate, Name: "web"}); err != store.ErrNotFound {
			x.t.Fatalf("GetTemplate in another account: %v, want ErrNotFound", err)
		}
	})

	runT(t, h, "QuotaCountsBothKinds", func(x *tsuite) {
		x.addTemplate(envKey("a"))
		x.addTemplate(svcKey("b"))
		p := store.CreateTemplateParams{Template: x.newTemplate(envKey("c")), ARN: tmplARN(envKey("c")), Quota: 2}
		_, _, err := x.s.CreateTemplate(x.ctx, p)
		wantErrT(x.t, "CreateTemplate over quota", err, store.ErrQuotaExceeded)
		if _, err := x.s.GetTemplate(x.ctx, envKey("c")); err != store.ErrNotFound {
			x.t.Fatalf("template over quota was stored: %v", err)
		}
		// Another region has its own quota.
		k := envKey("c")
		k.Region = regionB
		p = store.CreateTemplateParams{Template: x.newTemplate(k), ARN: tmplARN(k), Quota: 2}
		if _, _, err := x.s.CreateTemplate(x.ctx, p); err != nil {
			x.t.Fatalf("CreateTemplate in another region: %v", err)
		}
	})

	runT(t, h, "Update", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		d := "new description"
		got, err := x.s.UpdateTemplate(x.ctx, store.UpdateTemplateParams{Key: k, Description: &d, Now: at(100)})
		if err != nil {
			x.t.Fatal(err)
		}
		if got.Description != d || got.DisplayName != "Display web" || !sameInstant(got.LastModifiedAt, at(100)) || sameInstant(got.CreatedAt, at(100)) {
			x.t.Fatalf("UpdateTemplate = %+v", got)
		}
		empty := ""
		got, err = x.s.UpdateTemplate(x.ctx, store.UpdateTemplateParams{Key: k, Description: &empty, Now: at(101)})
		if err != nil || got.Description != "" {
			x.t.Fatalf("UpdateTemplate to an empty description: %+v, %v", got, err)
		}
		_, err = x.s.UpdateTemplate(x.ctx, store.UpdateTemplateParams{Key: envKey("none"), Now: at(102)})
		wantErrT(x.t, "UpdateTemplate of an unknown template", err, store.ErrNotFound)
	})

	runT(t, h, "DeleteNeedsNoVersions", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		v := x.addVersion(k, nil, 1, 0)
		got, err := x.s.DeleteTemplate(x.ctx, k, tmplARN(k), at(50))
		wantErrT(x.t, "DeleteTemplate with a version", err, store.ErrVersionsRemain)
		if got.Name != "web" {
			x.t.Fatalf("DeleteTemplate with versions returned %+v, want the template", got)
		}
		if _, err := x.deleteVersion(v.VersionKey, allowAll); err != nil {
			x.t.Fatal(err)
		}
		if _, err := x.s.DeleteTemplate(x.ctx, k, tmplARN(k), at(51)); err != nil {
			x.t.Fatalf("DeleteTemplate without versions: %v", err)
		}
		_, err = x.s.GetTemplate(x.ctx, k)
		wantErrT(x.t, "GetTemplate after delete", err, store.ErrNotFound)
		_, err = x.s.DeleteTemplate(x.ctx, k, tmplARN(k), at(52))
		wantErrT(x.t, "DeleteTemplate again", err, store.ErrNotFound)
	})

	runT(t, h, "TagsNeedTheTemplateOrVersion", func(x *tsuite) {
		// Tag writes check, in their transaction, that the resource of the
		// ARN exists: a template, or one of its versions.
		k := svcKey("api")
		x.addTemplate(k)
		v := x.addVersion(k, nil, 1, 0)
		tag := store.Tag{Key: "team", Value: "b"}
		for _, arn := range []string{tmplARN(k), versionARN(k, v.VersionNumber)} {
			if err := x.s.TagResource(x.ctx, arn, []store.Tag{tag}, 50); err != nil {
				x.t.Fatalf("TagResource(%s): %v", arn, err)
			}
			x.wantTagsT(arn, tag)
		}
		for _, arn := range []string{tmplARN(svcKey("nosuch")), tmplARN(envKey("api")),
			versionARN(k, store.VersionNumber{Major: 1, Minor: 1}), versionARN(k, store.VersionNumber{Major: 2})} {
			err := x.s.TagResource(x.ctx, arn, []store.Tag{tag}, 50)
			wantErrT(x.t, "TagResource of "+arn, err, store.ErrNotFound)
			x.wantTagsT(arn)
		}
	})

	runT(t, h, "DeleteRemovesTagsAndLeavesTombstone", func(x *tsuite) {
		k := envKey("web")
		if _, _, err := x.s.CreateTemplate(x.ctx, store.CreateTemplateParams{Template: x.newTemplate(k), ARN: tmplARN(k), Quota: bigQuota,
			Tags: []store.Tag{{Key: "a", Value: "1"}}}); err != nil {
			x.t.Fatal(err)
		}
		_, err := x.tombstone(k, "")
		wantErrT(x.t, "tombstone before delete", err, store.ErrNotFound)
		if _, err := x.s.DeleteTemplate(x.ctx, k, tmplARN(k), at(60)); err != nil {
			x.t.Fatal(err)
		}
		x.wantTagsT(tmplARN(k))
		ts, err := x.tombstone(k, "")
		if err != nil || !sameInstant(ts.DeletedAt, at(60)) || ts.Owner != k.Account {
			x.t.Fatalf("tombstone = %+v, %v; want one of %s deleted at %v", ts, err, k.Account, at(60))
		}
		_, err = x.tombstone(svcKey("web"), "")
		wantErrT(x.t, "tombstone of the other kind", err, store.ErrNotFound)
		// A new template of that name can be created; purging drops the
		// tombstone.
		x.addTemplate(k)
		if err := x.s.Purge(x.ctx, at(0), at(60)); err != nil {
			x.t.Fatal(err)
		}
		if _, err := x.tombstone(k, ""); err != nil {
			x.t.Fatalf("tombstone deleted at the purge instant was purged: %v", err)
		}
		if err := x.s.Purge(x.ctx, at(0), at(61)); err != nil {
			x.t.Fatal(err)
		}
		_, err = x.tombstone(k, "")
		wantErrT(x.t, "tombstone after purge", err, store.ErrNotFound)
	})

	runT(t, h, "List", func(x *tsuite) {
		for _, n := range []string{"b", "a", "C", "a-1"} {
			x.addTemplate(envKey(n))
		}
		x.addTemplate(svcKey("s"))
		list := func(after string, limit int) []string {
			ts, err := x.s.ListTemplates(x.ctx, store.ListTemplatesQuery{Account: acctE, Region: regionA, Kind: store.EnvironmentTemplate, AfterName: after, Limit: limit})
			if err != nil {
				x.t.Fatal(err)
			}
			out := []string{}
			for _, t := range ts {
				out = append(out, t.Name)
			}
			return out
		}
		if got := list("", 100); !equal(got, "C", "a", "a-1", "b") {
			x.t.Fatalf("ListTemplates = %v, want byte order C a a-1 b", got)
		}
		if got := list("a", 2); !equal(got, "a-1", "b") {
			x.t.Fatalf("ListTemplates after a = %v", got)
		}
		if got := list("", 0); len(got) != 0 {
			x.t.Fatalf("ListTemplates with limit 0 = %v", got)
		}
	})
}

func equal(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}
