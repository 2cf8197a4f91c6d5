package api

import (
	"fmt"
	"testing"
)

// TestPatternsAreNotAnchored: as in Smithy, a model pattern matches
// anywhere in the value unless it carries its own ^...$
// (docs/compatibility.md). CreateRepository's name pattern has no anchors,
// so a name with a matching part passes; an anchored pattern still checks
// the whole value.
func TestPatternsAreNotAnchored(t *testing.T) {
	repo := `{"connectionArn":"arn:aws:codestar-connections:us-east-1:111111111111:connection/x","provider":"GITHUB","name":"%s"}`
	for _, name := range []string{"org/repo", "!!org/repo", "org/repo!!"} {
		if msg := decodeValidate(t, new(CreateRepositoryInput), fmt.Sprintf(repo, name)); msg != "" {
			t.Errorf("name %q: %s, want it valid (the pattern is not anchored)", name, msg)
		}
	}
	if msg := decodeValidate(t, new(CreateRepositoryInput), fmt.Sprintf(repo, "no-slash")); msg == "" {
		t.Error("name without a slash passed, want the pattern to refuse it")
	}
	if msg := decodeValidate(t, new(GetEnvironmentAccountConnectionInput), `{"id":"x0f0e0d0c-0b0a-4908-8706-050403020100"}`); msg == "" {
		t.Error("an id with a leading character passed the anchored UUID pattern")
	}
}
