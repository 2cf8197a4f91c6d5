package environments

import (
	"testing"

	"github.com/openproton/openproton/internal/fault"
)

// TestDraftHintsSayWhatWorks follows a user who has only a DRAFT in a
// major: every refusal on the way says to publish it, and none suggests
// naming the version, which an environment cannot use either.
func TestDraftHintsSayWhatWorks(t *testing.T) {
	f := newFixture(t)
	f.draft(t, "1") // 1.1
	f.draft(t, "")  // 2.0
	spec := "proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.1.0.0/16\"\n"
	create := func(major, minor string) error {
		_, err := f.svc.Create(t.Context(), caller, CreateInput{Name: "dev", TemplateName: "vpc", TemplateMajorVersion: major,
			TemplateMinorVersion: minor, Spec: spec, ProtonServiceRoleArn: "arn:aws:iam::111111111111:role/p"})
		return err
	}
	for _, c := range []struct{ major, minor, want string }{
		{"2", "", "Major version 2 of environment template vpc has no published minor version; environments use published versions only, so publish one of its minor versions (UpdateEnvironmentTemplateVersion with status PUBLISHED)."},
		{"2", "0", "Version 2.0 of environment template vpc is DRAFT; environments use published versions only, so publish it (UpdateEnvironmentTemplateVersion with status PUBLISHED)."},
		{"1", "1", "Version 1.1 of environment template vpc is DRAFT; environments use published versions only, so publish it (UpdateEnvironmentTemplateVersion with status PUBLISHED)."},
	} {
		err := create(c.major, c.minor)
		if e, ok := fault.As(err); !ok || e.Code != fault.Validation || e.Message != c.want {
			t.Errorf("Create with version %q.%q: %v\nwant ValidationException %q", c.major, c.minor, err, c.want)
		}
	}
	if _, err := f.svc.Get(t.Context(), caller, "dev"); !fault.Is(err, fault.NotFound) {
		t.Fatalf("a refused create left an environment: %v", err)
	}
}
