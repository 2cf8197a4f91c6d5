package bundle

import (
	"context"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// buildInputType builds the schema of a type named by an input-type key.
func buildInputType(role, name string, def *yaml.Node, customerManaged bool) (*inputType, error) {
	b := &schemaBuilder{patterns: map[string]*regexp.Regexp{}}
	sch, err := buildTypeSchema(name, def, b)
	if err != nil {
		return nil, err
	}
	def = resolve(def)
	if !sch.Type.Is(openapi3.TypeObject) {
		return nil, schemaFault(def.Line, "types.%s: the type named by %s must be of type object", name, role)
	}
	if customerManaged {
		for _, p := range sortedKeys(sch.Properties) {
			ps := sch.Properties[p].Value
			if !ps.Type.Is(openapi3.TypeString) || ps.Default != nil {
				return nil, schemaFault(def.Line, "types.%s.properties.%s: a customer-managed environment template takes only string inputs without defaults", name, p)
			}
		}
	}
	return &inputType{role: role, name: name, schema: sch, patterns: b.patterns}, nil
}

// buildTypeSchema builds and checks one entry of types.
func buildTypeSchema(name string, def *yaml.Node, b *schemaBuilder) (*openapi3.Schema, error) {
	sch, err := b.build(def, "types."+name, 0)
	if err != nil {
		return nil, err
	}
	// kin-openapi's own checks back ours up. Pattern checks are left out
	// (see inputType.patterns); defaults are checked by build with lines.
	err = sch.Validate(context.Background(),
		openapi3.DisableSchemaPatternValidation(),
		openapi3.DisableSchemaDefaultsValidation(),
		openapi3.DisableExamplesValidation())
	if err != nil {
		return nil, schemaFault(resolve(def).Line, "types.%s: %v", name, err)
	}
	return sch, nil
}

// schemaBuilder turns schema YAML into kin-openapi schemas, checking every
// keyword with the line it is on.
type schemaBuilder struct {
	patterns map[string]*regexp.Regexp
	conv     *converter
}

func (b *schemaBuilder) build(n *yaml.Node, path string, depth int) (*openapi3.Schema, error) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		line := 0
		if n != nil {
			line = n.Line
		}
		return nil, schemaFault(line, "%s: must be a mapping of schema keywords", path)
	}
	if depth > maxSchemaDepth {
		return nil, schemaFault(n.Line, "%s: schemas are nested more than %d levels deep", path, maxSchemaDepth)
	}
	es, err := entries(n)
	if err != nil {
		return nil, schemaFault(0, "%s: %v", path, err)
	}
	kw := map[string]mapEntry{}
	for _, e := range es {
		if _, ok := allowedKeywords[e.key]; !ok {
			return nil, schemaFault(e.keyN.Line, "%s: keyword %q is not supported (supported keywords: %s)", path, e.key, allowedKeywordList)
		}
		kw[e.key] = e
	}
	t, ok := kw["type"]
	if !ok {
		return nil, schemaFault(n.Line, "%s: type is required", path)
	}
	tv := resolve(t.value)
	if tv.Kind != yaml.ScalarNode || !contains(schemaTypes, tv.Value) {
		return nil, schemaFault(tv.Line, "%s: type must be one of %s", path, strings.Join(schemaTypes, ", "))
	}
	typ := tv.Value
	for _, e := range es {
		if applies := allowedKeywords[e.key]; applies != nil && !contains(applies, typ) {
			return nil, schemaFault(e.keyN.Line, "%s: keyword %q does not apply to type %s", path, e.key, typ)
		}
	}
	s := &openapi3.Schema{Type: &openapi3.Types{typ}}
	for _, e := range es {
		if err := b.keyword(s, e, path, depth); err != nil {
			return nil, err
		}
	}
	if err := checkBounds(s, n, path); err != nil {
		return nil, err
	}
	if typ == openapi3.TypeArray && s.Items == nil {
		return nil, schemaFault(n.Line, "%s: an array needs items (the schema of its elements)", path)
	}
	if typ == openapi3.TypeObject && len(s.Properties) > 0 {
		// Inputs a schema does not declare are mistakes, not extensions.
		no := false
		s.AdditionalProperties.Has = &no
	}
	for _, r := range s.Required {
		if _, ok := s.Properties[r]; !ok {
			return nil, schemaFault(kw["required"].keyN.Line, "%s: required names %q, which is not among the properties", path, r)
		}
	}
	for _, name := range []string{"enum", "default"} {
		e, ok := kw[name]
		if !ok {
			continue
		}
		var values []any
		if name == "enum" {
			values = s.Enum
		} else {
			values = []any{s.Default}
		}
		for _, v := range values {
			if probs := validateValue(s, b.patterns, deepCopy(v), ""); len(probs) > 0 {
				return nil, schemaFault(resolve(e.value).Line, "%s: %s value does not fit the schema: %s", path, name, strings.Join(probs, "; "))
			}
		}
	}
	return s, nil
}

