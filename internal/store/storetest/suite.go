package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/sqlstore"
)

// Harness adapts one store implementation to the suite.
type Harness struct {
	// Open returns a new, empty store. The suite closes it.
	Open func(t *testing.T) store.Store
	// Reopen, if set, closes s and opens the same database again; the
	// durability subtests are skipped without it.
	Reopen func(t *testing.T, s store.Store) store.Store
}

// group is a group of subtests.
type group struct {
	name string
	run  func(*testing.T, Harness)
}

// familySuite is the tests of one family of the store.
type familySuite struct {
	family string
	groups []group
}

// suites are the tests of every family of the store (sqlstore.Families).
var suites = []familySuite{
	{"account", []group{{"AccountSettings", testEnvSettings}}},
	{"components", []group{{"Components", testComponents}}},
	{"connections", []group{{"CreateConnection", testCreate}, {"Idempotency", testIdempotency}, {"Quota", testQuota},
		{"TransitionConnection", testTransition}, {"UpdateConnectionRoles", testUpdateRoles}, {"DeleteConnection", testDelete},
		{"ListConnections", testList}, {"Tags", testTags}, {"Purge", testPurge}, {"Concurrency", testConcurrency},
		{"Durability", testDurability}}},
	{"deployments", []group{{"CompleteDeployment", testEnvComplete}, {"Jobs", testJobs}, {"History", testEnvHistory}}},
	{"environments", []group{{"CreateEnvironment", testEnvCreate}, {"UpdateEnvironment", testEnvUpdate},
		{"EnvironmentsConcurrency", testEnvConcurrency}}},
	{"services", []group{{"Services", testServices}}},
	{"templates", []group{{"Templates", testTemplates}, {"VersionCreate", testVersionCreate}, {"VersionTokens", testVersionTokens},
		{"VersionUpdate", testVersionUpdate}, {"VersionDelete", testVersionDelete}, {"VersionList", testVersionList},
		{"Registration", testRegistration}, {"TemplatesConcurrency", testTemplatesConcurrency},
		{"TemplatesDurability", testTemplatesDurability}}},
}

// Run runs the conformance suite of every family against the
// implementation behind h. A family of the store without a suite fails it.
func Run(t *testing.T, h Harness) {
	if h.Open == nil {
		t.Fatal("storetest: Harness.Open is required")
	}
	for _, f := range sqlstore.Families() {
		if !slices.ContainsFunc(suites, func(s familySuite) bool { return s.family == f.Name }) {
			t.Errorf("storetest: the store family %s has no suite (register its tests in suites)", f.Name)
		}
	}
	for _, s := range suites {
		t.Run(s.family, func(t *testing.T) {
			for _, g := range s.groups {
				t.Run(g.name, func(t *testing.T) { g.run(t, h) })
			}
		})
	}
}

// Accounts, regions and the operation name used throughout. Two regions and
// three accounts are enough to tell every scope apart.
const (
	regionA = "us-east-1"
	regionB = "eu-west-1"
	acctE   = "111111111111" // environment account of most connections
	acctM   = "222222222222" // management account of most connections
	acctX   = "333333333333" // a third party
	// party to nothing
	acctStranger = "999999999999"
	opCreate     = "CreateEnvironmentAccountConnection"
	bigQuota     = 1000
)

// at is the suite's clock: minute m after a fixed instant, so that runs are
// reproducible and times are already at millisecond precision.
func at(m int) time.Time {
	return time.Date(2024, time.March, 1, 9, 30, 0, 0, time.UTC).Add(time.Duration(m) * time.Minute)
}

// uid formats n as a lower-case UUID, like the ids the server generates. The
// fixed width makes byte order equal numeric order, so expected list orders
// are easy to state.
func uid(n int) string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", n)
}

func arnOf(c store.Connection) string {
	return "arn:aws:proton:" + c.Region + ":" + c.EnvironmentAccountID + ":environment-account-connection/" + c.ID
}

