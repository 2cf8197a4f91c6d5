package sigv4

import (
	"bytes"
	"fmt"
	"testing"
)

func TestVerifyCachedUsesTheSecretOfEachRequest(t *testing.T) {
	body := []byte(`{"id":"x"}`)
	var keys SigningKeys
	for range 3 {
		r := sdkRequest(t, "https://proton.us-east-1.amazonaws.com/", body, nil)
		s, err := Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.VerifyCached(&keys, r, body, testSecret, signTime, 0); err != nil {
			t.Fatalf("VerifyCached with the right secret: %v", err)
		}
		// A cached key of the right secret must not make another secret pass.
		if err := s.VerifyCached(&keys, r, body, "another secret", signTime, 0); err == nil {
			t.Fatal("VerifyCached accepted a request checked against the wrong secret")
		}
	}
	if got, want := keys.get(testSecret, "20240301", "us-east-1", "proton"), signingKey(testSecret, "20240301", "us-east-1", "proton"); !bytes.Equal(got, want) {
		t.Fatalf("cached key %x, derived %x", got, want)
	}
}

func TestSigningKeysStayBounded(t *testing.T) {
	var keys SigningKeys
	for i := range maxCachedKeys + 10 {
		keys.get(fmt.Sprint("secret", i), "20240301", "us-east-1", "proton")
	}
	if n := len(keys.keys); n > maxCachedKeys {
		t.Fatalf("%d cached keys, want at most %d", n, maxCachedKeys)
	}
}
