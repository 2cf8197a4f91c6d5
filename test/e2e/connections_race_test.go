package e2e

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// connAnswer is one call's outcome in a race.
type connAnswer struct {
	op     string // "accept", "reject", "create"
	err    error
	code   string
	status int
	conn   *types.EnvironmentAccountConnection
}

func (a connAnswer) String() string {
	if a.err == nil {
		return fmt.Sprintf("%s: 200 %s", a.op, connString(a.conn))
	}
	return fmt.Sprintf("%s: %d %s (%v)", a.op, a.status, a.code, a.err)
}

// connRace runs fn(i) for i in [0,n) in goroutines released together, and
// waits for all of them.
func connRace(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

func connCallCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// TestConnectionsConcurrentAcceptReject fires accepts, rejects and role
// updates at one PENDING connection at once, many times over. Every round
// must end in one state that every answer agrees with, and no call may get a
// 5xx.
func TestConnectionsConcurrentAcceptReject(t *testing.T) {
	t.Parallel()
	rounds, each, updates := 30, 8, 4
	if testing.Short() {
		rounds = 8
	}
	srv := connStartServer(t)
	m := connAccount()
	cm := connClient(srv, m, "us-east-1")
	outcomes := map[string]int{}
	for r := range rounds {
		e := connAccount() // a fresh environment account per round keeps the quota out of the way
		ce := connClient(srv, e, "us-east-1")
		c := connCreate(t, ce, e, m, fmt.Sprintf("race%d", r))
		answers := make([]connAnswer, 2*each+updates)
		connRace(len(answers), func(i int) {
			ctx, cancel := connCallCtx()
			defer cancel()
			var a connAnswer
			switch {
			case i >= 2*each:
				a.op = "update"
				var out *proton.UpdateEnvironmentAccountConnectionOutput
				out, a.err = ce.UpdateEnvironmentAccountConnection(ctx, &proton.UpdateEnvironmentAccountConnectionInput{
					Id: c.Id, RoleArn: connRole(e, fmt.Sprintf("rotated-%d", i)),
				})
				if a.err == nil {
					a.conn = out.EnvironmentAccountConnection
				}
			case i%2 == 1:
				a.op = "reject"
				var out *proton.RejectEnvironmentAccountConnectionOutput
				out, a.err = cm.RejectEnvironmentAccountConnection(ctx, &proton.RejectEnvironmentAccountConnectionInput{Id: c.Id})
				if a.err == nil {
					a.conn = out.EnvironmentAccountConnection
				}
			default:
				a.op = "accept"
				var out *proton.AcceptEnvironmentAccountConnectionOutput
				out, a.err = cm.AcceptEnvironmentAccountConnection(ctx, &proton.AcceptEnvironmentAccountConnectionInput{Id: c.Id})
				if a.err == nil {
					a.conn = out.EnvironmentAccountConnection
				}
			}
			a.code, a.status = connErr(a.err)
			answers[i] = a
		})

		final := connGet(t, cm, aws.ToString(c.Id))
		if fromE := connGet(t, ce, aws.ToString(c.Id)); !connSame(final, fromE) {
			t.Fatalf("round %d: the parties disagree:\n%s\n%s", r, connString(final), connString(fromE))
		}
		ok := map[string]int{}
		roles := map[string]bool{}
		for _, a := range answers {
			if a.err != nil {
				if a.code != "ConflictException" || a.status != 409 {
					t.Errorf("round %d: want 200 or ConflictException, got %s", r, a)
				}
				continue
			}
			ok[a.op]++
			if a.conn == nil || aws.ToString(a.conn.Id) != aws.ToString(c.Id) {
				t.Errorf("round %d: %s", r, a)
				continue
			}
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
			}
		}
		if ok["update"] == 0 && aws.ToString(final.RoleArn) != aws.ToString(c.RoleArn) ||
			ok["update"] > 0 && !roles[aws.ToString(final.RoleArn)] {
			t.Errorf("round %d: final role %s is not the one of a successful update (%v)", r, aws.ToString(final.RoleArn), roles)
		}
		switch final.Status {
		case types.EnvironmentAccountConnectionStatusRejected:
			if ok["reject"] == 0 {
				t.Errorf("round %d: REJECTED but no reject succeeded", r)
			}
		case types.EnvironmentAccountConnectionStatusConnected:
			if ok["reject"] > 0 {
				t.Errorf("round %d: %d rejects succeeded but the connection is CONNECTED", r, ok["reject"])
			}
			if ok["accept"] == 0 {
				t.Errorf("round %d: CONNECTED but no accept succeeded", r)
			}
		default:
			t.Errorf("round %d: final state %s", r, connString(final))
		}
		// There is exactly one transition into REJECTED and nothing changes a
		// REJECTED connection, so every reject reports that transition.
		if final.Status == types.EnvironmentAccountConnectionStatusRejected {
			for _, a := range answers {
				if a.err == nil && a.op == "reject" && !connSame(a.conn, final) {
					t.Errorf("round %d: answer %s disagrees with the final state %s", r, a, connString(final))
				}
			}
		}
		outcomes[string(final.Status)]++
		if t.Failed() {
			for _, a := range answers {
				t.Log(a)
			}
			break
		}
	}
	t.Logf("outcomes over %d rounds: %v", rounds, outcomes)
	connNo5xx(t, srv)
}

