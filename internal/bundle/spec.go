package bundle

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/openproton/openproton/internal/fault"
	"gopkg.in/yaml.v3"
)

// CurrentValue in a spec keeps an input's current value on update.
const CurrentValue = "${Proton::CURRENT_VAL}"

// The proton: values of spec files.
const (
	environmentSpecKind = "EnvironmentSpec"
	serviceSpecKind     = "ServiceSpec"
)

// resourceName is the model's ResourceName pattern, which instance and
// environment names of a service spec follow.
var resourceName = regexp.MustCompile(`^[0-9A-Za-z]+[0-9A-Za-z_\-]*$`)

const maxResourceNameChars = 100

// ServiceSpec is a validated service spec.
type ServiceSpec struct {
	// Pipeline holds the pipeline inputs; nil when the template has no
	// pipeline.
	Pipeline  map[string]any
	Instances []InstanceSpec
}

// InstanceSpec is one service instance of a service spec.
type InstanceSpec struct {
	Name        string
	Environment string
	Inputs      map[string]any
}

// ValidateEnvironmentSpec parses a YAML environment spec ("proton:
// EnvironmentSpec" and a "spec:" mapping of inputs), validates the inputs
// against environment_input_type, fills in defaults, replaces
// "${Proton::CURRENT_VAL}" by previous[name] (previous is nil on create) and
// returns the inputs. A *SpecError lists every fault of the inputs; a
// *Problem reports a spec that is not a spec at all.
func (s *Schema) ValidateEnvironmentSpec(spec string, previous map[string]any) (map[string]any, error) {
	if s.env == nil {
		return nil, problemf("the template's schema has no %s", roleEnvironment)
	}
	top, err := parseSpec(spec, environmentSpecKind, "spec")
	if err != nil {
		return nil, err
	}
	var probs []string
	inputs, ok := asInputs(top["spec"], "spec", &probs)
	if ok {
		inputs = s.env.check(inputs, previous, "spec", &probs)
	}
	if len(probs) > 0 {
		return nil, &SpecError{Problems: probs}
	}
	return inputs, nil
}

// ValidateServiceSpec parses and validates a YAML service spec ("proton:
// ServiceSpec", "pipeline:" only if the template has one, and "instances:",
// a list of {name, environment, spec}). Instance names must be unique.
// "${Proton::CURRENT_VAL}" has no current value here and is refused.
func (s *Schema) ValidateServiceSpec(spec string) (*ServiceSpec, error) {
	return s.ValidateServiceSpecWith(spec, PreviousInputs{})
}

// PreviousInputs are the inputs a service's pipeline and instances have
// now, which "${Proton::CURRENT_VAL}" in a new spec keeps.
type PreviousInputs struct {
	Pipeline  map[string]any
	Instances map[string]map[string]any // by instance name
}

// ValidateServiceSpecWith is ValidateServiceSpec for a spec that replaces
// one with the inputs previous: "${Proton::CURRENT_VAL}" takes an input's
// value there (the pipeline's, or the instance's of the same name).
func (s *Schema) ValidateServiceSpecWith(spec string, previous PreviousInputs) (*ServiceSpec, error) {
	if s.svc == nil {
		return nil, problemf("the template's schema has no %s", roleService)
	}
	top, err := parseSpec(spec, serviceSpecKind, "pipeline", "instances")
	if err != nil {
		return nil, err
	}
	var probs []string
	out := &ServiceSpec{}
	if s.pipe != nil {
		if in, ok := asInputs(top["pipeline"], "pipeline", &probs); ok {
			out.Pipeline = s.pipe.check(in, previous.Pipeline, "pipeline", &probs)
		}
	} else if top["pipeline"] != nil {
		probs = append(probs, "pipeline: the service template has no pipeline")
	}
	out.Instances = s.instances(top["instances"], previous.Instances, &probs)
	if len(probs) > 0 {
		return nil, &SpecError{Problems: probs}
	}
	return out, nil
}

func (s *Schema) instances(v any, previous map[string]map[string]any, probs *[]string) []InstanceSpec {
	list, ok := v.([]any)
	if v == nil || (ok && len(list) == 0) {
		*probs = append(*probs, "instances: at least one instance is required")
		return nil
	}
	if !ok {
		*probs = append(*probs, "instances: must be a list of instances")
		return nil
	}
	var out []InstanceSpec
	seen := map[string]int{}
	for i, e := range list {
		where := fmt.Sprintf("instances[%d]", i)
		m, ok := e.(map[string]any)
		if !ok {
			*probs = append(*probs, where+": must be a mapping with name, environment and spec")
			continue
		}
		for _, k := range sortedKeys(m) {
			if k != "name" && k != "environment" && k != "spec" {
				*probs = append(*probs, fmt.Sprintf("%s: unknown key %q; an instance has name, environment and spec", where, fault.Echo(k)))
			}
		}
		inst := InstanceSpec{
			Name:        nameField(m, "name", where, probs),
			Environment: nameField(m, "environment", where, probs),
		}
		if inst.Name != "" {
			if j, dup := seen[inst.Name]; dup {
				*probs = append(*probs, fmt.Sprintf("%s.name: instance name %q is already used by instances[%d]", where, inst.Name, j))
			}
			seen[inst.Name] = i
		}
		if in, ok := asInputs(m["spec"], where+".spec", probs); ok {
			inst.Inputs = s.svc.check(in, previous[inst.Name], where+".spec", probs)
		}
		out = append(out, inst)
	}
	return out
}

