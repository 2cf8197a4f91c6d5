package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxNesting bounds how deep objects and lists may nest in a request body.
// The deepest input of the model nests three levels; the bound leaves room
// for unknown members (which are ignored) while refusing hostile bodies
// early.
const MaxNesting = 32

// checkStrict refuses what encoding/json would accept but a request body
// must not contain: bytes that are not UTF-8 (encoding/json would silently
// turn them into U+FFFD and store altered text), a member name twice in one
// object (which value counts would depend on the parser, so two parsers
// could see two different requests), and nesting deeper than MaxNesting.
// Syntax errors are left to the decoder, which reports them with their
// offset.
func checkStrict(body []byte) error {
	if !utf8.Valid(body) {
		return &DecodeError{Reason: "the request body is not valid UTF-8"}
	}
	type frame struct {
		name    string              // the member name or 1-based index in the parent
		members map[string]struct{} // nil for a list
		wantKey bool                // an object whose next token is a member name
		lastKey string              // the member name read last, in an object
		items   int                 // elements of a list so far
	}
	var stack []*frame
	path := func(last string) string {
		var parts []string
		for _, f := range stack[1:] {
			parts = append(parts, f.name)
		}
		if last != "" {
			parts = append(parts, last)
		}
		return strings.Join(parts, ".")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // end of input, or a syntax error the decoder reports
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.members != nil && top.wantKey {
			key, _ := tok.(string) // Token only yields a string or '}' here
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return nil
				}
				continue
			}
			if _, dup := top.members[key]; dup {
				return &DecodeError{Path: path(""), Reason: fmt.Sprintf("member '%s' appears more than once", key)}
			}
			top.members[key] = struct{}{}
			top.wantKey, top.lastKey = false, key
			continue
		}
		// tok is a value, or the end of a list.
		name := ""
		if top != nil {
			if d, ok := tok.(json.Delim); ok && d == ']' {
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return nil
				}
				continue
			}
			if top.members != nil {
				top.wantKey = true
				name = top.lastKey
			} else {
				top.items++
				name = strconv.Itoa(top.items)
			}
		}
		d, ok := tok.(json.Delim)
		if !ok {
			if top == nil {
				return nil // a scalar body; the decoder refuses it
			}
			continue
		}
		if len(stack) == MaxNesting {
			return &DecodeError{Path: path(""), Reason: fmt.Sprintf("objects and lists nest deeper than %d levels", MaxNesting)}
		}
		f := &frame{name: name}
		if d == '{' {
			f.members, f.wantKey = map[string]struct{}{}, true
		}
		stack = append(stack, f)
	}
}
