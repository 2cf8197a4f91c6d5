package provision

import (
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/openproton/openproton/internal/auth"
)

// Stack is what the emulating engine knows of where a template would be
// provisioned: the account and region that CloudFormation's pseudo
// parameters name.
type Stack struct {
	Account, Region string
}

// placeholderPrefix starts every value that stands for one that only
// provisioning could give.
const placeholderPrefix = "emulated:"

// resolver gives an output's value what a CloudFormation stack would:
// what the template and the stack's account and region say, and for what
// only provisioning could know (a resource's id or attribute, another
// stack's export, a condition), a placeholder that names it, the same for
// every deployment: !Ref VPC is "emulated:VPC.Ref", !GetAtt Cluster.Arn
// "emulated:Cluster.Arn", !ImportValue x "emulated:ImportValue.x", and a
// function it does not evaluate (Fn::If, Fn::GetAZs, ...) "emulated:Fn::If".
//
// The template is its author's, and aliases of aliases can make a value
// that doubles at every step, so resolving one output visits at most
// maxResolveSteps nodes and stops at the first part longer than an output
// may be; the output is then left out, as any value longer than
// maxOutputValue is.
type resolver struct {
	stack      Stack
	parameters *yaml.Node // the template's Parameters, nil when it has none
	mappings   *yaml.Node // its Mappings
	resources  *yaml.Node // its Resources
	steps      int        // nodes the current output may still visit
	spent      bool       // the current output went over a bound
}

// Bounds of one output.
const (
	maxOutputValue  = 1024
	maxResolveSteps = 10_000
)

// output resolves the value of one output, and reports whether it is one
// within the bounds.
func (r *resolver) output(n *yaml.Node) (string, bool) {
	r.steps, r.spent = maxResolveSteps, false
	v, ok := r.value(n)
	return v, ok && !r.spent
}

// value resolves n to a string, or reports that it is not one (a list, a
// mapping that is not a function) or that resolving it went over a bound.
func (r *resolver) value(n *yaml.Node) (string, bool) {
	n = deref(n)
	r.steps--
	if n == nil || r.spent || r.steps < 0 {
		r.spent = r.spent || r.steps < 0
		return "", false
	}
	fn, arg := function(n)
	if fn == "" {
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float" && n.Tag != "!!bool") {
			return "", false
		}
		return r.bounded(n.Value)
	}
	if v, ok := r.call(fn, arg); ok {
		return r.bounded(v)
	}
	if r.spent {
		return "", false
	}
	return placeholderPrefix + "Fn::" + fn, true
}

// bounded passes on v unless it is longer than an output may be.
func (r *resolver) bounded(v string) (string, bool) {
	if len(v) > maxOutputValue {
		r.spent = true
		return "", false
	}
	return v, true
}

// call evaluates function fn (Ref, GetAtt, Sub, ...) of argument arg, and
// reports whether it could.
func (r *resolver) call(fn string, arg *yaml.Node) (string, bool) {
	switch fn {
	case "Ref":
		if name, ok := r.value(arg); ok {
			return r.ref(name), true
		}
	case "GetAtt":
		if arg.Kind == yaml.ScalarNode {
			return placeholderPrefix + arg.Value, true
		}
		if parts, ok := r.strings(arg); ok && len(parts) == 2 {
			return placeholderPrefix + parts[0] + "." + parts[1], true
		}
	case "Sub":
		return r.sub(arg)
	case "Join":
		if args := items(arg); len(args) == 2 {
			sep, ok1 := r.value(args[0])
			parts, ok2 := r.strings(args[1])
			if ok1 && ok2 {
				return strings.Join(parts, sep), true
			}
		}
	case "Select":
		if args := items(arg); len(args) == 2 {
			i, err := strconv.Atoi(deref(args[0]).Value)
			if list := items(args[1]); err == nil && i >= 0 && i < len(list) {
				return r.value(list[i])
			}
		}
	case "ImportValue":
		if name, ok := r.value(arg); ok {
			return placeholderPrefix + "ImportValue." + name, true
		}
	case "FindInMap":
		if keys, ok := r.strings(arg); ok && len(keys) == 3 && !isPlaceholder(keys[1]) {
			if v := mapValue(deref(mapValue(deref(mapValue(r.mappings, keys[0])), keys[1])), keys[2]); v != nil {
				return r.value(v)
			}
		}
	}
	return "", false
}

