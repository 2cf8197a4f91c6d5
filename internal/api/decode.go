package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
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
// Besides malformed JSON and members of the wrong type, it refuses bodies
// that are not UTF-8, repeat a member name in one object, or nest deeper
// than MaxNesting (see checkStrict).
func Decode(body []byte, in Input) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	valid := json.Valid(body)
	if !valid || !strictOK(body) {
		if err := checkStrict(body); err != nil {
			return err
		}
	}
	// A valid body goes straight to the generated decoder; json.Unmarshal
	// would check it the same way first. An invalid one goes through
	// json.Unmarshal for its error, which names the offset.
	if u, ok := in.(json.Unmarshaler); ok && valid {
		return asDecodeError(u.UnmarshalJSON(body), "")
	}
	if err := json.Unmarshal(body, in); err != nil {
		return asDecodeError(err, "")
	}
	return nil
}

// decodeObject walks the members of a JSON object in document order and hands
// each one to member. Anything but an object (or null) is a DecodeError.
//
// Requests are small objects of strings, so the members of a valid object
// are found by scanObject, without the allocations of json.Decoder's token
// stream (about twenty for a one-member body, seventy for a create); json.
// Decoder remains for everything else, and for the errors it words.
func decodeObject(data []byte, member func(name string, raw json.RawMessage) error) error {
	if handled, err := scanObject(data, member); handled {
		return err
	}
	return decodeTokens(data, member)
}

// decodeTokens is decodeObject with json.Decoder's token stream.
func decodeTokens(data []byte, member func(name string, raw json.RawMessage) error) error {
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
// A string without escapes goes straight into a string member; everything
// else through json.Unmarshal.
func decodeMember(raw json.RawMessage, dst any, name string) error {
	if p, ok := dst.(**string); ok {
		if s, ok := plainString(raw); ok {
			*p = &s
			return nil
		}
	}
	return asDecodeError(json.Unmarshal(raw, dst), name)
}

// plainString returns the value of a JSON string literal that needs no
// decoding: no escapes, valid UTF-8 (json.Unmarshal would replace invalid
// bytes with U+FFFD).
func plainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') >= 0 || bytes.IndexByte(inner, '"') >= 0 || !utf8.Valid(inner) {
		return "", false
	}
	return string(inner), true
}

// scanObject hands the members of data to member when data is a valid JSON
// object, and reports whether data was one (otherwise it hands over
// nothing). Names with escapes are decoded by json.Unmarshal; values are
// passed raw.
func scanObject(data []byte, member func(name string, raw json.RawMessage) error) (bool, error) {
	i := skipSpace(data, 0)
	if i == len(data) || data[i] != '{' || !json.Valid(data) {
		return false, nil
	}
	i = skipSpace(data, i+1)
	if data[i] == '}' {
		return true, nil
	}
	for {
		// data is valid JSON, so a member is "name" : value, and the value
		// ends where the scan of its kind says.
		end := stringEnd(data, i)
		name, ok := plainString(data[i:end])
		if !ok {
			if err := json.Unmarshal(data[i:end], &name); err != nil {
				return true, asDecodeError(err, "")
			}
		}
		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // ':'
		end = valueEnd(data, i)
		if err := member(name, data[i:end]); err != nil {
			return true, err
		}
		i = skipSpace(data, end)
		if data[i] == '}' {
			return true, nil
		}
		i = skipSpace(data, i+1) // ','
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string literal starting at i.
func stringEnd(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(data)
}

// valueEnd returns the index after the value starting at i.
func valueEnd(data []byte, i int) int {
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = stringEnd(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(data)
	}
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
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
