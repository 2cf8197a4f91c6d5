package awsjson

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
)

const (
	testKey    = "AKIDOPENPROTONTEST"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testID     = "0f0e0d0c-0b0a-4908-8706-050403020100"
)

// recorder answers GetEnvironmentAccountConnection and remembers that it ran.
type recorder struct {
	api.UnimplementedService
	calls  int
	caller auth.Caller
}

func (r *recorder) GetEnvironmentAccountConnection(ctx context.Context, in *api.GetEnvironmentAccountConnectionInput) (*api.GetEnvironmentAccountConnectionOutput, error) {
	r.calls++
	r.caller, _ = auth.CallerFrom(ctx)
	return &api.GetEnvironmentAccountConnectionOutput{EnvironmentAccountConnection: &api.EnvironmentAccountConnection{Id: in.Id, RequestedAt: api.TimeOf(time.UnixMilli(1619651630847))}}, nil
}

func newHandler(t *testing.T) (*Handler, *recorder) {
	t.Helper()
	creds := filepath.Join(t.TempDir(), "credentials.yaml")
	yaml := "credentials:\n  - accessKeyId: " + testKey + "\n    secretAccessKey: " + testSecret + "\n    accountId: \"111111111111\"\n"
	if err := os.WriteFile(creds, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Config{Mode: "sigv4", CredentialsFile: creds})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	return &Handler{Service: rec, Auth: a, MaxBodyBytes: 4096, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, rec
}

type reqOpts struct {
	method, path, target, body string
	key, secret, service       string
	region                     string
	at                         time.Time
	noAuth                     bool
	authHeader                 string
	contentType                string // "" for ContentType, "-" for none
	tamper                     func(*http.Request)
}

func request(t *testing.T, o reqOpts) *http.Request {
	t.Helper()
	if o.method == "" {
		o.method = http.MethodPost
	}
	if o.path == "" {
		o.path = "/"
	}
	if o.target == "" {
		o.target = TargetPrefix + "GetEnvironmentAccountConnection"
	}
	if o.key == "" {
		o.key, o.secret = testKey, testSecret
	}
	if o.service == "" {
		o.service = "proton"
	}
	if o.region == "" {
		o.region = "us-east-1"
	}
	if o.at.IsZero() {
		o.at = time.Now()
	}
	r := httptest.NewRequest(o.method, "http://proton.local"+o.path, strings.NewReader(o.body))
	switch o.contentType {
	case "":
		r.Header.Set("Content-Type", ContentType)
	case "-":
	default:
		r.Header.Set("Content-Type", o.contentType)
	}
	if o.target != "-" {
		r.Header.Set("X-Amz-Target", o.target)
	}
	switch {
	case o.authHeader != "":
		r.Header.Set("Authorization", o.authHeader)
		r.Header.Set("X-Amz-Date", o.at.UTC().Format("20060102T150405Z"))
	case !o.noAuth:
		sum := sha256.Sum256([]byte(o.body))
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: o.key, SecretAccessKey: o.secret},
			r, hex.EncodeToString(sum[:]), o.service, o.region, o.at)
		if err != nil {
			t.Fatal(err)
		}
	}
	if o.tamper != nil {
		o.tamper(r)
	}
	return r
}

type wireError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func serve(t *testing.T, h *Handler, r *http.Request) (*httptest.ResponseRecorder, wireError) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var we wireError
	_ = json.Unmarshal(w.Body.Bytes(), &we)
	if w.Header().Get("x-amzn-RequestId") == "" {
		t.Errorf("response has no x-amzn-RequestId")
	}
	return w, we
}

