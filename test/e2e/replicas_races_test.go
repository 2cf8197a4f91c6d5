package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// TestReplicaCreateSameClientToken races creates that carry one client
// token through both replicas: every caller gets the same connection and
// exactly one exists per token.
func TestReplicaCreateSameClientToken(t *testing.T) {
	c := replStartCluster(t, 100)
	const (
		env        = "100000000001"
		rounds     = 20
		perReplica = 4
	)
	clients := [2]*proton.Client{c.replClient(0, env), c.replClient(1, env)}
	ids := map[string]string{} // connection id -> token
	for r := range rounds {
		token := fmt.Sprintf("repl-same-token-%02d", r)
		envName := fmt.Sprintf("same-token-%02d", r)
		start := make(chan struct{})
		gotIDs := make([]string, 2*perReplica)
		answers := make([]replAnswer, 2*perReplica)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() {
				<-start
				gotIDs[i], answers[i] = replCreate(clients[i%2], env, envName, token)
			})
		}
		close(start)
		wg.Wait()
		for i, a := range answers {
			if a.err != nil {
				t.Errorf("round %d: create through replica %c: %v", r, "AB"[i%2], a)
			}
		}
		if t.Failed() {
			t.Fatalf("round %d failed\n%s", r, c.replLogs())
		}
		for i, id := range gotIDs {
			if id != gotIDs[0] {
				t.Fatalf("round %d: one client token, two connections: replica %c answered %s, replica %c answered %s", r, "AB"[i%2], id, 'A', gotIDs[0])
			}
		}
		ids[gotIDs[0]] = token
	}
	if len(ids) != rounds {
		t.Fatalf("%d rounds with distinct tokens made %d distinct connections", rounds, len(ids))
	}
	for i, cl := range []*proton.Client{c.replClient(0, replManagement), c.replClient(1, replManagement)} {
		listed := replListAll(t, cl, types.EnvironmentAccountConnectionRequesterAccountTypeManagementAccount)
		seen := map[string]bool{}
		for _, s := range listed {
			id := aws.ToString(s.Id)
			if seen[id] {
				t.Errorf("replica %c lists connection %s twice", "AB"[i], id)
			}
			seen[id] = true
			if _, ok := ids[id]; !ok {
				t.Errorf("replica %c lists connection %s (%s), which no create answered: a duplicate of a token's connection", "AB"[i], id, aws.ToString(s.EnvironmentName))
			}
		}
		if len(listed) != rounds {
			t.Errorf("replica %c lists %d connections for %d client tokens", "AB"[i], len(listed), rounds)
		}
	}
	if n := c.replRows(t); n != rounds {
		t.Errorf("schema %s holds %d connections for %d client tokens", c.schema, n, rounds)
	}
}