// TestConnectionsConcurrentDelete races deletes of one connection by its
// environment account against accepts by its management account: exactly
// one delete returns the connection, the others succeed empty, and an accept
// either happened before the delete or finds nothing.
func TestConnectionsConcurrentDelete(t *testing.T) {
	t.Parallel()
	srv := connStartServer(t)
	m := connAccount()
	cm := connClient(srv, m, "us-east-1")
	for r := range 10 {
		e := connAccount()
		ce := connClient(srv, e, "us-east-1")
		c := connCreate(t, ce, e, m, fmt.Sprintf("del%d", r))
		answers := make([]connAnswer, 12)
		connRace(len(answers), func(i int) {
			ctx, cancel := connCallCtx()
			defer cancel()
			var a connAnswer
			if i%3 == 2 {
				a.op = "accept"
				var out *proton.AcceptEnvironmentAccountConnectionOutput
				out, a.err = cm.AcceptEnvironmentAccountConnection(ctx, &proton.AcceptEnvironmentAccountConnectionInput{Id: c.Id})
				if a.err == nil {
					a.conn = out.EnvironmentAccountConnection
				}
			} else {
				a.op = "delete"
				var out *proton.DeleteEnvironmentAccountConnectionOutput
				out, a.err = ce.DeleteEnvironmentAccountConnection(ctx, &proton.DeleteEnvironmentAccountConnectionInput{Id: c.Id})
				if a.err == nil {
					a.conn = out.EnvironmentAccountConnection
				}
			}
			a.code, a.status = connErr(a.err)
			answers[i] = a
		})
		bodies, accepted := 0, 0
		var deleted *types.EnvironmentAccountConnection
		for _, a := range answers {
			switch {
			case a.op == "delete" && a.err == nil:
				if a.conn != nil {
					bodies++
					deleted = a.conn
				}
			case a.op == "accept" && a.err == nil:
				accepted++
			case a.op == "accept" && a.code == "ResourceNotFoundException" && a.status == 404:
			case a.op == "accept" && a.code == "ConflictException" && a.status == 409:
			default:
				t.Errorf("round %d: %s", r, a)
			}
		}
		if bodies != 1 {
			t.Errorf("round %d: %d deletes returned the connection, want exactly 1", r, bodies)
		} else if deleted.Status == types.EnvironmentAccountConnectionStatusConnected && accepted == 0 {
			t.Errorf("round %d: deleted a CONNECTED connection that nobody accepted: %s", r, connString(deleted))
		}
		_, err := cm.GetEnvironmentAccountConnection(connCtx(t), &proton.GetEnvironmentAccountConnectionInput{Id: c.Id})
		connWantErr(t, err, "ResourceNotFoundException", 404)
		if t.Failed() {
			for _, a := range answers {
				t.Log(a)
			}
			break
		}
	}
	connNo5xx(t, srv)
}

