package e2e

// Two openproton replicas on one PostgreSQL schema, driven with the Go SDK:
// racing creates with one client token, racing accept and reject, the quota
// under racing creates, page tokens that cross replicas, and a replica
// crash in the middle of a write load. Every test gets a fresh schema that
// the replicas reach through search_path in the store URL, and drops it
// when it ends.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/aws/smithy-go"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/openproton/openproton/internal/store/storetest/pgtest"
)

const (
	replTokenKey    = "openproton-e2e-replicas-shared-key"
	replRegion      = "us-east-1"
	replManagement  = "900000000001"
	replCallTimeout = 15 * time.Second
)

// replCluster is two openproton processes serving one schema.
type replCluster struct {
	schema string
	admin  *pgxpool.Pool
	a, b   *Server
	// One transport per replica, so that the connections of a killed
	// replica can be dropped without touching the other's.
	transports [2]*http.Transport
}

// replStartCluster creates a fresh schema and starts two replicas on it
// with one token key and the given connection quota. The schema is dropped
// after both replicas have stopped.
func replStartCluster(t *testing.T, quota int) *replCluster {
	t.Helper()
	admin, schema, storeURL := pgStore(t, "openproton_e2e_repl")
	args := []string{
		"--store", storeURL,
		"--token-key", replTokenKey,
		"--quota-environment-account-connections", strconv.Itoa(quota),
	}
	c := &replCluster{schema: schema, admin: admin}
	// The replicas run under the race detector: two processes on one
	// database race in the database, each process also in itself.
	c.a = StartRaceServer(t, args...)
	c.b = StartRaceServer(t, args...)
	for i := range c.transports {
		c.transports[i] = &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 32, IdleConnTimeout: 30 * time.Second}
		tr := c.transports[i]
		t.Cleanup(tr.CloseIdleConnections)
	}

	// The migrations must have run in the test's schema, not in the
	// role's default one. The deadline starts only now: building the race
	// binary on a cold cache takes longer than any query may.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var tables int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename IN ('connections', 'schema_migrations')`, schema).Scan(&tables); err != nil {
		t.Fatalf("look up tables in %s: %v", schema, err)
	}
	if tables != 2 {
		t.Fatalf("the replicas did not migrate schema %s (search_path in the store URL): found %d of 2 tables", schema, tables)
	}
	return c
}

// pgStore names a fresh schema (dropped when the test ends, after the
// servers started later have stopped) and returns the admin pool, the
// schema and the --store URL whose search_path makes a server create and
// use it.
func pgStore(t testing.TB, prefix string) (admin *pgxpool.Pool, schema, storeURL string) {
	t.Helper()
	admin, base := pgtest.Connect(t)
	schema = pgtest.Schema(t, admin, prefix)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL for the end-to-end tests, got %q", pgtest.EnvURL, base)
	}
	q := u.Query()
	// pgx sends parameters it does not know as session parameters at
	// connection start, so every pooled connection of a server works in
	// the test's schema.
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return admin, schema, u.String()
}

// replServer returns replica 0 (A) or 1 (B).
func (c *replCluster) replServer(i int) *Server {
	if i == 0 {
		return c.a
	}
	return c.b
}

// replClient returns an SDK client that calls replica i as account, in
// replRegion, without retries.
func (c *replCluster) replClient(i int, account string) *proton.Client {
	return proton.New(proton.Options{
		Region:           replRegion,
		BaseEndpoint:     aws.String(c.replServer(i).URL),
		Credentials:      credentials.NewStaticCredentialsProvider(account, "openproton-test-secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: c.transports[i], Timeout: replCallTimeout},
	})
}

// replRows counts the connection rows of the cluster's schema, read
// directly from the database.
func (c *replCluster) replRows(t *testing.T) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	if err := c.admin.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{c.schema, "connections"}.Sanitize()).Scan(&n); err != nil {
		t.Fatalf("count connections in %s: %v", c.schema, err)
	}
	return n
}

// replLogs is both replicas' logs, for failure messages.
func (c *replCluster) replLogs() string {
	return "--- replica A log ---\n" + c.a.Logs() + "\n--- replica B log ---\n" + c.b.Logs()
}

