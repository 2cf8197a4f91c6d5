package templates

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/bundle/bundletest"
	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/worker"
)

const env = store.EnvironmentTemplate

func TestRegistrationOfAGoodBundle(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	data := goodEnvBundle(t)
	v := f.version(env, "web", "", data)
	wantStatus(t, v, store.VersionDraft)
	if v.StatusMessage != "" || !strings.Contains(v.Schema, "environment_input_type") {
		t.Fatalf("registered version: message %q, schema %q", v.StatusMessage, v.Schema)
	}
	if f.woken != 1 {
		t.Fatalf("the worker was woken %d times, want 1", f.woken)
	}
	r, err := f.svc.ResolveEnvironmentTemplateVersion(f.ctx, f.caller.Account, f.caller.Region, "web", "1", "0")
	if err != nil || !bytes.Equal(r.Bundle, data) || r.SchemaText != v.Schema || r.Status != "DRAFT" {
		t.Fatalf("resolved %+v, %v; want the registered bundle and schema", r, err)
	}
}

func TestBrokenBundlesFailRegistrationNamingTheProblem(t *testing.T) {
	big := strings.Repeat("x", 201<<10)
	many := []bundletest.Entry{bundletest.File("schema/schema.yaml", bundletest.EnvSchema(bundletest.PropVPCCIDR)),
		bundletest.File("infrastructure/manifest.yaml", bundletest.CFNManifest),
		bundletest.File("infrastructure/cloudformation.yaml", bundletest.EnvCloudFormation)}
	for i := range 9 {
		many = append(many, bundletest.File("infrastructure/extra"+string(rune('a'+i))+".yaml", "a: 1\n"))
	}
	cases := []struct {
		name   string
		data   func(t *testing.T) []byte
		manage bool // a customer-managed template
		want   []string
	}{
		{"not gzip", func(*testing.T) []byte { return []byte("just some text, not an archive") }, false, []string{"gzip"}},
		{"empty object", func(*testing.T) []byte { return []byte{} }, false, nil},
		{"no schema", func(t *testing.T) []byte {
			return bundletest.TarGz(t, bundletest.File("infrastructure/manifest.yaml", bundletest.CFNManifest), bundletest.File("infrastructure/cloudformation.yaml", bundletest.EnvCloudFormation))
		}, false, []string{"schema/schema.yaml"}},
		{"bad YAML", func(t *testing.T) []byte { return envBundle(t, "schema:\n  format: [unclosed\n") }, false, []string{"schema/schema.yaml"}},
		{"not Proton's schema form", func(t *testing.T) []byte {
			return envBundle(t, "openapi: 3.0.0\ninfo: {title: x, version: '1'}\npaths: {}\n")
		}, false, []string{"schema/schema.yaml"}},
		{"service schema in an environment template", func(t *testing.T) []byte { return envBundle(t, bundletest.ServiceSchemaNoPipeline) }, false, []string{"schema"}},
		{"unknown manifest form", func(t *testing.T) []byte {
			return bundletest.TarGz(t, bundletest.File("schema/schema.yaml", bundletest.EnvSchema(bundletest.PropVPCCIDR)), bundletest.File("infrastructure/manifest.yaml", "hello: world\n"),
				bundletest.File("infrastructure/cloudformation.yaml", bundletest.EnvCloudFormation))
		}, false, []string{"manifest.yaml"}},
		{"file too large", func(t *testing.T) []byte {
			return bundletest.TarGz(t, bundletest.File("schema/schema.yaml", bundletest.EnvSchema(bundletest.PropVPCCIDR)), bundletest.File("infrastructure/manifest.yaml", bundletest.CFNManifest),
				bundletest.File("infrastructure/cloudformation.yaml", "Description: "+big+"\n"))
		}, false, []string{"cloudformation.yaml"}},
		{"too many files", func(t *testing.T) []byte { return bundletest.TarGz(t, many...) }, false, []string{"10"}},
		{"infrastructure in a customer-managed template", func(t *testing.T) []byte { return goodEnvBundle(t) }, true, []string{"customer-managed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.createTemplate(env, "web", func(in *CreateTemplateInput) {
				if c.manage {
					in.Provisioning = "CUSTOMER_MANAGED"
				}
			})
			v := f.version(env, "web", "", c.data(t))
			wantStatus(t, v, store.VersionFailed, c.want...)
			if v.StatusMessage == "" {
				t.Fatal("REGISTRATION_FAILED without a statusMessage")
			}
			t.Logf("statusMessage: %s", v.StatusMessage)
		})
	}
}

func TestCustomerManagedTemplateTakesASchemaOnlyBundle(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "ext", func(in *CreateTemplateInput) { in.Provisioning = "CUSTOMER_MANAGED" })
	schema := bundletest.EnvSchema("        vpc_id:\n          type: string\n")
	v := f.version(env, "ext", "", bundletest.TarGz(t, bundletest.File("schema/schema.yaml", schema)))
	wantStatus(t, v, store.VersionDraft)
}

