package api

import (
	"bytes"
	"unicode/utf8"
)

// strictKeys bounds the member names strictOK compares within one object;
// an object with more goes to checkStrict, which keeps a map of them.
const strictKeys = 32

// span is a member name's bytes in the body, quotes excluded.
type span struct{ start, end int }

// strictOK reports that body, which must be valid JSON, passes checkStrict:
// UTF-8, no member name twice in an object, nesting within MaxNesting. It
// walks the bytes without allocating, where checkStrict reads a token
// stream (about twenty allocations for a one-member body, seventy for a
// create; docs/benchmarks.md). false means "not proven": the caller then
// runs checkStrict, which words the error, so strictOK never decides one.
// Names with escapes are left to checkStrict, which compares them decoded.
func strictOK(body []byte) bool {
	if !utf8.Valid(body) {
		return false
	}
	type frame struct {
		object  bool
		wantKey bool
		keys    int // index in keys where this object's names start
	}
	var (
		stackBuf [MaxNesting]frame
		stack    = stackBuf[:0]
		keyBuf   [2 * strictKeys]span
		keys     = keyBuf[:0]
	)
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '"':
			end := stringEnd(body, i)
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				name := span{i + 1, end - 1}
				if bytes.IndexByte(body[name.start:name.end], '\\') >= 0 {
					return false
				}
				top := &stack[n-1]
				if len(keys)-top.keys >= strictKeys {
					return false
				}
				for _, k := range keys[top.keys:] {
					if bytes.Equal(body[k.start:k.end], body[name.start:name.end]) {
						return false
					}
				}
				keys = append(keys, name)
				top.wantKey = false
			}
			i = end - 1
		case '{', '[':
			if len(stack) == MaxNesting {
				return false
			}
			stack = append(stack, frame{object: c == '{', wantKey: c == '{', keys: len(keys)})
		case '}', ']':
			if len(stack) == 0 {
				return false
			}
			keys = keys[:stack[len(stack)-1].keys]
			stack = stack[:len(stack)-1]
		case ',':
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].wantKey = true
			}
		}
	}
	return len(stack) == 0
}