// TestReplicaAcceptRejectRace races accepts and rejects of one PENDING
// connection through both replicas: every call is 200 or ConflictException,
// both replicas then report one state, and a successful reject means the
// connection ends REJECTED.
func TestReplicaAcceptRejectRace(t *testing.T) {
	c := replStartCluster(t, 100)
	const (
		env        = "100000000002"
		rounds     = 20
		perReplica = 3
	)
	envClient := c.replClient(0, env)
	mgmt := [2]*proton.Client{c.replClient(0, replManagement), c.replClient(1, replManagement)}
	outcomes := map[types.EnvironmentAccountConnectionStatus]int{}
	for r := range rounds {
		id, a := replCreate(envClient, env, fmt.Sprintf("accept-reject-%02d", r), fmt.Sprintf("repl-ar-%02d", r))
		if a.err != nil {
			t.Fatalf("round %d: create: %v\n%s", r, a, c.replLogs())
		}
		type call struct {
			replica int
			reject  bool
			status  types.EnvironmentAccountConnectionStatus
			answer  replAnswer
		}
		calls := make([]call, 2*perReplica)
		for i := range calls {
			// Each replica gets one reject and two accepts, in an order
			// that moves with the round.
			calls[i] = call{replica: i % 2, reject: (i/2+i%2+r)%perReplica == 0}
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range calls {
			wg.Go(func() {
				<-start
				cl := mgmt[calls[i].replica]
				ctx, cancel := context.WithTimeout(context.Background(), replCallTimeout)
				defer cancel()
				var (
					out *types.EnvironmentAccountConnection
					err error
				)
				if calls[i].reject {
					var o *proton.RejectEnvironmentAccountConnectionOutput
					if o, err = cl.RejectEnvironmentAccountConnection(ctx, &proton.RejectEnvironmentAccountConnectionInput{Id: aws.String(id)}); err == nil {
						out = o.EnvironmentAccountConnection
					}
				} else {
					var o *proton.AcceptEnvironmentAccountConnectionOutput
					if o, err = cl.AcceptEnvironmentAccountConnection(ctx, &proton.AcceptEnvironmentAccountConnectionInput{Id: aws.String(id)}); err == nil {
						out = o.EnvironmentAccountConnection
					}
				}
				calls[i].answer = replClassify(err)
				if out != nil {
					calls[i].status = out.Status
				}
			})
		}
		close(start)
		wg.Wait()

		var acceptOK, rejectOK bool
		for _, cl := range calls {
			verb, want := "accept", types.EnvironmentAccountConnectionStatusConnected
			if cl.reject {
				verb, want = "reject", types.EnvironmentAccountConnectionStatusRejected
			}
			switch {
			case cl.answer.err == nil:
				if cl.status != want {
					t.Errorf("round %d: %s through replica %c answered 200 with status %s, want %s", r, verb, "AB"[cl.replica], cl.status, want)
				}
				if cl.reject {
					rejectOK = true
				} else {
					acceptOK = true
				}
			case cl.answer.status == http.StatusConflict && cl.answer.code == "ConflictException":
			default:
				t.Errorf("round %d: %s through replica %c: %v; want 200 or 409 ConflictException", r, verb, "AB"[cl.replica], cl.answer)
			}
		}
		var final [2]*types.EnvironmentAccountConnection
		for i := range final {
			got, a := replGet(mgmt[i], id)
			if a.err != nil {
				t.Fatalf("round %d: get through replica %c: %v\n%s", r, "AB"[i], a, c.replLogs())
			}
			final[i] = got
		}
		if final[0].Status != final[1].Status || !aws.ToTime(final[0].LastModifiedAt).Equal(aws.ToTime(final[1].LastModifiedAt)) {
			t.Errorf("round %d: replicas disagree: A says %s (modified %v), B says %s (modified %v)", r,
				final[0].Status, aws.ToTime(final[0].LastModifiedAt), final[1].Status, aws.ToTime(final[1].LastModifiedAt))
		}
		st := final[0].Status
		outcomes[st]++
		switch {
		case !acceptOK && !rejectOK:
			t.Errorf("round %d: no accept or reject of a PENDING connection succeeded (final %s)", r, st)
		case rejectOK && st != types.EnvironmentAccountConnectionStatusRejected:
			t.Errorf("round %d: a reject answered 200 but the connection ended %s", r, st)
		case !rejectOK && st != types.EnvironmentAccountConnectionStatusConnected:
			t.Errorf("round %d: only accepts succeeded but the connection ended %s", r, st)
		}
		if t.Failed() {
			t.Fatalf("round %d failed\n%s", r, c.replLogs())
		}
	}
	t.Logf("final states over %d rounds: %v", rounds, outcomes)
}

// TestReplicaQuotaRace races creates with distinct tokens through both
// replicas: the quota of PENDING and CONNECTED connections holds, and a
// rejected connection frees exactly one place.
func TestReplicaQuotaRace(t *testing.T) {
	const (
		quota      = 3
		rounds     = 5
		perReplica = 5
	)
	c := replStartCluster(t, quota)
	active := []types.EnvironmentAccountConnectionStatus{types.EnvironmentAccountConnectionStatusPending, types.EnvironmentAccountConnectionStatusConnected}

	// race sends 2*perReplica creates for env at once and returns the ids
	// of those that succeeded.
	race := func(r int, phase string, env string, clients [2]*proton.Client) []string {
		start := make(chan struct{})
		ids := make([]string, 2*perReplica)
		answers := make([]replAnswer, 2*perReplica)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() {
				<-start
				name := fmt.Sprintf("quota-%s-%02d-%02d", phase, r, i)
				ids[i], answers[i] = replCreate(clients[i%2], env, name, "repl-"+name)
			})
		}
		close(start)
		wg.Wait()
		var ok []string
		for i, a := range answers {
			switch {
			case a.err == nil:
				ok = append(ok, ids[i])
			case a.status == http.StatusPaymentRequired && a.code == "ServiceQuotaExceededException":
			default:
				t.Errorf("round %d (%s): create through replica %c: %v; want 200 or 402 ServiceQuotaExceededException", r, phase, "AB"[i%2], a)
			}
		}
		return ok
	}
	countActive := func(r int, env string, clients [2]*proton.Client, want int) {
		for i, cl := range clients {
			if n := len(replListAll(t, cl, types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount, active...)); n != want {
				t.Errorf("round %d: replica %c lists %d PENDING/CONNECTED connections of %s, want %d (quota %d)", r, "AB"[i], n, env, want, quota)
			}
		}
	}

	mgmt := [2]*proton.Client{c.replClient(0, replManagement), c.replClient(1, replManagement)}
	for r := range rounds {
		// A new environment account per round: each round starts from an
		// empty quota.
		env := fmt.Sprintf("2000000000%02d", r)
		clients := [2]*proton.Client{c.replClient(0, env), c.replClient(1, env)}
		ok := race(r, "fill", env, clients)
		if len(ok) != quota {
			t.Errorf("round %d: %d of %d racing creates succeeded with a quota of %d, want exactly %d", r, len(ok), 2*perReplica, quota, quota)
		}
		countActive(r, env, clients, quota)
		if t.Failed() {
			t.Fatalf("round %d failed\n%s", r, c.replLogs())
		}

		// Accept one through A and reject another through B: the reject
		// frees one place, which exactly one racing create gets.
		ctx, cancel := context.WithTimeout(context.Background(), replCallTimeout)
		_, errA := mgmt[0].AcceptEnvironmentAccountConnection(ctx, &proton.AcceptEnvironmentAccountConnectionInput{Id: aws.String(ok[0])})
		_, errR := mgmt[1].RejectEnvironmentAccountConnection(ctx, &proton.RejectEnvironmentAccountConnectionInput{Id: aws.String(ok[1])})
		cancel()
		if errA != nil || errR != nil {
			t.Fatalf("round %d: accept: %v; reject: %v", r, errA, errR)
		}
		if more := race(r, "refill", env, clients); len(more) != 1 {
			t.Errorf("round %d: after one reject, %d racing creates succeeded, want exactly 1", r, len(more))
		}
		countActive(r, env, clients, quota)
		if t.Failed() {
			t.Fatalf("round %d failed\n%s", r, c.replLogs())
		}
	}
}

