package render

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
	"gopkg.in/yaml.v3"
)

// Proton's own filters, as AWS documents them
// (docs.aws.amazon.com/proton/latest/userguide/parameter-filters.html);
// `default` is Jinja's. The three that format outputs write YAML (a list
// of Name/Value mappings, a mapping, a list) that continues the YAML around
// the expression: every line after the first is indented as the line the
// expression starts on, so that
//
//	ManagedPolicyArns:
//	  - !Ref BaseTaskRoleManagedPolicy
//	  {{ service_instance.components.default.outputs | proton_cfn_iam_policy_arns }}
//
// adds items to the list. Given no outputs they write nothing, which keeps
// that list as it is (AWS's load-balanced-fargate-svc sample uses the filter
// so, with no component attached). Values are quoted where YAML needs it.

// safeValue is what proton_cfn_sanitize, and the two environment variable
// filters with raw=False, accept.
var safeValue = regexp.MustCompile(`^[a-zA-Z0-9_-]*$`)

// arnValue is an ARN, which proton_cfn_sanitize also accepts.
var arnValue = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:[a-zA-Z0-9-]+:[a-zA-Z0-9-]*:(\d{12}|aws)?:\S+$`)

// policyARN is what proton_cfn_iam_policy_arns keeps of outputs, AWS's
// expression.
var policyARN = regexp.MustCompile(`^arn:[a-zA-Z-]+:iam::\d{12}:policy/`)

// blocks are the YAML blocks that the filters of one rendering wrote, which
// the rendering's output indents when it writes them (output.Write).
type blocks map[string]bool

// protonFilters returns Proton's filters for one rendering, whose blocks
// go to b.
func protonFilters(b blocks) map[string]exec.FilterFunction {
	return map[string]exec.FilterFunction{
		"proton_cfn_sanitize": sanitize,
		"proton_cfn_ecs_task_definition_formatted_env_vars": formatOutputs(b, "proton_cfn_ecs_task_definition_formatted_env_vars", true, func(names, values []string) any {
			type variable struct {
				Name  string `yaml:"Name"`
				Value string `yaml:"Value"`
			}
			list := make([]variable, len(names))
			for i := range names {
				list[i] = variable{names[i], values[i]}
			}
			return list
		}),
		"proton_cfn_lambda_function_formatted_env_vars": formatOutputs(b, "proton_cfn_lambda_function_formatted_env_vars", true, func(names, values []string) any {
			m := make(map[string]string, len(names))
			for i := range names {
				m[names[i]] = values[i]
			}
			return m
		}),
		"proton_cfn_iam_policy_arns": formatOutputs(b, "proton_cfn_iam_policy_arns", false, func(_, values []string) any {
			var arns []string
			for _, v := range values {
				if policyARN.MatchString(v) {
					arns = append(arns, v)
				}
			}
			return arns
		}),
	}
}

// sanitize is proton_cfn_sanitize: it passes on a value that a
// CloudFormation template can hold safely (letters, digits, _ and -, or an
// ARN), and fails the rendering with AWS's message otherwise.
func sanitize(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	if err := params.Take(); err != nil {
		return exec.AsValue(exec.ErrInvalidCall(err))
	}
	if s := in.String(); !safeValue.MatchString(s) && !arnValue.MatchString(s) {
		return exec.AsValue(fmt.Errorf("Illegal character(s) detected in %q. Must match regex %s or be a valid ARN", s, safeValue))
	}
	return in
}

// formatOutputs returns a filter named name that writes outputs as the
// YAML that shape makes of their names and values, ordered by name. With
// validates, it takes raw (default True): raw=False fails the rendering
// when a value is not letters, digits, _ and -.
func formatOutputs(b blocks, name string, validates bool, shape func(names, values []string) any) exec.FilterFunction {
	return func(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		if in.IsError() {
			return in
		}
		raw := true
		var err error
		if validates {
			err = params.Take(exec.KeywordArgument("raw", exec.AsValue(true), exec.BoolArgument(&raw)))
		} else {
			err = params.Take()
		}
		if err != nil {
			return exec.AsValue(exec.ErrInvalidCall(err))
		}
		if !in.IsDict() {
			return exec.AsValue(fmt.Errorf("%s formats outputs (a mapping of names to values); it was given %s", name, kindOf(in)))
		}
		var names, values []string
		for _, k := range in.Keys() {
			v, _ := in.GetItem(k.String())
			names, values = append(names, k.String()), append(values, v.String())
		}
		sort.Sort(byName{names, values})
		if len(names) == 0 {
			return exec.AsValue("")
		}
		for i, v := range values {
			if !raw && !safeValue.MatchString(v) {
				return exec.AsValue(fmt.Errorf("Illegal character(s) detected in %q (output %s). Must match regex %s", v, names[i], safeValue))
			}
		}
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(shape(names, values)); err != nil {
			return exec.AsValue(fmt.Errorf("%s: %w", name, err))
		}
		text := strings.TrimSuffix(buf.String(), "\n")
		if text == "[]" || text == "{}" {
			return exec.AsValue("")
		}
		b[text] = true
		return exec.AsValue(text)
	}
}

// byName sorts names and their values together.
type byName struct{ names, values []string }

func (s byName) Len() int           { return len(s.names) }
func (s byName) Less(i, j int) bool { return s.names[i] < s.names[j] }
func (s byName) Swap(i, j int) {
	s.names[i], s.names[j] = s.names[j], s.names[i]
	s.values[i], s.values[j] = s.values[j], s.values[i]
}

// kindOf names the kind of a value for messages.
func kindOf(v *exec.Value) string {
	switch {
	case v.IsNil():
		return "nothing (an undefined value)"
	case v.IsString():
		return "a string"
	case v.IsList():
		return "a list"
	case v.IsBool():
		return "a boolean"
	case v.IsNumber():
		return "a number"
	}
	return "a value that is not a mapping"
}

// indentBlock indents every line of block after the first with indent.
func indentBlock(block, indent string) string {
	if indent == "" {
		return block
	}
	return strings.ReplaceAll(block, "\n", "\n"+indent)
}
