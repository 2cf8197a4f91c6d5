package bundle

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// Kind is the kind of template a bundle or schema belongs to.
type Kind int

// The template kinds.
const (
	KindEnvironment Kind = iota
	KindService
)

func (k Kind) String() string {
	if k == KindService {
		return "service"
	}
	return "environment"
}

// SchemaPath is where a bundle holds its schema.
const SchemaPath = "schema/schema.yaml"

// The keys of schema: that name input types.
const (
	roleEnvironment = "environment_input_type"
	roleService     = "service_input_type"
	rolePipeline    = "pipeline_input_type"
)

// maxSchemaDepth bounds how deeply object and array schemas nest.
const maxSchemaDepth = 16

// maxInputNameChars is Proton's limit on parameter names.
const maxInputNameChars = 100

// Schema is a parsed schema/schema.yaml: the input types of a template.
type Schema struct {
	env  *inputType // environment templates
	svc  *inputType // service templates
	pipe *inputType // service templates with a pipeline
}

// inputType is one input type named by the schema (environment_input_type,
// service_input_type or pipeline_input_type).
type inputType struct {
	role   string
	name   string
	schema *openapi3.Schema
	// patterns holds the compiled pattern of every schema in the type.
	// Patterns are matched here rather than by kin-openapi because its
	// validator caches every pattern it compiles in a process-wide map that
	// never shrinks, and schemas come from users.
	patterns map[string]*regexp.Regexp
}

// HasPipeline reports whether a service schema declares pipeline_input_type.
func (s *Schema) HasPipeline() bool { return s.pipe != nil }

// ParseSchema parses schema.yaml text (as stored in Bundle.SchemaText) for a
// kind of template. Every fault is a *Problem naming the line concerned.
func ParseSchema(text string, kind Kind) (*Schema, error) {
	return parseSchema(text, kind, false)
}

// allowedKeywords are the schema keywords accepted in an input type: the ones
// Proton documents, plus the structure of arrays and objects and harmless
// annotations. The applicable types of a keyword are listed; nil means any.
var allowedKeywords = map[string][]string{
	"type":        nil,
	"title":       nil,
	"description": nil,
	"default":     nil,
	"enum":        nil,
	"pattern":     {openapi3.TypeString},
	"minLength":   {openapi3.TypeString},
	"maxLength":   {openapi3.TypeString},
	"minimum":     {openapi3.TypeNumber, openapi3.TypeInteger},
	"maximum":     {openapi3.TypeNumber, openapi3.TypeInteger},
	"items":       {openapi3.TypeArray},
	"minItems":    {openapi3.TypeArray},
	"maxItems":    {openapi3.TypeArray},
	"uniqueItems": {openapi3.TypeArray},
	"properties":  {openapi3.TypeObject},
	"required":    {openapi3.TypeObject},
}

const allowedKeywordList = "type, title, description, default, enum, pattern, minLength, maxLength, " +
	"minimum, maximum, items, minItems, maxItems, uniqueItems, properties, required"

var schemaTypes = []string{openapi3.TypeString, openapi3.TypeNumber, openapi3.TypeInteger,
	openapi3.TypeBoolean, openapi3.TypeArray, openapi3.TypeObject}

// schemaFault is a Problem about schema/schema.yaml at a line.
func schemaFault(line int, format string, args ...any) *Problem {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		return problemf("%s: line %d: %s", SchemaPath, line, msg)
	}
	return problemf("%s: %s", SchemaPath, msg)
}

func parseSchema(text string, kind Kind, customerManaged bool) (*Schema, error) {
	if len(text) > MaxSchemaBytes {
		return nil, problemf("%s: file is %d bytes; at most %d bytes (50 KB) are allowed", SchemaPath, len(text), MaxSchemaBytes)
	}
	doc, err := parseYAMLDocs([]byte(text), true)
	if err != nil {
		return nil, problemf("%s: %v", SchemaPath, err)
	}
	top := resolve(root(doc))
	if top == nil || (top.Kind == yaml.ScalarNode && top.ShortTag() == "!!null") {
		return nil, schemaFault(0, "is empty; it must hold a schema: mapping")
	}
	if top.Kind != yaml.MappingNode {
		return nil, schemaFault(top.Line, "must be a mapping with a schema: key")
	}
	es, err := entries(top)
	if err != nil {
		return nil, schemaFault(0, "%v", err)
	}
	var body *yaml.Node
	for _, e := range es {
		if e.key != "schema" {
			return nil, schemaFault(e.keyN.Line, "unknown key %q at the top level; only schema: is allowed", e.key)
		}
		body = resolve(e.value)
	}
	if body == nil {
		return nil, schemaFault(top.Line, "has no schema: key")
	}
	if body.Kind != yaml.MappingNode {
		return nil, schemaFault(body.Line, "schema: must be a mapping")
	}
	return parseSchemaBody(body, kind, customerManaged)
}

