package e2e

import (
	"database/sql"
	"fmt"
	"maps"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// raceEnv is one server built with the race detector, on one store, shared
// by the rounds of every scenario.
type raceEnv struct {
	srv  *Server
	db   *sql.DB
	mgmt string // the management account of every connection
}

func (e *raceEnv) client(account string) *proton.Client {
	return connClient(e.srv, account, "us-east-1")
}

// raceScenario is one race: each round makes fresh resources (in fresh
// environment accounts), releases many concurrent calls at them at once and
// checks every answer and the end state.
type raceScenario struct {
	name  string
	round func(t *testing.T, e *raceEnv, r int)
}

// raceScenarios are the races of docs/reliability.md: those the families
// declare (e2eFamilies), in their order.
func raceScenarios() []raceScenario {
	var out []raceScenario
	for _, f := range e2eFamilies {
		out = append(out, f.races...)
	}
	return out
}

// raceConnections are the races of connections.
var raceConnections = []raceScenario{
	{"accept, reject, update, tag and delete one connection", raceLifecycle(true)},
	{"accept, reject, update and tag one connection", raceLifecycle(false)},
	{"one client token from many clients", raceSameToken},
	{"the quota under concurrent creates", raceQuota},
	{"the tag limit under concurrent tags", raceTagLimit},
	{"tags racing a delete", raceTagsDelete},
}

// TestRaces runs every race scenario for OPENPROTON_RACE_ROUNDS rounds
// (default 6) on a server built with -race, on each store. A data race in
// the server fails the test when the server stops, as does a 5xx answer or
// a tag left behind by a deleted resource.
func TestRaces(t *testing.T) {
	t.Parallel()
	rounds := relKnob(t, "OPENPROTON_RACE_ROUNDS", 6)
	var total, calls atomic.Int64
	raceCommand := fmt.Sprintf("OPENPROTON_RACE_ROUNDS=%d scripts/reliability races", rounds)
	t.Cleanup(func() {
		relFigure(t, "race rounds run", total.Load(), raceCommand)
		relFigure(t, "racing calls made", calls.Load(), raceCommand)
	})
	for _, st := range relStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			args, spec := st.fresh(t)
			args = append(args, raceEnvArgs(t, t.TempDir())...)
			e := &raceEnv{srv: StartRaceServer(t, args...), db: storeDB(t, spec), mgmt: connAccount()}
			t.Cleanup(connHTTPClient.CloseIdleConnections) // before the server stops
			for _, sc := range raceScenarios() {
				t.Run(sc.name, func(t *testing.T) {
					for r := range rounds {
						sc.round(t, e, r)
						total.Add(1)
						if t.Failed() {
							t.Fatalf("round %d failed\n--- end of the server log ---\n%s", r, relTail(e.srv.Logs(), 40))
						}
					}
				})
			}
			if orphans := storeOrphanTags(t, e.db); len(orphans) > 0 {
				t.Errorf("tags of resources that do not exist: %s", strings.Join(orphans, ", "))
			}
			connNo5xx(t, e.srv)
			calls.Add(int64(raceCalls(e.srv)))
		})
	}
}

// raceCalls counts the requests the server answered.
func raceCalls(srv *Server) int {
	n := 0
	for _, line := range scanLines(srv.Logs()) {
		if connStatusAny.MatchString(line) {
			n++
		}
	}
	return n
}