func TestProtocolErrorsNeverReachTheHandler(t *testing.T) {
	valid := `{"id":"` + testID + `"}`
	cases := []struct {
		name    string
		opts    reqOpts
		status  int
		code    fault.Code
		message string
	}{
		{"wrong path", reqOpts{path: "/v1/x", body: valid}, 400, fault.UnknownOperation, "path"},
		{"wrong method", reqOpts{method: http.MethodGet}, 405, fault.MethodNotAllowed, "POST"},
		{"missing target", reqOpts{target: "-", body: valid}, 400, fault.UnknownOperation, "Missing X-Amz-Target"},
		{"unknown target", reqOpts{target: TargetPrefix + "LaunchRockets", body: valid}, 400, fault.UnknownOperation, "LaunchRockets"},
		{"wrong target prefix", reqOpts{target: "DynamoDB_20120810.GetEnvironmentAccountConnection", body: valid}, 400, fault.UnknownOperation, ""},
		{"oversize body", reqOpts{body: `{"id":"` + strings.Repeat("a", 5000) + `"}`}, 413, fault.RequestTooLarge, "4096"},
		{"missing signature", reqOpts{noAuth: true, body: valid}, 403, fault.MissingAuthenticationToken, "Missing Authentication Token"},
		{"malformed signature", reqOpts{authHeader: "AWS4-HMAC-SHA256 Credential=" + testKey, body: valid}, 400, fault.IncompleteSignature, "Signature"},
		{"expired signature", reqOpts{at: time.Now().Add(-20 * time.Minute), body: valid}, 403, fault.InvalidSignature, "Signature expired"},
		{"future signature", reqOpts{at: time.Now().Add(20 * time.Minute), body: valid}, 403, fault.InvalidSignature, "not yet current"},
		{"tampered body", reqOpts{body: valid, tamper: func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(`{"id":"11111111-0b0a-4908-8706-050403020100"}`))
		}}, 403, fault.InvalidSignature, "signature we calculated does not match"},
		{"tampered signed header", reqOpts{body: valid, tamper: func(r *http.Request) {
			r.Header.Set("X-Amz-Date", time.Now().Add(time.Second).UTC().Format("20060102T150405Z"))
		}}, 403, fault.InvalidSignature, ""},
		{"wrong secret", reqOpts{secret: "not-the-secret", key: testKey, body: valid}, 403, fault.InvalidSignature, "does not match"},
		{"unknown access key", reqOpts{key: "AKIDUNKNOWN", secret: "x", body: valid}, 403, fault.UnrecognizedClient, "security token"},
		{"wrong signing service", reqOpts{service: "s3", body: valid}, 403, fault.InvalidSignature, "proton"},
		{"wrong signing region", reqOpts{region: "moon-base", body: valid}, 403, fault.InvalidSignature, "region"},
		{"malformed JSON", reqOpts{body: `{"id":`}, 400, fault.Serialization, "malformed JSON"},
		{"wrong member type", reqOpts{body: `{"id":42}`}, 400, fault.Serialization, "member 'id'"},
		{"not an object", reqOpts{body: `["id"]`}, 400, fault.Serialization, "object"},
		{"validation", reqOpts{body: `{"id":"nope"}`}, 400, fault.Validation, "1 validation error detected"},
		{"not implemented", reqOpts{target: TargetPrefix + "GetEnvironment", body: `{"name":"e"}`}, 501, fault.NotImplemented, "GetEnvironment"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, rec := newHandler(t)
			w, we := serve(t, h, request(t, c.opts))
			if w.Code != c.status || we.Type != string(c.code) {
				t.Fatalf("got %d %s (%s), want %d %s", w.Code, we.Type, we.Message, c.status, c.code)
			}
			if w.Header().Get("x-amzn-ErrorType") != string(c.code) {
				t.Errorf("x-amzn-ErrorType = %q", w.Header().Get("x-amzn-ErrorType"))
			}
			if !strings.Contains(we.Message, c.message) {
				t.Errorf("message %q does not mention %q", we.Message, c.message)
			}
			if rec.calls != 0 {
				t.Errorf("the operation ran")
			}
		})
	}
}

// TestFrontEndEchoesAreCut quotes a client's path and target cut to 256
// bytes and "...", as every echoed value is.
func TestFrontEndEchoesAreCut(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for _, c := range []struct {
		opts reqOpts
		want string
	}{
		{reqOpts{path: "/" + long}, `No operation is served at path "/` + long[:255] + `..."; the Proton API is served at /.`},
		{reqOpts{target: TargetPrefix + long}, `Unknown operation "` + (TargetPrefix + long)[:256] + `...".`},
	} {
		h, _ := newHandler(t)
		_, we := serve(t, h, request(t, c.opts))
		if we.Message != c.want {
			t.Errorf("message (%d bytes) = %.400q, want %.400q", len(we.Message), we.Message, c.want)
		}
	}
}

func TestSignedRequestReachesHandler(t *testing.T) {
	h, rec := newHandler(t)
	w, _ := serve(t, h, request(t, reqOpts{body: `{"id":"` + testID + `","unknownMember":true}`, region: "eu-west-1"}))
	if w.Code != 200 || rec.calls != 1 {
		t.Fatalf("status %d, calls %d: %s", w.Code, rec.calls, w.Body)
	}
	if rec.caller.Account != "111111111111" || rec.caller.Region != "eu-west-1" || rec.caller.Partition != "aws" {
		t.Fatalf("caller = %+v", rec.caller)
	}
	if got := w.Header().Get("Content-Type"); got != ContentType {
		t.Errorf("Content-Type = %q", got)
	}
	want := `{"environmentAccountConnection":{"id":"` + testID + `","requestedAt":1619651630.847}}`
	if w.Body.String() != want {
		t.Errorf("body = %s, want %s", w.Body, want)
	}
}

func TestEmptyBodyIsAnEmptyObject(t *testing.T) {
	h, _ := newHandler(t)
	w, we := serve(t, h, request(t, reqOpts{}))
	if w.Code != 400 || we.Type != "ValidationException" || !strings.Contains(we.Message, "Value null at 'id'") {
		t.Fatalf("got %d %+v", w.Code, we)
	}
}

func TestEveryModelledExceptionIsMapped(t *testing.T) {
	for _, name := range api.ModelledExceptions() {
		if !Mapped(fault.Code(name)) {
			t.Errorf("modelled exception %s has no HTTP status", name)
		}
		if name != "InternalServerException" && Status(fault.Code(name)) >= 500 {
			t.Errorf("client error %s maps to a 5xx status", name)
		}
	}
}

