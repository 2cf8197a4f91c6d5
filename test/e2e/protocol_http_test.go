package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// --- plain HTTP ---

// protoHTTP is the client of the plain-HTTP tests.
var protoHTTP = &http.Client{Timeout: 20 * time.Second}

// protoResponse is a whole HTTP response.
type protoResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

func protoDo(t *testing.T, req *http.Request) protoResponse {
	t.Helper()
	resp, err := protoHTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return protoResponse{resp.StatusCode, resp.Header, body}
}

// protoRequest builds a POST / with the AWS JSON 1.0 headers; target ""
// leaves X-Amz-Target out.
func protoRequest(t *testing.T, srv *Server, target string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	return req
}

// protoSign signs req (whose whole body is body) with AWS Signature
// Version 4 for service, as a client signing at time at would.
// It signs Host, X-Amz-Date, and Content-Type and X-Amz-Target when set.
func protoSign(req *http.Request, body []byte, key, secret, region, service string, at time.Time) {
	amzDate := at.UTC().Format("20060102T150405Z")
	day := amzDate[:8]
	req.Header.Set("X-Amz-Date", amzDate)
	var names []string
	for _, n := range []string{"content-type", "host", "x-amz-date", "x-amz-target"} {
		if n == "host" || req.Header.Get(n) != "" {
			names = append(names, n)
		}
	}
	var canon strings.Builder
	path := req.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	canon.WriteString(req.Method + "\n" + path + "\n" + req.URL.RawQuery + "\n")
	for _, n := range names {
		v := req.Header.Get(n)
		if n == "host" {
			v = req.URL.Host
		}
		canon.WriteString(n + ":" + strings.TrimSpace(v) + "\n")
	}
	bodyHash := sha256.Sum256(body)
	canon.WriteString("\n" + strings.Join(names, ";") + "\n" + hex.EncodeToString(bodyHash[:]))
	canonHash := sha256.Sum256([]byte(canon.String()))
	scope := day + "/" + region + "/" + service + "/aws4_request"
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(canonHash[:])
	mac := func(k []byte, s string) []byte {
		h := hmac.New(sha256.New, k)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), day)
	k = mac(k, region)
	k = mac(k, service)
	k = mac(k, "aws4_request")
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		key, scope, strings.Join(names, ";"), hex.EncodeToString(mac(k, toSign))))
}

// protoCall posts body to operation op, signed with the open-mode key.
func protoCall(t *testing.T, srv *Server, op string, body string) protoResponse {
	t.Helper()
	req := protoRequest(t, srv, protoTargetPrefix+op, []byte(body))
	protoSign(req, []byte(body), protoOpenKey, protoOpenSecret, "us-east-1", "proton", time.Now())
	return protoDo(t, req)
}

// protoCheckRequestID checks that r carries a UUID x-amzn-RequestId.
func protoCheckRequestID(t *testing.T, r protoResponse) string {
	t.Helper()
	id := r.Header.Get("x-amzn-RequestId")
	if !protoUUID.MatchString(id) {
		t.Errorf("x-amzn-RequestId %q is not a UUID (status %d, headers %v)", id, r.Status, r.Header)
	}
	return id
}