// raceDo makes one call of kind on connection c: accept and reject as the
// management account, the rest as the environment account.
func raceDo(ce, cm *proton.Client, kind string, c *types.EnvironmentAccountConnection, i int) connAnswer {
	ctx, cancel := connCallCtx()
	defer cancel()
	a := connAnswer{op: kind}
	switch kind {
	case "accept":
		var out *proton.AcceptEnvironmentAccountConnectionOutput
		if out, a.err = cm.AcceptEnvironmentAccountConnection(ctx, &proton.AcceptEnvironmentAccountConnectionInput{Id: c.Id}); a.err == nil {
			a.conn = out.EnvironmentAccountConnection
		}
	case "reject":
		var out *proton.RejectEnvironmentAccountConnectionOutput
		if out, a.err = cm.RejectEnvironmentAccountConnection(ctx, &proton.RejectEnvironmentAccountConnectionInput{Id: c.Id}); a.err == nil {
			a.conn = out.EnvironmentAccountConnection
		}
	case "update":
		var out *proton.UpdateEnvironmentAccountConnectionOutput
		if out, a.err = ce.UpdateEnvironmentAccountConnection(ctx, &proton.UpdateEnvironmentAccountConnectionInput{
			Id: c.Id, RoleArn: connRole(aws.ToString(c.EnvironmentAccountId), fmt.Sprintf("rotated-%d", i)),
		}); a.err == nil {
			a.conn = out.EnvironmentAccountConnection
		}
	case "delete":
		var out *proton.DeleteEnvironmentAccountConnectionOutput
		if out, a.err = ce.DeleteEnvironmentAccountConnection(ctx, &proton.DeleteEnvironmentAccountConnectionInput{Id: c.Id}); a.err == nil {
			a.conn = out.EnvironmentAccountConnection
		}
	case "tag":
		_, a.err = ce.TagResource(ctx, &proton.TagResourceInput{ResourceArn: c.Arn, Tags: []types.Tag{{Key: aws.String(fmt.Sprintf("t%d", i)), Value: aws.String("v")}}})
	case "untag":
		_, a.err = ce.UntagResource(ctx, &proton.UntagResourceInput{ResourceArn: c.Arn, TagKeys: []string{"a", fmt.Sprintf("t%d", i-1)}})
	}
	a.code, a.status = connErr(a.err)
	return a
}

// raceFire makes the calls of kinds at c all at once.
func raceFire(ce, cm *proton.Client, c *types.EnvironmentAccountConnection, kinds []string) []connAnswer {
	answers := make([]connAnswer, len(kinds))
	connRace(len(kinds), func(i int) { answers[i] = raceDo(ce, cm, kinds[i], c, i) })
	return answers
}

func raceRepeat(kind string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = kind
	}
	return out
}

