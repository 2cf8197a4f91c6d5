package render

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/parser"
)

// Limits that the engine itself enforces in one rendering of one file;
// the limits of the rendering process are in Limits.
const (
	MaxRangeItems  = 100_000
	MaxOutputBytes = 4 << 20
)

// errOutputTooLarge is the end of a rendering whose output would pass
// MaxOutputBytes.
var errOutputTooLarge = fmt.Errorf("the rendered file would be larger than the limit of %s (%s bytes)", sizeText(MaxOutputBytes), humanize.Comma(MaxOutputBytes))

// jinja renders source, a template file named name, with data as the
// top-level variables (for an environment: {"environment": {"name": ...,
// "inputs": {...}}}), in this process. It is the engine of the rendering
// process (child.go); nothing else calls it, because no Go code can stop
// a template that recurses without end or fills the memory.
func jinja(name, source string, data map[string]any) (out string, err error) {
	// gonja reports some evaluation errors by panicking.
	defer func() {
		if r := recover(); r != nil {
			out, err = "", failed(name, 0, fmt.Sprint(r))
		}
	}()
	loader := &oneFile{name: "/" + strings.TrimPrefix(name, "/"), source: source}
	b := output{blocks: blocks{}}
	env := environment(b.blocks)
	tpl, err := exec.NewTemplate(loader.name, config.New(), loader, env)
	if err != nil {
		return "", explainParse(name, loader, env, err)
	}
	err = tpl.Execute(&b, exec.NewContext(data))
	// gonja does not always stop at a failed write; the builder remembers it.
	if b.overflow {
		return "", failed(name, 0, errOutputTooLarge.Error())
	}
	if err != nil {
		return "", explainRun(name, err)
	}
	return b.String(), nil
}

// environment returns a fresh gonja environment for one rendering: its
// range() budget is its own, and Proton's filters write their YAML blocks
// to b.
func environment(b blocks) *exec.Environment {
	budget := MaxRangeItems
	ctx := exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables)
	ctx.Set("range", func(_ *exec.Evaluator, params *exec.VarArgs) ([]int, error) {
		start, stop, step := 0, 0, 1
		for _, a := range params.Args {
			if !a.IsInteger() {
				return nil, errors.New("range() takes integers: range([start, ]stop[, step])")
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
			return nil, errors.New("range() takes one to three integers: range([start, ]stop[, step])")
		}
		if step == 0 {
			return nil, errors.New("range() cannot take a step of 0")
		}
		var out []int
		for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
			if budget == 0 {
				return nil, fmt.Errorf("range() may produce at most %s items in one rendering", humanize.Comma(MaxRangeItems))
			}
			budget--
			out = append(out, i)
		}
		return out, nil
	})
	filters := exec.NewFilterSet(map[string]exec.FilterFunction{}).Update(builtins.Filters).Update(exec.NewFilterSet(protonFilters(b)))
	return &exec.Environment{
		Context:           ctx,
		Filters:           filters,
		Tests:             exec.NewTestSet(map[string]exec.TestFunction{}).Update(builtins.Tests),
		ControlStructures: exec.NewControlStructureSet(map[string]parser.ControlStructureParser{}).Update(builtins.ControlStructures),
		Methods:           builtins.Methods,
	}
}

// oneFile is a loader that knows the template being rendered and nothing
// else.
type oneFile struct{ name, source string }

func (l *oneFile) Read(path string) (io.Reader, error) {
	if path != l.name {
		return nil, notAvailable(path)
	}
	return strings.NewReader(l.source), nil
}

func (l *oneFile) Resolve(path string) (string, error) {
	if path != l.name {
		return "", notAvailable(path)
	}
	return path, nil
}

func (l *oneFile) Inherit(string) (loaders.Loader, error) { return l, nil }

func notAvailable(path string) error {
	return fmt.Errorf("%q cannot be read: a bundle template cannot include, import or extend other files", strings.TrimPrefix(path, "/"))
}

// output collects a rendering's output up to MaxOutputBytes. A YAML block
// that one of Proton's filters wrote, written as an expression's whole
// value, is indented as the line it starts on (filters.go).
type output struct {
	strings.Builder
	blocks   blocks
	overflow bool
}

func (b *output) Write(p []byte) (int, error) {
	if b.blocks[string(p)] {
		return b.WriteString(string(p))
	}
	if err := b.room(len(p)); err != nil {
		return 0, err
	}
	return b.Builder.Write(p)
}

// WriteString keeps io.WriteString from reaching the embedded builder's
// own WriteString, which would bypass the limit.
func (b *output) WriteString(s string) (int, error) {
	n := len(s)
	if b.blocks[s] {
		s = indentBlock(s, b.indent())
	}
	if err := b.room(len(s)); err != nil {
		return 0, err
	}
	_, _ = b.Builder.WriteString(s)
	return n, nil
}

// room fails once the output would pass MaxOutputBytes with n bytes more.
func (b *output) room(n int) error {
	if b.overflow || b.Len()+n > MaxOutputBytes {
		b.overflow = true
		return errOutputTooLarge
	}
	return nil
}

// indent is the white space that the current line of the output starts
// with.
func (b *output) indent() string {
	s := b.String()
	line := s[strings.LastIndexByte(s, '\n')+1:]
	return line[:len(line)-len(strings.TrimLeft(line, " \t"))]
}

// sizeText writes a size in bytes the way the limits are documented: in
// MiB or KiB when it is a whole number of them.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
