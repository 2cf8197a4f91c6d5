package connections

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/pagetoken"
	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/sqlite"
)

var (
	envAcct   = auth.Caller{Account: "111111111111", Region: "us-east-1", Partition: "aws"}
	mgmtAcct  = auth.Caller{Account: "222222222222", Region: "us-east-1", Partition: "aws"}
	otherAcct = auth.Caller{Account: "333333333333", Region: "us-east-1", Partition: "aws"}
	role      = "arn:aws:iam::111111111111:role/proton"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newService(t *testing.T, quota int) (*Service, *fakeClock, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "openproton.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pages, _ := pagetoken.New(pagetoken.NewRandomKey())
	clock := &fakeClock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	return New(st, pages, Options{Quota: quota, Now: clock.Now}), clock, path
}

func wantCode(t *testing.T, err error, code fault.Code) {
	t.Helper()
	if !fault.Is(err, code) {
		t.Fatalf("error = %v, want %s", err, code)
	}
}

func create(t *testing.T, s *Service, caller auth.Caller, env, token string) store.Connection {
	t.Helper()
	c, err := s.Create(context.Background(), caller, CreateInput{ManagementAccountID: mgmtAcct.Account, EnvironmentName: env, RoleArn: role, ClientToken: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLifecycleAndParties(t *testing.T) {
	ctx := context.Background()
	s, clock, _ := newService(t, 5)
	c := create(t, s, envAcct, "env", "")
	if c.Status != store.StatusPending || !c.RequestedAt.Equal(c.LastModifiedAt) || ARN(c) != "arn:aws:proton:us-east-1:111111111111:environment-account-connection/"+c.ID {
		t.Fatalf("created %+v (%s)", c, ARN(c))
	}
	for _, who := range []auth.Caller{envAcct, mgmtAcct} {
		if _, err := s.Get(ctx, who, c.ID); err != nil {
			t.Fatalf("Get by %s: %v", who.Account, err)
		}
	}
	_, err := s.Get(ctx, otherAcct, c.ID)
	wantCode(t, err, fault.NotFound)
	_, err = s.Accept(ctx, otherAcct, c.ID)
	wantCode(t, err, fault.NotFound)
	_, err = s.Accept(ctx, envAcct, c.ID)
	wantCode(t, err, fault.AccessDenied)
	_, err = s.Reject(ctx, envAcct, c.ID)
	wantCode(t, err, fault.AccessDenied)
	_, err = s.Update(ctx, mgmtAcct, c.ID, UpdateInput{})
	wantCode(t, err, fault.AccessDenied)
	_, _, err = s.Delete(ctx, mgmtAcct, c.ID)
	wantCode(t, err, fault.AccessDenied)
	eu := envAcct
	eu.Region = "eu-west-1"
	_, err = s.Get(ctx, eu, c.ID)
	wantCode(t, err, fault.NotFound)

	clock.Add(time.Second)
	acc, err := s.Accept(ctx, mgmtAcct, c.ID)
	if err != nil || acc.Status != store.StatusConnected || !acc.LastModifiedAt.After(c.LastModifiedAt) {
		t.Fatalf("accept: %+v %v", acc, err)
	}
	again, err := s.Accept(ctx, mgmtAcct, c.ID)
	if err != nil || again != acc {
		t.Fatalf("second accept changed the connection: %+v %v", again, err)
	}
	clock.Add(time.Second)
	newRole := "arn:aws:iam::111111111111:role/other"
	upd, err := s.Update(ctx, envAcct, c.ID, UpdateInput{ComponentRoleArn: &newRole})
	if err != nil || upd.Status != store.StatusConnected || upd.ComponentRoleArn != newRole || upd.RoleArn != role || !upd.LastModifiedAt.After(acc.LastModifiedAt) {
		t.Fatalf("update: %+v %v", upd, err)
	}
	rej, err := s.Reject(ctx, mgmtAcct, c.ID)
	if err != nil || rej.Status != store.StatusRejected {
		t.Fatalf("reject: %+v %v", rej, err)
	}
	if again, err := s.Reject(ctx, mgmtAcct, c.ID); err != nil || again != rej {
		t.Fatalf("second reject: %+v %v", again, err)
	}
	_, err = s.Accept(ctx, mgmtAcct, c.ID)
	wantCode(t, err, fault.Conflict)
	_, err = s.Update(ctx, envAcct, c.ID, UpdateInput{RoleArn: &newRole})
	wantCode(t, err, fault.Conflict)
}

func TestCreateRules(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t, 2)
	_, err := s.Create(ctx, envAcct, CreateInput{ManagementAccountID: mgmtAcct.Account, EnvironmentName: "e"})
	wantCode(t, err, fault.Validation)
	_, err = s.Create(ctx, envAcct, CreateInput{ManagementAccountID: envAcct.Account, EnvironmentName: "e", RoleArn: role})
	wantCode(t, err, fault.Validation)
	_, err = s.Create(ctx, envAcct, CreateInput{ManagementAccountID: mgmtAcct.Account, EnvironmentName: "e", CodebuildRoleArn: role, Tags: []store.Tag{{Key: "aws:x", Value: "v"}}})
	wantCode(t, err, fault.Validation)
	a := create(t, s, envAcct, "e", "")
	create(t, s, envAcct, "e", "")
	_, err = s.Create(ctx, envAcct, CreateInput{ManagementAccountID: mgmtAcct.Account, EnvironmentName: "e", RoleArn: role})
	wantCode(t, err, fault.QuotaExceeded)
	if _, err := s.Reject(ctx, mgmtAcct, a.ID); err != nil {
		t.Fatal(err)
	}
	create(t, s, envAcct, "e", "") // REJECTED ones do not count
}

func TestClientTokens(t *testing.T) {
	ctx := context.Background()
	s, clock, _ := newService(t, 5)
	a := create(t, s, envAcct, "e", "tok")
	if _, err := s.Accept(ctx, mgmtAcct, a.ID); err != nil {
		t.Fatal(err)
	}
	b := create(t, s, envAcct, "e", "tok")
	if b.ID != a.ID || b.Status != store.StatusConnected {
		t.Fatalf("replay returned %+v, want %s as it is now", b, a.ID)
	}
	_, err := s.Create(ctx, envAcct, CreateInput{ManagementAccountID: mgmtAcct.Account, EnvironmentName: "other", RoleArn: role, ClientToken: "tok"})
	wantCode(t, err, fault.Validation)
	if err.(*fault.Error).Message != "Idempotent parameter mismatch" {
		t.Fatalf("message %q", err.(*fault.Error).Message)
	}
	if c := create(t, s, envAcct, "e", "TOK"); c.ID == a.ID {
		t.Fatal("tokens must be compared as exact strings")
	}
	clock.Add(8*time.Hour + time.Second)
	if c := create(t, s, envAcct, "e", "tok"); c.ID == a.ID {
		t.Fatal("an expired token replayed")
	}
}

func TestIdempotentDelete(t *testing.T) {
	ctx := context.Background()
	s, clock, _ := newService(t, 5)
	c := create(t, s, envAcct, "e", "")
	got, deleted, err := s.Delete(ctx, envAcct, c.ID)
	if err != nil || !deleted || got.ID != c.ID {
		t.Fatalf("delete: %+v %v %v", got, deleted, err)
	}
	if _, deleted, err := s.Delete(ctx, envAcct, c.ID); err != nil || deleted {
		t.Fatalf("second delete: %v %v", deleted, err)
	}
	_, _, err = s.Delete(ctx, mgmtAcct, c.ID)
	wantCode(t, err, fault.AccessDenied)
	_, _, err = s.Delete(ctx, otherAcct, c.ID)
	wantCode(t, err, fault.NotFound)
	clock.Add(8*time.Hour + time.Second)
	_, _, err = s.Delete(ctx, envAcct, c.ID)
	wantCode(t, err, fault.NotFound)
	_, _, err = s.Delete(ctx, envAcct, "0f0e0d0c-0b0a-4908-8706-050403020100")
	wantCode(t, err, fault.NotFound)
}

func TestListPagingAndTokens(t *testing.T) {
	ctx := context.Background()
	s, clock, _ := newService(t, 100)
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, create(t, s, envAcct, fmt.Sprintf("e%d", i%2), "").ID)
		if i%3 == 0 {
			clock.Add(time.Millisecond)
		}
	}
	in := ListInput{RequestedBy: "MANAGEMENT_ACCOUNT", MaxResults: 3}
	var seen []string
	for page := 0; ; page++ {
		rows, next, err := s.List(ctx, mgmtAcct, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			seen = append(seen, r.ID)
		}
		if next == "" {
			break
		}
		if page == 0 {
			create(t, s, envAcct, "late", "") // arrives mid-listing, sorts last
		}
		in.NextToken = next
	}
	if len(seen) != 8 {
		t.Fatalf("saw %d connections, want 8", len(seen))
	}
	count := map[string]int{}
	for _, id := range seen {
		count[id]++
	}
	for _, id := range ids {
		if count[id] != 1 {
			t.Fatalf("connection %s listed %d times", id, count[id])
		}
	}
	rows, _, err := s.List(ctx, envAcct, ListInput{RequestedBy: "ENVIRONMENT_ACCOUNT", EnvironmentName: "e1", Statuses: []string{"PENDING"}})
	if err != nil || len(rows) != 3 {
		t.Fatalf("filtered list: %d rows, %v", len(rows), err)
	}
	if rows, _, _ := s.List(ctx, envAcct, ListInput{RequestedBy: "MANAGEMENT_ACCOUNT"}); len(rows) != 0 {
		t.Fatalf("E listed %d connections as a management account", len(rows))
	}
	_, next, _ := s.List(ctx, mgmtAcct, ListInput{RequestedBy: "MANAGEMENT_ACCOUNT", MaxResults: 1})
	_, _, err = s.List(ctx, mgmtAcct, ListInput{RequestedBy: "MANAGEMENT_ACCOUNT", Statuses: []string{"REJECTED"}, NextToken: next})
	wantCode(t, err, fault.Validation)
	_, _, err = s.List(ctx, otherAcct, ListInput{RequestedBy: "MANAGEMENT_ACCOUNT", NextToken: next})
	wantCode(t, err, fault.Validation)
	_, _, err = s.List(ctx, mgmtAcct, ListInput{RequestedBy: "MANAGEMENT_ACCOUNT", NextToken: "AAAA" + next[4:]})
	wantCode(t, err, fault.Validation)
}

func TestRejectWhileAnEnvironmentUsesTheConnection(t *testing.T) {
	ctx := context.Background()
	s, _, path := newService(t, 5)
	c := create(t, s, envAcct, "payments", "")
	if _, err := s.Accept(ctx, mgmtAcct, c.ID); err != nil {
		t.Fatal(err)
	}
	// Environments are not a store family yet: link one directly in the file.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO environments (account, region, name, environment_account_connection_id) VALUES (?, ?, ?, ?)`,
		mgmtAcct.Account, "us-east-1", "payments", c.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.Reject(ctx, mgmtAcct, c.ID)
	wantCode(t, err, fault.Conflict)
	if e := err.(*fault.Error); !strings.Contains(e.Message, "payments") {
		t.Fatalf("message %q does not name the environment", e.Message)
	}
	if _, deleted, err := s.Delete(ctx, envAcct, c.ID); err != nil || !deleted {
		t.Fatalf("delete of a connection in use: %v %v", deleted, err)
	}
}

func TestRacingAcceptAndReject(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t, 100)
	for round := 0; round < 20; round++ {
		c := create(t, s, envAcct, "e", "")
		var wg sync.WaitGroup
		var mu sync.Mutex
		results := map[string]int{}
		for i := 0; i < 8; i++ {
			for _, op := range []string{"accept", "reject"} {
				wg.Add(1)
				go func(op string) {
					defer wg.Done()
					var err error
					if op == "accept" {
						_, err = s.Accept(ctx, mgmtAcct, c.ID)
					} else {
						_, err = s.Reject(ctx, mgmtAcct, c.ID)
					}
					key := op + ":ok"
					if err != nil {
						if !fault.Is(err, fault.Conflict) {
							t.Errorf("%s: %v", op, err)
						}
						key = op + ":conflict"
					}
					mu.Lock()
					results[key]++
					mu.Unlock()
				}(op)
			}
		}
		wg.Wait()
		final, err := s.Get(ctx, mgmtAcct, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if results["reject:ok"] > 0 && final.Status != store.StatusRejected {
			t.Fatalf("round %d: a reject succeeded but the connection is %s (%v)", round, final.Status, results)
		}
		if final.Status == store.StatusConnected && results["accept:ok"] == 0 {
			t.Fatalf("round %d: CONNECTED although no accept succeeded (%v)", round, results)
		}
		if final.Status == store.StatusPending {
			t.Fatalf("round %d: still PENDING after %v", round, results)
		}
	}
}
