package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/sqlstore"
	"github.com/openproton/openproton/internal/store/storetest/pgtest"
)

// testDB is one test's access to PostgreSQL (see pgtest): the URL stores
// open, and an administration pool.
type testDB struct {
	url   string
	admin *pgxpool.Pool
}

// newTestDB connects to the test server; an unreachable one fails the test.
func newTestDB(t *testing.T) *testDB {
	t.Helper()
	admin, url := pgtest.Connect(t)
	return &testDB{url: url, admin: admin}
}

// newSchema names a fresh schema, dropped when t ends; Open creates it.
func (d *testDB) newSchema(t *testing.T) string {
	t.Helper()
	return pgtest.Schema(t, d.admin, "openproton_test")
}

// open opens a Store on schema and closes it when t ends.
func (d *testDB) open(t *testing.T, schema string) *Store {
	t.Helper()
	return d.openWith(t, d.url, Options{Schema: schema})
}

func (d *testDB) openWith(t *testing.T, url string, opts Options) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, url, opts)
	if err != nil {
		t.Fatalf("Open(schema %q): %v", opts.Schema, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// errLinkRefused is what linkConnected reports when the connection is not
// CONNECTED by the time its row lock is granted.
var errLinkRefused = errors.New("connection is not CONNECTED")

// linkConnected links an environment the way the environment code must: in
// one transaction, the connection row read FOR SHARE and checked, then the
// environment written. It is the other half of the reject race.
func linkConnected(ctx context.Context, s *Store, account, region, name, connID string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var status string
		if err := tx.QueryRow(ctx, `SELECT status FROM connections WHERE region = $1 AND id = $2 FOR SHARE`,
			region, connID).Scan(&status); err != nil {
			return err
		}
		if status != string(store.StatusConnected) {
			return errLinkRefused
		}
		_, err := tx.Exec(ctx, `INSERT INTO environments (account, region, name, environment_account_connection_id)
			VALUES ($1, $2, $3, $4)`, account, region, name, connID)
		return err
	})
}

// conn returns a PENDING connection of environment account 111111111111
// towards 222222222222 in us-east-1, requested at minute n of a fixed day.
func conn(n int) store.Connection {
	at := time.Date(2024, time.March, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute)
	return store.Connection{
		ID:                   fmt.Sprintf("00000000-0000-4000-8000-%012x", n),
		Region:               "us-east-1",
		EnvironmentAccountID: "111111111111",
		ManagementAccountID:  "222222222222",
		EnvironmentName:      "dev",
		RoleArn:              "arn:aws:iam::111111111111:role/proton",
		Status:               store.StatusPending,
		RequestedAt:          at,
		LastModifiedAt:       at,
	}
}

func arnOf(c store.Connection) string {
	return "arn:aws:proton:" + c.Region + ":" + c.EnvironmentAccountID + ":environment-account-connection/" + c.ID
}

func createParams(c store.Connection, quota int) store.CreateConnectionParams {
	return store.CreateConnectionParams{Connection: c, ARN: arnOf(c), Quota: quota, Now: c.RequestedAt}
}

func TestRoundTrip(t *testing.T) {
	d := newTestDB(t)
	s := d.open(t, d.newSchema(t))
	ctx := t.Context()

	want := conn(1)
	want.RequestedAt = want.RequestedAt.Add(1234 * time.Microsecond) // below a millisecond is dropped
	p := createParams(want, 5)
	p.Tags = []store.Tag{{Key: "b", Value: "1"}, {Key: "a", Value: "x"}, {Key: "b", Value: "2"}}
	got, replayed, err := s.CreateConnection(ctx, p)
	if err != nil || replayed {
		t.Fatalf("CreateConnection: %v, replayed=%v", err, replayed)
	}
	want.RequestedAt = want.RequestedAt.Truncate(time.Millisecond)
	if got != want {
		t.Fatalf("created\n got %+v\nwant %+v", got, want)
	}
	if got.RequestedAt.Location() != time.UTC {
		t.Fatalf("RequestedAt in %v, want UTC", got.RequestedAt.Location())
	}
	read, err := s.GetConnection(ctx, want.Region, want.ID)
	if err != nil || read != want {
		t.Fatalf("GetConnection = %+v, %v", read, err)
	}
	tags, err := s.ListTags(ctx, arnOf(want))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(tags) != "[{a x} {b 2}]" {
		t.Fatalf("tags = %v, want the last value of a repeated key, ordered by key", tags)
	}
	if _, err := s.GetConnection(ctx, "eu-west-1", want.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetConnection in another region: %v, want ErrNotFound", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// TestQueryTimeout checks that a call waiting on a lock gives up at its
// deadline instead of holding the request forever.
func TestQueryTimeout(t *testing.T) {
	d := newTestDB(t)
	schema := d.newSchema(t)
	d.open(t, schema) // migrate
	s := d.openWith(t, d.url, Options{Schema: schema, QueryTimeout: 300 * time.Millisecond})
	ctx := t.Context()

	c := conn(1)
	blocker, err := d.admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = blocker.Rollback(context.Background()) }()
	if _, err := blocker.Exec(ctx, "SELECT pg_advisory_xact_lock($1::int4, $2::int4)",
		int32(sqlstore.LockConnectionCreate), lockKey(c.EnvironmentAccountID, c.Region)); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	_, _, err = s.CreateConnection(ctx, createParams(c, 5))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CreateConnection behind a held lock: %v, want a deadline error", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("CreateConnection gave up after %v", took)
	}
	_ = blocker.Rollback(ctx)

	// The pool recovers: the next call gets a working connection.
	if _, _, err := s.CreateConnection(ctx, createParams(c, 5)); err != nil {
		t.Fatalf("CreateConnection after the lock is released: %v", err)
	}
}