// raceLifecycle races accepts, rejects and role updates by the two parties,
// tag writes, and (with deletes) deletes at one PENDING connection. Every
// answer is a success or the modelled error of losing the race; every
// success shows a state the connection really passed through; the end state
// is one that the successful calls explain.
func raceLifecycle(withDelete bool) func(t *testing.T, e *raceEnv, r int) {
	return func(t *testing.T, e *raceEnv, r int) {
		env := connAccount()
		ce, cm := e.client(env), e.client(e.mgmt)
		c := connCreate(t, ce, env, e.mgmt, fmt.Sprintf("race%d", r), func(in *proton.CreateEnvironmentAccountConnectionInput) {
			in.Tags = []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}
		})
		kinds := append(append(append(raceRepeat("accept", 4), raceRepeat("reject", 4)...), raceRepeat("update", 3)...), raceRepeat("tag", 2)...)
		if withDelete {
			kinds = append(kinds, raceRepeat("delete", 3)...)
		}
		answers := raceFire(ce, cm, c, kinds)
		ok := map[string]int{}
		roles := map[string]bool{aws.ToString(c.RoleArn): true}
		var deleted *types.EnvironmentAccountConnection
		for _, a := range answers {
			if a.err != nil {
				lost := a.status == 409 && a.code == "ConflictException" && a.op != "tag" && a.op != "delete"
				gone := withDelete && a.status == 404 && a.code == "ResourceNotFoundException" && a.op != "delete"
				if !lost && !gone {
					t.Errorf("round %d: %s", r, a)
				}
				continue
			}
			ok[a.op]++
			switch a.op {
			case "accept":
				if a.conn.Status != types.EnvironmentAccountConnectionStatusConnected {
					t.Errorf("round %d: %s", r, a)
				}
			case "reject":
				if a.conn.Status != types.EnvironmentAccountConnectionStatusRejected {
					t.Errorf("round %d: %s", r, a)
				}
			case "update":
				roles[aws.ToString(a.conn.RoleArn)] = true
				if a.conn.Status == types.EnvironmentAccountConnectionStatusRejected {
					t.Errorf("round %d: an update succeeded on a REJECTED connection: %s", r, a)
				}
			case "delete":
				if a.conn != nil {
					if deleted != nil {
						t.Errorf("round %d: two deletes returned the connection", r)
					}
					deleted = a.conn
				}
			}
		}
		final := deleted
		if withDelete {
			if deleted == nil {
				t.Fatalf("round %d: no delete returned the connection", r)
			}
			for _, cl := range []*proton.Client{ce, cm} {
				_, err := cl.GetEnvironmentAccountConnection(connCtx(t), &proton.GetEnvironmentAccountConnectionInput{Id: c.Id})
				connWantErr(t, err, "ResourceNotFoundException", 404)
			}
		} else {
			final = connGet(t, cm, aws.ToString(c.Id))
			if fromE := connGet(t, ce, aws.ToString(c.Id)); !connSame(final, fromE) {
				t.Fatalf("round %d: the parties disagree:\n%s\n%s", r, connString(final), connString(fromE))
			}
			want := map[string]string{"a": "1"}
			for i, a := range answers {
				if a.op == "tag" && a.err == nil {
					want[fmt.Sprintf("t%d", i)] = "v"
				}
			}
			if got := connTags(t, ce, aws.ToString(c.Arn)); !maps.Equal(got, want) {
				t.Errorf("round %d: tags %v, want %v", r, got, want)
			}
		}
		if !roles[aws.ToString(final.RoleArn)] {
			t.Errorf("round %d: final role %s is neither the first one nor that of a successful update (%v)", r, aws.ToString(final.RoleArn), roles)
		}
		switch final.Status {
		case types.EnvironmentAccountConnectionStatusRejected:
			if ok["reject"] == 0 {
				t.Errorf("round %d: REJECTED but no reject succeeded", r)
			}
			// There is one transition into REJECTED and nothing changes a
			// REJECTED connection: every successful reject reports it.
			for _, a := range answers {
				if a.err == nil && a.op == "reject" && (a.conn.Status != final.Status || !aws.ToTime(a.conn.LastModifiedAt).Equal(aws.ToTime(final.LastModifiedAt))) {
					t.Errorf("round %d: %s disagrees with the final %s", r, a, connString(final))
				}
			}
		case types.EnvironmentAccountConnectionStatusConnected:
			if ok["reject"] > 0 || ok["accept"] == 0 {
				t.Errorf("round %d: CONNECTED after %d accepts and %d rejects succeeded", r, ok["accept"], ok["reject"])
			}
		case types.EnvironmentAccountConnectionStatusPending:
			if !withDelete || ok["accept"]+ok["reject"] > 0 {
				t.Errorf("round %d: PENDING after %d accepts and %d rejects succeeded", r, ok["accept"], ok["reject"])
			}
		}
		if t.Failed() {
			for _, a := range answers {
				t.Log(a)
			}
		}
	}
}

// raceSameToken races creates with one client token: exactly one
// connection results, every caller with the same parameters gets it, and
// (odd rounds) callers with other parameters get the mismatch error.
func raceSameToken(t *testing.T, e *raceEnv, r int) {
	const n = 12
	env := connAccount()
	ce := e.client(env)
	token := fmt.Sprintf("race-token-%d-%s", r, env)
	mixed := r%2 == 1
	answers := make([]connAnswer, n)
	connRace(n, func(i int) {
		ctx, cancel := connCallCtx()
		defer cancel()
		name := "same"
		if mixed && i%2 == 1 {
			name = "other"
		}
		out, err := ce.CreateEnvironmentAccountConnection(ctx, &proton.CreateEnvironmentAccountConnectionInput{
			ManagementAccountId: aws.String(e.mgmt), EnvironmentName: aws.String(name),
			RoleArn: connRole(env, "r"), ClientToken: aws.String(token),
		})
		a := connAnswer{op: "create", err: err}
		a.code, a.status = connErr(err)
		if err == nil {
			a.conn = out.EnvironmentAccountConnection
		}
		answers[i] = a
	})
	ids := map[string]bool{}
	for _, a := range answers {
		switch {
		case a.err == nil:
			ids[aws.ToString(a.conn.Id)] = true
		case mixed && a.code == "ValidationException" && a.status == 400:
		default:
			t.Errorf("round %d: %s", r, a)
		}
	}
	listed := connListIDs(t, ce, types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount)
	if len(ids) != 1 || len(listed) != 1 || !ids[listed[0]] {
		t.Fatalf("round %d: one token made connections %v, the list shows %v", r, ids, listed)
	}
	winner := connGet(t, ce, listed[0])
	for _, a := range answers {
		if a.err == nil && !connSame(a.conn, winner) {
			t.Errorf("round %d: answer %s differs from the stored %s", r, a, connString(winner))
		}
	}
}

