package cloudformation

import (
	"regexp"
	"strings"
	"testing"

	"github.com/openproton/openproton/internal/provision"
)

var (
	stackNamePattern   = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

func TestStackName(t *testing.T) {
	long := strings.Repeat("x", 100)
	arn := "arn:aws:proton:us-east-1:111111111111:"
	for _, c := range []struct {
		target provision.Target
		prefix string
	}{
		{provision.Target{Type: "ENVIRONMENT", Name: "dev", ARN: arn + "environment/dev"}, "AWSProton-ENV-dev-"},
		{provision.Target{Type: "ENVIRONMENT", Name: "my_env", ARN: arn + "environment/my_env"}, "AWSProton-ENV-my-env-"},
		{provision.Target{Type: "SERVICE_INSTANCE", Service: "api", Name: "prod", ARN: arn + "service/api/service-instance/prod"}, "AWSProton-SVC-api-prod-"},
		{provision.Target{Type: "SERVICE_PIPELINE", Service: "api", Name: "api", ARN: arn + "service/api/pipeline"}, "AWSProton-PIPELINE-api-"},
		{provision.Target{Type: "COMPONENT", Name: "cache", ARN: arn + "component/cache"}, "AWSProton-COMPONENT-cache-"},
		{provision.Target{Type: "SERVICE_INSTANCE", Service: long, Name: long, ARN: arn + "service/x/service-instance/x"}, "AWSProton-SVC-xxxx"},
	} {
		got := StackName(c.target)
		if !strings.HasPrefix(got, c.prefix) || !stackNamePattern.MatchString(got) {
			t.Errorf("StackName(%+v) = %q (%d characters), want %s... matching %s", c.target, got, len(got), c.prefix, stackNamePattern)
		}
		if got != StackName(c.target) {
			t.Errorf("StackName(%+v) is not deterministic", c.target)
		}
	}
	// Targets that only the ARN tells apart get stacks of their own.
	a := provision.Target{Type: "ENVIRONMENT", Name: "my_env", ARN: arn + "environment/my_env"}
	b := provision.Target{Type: "ENVIRONMENT", Name: "my-env", ARN: arn + "environment/my-env"}
	c := provision.Target{Type: "ENVIRONMENT", Name: "my-env", ARN: "arn:aws:proton:us-east-1:333333333333:environment/my-env"}
	if StackName(a) == StackName(b) || StackName(b) == StackName(c) {
		t.Errorf("stack names collide: %s %s %s", StackName(a), StackName(b), StackName(c))
	}
}

func TestChangeSetAndSessionNames(t *testing.T) {
	for _, id := range []string{"0f8fad5b-d9cb-469f-a165-70867728950e", "d-1", strings.Repeat("9", 200), "a b/c"} {
		if cs := ChangeSetName(id); !stackNamePattern.MatchString(cs) || ChangeSetName(id) != cs {
			t.Errorf("ChangeSetName(%q) = %q, want a deterministic match of %s", id, cs, stackNamePattern)
		}
		if s := SessionName(id); !sessionNamePattern.MatchString(s) || !strings.HasPrefix(s, "openproton-") {
			t.Errorf("SessionName(%q) = %q, want openproton-... matching %s", id, s, sessionNamePattern)
		}
	}
	if got := SessionName("0f8fad5b-d9cb-469f-a165-70867728950e"); got != "openproton-0f8fad5b-d9cb-469f-a165-70867728950e" {
		t.Errorf("SessionName = %q, want the whole deployment id", got)
	}
	if got := changeSetOf("arn:aws:cloudformation:us-east-1:1:changeSet/openproton-d-1/abc"); got != "openproton-d-1" {
		t.Errorf("changeSetOf = %q", got)
	}
}