// suite is the state of one subtest: a fresh store and an id counter.
type suite struct {
	t   *testing.T
	h   Harness
	s   store.Store
	ctx context.Context
	seq int
	// envs makes the environments that link makes.
	envs *esuite
}

// run runs fn as a subtest named name, with a fresh store of its own, in
// parallel with the others.
func run(t *testing.T, h Harness, name string, fn func(x *suite)) {
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		x := &suite{t: t, h: h, ctx: t.Context()}
		x.s = h.Open(t)
		t.Cleanup(func() {
			// Reopen replaces x.s, so only the latest store is still open.
			if err := x.s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		fn(x)
	})
}

func (x *suite) reopen() {
	x.t.Helper()
	x.s = x.h.Reopen(x.t, x.s)
}

// link makes environment name use connection c (CONNECTED, of management
// account acctM), through the store: an environment of acctM linked to c,
// on a freshly published environment template version.
func (x *suite) link(name string, c store.Connection) {
	x.t.Helper()
	if x.envs == nil {
		x.envs = &esuite{t: x.t, h: x.h, s: x.s, ctx: x.ctx, seq: 500}
	}
	x.envs.s = x.s
	x.envs.addLinked(name, x.envs.publishVersion(true), c)
}

// newConn returns a PENDING connection of acctE towards acctM in regionA
// with a fresh id, requested at a fresh minute, changed by mods.
func (x *suite) newConn(mods ...func(*store.Connection)) store.Connection {
	x.seq++
	c := store.Connection{
		ID:                   uid(x.seq),
		Region:               regionA,
		EnvironmentAccountID: acctE,
		ManagementAccountID:  acctM,
		EnvironmentName:      "dev",
		RoleArn:              "arn:aws:iam::" + acctE + ":role/proton-environment",
		Status:               store.StatusPending,
		RequestedAt:          at(x.seq),
		LastModifiedAt:       at(x.seq),
	}
	for _, m := range mods {
		m(&c)
	}
	return c
}

func (x *suite) params(c store.Connection) store.CreateConnectionParams {
	return store.CreateConnectionParams{Connection: c, ARN: arnOf(c), Quota: bigQuota, Now: c.RequestedAt}
}

// mustCreate creates a connection that must be new.
func (x *suite) mustCreate(p store.CreateConnectionParams) store.Connection {
	x.t.Helper()
	got, replayed, err := x.s.CreateConnection(x.ctx, p)
	if err != nil {
		x.t.Fatalf("CreateConnection(%s): %v", p.Connection.ID, err)
	}
	if replayed {
		x.t.Fatalf("CreateConnection(%s): replayed = true for a new connection", p.Connection.ID)
	}
	x.checkConn("CreateConnection", got, p.Connection)
	return got
}

// add creates a connection built by newConn.
func (x *suite) add(mods ...func(*store.Connection)) store.Connection {
	x.t.Helper()
	return x.mustCreate(x.params(x.newConn(mods...)))
}

func (x *suite) get(region, id string) store.Connection {
	x.t.Helper()
	c, err := x.s.GetConnection(x.ctx, region, id)
	if err != nil {
		x.t.Fatalf("GetConnection(%s, %s): %v", region, id, err)
	}
	return c
}

func (x *suite) wantGone(region, id string) {
	x.t.Helper()
	_, err := x.s.GetConnection(x.ctx, region, id)
	wantErr(x.t, "GetConnection", err, store.ErrNotFound)
}

func (x *suite) transition(id string, to store.ConnectionStatus, from []store.ConnectionStatus, now time.Time) (store.Connection, error) {
	return x.s.TransitionConnection(x.ctx, store.TransitionParams{Region: regionA, ID: id, From: from, To: to, Now: now})
}

func (x *suite) mustTransition(id string, to store.ConnectionStatus, now time.Time) store.Connection {
	x.t.Helper()
	c, err := x.transition(id, to, []store.ConnectionStatus{store.StatusPending, store.StatusConnected, store.StatusRejected}, now)
	if err != nil {
		x.t.Fatalf("TransitionConnection(%s → %s): %v", id, to, err)
	}
	return c
}