// ref is the value of !Ref name.
func (r *resolver) ref(name string) string {
	switch name {
	case "AWS::Region":
		if r.stack.Region != "" {
			return r.stack.Region
		}
	case "AWS::AccountId":
		if r.stack.Account != "" {
			return r.stack.Account
		}
	case "AWS::Partition":
		return auth.Partition(r.stack.Region)
	case "AWS::URLSuffix":
		if auth.Partition(r.stack.Region) == "aws-cn" {
			return "amazonaws.com.cn"
		}
		return "amazonaws.com"
	}
	if strings.HasPrefix(name, "AWS::") {
		return placeholderPrefix + name
	}
	// A parameter takes its default: Proton passes a stack no parameters.
	if p := deref(mapValue(r.parameters, name)); p != nil && p.Kind == yaml.MappingNode {
		if d, ok := r.value(mapValue(p, "Default")); ok {
			return d
		}
	}
	// !Ref of an IAM managed policy is its ARN, and templates pass it on
	// as one (proton_cfn_iam_policy_arns keeps only values shaped so): an
	// ARN of the stack's account that names the resource.
	if res := deref(mapValue(r.resources, name)); res != nil && r.stack.Account != "" {
		if t := deref(mapValue(res, "Type")); t != nil && t.Value == "AWS::IAM::ManagedPolicy" {
			return "arn:" + auth.Partition(r.stack.Region) + ":iam::" + r.stack.Account + ":policy/emulated/" + name
		}
	}
	return placeholderPrefix + name + ".Ref"
}

// subVar finds the variables of a Fn::Sub string, ${!...} being a literal.
var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub evaluates Fn::Sub: a string, or a string and a mapping of variables.
func (r *resolver) sub(arg *yaml.Node) (string, bool) {
	text, vars := arg, (*yaml.Node)(nil)
	if args := items(arg); len(args) == 2 {
		text, vars = deref(args[0]), deref(args[1])
	}
	if text == nil || text.Kind != yaml.ScalarNode {
		return "", false
	}
	ok, added := true, 0
	out := subVar.ReplaceAllStringFunc(text.Value, func(m string) string {
		if !ok {
			return ""
		}
		name := strings.TrimSpace(m[2 : len(m)-1])
		var v string
		switch {
		case strings.HasPrefix(name, "!"):
			v = "${" + name[1:] + "}"
		case vars != nil && mapValue(vars, name) != nil:
			v, ok = r.value(mapValue(vars, name))
		case strings.Contains(name, ".") && !strings.HasPrefix(name, "AWS::"):
			v = placeholderPrefix + name
		default:
			v = r.ref(name)
		}
		if added += len(v); added > maxOutputValue {
			r.spent, ok = true, false
		}
		return v
	})
	return out, ok
}

// strings resolves every item of a list to a string.
func (r *resolver) strings(n *yaml.Node) ([]string, bool) {
	list := items(n)
	if list == nil {
		return nil, false
	}
	out := make([]string, len(list))
	total := 0
	for i, e := range list {
		v, ok := r.value(e)
		if !ok {
			return nil, false
		}
		if total += len(v); total > maxOutputValue {
			r.spent = true
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// function returns the name and argument of an intrinsic function, in its
// short form (!Ref x, !GetAtt a.b) or its long one ({Ref: x},
// {Fn::GetAtt: [a, b]}), or "" when n is none.
func function(n *yaml.Node) (string, *yaml.Node) {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		// The argument is the node as it would be untagged.
		arg := *n
		arg.Tag = ""
		arg.Tag = arg.ShortTag()
		return strings.TrimPrefix(n.Tag, "!"), &arg
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		key := n.Content[0].Value
		if key == "Ref" {
			return key, deref(n.Content[1])
		}
		if name, ok := strings.CutPrefix(key, "Fn::"); ok {
			return name, deref(n.Content[1])
		}
	}
	return "", nil
}

// items are the entries of a list node, nil for any other.
func items(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// deref follows an alias.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isPlaceholder(s string) bool { return strings.HasPrefix(s, placeholderPrefix) }