// TestChecksRunInTheDocumentedOrder sends a request that fails every check
// of docs/compatibility.md's "Order of checks", then mends one fault at a
// time: each answer must name the first check still failing.
func TestChecksRunInTheDocumentedOrder(t *testing.T) {
	big := `{"id":"` + strings.Repeat("a", 5000) + `"}`
	o := reqOpts{path: "/v1/x", method: http.MethodGet, target: "-", body: big, secret: "not-the-secret", key: testKey}
	steps := []struct {
		status int
		code   fault.Code
		mend   func(*reqOpts)
	}{
		{400, fault.UnknownOperation, func(o *reqOpts) { o.path = "/" }},
		{405, fault.MethodNotAllowed, func(o *reqOpts) { o.method = http.MethodPost }},
		{400, fault.UnknownOperation, func(o *reqOpts) { o.target = "" }},
		{413, fault.RequestTooLarge, func(o *reqOpts) { o.body = `{"id":` }},
		{403, fault.InvalidSignature, func(o *reqOpts) { o.secret = testSecret }},
		{400, fault.Serialization, func(o *reqOpts) { o.body = `{"id":"nope"}` }},
		{400, fault.Validation, func(o *reqOpts) { o.body = `{"id":"` + testID + `"}` }},
	}
	for i, s := range steps {
		h, rec := newHandler(t)
		w, we := serve(t, h, request(t, o))
		if w.Code != s.status || we.Type != string(s.code) || rec.calls != 0 {
			t.Fatalf("step %d: got %d %s (%s), operation ran %d times; want %d %s", i, w.Code, we.Type, we.Message, rec.calls, s.status, s.code)
		}
		s.mend(&o)
	}
	h, rec := newHandler(t)
	if w, _ := serve(t, h, request(t, o)); w.Code != 200 || rec.calls != 1 {
		t.Fatalf("the mended request: %d %s, operation ran %d times", w.Code, w.Body, rec.calls)
	}
	// An oversize body is refused before authentication: no signature
	// needed to get 413.
	h, _ = newHandler(t)
	if w, we := serve(t, h, request(t, reqOpts{noAuth: true, body: big})); w.Code != 413 || we.Type != string(fault.RequestTooLarge) {
		t.Fatalf("oversize unsigned body: %d %s, want 413", w.Code, we.Type)
	}
}

// TestWireDetails checks the smaller rules of the wire protocol in
// docs/compatibility.md: Allow: POST on a 405, Content-Type not checked,
// null taken as absent.
func TestWireDetails(t *testing.T) {
	h, _ := newHandler(t)
	w, _ := serve(t, h, request(t, reqOpts{method: http.MethodPut, body: `{}`}))
	if w.Code != 405 || w.Header().Get("Allow") != http.MethodPost {
		t.Errorf("PUT: %d with Allow %q, want 405 with Allow: POST", w.Code, w.Header().Get("Allow"))
	}
	for _, ct := range []string{"-", "text/plain", "application/json"} {
		h, rec := newHandler(t)
		w, _ := serve(t, h, request(t, reqOpts{body: `{"id":"` + testID + `"}`, contentType: ct}))
		if w.Code != 200 || rec.calls != 1 {
			t.Errorf("Content-Type %q: %d %s, want 200", ct, w.Code, w.Body)
		}
	}
	h, _ = newHandler(t)
	w, we := serve(t, h, request(t, reqOpts{body: `{"id":null}`}))
	if w.Code != 400 || we.Type != string(fault.Validation) || !strings.Contains(we.Message, "Value null at 'id'") {
		t.Errorf(`{"id":null}: %d %+v, want the ValidationException of a missing id`, w.Code, we)
	}
}

// failing answers every operation with an error that is not a fault: an
// internal error, whose detail must not reach the caller.
type failing struct{ api.UnimplementedService }

func (failing) GetEnvironmentAccountConnection(context.Context, *api.GetEnvironmentAccountConnectionInput) (*api.GetEnvironmentAccountConnectionOutput, error) {
	return nil, errors.New("disk on fire at /var/lib/secret")
}

func TestInternalErrorsHideTheirDetail(t *testing.T) {
	h, _ := newHandler(t)
	var logs strings.Builder
	h.Service, h.Logger = failing{}, slog.New(slog.NewTextHandler(&logs, nil))
	w, we := serve(t, h, request(t, reqOpts{body: `{"id":"` + testID + `"}`}))
	id := w.Header().Get("x-amzn-RequestId")
	if w.Code != 500 || we.Type != string(fault.Internal) || we.Message != "An internal error occurred. Request ID: "+id {
		t.Fatalf("got %d %+v, want 500 InternalServerException naming request %s", w.Code, we, id)
	}
	if strings.Contains(w.Body.String(), "disk on fire") || !strings.Contains(logs.String(), "disk on fire") || !strings.Contains(logs.String(), id) {
		t.Fatalf("the detail must reach the log with the request id, not the caller: body %s, log %s", w.Body, logs.String())
	}
}
