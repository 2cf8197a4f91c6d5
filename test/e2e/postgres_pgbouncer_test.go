package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/jackc/pgx/v5"
	"github.com/openproton/openproton/internal/store/storetest/pgtest"
)

// TestPostgresBehindPgBouncer follows the PgBouncer recipe of
// docs/postgres.md: two replicas share one database through PgBouncer in
// transaction mode, with search_path and default_transaction_isolation in
// ignore_startup_parameters and set on the role instead, and
// default_query_exec_mode=exec in the store URL. Client tokens, racing
// state changes, pages, a template registration and a deployment must work
// across the replicas as they do without PgBouncer. Without
// ignore_startup_parameters the server must not start, with PgBouncer's
// message.
func TestPostgresBehindPgBouncer(t *testing.T) {
	t.Parallel()
	requireTool(t, "pgbouncer", "apt-get install pgbouncer")
	admin, base := pgtest.Connect(t)
	ctx := context.Background()

	// A role of its own: the recipe sets search_path and the isolation
	// level on the role.
	var b [6]byte
	_, _ = rand.Read(b[:])
	role := "openproton_e2e_bouncer_" + hex.EncodeToString(b[:])
	quoted := pgx.Identifier{role}.Sanitize()
	if _, err := admin.Exec(ctx, "CREATE ROLE "+quoted+" LOGIN"); err != nil {
		t.Fatalf("create role: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, q := range []string{"DROP OWNED BY " + quoted, "DROP ROLE " + quoted} {
			if _, err := admin.Exec(ctx, q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	schema := pgtest.Schema(t, admin, "openproton_e2e_bouncer") // dropped before the role
	for _, q := range []string{
		"CREATE SCHEMA " + pgx.Identifier{schema}.Sanitize() + " AUTHORIZATION " + quoted,
		"ALTER ROLE " + quoted + " SET search_path = " + pgx.Identifier{schema}.Sanitize(),
		"ALTER ROLE " + quoted + " SET default_transaction_isolation = 'read committed'",
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	db, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	bouncer := pgbStart(t, db, role, "search_path, default_transaction_isolation")
	storeURL := fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable&default_query_exec_mode=exec&pool_max_conns=4", role, bouncer, strings.TrimPrefix(db.Path, "/"))
	bundles := t.TempDir()
	// Room for the list's connections whichever of accept and reject wins below.
	args := []string{"--store", storeURL, "--token-key", "openproton-e2e-pgbouncer-key", "--bundle-dir", bundles, "--provisioner-delay", "100ms",
		"--quota-environment-account-connections", "10"}
	srvA := connStartServer(t, args...)
	srvB := connStartServer(t, args...)
	t.Cleanup(func() { connNo5xx(t, srvA, srvB) })
	envAcct, mgmt := connAccount(), connAccount()
	ea, eb := connClient(srvA, envAcct, "us-east-1"), connClient(srvB, envAcct, "us-east-1")
	ma, mb := connClient(srvA, mgmt, "us-east-1"), connClient(srvB, mgmt, "us-east-1")

	// One client token through both replicas at once: one connection.
	in := &proton.CreateEnvironmentAccountConnectionInput{ManagementAccountId: aws.String(mgmt), EnvironmentName: aws.String("bounced"),
		RoleArn: connRole(envAcct, "r"), ClientToken: aws.String("pgbouncer-token")}
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			c := ea
			if i%2 == 1 {
				c = eb
			}
			out, err := c.CreateEnvironmentAccountConnection(connCtx(t), in)
			if err != nil {
				t.Errorf("create %d: %v", i, err)
				return
			}
			ids[i] = aws.ToString(out.EnvironmentAccountConnection.Id)
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("one client token made several connections through the two replicas: %v", ids)
		}
	}
	// Accept and reject racing through the two replicas: each is applied
	// to the state it read or refused as a conflict, so at least one wins;
	// both win when the accept commits before the reject reads. The
	// connection ends in the state of the last winner.
	var accepted, rejected error
	wg.Go(func() {
		_, accepted = ma.AcceptEnvironmentAccountConnection(connCtx(t), &proton.AcceptEnvironmentAccountConnectionInput{Id: aws.String(ids[0])})
	})
	wg.Go(func() {
		_, rejected = mb.RejectEnvironmentAccountConnection(connCtx(t), &proton.RejectEnvironmentAccountConnectionInput{Id: aws.String(ids[0])})
	})
	wg.Wait()
	var conflict *types.ConflictException
	for _, err := range []error{accepted, rejected} {
		if err != nil && !errors.As(err, &conflict) {
			t.Fatalf("racing accept and reject: accept %v, reject %v; want successes or conflicts", accepted, rejected)
		}
	}
	want := types.EnvironmentAccountConnectionStatusRejected
	switch {
	case accepted != nil && rejected != nil:
		t.Fatalf("racing accept and reject: both refused (accept %v, reject %v)", accepted, rejected)
	case rejected != nil:
		want = types.EnvironmentAccountConnectionStatusConnected
	}
	got, err := ma.GetEnvironmentAccountConnection(connCtx(t), &proton.GetEnvironmentAccountConnectionInput{Id: aws.String(ids[0])})
	if err != nil || got.EnvironmentAccountConnection.Status != want {
		t.Fatalf("after racing accept (%v) and reject (%v): %+v, %v; want %s", accepted, rejected, got, err, want)
	}

	// Pages of a list, read alternately from the two replicas.
	for i := range 5 {
		connCreate(t, ea, envAcct, mgmt, fmt.Sprintf("paged%d", i))
	}
	seen := map[string]bool{}
	var token *string
	for page := 0; ; page++ {
		c := ea
		if page%2 == 1 {
			c = eb
		}
		out, err := c.ListEnvironmentAccountConnections(connCtx(t), &proton.ListEnvironmentAccountConnectionsInput{
			RequestedBy: types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount, MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatalf("list page %d: %v", page, err)
		}
		for _, s := range out.EnvironmentAccountConnections {
			if seen[aws.ToString(s.Id)] {
				t.Fatalf("page %d repeats %s", page, aws.ToString(s.Id))
			}
			seen[aws.ToString(s.Id)] = true
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if len(seen) != 6 {
		t.Fatalf("the pages listed %d connections, want 6", len(seen))
	}

	// A template registered by the workers, and an environment deployed by
	// them, through the connection when it ended CONNECTED (the accept won
	// and no reject came after it).
	envPublishTemplate(t, ma, bundles, "tpl")
	create := &proton.CreateEnvironmentInput{Name: aws.String("bounced"), TemplateName: aws.String("tpl"), TemplateMajorVersion: aws.String("1"),
		Spec: aws.String("proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.9.0.0/16\"\n")}
	if want == types.EnvironmentAccountConnectionStatusConnected {
		create.EnvironmentAccountConnectionId = aws.String(ids[0])
	} else {
		create.ProtonServiceRoleArn = connRole(mgmt, "proton")
	}
	if _, err := mb.CreateEnvironment(connCtx(t), create); err != nil {
		t.Fatalf("CreateEnvironment: %v", err)
	}
	if env := envWaitTerminal(t, ma, "bounced", time.Minute); env.DeploymentStatus != types.DeploymentStatusSucceeded {
		t.Fatalf("deployment through PgBouncer ended %s: %s", env.DeploymentStatus, aws.ToString(env.DeploymentStatusMessage))
	}

	// Without ignore_startup_parameters, PgBouncer refuses the server's
	// connections, and the server says why at start.
	strict := pgbStart(t, db, role, "")
	bad := fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable&default_query_exec_mode=exec", role, strict, strings.TrimPrefix(db.Path, "/"))
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := exec.CommandContext(cctx, binary, "serve", "--listen", freeAddr(t), "--store", bad, "--token-key", "openproton-e2e-pgbouncer-key").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "unsupported startup parameter") {
		t.Fatalf("a server behind PgBouncer without ignore_startup_parameters: %v\n%s", err, out)
	}
}

// pgbStart runs PgBouncer in transaction mode in front of the database db
// names, for role (trusted, as the test server trusts local connections),
// ignoring the startup parameters ignore names. It returns its address and
// stops it when the test ends.
func pgbStart(t *testing.T, db *url.URL, role, ignore string) string {
	t.Helper()
	// PgBouncer refuses to run as root; as root it is started as postgres,
	// which must be able to read its files.
	dir, err := os.MkdirTemp("", "openproton-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	dbHost, dbPort := db.Hostname(), db.Port()
	if dbPort == "" {
		dbPort = "5432"
	}
	ini := fmt.Sprintf(`[databases]
%[1]s = host=%[2]s port=%[3]s dbname=%[1]s
[pgbouncer]
listen_addr = %[4]s
listen_port = %[5]s
unix_socket_dir =
auth_type = trust
auth_file = %[6]s
pool_mode = transaction
ignore_startup_parameters = %[7]s
`, strings.TrimPrefix(db.Path, "/"), dbHost, dbPort, host, port, filepath.Join(dir, "users.txt"), ignore)
	for name, content := range map[string]string{"pgbouncer.ini": ini, "users.txt": fmt.Sprintf("%q \"\"\n", role)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{filepath.Join(dir, "pgbouncer.ini")}
	if os.Geteuid() == 0 {
		args = append([]string{"-u", "postgres"}, args...)
	}
	cmd := exec.Command("pgbouncer", args...)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pgbouncer: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return addr
		}
		select {
		case <-exited:
			t.Fatalf("pgbouncer exited at start:\n%s", logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer does not listen on %s:\n%s", addr, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
