package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
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
	Files  []wireFile      `json:"files"`
	Data   json.RawMessage `json:"data"`
	Limits wireLimits      `json:"limits"`
}

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
	data, err := json.Marshal(jsonSafe(job.Data))
	if err != nil {
		return nil, fmt.Errorf("the variables of the rendering cannot be passed on: %w", err)
	}
	w := wireJob{Data: data, Limits: wireLimits{Memory: l.Memory, Stack: l.Stack, TimeMS: l.Time.Milliseconds()}}
	for _, f := range job.Files {
		w.Files = append(w.Files, wireFile{Name: f.Name, Source: []byte(f.Source)})
	}
	return json.Marshal(w)
}

// jsonSafe returns a copy of v whose floating-point numbers are
// json.Numbers that keep a decimal point: decodeData reads numbers without
// one as integers, and a template renders 2.0 and 2 differently. NaN and
// infinities, which JSON cannot hold, are left for json.Marshal to refuse.
func jsonSafe(v any) any {
	switch x := v.(type) {
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
			out[k] = jsonSafe(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonSafe(e)
		}
		return out
	}
	return v
}

// decodeData reads the variables of a job (see JSONNumbers).
func decodeData(raw json.RawMessage) (map[string]any, error) {
	m := map[string]any{}
	if len(raw) == 0 {
		return m, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return JSONNumbers(m).(map[string]any), nil
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