func (b *schemaBuilder) keyword(s *openapi3.Schema, e mapEntry, path string, depth int) error {
	v := resolve(e.value)
	line := v.Line
	switch e.key {
	case "type":
	case "title", "description":
		if v.Kind != yaml.ScalarNode {
			return schemaFault(line, "%s: %s must be text", path, e.key)
		}
		if e.key == "title" {
			s.Title = v.Value
		} else {
			s.Description = v.Value
		}
	case "pattern":
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
			return schemaFault(line, "%s: pattern must be text", path)
		}
		re, err := compilePattern(v.Value)
		if err != nil {
			return schemaFault(line, "%s: pattern %q is not a valid regular expression: %v", path, v.Value, err)
		}
		s.Pattern = v.Value
		b.patterns[v.Value] = re
	case "minimum", "maximum":
		f, ok := number(v)
		if !ok {
			return schemaFault(line, "%s: %s must be a number", path, e.key)
		}
		if e.key == "minimum" {
			s.Min = &f
		} else {
			s.Max = &f
		}
	case "minLength", "maxLength", "minItems", "maxItems":
		u, ok := count(v)
		if !ok {
			return schemaFault(line, "%s: %s must be a whole number, 0 or more", path, e.key)
		}
		switch e.key {
		case "minLength":
			s.MinLength = u
		case "maxLength":
			s.MaxLength = &u
		case "minItems":
			s.MinItems = u
		case "maxItems":
			s.MaxItems = &u
		}
	case "uniqueItems":
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
			return schemaFault(line, "%s: uniqueItems must be true or false", path)
		}
		s.UniqueItems = v.Value == "true"
	case "enum":
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			return schemaFault(line, "%s: enum must be a list of at least one value", path)
		}
		val, err := b.value(v)
		if err != nil {
			l, msg := splitYAMLError(err, line)
			return schemaFault(l, "%s: enum: %s", path, msg)
		}
		s.Enum = val.([]any)
	case "default":
		val, err := b.value(v)
		if err != nil {
			l, msg := splitYAMLError(err, line)
			return schemaFault(l, "%s: default: %s", path, msg)
		}
		if val == nil {
			return schemaFault(line, "%s: default must not be null", path)
		}
		s.Default = val
	case "required":
		if v.Kind != yaml.SequenceNode {
			return schemaFault(line, "%s: required must be a list of property names", path)
		}
		for _, r := range v.Content {
			r = resolve(r)
			if r.Kind != yaml.ScalarNode {
				return schemaFault(r.Line, "%s: required must be a list of property names", path)
			}
			s.Required = append(s.Required, r.Value)
		}
	case "properties":
		if v.Kind != yaml.MappingNode {
			return schemaFault(line, "%s: properties must be a mapping of names to schemas", path)
		}
		props, err := entries(v)
		if err != nil {
			return schemaFault(0, "%s: properties: %v", path, err)
		}
		s.Properties = openapi3.Schemas{}
		for _, p := range props {
			if p.key == "" || len(p.key) > maxInputNameChars {
				return schemaFault(p.keyN.Line, "%s: property names must be 1 to %d characters", path, maxInputNameChars)
			}
			child, err := b.build(p.value, path+".properties."+p.key, depth+1)
			if err != nil {
				return err
			}
			s.Properties[p.key] = &openapi3.SchemaRef{Value: child}
		}
	case "items":
		child, err := b.build(v, path+".items", depth+1)
		if err != nil {
			return err
		}
		s.Items = &openapi3.SchemaRef{Value: child}
	}
	return nil
}

func (b *schemaBuilder) value(n *yaml.Node) (any, error) {
	if b.conv == nil {
		b.conv = newConverter()
	}
	return b.conv.value(n)
}

func checkBounds(s *openapi3.Schema, n *yaml.Node, path string) error {
	if s.Min != nil && s.Max != nil && *s.Min > *s.Max {
		return schemaFault(n.Line, "%s: minimum is greater than maximum", path)
	}
	if s.MaxLength != nil && s.MinLength > *s.MaxLength {
		return schemaFault(n.Line, "%s: minLength is greater than maxLength", path)
	}
	if s.MaxItems != nil && s.MinItems > *s.MaxItems {
		return schemaFault(n.Line, "%s: minItems is greater than maxItems", path)
	}
	return nil
}

// compilePattern compiles an OpenAPI pattern. Patterns are ECMA-262 regular
// expressions; Go's RE2 syntax covers them except look-around and
// back-references, and \uXXXX escapes are rewritten to RE2's \x{XXXX}.
func compilePattern(p string) (*regexp.Regexp, error) {
	return regexp.Compile(unicodeEscape.ReplaceAllString(p, `\x{$1}`))
}

var unicodeEscape = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

func number(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	v, err := scalar(n)
	if err != nil {
		return 0, false
	}
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

func count(n *yaml.Node) (uint64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	v, err := scalar(n)
	if err != nil {
		return 0, false
	}
	i, ok := v.(int64)
	if !ok || i < 0 {
		return 0, false
	}
	return uint64(i), true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
