package bundle

import (
	"strings"
	"testing"

	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// TestNulInBundlesAndSpecs refuses U+0000 in every YAML text a template
// version or spec brings, raw or written as a YAML escape, naming the file
// and line; other files keep their bytes as uploaded.
func TestNulInBundlesAndSpecs(t *testing.T) {
	const refused = "holds the character U+0000 (NUL), which no text of a template or spec may hold"
	env := ReadOptions{Kind: KindEnvironment}
	withDefault := strings.Replace(envSchema, `default: "platform"`, `default: "plat\0form"`, 1)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"raw NUL in the schema", bundletest.TarGz(t, f("schema/schema.yaml", strings.Replace(envSchema, "Inputs of", "Inputs\x00of", 1)),
			f("infrastructure/manifest.yaml", bundletest.CFNManifest), f("infrastructure/cloudformation.yaml", cfnTemplate)),
			"schema/schema.yaml: line 8: " + refused},
		{"an escaped NUL in a schema default", bundletest.TarGz(t, f("schema/schema.yaml", withDefault),
			f("infrastructure/manifest.yaml", bundletest.CFNManifest), f("infrastructure/cloudformation.yaml", cfnTemplate)),
			"schema/schema.yaml: line 46: " + refused},
		{"raw NUL in a manifest comment", bundletest.TarGz(t, f("schema/schema.yaml", envSchema),
			f("infrastructure/manifest.yaml", "# \x00\n"+bundletest.CFNManifest), f("infrastructure/cloudformation.yaml", cfnTemplate)),
			"infrastructure/manifest.yaml: line 1: " + refused},
		{"raw NUL in a YAML file beside the template", envBundle(t, f("infrastructure/extra.yaml", "a: 1\n# \x00\n")),
			"infrastructure/extra.yaml: line 2: " + refused},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(c.data, env)
			wantProblem(t, err, c.want)
			if strings.ContainsRune(err.Error(), 0) {
				t.Errorf("the message holds a NUL: %q", err)
			}
		})
	}
	// A Terraform file is not YAML, and a Jinja template is YAML only once
	// rendered (its output is checked then): their bytes are kept as
	// uploaded, and none reaches the store as text.
	tf := "resource \"x\" \"y\" {}\n# \x00\n"
	b, err := Read(bundletest.TarGz(t, f("schema/schema.yaml", envSchema), f("infrastructure/manifest.yaml", tfManifest),
		f("infrastructure/main.tf", tf)), env)
	if err != nil {
		t.Fatalf("Terraform bundle with a NUL byte: %v", err)
	}
	if got := b.File("infrastructure/main.tf"); got == nil || string(got.Data) != tf {
		t.Errorf("main.tf = %q, want its bytes as uploaded", got)
	}
	jinja := cfnTemplate + "  Bad:\n    Value: \"a\\0b\"\n# \x00\n"
	b, err = Read(bundletest.TarGz(t, f("schema/schema.yaml", envSchema), f("infrastructure/manifest.yaml", bundletest.CFNManifest),
		f("infrastructure/cloudformation.yaml", jinja)), env)
	if err != nil {
		t.Fatalf("Jinja template with NUL characters: %v", err)
	}
	if got := b.File("infrastructure/cloudformation.yaml"); got == nil || string(got.Data) != jinja {
		t.Errorf("cloudformation.yaml = %q, want its bytes as uploaded", got)
	}

	s := mustSchema(t, envSchema, KindEnvironment)
	for spec, want := range map[string]string{
		"proton: EnvironmentSpec\nspec:\n  replicas: 2\n  name_prefix: \"ab\\0cd\"\n": "spec: line 4: " + refused,
		"proton: EnvironmentSpec\nspec:\n  replicas: 2\n  \"a\\0\": 1\n":              "spec: line 4: " + refused,
		"proton: EnvironmentSpec\nspec:\n  replicas: 2\n# \x00\n":                     "spec: line 4: " + refused,
	} {
		_, err := s.ValidateEnvironmentSpec(spec, nil)
		wantProblem(t, err, want)
	}
}
