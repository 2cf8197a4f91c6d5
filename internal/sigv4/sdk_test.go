package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testKey    = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var signTime = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// sdkRequest returns a Proton-style request signed by the AWS SDK for Go
// signer, after edit has added whatever the case needs.
func sdkRequest(t *testing.T, url string, body []byte, edit func(*http.Request)) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	r.Header.Set("X-Amz-Target", "AwsProton20200720.ListEnvironments")
	if edit != nil {
		edit(r)
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "proton", "us-east-1", signTime); err != nil {
		t.Fatal(err)
	}
	return r
}

func verify(r *http.Request, body []byte, secret string, now time.Time) error {
	s, err := Parse(r)
	if err != nil {
		return err
	}
	if err := s.CheckScope("proton"); err != nil {
		return err
	}
	return s.Verify(r, body, secret, now, 0)
}

func TestVerifySDKSigned(t *testing.T) {
	body := []byte(`{"maxResults":10}`)
	tests := []struct {
		name string
		url  string
		edit func(*http.Request)
	}{
		{"plain", "https://proton.us-east-1.amazonaws.com/", nil},
		{"session token", "https://proton.us-east-1.amazonaws.com/", func(r *http.Request) {
			r.Header.Set("X-Amz-Security-Token", "token/with+odd=chars")
		}},
		{"extra signed headers", "https://proton.us-east-1.amazonaws.com/", func(r *http.Request) {
			r.Header.Set("X-Custom-Header", "  spaced    out   value ")
			r.Header.Set("Accept", "application/json")
		}},
		{"multi-value header", "https://proton.us-east-1.amazonaws.com/", func(r *http.Request) {
			r.Header.Add("X-Multi", "one")
			r.Header.Add("X-Multi", " two  too ")
			r.Header.Add("X-Multi", "three")
		}},
		{"query string", "https://proton.us-east-1.amazonaws.com/?z=last&a=2&a=1&space=a+b&slash=%2F&empty=&tilde=~", nil},
		{"host with port", "http://localhost:4566/", nil},
		{"encoded path", "http://localhost:4566/some%20path/a%2Fb/", nil},
		{"user agent is not signed", "http://localhost:4566/", func(r *http.Request) {
			r.Header.Set("User-Agent", "aws-sdk-go-v2/1.0")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sdkRequest(t, tt.url, body, tt.edit)
			if err := verify(r, body, testSecret, signTime.Add(time.Minute)); err != nil {
				t.Fatalf("Verify: %v\nAuthorization: %s", err, r.Header.Get("Authorization"))
			}
		})
	}
}

func TestVerifySDKSignedTampered(t *testing.T) {
	const mismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	body := []byte(`{"name":"env"}`)
	tests := []struct {
		name    string
		tamper  func(r *http.Request) (body []byte, secret string)
		message string
	}{
		{"wrong secret", func(*http.Request) ([]byte, string) { return body, testSecret + "x" }, mismatch},
		{"body changed", func(*http.Request) ([]byte, string) { return []byte(`{"name":"evil"}`), testSecret }, mismatch},
		{"body dropped", func(*http.Request) ([]byte, string) { return nil, testSecret }, mismatch},
		{"signed header changed", func(r *http.Request) ([]byte, string) {
			r.Header.Set("X-Amz-Target", "AwsProton20200720.DeleteEnvironment")
			return body, testSecret
		}, mismatch},
		{"signed header repeated", func(r *http.Request) ([]byte, string) {
			r.Header.Add("Content-Type", "text/plain")
			return body, testSecret
		}, mismatch},
		{"host changed", func(r *http.Request) ([]byte, string) {
			r.Host = "proton.us-west-2.amazonaws.com"
			return body, testSecret
		}, mismatch},
		{"method changed", func(r *http.Request) ([]byte, string) {
			r.Method = http.MethodPut
			return body, testSecret
		}, mismatch},
		{"query added", func(r *http.Request) ([]byte, string) {
			r.URL.RawQuery = "x=1"
			return body, testSecret
		}, mismatch},
		{"path changed", func(r *http.Request) ([]byte, string) {
			r.URL.Path = "/other"
			return body, testSecret
		}, mismatch},
		{"signature changed", func(r *http.Request) ([]byte, string) {
			h := r.Header.Get("Authorization")
			last := h[len(h)-1]
			flipped := byte('0')
			if last == '0' {
				flipped = '1'
			}
			r.Header.Set("Authorization", h[:len(h)-1]+string(flipped))
			return body, testSecret
		}, mismatch},
		{"signature not hex", func(r *http.Request) ([]byte, string) {
			h := r.Header.Get("Authorization")
			r.Header.Set("Authorization", h[:len(h)-1]+"z")
			return body, testSecret
		}, mismatch},
		{"signature truncated", func(r *http.Request) ([]byte, string) {
			h := r.Header.Get("Authorization")
			r.Header.Set("Authorization", h[:len(h)-2])
			return body, testSecret
		}, mismatch},
		{"date moved by a second", func(r *http.Request) ([]byte, string) {
			r.Header.Set("X-Amz-Date", signTime.Add(time.Second).Format("20060102T150405Z"))
			return body, testSecret
		}, mismatch},
		{"region in scope changed", func(r *http.Request) ([]byte, string) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/us-east-1/", "/us-west-2/", 1))
			return body, testSecret
		}, mismatch},
		{"content hash header disagrees", func(r *http.Request) ([]byte, string) {
			r.Header.Set("X-Amz-Content-Sha256", strings.Repeat("0", 64))
			return body, testSecret
		}, "The provided 'x-amz-content-sha256' header does not match what was computed."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sdkRequest(t, "https://proton.us-east-1.amazonaws.com/", body, nil)
			b, secret := tt.tamper(r)
			checkError(t, verify(r, b, secret, signTime), Invalid, tt.message)
		})
	}
}