// raceQuota races creates without tokens from one environment account:
// exactly the quota (5, the default) succeed, never more.
func raceQuota(t *testing.T, e *raceEnv, r int) {
	const n, quota = 12, 5
	env := connAccount()
	ce := e.client(env)
	answers := make([]connAnswer, n)
	connRace(n, func(i int) {
		ctx, cancel := connCallCtx()
		defer cancel()
		_, err := ce.CreateEnvironmentAccountConnection(ctx, &proton.CreateEnvironmentAccountConnectionInput{
			ManagementAccountId: aws.String(e.mgmt), EnvironmentName: aws.String(fmt.Sprintf("q%d", i)), RoleArn: connRole(env, "r"),
		})
		a := connAnswer{op: "create", err: err}
		a.code, a.status = connErr(err)
		answers[i] = a
	})
	ok := 0
	for _, a := range answers {
		switch {
		case a.err == nil:
			ok++
		case a.code == "ServiceQuotaExceededException" && a.status == 402:
		default:
			t.Errorf("round %d: %s", r, a)
		}
	}
	if listed := connListIDs(t, ce, types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount); ok != quota || len(listed) != quota {
		t.Errorf("round %d: %d creates succeeded and %d connections exist; the quota is %d", r, ok, len(listed), quota)
	}
}

// raceTagLimit races tag writes that each add one key to a connection with
// 45 tags: exactly five succeed, the others are refused, and the connection
// ends with the limit of 50.
func raceTagLimit(t *testing.T, e *raceEnv, r int) {
	env := connAccount()
	ce, cm := e.client(env), e.client(e.mgmt)
	c := connCreate(t, ce, env, e.mgmt, fmt.Sprintf("tags%d", r), func(in *proton.CreateEnvironmentAccountConnectionInput) {
		for i := range 45 {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(fmt.Sprintf("base%02d", i)), Value: aws.String("v")})
		}
	})
	answers := raceFire(ce, cm, c, raceRepeat("tag", 12))
	ok := 0
	for _, a := range answers {
		switch {
		case a.err == nil:
			ok++
		case a.code == "ValidationException" && a.status == 400:
		default:
			t.Errorf("round %d: %s", r, a)
		}
	}
	if n := len(connTags(t, ce, aws.ToString(c.Arn))); ok != 5 || n != 50 {
		t.Errorf("round %d: %d of 12 racing tag writes succeeded and the connection has %d tags; want 5 and the limit of 50", r, ok, n)
	}
}

// raceTagsDelete races tag writes and untags against a delete of their
// connection: whatever wins, no tag outlives the connection (the store is
// read directly, since the API hides tags of missing resources).
func raceTagsDelete(t *testing.T, e *raceEnv, r int) {
	env := connAccount()
	ce, cm := e.client(env), e.client(e.mgmt)
	c := connCreate(t, ce, env, e.mgmt, fmt.Sprintf("tagdel%d", r))
	kinds := append(raceRepeat("tag", 10), "untag", "untag", "delete")
	for _, a := range raceFire(ce, cm, c, kinds) {
		if a.err != nil && (a.op == "delete" || a.code != "ResourceNotFoundException" || a.status != 404) {
			t.Errorf("round %d: %s", r, a)
		}
	}
	_, err := ce.ListTagsForResource(connCtx(t), &proton.ListTagsForResourceInput{ResourceArn: c.Arn})
	connWantErr(t, err, "ResourceNotFoundException", 404)
	if orphans := storeOrphanTags(t, e.db); len(orphans) > 0 {
		t.Errorf("round %d: tags of resources that do not exist: %s", r, strings.Join(orphans, ", "))
	}
}
