package sigv4

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

const goodAuth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/proton/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// request builds a request with the given headers; a nil value leaves the
// header out.
func request(headers map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://proton.us-east-1.amazonaws.com/", nil)
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    Signed
	}{
		{
			name:    "sdk style",
			headers: map[string]string{"Authorization": goodAuth, "X-Amz-Date": "20240101T000000Z"},
			want: Signed{
				AccessKeyID: "AKIDEXAMPLE", Date: "20240101", Region: "us-east-1", Service: "proton",
				SignedHeaders: []string{"content-type", "host", "x-amz-date"},
				Signature:     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
				RequestTime:   time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
			},
		},
		{
			name: "no spaces, extra spaces, unknown parameter, trailing comma",
			headers: map[string]string{
				"Authorization": "  AWS4-HMAC-SHA256   Credential=K/20240101/eu-central-1/proton/aws4_request,SignedHeaders=host ,  Foo=bar,Signature=ab ,",
				"X-Amz-Date":    "20240101T235959Z",
			},
			want: Signed{
				AccessKeyID: "K", Date: "20240101", Region: "eu-central-1", Service: "proton",
				SignedHeaders: []string{"host"}, Signature: "ab",
				RequestTime: time.Date(2024, 1, 1, 23, 59, 59, 0, time.UTC),
			},
		},
		{
			name:    "date header in ISO basic format",
			headers: map[string]string{"Authorization": goodAuth, "Date": "20240101T000000Z"},
			want: Signed{
				AccessKeyID: "AKIDEXAMPLE", Date: "20240101", Region: "us-east-1", Service: "proton",
				SignedHeaders: []string{"content-type", "host", "x-amz-date"},
				Signature:     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
				RequestTime:   time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
			},
		},
		{
			name:    "date header in HTTP format with numeric zone",
			headers: map[string]string{"Authorization": goodAuth, "Date": "Mon, 01 Jan 2024 01:02:03 -0000"},
			want: Signed{
				AccessKeyID: "AKIDEXAMPLE", Date: "20240101", Region: "us-east-1", Service: "proton",
				SignedHeaders: []string{"content-type", "host", "x-amz-date"},
				Signature:     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
				RequestTime:   time.Date(2024, 1, 1, 1, 2, 3, 0, time.UTC),
			},
		},
		{
			name:    "x-amz-date wins over date",
			headers: map[string]string{"Authorization": goodAuth, "X-Amz-Date": "20240101T000000Z", "Date": "garbage"},
			want: Signed{
				AccessKeyID: "AKIDEXAMPLE", Date: "20240101", Region: "us-east-1", Service: "proton",
				SignedHeaders: []string{"content-type", "host", "x-amz-date"},
				Signature:     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
				RequestTime:   time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(request(tt.headers))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Parse = %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	const date = "20240101T000000Z"
	tests := []struct {
		name    string
		headers map[string]string
		kind    Kind
		message string // the whole message, or a prefix when it ends in "..."
	}{
		{"no header", map[string]string{"X-Amz-Date": date}, Missing, "Missing Authentication Token"},
		{"blank header", map[string]string{"Authorization": "  ", "X-Amz-Date": date}, Missing, "Missing Authentication Token"},
		{"wrong algorithm", map[string]string{"Authorization": "AWS4-HMAC-SHA512 Credential=a/b/c/d/e", "X-Amz-Date": date}, Incomplete,
			"Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'. Only 'AWS4-HMAC-SHA256' is accepted."},
		{"bearer token", map[string]string{"Authorization": "Bearer abc", "X-Amz-Date": date}, Incomplete,
			"Unsupported AWS 'algorithm': 'Bearer'. Only 'AWS4-HMAC-SHA256' is accepted."},
		{"algorithm only", map[string]string{"Authorization": "AWS4-HMAC-SHA256"}, Incomplete,
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
				"Authorization=AWS4-HMAC-SHA256"},
		{"signature missing", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=K/20240101/us-east-1/proton/aws4_request, SignedHeaders=host", "X-Amz-Date": date}, Incomplete,
			"Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential=K/20240101/us-east-1/proton/aws4_request, SignedHeaders=host"},
		{"empty credential", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=ab", "X-Amz-Date": date}, Incomplete,
			"Authorization header requires 'Credential' parameter. Authorization=..."},
		{"no date", map[string]string{"Authorization": goodAuth}, Incomplete,
			"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + goodAuth},
		{"missing equal sign", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential", "X-Amz-Date": date}, Incomplete,
			"Invalid key=value pair (missing equal-sign) in Authorization header: 'Credential'."},
		{"duplicate parameter", map[string]string{"Authorization": goodAuth + ", Signature=ff", "X-Amz-Date": date}, Incomplete,
			"Authorization header has more than one 'Signature' parameter."},
		{"credential with 4 parts", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=K/20240101/us-east-1/proton, SignedHeaders=host, Signature=ab", "X-Amz-Date": date}, Incomplete,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'K/20240101/us-east-1/proton'"},
		{"credential with 6 parts", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=K/x/20240101/us-east-1/proton/aws4_request, SignedHeaders=host, Signature=ab", "X-Amz-Date": date}, Incomplete,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'K/x/20240101/us-east-1/proton/aws4_request'"},
		{"bad terminator", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=K/20240101/us-east-1/proton/aws4_requests, SignedHeaders=host, Signature=ab", "X-Amz-Date": date}, Incomplete,
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_requests'. "},
		{"empty access key", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=/20240101/us-east-1/proton/aws4_request, SignedHeaders=host, Signature=ab", "X-Amz-Date": date}, Incomplete,
			"Credential must start with an access key ID, e.g. keyid/date/region/service/term, got '/20240101/us-east-1/proton/aws4_request'"},
		{"bad scope date", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=K/2024-01-01/us-east-1/proton/aws4_request, SignedHeaders=host, Signature=ab", "X-Amz-Date": date}, Incomplete,
			"Date in Credential scope must be in 'YYYYMMDD' format. Got '2024-01-01'."},
		{"impossible scope date", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=K/20241301/us-east-1/proton/aws4_request, SignedHeaders=host, Signature=ab", "X-Amz-Date": date}, Incomplete,
			"Date in Credential scope must be in 'YYYYMMDD' format. Got '20241301'."},
		{"empty signed header name", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=K/20240101/us-east-1/proton/aws4_request, SignedHeaders=host;;x-amz-date, Signature=ab", "X-Amz-Date": date}, Incomplete,
			"SignedHeaders must be a ';'-delimited list of header names, got 'host;;x-amz-date'."},
		{"x-amz-date extended format", map[string]string{"Authorization": goodAuth, "X-Amz-Date": "2024-01-01T00:00:00Z"}, Incomplete,
			"Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:00:00Z'. See http://docs.aws.amazon.com/general/latest/gr/sigv4-date-handling.html"},
		{"x-amz-date with fraction", map[string]string{"Authorization": goodAuth, "X-Amz-Date": "20240101T000000.5Z"}, Incomplete,
			"Date must be in ISO-8601 'basic format'. Got '20240101T000000.5Z'. ..."},
		{"x-amz-date in HTTP format", map[string]string{"Authorization": goodAuth, "X-Amz-Date": "Mon, 01 Jan 2024 00:00:00 GMT"}, Incomplete,
			"Date must be in ISO-8601 'basic format'. Got 'Mon, 01 Jan 2024 00:00:00 GMT'. ..."},
		{"garbage date header", map[string]string{"Authorization": goodAuth, "Date": "yesterday"}, Incomplete,
			"Date must be in ISO-8601 'basic format'. Got 'yesterday'. ..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(request(tt.headers))
			if err == nil {
				t.Fatalf("Parse = %+v, want error", s)
			}
			checkError(t, err, tt.kind, tt.message)
		})
	}
}

func TestParseRejectsTwoAuthorizationHeaders(t *testing.T) {
	r := request(map[string]string{"X-Amz-Date": "20240101T000000Z"})
	r.Header.Add("Authorization", goodAuth)
	r.Header.Add("Authorization", goodAuth)
	_, err := Parse(r)
	checkError(t, err, Incomplete, "Authorization header must be sent only once.")
}

// TestParseEchoesLongHeadersShortened: a header echoed in a message is cut
// to its first 256 bytes followed by "..." (docs/compatibility.md), and a
// header that fits is echoed whole.
func TestParseEchoesLongHeadersShortened(t *testing.T) {
	const missing = "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
		"Authorization header requires 'SignedHeaders' parameter. Authorization="
	long := "AWS4-HMAC-SHA256 " + strings.Repeat("x=y,", 1000)
	_, err := Parse(request(map[string]string{"Authorization": long, "X-Amz-Date": "20240101T000000Z"}))
	e := checkError(t, err, Incomplete, missing+long[:256]+"...")
	if e.Message != missing+long[:256]+"..." {
		t.Errorf("message is %d bytes, want the header cut to 256 bytes and \"...\"", len(e.Message))
	}
	fits := "AWS4-HMAC-SHA256 " + strings.Repeat("x=y,", 59) + "x=y" // 256 bytes
	_, err = Parse(request(map[string]string{"Authorization": fits, "X-Amz-Date": "20240101T000000Z"}))
	checkError(t, err, Incomplete, missing+fits)
}

// checkError asserts err is an *Error of the given kind whose message is
// want, or starts with want's text before a trailing "...".
func checkError(t *testing.T, err error, kind Kind, want string) *Error {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %v (%T) is not a *sigv4.Error", err, err)
	}
	if e.Kind != kind {
		t.Errorf("kind = %v, want %v (message %q)", e.Kind, kind, e.Message)
	}
	if prefix, ok := strings.CutSuffix(want, "..."); ok {
		if !strings.HasPrefix(e.Message, prefix) {
			t.Errorf("message = %q\nwant prefix %q", e.Message, prefix)
		}
	} else if e.Message != want {
		t.Errorf("message = %q\nwant        %q", e.Message, want)
	}
	return e
}
