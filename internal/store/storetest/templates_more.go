package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/openproton/openproton/internal/store"
)

// parallelT runs n calls of fn at once and returns their errors.
func parallelT(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errs
}

func testTemplatesConcurrency(t *testing.T, h Harness) {
	runT(t, h, "VersionCreatesGetDistinctNumbers", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		x.addVersion(k, nil, 1, 0)
		const n = 8
		params := make([]store.CreateVersionParams, 2*n)
		for i := range params {
			var major *int64
			if i%2 == 0 {
				major = ptr64(1)
			}
			params[i] = x.versionParams(k, major)
		}
		errs := parallelT(len(params), func(i int) error {
			_, _, err := x.s.CreateTemplateVersion(x.ctx, params[i])
			return err
		})
		for _, err := range errs {
			if err != nil {
				x.t.Fatalf("concurrent CreateTemplateVersion: %v", err)
			}
		}
		want := []string{"1.0"}
		for i := 1; i <= n; i++ {
			want = append(want, fmt.Sprintf("1.%d", i))
		}
		for i := 2; i <= n+1; i++ {
			want = append(want, fmt.Sprintf("%d.0", i))
		}
		x.wantNumbers("versions after concurrent creates", x.versions(k, nil), want...)
	})

	runT(t, h, "SameTokenCreatesOnce", func(x *tsuite) {
		k := envKey("web")
		x.addTemplate(k)
		tok := &store.Idempotency{Key: store.IdempotencyKey{Account: acctE, Region: regionA, Operation: "CreateEnvironmentTemplateVersion", Token: "t"},
			Fingerprint: "fp", ExpiresAt: at(480)}
		const n = 6
		params := make([]store.CreateVersionParams, n)
		for i := range params {
			params[i] = x.versionParams(k, nil)
			params[i].Token, params[i].Now = tok, at(0)
		}
		ids := make([]string, n)
		errs := parallelT(n, func(i int) error {
			v, _, err := x.s.CreateTemplateVersion(x.ctx, params[i])
			ids[i] = v.ID
			return err
		})
		for i, err := range errs {
			if err != nil {
				x.t.Fatalf("concurrent create with one token: %v", err)
			}
			if ids[i] != ids[0] {
				x.t.Fatalf("concurrent creates with one token returned %v", ids)
			}
		}
		x.wantNumbers("versions", x.versions(k, nil), "1.0")
	})

	runT(t, h, "TemplateNameAndQuota", func(x *tsuite) {
		const n, quota = 8, 3
		names := []string{"same", "same", "a", "b", "c", "d", "e", "f"}
		created := make([]bool, n)
		errs := parallelT(n, func(i int) error {
			k := envKey(names[i])
			if i%3 == 2 {
				k = svcKey(names[i])
			}
			tm := store.Template{TemplateKey: k, Fingerprint: fmt.Sprint(i), CreatedAt: at(i), LastModifiedAt: at(i)}
			_, c, err := x.s.CreateTemplate(x.ctx, store.CreateTemplateParams{Template: tm, ARN: tmplARN(k), Quota: quota})
			created[i] = c
			return err
		})
		made := 0
		for i, err := range errs {
			switch {
			case err == nil && created[i]:
				made++
			case err == nil, errors.Is(err, store.ErrQuotaExceeded):
			default:
				x.t.Fatalf("concurrent CreateTemplate: %v", err)
			}
		}
		if made != quota {
			x.t.Fatalf("%d templates created concurrently under a quota of %d", made, quota)
		}
		if created[0] && created[1] {
			x.t.Fatal("two templates created under one name")
		}
	})
}

func testTemplatesDurability(t *testing.T, h Harness) {
	if h.Reopen == nil {
		t.Skip("the store has no durable state to reopen (memory store)")
	}
	runT(t, h, "EverythingSurvivesReopen", func(x *tsuite) {
		k := svcKey("api")
		x.addTemplate(k)
		v := x.addVersion(k, nil, 1, 0)
		x.register(v.VersionKey, store.VersionDraft)
		x.publish(v.VersionKey)
		w := x.addVersion(k, ptr64(1), 1, 1)
		before := x.getVersion(v.VersionKey)
		x.s = x.h.Reopen(x.t, x.s)
		after := x.getVersion(v.VersionKey)
		if after.Status != store.VersionPublished || after.Schema != before.Schema || string(after.Bundle) != string(before.Bundle) ||
			len(after.CompatibleEnvironmentTemplates) != 1 || x.getTemplate(k).Recommended == nil {
			x.t.Fatalf("after reopen: %+v", after)
		}
		// The pending job is still there to be leased.
		x.wantLease("new-owner", at(10_000), w, 1)
	})
}
