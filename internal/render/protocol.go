package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The protocol between the server and a rendering process: the server
// writes one JSON job (wireJob) on the process's stdin; the process writes
// one JSON event (wireEvent) per line on its stdout: "start" before it
// renders a file, then "output" with the rendered file or "error" with
// the message that says why it failed, after which it exits. A process
// that dies says nothing more: the last "start" names the file it died
// in, and its stderr and exit status say why.

type wireJob struct {
	Files []wireFile      `json:"files"`
	Data  json.RawMessage `json:"data"`
	// Marks say where Data holds Outputs and NoComponent, which JSON
	// cannot tell from other mappings; a mark beside the data, rather than
	// a key inside it, cannot be forged by an input.
	Marks  []wireMark `json:"marks,omitempty"`
	Limits wireLimits `json:"limits"`
}

// wireMark marks the value at Path (the keys of mappings and the indexes
// of lists that lead to it from Data) as Kind.
type wireMark struct {
	Path []string `json:"path"`
	Kind string   `json:"kind"`
}

// Kinds of marks.
const (
	markOutputs     = "outputs"
	markNoComponent = "no-component"
)

// wireFile carries its source as bytes (base64 in JSON), so that text
// that is not UTF-8 reaches the engine unchanged.
type wireFile struct {
	Name   string `json:"name"`
	Source []byte `json:"source"`
}

type wireLimits struct {
	Memory int64 `json:"memory"`
	Stack  int64 `json:"stack"`
	TimeMS int64 `json:"timeMs"`
}

// Events of a rendering process.
const (
	eventStart  = "start"
	eventOutput = "output"
	eventError  = "error"
)

type wireEvent struct {
	Event   string `json:"event"`
	File    int    `json:"file"`
	Output  []byte `json:"output,omitempty"`
	Message string `json:"message,omitempty"`
}

// encodeJob writes the job that a rendering process reads.
func encodeJob(job Job, l Limits) ([]byte, error) {
	var marks []wireMark
	data, err := json.Marshal(jsonSafe(job.Data, nil, &marks))
	if err != nil {
		return nil, fmt.Errorf("the variables of the rendering cannot be passed on: %w", err)
	}
	w := wireJob{Data: data, Marks: marks, Limits: wireLimits{Memory: l.Memory, Stack: l.Stack, TimeMS: l.Time.Milliseconds()}}
	for _, f := range job.Files {
		w.Files = append(w.Files, wireFile{Name: f.Name, Source: []byte(f.Source)})
	}
	return json.Marshal(w)
}

// jsonSafe returns a copy of v, at path in the data, whose floating-point
// numbers are json.Numbers that keep a decimal point: decodeData reads
// numbers without one as integers, and a template renders 2.0 and 2
// differently. NaN and infinities, which JSON cannot hold, are left for
// json.Marshal to refuse. Outputs and NoComponent become mappings, each
// with a mark.
func jsonSafe(v any, path []string, marks *[]wireMark) any {
	switch x := v.(type) {
	case Outputs:
		*marks = append(*marks, wireMark{Path: slices.Clone(path), Kind: markOutputs})
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = e
		}
		return out
	case noComponent:
		*marks = append(*marks, wireMark{Path: slices.Clone(path), Kind: markNoComponent})
		return map[string]any{}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return x
		}
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return json.Number(s)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonSafe(e, append(path, k), marks)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonSafe(e, append(path, strconv.Itoa(i)), marks)
		}
		return out
	}
	return v
}

// decodeData reads the variables of a job (see JSONNumbers) and puts
// Outputs and NoComponent where marks say.
func decodeData(raw json.RawMessage, marks []wireMark) (map[string]any, error) {
	m := map[string]any{}
	if len(raw) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return nil, err
		}
	}
	m = JSONNumbers(m).(map[string]any)
	for _, mk := range marks {
		if err := applyMark(m, mk); err != nil {
			return nil, fmt.Errorf("mark %s at %q: %w", mk.Kind, mk.Path, err)
		}
	}
	return m, nil
}

// applyMark replaces the mapping at mk.Path in data with the value of its
// kind.
func applyMark(data map[string]any, mk wireMark) error {
	if len(mk.Path) == 0 {
		return errors.New("a mark needs a path")
	}
	var parent any = data
	for _, step := range mk.Path[:len(mk.Path)-1] {
		next, ok := member(parent, step)
		if !ok {
			return errors.New("the path leads nowhere")
		}
		parent = next
	}
	last := mk.Path[len(mk.Path)-1]
	v, ok := member(parent, last)
	m, isMap := v.(map[string]any)
	if !ok || !isMap {
		return errors.New("the path does not lead to a mapping")
	}
	var marked any
	switch mk.Kind {
	case markOutputs:
		o := make(Outputs, len(m))
		for k, e := range m {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("output %q is not a string", k)
			}
			o[k] = s
		}
		marked = o
	case markNoComponent:
		if len(m) > 0 {
			return errors.New("a component that is not attached holds nothing")
		}
		marked = noComponent{}
	default:
		return errors.New("unknown kind")
	}
	switch p := parent.(type) {
	case map[string]any:
		p[last] = marked
	case []any:
		i, _ := strconv.Atoi(last)
		p[i] = marked
	}
	return nil
}

// member is the member step of v: a key of a mapping or an index of a list.
func member(v any, step string) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		e, ok := x[step]
		return e, ok
	case []any:
		i, err := strconv.Atoi(step)
		if err != nil || i < 0 || i >= len(x) || strconv.Itoa(i) != step {
			return nil, false
		}
		return x[i], true
	}
	return nil, false
}

// JSONNumbers turns the json.Numbers of a value decoded with UseNumber
// into int64, or float64 for those with a fraction or an exponent or
// beyond int64: a template renders an integer input as 2 and a decimal one
// as 2.5, as Proton does. Maps and slices are changed in place.
func JSONNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = JSONNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = JSONNumbers(e)
		}
	}
	return v
}
