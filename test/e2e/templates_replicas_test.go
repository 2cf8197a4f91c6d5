package e2e

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/openproton/openproton/internal/bundle/bundletest"
	"github.com/openproton/openproton/internal/store/storetest/pgtest"
)

// TestTemplatesReplicasShareRegistrations runs two replicas on one
// PostgreSQL schema and one bundle directory, creates versions on both at
// once, and expects every version registered exactly once, by whichever
// replica leased it.
func TestTemplatesReplicasShareRegistrations(t *testing.T) {
	t.Parallel()
	storeURL := pgtest.SchemaURL(t, "openproton_e2e_tmpl")
	dir := t.TempDir()
	bundletest.WriteObject(t, dir, "bundles-e2e", "env.tar.gz", bundletest.EnvBundle(t))
	args := []string{"--store", storeURL, "--token-key", replTokenKey, "--bundle-dir", dir}
	a := StartServer(t, args...)
	b := StartServer(t, args...)
	ca, cb := connClient(a, "111111111111", "us-east-1"), connClient(b, "111111111111", "us-east-1")
	ctx := connCtx(t)
	if _, err := ca.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String("shared")}); err != nil {
		t.Fatal(err)
	}

	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		c := ca
		if i%2 == 1 {
			c = cb
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.CreateEnvironmentTemplateVersion(ctx, &proton.CreateEnvironmentTemplateVersionInput{
				TemplateName: aws.String("shared"),
				Source:       &types.TemplateVersionSourceInputMemberS3{Value: types.S3ObjectSource{Bucket: aws.String("bundles-e2e"), Key: aws.String("env.tar.gz")}},
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("CreateEnvironmentTemplateVersion: %v", err)
		}
	}

	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := cb.ListEnvironmentTemplateVersions(ctx, &proton.ListEnvironmentTemplateVersionsInput{TemplateName: aws.String("shared")})
		if err != nil {
			t.Fatal(err)
		}
		draft := 0
		var majors []string
		for _, v := range out.TemplateVersions {
			majors = append(majors, aws.ToString(v.MajorVersion)+"."+aws.ToString(v.MinorVersion))
			if v.Status == types.TemplateVersionStatusDraft {
				draft++
			}
		}
		if len(out.TemplateVersions) != n {
			t.Fatalf("versions %v, want %d distinct ones", majors, n)
		}
		if draft == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d versions registered within 60s", draft, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	logs := a.Logs() + b.Logs()
	started := strings.Count(logs, "template registration started")
	finished := strings.Count(logs, "template version registered")
	if started != n || finished != n {
		t.Fatalf("%d registrations started and %d finished across the replicas, want %d each", started, finished, n)
	}
	if sa, sb := strings.Count(a.Logs(), "template version registered"), strings.Count(b.Logs(), "template version registered"); sa+sb != n {
		t.Fatalf("replica a registered %d, b %d", sa, sb)
	} else {
		t.Logf("replica a registered %d versions, replica b %d", sa, sb)
	}
}
