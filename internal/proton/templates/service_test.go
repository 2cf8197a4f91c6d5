package templates

import (
	"fmt"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/bundle/bundletest"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store"
)

const svc = store.ServiceTemplate

func TestCreateTemplateByNameIsIdempotent(t *testing.T) {
	f := newFixture(t)
	in := CreateTemplateInput{Kind: env, Name: "web", DisplayName: "Web", Description: "d",
		Tags: []store.Tag{{Key: "b", Value: "2"}, {Key: "a", Value: "1"}}}
	first, err := f.svc.CreateTemplate(f.ctx, f.caller, in)
	if err != nil {
		t.Fatal(err)
	}
	f.advance(time.Second)
	// Same input, tags in another order: the original.
	same := in
	same.Tags = []store.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}
	again, err := f.svc.CreateTemplate(f.ctx, f.caller, same)
	if err != nil || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("repeated create: %+v, %v; want the original", again, err)
	}
	// Different input.
	other := in
	other.Description = "other"
	_, err = f.svc.CreateTemplate(f.ctx, f.caller, other)
	wantFault(t, err, fault.Validation, "Idempotent parameter mismatch")
	// Same input after an update: ConflictException.
	d := "changed"
	if _, err := f.svc.UpdateTemplate(f.ctx, f.caller, env, "web", nil, &d); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.CreateTemplate(f.ctx, f.caller, in)
	wantFault(t, err, fault.Conflict, "web")
	// The other kind is another name space.
	if _, err := f.svc.CreateTemplate(f.ctx, f.caller, CreateTemplateInput{Kind: svc, Name: "web"}); err != nil {
		t.Fatalf("service template named like an environment template: %v", err)
	}
}

func TestCreateTemplateChecksTagsAndQuota(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.CreateTemplate(f.ctx, f.caller, CreateTemplateInput{Kind: env, Name: "x", Tags: []store.Tag{{Key: "aws:x", Value: "1"}}})
	wantFault(t, err, fault.Validation, "reserved")
	f.svc.templateQuota = 2
	f.createTemplate(env, "a")
	f.createTemplate(svc, "b")
	_, err = f.svc.CreateTemplate(f.ctx, f.caller, CreateTemplateInput{Kind: env, Name: "c"})
	wantFault(t, err, fault.QuotaExceeded, "2 templates")
	// A repeated create of an existing template is not refused by the quota.
	if _, err := f.svc.CreateTemplate(f.ctx, f.caller, CreateTemplateInput{Kind: env, Name: "a"}); err != nil {
		t.Fatalf("repeated create at the quota: %v", err)
	}
}

func TestUpdateAndGetTemplate(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web", func(in *CreateTemplateInput) { in.DisplayName = "Web"; in.Description = "old" })
	f.advance(time.Second)
	name := "New"
	got, err := f.svc.UpdateTemplate(f.ctx, f.caller, env, "web", &name, nil)
	if err != nil || got.DisplayName != "New" || got.Description != "old" || !got.LastModifiedAt.After(got.CreatedAt) {
		t.Fatalf("UpdateTemplate = %+v, %v", got, err)
	}
	_, err = f.svc.UpdateTemplate(f.ctx, f.caller, env, "none", &name, nil)
	wantFault(t, err, fault.NotFound, "Environment template none")
	_, err = f.svc.GetTemplate(f.ctx, f.caller, svc, "web")
	wantFault(t, err, fault.NotFound, "Service template web")
	other := f.caller
	other.Account = "222222222222"
	_, err = f.svc.GetTemplate(f.ctx, other, env, "web")
	wantFault(t, err, fault.NotFound)
}

