package render

import (
	"strings"
	"testing"
)

func env(inputs map[string]any) map[string]any {
	return map[string]any{"environment": map[string]any{"name": "dev", "inputs": inputs}}
}

func TestJinjaRendersInputs(t *testing.T) {
	src := "Name: {{ environment.name }}\nCidr: {{ environment.inputs.cidr | default('10.0.0.0/16') }}\n" +
		"{% for s in environment.inputs.subnets %}- {{ s | upper }}\n{% endfor %}Id: {{ 'my-vpc.1' | proton_cfn_sanitize }}"
	got, err := Jinja("cloudformation.yaml", src, env(map[string]any{"subnets": []any{"a", "b"}}))
	if err != nil {
		t.Fatal(err)
	}
	want := "Name: dev\nCidr: 10.0.0.0/16\n- A\n- B\nId: myvpc1"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestJinjaRefusesIncludes(t *testing.T) {
	for _, src := range []string{`{% include "/etc/passwd" %}`, `{% include "other.yaml" %}`, `{% extends "base.yaml" %}`} {
		if out, err := Jinja("cloudformation.yaml", src, env(nil)); err == nil {
			t.Errorf("%s rendered %q, want an error", src, out)
		}
	}
}

func TestJinjaBoundsWork(t *testing.T) {
	src := `{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}`
	_, err := Jinja("x.yaml", src, env(nil))
	if err == nil || !strings.Contains(err.Error(), "range") {
		t.Fatalf("err = %v, want the range budget error", err)
	}
	big := `{% for i in range(50000) %}` + strings.Repeat("x", 200) + `{% endfor %}`
	if _, err := Jinja("x.yaml", big, env(nil)); err == nil {
		t.Fatal("a 10 MB rendering succeeded")
	}
}

func TestJinjaErrorsAreErrors(t *testing.T) {
	for _, src := range []string{`{{ environment.inputs.x | proton_cfn_iam_policy_arns }}`, `{% if %}`, `{{ nofilter | nosuchfilter }}`} {
		if out, err := Jinja("x.yaml", src, env(nil)); err == nil {
			t.Errorf("%s rendered %q, want an error", src, out)
		}
	}
}