// TestReplicaPaginationAcrossReplicas reads lists page by page, each page
// from the other replica: tokens of one replica work on the other and the
// pages join up without gaps or repeats, also while connections are added
// between pages.
func TestReplicaPaginationAcrossReplicas(t *testing.T) {
	c := replStartCluster(t, 100)
	const (
		env1, env2 = "300000000001", "300000000002"
		n1, n2     = 23, 6
	)
	created := map[string]bool{}
	for i := range n1 + n2 {
		env, name := env1, fmt.Sprintf("page-one-%02d", i)
		if i >= n1 {
			env, name = env2, fmt.Sprintf("page-two-%02d", i)
		}
		id, a := replCreate(c.replClient(i%2, env), env, name, "repl-"+name)
		if a.err != nil {
			t.Fatalf("create %s: %v\n%s", name, a, c.replLogs())
		}
		created[id] = true
	}
	mgmt := [2]*proton.Client{c.replClient(0, replManagement), c.replClient(1, replManagement)}
	byM := types.EnvironmentAccountConnectionRequesterAccountTypeManagementAccount

	// walk reads every page, page p from replica (first+p)%2 with a page
	// size that changes from page to page, calling between after each page
	// but the last.
	walk := func(clients [2]*proton.Client, by types.EnvironmentAccountConnectionRequesterAccountType, first int, between func(page int)) ([]types.EnvironmentAccountConnectionSummary, int) {
		var all []types.EnvironmentAccountConnectionSummary
		var token *string
		for page := 0; ; page++ {
			if page == 100 {
				t.Fatalf("list %s: more than 100 pages", by)
			}
			replica := (first + page) % 2
			out, a := replListPage(clients[replica], by, int32(3+page%3), token)
			if a.err != nil {
				t.Fatalf("list %s, page %d through replica %c with the previous page's token: %v\n%s", by, page+1, "AB"[replica], a, c.replLogs())
			}
			all = append(all, out.EnvironmentAccountConnections...)
			if out.NextToken == nil {
				return all, page + 1
			}
			token = out.NextToken
			if between != nil {
				between(page)
			}
		}
	}
	// check verifies that got holds every id of want once, nothing twice,
	// in list order (requestedAt, then id).
	check := func(what string, got []types.EnvironmentAccountConnectionSummary, want map[string]bool) {
		seen := map[string]bool{}
		for i, s := range got {
			id := aws.ToString(s.Id)
			if seen[id] {
				t.Errorf("%s: connection %s appears twice", what, id)
			}
			seen[id] = true
			if i > 0 {
				prev := got[i-1]
				pt, ct := aws.ToTime(prev.RequestedAt), aws.ToTime(s.RequestedAt)
				if ct.Before(pt) || (ct.Equal(pt) && id < aws.ToString(prev.Id)) {
					t.Errorf("%s: %s (%v) follows %s (%v): not in list order", what, id, ct, aws.ToString(prev.Id), pt)
				}
			}
		}
		for id := range want {
			if !seen[id] {
				t.Errorf("%s: connection %s is missing", what, id)
			}
		}
	}

	full := replListAll(t, mgmt[1], byM)
	if len(full) != n1+n2 {
		t.Fatalf("one-page list from replica B: %d connections, want %d", len(full), n1+n2)
	}
	check("one-page list", full, created)

	for first := range 2 {
		got, pages := walk(mgmt, byM, first, nil)
		if len(got) != n1+n2 {
			t.Errorf("pages alternating from replica %c: %d connections in %d pages, want %d", "AB"[first], len(got), pages, n1+n2)
		}
		check(fmt.Sprintf("pages alternating from replica %c", "AB"[first]), got, created)
		for i := range got {
			if i < len(full) && aws.ToString(got[i].Id) != aws.ToString(full[i].Id) {
				t.Errorf("pages alternating from replica %c: item %d is %s, the one-page list has %s", "AB"[first], i, aws.ToString(got[i].Id), aws.ToString(full[i].Id))
				break
			}
		}
	}

	// The environment account's own list, with connections added through
	// either replica while the pages are read: every earlier connection is
	// listed once, and so is every addition (they sort last).
	envClients := [2]*proton.Client{c.replClient(0, env1), c.replClient(1, env1)}
	want := map[string]bool{}
	for _, s := range full {
		if aws.ToString(s.EnvironmentAccountId) == env1 {
			want[aws.ToString(s.Id)] = true
		}
	}
	added := 0
	got, _ := walk(envClients, types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount, 1, func(page int) {
		name := fmt.Sprintf("page-added-%02d", page)
		id, a := replCreate(envClients[page%2], env1, name, "repl-"+name)
		if a.err != nil {
			t.Fatalf("create %s between pages: %v", name, a)
		}
		want[id] = true
		added++
	})
	if len(got) != n1+added {
		t.Errorf("environment account's pages with additions: %d connections, want %d (%d + %d added)", len(got), n1+added, n1, added)
	}
	check("environment account's pages with additions", got, want)

	// A token stays bound to its query and caller on every replica.
	first, a := replListPage(mgmt[0], byM, 2, nil)
	if a.err != nil || first.NextToken == nil {
		t.Fatalf("first page from replica A: %v (token %v)", a, first != nil && first.NextToken != nil)
	}
	token := aws.ToString(first.NextToken)
	tampered := token[:len(token)/2] + strings.Map(func(r rune) rune {
		if r == 'A' {
			return 'B'
		}
		return 'A'
	}, token[len(token)/2:len(token)/2+1]) + token[len(token)/2+1:]
	for _, tc := range []struct {
		what  string
		cl    *proton.Client
		by    types.EnvironmentAccountConnectionRequesterAccountType
		token string
	}{
		{"a changed token", mgmt[1], byM, tampered},
		{"another caller's token", envClients[1], types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount, token},
	} {
		_, a := replListPage(tc.cl, tc.by, 2, aws.String(tc.token))
		if a.status != http.StatusBadRequest || a.code != "ValidationException" {
			t.Errorf("%s issued by replica A, used on replica B: %v; want 400 ValidationException", tc.what, a)
		}
	}
}

