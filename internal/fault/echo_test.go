package fault

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEcho(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{strings.Repeat("a", MaxEcho), strings.Repeat("a", MaxEcho)},
		{strings.Repeat("a", MaxEcho+1), strings.Repeat("a", MaxEcho) + "..."},
		{strings.Repeat("a", 255) + "€", strings.Repeat("a", 255) + "..."},
		{strings.Repeat("a", 254) + "é" + "b", strings.Repeat("a", 254) + "é..."},
	} {
		got := Echo(c.in)
		if got != c.want || !utf8.ValidString(got) {
			t.Errorf("Echo(%d bytes) = %q, want %q", len(c.in), got, c.want)
		}
	}
}
