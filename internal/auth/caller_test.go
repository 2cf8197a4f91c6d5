package auth

import "testing"

func TestPartition(t *testing.T) {
	tests := map[string]string{
		"us-east-1":      "aws",
		"eu-central-1":   "aws",
		"ap-southeast-5": "aws",
		"cn-north-1":     "aws-cn",
		"cn-northwest-1": "aws-cn",
		"us-gov-west-1":  "aws-us-gov",
		"us-gov-east-1":  "aws-us-gov",
		"":               "aws",
	}
	for region, want := range tests {
		if got := Partition(region); got != want {
			t.Errorf("Partition(%q) = %q, want %q", region, got, want)
		}
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": ModeOpen, "open": ModeOpen, "sigv4": ModeSigV4} {
		got, err := ParseMode(in)
		if err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"SIGV4", "none", " open"} {
		if _, err := ParseMode(in); err == nil {
			t.Errorf("ParseMode(%q) succeeded, want error", in)
		}
	}
}

func TestOpenAccount(t *testing.T) {
	tests := []struct{ key, want string }{
		{"123456789012", "123456789012"},
		{"000000000001", "000000000001"},
		{"AKIAIOSFODNN7EXAMPLE", "999999999999"},
		{"12345678901", "999999999999"},
		{"1234567890123", "999999999999"},
		{"test", "999999999999"},
	}
	for _, tt := range tests {
		if got := openAccount(tt.key, "999999999999"); got != tt.want {
			t.Errorf("openAccount(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}
