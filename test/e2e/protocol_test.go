package e2e

// Protocol tests: the wire behaviour of a real openproton process as four
// real clients (boto3, the AWS CLI, @aws-sdk/client-proton and
// aws-sdk-go-v2) and plain HTTP see it, in open and sigv4 auth mode, plus
// the operability promises: access log, graceful shutdown, start-up
// configuration errors.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
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
	env, want := []string{"PROTO_AUTH=open"}, 9
	if mode == "sigv4" {
		env, want = protoSigV4Env(), 6
	}
	RunPython(t, srv, env, want, "python/test_protocol.py")
}

func protoRunJS(t *testing.T, srv *Server, mode string) {
	env, want := []string{"PROTO_AUTH=open"}, 6
	if mode == "sigv4" {
		env, want = protoSigV4Env(), 5
	}
	RunNode(t, srv, env, want, "js/protocol.test.mjs")
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

	stderr := protoCLIFails(t, srv, nil, "NotImplementedException", "get-repository", "--name", "my-org/my-repo", "--provider", "GITHUB")
	if !strings.Contains(stderr, "GetRepository") {
		t.Errorf("get-environment: the message does not name the operation:\n%s", stderr)
	}
	protoCLIFails(t, srv, nil, "NotImplementedException", "list-repositories")

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
		_, err := protoGoClient(t, srv, protoKeyA, protoSecretA, "us-east-1").GetRepository(ctx, &proton.GetRepositoryInput{Name: aws.String("my-org/my-repo"), Provider: types.RepositoryProviderGithub})
		protoGoAPIError(t, err, "NotImplementedException", http.StatusNotImplemented)
		_, err = protoGoClient(t, srv, protoKeyA, protoSecretB, "us-east-1").ListEnvironmentAccountConnections(ctx, listIn)
		protoGoAPIError(t, err, "InvalidSignatureException", http.StatusForbidden)
		_, err = protoGoClient(t, srv, protoUnknownKey, protoSecretA, "us-east-1").ListEnvironmentAccountConnections(ctx, listIn)
		protoGoAPIError(t, err, "UnrecognizedClientException", http.StatusForbidden)
		return
	}

	c := protoGoClient(t, srv, protoOpenKey, protoOpenSecret, "us-east-1")
	_, err := c.GetRepository(ctx, &proton.GetRepositoryInput{Name: aws.String("my-org/my-repo"), Provider: types.RepositoryProviderGithub})
	ae := protoGoAPIError(t, err, "NotImplementedException", http.StatusNotImplemented)
	if !strings.Contains(ae.ErrorMessage(), "GetRepository") {
		t.Errorf("the message does not name the operation: %q", ae.ErrorMessage())
	}
	var ve *types.ValidationException
	if errors.As(err, &ve) {
		t.Errorf("NotImplementedException decoded as a ValidationException")
	}
	_, err = c.ListRepositories(ctx, &proton.ListRepositoriesInput{})
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
