package codegen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// pinnedModel is the model the repository pins.
func pinnedModel(t *testing.T) *Model {
	t.Helper()
	raw, err := os.ReadFile("../../model/proton-2020-07-20.json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseModel(raw)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestGeneratedCodeInSync fails when internal/api differs from what the
// generator writes for the pinned model: run `go generate ./...` to fix it.
func TestGeneratedCodeInSync(t *testing.T) {
	files, err := Generate(pinnedModel(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("../api", name))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./...)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("internal/api/%s differs from the generator's output; run go generate ./...", name)
		}
	}
	existing, _ := filepath.Glob("../api/*_gen.go")
	for _, path := range existing {
		if _, ok := files[filepath.Base(path)]; !ok {
			t.Errorf("%s is not written by the generator any more; delete it", path)
		}
	}
}

func TestModelCoversAllOperations(t *testing.T) {
	m := pinnedModel(t)
	if len(m.Operations) != 87 {
		t.Fatalf("model has %d operations, want 87", len(m.Operations))
	}
}

func TestStripDocumentation(t *testing.T) {
	out, err := StripDocumentation([]byte(`{"documentation":"x","shapes":{"A":{"type":"string","documentation":"y"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("documentation")) {
		t.Fatalf("documentation left in %s", out)
	}
}

func TestEnumConst(t *testing.T) {
	cases := map[[2]string]string{
		{"DeploymentStatus", "IN_PROGRESS"}:                                "DeploymentStatusInProgress",
		{"ListServiceInstancesFilterBy", "lastDeploymentAttemptedAtAfter"}: "ListServiceInstancesFilterByLastDeploymentAttemptedAtAfter",
		{"RepositoryProvider", "GITHUB"}:                                   "RepositoryProviderGithub",
	}
	for in, want := range cases {
		if got := enumConst(in[0], in[1]); got != want {
			t.Errorf("enumConst(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}
