package e2e

// Protocol tests: the wire behaviour of a real openproton process as four
// real clients (boto3, the AWS CLI, @aws-sdk/client-proton and
// aws-sdk-go-v2) and plain HTTP see it, in open and sigv4 auth mode, plus
// the operability promises: access log, graceful shutdown, start-up
// configuration errors.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/aws/smithy-go"
)

// The two keys of the sigv4-mode credentials file, in two accounts.
const (
	protoKeyA     = "AKIAPROTOE2E0000000A"
	protoSecretA  = "proto/secret+A-0123456789"
	protoAccountA = "222222222222"
	protoKeyB     = "AKIAPROTOE2E0000000B"
	protoSecretB  = "proto-secret-B-9876543210"
	protoAccountB = "333333333333"
	// protoUnknownKey is in no credentials file.
	protoUnknownKey = "AKIAPROTOUNKNOWN0000"
	// protoRegionB is the region account B signs for, to show that the
	// credential scope names the caller's region.
	protoRegionB = "eu-west-1"
)

// The open-mode key and secret that clientEnv hands every client.
const (
	protoOpenKey    = "111111111111"
	protoOpenSecret = "openproton-test-secret"
)

const protoTargetPrefix = "AwsProton20200720."

const protoUUIDPattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

var protoUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// protoSigV4Server starts a server in sigv4 mode whose credentials file
// holds key A (account A) and key B (account B).
func protoSigV4Server(t *testing.T, args ...string) *Server {
	t.Helper()
	file := filepath.Join(t.TempDir(), "credentials.yaml")
	yaml := fmt.Sprintf(`credentials:
  - accessKeyId: %s
    secretAccessKey: %q
    accountId: "%s"
  - accessKeyId: %s
    secretAccessKey: %q
    accountId: "%s"
`, protoKeyA, protoSecretA, protoAccountA, protoKeyB, protoSecretB, protoAccountB)
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return StartServer(t, append([]string{"--auth", "sigv4", "--credentials", file}, args...)...)
}

// protoSigV4Env tells the Python and JavaScript suites which suite to run
// and which keys the server knows.
func protoSigV4Env() []string {
	return []string{
		"PROTO_AUTH=sigv4",
		"PROTO_KEY_A=" + protoKeyA, "PROTO_SECRET_A=" + protoSecretA, "PROTO_ACCOUNT_A=" + protoAccountA,
		"PROTO_KEY_B=" + protoKeyB, "PROTO_SECRET_B=" + protoSecretB, "PROTO_ACCOUNT_B=" + protoAccountB,
	}
}

// TestProtocolClients runs every client against its own server, once in
// open auth mode and once in sigv4 mode.
func TestProtocolClients(t *testing.T) {
	t.Parallel()
	clients := []struct {
		name string
		run  func(t *testing.T, srv *Server, mode string)
	}{
		{"boto3", protoRunBoto3},
		{"awscli", protoRunCLI},
		{"js", protoRunJS},
		{"gosdk", protoRunGoSDK},
	}
	for _, mode := range []string{"open", "sigv4"} {
		for _, c := range clients {
			t.Run(mode+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				var srv *Server
				if mode == "sigv4" {
					srv = protoSigV4Server(t)
				} else {
					srv = StartServer(t)
				}
				c.run(t, srv, mode)
				if mode == "sigv4" {
					protoCheckSigV4Log(t, srv)
				}
			})
		}
	}
}

// protoCheckSigV4Log checks that each client's sigv4 requests were logged
// with the account of their key and the region of their credential scope,
// and that the refused ones were logged with their error.
func protoCheckSigV4Log(t *testing.T, srv *Server) {
	t.Helper()
	for _, want := range []map[string]string{
		{"operation": "ListEnvironmentAccountConnections", "account": protoAccountA, "region": "us-east-1", "status": "200"},
		{"operation": "ListEnvironmentAccountConnections", "account": protoAccountB, "region": protoRegionB, "status": "200"},
		{"operation": "ListEnvironmentAccountConnections", "account": "", "status": "403", "error": "InvalidSignatureException"},
		{"operation": "ListEnvironmentAccountConnections", "account": "", "status": "403", "error": "UnrecognizedClientException"},
	} {
		protoWaitLogMatch(t, srv, want)
	}
}

// --- boto3 and JavaScript: their own test files ---

