package bundle

import (
	"strings"
	"testing"
)

// svcSchemaWith is a service schema whose service input type has the given
// properties block, plus the given extra lines under schema: and types:.
func svcSchemaWith(props, pipeline string) string {
	s := `schema:
  format:
    openapi: "3.0.0"
  service_input_type: "In"
`
	if pipeline != "" {
		s += "  pipeline_input_type: \"Pipe\"\n"
	}
	s += "  types:\n    In:\n      type: object\n      properties:\n" + props
	if pipeline != "" {
		s += "    Pipe:\n      type: object\n      properties:\n" + pipeline
	}
	return s
}

func TestCheckCompatible(t *testing.T) {
	const base = `        name:
          type: string
          maxLength: 20
        size:
          type: string
          enum: [small, large]
        count:
          type: integer
          minimum: 1
          maximum: 10
        subnets:
          type: array
          items:
            type: string
        tags:
          type: object
          properties:
            owner:
              type: string
      required: [name]
`
	tests := []struct {
		name, old, new string
		want           string // "" when compatible
	}{
		{"identical", base, base, ""},
		{"optional input added", base, base[:len(base)-len("      required: [name]\n")] + "        extra:\n          type: string\n      required: [name]\n", ""},
		{"required input with default added", base[:len(base)-len("      required: [name]\n")] + "      required: [name]\n",
			base[:len(base)-len("      required: [name]\n")] + "        extra:\n          type: string\n          default: x\n      required: [name, extra]\n", ""},
		{"limits widened", base, replaceAll(base, "maxLength: 20", "maxLength: 30", "enum: [small, large]", "enum: [small, medium, large]", "minimum: 1", "minimum: 0", "maximum: 10", "maximum: 20"), ""},
		{"limits removed", base, replaceAll(base, "          maxLength: 20\n", "", "          enum: [small, large]\n", ""), ""},
		{"integer widened to number", base, replaceAll(base, "type: integer", "type: number"), ""},
		{"required input without default", base,
			base[:len(base)-len("      required: [name]\n")] + "        extra:\n          type: string\n      required: [name, extra]\n",
			`service_input_type: new required input "extra" has no default`},
		{"input became required", base, replaceAll(base, "required: [name]", "required: [name, size]"),
			`service_input_type: input "size" became required without a default`},
		{"input removed", base, replaceAll(base, "        size:\n          type: string\n          enum: [small, large]\n", ""),
			`service_input_type: input "size" was removed`},
		{"type changed", base, replaceAll(base, "        name:\n          type: string", "        name:\n          type: number", "          maxLength: 20\n", ""),
			"service_input_type.name: type changed from string to number"},
		{"number narrowed to integer", replaceAll(base, "type: integer", "type: number"), base, "service_input_type.count: type changed from number to integer"},
		{"enum narrowed", base, replaceAll(base, "enum: [small, large]", "enum: [small]"), `service_input_type.size: enum value "large" was removed`},
		{"enum added", base, replaceAll(base, "        name:\n          type: string\n", "        name:\n          type: string\n          enum: [a]\n"),
			"service_input_type.name: an enum was added"},
		{"maximum lowered", base, replaceAll(base, "maximum: 10", "maximum: 5"), "service_input_type.count: maximum was lowered from 10 to 5"},
		{"minimum raised", base, replaceAll(base, "minimum: 1", "minimum: 2"), "service_input_type.count: minimum was raised from 1 to 2"},
		{"maxLength lowered", base, replaceAll(base, "maxLength: 20", "maxLength: 10"), "service_input_type.name: maxLength was lowered from 20 to 10"},
		{"minLength added", base, replaceAll(base, "maxLength: 20", "maxLength: 20\n          minLength: 2"), "service_input_type.name: minLength was raised from 0 to 2"},
		{"pattern added", base, replaceAll(base, "maxLength: 20", "maxLength: 20\n          pattern: '^a'"), "service_input_type.name: a pattern was added"},
		{"pattern changed", replaceAll(base, "maxLength: 20", "maxLength: 20\n          pattern: '^a'"), replaceAll(base, "maxLength: 20", "maxLength: 20\n          pattern: '^b'"),
			"service_input_type.name: the pattern changed"},
		{"items narrowed", base, replaceAll(base, "            type: string\n        tags", "            type: string\n            maxLength: 3\n        tags"),
			"service_input_type.subnets.items: maxLength 3 was added"},
		{"maxItems added", base, replaceAll(base, "          items:\n", "          maxItems: 2\n          uniqueItems: true\n          items:\n"),
			"service_input_type.subnets: maxItems 2 was added; service_input_type.subnets: uniqueItems was added"},
		{"nested input removed", base, replaceAll(base, "            owner:\n              type: string\n", "            team:\n              type: string\n"),
			`service_input_type.tags: input "owner" was removed`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := mustSchema(t, svcSchemaWith(tc.old, ""), KindService)
			cur := mustSchema(t, svcSchemaWith(tc.new, ""), KindService)
			err := cur.CheckCompatible(old)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want compatible, got %v", err)
				}
				return
			}
			wantProblem(t, err, "schema/schema.yaml is not backward compatible with an earlier minor version of this major version (create a new major version instead): ")
			wantProblem(t, err, tc.want)
		})
	}
}

func TestCheckCompatibleInputTypes(t *testing.T) {
	props := "        a:\n          type: string\n"
	withPipe := mustSchema(t, svcSchemaWith(props, "        b:\n          type: string\n"), KindService)
	noPipe := mustSchema(t, svcSchemaWith(props, ""), KindService)
	pipeRequired := mustSchema(t, svcSchemaWith(props, "        b:\n          type: string\n      required: [b]\n"), KindService)

	wantProblem(t, noPipe.CheckCompatible(withPipe), "pipeline_input_type was removed")
	if err := withPipe.CheckCompatible(noPipe); err != nil {
		t.Fatalf("pipeline with optional inputs added: %v", err)
	}
	wantProblem(t, pipeRequired.CheckCompatible(noPipe), `pipeline_input_type: new required input "b" has no default`)

	// Types are compared by role: renaming the type is fine.
	renamed := mustSchema(t, "schema:\n  format: {openapi: \"3.0.0\"}\n  service_input_type: Other\n  types:\n    Other:\n      type: object\n      properties:\n"+props, KindService)
	if err := renamed.CheckCompatible(noPipe); err != nil {
		t.Fatalf("renamed type: %v", err)
	}

	env := mustSchema(t, envSchema, KindEnvironment)
	if err := env.CheckCompatible(env); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, mustSchema(t, envSchemaWith(props), KindEnvironment).CheckCompatible(env), `environment_input_type: input "enabled" was removed`)
}

// replaceAll replaces the first occurrence of each old text by its
// replacement, failing loudly when a text is missing so a case cannot
// silently test nothing.
func replaceAll(s string, pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			panic("replaceAll: " + pairs[i] + " not found")
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}
