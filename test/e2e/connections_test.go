package e2e

// End-to-end tests of environment account connections (the cross-account
// handshake): the boto3, AWS CLI and JavaScript SDK suites run as client
// programs against real servers; the Go SDK, concurrency and durability tests
// live in go_sdk_connections_test.go, connections_race_test.go and
// connections_durability_test.go. Helpers here are shared by those files.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/aws/smithy-go"
)

// connQuota is the connection quota of the second server that the client
// suites use for their quota tests.
const connQuota = 3

// connServers starts the server the client suites use and a second one with
// a lower connection quota, and returns the environment that points the
// suites' quota tests at the second.
func connServers(t *testing.T) (*Server, *Server, []string) {
	t.Helper()
	srv := StartServer(t)
	quota := StartServer(t, "--quota-environment-account-connections", fmt.Sprint(connQuota))
	return srv, quota, []string{
		"PYTHONDONTWRITEBYTECODE=1",
		"OPENPROTON_QUOTA_ENDPOINT=" + quota.URL,
		fmt.Sprintf("OPENPROTON_QUOTA=%d", connQuota),
	}
}

var (
	connStatusAny = regexp.MustCompile(`\bstatus=\d{3}\b`)
	connStatus5xx = regexp.MustCompile(`\bstatus=5\d\d\b`)
)

// connNo5xx fails the test if the server answered any request with a 5xx:
// client mistakes and races must never look like server faults. It reads the
// access log of the server's current process.
func connNo5xx(t *testing.T, srvs ...*Server) {
	t.Helper()
	for _, s := range srvs {
		answered := 0
		for _, line := range scanLines(s.Logs()) {
			if connStatusAny.MatchString(line) {
				answered++
			}
			if connStatus5xx.MatchString(line) {
				t.Errorf("server answered with a 5xx: %s", line)
			}
		}
		if answered == 0 {
			t.Errorf("no access log lines with a status in the server's output; cannot check for 5xx answers")
		}
	}
}

// connLogRun records a client suite's output in the test log when -v is given.
func connLogRun(t *testing.T, out string) {
	if testing.Verbose() {
		t.Log(out)
	}
}

// TestConnectionsBoto3 runs python/test_connections.py: every rule of the
// handshake through boto3.
func TestConnectionsBoto3(t *testing.T) {
	t.Parallel()
	srv, quota, env := connServers(t)
	out := RunPython(t, srv, env, 14, "python/test_connections.py")
	connLogRun(t, out)
	connNo5xx(t, srv, quota)
}

// TestConnectionsCLI runs python/test_connections_cli.py: the same rules
// through the AWS CLI (`aws proton ...`).
func TestConnectionsCLI(t *testing.T) {
	t.Parallel()
	srv, quota, env := connServers(t)
	// The classes are independent (every test draws its own accounts), so
	// they share the servers and run side by side.
	// The number of tests of each class.
	classes := map[string]int{"CLILifecycle": 2, "CLIQuotaAndTokens": 2, "CLIList": 2, "CLITags": 1, "CLIInvalidInput": 1}
	for class, tests := range classes {
		t.Run(class, func(t *testing.T) {
			t.Parallel()
			out := RunPython(t, srv, env, tests, "python.test_connections_cli."+class)
			connLogRun(t, out)
		})
	}
	t.Cleanup(func() { connNo5xx(t, srv, quota) })
}

// TestConnectionsJS runs js/connections.test.mjs: the smoke path through
// @aws-sdk/client-proton.
func TestConnectionsJS(t *testing.T) {
	t.Parallel()
	srv := StartServer(t)
	out := RunNode(t, srv, nil, 1, "js/connections.test.mjs")
	connLogRun(t, out)
	connNo5xx(t, srv)
}

// connHTTPClient is shared by every Go SDK client of these tests; its pool is
// large enough for the concurrency tests.
var connHTTPClient = &http.Client{
	Timeout:   20 * time.Second,
	Transport: wholeBodies{&http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}},
}

// connStartServer starts a server for the Go SDK tests. Before the server is
// stopped, the clients' idle connections are closed: the server's graceful
// shutdown otherwise waits for connections that were opened but never used.
func connStartServer(t *testing.T, args ...string) *Server {
	t.Helper()
	srv := StartServer(t, args...)
	t.Cleanup(connHTTPClient.CloseIdleConnections) // runs before the server's own cleanup
	return srv
}

