package render

import (
	"strings"
	"testing"

	"github.com/openproton/openproton/internal/fault"
)

// TestErrorsInWords checks the message of each kind of mistake a template
// author makes: the file, the line and what is wrong, in words, never the
// engine's syntax tree or the whole template.
func TestErrorsInWords(t *testing.T) {
	const f = "infrastructure/cloudformation.yaml"
	for _, c := range []struct{ src, want string }{
		// Unknown names.
		{"Resources:\n  X: {}\n{{ environment.name | nosuchfilter }}\n", "failed at line 3: there is no filter named nosuchfilter"},
		{"{% if environment.name is nosuchtest %}{% endif %}", "failed at line 1: there is no test named nosuchtest"},
		{"\n{{ nosuchfunction() }}", "failed at line 2: nosuchfunction is not a function or macro"},
		{"{{ 'abc'.nosuchmethod() }}", "failed at line 1: this value has no method nosuchmethod"},
		// Undefined variables, read from.
		{"a: {{ nosuch.attr }}", "failed at line 1: nosuch is undefined, so nosuch.attr cannot be read"},
		{"a: {{ environment.inputs.missing.deeper }}", "failed at line 1: environment.inputs.missing is undefined, so environment.inputs.missing.deeper cannot be read"},
		{"a: {{ environment.nosuch['k'] }}", "failed at line 1: environment.nosuch is undefined, so environment.nosuch['k'] cannot be read"},
		// Wrong calls.
		{"{{ environment.name | replace() }}", "failed at line 1: the filter replace failed: missing required 1st positional argument 'old'"},
		{"{{ environment | length(3) }}", "failed at line 1: the filter length failed: received 1 unexpected positional argument"},
		{"{% macro f(n) %}{% endmacro %}{{ f(1, 2) }}", "failed at line 1: macro 'f' received 2 arguments but expected only 1"},
		{"{{ range('a') }}", "failed at line 1: range() takes integers: range([start, ]stop[, step])"},
		{"{{ range(1, 2, 0) }}", "failed at line 1: range() cannot take a step of 0"},
		{"{{ environment.inputs.x | proton_cfn_iam_policy_arns }}", "failed at line 1: proton_cfn_iam_policy_arns formats outputs (a mapping of names to values); it was given nothing (an undefined value)"},
		{"{{ environment.inputs | proton_cfn_iam_policy_arns(raw=False) }}", "failed at line 1: the filter proton_cfn_iam_policy_arns failed: received 1 unexpected keyword argument: 'raw'"},
		// Errors inside loops and macros name the inner line.
		{"{% for s in [1] %}\nok\n{{ s | nosuch }}\n{% endfor %}", "failed at line 3: there is no filter named nosuch"},
		{"{% macro m() %}\n\n{{ nosuch.x }}{% endmacro %}{{ m() }}", "failed at line 3: nosuch is undefined, so nosuch.x cannot be read"},
		// Other files.
		{"a\n{% include 'other.yaml' %}", `failed at line 2: "other.yaml" cannot be read: a bundle template cannot include, import or extend other files`},
		{"{% extends 'base.yaml' %}", `failed at line 1: "base.yaml" cannot be read: a bundle template cannot include, import or extend other files`},
		// Syntax.
		{"{% if %}{% endif %}", "failed at line 1: syntax error in {% if %}: expected either a number, string, keyword or identifier"},
		{"a\n\n{% for x y %}{% endfor %}", "failed at line 3: syntax error in {% for %}: expected keyword 'in'"},
		{"a\n{% for x in [1] %}\nb\n", "failed at line 3: syntax error: {% for %} is not closed: the template ends before its {% endfor %}"},
		{"{% endif %}", "failed at line 1: syntax error: {% endif %} has no opening tag that it belongs to"},
		{"{% nosuchtag %}", "failed at line 1: syntax error: there is no tag {% nosuchtag %}"},
		{"a\n{{ 'abc }}", `failed at line 2: syntax error: a string is not closed (it starts with "abc }}")`},
		{"{{ environment.name", "failed at line 1: syntax error: '}}' expected here"},
		{"a\n{{ x }", `failed at line 2: syntax error: unexpected delimiter "}"`},
		{"{# a comment", "failed at line 1: syntax error: unclosed comment"},
	} {
		_, err := jinja(f, c.src, env(nil))
		want := "rendering " + f + " " + c.want
		if err == nil || err.Error() != want {
			t.Errorf("%q:\n got  %v\n want %s", c.src, err, want)
		}
	}
}

// TestErrorsAreShort: a message quotes at most fault.MaxEcho bytes of the
// template or its values.
func TestErrorsAreShort(t *testing.T) {
	long := strings.Repeat("x", 10_000)
	_, err := jinja("x.yaml", "{{ '"+long+"' | nosuch }}{{ "+long+".a }}", env(nil))
	if err == nil || len(err.Error()) > fault.MaxEcho+100 {
		t.Fatalf("err = %.200v (%d bytes), want at most %d", err, len(err.Error()), fault.MaxEcho+100)
	}
	_, err = jinja("x.yaml", "{{ "+long+".a }}", env(nil))
	if err == nil || len(err.Error()) > fault.MaxEcho+100 || !strings.HasSuffix(err.Error(), "...") {
		t.Fatalf("err = %.200v (%d bytes), want at most %d, cut", err, len(err.Error()), fault.MaxEcho+100)
	}
}