// protoCheckError checks that r is an AWS JSON 1.0 error response with
// the status and error code, and returns its message.
func protoCheckError(t *testing.T, r protoResponse, status int, code string) string {
	t.Helper()
	protoCheckRequestID(t, r)
	if r.Status != status {
		t.Errorf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if got := r.Header.Get("x-amzn-ErrorType"); got != code {
		t.Errorf("x-amzn-ErrorType %q, want %q; body %s", got, code, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
		t.Errorf("Content-Type %q, want application/x-amz-json-1.0", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("error body %q is not JSON: %v", r.Body, err)
	}
	msg, _ := body["message"].(string)
	if body["__type"] != code || msg == "" {
		t.Errorf(`want {"__type":%q,"message":...}, got %s`, code, r.Body)
	}
	return msg
}

// protoChunked hides the length of a body so that it is sent chunked.
type protoChunked struct{ io.Reader }

func TestProtocolPlainHTTP(t *testing.T) {
	t.Parallel()
	srv := StartServer(t, "--max-body-bytes", "4096")
	listBody := `{"requestedBy":"ENVIRONMENT_ACCOUNT"}`

	t.Run("health", func(t *testing.T) {
		t.Parallel()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/health", nil)
		r := protoDo(t, req)
		protoCheckRequestID(t, r)
		var body struct{ Status, Version string }
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &body) != nil || body.Status != "ok" || body.Version == "" {
			t.Errorf("GET /health: %d %s, want 200 with status ok and a version", r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("GET /health: Content-Type %q", ct)
		}
	})

	t.Run("success", func(t *testing.T) {
		t.Parallel()
		r := protoCall(t, srv, "ListEnvironmentAccountConnections", listBody)
		protoCheckRequestID(t, r)
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
			t.Errorf("%d %q %s", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		if r.Header.Get("x-amzn-ErrorType") != "" {
			t.Errorf("a success has x-amzn-ErrorType %q", r.Header.Get("x-amzn-ErrorType"))
		}
		var out struct {
			EnvironmentAccountConnections []any `json:"environmentAccountConnections"`
		}
		if err := json.Unmarshal(r.Body, &out); err != nil || out.EnvironmentAccountConnections == nil {
			t.Errorf("body %s: want environmentAccountConnections: [] (%v)", r.Body, err)
		}
	})

	t.Run("unknown members are ignored", func(t *testing.T) {
		t.Parallel()
		r := protoCall(t, srv, "ListEnvironmentAccountConnections", `{"requestedBy":"ENVIRONMENT_ACCOUNT","noSuchMember":{"a":[1,2]}}`)
		if r.Status != http.StatusOK {
			t.Errorf("%d %s, want 200", r.Status, r.Body)
		}
	})

	t.Run("missing authorization", func(t *testing.T) {
		t.Parallel()
		r := protoDo(t, protoRequest(t, srv, protoTargetPrefix+"ListEnvironmentAccountConnections", []byte(listBody)))
		protoCheckError(t, r, http.StatusForbidden, "MissingAuthenticationTokenException")
	})

	t.Run("incomplete signature", func(t *testing.T) {
		t.Parallel()
		req := protoRequest(t, srv, protoTargetPrefix+"ListEnvironmentAccountConnections", []byte(listBody))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=111111111111/20240101/us-east-1/proton/aws4_request")
		r := protoDo(t, req)
		protoCheckError(t, r, http.StatusBadRequest, "IncompleteSignatureException")
	})

	t.Run("unknown operation", func(t *testing.T) {
		t.Parallel()
		for _, target := range []string{protoTargetPrefix + "NoSuchOperation", "AwsProton20991231.ListServices", ""} {
			req := protoRequest(t, srv, target, []byte(`{}`))
			protoSign(req, []byte(`{}`), protoOpenKey, protoOpenSecret, "us-east-1", "proton", time.Now())
			r := protoDo(t, req)
			protoCheckError(t, r, http.StatusBadRequest, "UnknownOperationException")
		}
		// A known target at another path is no operation either.
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/services", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", protoTargetPrefix+"ListServices")
		protoSign(req, []byte(`{}`), protoOpenKey, protoOpenSecret, "us-east-1", "proton", time.Now())
		protoCheckError(t, protoDo(t, req), http.StatusBadRequest, "UnknownOperationException")
	})

	t.Run("not implemented", func(t *testing.T) {
		t.Parallel()
		r := protoCall(t, srv, "GetRepository", `{"name":"my-org/my-repo","provider":"GITHUB"}`)
		if msg := protoCheckError(t, r, http.StatusNotImplemented, "NotImplementedException"); !strings.Contains(msg, "GetRepository") {
			t.Errorf("message %q does not name the operation", msg)
		}
	})

	t.Run("GET /", func(t *testing.T) {
		t.Parallel()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
		r := protoDo(t, req)
		protoCheckRequestID(t, r)
		if r.Status != http.StatusMethodNotAllowed {
			t.Errorf("GET /: %d %s, want 405", r.Status, r.Body)
		}
		protoCheckError(t, r, http.StatusMethodNotAllowed, r.Header.Get("x-amzn-ErrorType"))
		if r.Header.Get("x-amzn-ErrorType") == "" {
			t.Errorf("GET /: the error has no x-amzn-ErrorType: %v %s", r.Header, r.Body)
		}
	})

	t.Run("malformed JSON", func(t *testing.T) {
		t.Parallel()
		for _, body := range []string{`{"requestedBy":`, `not json`, `[]`} {
			r := protoCall(t, srv, "ListEnvironmentAccountConnections", body)
			protoCheckError(t, r, http.StatusBadRequest, "SerializationException")
		}
	})

	t.Run("member of the wrong JSON type", func(t *testing.T) {
		t.Parallel()
		r := protoCall(t, srv, "ListEnvironmentAccountConnections", `{"requestedBy":5}`)
		protoCheckError(t, r, http.StatusBadRequest, "SerializationException")
	})

	t.Run("validation", func(t *testing.T) {
		t.Parallel()
		r := protoCall(t, srv, "ListEnvironmentAccountConnections", `{"requestedBy":"BAD","maxResults":0}`)
		msg := protoCheckError(t, r, http.StatusBadRequest, "ValidationException")
		if !strings.HasPrefix(msg, "2 validation errors detected: ") {
			t.Errorf("message %q", msg)
		}
	})

	t.Run("body over the limit", func(t *testing.T) {
		t.Parallel()
		big := []byte(`{"requestedBy":"ENVIRONMENT_ACCOUNT","pad":"` + strings.Repeat("x", 8000) + `"}`)
		req := protoRequest(t, srv, protoTargetPrefix+"ListEnvironmentAccountConnections", big)
		protoSign(req, big, protoOpenKey, protoOpenSecret, "us-east-1", "proton", time.Now())
		r := protoDo(t, req)
		protoCheckRequestID(t, r)
		protoCheckError(t, r, http.StatusRequestEntityTooLarge, r.Header.Get("x-amzn-ErrorType"))
		if r.Header.Get("x-amzn-ErrorType") == "" {
			t.Errorf("with Content-Length: 413 without x-amzn-ErrorType: %v %s", r.Header, r.Body)
		}

		req = protoRequest(t, srv, protoTargetPrefix+"ListEnvironmentAccountConnections", nil)
		req.Body = io.NopCloser(protoChunked{bytes.NewReader(big)})
		req.ContentLength = -1
		protoSign(req, big, protoOpenKey, protoOpenSecret, "us-east-1", "proton", time.Now())
		r = protoDo(t, req)
		protoCheckRequestID(t, r)
		protoCheckError(t, r, http.StatusRequestEntityTooLarge, r.Header.Get("x-amzn-ErrorType"))
	})
}

// TestProtocolPlainHTTPSigV4 checks the signature verification of a sigv4
// server against a signer written independently of the server's.
func TestProtocolPlainHTTPSigV4(t *testing.T) {
	t.Parallel()
	srv := protoSigV4Server(t)
	body := []byte(`{"requestedBy":"ENVIRONMENT_ACCOUNT"}`)
	send := func(key, secret string, at time.Time, tamper bool) protoResponse {
		req := protoRequest(t, srv, protoTargetPrefix+"ListEnvironmentAccountConnections", body)
		protoSign(req, body, key, secret, "us-east-1", "proton", at)
		if tamper {
			changed := bytes.Replace(body, []byte("ENVIRONMENT"), []byte("MANAGEMENT"), 1)
			req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(changed)), int64(len(changed))
		}
		return protoDo(t, req)
	}
	if r := send(protoKeyA, protoSecretA, time.Now(), false); r.Status != http.StatusOK {
		t.Errorf("right secret: %d %s, want 200", r.Status, r.Body)
	}
	if r := send(protoKeyB, protoSecretB, time.Now().Add(-3*time.Minute), false); r.Status != http.StatusOK {
		t.Errorf("right secret, signed 3 minutes ago: %d %s, want 200", r.Status, r.Body)
	}
	protoCheckError(t, send(protoKeyA, protoSecretB, time.Now(), false), http.StatusForbidden, "InvalidSignatureException")
	protoCheckError(t, send(protoKeyA, protoSecretA, time.Now(), true), http.StatusForbidden, "InvalidSignatureException")
	protoCheckError(t, send(protoKeyA, protoSecretA, time.Now().Add(-10*time.Minute), false), http.StatusForbidden, "InvalidSignatureException")
	protoCheckError(t, send(protoKeyA, protoSecretA, time.Now().Add(10*time.Minute), false), http.StatusForbidden, "InvalidSignatureException")
	wrongService := protoRequest(t, srv, protoTargetPrefix+"ListEnvironmentAccountConnections", body)
	protoSign(wrongService, body, protoKeyA, protoSecretA, "us-east-1", "s3", time.Now())
	protoCheckError(t, protoDo(t, wrongService), http.StatusForbidden, "InvalidSignatureException")
	protoCheckError(t, send(protoUnknownKey, protoSecretA, time.Now(), false), http.StatusForbidden, "UnrecognizedClientException")
	protoCheckError(t, protoDo(t, protoRequest(t, srv, protoTargetPrefix+"ListEnvironmentAccountConnections", body)),
		http.StatusForbidden, "MissingAuthenticationTokenException")
}