func TestServiceTemplatePipelineFollowsPipelineProvisioning(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "env")
	f.version(env, "env", "", goodEnvBundle(t))
	f.createTemplate(store.ServiceTemplate, "api")
	wantStatus(t, f.version(store.ServiceTemplate, "api", "", bundletest.ServiceBundle(t)), store.VersionDraft)
	f.createTemplate(store.ServiceTemplate, "nopipe", func(in *CreateTemplateInput) { in.Provisioning = "CUSTOMER_MANAGED" })
	wantStatus(t, f.version(store.ServiceTemplate, "nopipe", "", bundletest.ServiceBundle(t)), store.VersionFailed, "CUSTOMER_MANAGED")
}

func TestMissingObjectFailsRegistration(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	v, err := f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: env, TemplateName: "web", Bucket: "bundles", Key: "nothing-here"})
	if err != nil {
		t.Fatal(err)
	}
	f.drain()
	wantStatus(t, f.get(env, "web", v.Major, v.Minor), store.VersionFailed, "s3://bundles/nothing-here", "does not exist")
}

func TestIncompatibleMinorFailsAgainstEveryEarlierMinor(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	wantStatus(t, f.version(env, "web", "", goodEnvBundle(t)), store.VersionDraft)
	// Adding an optional input is compatible.
	wantStatus(t, f.version(env, "web", "1", envBundle(t, bundletest.EnvSchema(bundletest.PropVPCCIDR+bundletest.PropSize))), store.VersionDraft)
	// Removing an input breaks 1.0 and 1.1.
	v := f.version(env, "web", "1", envBundle(t, bundletest.EnvSchema(bundletest.PropSize)))
	wantStatus(t, v, store.VersionFailed, "not backward compatible", "vpc_cidr", "compared with version 1.0")
	// A required input without a default breaks 1.1 but not... any earlier
	// minor; and a new major may change the schema freely.
	v = f.version(env, "web", "1", envBundle(t, bundletest.EnvSchema(bundletest.PropVPCCIDR+bundletest.PropSize+"      required: [size]\n")))
	wantStatus(t, v, store.VersionFailed, "not backward compatible", "size")
	wantStatus(t, f.version(env, "web", "", envBundle(t, bundletest.EnvSchema(bundletest.PropSize+"      required: [size]\n"))), store.VersionDraft)
	// A failed minor is not compared against.
	wantStatus(t, f.version(env, "web", "1", envBundle(t, bundletest.EnvSchema(bundletest.PropVPCCIDR+bundletest.PropSize))), store.VersionDraft)
}

func TestLaterMinorWaitsForEarlierRegistration(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	f.put("a", goodEnvBundle(t))
	f.put("b", envBundle(t, bundletest.EnvSchema(bundletest.PropSize)))
	v0, err := f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: env, TemplateName: "web", Bucket: "bundles", Key: "a"})
	if err != nil {
		t.Fatal(err)
	}
	v1, err := f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: env, TemplateName: "web", MajorVersion: "1", Bucket: "bundles", Key: "b"})
	if err != nil {
		t.Fatal(err)
	}
	f.drain()
	wantStatus(t, f.get(env, "web", v0.Major, v0.Minor), store.VersionDraft)
	// 1.1 removes vpc_cidr: it must have been compared with 1.0.
	wantStatus(t, f.get(env, "web", v1.Major, v1.Minor), store.VersionFailed, "compared with version 1.0")
}

func TestTransientFetchErrorsRetryThenSucceed(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	f.put("a", goodEnvBundle(t))
	f.src.fail = 2
	v, err := f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: env, TemplateName: "web", Bucket: "bundles", Key: "a"})
	if err != nil {
		t.Fatal(err)
	}
	f.drain()
	wantStatus(t, f.get(env, "web", 1, 0), store.VersionRegistering)
	// Backoff: the retry is not due at once.
	f.advance(500 * time.Millisecond)
	f.drain()
	if f.src.calls != 1 {
		t.Fatalf("fetched %d times before the retry was due", f.src.calls)
	}
	for range 10 {
		f.advance(time.Minute)
		f.drain()
	}
	wantStatus(t, f.get(env, "web", v.Major, v.Minor), store.VersionDraft)
	if f.src.calls != 3 {
		t.Fatalf("fetched %d times, want 3", f.src.calls)
	}
}