func protoRunBoto3(t *testing.T, srv *Server, mode string) {
	requireTool(t, "python3", "python3 with boto3")
	env, want := []string{"PROTO_AUTH=open"}, 9
	if mode == "sigv4" {
		env, want = protoSigV4Env(), 6
	}
	out := RunClient(t, srv, env, "python3", "-m", "unittest", "-v", "python/test_protocol.py")
	m := regexp.MustCompile(`(?m)^Ran (\d+) tests? in`).FindStringSubmatch(out)
	if m == nil || m[1] != strconv.Itoa(want) || !regexp.MustCompile(`(?m)^OK$`).MatchString(out) {
		t.Fatalf("want %d tests run and passed, none skipped:\n%s", want, out)
	}
}

func protoRunJS(t *testing.T, srv *Server, mode string) {
	requireTool(t, "node", "Node.js 18 or later")
	if _, err := os.Stat(filepath.Join(repoRoot(), "test", "e2e", "js", "node_modules", "@aws-sdk", "client-proton")); err != nil {
		t.Fatal("@aws-sdk/client-proton is not installed: run `npm ci` in test/e2e/js")
	}
	env, want := []string{"PROTO_AUTH=open"}, 6
	if mode == "sigv4" {
		env, want = protoSigV4Env(), 5
	}
	out := RunClient(t, srv, env, "node", "--test", "--test-reporter=tap", "js/protocol.test.mjs")
	for _, line := range []string{fmt.Sprintf("# pass %d", want), "# fail 0", "# skipped 0", "# cancelled 0"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(line) + `$`).MatchString(out) {
			t.Fatalf("want %q in the node test summary:\n%s", line, out)
		}
	}
}

// --- the AWS CLI ---

