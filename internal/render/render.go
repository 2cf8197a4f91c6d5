package render

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/parser"
)

// Limits of one rendering.
const (
	MaxRangeItems  = 100_000
	MaxOutputBytes = 4 << 20
)

// Jinja renders source, a template file named name, with data as the
// top-level variables (for an environment: {"environment": {"name": ...,
// "inputs": {...}}}).
func Jinja(name, source string, data map[string]any) (out string, err error) {
	// gonja reports some evaluation errors by panicking; a template must
	// never take the server down.
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("render %s: %v", name, r)
		}
	}()
	loader := &oneFile{name: "/" + strings.TrimPrefix(name, "/"), source: source}
	tpl, err := exec.NewTemplate(loader.name, config.New(), loader, environment())
	if err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	var b limitedBuilder
	if err := tpl.Execute(&b, exec.NewContext(data)); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	// gonja does not stop at a failed write; the builder remembers it.
	if b.overflow {
		return "", fmt.Errorf("render %s: the rendered file would exceed %d bytes", name, MaxOutputBytes)
	}
	return b.String(), nil
}

// environment returns a fresh gonja environment for one rendering: its
// range() budget is its own.
func environment() *exec.Environment {
	budget := MaxRangeItems
	ctx := exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables)
	ctx.Set("range", func(_ *exec.Evaluator, params *exec.VarArgs) ([]int, error) {
		start, stop, step := 0, 0, 1
		for _, a := range params.Args {
			if !a.IsInteger() {
				return nil, errors.New("range: expected signature is [start, ]stop[, step] where all arguments are integers")
			}
		}
		switch len(params.Args) {
		case 1:
			stop = params.Args[0].Integer()
		case 2:
			start, stop = params.Args[0].Integer(), params.Args[1].Integer()
		case 3:
			start, stop, step = params.Args[0].Integer(), params.Args[1].Integer(), params.Args[2].Integer()
		default:
			return nil, errors.New("range: expected signature is [start, ]stop[, step]")
		}
		if step == 0 {
			return nil, errors.New("range: step cannot be 0")
		}
		var out []int
		for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
			if budget == 0 {
				return nil, fmt.Errorf("range: a rendering may produce at most %d items", MaxRangeItems)
			}
			budget--
			out = append(out, i)
		}
		return out, nil
	})
	filters := exec.NewFilterSet(map[string]exec.FilterFunction{}).Update(builtins.Filters)
	_ = filters.Register("proton_cfn_sanitize", sanitize)
	for _, name := range []string{"proton_cfn_ecs_task_definition_formatted_env_vars",
		"proton_cfn_lambda_function_formatted_env_vars", "proton_cfn_iam_policy_arns"} {
		_ = filters.Register(name, unsupported(name))
	}
	return &exec.Environment{
		Context:           ctx,
		Filters:           filters,
		Tests:             exec.NewTestSet(map[string]exec.TestFunction{}).Update(builtins.Tests),
		ControlStructures: exec.NewControlStructureSet(map[string]parser.ControlStructureParser{}).Update(builtins.ControlStructures),
		Methods:           builtins.Methods,
	}
}

var notAlnum = regexp.MustCompile(`[^A-Za-z0-9]`)

// sanitize is Proton's proton_cfn_sanitize: it keeps the characters that a
// CloudFormation logical id may hold.
func sanitize(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	if err := params.Take(); err != nil {
		return exec.AsValue(exec.ErrInvalidCall(err))
	}
	return exec.AsValue(notAlnum.ReplaceAllString(in.String(), ""))
}

func unsupported(name string) exec.FilterFunction {
	return func(*exec.Evaluator, *exec.Value, *exec.VarArgs) *exec.Value {
		return exec.AsValue(fmt.Errorf("the filter %s is not supported by openproton", name))
	}
}

// oneFile is a loader that knows the template being rendered and nothing
// else.
type oneFile struct{ name, source string }

func (l *oneFile) Read(path string) (io.Reader, error) {
	if path != l.name {
		return nil, fmt.Errorf("template %q is not available: a bundle template cannot include other files", path)
	}
	return strings.NewReader(l.source), nil
}

func (l *oneFile) Resolve(path string) (string, error) {
	if path != l.name {
		return "", fmt.Errorf("template %q is not available: a bundle template cannot include other files", path)
	}
	return path, nil
}

func (l *oneFile) Inherit(string) (loaders.Loader, error) { return l, nil }

// limitedBuilder collects output up to MaxOutputBytes.
type limitedBuilder struct {
	strings.Builder
	overflow bool
}

func (b *limitedBuilder) Write(p []byte) (int, error) {
	if b.overflow || b.Len()+len(p) > MaxOutputBytes {
		b.overflow = true
		return 0, fmt.Errorf("the rendered file would exceed %d bytes", MaxOutputBytes)
	}
	return b.Builder.Write(p)
}

// WriteString keeps io.WriteString from reaching the embedded builder's
// own WriteString, which would bypass the limit.
func (b *limitedBuilder) WriteString(s string) (int, error) { return b.Write([]byte(s)) }
