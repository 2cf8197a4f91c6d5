package bundle

import "testing"

// TestRenderedYAML: a rendered template that is not YAML is refused with
// its file, its line and what that line reads; one that is YAML, with
// CloudFormation's tags and several documents, passes.
func TestRenderedYAML(t *testing.T) {
	for _, good := range []string{"", "Resources:\n  A:\n    Type: X\nOutputs:\n  V:\n    Value: !Ref A\n", "a: 1\n---\nb: !GetAtt [A, B]\n", "Value: \"a\\0b\"\n"} {
		if err := RenderedYAML("infrastructure/cloudformation.yaml", good); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
	for text, want := range map[string]string{
		"Resources:\n  A: b: c\n":          `infrastructure/cloudformation.yaml is not valid YAML once rendered: line 2: mapping values are not allowed in this context (the rendered line 2 reads "  A: b: c")`,
		"Resources:\n  A:\n    B: [1, 2\n": `infrastructure/cloudformation.yaml is not valid YAML once rendered: line 2: did not find expected ',' or ']' (the rendered line 2 reads "  A:")`,
		"a: 1\n# \x00\n":                   "infrastructure/cloudformation.yaml is not valid YAML once rendered: line 2: holds the character U+0000 (NUL), which no text of a template or spec may hold",
	} {
		err := RenderedYAML("infrastructure/cloudformation.yaml", text)
		if err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %s", text, err, want)
		}
	}
}