// protoCLI runs `aws proton ARGS` against srv and returns its stdout,
// stderr and exit code.
func protoCLI(t *testing.T, srv *Server, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args = append([]string{"proton", "--endpoint-url", srv.URL, "--output", "json"}, args...)
	cmd := exec.CommandContext(ctx, "aws", args...)
	cmd.Env = append(clientEnv(srv), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	return o.String(), e.String(), code
}

// protoCLIFails runs the CLI, expects it to fail with the error code in
// its message, and returns stderr.
func protoCLIFails(t *testing.T, srv *Server, env []string, code string, args ...string) string {
	t.Helper()
	stdout, stderr, exit := protoCLI(t, srv, env, args...)
	if exit == 0 {
		t.Fatalf("aws proton %s: exit 0, want an error %s\nstdout: %s", strings.Join(args, " "), code, stdout)
	}
	if !strings.Contains(stderr, "("+code+")") {
		t.Fatalf("aws proton %s: exit %d, want %s in stderr:\n%s", strings.Join(args, " "), exit, code, stderr)
	}
	return stderr
}

// protoCLIListsEmpty runs list-environment-account-connections and expects
// an empty list.
func protoCLIListsEmpty(t *testing.T, srv *Server, env []string) {
	t.Helper()
	stdout, stderr, exit := protoCLI(t, srv, env, "list-environment-account-connections", "--requested-by", "ENVIRONMENT_ACCOUNT")
	if exit != 0 {
		t.Fatalf("list-environment-account-connections: exit %d\n%s", exit, stderr)
	}
	var out struct {
		EnvironmentAccountConnections []any `json:"environmentAccountConnections"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || out.EnvironmentAccountConnections == nil || len(out.EnvironmentAccountConnections) != 0 {
		t.Fatalf("list-environment-account-connections: want an empty environmentAccountConnections, got %q (%v)", stdout, err)
	}
}

func protoRunCLI(t *testing.T, srv *Server, mode string) {
	requireTool(t, "aws", "pip install awscli")
	if mode == "sigv4" {
		keys := func(key, secret, region string) []string {
			return []string{"AWS_ACCESS_KEY_ID=" + key, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_DEFAULT_REGION=" + region, "AWS_REGION=" + region}
		}
		protoCLIListsEmpty(t, srv, keys(protoKeyA, protoSecretA, "us-east-1"))
		protoCLIListsEmpty(t, srv, keys(protoKeyB, protoSecretB, protoRegionB))
		protoCLIFails(t, srv, keys(protoKeyA, protoSecretB, "us-east-1"), "InvalidSignatureException",
			"list-environment-account-connections", "--requested-by", "ENVIRONMENT_ACCOUNT")
		protoCLIFails(t, srv, keys(protoUnknownKey, protoSecretA, "us-east-1"), "UnrecognizedClientException",
			"list-environment-account-connections", "--requested-by", "ENVIRONMENT_ACCOUNT")
		return
	}

	stderr := protoCLIFails(t, srv, nil, "NotImplementedException", "get-environment", "--name", "my-env")
	if !strings.Contains(stderr, "GetEnvironment") {
		t.Errorf("get-environment: the message does not name the operation:\n%s", stderr)
	}
	protoCLIFails(t, srv, nil, "NotImplementedException", "list-services")

	stderr = protoCLIFails(t, srv, nil, "ValidationException", "get-environment-account-connection", "--id", "not-a-uuid")
	want := "1 validation error detected: Value 'not-a-uuid' at 'id' failed to satisfy constraint: Member must satisfy regular expression pattern: " + protoUUIDPattern
	if !strings.Contains(stderr, want) {
		t.Errorf("get-environment-account-connection: want %q in:\n%s", want, stderr)
	}

	stderr = protoCLIFails(t, srv, nil, "ValidationException", "list-environment-account-connections",
		"--requested-by", "BAD", "--statuses", "NOPE", "PENDING", "GONE", "--environment-name", "bad name!")
	for _, want := range []string{
		"4 validation errors detected: ",
		"Value 'BAD' at 'requestedBy' failed to satisfy constraint: Member must satisfy enum value set: [MANAGEMENT_ACCOUNT, ENVIRONMENT_ACCOUNT]",
		"Value 'NOPE' at 'statuses.1.member' failed to satisfy constraint",
		"Value 'GONE' at 'statuses.3.member' failed to satisfy constraint",
		"Value 'bad name!' at 'environmentName' failed to satisfy constraint: Member must satisfy regular expression pattern",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("list-environment-account-connections: want %q in:\n%s", want, stderr)
		}
	}

	protoCLIListsEmpty(t, srv, nil)
}

// --- aws-sdk-go-v2 ---

// protoGoClient is a Proton client for srv with static credentials and no
// retries, so that every call is exactly one request.
func protoGoClient(t *testing.T, srv *Server, key, secret, region string) *proton.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(key, secret, "")),
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return proton.NewFromConfig(cfg, func(o *proton.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
	})
}

// protoGoAPIError checks that err is an API error with the code and HTTP
// status, and a request id.
func protoGoAPIError(t *testing.T, err error, code string, status int) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want API error %s, got %v (%T)", code, err, err)
	}
	if ae.ErrorCode() != code || ae.ErrorMessage() == "" {
		t.Errorf("want %s with a message, got %q: %q", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("no HTTP response in %v", err)
	}
	if re.HTTPStatusCode() != status {
		t.Errorf("%s: HTTP status %d, want %d", code, re.HTTPStatusCode(), status)
	}
	if !protoUUID.MatchString(re.ServiceRequestID()) {
		t.Errorf("%s: request id %q is not a UUID", code, re.ServiceRequestID())
	}
	return ae
}

// protoGoValidation checks that err is the typed ValidationException.
func protoGoValidation(t *testing.T, err error) string {
	t.Helper()
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Fatalf("want *types.ValidationException, got %v (%T)", err, err)
	}
	protoGoAPIError(t, err, "ValidationException", http.StatusBadRequest)
	return ve.ErrorMessage()
}

func protoGoListsEmpty(t *testing.T, c *proton.Client) {
	t.Helper()
	out, err := c.ListEnvironmentAccountConnections(context.Background(), &proton.ListEnvironmentAccountConnectionsInput{
		RequestedBy: types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount,
	})
	if err != nil {
		t.Fatalf("ListEnvironmentAccountConnections: %v", err)
	}
	if out.EnvironmentAccountConnections == nil || len(out.EnvironmentAccountConnections) != 0 || out.NextToken != nil {
		t.Fatalf("want an empty list, got %+v", out)
	}
}

func protoRunGoSDK(t *testing.T, srv *Server, mode string) {
	ctx := context.Background()
	listIn := &proton.ListEnvironmentAccountConnectionsInput{
		RequestedBy: types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount,
	}
	if mode == "sigv4" {
		protoGoListsEmpty(t, protoGoClient(t, srv, protoKeyA, protoSecretA, "us-east-1"))
		protoGoListsEmpty(t, protoGoClient(t, srv, protoKeyB, protoSecretB, protoRegionB))
		_, err := protoGoClient(t, srv, protoKeyA, protoSecretA, "us-east-1").GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String("my-env")})
		protoGoAPIError(t, err, "NotImplementedException", http.StatusNotImplemented)
		_, err = protoGoClient(t, srv, protoKeyA, protoSecretB, "us-east-1").ListEnvironmentAccountConnections(ctx, listIn)
		protoGoAPIError(t, err, "InvalidSignatureException", http.StatusForbidden)
		_, err = protoGoClient(t, srv, protoUnknownKey, protoSecretA, "us-east-1").ListEnvironmentAccountConnections(ctx, listIn)
		protoGoAPIError(t, err, "UnrecognizedClientException", http.StatusForbidden)
		return
	}

	c := protoGoClient(t, srv, protoOpenKey, protoOpenSecret, "us-east-1")
	_, err := c.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String("my-env")})
	ae := protoGoAPIError(t, err, "NotImplementedException", http.StatusNotImplemented)
	if !strings.Contains(ae.ErrorMessage(), "GetEnvironment") {
		t.Errorf("the message does not name the operation: %q", ae.ErrorMessage())
	}
	var ve *types.ValidationException
	if errors.As(err, &ve) {
		t.Errorf("NotImplementedException decoded as a ValidationException")
	}
	_, err = c.ListServices(ctx, &proton.ListServicesInput{})
	protoGoAPIError(t, err, "NotImplementedException", http.StatusNotImplemented)

	_, err = c.GetEnvironmentAccountConnection(ctx, &proton.GetEnvironmentAccountConnectionInput{Id: aws.String("not-a-uuid")})
	msg := protoGoValidation(t, err)
	if want := "1 validation error detected: Value 'not-a-uuid' at 'id' failed to satisfy constraint: Member must satisfy regular expression pattern: " + protoUUIDPattern; msg != want {
		t.Errorf("message\n got %q\nwant %q", msg, want)
	}

	_, err = c.ListEnvironmentAccountConnections(ctx, &proton.ListEnvironmentAccountConnectionsInput{RequestedBy: "BAD"})
	msg = protoGoValidation(t, err)
	if want := "1 validation error detected: Value 'BAD' at 'requestedBy' failed to satisfy constraint: Member must satisfy enum value set: [MANAGEMENT_ACCOUNT, ENVIRONMENT_ACCOUNT]"; msg != want {
		t.Errorf("message\n got %q\nwant %q", msg, want)
	}

	_, err = c.ListEnvironmentAccountConnections(ctx, &proton.ListEnvironmentAccountConnectionsInput{
		RequestedBy:     "BAD",
		MaxResults:      aws.Int32(-3),
		EnvironmentName: aws.String(strings.Repeat("e", 101)),
		Statuses:        []types.EnvironmentAccountConnectionStatus{"CONNECTED", "nope"},
	})
	msg = protoGoValidation(t, err)
	parts := strings.Split(strings.TrimPrefix(msg, "4 validation errors detected: "), "; ")
	if !strings.HasPrefix(msg, "4 validation errors detected: ") || len(parts) != 4 {
		t.Fatalf("want 4 violations in one message, got %q", msg)
	}
	for _, want := range []string{
		"Value 'BAD' at 'requestedBy' failed to satisfy constraint: Member must satisfy enum value set: [MANAGEMENT_ACCOUNT, ENVIRONMENT_ACCOUNT]",
		"Value '-3' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
		"Value '" + strings.Repeat("e", 101) + "' at 'environmentName' failed to satisfy constraint: Member must have length less than or equal to 100",
		"Value 'nope' at 'statuses.2.member' failed to satisfy constraint: Member must satisfy enum value set: [PENDING, CONNECTED, REJECTED]",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("want %q in %q", want, msg)
		}
	}

	protoGoListsEmpty(t, c)
}

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
		r := protoCall(t, srv, "GetEnvironment", `{"name":"my-env"}`)
		if msg := protoCheckError(t, r, http.StatusNotImplemented, "NotImplementedException"); !strings.Contains(msg, "GetEnvironment") {
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

// --- operability ---

// protoLogField is one key=value of a text log line.
var protoLogField = regexp.MustCompile(`([A-Za-z_.]+)=("(?:[^"\\]|\\.)*"|\S*)`)

// protoParseLog returns the fields of a text or JSON log line.
func protoParseLog(line string) map[string]string {
	m := map[string]string{}
	if strings.HasPrefix(line, "{") {
		var raw map[string]any
		if json.Unmarshal([]byte(line), &raw) == nil {
			for k, v := range raw {
				m[k] = fmt.Sprint(v)
			}
		}
		return m
	}
	for _, f := range protoLogField.FindAllStringSubmatch(line, -1) {
		v := f[2]
		if strings.HasPrefix(v, `"`) {
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
		}
		m[f[1]] = v
	}
	return m
}

// protoAccessLines returns the access-log lines of srv.
func protoAccessLines(srv *Server) []map[string]string {
	var out []map[string]string
	for _, line := range scanLines(srv.Logs()) {
		if f := protoParseLog(line); f["msg"] == "request" {
			out = append(out, f)
		}
	}
	return out
}

// protoWaitLogMatch waits until an access-log line has every field of
// want. The line is written once the response has gone out, so it may
// lag the client a little.
func protoWaitLogMatch(t *testing.T, srv *Server, want map[string]string) map[string]string {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
	lines:
		for _, f := range protoAccessLines(srv) {
			for k, v := range want {
				if f[k] != v {
					continue lines
				}
			}
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access-log line with %v in:\n%s", want, srv.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestProtocolAccessLog(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			srv := StartServer(t, "--log-format", format, "--default-account", "444444444444")
			type call struct {
				name string
				do   func() protoResponse
				want map[string]string
			}
			body := []byte(`{"requestedBy":"ENVIRONMENT_ACCOUNT"}`)
			signed := func(key, region, op string) func() protoResponse {
				return func() protoResponse {
					body := body
					if op == "GetEnvironment" {
						body = []byte(`{"name":"my-env"}`)
					}
					req := protoRequest(t, srv, protoTargetPrefix+op, body)
					protoSign(req, body, key, "any-secret", region, "proton", time.Now())
					return protoDo(t, req)
				}
			}
			calls := []call{
				{"success", signed("123456789012", "eu-central-1", "ListEnvironmentAccountConnections"),
					map[string]string{"operation": "ListEnvironmentAccountConnections", "account": "123456789012", "region": "eu-central-1", "status": "200"}},
				{"default account", signed("AKIANOTANACCOUNTID00", "ap-southeast-2", "ListEnvironmentAccountConnections"),
					map[string]string{"operation": "ListEnvironmentAccountConnections", "account": "444444444444", "region": "ap-southeast-2", "status": "200"}},
				{"not implemented", signed("123456789012", "us-west-2", "GetEnvironment"),
					map[string]string{"operation": "GetEnvironment", "account": "123456789012", "region": "us-west-2", "status": "501", "error": "NotImplementedException"}},
				{"unauthenticated", func() protoResponse {
					return protoDo(t, protoRequest(t, srv, protoTargetPrefix+"ListEnvironmentAccountConnections", body))
				}, map[string]string{"operation": "ListEnvironmentAccountConnections", "account": "", "region": "", "status": "403", "error": "MissingAuthenticationTokenException"}},
				{"health", func() protoResponse {
					req, _ := http.NewRequest(http.MethodGet, srv.URL+"/health", nil)
					return protoDo(t, req)
				}, map[string]string{"path": "/health", "status": "200"}},
			}
			var ids []string
			for _, c := range calls {
				r := c.do()
				id := protoCheckRequestID(t, r)
				ids = append(ids, id)
				want := map[string]string{"request_id": id}
				for k, v := range c.want {
					want[k] = v
				}
				f := protoWaitLogMatch(t, srv, want)
				if _, err := strconv.ParseFloat(f["latency_ms"], 64); err != nil {
					t.Errorf("%s: latency_ms %q is not a number", c.name, f["latency_ms"])
				}
			}
			// One line per request, and no two requests share an id.
			seen := map[string]int{}
			for _, f := range protoAccessLines(srv) {
				seen[f["request_id"]]++
			}
			for id, n := range seen {
				if n != 1 || id == "" {
					t.Errorf("request id %q is on %d access-log lines", id, n)
				}
			}
			if len(ids) != len(calls) {
				t.Errorf("%d request ids for %d requests", len(ids), len(calls))
			}
		})
	}
}

