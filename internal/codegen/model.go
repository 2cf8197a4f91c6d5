package codegen

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Model is the part of a botocore service model that the generator reads.
type Model struct {
	Metadata   map[string]any       `json:"metadata"`
	Operations map[string]Operation `json:"operations"`
	Shapes     map[string]Shape     `json:"shapes"`
}

// Operation is one operation of the model.
type Operation struct {
	Name       string   `json:"name"`
	Input      *Ref     `json:"input"`
	Output     *Ref     `json:"output"`
	Errors     []Ref    `json:"errors"`
	Idempotent bool     `json:"idempotent"`
	HTTP       HTTPSpec `json:"http"`
}

// HTTPSpec is the operation's HTTP binding; AWS JSON 1.0 always uses POST /.
type HTTPSpec struct {
	Method     string `json:"method"`
	RequestURI string `json:"requestUri"`
}

// Ref points at a shape, with the member-level traits the model uses.
type Ref struct {
	Shape            string `json:"shape"`
	IdempotencyToken bool   `json:"idempotencyToken"`
}

// Shape is one shape of the model.
type Shape struct {
	Type      string         `json:"type"`
	Members   map[string]Ref `json:"members"`
	Required  []string       `json:"required"`
	Member    *Ref           `json:"member"`
	Min       *int64         `json:"min"`
	Max       *int64         `json:"max"`
	Pattern   string         `json:"pattern"`
	Enum      []string       `json:"enum"`
	Sensitive bool           `json:"sensitive"`
	Exception bool           `json:"exception"`
	Union     bool           `json:"union"`
}

// ParseModel decodes a service model and checks that every reference resolves
// and every shape type is one the generator knows.
func ParseModel(data []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parse model: %w", err)
	}
	known := map[string]bool{"structure": true, "string": true, "list": true, "integer": true, "long": true, "boolean": true, "timestamp": true}
	for name, s := range m.Shapes {
		if !known[s.Type] {
			return nil, fmt.Errorf("shape %s: type %q is not supported by the generator", name, s.Type)
		}
		for mn, r := range s.Members {
			if _, ok := m.Shapes[r.Shape]; !ok {
				return nil, fmt.Errorf("shape %s member %s: unknown shape %s", name, mn, r.Shape)
			}
		}
		if s.Type == "list" && (s.Member == nil || m.Shapes[s.Member.Shape].Type == "") {
			return nil, fmt.Errorf("list shape %s has no resolvable member", name)
		}
	}
	for name, op := range m.Operations {
		if op.Input == nil || op.Output == nil {
			return nil, fmt.Errorf("operation %s lacks an input or output shape", name)
		}
	}
	return &m, nil
}

// sortedKeys returns the keys of a map in lexical order, so that generated
// output never depends on map iteration order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// isRequired reports whether member is listed in the shape's required set.
func (s Shape) isRequired(member string) bool {
	for _, r := range s.Required {
		if r == member {
			return true
		}
	}
	return false
}

// StripDocumentation removes every "documentation" key (and the model's
// top-level documentation) from a botocore model, returning indented JSON
// with sorted keys: the form pinned in the repository.
func StripDocumentation(data []byte) ([]byte, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("parse model: %w", err)
	}
	v = strip(v)
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func strip(v any) any {
	switch t := v.(type) {
	case map[string]any:
		delete(t, "documentation")
		delete(t, "documentationUrl")
		for k, x := range t {
			t[k] = strip(x)
		}
	case []any:
		for i, x := range t {
			t[i] = strip(x)
		}
	}
	return v
}