// connClient is a Go SDK client acting as account in region, with retries
// off so that every answer of the server is seen as it is.
func connClient(srv *Server, account, region string) *proton.Client {
	return proton.New(proton.Options{
		BaseEndpoint: aws.String(srv.URL),
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(account, "openproton-test-secret", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   connHTTPClient,
	})
}

// connRole is an IAM role ARN in account.
func connRole(account, name string) *string {
	return aws.String("arn:aws:iam::" + account + ":role/" + name)
}

var (
	connAccountBase = 100_000_000_000 + rand.Int64N(800_000_000_000)
	connAccountSeq  atomic.Int64
)

// connAccount returns an account id that no other Go test of this package
// uses: tests on a shared server never see each other's connections.
func connAccount() string {
	return fmt.Sprintf("%012d", connAccountBase+connAccountSeq.Add(1))
}

// connErr returns the error code and HTTP status of an SDK error ("" and 0
// when err is nil, and "" for errors that never reached the server).
func connErr(err error) (string, int) {
	if err == nil {
		return "", 0
	}
	code, status := "", 0
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

// connWantErr fails unless err is the modelled exception code with its
// HTTP status and a message; it returns the message.
func connWantErr(t *testing.T, err error, code string, status int) string {
	t.Helper()
	gotCode, gotStatus := connErr(err)
	if gotCode != code || gotStatus != status {
		t.Fatalf("want %s (HTTP %d), got %s (HTTP %d): %v", code, status, gotCode, gotStatus, err)
	}
	var ae smithy.APIError
	errors.As(err, &ae)
	if ae.ErrorMessage() == "" {
		t.Fatalf("%s without a message", code)
	}
	return ae.ErrorMessage()
}

// connCreate creates a connection from c's account to m and fails on error.
func connCreate(t *testing.T, c *proton.Client, envAccount, m, name string, mod ...func(*proton.CreateEnvironmentAccountConnectionInput)) *types.EnvironmentAccountConnection {
	t.Helper()
	in := &proton.CreateEnvironmentAccountConnectionInput{
		ManagementAccountId: aws.String(m),
		EnvironmentName:     aws.String(name),
		RoleArn:             connRole(envAccount, "proton-service-role"),
	}
	for _, f := range mod {
		f(in)
	}
	out, err := c.CreateEnvironmentAccountConnection(connCtx(t), in)
	if err != nil {
		t.Fatalf("create connection %s -> %s: %v", envAccount, m, err)
	}
	return out.EnvironmentAccountConnection
}

// connGet reads a connection and fails on error.
func connGet(t *testing.T, c *proton.Client, id string) *types.EnvironmentAccountConnection {
	t.Helper()
	out, err := c.GetEnvironmentAccountConnection(connCtx(t), &proton.GetEnvironmentAccountConnectionInput{Id: aws.String(id)})
	if err != nil {
		t.Fatalf("get connection %s: %v", id, err)
	}
	return out.EnvironmentAccountConnection
}

// connListIDs lists every connection c's account sees in one role, page by
// page, and returns their ids in order.
func connListIDs(t *testing.T, c *proton.Client, by types.EnvironmentAccountConnectionRequesterAccountType) []string {
	t.Helper()
	var ids []string
	p := proton.NewListEnvironmentAccountConnectionsPaginator(c, &proton.ListEnvironmentAccountConnectionsInput{RequestedBy: by})
	for p.HasMorePages() {
		page, err := p.NextPage(connCtx(t))
		if err != nil {
			t.Fatalf("list connections: %v", err)
		}
		for _, s := range page.EnvironmentAccountConnections {
			ids = append(ids, aws.ToString(s.Id))
		}
	}
	return ids
}

// connOrder returns the ids of conns in list order: requestedAt, then id.
func connOrder(conns ...*types.EnvironmentAccountConnection) []string {
	sorted := slices.Clone(conns)
	slices.SortFunc(sorted, func(a, b *types.EnvironmentAccountConnection) int {
		if c := aws.ToTime(a.RequestedAt).Compare(aws.ToTime(b.RequestedAt)); c != 0 {
			return c
		}
		return strings.Compare(aws.ToString(a.Id), aws.ToString(b.Id))
	})
	ids := make([]string, len(sorted))
	for i, c := range sorted {
		ids[i] = aws.ToString(c.Id)
	}
	return ids
}

// connTags returns a resource's tags as a map.
func connTags(t *testing.T, c *proton.Client, arn string) map[string]string {
	t.Helper()
	out, err := c.ListTagsForResource(connCtx(t), &proton.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("list tags of %s: %v", arn, err)
	}
	m := map[string]string{}
	for _, tag := range out.Tags {
		m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return m
}

// connCtx bounds one call.
func connCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// connSame reports whether two connections are equal in every member.
func connSame(a, b *types.EnvironmentAccountConnection) bool {
	return connString(a) == connString(b)
}

func connString(c *types.EnvironmentAccountConnection) string {
	if c == nil {
		return "<nil>"
	}
	return strings.Join([]string{
		aws.ToString(c.Id), aws.ToString(c.Arn), string(c.Status),
		aws.ToString(c.EnvironmentAccountId), aws.ToString(c.ManagementAccountId), aws.ToString(c.EnvironmentName),
		aws.ToString(c.RoleArn), aws.ToString(c.CodebuildRoleArn), aws.ToString(c.ComponentRoleArn),
		aws.ToTime(c.RequestedAt).UTC().Format(time.RFC3339Nano), aws.ToTime(c.LastModifiedAt).UTC().Format(time.RFC3339Nano),
	}, " ")
}
