package pagetoken

import (
	"bytes"
	"regexp"
	"testing"
)

func TestRoundTripAndBinding(t *testing.T) {
	c, err := New([]byte("0123456789abcdef0123"))
	if err != nil {
		t.Fatal(err)
	}
	tok := c.Encode("q1", []byte("pos"))
	if !regexp.MustCompile(`^[A-Za-z0-9+=/]+$`).MatchString(tok) {
		t.Fatalf("token %q does not match the model's NextToken pattern", tok)
	}
	got, err := c.Decode("q1", tok)
	if err != nil || !bytes.Equal(got, []byte("pos")) {
		t.Fatalf("Decode = %q, %v", got, err)
	}
	if _, err := c.Decode("q2", tok); err != ErrInvalid {
		t.Fatalf("token accepted under another binding: %v", err)
	}
	other, _ := New([]byte("another key of 16+ bytes"))
	if _, err := other.Decode("q1", tok); err != ErrInvalid {
		t.Fatalf("token accepted under another key: %v", err)
	}
	if tok2 := c.Encode("q1", []byte("pos")); tok2 == tok {
		t.Fatal("two tokens for one position are equal")
	}
}

func TestTamperedTokensFail(t *testing.T) {
	c, _ := New(NewRandomKey())
	tok := []byte(c.Encode("q", []byte("position-0001")))
	for i := range tok {
		mutated := append([]byte(nil), tok...)
		if mutated[i] == 'A' {
			mutated[i] = 'B'
		} else {
			mutated[i] = 'A'
		}
		if _, err := c.Decode("q", string(mutated)); err == nil {
			t.Fatalf("tampered token accepted (byte %d)", i)
		}
	}
	for _, bad := range []string{"", "A", "!!!", "AAAA", "QUJD"} {
		if _, err := c.Decode("q", bad); err != ErrInvalid {
			t.Errorf("Decode(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestShortKeyRefused(t *testing.T) {
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}
