package bundle

import (
	"fmt"
	"strings"
	"testing"

	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// envSchemaWith is an environment schema whose input type has the given
// properties block (indented under properties:).
func envSchemaWith(props string) string {
	return `schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "In"
  types:
    In:
      type: object
      properties:
` + props
}

func TestParseSchemaGood(t *testing.T) {
	for name, tc := range map[string]struct {
		text string
		kind Kind
		pipe bool
	}{
		"environment":           {envSchema, KindEnvironment, false},
		"service with pipeline": {svcSchema, KindService, true},
		"service":               {bundletest.ServiceSchemaNoPipeline, KindService, false},
		"customer-managed":      {customerManagedSchema, KindEnvironment, false},
		"unused type and title": {envSchemaWith("        a:\n          type: string\n          title: A\n    Unused:\n      type: string\n"), KindEnvironment, false},
		"aliases":               {envSchemaWith("        a: &s\n          type: string\n        b: *s\n"), KindEnvironment, false},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := ParseSchema(tc.text, tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if s.HasPipeline() != tc.pipe {
				t.Fatalf("HasPipeline %v", s.HasPipeline())
			}
		})
	}
}

func TestParseSchemaFaults(t *testing.T) {
	deep := "        a:\n"
	indent := "          "
	for i := 0; i < 18; i++ {
		deep += indent + "type: object\n" + indent + "properties:\n" + indent + "  a:\n"
		indent += "    "
	}
	deep += indent + "type: string\n"
	tests := []struct {
		name, text string
		kind       Kind
		want       string
	}{
		{"empty", "", KindEnvironment, "schema/schema.yaml: is empty; it must hold a schema: mapping"},
		{"not a mapping", "- a\n", KindEnvironment, "schema/schema.yaml: line 1: must be a mapping with a schema: key"},
		{"two documents", envSchema + "---\na: 1\n", KindEnvironment, "schema/schema.yaml: line 50: holds more than one YAML document"},
		{"too large", envSchema + strings.Repeat("#", MaxSchemaBytes), KindEnvironment, "schema/schema.yaml: file is 52339 bytes; at most 51200 bytes (50 KB) are allowed"},
		{"unknown top key", envSchema + "extra: 1\n", KindEnvironment, `schema/schema.yaml: line 50: unknown key "extra" at the top level; only schema: is allowed`},
		{"no schema key", "a: 1\n", KindEnvironment, `line 1: unknown key "a" at the top level`},
		{"schema not a mapping", "schema: 1\n", KindEnvironment, "schema/schema.yaml: line 1: schema: must be a mapping"},
		{"no format", "schema:\n  environment_input_type: In\n  types: {In: {type: object}}\n", KindEnvironment,
			`schema/schema.yaml: line 2: schema: has no format; it must be format: {openapi: "3.0.0"}`},
		{"wrong openapi", strings.Replace(envSchema, `"3.0.0"`, `"3.1.0"`, 1), KindEnvironment, `schema/schema.yaml: line 3: format.openapi must be "3.0.0"`},
		{"unknown format key", strings.Replace(envSchema, `openapi: "3.0.0"`, "openapi: \"3.0.0\"\n    x: 1", 1), KindEnvironment, `line 4: unknown key "x" under format:`},
		{"unknown schema key", strings.Replace(envSchema, "  types:", "  typos: 1\n  types:", 1), KindEnvironment,
			`line 5: unknown key "typos" under schema:; allowed keys are format, environment_input_type and types`},
		{"missing input type", strings.Replace(envSchema, `  environment_input_type: "EnvInput"`+"\n", "", 1), KindEnvironment,
			"schema/schema.yaml: line 2: schema: has no environment_input_type"},
		{"service type in environment", strings.Replace(envSchema, "environment_input_type", "service_input_type", 1), KindEnvironment,
			"line 4: service_input_type is not allowed in an environment template schema"},
		{"environment type in service", envSchema, KindService, "line 4: environment_input_type is not allowed in a service template schema"},
		{"missing service type", strings.Replace(svcSchema, `  service_input_type: "SvcInput"`+"\n", "", 1), KindService, "schema: has no service_input_type"},
		{"no types", "schema:\n  format: {openapi: \"3.0.0\"}\n  environment_input_type: In\n", KindEnvironment, "schema/schema.yaml: line 2: schema: has no types"},
		{"types not a mapping", "schema:\n  format: {openapi: \"3.0.0\"}\n  environment_input_type: In\n  types: [a]\n", KindEnvironment, "line 4: types must be a mapping"},
		{"type not found", strings.Replace(envSchema, `"EnvInput"`, `"Nope"`, 1), KindEnvironment, `line 4: environment_input_type names type "Nope", which is not under types`},
		{"type name not text", strings.Replace(envSchema, `"EnvInput"`, `[a]`, 1), KindEnvironment, "line 4: environment_input_type must name a type"},
		{"input type not object", "schema:\n  format: {openapi: \"3.0.0\"}\n  environment_input_type: In\n  types:\n    In:\n      type: string\n", KindEnvironment,
			"line 6: types.In: the type named by environment_input_type must be of type object"},
		{"unsupported keyword", envSchemaWith("        a:\n          type: string\n          format: ipv4\n"), KindEnvironment,
			`schema/schema.yaml: line 11: types.In.properties.a: keyword "format" is not supported (supported keywords: type, title, description, default, enum, pattern,`},
		{"ref", envSchemaWith("        a:\n          $ref: '#/types/Other'\n"), KindEnvironment, `line 10: types.In.properties.a: keyword "$ref" is not supported`},
		{"oneOf", envSchemaWith("        a:\n          type: string\n          oneOf: []\n"), KindEnvironment, `keyword "oneOf" is not supported`},
		{"missing type", envSchemaWith("        a:\n          description: x\n"), KindEnvironment, "line 10: types.In.properties.a: type is required"},
		{"bad type", envSchemaWith("        a:\n          type: text\n"), KindEnvironment,
			"line 10: types.In.properties.a: type must be one of string, number, integer, boolean, array, object"},
		{"keyword for another type", envSchemaWith("        a:\n          type: number\n          pattern: x\n"), KindEnvironment,
			`line 11: types.In.properties.a: keyword "pattern" does not apply to type number`},
		{"minimum on string", envSchemaWith("        a:\n          type: string\n          minimum: 1\n"), KindEnvironment, `keyword "minimum" does not apply to type string`},
		{"bad pattern", envSchemaWith("        a:\n          type: string\n          pattern: '(a'\n"), KindEnvironment,
			`line 11: types.In.properties.a: pattern "(a" is not a valid regular expression`},
		{"look-ahead pattern", envSchemaWith("        a:\n          type: string\n          pattern: '(?=a)'\n"), KindEnvironment, "is not a valid regular expression"},
		{"pattern not text", envSchemaWith("        a:\n          type: string\n          pattern: [a]\n"), KindEnvironment, "types.In.properties.a: pattern must be text"},
		{"default out of range", envSchemaWith("        a:\n          type: integer\n          maximum: 5\n          default: 6\n"), KindEnvironment,
			"line 12: types.In.properties.a: default value does not fit the schema: must be at most 5"},
		{"default wrong type", envSchemaWith("        a:\n          type: integer\n          default: abc\n"), KindEnvironment,
			"types.In.properties.a: default value does not fit the schema: must be an integer"},
		{"default against pattern", envSchemaWith("        a:\n          type: string\n          pattern: '^x'\n          default: y\n"), KindEnvironment,
			`default value does not fit the schema: must match pattern "^x"`},
		{"default not in enum", envSchemaWith("        a:\n          type: string\n          enum: [x, y]\n          default: z\n"), KindEnvironment,
			`default value does not fit the schema: must be one of "x", "y"`},
		{"null default", envSchemaWith("        a:\n          type: string\n          default: null\n"), KindEnvironment, "types.In.properties.a: default must not be null"},
		{"enum wrong type", envSchemaWith("        a:\n          type: string\n          enum: [x, 1]\n"), KindEnvironment,
			"line 11: types.In.properties.a: enum value does not fit the schema: must be a string"},
		{"empty enum", envSchemaWith("        a:\n          type: string\n          enum: []\n"), KindEnvironment, "enum must be a list of at least one value"},
		{"required not a property", envSchemaWith("        a:\n          type: string\n      required: [b]\n"), KindEnvironment,
			`line 11: types.In: required names "b", which is not among the properties`},
		{"required not a list", envSchemaWith("        a:\n          type: string\n      required: a\n"), KindEnvironment, "types.In: required must be a list of property names"},
		{"minimum above maximum", envSchemaWith("        a:\n          type: number\n          minimum: 5\n          maximum: 1\n"), KindEnvironment,
			"line 10: types.In.properties.a: minimum is greater than maximum"},
		{"minLength above maxLength", envSchemaWith("        a:\n          type: string\n          minLength: 5\n          maxLength: 1\n"), KindEnvironment, "minLength is greater than maxLength"},
		{"negative minLength", envSchemaWith("        a:\n          type: string\n          minLength: -1\n"), KindEnvironment, "types.In.properties.a: minLength must be a whole number, 0 or more"},
		{"minimum not a number", envSchemaWith("        a:\n          type: number\n          minimum: x\n"), KindEnvironment, "types.In.properties.a: minimum must be a number"},
		{"uniqueItems not boolean", envSchemaWith("        a:\n          type: array\n          items: {type: string}\n          uniqueItems: yes\n"), KindEnvironment, "uniqueItems must be true or false"},
		{"array without items", envSchemaWith("        a:\n          type: array\n"), KindEnvironment, "line 10: types.In.properties.a: an array needs items (the schema of its elements)"},
		{"items not a schema", envSchemaWith("        a:\n          type: array\n          items: string\n"), KindEnvironment, "types.In.properties.a.items: must be a mapping of schema keywords"},
		{"bad nested", envSchemaWith("        a:\n          type: object\n          properties:\n            b:\n              type: strin\n"), KindEnvironment,
			"line 13: types.In.properties.a.properties.b: type must be one of"},
		{"nested too deep", envSchemaWith(deep), KindEnvironment, "schemas are nested more than 16 levels deep"},
		{"long property name", envSchemaWith("        " + strings.Repeat("a", 101) + ":\n          type: string\n"), KindEnvironment,
			"line 9: types.In: property names must be 1 to 100 characters"},
		{"duplicate key", envSchemaWith("        a:\n          type: string\n        a:\n          type: string\n"), KindEnvironment, `line 11: key "a" appears twice`},
		{"merge key", envSchemaWith("        a: &s\n          type: string\n        b:\n          <<: *s\n"), KindEnvironment, "merge keys (<<) are not supported"},
		{"unused type checked", envSchemaWith("        a:\n          type: string\n    Other:\n      type: strng\n"), KindEnvironment, "line 12: types.Other: type must be one of"},
		{"customer-managed service key", strings.Replace(customerManagedSchema, "environment_input_type", "pipeline_input_type", 1), KindEnvironment,
			"pipeline_input_type is not allowed in an environment template schema"},
		{"alias bomb", envSchemaWith("        a:\n          type: array\n          items: {type: string}\n" +
			"          default: [&a [x, x, x, x, x, x, x, x, x, x], &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a], &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b], " +
			"&d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c], &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d], [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]]\n"), KindEnvironment,
			"schema/schema.yaml: line 12: types.In.properties.a: default: document is too large once its aliases are expanded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSchema(tc.text, tc.kind)
			wantProblem(t, err, tc.want)
		})
	}
}

