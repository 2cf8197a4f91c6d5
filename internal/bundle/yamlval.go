package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxYAMLNodes bounds the values one YAML document may expand to, aliases
// included, so that a document of nested aliases (a "billion laughs") cannot
// exhaust memory.
const maxYAMLNodes = 100_000

// yamlError is a YAML fault at a line (0 when unknown).
type yamlError struct {
	line int
	msg  string
}

func (e *yamlError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("line %d: %s", e.line, e.msg)
	}
	return e.msg
}

// splitYAMLError returns the line and text of a YAML fault, line when the
// fault has none.
func splitYAMLError(err error, line int) (int, string) {
	var ye *yamlError
	if errors.As(err, &ye) {
		if ye.line > 0 {
			line = ye.line
		}
		return line, ye.msg
	}
	return line, err.Error()
}

// cleanYAMLError makes a parser error readable on its own: yaml.v3 prefixes
// "yaml: " and reports lines as "line N: ...", which is kept.
func cleanYAMLError(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// parseYAMLDocs parses every document of text, returning the first; it fails
// when a document is not valid YAML or when more than one is found and
// single is set. The parser has panicked on hostile input in the past, so a
// panic is turned into an error rather than trusted not to happen.
//
// Text holding U+0000, raw or written as a YAML escape ("\0"), is refused
// with its line: PostgreSQL cannot store it in text, and the values of a
// schema, manifest, template or spec end up stored (defaults and spec values
// as inputs and outputs), so no store ever meets it.
func parseYAMLDocs(text []byte, single bool) (doc *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, &yamlError{msg: "not valid YAML"}
		}
	}()
	if i := bytes.IndexByte(text, 0); i >= 0 {
		return nil, &yamlError{line: 1 + bytes.Count(text[:i], []byte("\n")), msg: nulMessage}
	}
	dec := yaml.NewDecoder(bytes.NewReader(text))
	for i := 0; ; i++ {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, &yamlError{msg: "not valid YAML: " + cleanYAMLError(err)}
		}
		if line, ok := nulScalar(&n); ok {
			return nil, &yamlError{line: line, msg: nulMessage}
		}
		if i == 0 {
			doc = &n
		} else if single {
			return nil, &yamlError{line: n.Line, msg: "holds more than one YAML document"}
		}
	}
	if doc == nil {
		doc = &yaml.Node{Kind: yaml.DocumentNode}
	}
	return doc, nil
}

// nulMessage words the refusal of U+0000 in a YAML text.
const nulMessage = "holds the character U+0000 (NUL), which no text of a template or spec may hold"

// nulScalar finds a scalar (key or value) of the document holding U+0000,
// which only an escape can have put there, and returns its line. Aliases are
// not followed: their anchors are walked where they stand.
func nulScalar(doc *yaml.Node) (int, bool) {
	stack := []*yaml.Node{doc}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Kind == yaml.ScalarNode && strings.IndexByte(n.Value, 0) >= 0 {
			return n.Line, true
		}
		stack = append(stack, n.Content...)
	}
	return 0, false
}

// root returns the top node of a document, nil for an empty one.
func root(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		return doc.Content[0]
	}
	return doc
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// mapEntry is one key/value pair of a YAML mapping.
type mapEntry struct {
	key   string
	keyN  *yaml.Node
	value *yaml.Node
}

// entries lists the pairs of a mapping node, refusing merge keys, non-scalar
// keys and duplicates (which YAML forbids but yaml.v3 nodes keep).
func entries(n *yaml.Node) ([]mapEntry, error) {
	var out []mapEntry
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			return nil, &yamlError{line: n.Content[i].Line, msg: "a mapping key must be a plain value"}
		}
		if k.ShortTag() == "!!merge" {
			return nil, &yamlError{line: k.Line, msg: "merge keys (<<) are not supported"}
		}
		if seen[k.Value] {
			return nil, &yamlError{line: k.Line, msg: fmt.Sprintf("key %q appears twice", k.Value)}
		}
		seen[k.Value] = true
		out = append(out, mapEntry{key: k.Value, keyN: k, value: n.Content[i+1]})
	}
	return out, nil
}

// converter turns YAML nodes into JSON-like values (nil, bool, int64,
// float64, string, []any, map[string]any) within a node budget.
type converter struct{ left int }

func newConverter() *converter { return &converter{left: maxYAMLNodes} }

func (c *converter) value(n *yaml.Node) (any, error) {
	return c.walk(n, 0)
}

func (c *converter) walk(n *yaml.Node, depth int) (any, error) {
	if n == nil {
		return nil, nil
	}
	c.left--
	if c.left < 0 {
		return nil, &yamlError{line: n.Line, msg: "document is too large once its aliases are expanded"}
	}
	if depth > 100 {
		return nil, &yamlError{line: n.Line, msg: "values are nested too deeply"}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.walk(n.Content[0], depth)
	case yaml.AliasNode:
		return c.walk(n.Alias, depth+1)
	case yaml.ScalarNode:
		return scalar(n)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.walk(e, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		es, err := entries(n)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(es))
		for _, e := range es {
			v, err := c.walk(e.value, depth+1)
			if err != nil {
				return nil, err
			}
			out[e.key] = v
		}
		return out, nil
	}
	return nil, &yamlError{line: n.Line, msg: "unsupported YAML node"}
}

// scalar converts a scalar by its resolved tag. Timestamps and binary
// values stay the text written, since specs and schemas are JSON data.
func scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, &yamlError{line: n.Line, msg: "not a boolean: " + cleanYAMLError(err)}
		}
		return b, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i, nil
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, &yamlError{line: n.Line, msg: "integer out of range"}
		}
		return f, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, &yamlError{line: n.Line, msg: "not a number: " + cleanYAMLError(err)}
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, &yamlError{line: n.Line, msg: "numbers must be finite"}
		}
		return f, nil
	case "!!str", "!!timestamp", "!!binary":
		return n.Value, nil
	}
	return nil, &yamlError{line: n.Line, msg: fmt.Sprintf("unsupported YAML tag %s", n.Tag)}
}