// TestTransientFetchErrorAsksForARetry: the handler leaves the version in
// progress and asks its runner to hand the job back until the backoff is
// over.
func TestTransientFetchErrorAsksForARetry(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	f.src.fail = 1
	if _, err := f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: env, TemplateName: "web", Bucket: "bundles", Key: "a"}); err != nil {
		t.Fatal(err)
	}
	err := f.reg.Run(f.ctx, f.lease("test-owner"))
	var retry *worker.RetryError
	if !errors.As(err, &retry) || !retry.At.Equal(f.clock().Add(2*time.Second)) || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("Run after a transient fetch error: %v, want a retry in 2s", err)
	}
	wantStatus(t, f.get(env, "web", 1, 0), store.VersionRegistering)
}

func TestTransientFetchErrorsGiveUpWithAClearMessage(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	f.src.fail = 1000
	if _, err := f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: env, TemplateName: "web", Bucket: "bundles", Key: "a"}); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		f.drain()
		f.advance(time.Minute)
	}
	wantStatus(t, f.get(env, "web", 1, 0), store.VersionFailed, "s3://bundles/a", "connection reset", "6 attempts")
	if f.src.calls != DefaultMaxAttempts {
		t.Fatalf("fetched %d times, want %d", f.src.calls, DefaultMaxAttempts)
	}
}

func TestJobAbandonedTooOftenFails(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	f.put("a", goodEnvBundle(t))
	if _, err := f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: env, TemplateName: "web", Bucket: "bundles", Key: "a"}); err != nil {
		t.Fatal(err)
	}
	// Processes that lease the job and stop without a word, as a crash does.
	for range DefaultMaxAttempts {
		f.lease("crashed")
		f.advance(DefaultLease)
	}
	f.drain()
	wantStatus(t, f.get(env, "web", 1, 0), store.VersionFailed, "did not complete after 6 attempts")
	if f.src.calls != 0 {
		t.Fatalf("fetched %d times after giving up", f.src.calls)
	}
}

func TestExpiredLeaseIsTakenOverAndCompleted(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	f.put("a", goodEnvBundle(t))
	if _, err := f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: env, TemplateName: "web", Bucket: "bundles", Key: "a"}); err != nil {
		t.Fatal(err)
	}
	f.lease("crashed")
	f.drain()
	wantStatus(t, f.get(env, "web", 1, 0), store.VersionRegistering)
	f.advance(DefaultLease)
	f.drain()
	wantStatus(t, f.get(env, "web", 1, 0), store.VersionDraft)
}

func TestStoppingHandsTheJobBack(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	f.put("a", goodEnvBundle(t))
	f.reg.delay = time.Hour
	if _, err := f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: env, TemplateName: "web", Bucket: "bundles", Key: "a"}); err != nil {
		t.Fatal(err)
	}
	// The job is held by the delay when the process stops.
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan error, 1)
	go func() {
		_, err := f.runner.Step(ctx)
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(f.logs.String(), "template registration started") {
		if time.Now().After(deadline) {
			t.Fatalf("the registration did not start:\n%s", f.logs)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("a step stopped while it ran a job: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the registration did not stop with its process")
	}
	if f.src.calls != 0 {
		t.Fatalf("fetched %d times while stopping", f.src.calls)
	}
	// Handed back: due at once, without waiting for the lease to run out,
	// and that attempt does not count.
	f.reg.delay = 0
	f.drain()
	wantStatus(t, f.get(env, "web", 1, 0), store.VersionDraft)
	if n := strings.Count(f.logs.String(), "attempt=1"); n != 2 {
		t.Fatalf("%d runs logged attempt=1, want both:\n%s", n, f.logs)
	}
}

// TestDeletedWhileRegisteringEndsQuietly deletes a version once before its
// job runs and once while it runs: either way the job ends without effect
// or error.
func TestDeletedWhileRegisteringEndsQuietly(t *testing.T) {
	f := newFixture(t)
	f.createTemplate(env, "web")
	f.put("a", goodEnvBundle(t))
	for _, during := range []bool{false, true} {
		v, err := f.svc.CreateVersion(f.ctx, f.caller, CreateVersionInput{Kind: env, TemplateName: "web", Bucket: "bundles", Key: "a"})
		if err != nil {
			t.Fatal(err)
		}
		del := func() {
			if _, _, err := f.svc.DeleteVersion(f.ctx, f.caller, env, "web", fmt.Sprint(v.Major), fmt.Sprint(v.Minor)); err != nil {
				t.Error(err)
			}
		}
		job := f.lease("test-owner")
		if during {
			f.src.onFetch = del
		} else {
			del()
		}
		if err := f.reg.Run(f.ctx, job); err != nil {
			t.Fatalf("running the job of a deleted version (deleted while it ran: %v): %v", during, err)
		}
		if _, err := f.st.GetTemplateVersion(f.ctx, v.VersionKey, false); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the deleted version came back: %v", err)
		}
		f.drain()
	}
	if !strings.Contains(f.logs.String(), "template registration ended elsewhere") || f.src.calls != 1 {
		t.Fatalf("fetched %d times; log:\n%s", f.src.calls, f.logs)
	}
}