func TestCustomerManagedSchemaRules(t *testing.T) {
	for _, tc := range []struct{ props, want string }{
		{"        a:\n          type: integer\n", "types.In.properties.a: a customer-managed environment template takes only string inputs without defaults"},
		{"        a:\n          type: string\n          default: x\n", "types.In.properties.a: a customer-managed environment template takes only string inputs without defaults"},
	} {
		_, err := parseSchema(envSchemaWith(tc.props), KindEnvironment, true)
		wantProblem(t, err, tc.want)
	}
	if _, err := parseSchema(customerManagedSchema, KindEnvironment, true); err != nil {
		t.Fatal(err)
	}
	_, err := parseSchema(svcSchema, KindService, true)
	wantProblem(t, err, "service_input_type is not allowed: a customer-managed environment template schema holds only environment_input_type")
}

func TestSchemaLineNumbers(t *testing.T) {
	// The line in a message is the line of the offending keyword.
	text := envSchemaWith("        a:\n          type: string\n        b:\n          type: string\n          maxLength: x\n")
	_, err := ParseSchema(text, KindEnvironment)
	line := strings.Split(text, "\n")[13-1]
	if !strings.Contains(line, "maxLength") {
		t.Fatalf("test text moved: line 13 is %q", line)
	}
	wantProblem(t, err, fmt.Sprintf("schema/schema.yaml: line %d: types.In.properties.b: maxLength must be a whole number", 13))
}