func TestDeleteTemplate(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	v := f.version(env, "web", "", goodEnvBundle(t))
	_, _, err := f.svc.DeleteTemplate(f.ctx, f.caller, env, "web")
	wantFault(t, err, fault.Conflict, "versions")
	if _, _, err := f.svc.DeleteVersion(f.ctx, f.caller, env, "web", "1", "0"); err != nil {
		t.Fatal(err)
	}
	_ = v
	gone, deleted, err := f.svc.DeleteTemplate(f.ctx, f.caller, env, "web")
	if err != nil || !deleted || gone.Name != "web" {
		t.Fatalf("DeleteTemplate = %+v, %v, %v", gone, deleted, err)
	}
	// Repeated within the token TTL: success without a template.
	if _, deleted, err := f.svc.DeleteTemplate(f.ctx, f.caller, env, "web"); err != nil || deleted {
		t.Fatalf("repeated DeleteTemplate: deleted=%v err=%v", deleted, err)
	}
	f.advance(family.TokenTTL + time.Second)
	_, _, err = f.svc.DeleteTemplate(f.ctx, f.caller, env, "web")
	wantFault(t, err, fault.NotFound)
	_, _, err = f.svc.DeleteTemplate(f.ctx, f.caller, env, "never")
	wantFault(t, err, fault.NotFound, "never")
}

func TestCreateVersionRules(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	f.put("a", goodEnvBundle(t))
	create := func(major string) (store.TemplateVersion, error) {
		return f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: env, TemplateName: "web", MajorVersion: major, Bucket: "bundles", Key: "a"})
	}
	_, err := f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: env, TemplateName: "none", Bucket: "bundles", Key: "a"})
	wantFault(t, err, fault.NotFound, "none")
	_, err = create("1")
	wantFault(t, err, fault.NotFound, "no major version 1")
	_, err = create("99999999999999999999")
	wantFault(t, err, fault.NotFound, "no major version 99999999999999999999")
	for _, want := range []string{"1.0", "1.1", "2.0"} {
		major := ""
		if want == "1.1" {
			major = "1"
		}
		v, err := create(major)
		if err != nil || Number(v.VersionNumber) != want {
			t.Fatalf("create: %s, %v; want %s", Number(v.VersionNumber), err, want)
		}
	}
	f.svc.versionQuota = 3
	_, err = create("")
	wantFault(t, err, fault.QuotaExceeded, "3 versions")
	_, err = f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: env, TemplateName: "web", Bucket: "bundles", Key: "a",
		Tags: []store.Tag{{Key: "AWS:x", Value: "y"}}})
	wantFault(t, err, fault.Validation, "reserved")
}

