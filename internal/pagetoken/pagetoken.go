// Package pagetoken makes the opaque nextToken values of list operations.
//
// A token carries a position in a list's order and is bound to the query that
// issued it (operation, caller, filters): it is authenticated with
// HMAC-SHA256 under a key that every replica shares, so a token issued by one
// replica is accepted by another, and a token that was altered, or presented
// with another query, fails its check. A random nonce makes every token
// unique. Tokens are standard base64, as the model's NextToken pattern
// requires.
package pagetoken

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

const (
	version  = 1
	nonceLen = 8
	macLen   = 16
)

// ErrInvalid is returned for a token that fails its check.
var ErrInvalid = errors.New("pagetoken: invalid token")

// Codec encodes and checks tokens under one key.
type Codec struct{ key []byte }

// New returns a Codec for key, which must be at least 16 bytes.
func New(key []byte) (*Codec, error) {
	if len(key) < 16 {
		return nil, fmt.Errorf("page token key must be at least 16 bytes, got %d", len(key))
	}
	return &Codec{key: append([]byte(nil), key...)}, nil
}

// NewRandomKey returns a fresh random key, for a single process whose tokens
// need not survive a restart.
func NewRandomKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// Encode returns a token for position within the query identified by binding.
func (c *Codec) Encode(binding string, position []byte) string {
	buf := make([]byte, 0, 1+nonceLen+len(position)+macLen)
	buf = append(buf, version)
	nonce := make([]byte, nonceLen)
	_, _ = rand.Read(nonce)
	buf = append(buf, nonce...)
	buf = append(buf, position...)
	buf = append(buf, c.mac(binding, buf)...)
	return base64.StdEncoding.EncodeToString(buf)
}

// Decode checks token against binding and returns the position it carries.
func (c *Codec) Decode(binding, token string) ([]byte, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) < 1+nonceLen+macLen || raw[0] != version {
		return nil, ErrInvalid
	}
	body, mac := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	if !hmac.Equal(mac, c.mac(binding, body)) {
		return nil, ErrInvalid
	}
	return body[1+nonceLen:], nil
}

func (c *Codec) mac(binding string, body []byte) []byte {
	h := hmac.New(sha256.New, c.key)
	// The binding's length goes first so that binding and body cannot be
	// shifted into one another.
	fmt.Fprintf(h, "%d:%s", len(binding), binding)
	h.Write(body)
	return h.Sum(nil)[:macLen]
}