// TestConnectionsConcurrentCreate races creates: with one client token they
// make one connection (and a mismatching twin is refused), and racing creates
// of one environment account never exceed its quota.
func TestConnectionsConcurrentCreate(t *testing.T) {
	t.Parallel()
	srv := connStartServer(t)
	m := connAccount()
	const n = 12
	for round := range 6 {
		e := connAccount()
		ce := connClient(srv, e, "us-east-1")
		token := fmt.Sprintf("race-token-%d-%s", round, e)
		mixed := round%2 == 1 // odd rounds: half the callers send other parameters
		answers := make([]connAnswer, n)
		connRace(n, func(i int) {
			ctx, cancel := connCallCtx()
			defer cancel()
			name := "same"
			if mixed && i%2 == 1 {
				name = "other"
			}
			out, err := ce.CreateEnvironmentAccountConnection(ctx, &proton.CreateEnvironmentAccountConnectionInput{
				ManagementAccountId: aws.String(m), EnvironmentName: aws.String(name),
				RoleArn: connRole(e, "r"), ClientToken: aws.String(token),
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
				t.Errorf("round %d: %s", round, a)
			}
		}
		listed := connListIDs(t, ce, types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount)
		if len(ids) != 1 || len(listed) != 1 || !ids[listed[0]] {
			t.Errorf("round %d: one token made connections %v, list shows %v", round, ids, listed)
		}
		// The surviving parameters are those of the winner, and the losers
		// with the same parameters got exactly its connection.
		if len(listed) == 1 {
			winner := connGet(t, ce, listed[0])
			for _, a := range answers {
				if a.err == nil && !connSame(a.conn, winner) {
					t.Errorf("round %d: answer %s differs from the stored %s", round, a, connString(winner))
				}
			}
		}
	}

	// Quota under racing creates without tokens: exactly the quota succeeds.
	e := connAccount()
	ce := connClient(srv, e, "us-east-1")
	answers := make([]connAnswer, n)
	connRace(n, func(i int) {
		ctx, cancel := connCallCtx()
		defer cancel()
		_, err := ce.CreateEnvironmentAccountConnection(ctx, &proton.CreateEnvironmentAccountConnectionInput{
			ManagementAccountId: aws.String(m), EnvironmentName: aws.String(fmt.Sprintf("q%d", i)), RoleArn: connRole(e, "r"),
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
			t.Errorf("quota race: %s", a)
		}
	}
	if listed := connListIDs(t, ce, types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount); ok != 5 || len(listed) != 5 {
		t.Errorf("quota race: %d creates succeeded and %d connections exist; the quota is 5", ok, len(listed))
	}
	connNo5xx(t, srv)
}

// TestConnectionsPaginationTies makes connections in bursts, so that many
// share a requestedAt millisecond, and pages through them with small pages:
// the id tie-break must give every connection exactly once, in order.
func TestConnectionsPaginationTies(t *testing.T) {
	t.Parallel()
	srv := connStartServer(t)
	m := connAccount()
	cm := connClient(srv, m, "us-east-1")
	const n = 24
	made := make([]*types.EnvironmentAccountConnection, n)
	connRace(n, func(i int) {
		e := connAccount()
		ctx, cancel := connCallCtx()
		defer cancel()
		out, err := connClient(srv, e, "us-east-1").CreateEnvironmentAccountConnection(ctx, &proton.CreateEnvironmentAccountConnectionInput{
			ManagementAccountId: aws.String(m), EnvironmentName: aws.String("tie"), RoleArn: connRole(e, "r"),
		})
		if err == nil {
			made[i] = out.EnvironmentAccountConnection
		}
	})
	for i, c := range made {
		if c == nil {
			t.Fatalf("create %d failed", i)
		}
	}
	want := connOrder(made...)
	ms := map[int64]int{}
	for _, c := range made {
		ms[aws.ToTime(c.RequestedAt).UnixMilli()]++
	}
	t.Logf("%d connections in %d distinct milliseconds", n, len(ms))
	for _, size := range []int32{1, 2, 5} {
		var got []string
		var token *string
		seen := map[string]bool{}
		for pages := 0; ; pages++ {
			if pages > n {
				t.Fatalf("page size %d: more than %d pages", size, n)
			}
			out, err := cm.ListEnvironmentAccountConnections(connCtx(t), &proton.ListEnvironmentAccountConnectionsInput{
				RequestedBy: types.EnvironmentAccountConnectionRequesterAccountTypeManagementAccount, MaxResults: aws.Int32(size), NextToken: token,
			})
			if err != nil {
				t.Fatalf("page size %d: %v", size, err)
			}
			if len(out.EnvironmentAccountConnections) > int(size) {
				t.Errorf("page size %d: a page of %d", size, len(out.EnvironmentAccountConnections))
			}
			for _, s := range out.EnvironmentAccountConnections {
				got = append(got, aws.ToString(s.Id))
			}
			if out.NextToken == nil {
				break
			}
			if seen[*out.NextToken] {
				t.Fatalf("page size %d: nextToken repeated", size)
			}
			seen[*out.NextToken] = true
			token = out.NextToken
		}
		if !slices.Equal(got, want) {
			t.Errorf("page size %d: listed\n%v\nwant\n%v", size, got, want)
		}
	}
	connNo5xx(t, srv)
}
