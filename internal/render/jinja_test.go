package render

import (
	"os"
	"strings"
	"testing"
)

func env(inputs map[string]any) map[string]any {
	return map[string]any{"environment": map[string]any{"name": "dev", "inputs": inputs}}
}

func TestJinjaRendersInputs(t *testing.T) {
	src := "Name: {{ environment.name }}\nCidr: {{ environment.inputs.cidr | default('10.0.0.0/16') }}\n" +
		"{% for s in environment.inputs.subnets %}- {{ s | upper }}\n{% endfor %}Id: {{ 'my-vpc_1' | proton_cfn_sanitize }}"
	got, err := jinja("cloudformation.yaml", src, env(map[string]any{"subnets": []any{"a", "b"}}))
	if err != nil {
		t.Fatal(err)
	}
	want := "Name: dev\nCidr: 10.0.0.0/16\n- A\n- B\nId: my-vpc_1"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestJinjaRefusesIncludes(t *testing.T) {
	for _, src := range []string{`{% include "/etc/passwd" %}`, `{% include "other.yaml" %}`, `{% extends "base.yaml" %}`} {
		if out, err := jinja("cloudformation.yaml", src, env(nil)); err == nil {
			t.Errorf("%s rendered %q, want an error", src, out)
		}
	}
}

// TestJinjaBoundsRange: range() hands out at most MaxRangeItems items in
// one rendering, all calls together, as docs/environments.md says.
func TestJinjaBoundsRange(t *testing.T) {
	src := `{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}`
	_, err := jinja("x.yaml", src, env(nil))
	want := "rendering x.yaml failed at line 1: range() may produce at most 100,000 items in one rendering"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if _, err := jinja("x.yaml", `{% for i in range(100000) %}{% endfor %}`, env(nil)); err != nil {
		t.Fatalf("100,000 items: %v", err)
	}
}

// TestJinjaBoundsOutput: a rendered file may hold MaxOutputBytes, 4 MiB,
// and not one byte more, with the message docs/environments.md quotes.
func TestJinjaBoundsOutput(t *testing.T) {
	if MaxOutputBytes != 4<<20 {
		t.Fatalf("MaxOutputBytes = %d, docs/environments.md says 4 MiB", MaxOutputBytes)
	}
	// 4,096 items of 1,024 bytes: exactly the limit.
	exact := `{% for i in range(4096) %}` + strings.Repeat("x", 1024) + `{% endfor %}`
	out, err := jinja("x.yaml", exact, env(nil))
	if err != nil || len(out) != MaxOutputBytes {
		t.Fatalf("a rendering of exactly %d bytes: %d bytes, %v", MaxOutputBytes, len(out), err)
	}
	_, err = jinja("x.yaml", exact+"y", env(nil))
	want := "rendering x.yaml failed: the rendered file would be larger than the limit of 4 MiB (4,194,304 bytes)"
	if err == nil || err.Error() != want {
		t.Fatalf("one byte over the limit: err = %v, want %s", err, want)
	}
	doc, err := os.ReadFile("../../docs/environments.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, claim := range []string{"at most 100,000 items per rendering", "a rendered file at most 4 MiB (4,194,304 bytes)",
		"the rendered file would be larger than the limit of 4 MiB (4,194,304 bytes)"} {
		if !strings.Contains(strings.Join(strings.Fields(string(doc)), " "), claim) {
			t.Errorf("docs/environments.md does not say %q", claim)
		}
	}
}

func TestJinjaErrorsAreErrors(t *testing.T) {
	for _, src := range []string{`{{ environment.inputs.x | proton_cfn_iam_policy_arns }}`, `{% if %}`, `{{ nofilter | nosuchfilter }}`} {
		if out, err := jinja("x.yaml", src, env(nil)); err == nil {
			t.Errorf("%s rendered %q, want an error", src, out)
		}
	}
}
