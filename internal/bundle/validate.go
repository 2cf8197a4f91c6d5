package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// validateValue checks v against s with kin-openapi, fills in defaults (v is
// changed in place, so callers pass a copy) and returns every problem, each
// starting with the path of the value concerned under prefix. Messages never
// quote the value: specs may hold secrets.
func validateValue(s *openapi3.Schema, patterns map[string]*regexp.Regexp, v any, prefix string) []string {
	err := s.VisitJSON(v,
		openapi3.MultiErrors(),
		openapi3.VisitAsRequest(),
		openapi3.DefaultsSet(func() {}),
		openapi3.DisablePatternValidation())
	var probs []string
	collectErrors(err, v, prefix, &probs)
	matchPatterns(s, patterns, v, prefix, &probs)
	sort.Strings(probs)
	return slices.Compact(probs)
}

func collectErrors(err error, root any, prefix string, probs *[]string) {
	if err == nil {
		return
	}
	var me openapi3.MultiError
	if errors.As(err, &me) {
		for _, e := range me {
			collectErrors(e, root, prefix, probs)
		}
		return
	}
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		*probs = append(*probs, at(prefix, err.Error()))
		return
	}
	segs := se.JSONPointer()
	msg := describe(se)
	if se.SchemaField == "properties" {
		if k, ok := unsupportedKey(se.Reason); ok {
			segs = append(segs, k)
			msg = "is not defined in the schema"
		}
	}
	*probs = append(*probs, at(valuePath(prefix, root, segs), msg))
}

// describe words a kin-openapi schema error for users, from the keyword that
// failed and the schema's value for it.
func describe(se *openapi3.SchemaError) string {
	s := se.Schema
	switch se.SchemaField {
	case "type":
		return "must be " + typeName(s)
	case "nullable":
		return "has no value; it must be " + typeName(s)
	case "enum":
		return "must be one of " + jsonList(s.Enum)
	case "minimum":
		return "must be at least " + num(s.Min)
	case "maximum":
		return "must be at most " + num(s.Max)
	case "minLength":
		return fmt.Sprintf("must be at least %d characters long", s.MinLength)
	case "maxLength":
		return fmt.Sprintf("must be at most %d characters long", deref(s.MaxLength))
	case "minItems":
		return fmt.Sprintf("must have at least %d items", s.MinItems)
	case "maxItems":
		return fmt.Sprintf("must have at most %d items", deref(s.MaxItems))
	case "uniqueItems":
		return "must not repeat an item"
	case "required":
		return "is required"
	}
	if se.Reason != "" {
		return se.Reason
	}
	return "does not satisfy " + se.SchemaField
}

func typeName(s *openapi3.Schema) string {
	if s == nil || s.Type == nil || len(*s.Type) != 1 {
		return "a value of the declared type"
	}
	t := (*s.Type)[0]
	return "a" + article(t) + " " + t
}

func num(f *float64) string {
	if f == nil {
		return "?"
	}
	return strconv.FormatFloat(*f, 'g', -1, 64)
}

func deref(u *uint64) uint64 {
	if u == nil {
		return 0
	}
	return *u
}

func jsonList(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		b, _ := json.Marshal(v)
		parts[i] = string(b)
	}
	return strings.Join(parts, ", ")
}

// unsupportedKey extracts the name from kin-openapi's reason for an
// undeclared property, `property "x" is unsupported`.
func unsupportedKey(reason string) (string, bool) {
	rest, ok := strings.CutPrefix(reason, "property ")
	if !ok {
		return "", false
	}
	q, ok := strings.CutSuffix(rest, " is unsupported")
	if !ok {
		return "", false
	}
	k, err := strconv.Unquote(q)
	return k, err == nil
}

// valuePath renders a JSON pointer as spec.a.b[2].c, telling list indexes
// from keys by walking the value.
func valuePath(prefix string, root any, segs []string) string {
	p := prefix
	cur := root
	for _, s := range segs {
		switch c := cur.(type) {
		case []any:
			p += "[" + s + "]"
			if i, err := strconv.Atoi(s); err == nil && i >= 0 && i < len(c) {
				cur = c[i]
			} else {
				cur = nil
			}
		case map[string]any:
			p = joinKey(p, s)
			cur = c[s]
		default:
			p = joinKey(p, s)
			cur = nil
		}
	}
	return p
}

func joinKey(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}

func at(path, msg string) string {
	if path == "" {
		return msg
	}
	return path + ": " + msg
}

// matchPatterns checks the pattern of every string in v.
func matchPatterns(s *openapi3.Schema, patterns map[string]*regexp.Regexp, v any, path string, probs *[]string) {
	if s == nil {
		return
	}
	switch x := v.(type) {
	case string:
		if s.Pattern == "" {
			return
		}
		if re := patterns[s.Pattern]; re != nil && !re.MatchString(x) {
			*probs = append(*probs, at(path, `must match pattern "`+s.Pattern+`"`))
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if p := s.Properties[k]; p != nil {
				matchPatterns(p.Value, patterns, x[k], joinKey(path, k), probs)
			}
		}
	case []any:
		if s.Items == nil {
			return
		}
		for i, e := range x {
			matchPatterns(s.Items.Value, patterns, e, fmt.Sprintf("%s[%d]", path, i), probs)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// deepCopy copies a JSON-like value, so that filling in defaults never
// changes a value the caller or the schema holds.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}