func TestClientTokenOfVersionCreates(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	in := CreateVersionInput{Kind: env, TemplateName: "web", Bucket: "bundles", Key: "a", ClientToken: "tok", Description: "d"}
	first, err := f.svc.CreateVersion(f.ctx, f.caller, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.svc.CreateVersion(f.ctx, f.caller, in)
	if err != nil || again.ID != first.ID {
		t.Fatalf("replay: %+v, %v", again, err)
	}
	if f.woken != 1 {
		t.Fatalf("a replay woke the worker: %d wake-ups", f.woken)
	}
	other := in
	other.Description = "other"
	_, err = f.svc.CreateVersion(f.ctx, f.caller, other)
	wantFault(t, err, fault.Validation, "Idempotent parameter mismatch")
	// Another template with the same token is other parameters too.
	f.createTemplate(env, "api")
	other = in
	other.TemplateName = "api"
	_, err = f.svc.CreateVersion(f.ctx, f.caller, other)
	wantFault(t, err, fault.Validation, "Idempotent parameter mismatch")
}

func TestServiceVersionCompatibleEnvironmentTemplates(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "env")
	f.version(env, "env", "", goodEnvBundle(t))
	f.createTemplate(env, "bad")
	f.version(env, "bad", "", []byte("not a bundle"))
	f.createTemplate(svc, "api")
	f.put("s", bundletest.ServiceBundle(t))
	create := func(compat ...Compatible) (store.TemplateVersion, error) {
		return f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: svc, TemplateName: "api", Bucket: "bundles", Key: "s",
			Compatible: compat, ComponentSources: []string{"DIRECTLY_DEFINED", "DIRECTLY_DEFINED"}})
	}
	_, err := create(Compatible{"none", "1"})
	wantFault(t, err, fault.Validation, "environment template none does not exist")
	_, err = create(Compatible{"env", "2"})
	wantFault(t, err, fault.Validation, "env", "major version 2")
	_, err = create(Compatible{"bad", "1"})
	wantFault(t, err, fault.Validation, "bad", "major version 1")
	_, err = create(Compatible{"env", "1"}, Compatible{"env", "1"})
	wantFault(t, err, fault.Validation, "more than once")
	v, err := create(Compatible{"env", "1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.CompatibleEnvironmentTemplates) != 1 || v.CompatibleEnvironmentTemplates[0] != (store.CompatibleTemplate{Name: "env", Major: 1}) ||
		len(v.SupportedComponentSources) != 1 {
		t.Fatalf("version = %+v", v)
	}
	// Update replaces the list under the same checks; an empty component
	// source list clears it.
	f.createTemplate(env, "env2")
	f.version(env, "env2", "", goodEnvBundle(t))
	compat := []Compatible{{"env2", "1"}, {"env", "1"}}
	none := []string{}
	got, err := f.svc.UpdateVersion(f.ctx, f.caller, svc, "api", "1", "0", UpdateVersionInput{Compatible: &compat, ComponentSources: &none})
	if err != nil || len(got.CompatibleEnvironmentTemplates) != 2 || got.CompatibleEnvironmentTemplates[0].Name != "env2" ||
		len(got.SupportedComponentSources) != 0 {
		t.Fatalf("update: %+v, %v", got, err)
	}
	bad := []Compatible{{"none", "1"}}
	_, err = f.svc.UpdateVersion(f.ctx, f.caller, svc, "api", "1", "0", UpdateVersionInput{Compatible: &bad})
	wantFault(t, err, fault.Validation, "none")
}

func TestPublishing(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	failedV := f.version(env, "web", "", []byte("junk"))
	st := "PUBLISHED"
	_, err := f.svc.UpdateVersion(f.ctx, f.caller, env, "web", "1", "0", UpdateVersionInput{Status: &st})
	wantFault(t, err, fault.Conflict, "REGISTRATION_FAILED")
	_ = failedV
	f.version(env, "web", "", goodEnvBundle(t))
	v := f.publish(env, "web", "2", "0")
	wantStatus(t, v, store.VersionPublished)
	// Publishing again is a no-op; DRAFT cannot come back.
	f.publish(env, "web", "2", "0")
	draft := "DRAFT"
	_, err = f.svc.UpdateVersion(f.ctx, f.caller, env, "web", "2", "0", UpdateVersionInput{Status: &draft})
	wantFault(t, err, fault.Conflict, "cannot return to DRAFT")
	reg := "REGISTRATION_FAILED"
	_, err = f.svc.UpdateVersion(f.ctx, f.caller, env, "web", "2", "0", UpdateVersionInput{Status: &reg})
	wantFault(t, err, fault.Validation)
	_, err = f.svc.UpdateVersion(f.ctx, f.caller, env, "web", "3", "0", UpdateVersionInput{Status: &st})
	wantFault(t, err, fault.NotFound, "3.0")
	_, err = f.svc.UpdateVersion(f.ctx, f.caller, env, "nope", "1", "0", UpdateVersionInput{Status: &st})
	wantFault(t, err, fault.NotFound, "nope")
	d := "described"
	got, err := f.svc.UpdateVersion(f.ctx, f.caller, env, "web", "1", "0", UpdateVersionInput{Description: &d})
	if err != nil || got.Description != d || got.Status != store.VersionFailed {
		t.Fatalf("description of a failed version: %+v, %v", got, err)
	}
}

func TestRecommendedVersionBookkeeping(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	rec := func() string {
		t.Helper()
		tm, err := f.svc.GetTemplate(f.ctx, f.caller, env, "web")
		if err != nil {
			t.Fatal(err)
		}
		if tm.Recommended == nil {
			return ""
		}
		return Number(*tm.Recommended)
	}
	recMinor := func(major, minor int64) string {
		t.Helper()
		v := f.get(env, "web", major, minor)
		if v.RecommendedMinor == nil {
			return ""
		}
		return fmt.Sprint(*v.RecommendedMinor)
	}
	good := goodEnvBundle(t)
	f.version(env, "web", "", good)  // 1.0
	f.version(env, "web", "1", good) // 1.1
	f.version(env, "web", "", good)  // 2.0
	if rec() != "" || recMinor(1, 0) != "" {
		t.Fatalf("recommended before publishing: %q, %q", rec(), recMinor(1, 0))
	}
	f.publish(env, "web", "1", "0")
	if rec() != "1.0" || recMinor(1, 1) != "0" {
		t.Fatalf("after publishing 1.0: %q, %q", rec(), recMinor(1, 1))
	}
	f.publish(env, "web", "2", "0")
	if rec() != "2.0" || recMinor(1, 0) != "0" || recMinor(2, 0) != "0" {
		t.Fatalf("after publishing 2.0: %q", rec())
	}
	// A lower version published later does not take over the template.
	f.publish(env, "web", "1", "1")
	if rec() != "2.0" || recMinor(1, 0) != "1" {
		t.Fatalf("after publishing 1.1: %q, %q", rec(), recMinor(1, 0))
	}
	// A new draft minor changes nothing until published.
	f.version(env, "web", "2", good) // 2.1
	if rec() != "2.0" || recMinor(2, 1) != "0" {
		t.Fatalf("after a draft 2.1: %q, %q", rec(), recMinor(2, 1))
	}
	f.publish(env, "web", "2", "1")
	if rec() != "2.1" || recMinor(2, 0) != "1" {
		t.Fatalf("after publishing 2.1: %q, %q", rec(), recMinor(2, 0))
	}
}

func TestListsPageInOrder(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		f.createTemplate(env, fmt.Sprintf("t%d", 4-i))
	}
	var names []string
	token := ""
	for range 10 {
		page, next, err := f.svc.ListTemplates(f.ctx, f.caller, env, 2, token)
		if err != nil {
			t.Fatal(err)
		}
		for _, tm := range page {
			names = append(names, tm.Name)
		}
		if next == "" {
			break
		}
		token = next
	}
	if fmt.Sprint(names) != "[t0 t1 t2 t3 t4]" {
		t.Fatalf("names = %v", names)
	}
	_, _, err := f.svc.ListTemplates(f.ctx, f.caller, svc, 2, token)
	wantFault(t, err, fault.Validation, "nextToken")

	f.put("a", goodEnvBundle(t))
	for i := range 12 {
		major := "1"
		if i == 0 || i == 11 {
			major = ""
		}
		if _, err := f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: env, TemplateName: "t0", MajorVersion: major, Bucket: "bundles", Key: "a"}); err != nil {
			t.Fatal(err)
		}
	}
	var nums []string
	token = ""
	for range 20 {
		page, next, err := f.svc.ListVersions(f.ctx, f.caller, env, "t0", "", 5, token)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page {
			nums = append(nums, Number(v.VersionNumber))
		}
		if next == "" {
			break
		}
		token = next
	}
	if fmt.Sprint(nums) != "[1.0 1.1 1.2 1.3 1.4 1.5 1.6 1.7 1.8 1.9 1.10 2.0]" {
		t.Fatalf("versions = %v", nums)
	}
	page, _, err := f.svc.ListVersions(f.ctx, f.caller, env, "t0", "2", 0, "")
	if err != nil || len(page) != 1 {
		t.Fatalf("major 2: %v, %v", page, err)
	}
	_, _, err = f.svc.ListVersions(f.ctx, f.caller, env, "t1", "", 5, token)
	wantFault(t, err, fault.Validation, "nextToken")
	_, _, err = f.svc.ListVersions(f.ctx, f.caller, env, "none", "", 5, "")
	wantFault(t, err, fault.NotFound, "none")
}

func TestTagOwners(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	f.version(env, "web", "", goodEnvBundle(t))
	owner := f.svc.TagOwner(env)
	check := func(s string) error {
		a, ok := arn.Parse(s)
		if !ok {
			t.Fatalf("bad test ARN %s", s)
		}
		return owner(f.ctx, f.caller, a)
	}
	base := "arn:aws:proton:us-east-1:111111111111:environment-template/web"
	for _, ok := range []string{base, base + ":1.0"} {
		if err := check(ok); err != nil {
			t.Fatalf("%s: %v", ok, err)
		}
	}
	for _, missing := range []string{base + "x", base + ":1.1", base + ":01.0", base + ":1", base + ":1.0.0", base + ":a.b",
		"arn:aws:proton:us-east-1:222222222222:environment-template/web"} {
		wantFault(t, check(missing), fault.NotFound, missing)
	}
	if err := f.svc.TagOwner(svc)(f.ctx, f.caller, arn.ARN{Partition: "aws", Region: "us-east-1", Account: "111111111111",
		Resource: "service-template/web"}); !fault.Is(err, fault.NotFound) {
		t.Fatalf("service template owner of an environment template's name: %v", err)
	}
}