// replAnswer is how a call ended: status 200 with no error, the HTTP status
// and error code of an error answer, or status 0 when no answer arrived.
type replAnswer struct {
	status int
	code   string
	err    error
}

func (a replAnswer) String() string {
	switch {
	case a.err == nil:
		return "200"
	case a.status == 0:
		return fmt.Sprintf("no answer (%v)", a.err)
	}
	return fmt.Sprintf("%d %s (%v)", a.status, a.code, a.err)
}

// replClassify turns an SDK result into a replAnswer.
func replClassify(err error) replAnswer {
	if err == nil {
		return replAnswer{status: http.StatusOK}
	}
	a := replAnswer{err: err}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		a.status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		a.code = ae.ErrorCode()
	}
	return a
}

// replCreateInput is a create from env to replManagement.
func replCreateInput(env, envName, token string) *proton.CreateEnvironmentAccountConnectionInput {
	return &proton.CreateEnvironmentAccountConnectionInput{
		ManagementAccountId: aws.String(replManagement),
		EnvironmentName:     aws.String(envName),
		RoleArn:             aws.String("arn:aws:iam::" + env + ":role/proton-environment"),
		ClientToken:         aws.String(token),
	}
}

// replCreate creates a connection and returns its id.
func replCreate(cl *proton.Client, env, envName, token string) (string, replAnswer) {
	c, a := replCreateConn(cl, env, envName, token)
	if a.err != nil {
		return "", a
	}
	return aws.ToString(c.Id), a
}

// replCreateConn creates a connection and returns it.
func replCreateConn(cl *proton.Client, env, envName, token string) (*types.EnvironmentAccountConnection, replAnswer) {
	ctx, cancel := context.WithTimeout(context.Background(), replCallTimeout)
	defer cancel()
	out, err := cl.CreateEnvironmentAccountConnection(ctx, replCreateInput(env, envName, token))
	if err != nil {
		return nil, replClassify(err)
	}
	return out.EnvironmentAccountConnection, replAnswer{status: http.StatusOK}
}

// replGet reads a connection.
func replGet(cl *proton.Client, id string) (*types.EnvironmentAccountConnection, replAnswer) {
	ctx, cancel := context.WithTimeout(context.Background(), replCallTimeout)
	defer cancel()
	out, err := cl.GetEnvironmentAccountConnection(ctx, &proton.GetEnvironmentAccountConnectionInput{Id: aws.String(id)})
	if err != nil {
		return nil, replClassify(err)
	}
	return out.EnvironmentAccountConnection, replAnswer{status: http.StatusOK}
}

// replListPage reads one page of a list.
func replListPage(cl *proton.Client, by types.EnvironmentAccountConnectionRequesterAccountType, maxResults int32, token *string, statuses ...types.EnvironmentAccountConnectionStatus) (*proton.ListEnvironmentAccountConnectionsOutput, replAnswer) {
	ctx, cancel := context.WithTimeout(context.Background(), replCallTimeout)
	defer cancel()
	in := &proton.ListEnvironmentAccountConnectionsInput{RequestedBy: by, NextToken: token, Statuses: statuses}
	if maxResults > 0 {
		in.MaxResults = aws.Int32(maxResults)
	}
	out, err := cl.ListEnvironmentAccountConnections(ctx, in)
	if err != nil {
		return nil, replClassify(err)
	}
	return out, replAnswer{status: http.StatusOK}
}

// replListAll reads every page of a list from one client.
func replListAll(t *testing.T, cl *proton.Client, by types.EnvironmentAccountConnectionRequesterAccountType, statuses ...types.EnvironmentAccountConnectionStatus) []types.EnvironmentAccountConnectionSummary {
	t.Helper()
	var all []types.EnvironmentAccountConnectionSummary
	var token *string
	for page := 0; ; page++ {
		if page == 1000 {
			t.Fatalf("list %s: more than 1000 pages", by)
		}
		out, ans := replListPage(cl, by, 0, token, statuses...)
		if ans.err != nil {
			t.Fatalf("list %s, page %d: %v", by, page+1, ans)
		}
		all = append(all, out.EnvironmentAccountConnections...)
		if out.NextToken == nil {
			return all
		}
		token = out.NextToken
	}
}

// replParallel runs fn(i) for i in [0, n) on a few workers.
func replParallel(n, workers int, fn func(i int)) {
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}
