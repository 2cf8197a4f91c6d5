package api

import (
	"strings"
	"testing"
)

// TestLongValuesAreEchoedCut shows a client's over-long value in a
// validation message cut to its first 256 bytes (never inside a character)
// followed by "...", as docs/compatibility.md says, whatever its length.
func TestLongValuesAreEchoedCut(t *testing.T) {
	const arn = "arn:aws:proton:us-east-1:111111111111:environment/e"
	cases := []struct {
		name, value, echoed string
	}{
		{"5,000 characters", strings.Repeat("a", 5000), strings.Repeat("a", 256) + "..."},
		{"exactly 256 bytes", strings.Repeat("a", 256), strings.Repeat("a", 256)},
		{"257 bytes", strings.Repeat("a", 257), strings.Repeat("a", 256) + "..."},
		{"two-byte characters", strings.Repeat("é", 3000), strings.Repeat("é", 128) + "..."},
		{"three-byte characters", strings.Repeat("€", 3000), strings.Repeat("€", 85) + "..."},
		{"a character across byte 256", "a" + strings.Repeat("€", 3000), "a" + strings.Repeat("€", 85) + "..."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := decodeValidate(t, new(TagResourceInput), `{"resourceArn":"`+arn+`","tags":[{"key":"`+c.value+`","value":"v"}]}`)
			want := "1 validation error detected: Value '" + c.echoed + "' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128"
			if got != want {
				t.Errorf("message (%d bytes):\n got %.600s\nwant %.600s", len(got), got, want)
			}
		})
	}
	// A list is echoed the same way: 12,000 tag keys give a short message.
	keys := strings.TrimSuffix(strings.Repeat(`"k",`, 12000), ",")
	got := decodeValidate(t, new(UntagResourceInput), `{"resourceArn":"`+arn+`","tagKeys":[`+keys+`]}`)
	want := "1 validation error detected: Value '[" + strings.Repeat("k, ", 85) + "...' at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50"
	if got != want {
		t.Errorf("list message (%d bytes):\n got %.400s\nwant %.400s", len(got), got, want)
	}
}
