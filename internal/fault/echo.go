package fault

import "unicode/utf8"

// MaxEcho bounds how much of a client's own value a message quotes, so that
// a huge value does not turn into a huge error body (docs/compatibility.md).
const MaxEcho = 256

// Echo returns a client-supplied value for quoting in a message: whole when
// it fits in MaxEcho bytes, else its first MaxEcho bytes, cut back to a
// character boundary so that the message stays valid UTF-8, and "...".
func Echo(s string) string {
	if len(s) <= MaxEcho {
		return s
	}
	n := MaxEcho
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
