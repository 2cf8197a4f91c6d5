package bundle

import (
	"strings"
	"testing"
)

// TestParseComponentManifest checks the manifests of AWS's S3 bucket
// component samples (CloudFormation and Terraform) and the refusals: more
// than one template, CodeBuild, a file outside the component.
func TestParseComponentManifest(t *testing.T) {
	for _, c := range []struct{ manifest, engine, file string }{
		{"infrastructure:\n  templates:\n    - file: \"cloudformation.yaml\"\n      rendering_engine: jinja\n      template_language: cloudformation\n", EngineJinja, "cloudformation.yaml"},
		{"infrastructure:\n  templates:\n    - file: component.tf\n      rendering_engine: hcl\n      template_language: terraform\n", EngineHCL, "component.tf"},
	} {
		m, err := ParseComponentManifest([]byte(c.manifest))
		if err != nil || len(m.Templates) != 1 || m.Templates[0].RenderingEngine != c.engine || m.Templates[0].File != c.file {
			t.Errorf("%q: %+v, %v", c.manifest, m, err)
		}
	}
	for _, c := range []struct{ manifest, want string }{
		{"infrastructure:\n  templates:\n    - file: a.tf\n      rendering_engine: hcl\n      template_language: terraform\n    - file: b.tf\n      rendering_engine: hcl\n      template_language: terraform\n", "exactly one template"},
		{"infrastructure:\n  templates:\n    - rendering_engine: codebuild\n      settings:\n        image: x\n        provision: [a]\n        deprovision: [b]\n", "CodeBuild"},
		{"infrastructure:\n  templates:\n    - file: ../x.yaml\n      rendering_engine: jinja\n      template_language: cloudformation\n", "inside"},
		{"nothing: here\n", "infrastructure"},
	} {
		if _, err := ParseComponentManifest([]byte(c.manifest)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error saying %q", c.manifest, err, c.want)
		}
	}
}