// replAttempt is one create of the crash test's load.
type replAttempt struct {
	replica int
	env     string
	name    string // environment name, unique per attempt
	token   string
	started time.Time
	id      string
	answer  replAnswer
}

// TestReplicaCrashNoLostWrites runs a write load on both replicas, kills
// replica A with SIGKILL in the middle and keeps the load going on B. No
// create that was answered 200 may be lost, B must keep serving, and a
// retry of any create with its client token must not make a duplicate.
func TestReplicaCrashNoLostWrites(t *testing.T) {
	c := replStartCluster(t, 1000)
	const (
		workers       = 6
		perWorker     = 120 // bound on attempts per worker
		ackBeforeKill = 80  // acknowledged creates before the kill
		ackAfterKill  = 120 // acknowledged creates (all on B) after it
	)
	envs := []string{"400000000001", "400000000002", "400000000003", "400000000004"}
	clients := map[string][2]*proton.Client{}
	for _, env := range envs {
		clients[env] = [2]*proton.Client{c.replClient(0, env), c.replClient(1, env)}
	}

	var (
		stop     atomic.Bool
		acks     atomic.Int64
		killedAt atomic.Pointer[time.Time]
		afterB   atomic.Int64 // acknowledged by B, sent after the kill
		results  = make([][]replAttempt, workers)
		wg       sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for n := 0; n < perWorker && !stop.Load(); n++ {
				at := replAttempt{replica: (w + n) % 2, env: envs[(w+n)%len(envs)], name: fmt.Sprintf("crash-w%d-n%03d", w, n)}
				at.token = "repl-" + at.name
				at.started = time.Now()
				at.id, at.answer = replCreate(clients[at.env][at.replica], at.env, at.name, at.token)
				results[w] = append(results[w], at)
				if at.answer.err == nil {
					acks.Add(1)
					if k := killedAt.Load(); k != nil && at.replica == 1 && at.started.After(*k) {
						afterB.Add(1)
					}
				} else if at.answer.status == 0 {
					// A dead replica refuses at once; do not spin on it.
					time.Sleep(5 * time.Millisecond)
				}
			}
		})
	}
	waitFor := func(cond func() bool, d time.Duration) bool {
		deadline := time.Now().Add(d)
		for time.Now().Before(deadline) {
			if cond() {
				return true
			}
			time.Sleep(5 * time.Millisecond)
		}
		return cond()
	}
	loadStart := time.Now()
	if !waitFor(func() bool { return acks.Load() >= ackBeforeKill }, 3*time.Second) {
		t.Logf("only %d creates acknowledged before the kill", acks.Load())
	}
	c.a.Kill(t)
	k := time.Now()
	killedAt.Store(&k)
	c.transports[0].CloseIdleConnections()
	beforeKill := acks.Load()
	waitFor(func() bool { return afterB.Load() >= ackAfterKill }, 3*time.Second)
	stop.Store(true)
	wg.Wait()
	t.Logf("load: %v; %d creates acknowledged before the kill, %d by B after it", time.Since(loadStart).Round(time.Millisecond), beforeKill, afterB.Load())

	var all, acked []replAttempt
	for _, rs := range results {
		all = append(all, rs...)
	}
	var ackA, lostA, inFlight int
	for _, at := range all {
		switch {
		case at.answer.err == nil:
			acked = append(acked, at)
			if at.replica == 0 {
				ackA++
				if at.started.After(k) {
					t.Errorf("replica A acknowledged %s, sent after it was killed", at.name)
				}
			}
		case at.replica == 1:
			t.Errorf("replica B failed %s (sent %v after the kill): %v", at.name, at.started.Sub(k).Round(time.Millisecond), at.answer)
		case at.started.After(k) && at.answer.status != 0:
			t.Errorf("killed replica A answered %s: %v", at.name, at.answer)
		default:
			lostA++
			if at.started.Before(k) {
				inFlight++
			}
		}
	}
	t.Logf("%d creates sent, %d acknowledged (%d by A), %d unanswered by A (%d of them sent before the kill)", len(all), len(acked), ackA, lostA, inFlight)
	if ackA == 0 {
		t.Errorf("replica A acknowledged no create before the kill: the crash happened outside the load")
	}
	if afterB.Load() == 0 {
		t.Errorf("replica B acknowledged no create sent after A was killed")
	}
	if t.Failed() {
		t.Fatalf("the load failed\n%s", c.replLogs())
	}

	// checkAll reads every acknowledged connection through replica i.
	checkAll := func(i int, when string) {
		var mu sync.Mutex
		replParallel(len(acked), 4, func(j int) {
			at := acked[j]
			got, a := replGet(clients[at.env][i], at.id)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case a.err != nil:
				t.Errorf("%s: acknowledged %s (%s, by replica %c) read through replica %c: %v", when, at.id, at.name, "AB"[at.replica], "AB"[i], a)
			case aws.ToString(got.EnvironmentName) != at.name || got.Status != types.EnvironmentAccountConnectionStatusPending:
				t.Errorf("%s: acknowledged %s read through replica %c is %s %s, want %s PENDING", when, at.id, "AB"[i], aws.ToString(got.EnvironmentName), got.Status, at.name)
			}
		})
	}
	checkAll(1, "after the kill")

	c.a.Restart(t)
	checkAll(0, "after A restarted")
	checkAll(1, "after A restarted")

	// Retry every create with its token: an acknowledged one returns its
	// id, an unanswered one returns whatever A committed before it died or
	// creates the connection now. Either way each token ends with one
	// connection.
	var (
		mu        sync.Mutex
		retried   = map[string]string{} // environment name -> id
		committed int                   // unanswered creates that A had committed before it died
	)
	replParallel(len(all), 4, func(j int) {
		at := all[j]
		replica := (j + 1) % 2
		got, a := replCreateConn(clients[at.env][replica], at.env, at.name, at.token)
		mu.Lock()
		defer mu.Unlock()
		if a.err != nil {
			t.Errorf("retry of %s through replica %c: %v", at.name, "AB"[replica], a)
			return
		}
		id := aws.ToString(got.Id)
		switch {
		case at.answer.err == nil && id != at.id:
			t.Errorf("retry of acknowledged %s through replica %c returned %s, the first answer was %s", at.name, "AB"[replica], id, at.id)
		case at.answer.err != nil && aws.ToTime(got.RequestedAt).Before(k):
			committed++
		}
		retried[at.name] = id
	})
	t.Logf("retries: %d unanswered creates had been committed by A before the kill and were replayed, not repeated", committed)
	listed := replListAll(t, c.replClient(1, replManagement), types.EnvironmentAccountConnectionRequesterAccountTypeManagementAccount)
	perName := map[string][]string{}
	for _, s := range listed {
		name := aws.ToString(s.EnvironmentName)
		perName[name] = append(perName[name], aws.ToString(s.Id))
	}
	for name, ids := range perName {
		if len(ids) != 1 {
			slices.Sort(ids)
			t.Errorf("create %s made %d connections: %v", name, len(ids), ids)
		} else if want, ok := retried[name]; ok && ids[0] != want {
			t.Errorf("create %s: listed %s, its retry returned %s", name, ids[0], want)
		}
	}
	if len(listed) != len(all) {
		t.Errorf("%d creates with distinct tokens left %d connections, want %d", len(all), len(listed), len(all))
	}
	if n := c.replRows(t); n != len(all) {
		t.Errorf("schema %s holds %d connections, want %d", c.schema, n, len(all))
	}
}
