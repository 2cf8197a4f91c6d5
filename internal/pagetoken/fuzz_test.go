package pagetoken

import (
	"bytes"
	"testing"
)

// FuzzDecode feeds arbitrary tokens to the decoder, which a client controls
// completely: nothing panics, and a token the codec did not issue for the
// binding never passes (passing would mean the fuzzer forged the MAC). A
// token it did issue carries its position back, under its own binding
// only, and fails when any of its bytes changes. The seed corpus is in
// testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	c, err := New([]byte("fuzz-key-0123456789abcdef"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, binding string, position []byte, token string, flip uint16) {
		if got, err := c.Decode(binding, token); err == nil {
			t.Fatalf("Decode(%q, %q) accepted a token it never issued: position %q", binding, token, got)
		} else if err != ErrInvalid {
			t.Fatalf("Decode returned %v, want ErrInvalid", err)
		}
		issued := c.Encode(binding, position)
		got, err := c.Decode(binding, issued)
		if err != nil || !bytes.Equal(got, position) {
			t.Fatalf("round trip of %q under %q: %q, %v", position, binding, got, err)
		}
		if _, err := c.Decode(binding+"\x00", issued); err != ErrInvalid {
			t.Fatalf("a token issued for %q passed under another binding", binding)
		}
		b := []byte(issued)
		i := int(flip) % len(b)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		if _, err := c.Decode(binding, string(b)); err != ErrInvalid {
			t.Fatalf("token %q with byte %d changed passed", issued, i)
		}
	})
}
