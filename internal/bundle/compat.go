package bundle

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// CheckCompatible reports, as a *Problem, every way s (the schema of a new
// minor version) breaks backward compatibility with older (an earlier minor
// of the same major); nil when compatible. A spec valid for older, and the
// inputs already stored under it, must stay valid under s:
//   - an input type (environment, service or pipeline) may not be removed;
//   - an input may not be removed, nor its type changed (integer may widen
//     to number);
//   - a new required input, or one that becomes required, needs a default;
//   - limits may not narrow: enum values removed or an enum added, minimum,
//     minLength or minItems raised or added, maximum, maxLength or maxItems
//     lowered or added, uniqueItems added, a pattern added or changed;
//   - the same rules apply inside object properties and array items.
//
// Input types are compared by role, not by name, so renaming a type is fine.
func (s *Schema) CheckCompatible(older *Schema) error {
	if older == nil {
		return nil
	}
	var breaks []string
	pairs := []struct {
		role     string
		old, new *inputType
	}{
		{roleEnvironment, older.env, s.env},
		{roleService, older.svc, s.svc},
		{rolePipeline, older.pipe, s.pipe},
	}
	for _, p := range pairs {
		switch {
		case p.old == nil && p.new == nil:
		case p.new == nil:
			breaks = append(breaks, fmt.Sprintf("%s was removed", p.role))
		case p.old == nil:
			// A new input type starts from no inputs: only required inputs
			// without defaults break existing resources.
			compareSchemas(p.role, &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeObject}}, p.new.schema, &breaks)
		default:
			compareSchemas(p.role, p.old.schema, p.new.schema, &breaks)
		}
	}
	if len(breaks) == 0 {
		return nil
	}
	return problemf("%s is not backward compatible with an earlier minor version of this major version (create a new major version instead): %s",
		SchemaPath, strings.Join(breaks, "; "))
}

func compareSchemas(path string, old, cur *openapi3.Schema, breaks *[]string) {
	add := func(format string, args ...any) {
		*breaks = append(*breaks, path+": "+fmt.Sprintf(format, args...))
	}
	ot, nt := single(old.Type), single(cur.Type)
	if ot != nt && !(ot == openapi3.TypeInteger && nt == openapi3.TypeNumber) {
		add("type changed from %s to %s", ot, nt)
		return
	}
	if len(cur.Enum) > 0 {
		if len(old.Enum) == 0 {
			add("an enum was added")
		} else {
			for _, v := range old.Enum {
				if !slices.ContainsFunc(cur.Enum, func(w any) bool { return jsonEqual(v, w) }) {
					add("enum value %s was removed", jsonList([]any{v}))
				}
			}
		}
	}
	lowerBound("minimum", old.Min, cur.Min, add)
	upperBound("maximum", old.Max, cur.Max, add)
	lowerCount("minLength", old.MinLength, cur.MinLength, add)
	upperCount("maxLength", old.MaxLength, cur.MaxLength, add)
	lowerCount("minItems", old.MinItems, cur.MinItems, add)
	upperCount("maxItems", old.MaxItems, cur.MaxItems, add)
	if cur.UniqueItems && !old.UniqueItems {
		add("uniqueItems was added")
	}
	if cur.Pattern != "" && cur.Pattern != old.Pattern {
		if old.Pattern == "" {
			add("a pattern was added")
		} else {
			add("the pattern changed")
		}
	}
	if old.Items != nil && cur.Items != nil {
		compareSchemas(path+".items", old.Items.Value, cur.Items.Value, breaks)
	}
	for _, name := range sortedKeys(old.Properties) {
		np, ok := cur.Properties[name]
		if !ok {
			add("input %q was removed", name)
			continue
		}
		compareSchemas(path+"."+name, old.Properties[name].Value, np.Value, breaks)
	}
	for _, name := range cur.Required {
		if slices.Contains(old.Required, name) {
			continue
		}
		if p := cur.Properties[name]; p != nil && p.Value.Default == nil {
			if _, existed := old.Properties[name]; existed {
				add("input %q became required without a default", name)
			} else {
				add("new required input %q has no default", name)
			}
		}
	}
}

func single(t *openapi3.Types) string {
	if t == nil || len(*t) != 1 {
		return ""
	}
	return (*t)[0]
}

func jsonEqual(a, b any) bool {
	return jsonList([]any{a}) == jsonList([]any{b})
}

func lowerBound(name string, old, cur *float64, add func(string, ...any)) {
	switch {
	case cur == nil:
	case old == nil:
		add("%s %s was added", name, num(cur))
	case *cur > *old:
		add("%s was raised from %s to %s", name, num(old), num(cur))
	}
}

func upperBound(name string, old, cur *float64, add func(string, ...any)) {
	switch {
	case cur == nil:
	case old == nil:
		add("%s %s was added", name, num(cur))
	case *cur < *old:
		add("%s was lowered from %s to %s", name, num(old), num(cur))
	}
}

func lowerCount(name string, old, cur uint64, add func(string, ...any)) {
	if cur > old {
		add("%s was raised from %d to %d", name, old, cur)
	}
}

func upperCount(name string, old, cur *uint64, add func(string, ...any)) {
	switch {
	case cur == nil:
	case old == nil:
		add("%s %d was added", name, *cur)
	case *cur < *old:
		add("%s was lowered from %d to %d", name, *old, *cur)
	}
}
