package api

import (
	"strings"
	"testing"
)

// TestNulIsRefusedInEveryString refuses U+0000 in string members of every
// kind (unconstrained, length-bounded, patterned, enumerated, sensitive,
// in lists and nested structures) with a violation naming the member, and
// never echoes a value that holds one.
func TestNulIsRefusedInEveryString(t *testing.T) {
	const nul = `a\u0000b`
	const arn = "arn:aws:proton:us-east-1:111111111111:environment/e"
	const refused = "failed to satisfy constraint: Member must not contain the character U+0000 (NUL)"
	cases := []struct {
		name string
		in   Input
		body string
		want string
	}{
		{"unconstrained string", new(ListTagsForResourceInput), `{"resourceArn":"` + arn + `","nextToken":"` + nul + `"}`,
			"1 validation error detected: Value at 'nextToken' " + refused},
		{"sensitive string", new(UpdateEnvironmentInput), `{"name":"e","deploymentType":"NONE","description":"` + nul + `"}`,
			"1 validation error detected: Value at 'description' " + refused},
		{"tag key and value", new(TagResourceInput), `{"resourceArn":"` + arn + `","tags":[{"key":"k","value":"v"},{"key":"` + nul + `","value":"` + nul + `"}]}`,
			"2 validation errors detected: Value at 'tags.2.member.key' " + refused + "; Value at 'tags.2.member.value' " + refused},
		{"list of strings", new(UntagResourceInput), `{"resourceArn":"` + arn + `","tagKeys":["k","` + nul + `"]}`,
			"1 validation error detected: Value at 'tagKeys.2.member' " + refused},
		{"nested in a union", new(CreateEnvironmentTemplateVersionInput), `{"templateName":"t","source":{"s3":{"bucket":"bucket","key":"` + nul + `"}}}`,
			"1 validation error detected: Value at 'source.s3.key' " + refused},
		{"output value", new(NotifyResourceDeploymentStatusChangeInput), `{"resourceArn":"` + arn + `","outputs":[{"key":"k","valueString":"` + nul + `"}]}`,
			"1 validation error detected: Value at 'outputs.1.member.valueString' " + refused},
		{"patterned string: the pattern's violation leaves the value out too", new(GetEnvironmentInput), `{"name":"` + nul + `"}`,
			"2 validation errors detected: Value at 'name' " + refused + "; Value at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9A-Za-z]+[0-9A-Za-z_\\-]*$"},
		{"enumerated string", new(ListEnvironmentAccountConnectionsInput), `{"requestedBy":"` + nul + `"}`,
			"2 validation errors detected: Value at 'requestedBy' " + refused + "; Value at 'requestedBy' failed to satisfy constraint: Member must satisfy enum value set: [MANAGEMENT_ACCOUNT, ENVIRONMENT_ACCOUNT]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := decodeValidate(t, c.in, c.body)
			if got != c.want || strings.ContainsRune(got, 0) {
				t.Errorf("message:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}
