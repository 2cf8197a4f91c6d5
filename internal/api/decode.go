package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// DecodeError reports a request body that is not valid JSON for its shape: a
// syntax error or a member of the wrong JSON type. The protocol layer answers
// it with SerializationException.
type DecodeError struct {
	Path   string // dotted member path, empty for the whole document
	Reason string
}

func (e *DecodeError) Error() string {
	if e.Path == "" {
		return e.Reason
	}
	return fmt.Sprintf("member '%s': %s", e.Path, e.Reason)
}

// Decode reads a request body into the input in. An empty body is read as {}.
func Decode(body []byte, in Input) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, in); err != nil {
		return asDecodeError(err, "")
	}
	return nil
}

// decodeObject walks the members of a JSON object in document order and hands
// each one to member. Anything but an object (or null) is a DecodeError.
func decodeObject(data []byte, member func(name string, raw json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return asDecodeError(err, "")
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return &DecodeError{Reason: "expected a JSON object, got " + jsonKind(tok)}
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return asDecodeError(err, "")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return asDecodeError(err, "")
		}
		if err := member(key.(string), raw); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return asDecodeError(err, "")
}

// decodeMember decodes one member's value into dst, naming the member in errors.
func decodeMember(raw json.RawMessage, dst any, name string) error {
	return asDecodeError(json.Unmarshal(raw, dst), name)
}

// decodeList decodes a list member element by element, so that errors name
// the element and a null element is refused instead of read as a zero value.
func decodeList[T any](raw json.RawMessage, dst *[]T, name string) error {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return asDecodeError(err, name)
	}
	if items == nil {
		return nil
	}
	out := make([]T, len(items))
	for i, item := range items {
		path := name + "." + strconv.Itoa(i+1)
		if string(bytes.TrimSpace(item)) == "null" {
			return &DecodeError{Path: path, Reason: "null is not allowed as a list element"}
		}
		if err := json.Unmarshal(item, &out[i]); err != nil {
			return asDecodeError(err, path)
		}
	}
	*dst = out
	return nil
}

// asDecodeError turns any decoding failure into a DecodeError whose path is
// prefixed with name.
func asDecodeError(err error, name string) error {
	if err == nil {
		return nil
	}
	var de *DecodeError
	if errors.As(err, &de) {
		if name == "" {
			return de
		}
		p := name
		if de.Path != "" {
			p += "." + de.Path
		}
		return &DecodeError{Path: p, Reason: de.Reason}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &DecodeError{Path: name, Reason: fmt.Sprintf("expected %s, got %s", goKindToJSON(te.Type.Kind().String()), te.Value)}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &DecodeError{Path: name, Reason: fmt.Sprintf("malformed JSON at offset %d: %s", se.Offset, se.Error())}
	}
	return &DecodeError{Path: name, Reason: err.Error()}
}

func goKindToJSON(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "int32", "int64", "int":
		return "an integer"
	case "float64":
		return "a number"
	case "bool":
		return "a boolean"
	case "slice":
		return "a list"
	case "struct", "map", "ptr":
		return "an object"
	}
	return kind
}

func jsonKind(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		return "a list"
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}
