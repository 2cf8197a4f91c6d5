package sigv4

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"testing"
	"time"
)

func TestCanonicalQuery(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"", ""},
		{"Version=2010-05-08&Action=ListUsers", "Action=ListUsers&Version=2010-05-08"},
		{"b=2&a=2&a=1", "a=1&a=2&b=2"},
		{"flag&x=", "flag=&x="},
		{"a=x+y&b=x%20y&c=%2F%7e", "a=x%20y&b=x%20y&c=%2F~"},
		{"a=1&&b=2", "a=1&b=2"},
		{"k=%zz", "k=%25zz"},
		{"%C3%A9=%E2%82%AC", "%C3%A9=%E2%82%AC"},
		{"a=b=c", "a=b%3Dc"},
	}
	for _, tt := range tests {
		if got := canonicalQuery(tt.raw); got != tt.want {
			t.Errorf("canonicalQuery(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestCanonicalURIs(t *testing.T) {
	tests := []struct {
		path string
		want []string
	}{
		{"", []string{"/"}},
		{"/", []string{"/"}},
		{"/a/b/", []string{"/a/b/"}},
		{"/a b/c", []string{"/a%2520b/c"}},
		{"/a%2Fb", []string{"/a%252Fb"}},
		{"/a/./b/../c", []string{"/a/c", "/a/./b/../c"}},
		{"//a//b", []string{"/a/b", "//a//b"}},
		{"/../..", []string{"/", "/../.."}},
	}
	for _, tt := range tests {
		u, err := url.Parse("http://h" + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := canonicalURIs(u); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("canonicalURIs(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestTrimAll(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"  a  ", "a"},
		{"a   b  c", "a b c"},
		{"\ta b\t", "a b"},
	}
	for _, tt := range tests {
		if got := trimAll(tt.in); got != tt.want {
			t.Errorf("trimAll(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCanonicalHeaderValueLeavesHeaderAlone(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "http://h/", nil)
	r.Header.Add("X-Multi", "  a  b ")
	r.Header.Add("X-Multi", "c")
	if got := canonicalHeaderValue(r, "x-multi"); got != "a b,c" {
		t.Errorf("canonicalHeaderValue = %q, want %q", got, "a b,c")
	}
	if got := r.Header.Values("X-Multi"); got[0] != "  a  b " {
		t.Errorf("request header changed to %q", got)
	}
}

// TestDocumentedExample checks the worked example of the SigV4
// documentation (IAM ListUsers), which no SDK produced.
func TestDocumentedExample(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", nil)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "+
		"SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	if err := s.Verify(r, nil, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", now, 0); err != nil {
		t.Fatal(err)
	}
}