// TestProtocolShutdownDrains sends SIGTERM while a request is half sent:
// the server stops accepting connections, finishes that request, and
// exits 0.
func TestProtocolShutdownDrains(t *testing.T) {
	t.Parallel()
	srv := StartServer(t, "--shutdown-timeout", "20s")
	body := []byte(`{"requestedBy":"ENVIRONMENT_ACCOUNT"}`)
	req := protoRequest(t, srv, protoTargetPrefix+"ListEnvironmentAccountConnections", body)
	protoSign(req, body, protoOpenKey, protoOpenSecret, "us-east-1", "proton", time.Now())

	conn, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var head strings.Builder
	fmt.Fprintf(&head, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", srv.Addr, len(body))
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	head.WriteString("\r\n")
	if _, err := io.WriteString(conn, head.String()+string(body[:10])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let the server read the headers

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Once the listener is closed, new connections are refused.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", srv.Addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("still accepting connections 5s after SIGTERM:\n%s", srv.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-srv.done:
		srv.done <- err
		t.Fatalf("exited (%v) with a request in flight:\n%s", err, srv.Logs())
	case <-time.After(300 * time.Millisecond):
	}

	if _, err := conn.Write(body[10:]); err != nil {
		t.Fatalf("finish the request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read the response: %v\n%s", err, srv.Logs())
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(got, []byte("environmentAccountConnections")) {
		t.Errorf("in-flight request: %d %s, want 200", resp.StatusCode, got)
	}
	select {
	case err := <-srv.done:
		srv.done <- err
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want 0\n%s", err, srv.Logs())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("did not exit within 15s of finishing the last request:\n%s", srv.Logs())
	}
}

// TestProtocolInvalidConfig runs `openproton serve` with bad settings: it
// must exit non-zero at once with one line that names the setting.
func TestProtocolInvalidConfig(t *testing.T) {
	t.Parallel()
	badCreds := filepath.Join(t.TempDir(), "bad-credentials.yaml")
	if err := os.WriteFile(badCreds, []byte("credentials:\n  - accessKeyId: AKIAX\n    secretAccessKey: s\n    accountId: \"12\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		env  []string
		want []string // every one appears in the message
	}{
		{"auth", []string{"--auth", "bogus"}, nil, []string{"--auth", "bogus"}},
		{"auth from the environment", nil, []string{"OPENPROTON_AUTH=bogus"}, []string{"OPENPROTON_AUTH", "bogus"}},
		{"default account", []string{"--default-account", "12"}, nil, []string{"--default-account", "12"}},
		{"store", []string{"--store", "nope:"}, nil, []string{"--store", "nope:"}},
		{"empty sqlite path", []string{"--store", "sqlite:"}, nil, []string{"--store"}},
		{"sigv4 without credentials", []string{"--auth", "sigv4"}, nil, []string{"--credentials"}},
		{"missing credentials file", []string{"--auth", "sigv4", "--credentials", "/nonexistent/openproton-credentials.yaml"}, nil, []string{"credentials", "/nonexistent/openproton-credentials.yaml"}},
		{"bad credentials entry", []string{"--auth", "sigv4", "--credentials", badCreds}, nil, []string{badCreds, "accountId"}},
		{"max body bytes", []string{"--max-body-bytes", "10"}, nil, []string{"--max-body-bytes"}},
		{"log format", []string{"--log-format", "xml"}, nil, []string{"--log-format"}},
		{"listen", []string{"--listen", "nowhere"}, nil, []string{"--listen"}},
		{"unknown flag", []string{"--no-such-flag"}, nil, []string{"no-such-flag"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"serve"}, c.args...)
			if !strings.Contains(strings.Join(c.args, " "), "--listen") {
				args = append(args, "--listen", "127.0.0.1:0")
			}
			if !strings.Contains(strings.Join(c.args, " "), "--store") {
				args = append(args, "--store", "memory")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, args...)
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "OPENPROTON_") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, c.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("openproton %s did not exit: it started with an invalid setting\n%s", strings.Join(args, " "), stderr.String())
			}
			if err == nil {
				t.Fatalf("openproton %s exited 0", strings.Join(args, " "))
			}
			msg := strings.TrimSpace(stderr.String())
			if strings.Contains(msg, "\n") || msg == "" {
				t.Errorf("want one line on stderr, got:\n%s", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not name %q", msg, w)
				}
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
		})
	}
}
