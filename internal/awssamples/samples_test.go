package awssamples

import (
	"strings"
	"testing"
)

// TestTemplates: every template of both repositories is found, with its
// kind, its spec where the repository gives one, and its compatible
// environment templates, which the repository holds.
func TestTemplates(t *testing.T) {
	for repo, want := range map[string]struct{ envs, svcs, withoutSpec int }{
		CloudFormation: {6, 17, 0}, // lambda-multi-svc/service-data-processing takes the CRUD service's (its README)
		Terraform:      {4, 13, 1}, // nor has lambda-vpc/sample-lambda-function-template
	} {
		ts, err := Templates(repo)
		if err != nil {
			t.Fatal(err)
		}
		envs, svcs, withoutSpec := 0, 0, 0
		names := map[string]bool{}
		for _, tpl := range ts {
			if tpl.Kind == Environment {
				envs++
				names[tpl.Name] = true
			} else {
				svcs++
			}
			if tpl.Spec == "" {
				withoutSpec++
			}
			if tpl.Files["schema/schema.yaml"] == nil {
				t.Errorf("%s %s: no schema", repo, tpl.Path)
			}
			for _, c := range tpl.Compatible {
				if !names[c.Name] || c.Major != "1" {
					t.Errorf("%s %s: compatible with %s:%s, which the repository does not hold", repo, tpl.Path, c.Name, c.Major)
				}
			}
			if _, err := tpl.Bundle(); err != nil {
				t.Errorf("%s %s: %v", repo, tpl.Path, err)
			}
		}
		if envs != want.envs || svcs != want.svcs || withoutSpec != want.withoutSpec {
			t.Errorf("%s: %d environment and %d service templates, %d without a spec; want %d, %d and %d",
				repo, envs, svcs, withoutSpec, want.envs, want.svcs, want.withoutSpec)
		}
	}
}

// TestS3BucketComponent: both repositories hold the S3 bucket component,
// whose manifest names its file.
func TestS3BucketComponent(t *testing.T) {
	for _, repo := range []string{CloudFormation, Terraform} {
		c, err := S3BucketComponent(repo)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(c.TemplateFile, "BucketAccessPolicyArn") || !strings.Contains(c.Manifest, "rendering_engine") {
			t.Errorf("%s: %+v", repo, c)
		}
	}
	if _, err := S3BucketComponent("nope"); err == nil {
		t.Error("an unknown repository gave a component")
	}
}