func (x *suite) mustDelete(c store.Connection, now time.Time) store.Connection {
	x.t.Helper()
	got, err := x.s.DeleteConnection(x.ctx, c.Region, c.ID, arnOf(c), now)
	if err != nil {
		x.t.Fatalf("DeleteConnection(%s): %v", c.ID, err)
	}
	return got
}

func (x *suite) list(q store.ListConnectionsQuery) []store.Connection {
	x.t.Helper()
	cs, err := x.s.ListConnections(x.ctx, q)
	if err != nil {
		x.t.Fatalf("ListConnections(%+v): %v", q, err)
	}
	return cs
}

// listAll lists every connection of account in region in role, in one page.
func (x *suite) listAll(region, account string, role store.ConnectionRole) []store.Connection {
	x.t.Helper()
	return x.list(store.ListConnectionsQuery{Region: region, Account: account, Role: role, Limit: bigQuota})
}

func (x *suite) tags(arn string) []store.Tag {
	x.t.Helper()
	tags, err := x.s.ListTags(x.ctx, arn)
	if err != nil {
		x.t.Fatalf("ListTags(%s): %v", arn, err)
	}
	return tags
}

func (x *suite) wantTags(arn string, want ...store.Tag) {
	x.t.Helper()
	got := x.tags(arn)
	if len(got) != len(want) {
		x.t.Fatalf("ListTags(%s) = %v, want %v", arn, got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			x.t.Fatalf("ListTags(%s) = %v, want %v (ordered by key, byte order)", arn, got, want)
		}
	}
}

// checkConn compares a returned connection with the one the suite expects:
// times are compared as instants at millisecond precision, whatever their
// location.
func (x *suite) checkConn(what string, got, want store.Connection) {
	x.t.Helper()
	if d := connDiff(got, want); d != "" {
		x.t.Fatalf("%s: connection %s differs: %s\n got: %+v\nwant: %+v", what, want.ID, d, got, want)
	}
}

func connDiff(got, want store.Connection) string {
	strs := []struct{ name, got, want string }{
		{"ID", got.ID, want.ID},
		{"Region", got.Region, want.Region},
		{"EnvironmentAccountID", got.EnvironmentAccountID, want.EnvironmentAccountID},
		{"ManagementAccountID", got.ManagementAccountID, want.ManagementAccountID},
		{"EnvironmentName", got.EnvironmentName, want.EnvironmentName},
		{"RoleArn", got.RoleArn, want.RoleArn},
		{"CodebuildRoleArn", got.CodebuildRoleArn, want.CodebuildRoleArn},
		{"ComponentRoleArn", got.ComponentRoleArn, want.ComponentRoleArn},
		{"Status", string(got.Status), string(want.Status)},
	}
	for _, f := range strs {
		if f.got != f.want {
			return fmt.Sprintf("%s = %q, want %q", f.name, f.got, f.want)
		}
	}
	times := []struct {
		name      string
		got, want time.Time
	}{
		{"RequestedAt", got.RequestedAt, want.RequestedAt},
		{"LastModifiedAt", got.LastModifiedAt, want.LastModifiedAt},
	}
	for _, f := range times {
		if w := f.want.Truncate(time.Millisecond); !f.got.Equal(w) {
			return fmt.Sprintf("%s = %s, want %s (millisecond precision)", f.name, f.got.UTC().Format(time.RFC3339Nano), w.UTC().Format(time.RFC3339Nano))
		}
	}
	return ""
}

// ids returns the ids of cs, in order.
func ids(cs []store.Connection) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func wantIDs(t *testing.T, what string, cs []store.Connection, want ...string) {
	t.Helper()
	got := ids(cs)
	if len(got) != len(want) {
		t.Fatalf("%s: ids = %v, want %v", what, got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: ids = %v, want %v", what, got, want)
		}
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

func statuses(s ...store.ConnectionStatus) []store.ConnectionStatus { return s }
