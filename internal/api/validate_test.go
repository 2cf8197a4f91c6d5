package api

import (
	"errors"
	"strings"
	"testing"

	"github.com/openproton/openproton/internal/fault"
)

func decodeValidate(t *testing.T, in Input, body string) string {
	t.Helper()
	if err := Decode([]byte(body), in); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	err := in.Validate()
	if err == nil {
		return ""
	}
	if !fault.Is(err, fault.Validation) {
		t.Fatalf("Validate returned %v, want a ValidationException", err)
	}
	e, _ := fault.As(err)
	return e.Message
}

func TestValidationConstraintKinds(t *testing.T) {
	cases := []struct {
		name string
		in   Input
		body string
		want string
	}{
		{"required", new(GetEnvironmentAccountConnectionInput), `{}`,
			"1 validation error detected: Value null at 'id' failed to satisfy constraint: Member must not be null"},
		{"pattern", new(GetEnvironmentAccountConnectionInput), `{"id":"not-a-uuid"}`,
			"1 validation error detected: Value 'not-a-uuid' at 'id' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"},
		{"max length", new(GetEnvironmentInput), `{"name":"` + strings.Repeat("a", 101) + `"}`,
			"1 validation error detected: Value '" + strings.Repeat("a", 101) + "' at 'name' failed to satisfy constraint: Member must have length less than or equal to 100"},
		{"min length", new(CreateRepositoryInput), `{"connectionArn":"arn:aws:codestar-connections:us-east-1:111111111111:connection/x","name":"","provider":"GITHUB"}`,
			"2 validation errors detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1; Value '' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9_.-].*/[A-Za-z0-9_.-].*"},
		{"range", new(ListEnvironmentAccountConnectionsInput), `{"requestedBy":"ENVIRONMENT_ACCOUNT","maxResults":101}`,
			"1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"enum", new(ListEnvironmentAccountConnectionsInput), `{"requestedBy":"ME"}`,
			"1 validation error detected: Value 'ME' at 'requestedBy' failed to satisfy constraint: Member must satisfy enum value set: [MANAGEMENT_ACCOUNT, ENVIRONMENT_ACCOUNT]"},
		{"enum in list", new(ListEnvironmentAccountConnectionsInput), `{"requestedBy":"ENVIRONMENT_ACCOUNT","statuses":["PENDING","DONE"]}`,
			"1 validation error detected: Value 'DONE' at 'statuses.2.member' failed to satisfy constraint: Member must satisfy enum value set: [PENDING, CONNECTED, REJECTED]"},
		{"list length", new(UntagResourceInput), `{"resourceArn":"arn:aws:proton:us-east-1:111111111111:environment/e","tagKeys":[` + strings.TrimSuffix(strings.Repeat(`"k",`, 51), ",") + `]}`,
			"1 validation error detected: Value '[" + strings.TrimSuffix(strings.Repeat("k, ", 51), ", ") + "]' at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{"nested list member", new(TagResourceInput), `{"resourceArn":"arn:aws:proton:us-east-1:111111111111:environment/e","tags":[{"key":"a","value":"b"},{"value":"c"}]}`,
			"1 validation error detected: Value null at 'tags.2.member.key' failed to satisfy constraint: Member must not be null"},
		{"sensitive value left out", new(UpdateEnvironmentInput), `{"name":"e","deploymentType":"NONE","description":"` + strings.Repeat("s", 501) + `"}`,
			"1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 500"},
		{"union with no member", new(CreateEnvironmentTemplateVersionInput), `{"templateName":"t","source":{}}`,
			"1 validation error detected: Value '0 members set' at 'source' failed to satisfy constraint: Member must have exactly one member set"},
		{"several violations", new(CreateEnvironmentAccountConnectionInput), `{"managementAccountId":"12","roleArn":"arn:aws:iam::1:role/x"}`,
			"3 validation errors detected: Value null at 'environmentName' failed to satisfy constraint: Member must not be null; " +
				"Value '12' at 'managementAccountId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^\\d{12}$; " +
				"Value 'arn:aws:iam::1:role/x' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:(aws|aws-cn|aws-us-gov):iam::\\d{12}:role/([\\w+=,.@-]{1,512}[/:])*([\\w+=,.@-]{1,64})$"},
		{"valid", new(CreateEnvironmentAccountConnectionInput), `{"managementAccountId":"222222222222","environmentName":"env","roleArn":"arn:aws:iam::111111111111:role/r","clientToken":"t"}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := decodeValidate(t, c.in, c.body); got != c.want {
				t.Errorf("message:\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestSensitiveValueNeverEchoed(t *testing.T) {
	secret := strings.Repeat("topsecret", 6000)
	msg := decodeValidate(t, new(CreateEnvironmentInput), `{"name":"e","templateName":"t","templateMajorVersion":"1","spec":"`+secret+`"}`)
	if msg == "" || strings.Contains(msg, "topsecret") {
		t.Fatalf("message = %.200s", msg)
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := map[string]string{
		`{"id":5}`:           "member 'id': expected a string, got number",
		`{"id":"x"`:          "",
		`[1]`:                "expected a JSON object, got a list",
		`{"maxResults":"1"}`: "member 'maxResults'",
	}
	for body, want := range cases {
		var in Input = new(GetEnvironmentAccountConnectionInput)
		if strings.Contains(body, "maxResults") {
			in = new(ListEnvironmentAccountConnectionsInput)
		}
		err := Decode([]byte(body), in)
		if err == nil {
			t.Errorf("Decode(%s) succeeded", body)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%s) = %v, want it to mention %q", body, err, want)
		}
	}
	var in TagResourceInput
	err := Decode([]byte(`{"tags":[{"key":"a","value":7}]}`), &in)
	if err == nil || err.Error() != "member 'tags.1.value': expected a string, got number" {
		t.Errorf("nested type error = %v, want the path tags.1.value", err)
	}
	var list ListEnvironmentAccountConnectionsInput
	err = Decode([]byte(`{"requestedBy":"ENVIRONMENT_ACCOUNT","statuses":["PENDING",null]}`), &list)
	if err == nil || err.Error() != "member 'statuses.2': null is not allowed as a list element" {
		t.Errorf("null list element = %v", err)
	}
	for _, n := range []string{"1.5", "99999999999"} {
		err = Decode([]byte(`{"maxResults":`+n+`}`), &list)
		if err == nil || !strings.Contains(err.Error(), "expected an integer, got number") {
			t.Errorf("maxResults %s = %v", n, err)
		}
	}
}

func TestDecodeIgnoresUnknownAndIsCaseExact(t *testing.T) {
	var in GetEnvironmentAccountConnectionInput
	if err := Decode([]byte(`{"ID":"x","unknown":{"deep":[1]},"id":"y"}`), &in); err != nil {
		t.Fatal(err)
	}
	if in.Id == nil || *in.Id != "y" {
		t.Fatalf("id = %v, want y (member names are matched exactly)", in.Id)
	}
}

func TestTimeEncoding(t *testing.T) {
	var tm Time
	if err := tm.UnmarshalJSON([]byte("1619651630.847")); err != nil {
		t.Fatal(err)
	}
	out, _ := tm.MarshalJSON()
	if string(out) != "1619651630.847" {
		t.Fatalf("round trip = %s", out)
	}
	whole := TimeOf(tm.Truncate(1e9))
	if out, _ := whole.MarshalJSON(); string(out) != "1619651630" {
		t.Fatalf("whole seconds = %s", out)
	}
}

func TestEveryOperationHasAnInput(t *testing.T) {
	ops := Operations()
	if len(ops) != 87 {
		t.Fatalf("%d operations, want 87", len(ops))
	}
	for _, op := range ops {
		if got, ok := LookupOperation(op.Name); !ok || got.Name != op.Name {
			t.Errorf("LookupOperation(%s) failed", op.Name)
		}
		if op.NewInput() == nil {
			t.Errorf("%s has no input", op.Name)
		}
	}
	if _, ok := LookupOperation("Nope"); ok {
		t.Error("unknown operation found")
	}
}

// TestDecodeRefusesAmbiguousBodies: bytes that are not UTF-8, a member
// given twice (at any depth) and hostile nesting are SerializationExceptions,
// with the member path where there is one.
func TestDecodeRefusesAmbiguousBodies(t *testing.T) {
	deep := strings.Repeat(`{"a":`, MaxNesting) + `1` + strings.Repeat(`}`, MaxNesting)
	deeper := strings.Repeat(`[`, MaxNesting+1) + strings.Repeat(`]`, MaxNesting+1)
	cases := map[string]string{
		"{\"requestedBy\":\"ENVIRONMENT_ACCOUNT\xff\"}":                                "not valid UTF-8",
		"{\"requestedBy\":\"\xed\xa0\x80\"}":                                           "not valid UTF-8", // a UTF-16 surrogate
		`{"requestedBy":"ENVIRONMENT_ACCOUNT","requestedBy":"MANAGEMENT_ACCOUNT"}`:     "member 'requestedBy' appears more than once",
		`{"requestedBy":"ENVIRONMENT_ACCOUNT","x":{"a":1,"b":[{"c":1,"c":2}]}}`:        "member 'x.b.1': member 'c' appears more than once",
		`{"requestedBy":"ENVIRONMENT_ACCOUNT","statuses":["PENDING"],"statuses":null}`: "member 'statuses' appears more than once",
		`{"requestedBy":"ENVIRONMENT_ACCOUNT","x":` + deep + `}`:                       "nest deeper than 32 levels",
		`{"x":` + deeper + `}`: "nest deeper than 32 levels",
	}
	for body, want := range cases {
		var in ListEnvironmentAccountConnectionsInput
		err := Decode([]byte(body), &in)
		var de *DecodeError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%.80q) = %v, want a DecodeError mentioning %q", body, err, want)
		}
	}
	// Just within the bounds: accepted.
	ok := `{"requestedBy":"ENVIRONMENT_ACCOUNT","x":` + strings.Repeat(`[`, MaxNesting-1) + strings.Repeat(`]`, MaxNesting-1) +
		`,"y":{"requestedBy":1},"z":[{"a":1},{"a":2}],"name":"caf\u00e9 \u2603"}`
	var in ListEnvironmentAccountConnectionsInput
	if err := Decode([]byte(ok), &in); err != nil || in.RequestedBy == nil || *in.RequestedBy != "ENVIRONMENT_ACCOUNT" {
		t.Errorf("Decode(%s) = %v", ok, err)
	}
}