func nameField(m map[string]any, key, where string, probs *[]string) string {
	v, ok := m[key].(string)
	switch {
	case m[key] == nil:
		*probs = append(*probs, fmt.Sprintf("%s.%s: is required", where, key))
	case !ok:
		*probs = append(*probs, fmt.Sprintf("%s.%s: must be a name", where, key))
	case utf8.RuneCountInString(v) > maxResourceNameChars || !resourceName.MatchString(v):
		*probs = append(*probs, fmt.Sprintf("%s.%s: must be 1 to %d letters, digits, - and _, starting with a letter or digit", where, key, maxResourceNameChars))
	default:
		return v
	}
	return ""
}

// parseSpec parses a spec document, checks its proton: kind and top-level
// keys and returns the top-level mapping.
func parseSpec(spec, kind string, keys ...string) (map[string]any, error) {
	if n := utf8.RuneCountInString(spec); n > MaxSpecChars {
		return nil, problemf("spec is %d characters; at most %d are allowed", n, MaxSpecChars)
	}
	doc, err := parseYAMLDocs([]byte(spec), true)
	if err != nil {
		return nil, problemf("spec: %v", err)
	}
	top := resolve(root(doc))
	if top == nil || top.Kind != yaml.MappingNode {
		return nil, problemf("spec must be a YAML mapping starting with proton: %s", kind)
	}
	v, err := newConverter().value(top)
	if err != nil {
		return nil, problemf("spec: %v", err)
	}
	m := v.(map[string]any)
	switch p := m["proton"]; {
	case p == nil:
		return nil, problemf("spec has no proton: key; it must start with proton: %s", kind)
	case p != kind:
		return nil, problemf("spec: proton must be %s, not %s", kind, describeValue(p))
	}
	for _, k := range sortedKeys(m) {
		if k != "proton" && !contains(keys, k) {
			return nil, problemf("spec: unknown key %q; a%s %s has %s", fault.Echo(k), article(kind), kind, joinAnd(append([]string{"proton"}, keys...)))
		}
	}
	return m, nil
}

// describeValue quotes a value of the user's spec for a message, cut as
// every echoed value is.
func describeValue(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", fault.Echo(s))
	}
	return fault.Echo(fmt.Sprintf("%v", v))
}

func joinAnd(keys []string) string {
	if len(keys) == 1 {
		return keys[0]
	}
	out := ""
	for i, k := range keys {
		switch {
		case i == 0:
			out = k
		case i == len(keys)-1:
			out += " and " + k
		default:
			out += ", " + k
		}
	}
	return out
}

// asInputs turns the value of an inputs key into a mapping; absent or null
// means no inputs.
func asInputs(v any, where string, probs *[]string) (map[string]any, bool) {
	if v == nil {
		return map[string]any{}, true
	}
	m, ok := v.(map[string]any)
	if !ok {
		*probs = append(*probs, where+": must be a mapping of input names to values")
		return nil, false
	}
	return m, true
}

// check resolves current values and validates inputs against the type,
// returning the inputs with defaults filled in.
func (t *inputType) check(inputs, previous map[string]any, where string, probs *[]string) map[string]any {
	inputs = deepCopy(inputs).(map[string]any)
	var missing []string
	for _, k := range sortedKeys(inputs) {
		if inputs[k] != CurrentValue {
			continue
		}
		prev, has := previous[k]
		if !has {
			*probs = append(*probs, fmt.Sprintf("%s.%s: %s keeps a current value, but there is none", where, k, CurrentValue))
			missing = append(missing, k)
			delete(inputs, k)
			continue
		}
		inputs[k] = deepCopy(prev)
	}
	for _, p := range validateValue(t.schema, t.patterns, inputs, where) {
		// An input whose current value is missing is reported once, above.
		if !aboutAny(p, where, missing) && !t.undeclaredAccepted(p, where, inputs) {
			*probs = append(*probs, p)
		}
	}
	return inputs
}

// undeclaredAccepted reports whether problem p is an input of a service
// spec (an instance's or the pipeline's) that the input type does not
// declare, at the top level of the inputs under where: Proton accepted
// those (AWS's lambda-multi-svc sample spec gives its pipeline
// packaging_commands, which its schema does not declare), so they are
// kept, unchecked. An environment spec's stay refused.
func (t *inputType) undeclaredAccepted(p, where string, inputs map[string]any) bool {
	if t.role == roleEnvironment {
		return false
	}
	key, ok := strings.CutSuffix(strings.TrimPrefix(p, where+"."), ": is not defined in the schema")
	if !ok || strings.ContainsAny(key, ".[") {
		return false
	}
	_, given := inputs[key]
	return given
}

// aboutAny reports whether problem p is about one of the inputs keys under
// where.
func aboutAny(p, where string, keys []string) bool {
	for _, k := range keys {
		prefix := where + "." + k
		if rest, ok := strings.CutPrefix(p, prefix); ok && (strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "[")) {
			return true
		}
	}
	return false
}