func parseSchemaBody(body *yaml.Node, kind Kind, customerManaged bool) (*Schema, error) {
	es, err := entries(body)
	if err != nil {
		return nil, schemaFault(0, "%v", err)
	}
	var format, types *yaml.Node
	roles := map[string]*yaml.Node{}
	var roleOrder []string
	for _, e := range es {
		switch e.key {
		case "format":
			format = resolve(e.value)
		case "types":
			types = resolve(e.value)
		case roleEnvironment, roleService, rolePipeline:
			if !roleAllowed(e.key, kind, customerManaged) {
				if customerManaged {
					return nil, schemaFault(e.keyN.Line, "%s is not allowed: a customer-managed environment template schema holds only %s", e.key, roleEnvironment)
				}
				return nil, schemaFault(e.keyN.Line, "%s is not allowed in a%s %s template schema", e.key, article(kind.String()), kind)
			}
			roles[e.key] = resolve(e.value)
			roleOrder = append(roleOrder, e.key)
		default:
			return nil, schemaFault(e.keyN.Line, "unknown key %q under schema:; allowed keys are format, %s and types", e.key, strings.Join(kindRoles(kind), ", "))
		}
	}
	if err := checkFormat(body, format); err != nil {
		return nil, err
	}
	required := roleEnvironment
	if kind == KindService {
		required = roleService
	}
	if roles[required] == nil {
		return nil, schemaFault(body.Line, "schema: has no %s", required)
	}
	if types == nil {
		return nil, schemaFault(body.Line, "schema: has no types")
	}
	if types.Kind != yaml.MappingNode {
		return nil, schemaFault(types.Line, "types must be a mapping of type names to schemas")
	}
	typeEntries, err := entries(types)
	if err != nil {
		return nil, schemaFault(0, "%v", err)
	}
	byName := map[string]*yaml.Node{}
	for _, e := range typeEntries {
		byName[e.key] = e.value
	}
	s := &Schema{}
	for _, role := range roleOrder {
		n := roles[role]
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" || n.Value == "" {
			return nil, schemaFault(n.Line, "%s must name a type", role)
		}
		def, ok := byName[n.Value]
		if !ok {
			return nil, schemaFault(n.Line, "%s names type %q, which is not under types", role, n.Value)
		}
		t, err := buildInputType(role, n.Value, def, customerManaged)
		if err != nil {
			return nil, err
		}
		switch role {
		case roleEnvironment:
			s.env = t
		case roleService:
			s.svc = t
		case rolePipeline:
			s.pipe = t
		}
	}
	// Types no input type names are still checked, so that a mistake in
	// one is reported when the bundle is registered, not when it is used.
	for _, e := range typeEntries {
		if _, err := buildTypeSchema(e.key, e.value, &schemaBuilder{patterns: map[string]*regexp.Regexp{}}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func roleAllowed(role string, kind Kind, customerManaged bool) bool {
	if kind == KindEnvironment {
		return role == roleEnvironment
	}
	return !customerManaged && (role == roleService || role == rolePipeline)
}

func kindRoles(kind Kind) []string {
	if kind == KindEnvironment {
		return []string{roleEnvironment}
	}
	return []string{roleService, rolePipeline}
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
		return "n"
	}
	return ""
}

func checkFormat(body, format *yaml.Node) error {
	const want = `format: {openapi: "3.0.0"}`
	if format == nil {
		return schemaFault(body.Line, "schema: has no format; it must be %s", want)
	}
	if format.Kind != yaml.MappingNode {
		return schemaFault(format.Line, "format must be %s", want)
	}
	es, err := entries(format)
	if err != nil {
		return schemaFault(0, "%v", err)
	}
	found := false
	for _, e := range es {
		v := resolve(e.value)
		if e.key != "openapi" {
			return schemaFault(e.keyN.Line, "unknown key %q under format:; it must be %s", e.key, want)
		}
		if v.Kind != yaml.ScalarNode || v.Value != "3.0.0" {
			return schemaFault(v.Line, "format.openapi must be \"3.0.0\"")
		}
		found = true
	}
	if !found {
		return schemaFault(format.Line, "format must be %s", want)
	}
	return nil
}
