package e2e

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// The crash harness's client side: each worker is one environment account
// (with its own management account) that runs a random write load and keeps
// a ledger of every write the server acknowledged. A worker owns its
// connections and sends one call at a time, so the ledger holds exactly one
// state per connection, plus at most one call whose answer the crash cut off
// (the write "in doubt": it may or may not have committed).

// crashMaxLive bounds a worker's live connections, so that every restart
// re-reads a bounded ledger.
const crashMaxLive = 8

// crashConn is the ledger entry of one connection.
type crashConn struct {
	id, arn   string
	create    *proton.CreateEnvironmentAccountConnectionInput // replayed with its client token
	state     *types.EnvironmentAccountConnection             // as last acknowledged (or verified)
	tags      map[string]string                               // as last acknowledged (or verified)
	round     int                                             // the round its create was acknowledged in
	goneRound int                                             // the round it was deleted in
}

// crashOp is one write.
type crashOp struct {
	// kind is create, accept, reject, update, tag, untag or delete for a
	// connection; template-, version-, env- and deployment- writes belong to
	// the platform families (crash_platform_test.go).
	kind   string
	conn   *crashConn
	create *proton.CreateEnvironmentAccountConnectionInput
	tags   map[string]string // create and tag, of every family
	keys   []string          // untag
	role   string            // update

	tpl         *crashTemplate
	tplCreate   *proton.CreateEnvironmentTemplateInput
	ver         *crashVersion
	verCreate   *proton.CreateEnvironmentTemplateVersionInput
	description string // template-update, version-update
	env         *crashEnv
	envCreate   *proton.CreateEnvironmentInput
	spec        string // env-update
	dep         *crashDeployment
	named       *crashNamed // svc- and comp- writes (crash_named_test.go)
	svcCreate   *proton.CreateServiceInput
	compCreate  *proton.CreateComponentInput
}

func (o *crashOp) String() string {
	switch {
	case o.kind == "create":
		return fmt.Sprintf("create %s (token %s, tags %v)", aws.ToString(o.create.EnvironmentName), aws.ToString(o.create.ClientToken), o.tags)
	case o.kind == "template-create":
		return fmt.Sprintf("%s %s (tags %v)", o.kind, aws.ToString(o.tplCreate.Name), o.tags)
	case o.kind == "version-create":
		return fmt.Sprintf("%s of %s (token %s)", o.kind, o.tpl.name, aws.ToString(o.verCreate.ClientToken))
	case o.kind == "svc-create":
		return fmt.Sprintf("%s %s (tags %v)", o.kind, aws.ToString(o.svcCreate.Name), o.tags)
	case o.kind == "comp-create":
		return fmt.Sprintf("%s %s (tags %v)", o.kind, aws.ToString(o.compCreate.Name), o.tags)
	case o.named != nil:
		return fmt.Sprintf("%s %s (tags %v, description %q)", o.kind, o.named.name, o.tags, o.description)
	case o.kind == "env-create":
		return fmt.Sprintf("%s %s (tags %v)", o.kind, aws.ToString(o.envCreate.Name), o.tags)
	case o.dep != nil:
		return fmt.Sprintf("%s %s of %s", o.kind, o.dep.id, o.env.name)
	case o.env != nil:
		return fmt.Sprintf("%s %s (tags %v, spec %q)", o.kind, o.env.name, o.tags, o.spec)
	case o.ver != nil:
		return fmt.Sprintf("%s %s (description %q)", o.kind, o.ver.key(), o.description)
	case o.tpl != nil:
		return fmt.Sprintf("%s %s (tags %v, description %q)", o.kind, o.tpl.name, o.tags, o.description)
	}
	return fmt.Sprintf("%s %s (tags %v, keys %v, role %s)", o.kind, o.conn.id, o.tags, o.keys, o.role)
}

// crashWorker is one pair of accounts' load and ledger: the environment
// account's connections, and the management account's templates, versions,
// environments and deployments.
type crashWorker struct {
	n         int
	env, mgmt string
	ce, cm    *proton.Client
	rng       *rand.Rand
	round     int
	seq       int
	live      []*crashConn // in creation order, for a deterministic choice
	deleted   []*crashConn // acknowledged or verified deletes
	templates []*crashTemplate
	envs      []*crashEnv
	svcs      crashServices // the services account's ledger (crash_services_test.go)
	comps     []*crashNamed // its components, live and being deleted (crash_components_test.go)
	client    func(account string) *proton.Client
	doubt     *crashOp       // the call the last kill cut off, if any
	acks      map[string]int // acknowledged writes by kind
	lost      map[string]int // acknowledged writes the server lost, by family
	refused   int            // version deletes refused by the deletion rules
}

func newCrashWorker(n int, seed uint64, env, mgmt string, httpClient *http.Client, url string) *crashWorker {
	client := func(account string) *proton.Client {
		return proton.New(proton.Options{
			BaseEndpoint: aws.String(url),
			Region:       "us-east-1",
			Credentials:  credentials.NewStaticCredentialsProvider(account, "openproton-test-secret", ""),
			Retryer:      aws.NopRetryer{},
			HTTPClient:   httpClient,
		})
	}
	return &crashWorker{client: client,
		n: n, env: env, mgmt: mgmt, ce: client(env), cm: client(mgmt),
		rng:  rand.New(rand.NewPCG(seed, uint64(n))),
		acks: map[string]int{}, lost: map[string]int{},
	}
}

// run sends writes until stop is set or a call goes unanswered.
func (w *crashWorker) run(t *testing.T, stop *atomic.Bool) {
	for !stop.Load() && w.doubt == nil {
		// A quarter of the writes are connections', a quarter the
		// platform families', a quarter services' and a quarter
		// components'.
		op := (*crashOp)(nil)
		switch w.rng.IntN(4) {
		case 0:
			op = w.next()
		case 3:
			var answered bool
			if op, answered = w.nextComponent(t); !answered {
				return
			}
			if op == nil {
				continue
			}
		case 2:
			var answered bool
			if op, answered = w.nextService(t); !answered {
				return
			}
			if op == nil {
				continue
			}
		default:
			var answered bool
			if op, answered = w.nextPlatform(t); !answered {
				return // a read got no answer: nothing is in doubt
			}
			if op == nil {
				continue
			}
		}
		if !w.send(t, op) {
			w.doubt = op
		}
	}
}

// next picks the next connection write at random.
func (w *crashWorker) next() *crashOp {
	w.seq++
	if len(w.live) == 0 || (len(w.live) < crashMaxLive && w.rng.IntN(4) == 0) {
		name := fmt.Sprintf("w%dn%d", w.n, w.seq)
		in := &proton.CreateEnvironmentAccountConnectionInput{
			ManagementAccountId: aws.String(w.mgmt),
			EnvironmentName:     aws.String(name),
			RoleArn:             connRole(w.env, "crash"),
			ClientToken:         aws.String(fmt.Sprintf("crash-%s-%d", w.env, w.seq)),
		}
		tags := w.randomTags(w.rng.IntN(4))
		in.Tags = crashTagList(tags)
		return &crashOp{kind: "create", create: in, tags: tags}
	}
	c := w.live[w.rng.IntN(len(w.live))]
	var kinds []string
	switch c.state.Status {
	case types.EnvironmentAccountConnectionStatusPending:
		kinds = []string{"accept", "accept", "accept", "reject", "update", "update", "tag", "tag", "untag", "delete"}
	case types.EnvironmentAccountConnectionStatusConnected:
		kinds = []string{"reject", "update", "update", "update", "tag", "tag", "tag", "untag", "untag", "delete"}
	default: // REJECTED: only tags and delete apply
		kinds = []string{"tag", "untag", "delete", "delete"}
	}
	op := &crashOp{kind: kinds[w.rng.IntN(len(kinds))], conn: c}
	switch op.kind {
	case "update":
		op.role = aws.ToString(connRole(w.env, fmt.Sprintf("u%d", w.seq)))
	case "tag":
		op.tags = w.randomTags(1 + w.rng.IntN(3))
	case "untag":
		for range 1 + w.rng.IntN(2) {
			op.keys = append(op.keys, fmt.Sprintf("k%d", w.rng.IntN(6)))
		}
	}
	return op
}

// randomTags draws n tags from a small key space, so that tag writes
// overwrite each other and untags hit.
func (w *crashWorker) randomTags(n int) map[string]string {
	tags := map[string]string{}
	for range n {
		tags[fmt.Sprintf("k%d", w.rng.IntN(6))] = fmt.Sprintf("v%d", w.seq)
	}
	return tags
}

// send makes one call and applies an acknowledged answer to the ledger. It
// returns false when the call got no answer (the server died under it).
func (w *crashWorker) send(t *testing.T, op *crashOp) bool {
	if crashFamily(op.kind) == famServices {
		return w.sendService(t, op)
	}
	if crashFamily(op.kind) == famComponents {
		return w.sendComponent(t, op)
	}
	if crashFamily(op.kind) != famConnections {
		return w.sendPlatform(t, op)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var (
		out *types.EnvironmentAccountConnection
		err error
	)
	switch op.kind {
	case "create":
		var o *proton.CreateEnvironmentAccountConnectionOutput
		if o, err = w.ce.CreateEnvironmentAccountConnection(ctx, op.create); err == nil {
			out = o.EnvironmentAccountConnection
		}
	case "accept":
		var o *proton.AcceptEnvironmentAccountConnectionOutput
		if o, err = w.cm.AcceptEnvironmentAccountConnection(ctx, &proton.AcceptEnvironmentAccountConnectionInput{Id: aws.String(op.conn.id)}); err == nil {
			out = o.EnvironmentAccountConnection
		}
	case "reject":
		var o *proton.RejectEnvironmentAccountConnectionOutput
		if o, err = w.cm.RejectEnvironmentAccountConnection(ctx, &proton.RejectEnvironmentAccountConnectionInput{Id: aws.String(op.conn.id)}); err == nil {
			out = o.EnvironmentAccountConnection
		}
	case "update":
		var o *proton.UpdateEnvironmentAccountConnectionOutput
		if o, err = w.ce.UpdateEnvironmentAccountConnection(ctx, &proton.UpdateEnvironmentAccountConnectionInput{Id: aws.String(op.conn.id), RoleArn: aws.String(op.role)}); err == nil {
			out = o.EnvironmentAccountConnection
		}
	case "tag":
		_, err = w.ce.TagResource(ctx, &proton.TagResourceInput{ResourceArn: aws.String(op.conn.arn), Tags: crashTagList(op.tags)})
	case "untag":
		_, err = w.ce.UntagResource(ctx, &proton.UntagResourceInput{ResourceArn: aws.String(op.conn.arn), TagKeys: op.keys})
	case "delete":
		var o *proton.DeleteEnvironmentAccountConnectionOutput
		if o, err = w.ce.DeleteEnvironmentAccountConnection(ctx, &proton.DeleteEnvironmentAccountConnectionInput{Id: aws.String(op.conn.id)}); err == nil {
			out = o.EnvironmentAccountConnection
		}
	}
	if err != nil {
		code, status := connErr(err)
		if code != "" || status >= 500 {
			// The server answered: a modelled error here means the
			// ledger and the server disagree (each worker owns its
			// connections and stays far below every limit).
			t.Errorf("worker %d: %s answered %d %s: %v", w.n, op, status, code, err)
			return true
		}
		return false
	}
	w.acks[op.kind]++
	w.apply(t, op, out)
	return true
}

// apply records an acknowledged write, checking that the answer is the one
// the ledger predicts.
func (w *crashWorker) apply(t *testing.T, op *crashOp, out *types.EnvironmentAccountConnection) {
	switch op.kind {
	case "create":
		if out == nil || aws.ToString(out.EnvironmentName) != aws.ToString(op.create.EnvironmentName) ||
			out.Status != types.EnvironmentAccountConnectionStatusPending || aws.ToString(out.EnvironmentAccountId) != w.env {
			t.Errorf("worker %d: %s answered %s", w.n, op, connString(out))
			return
		}
		w.live = append(w.live, &crashConn{
			id: aws.ToString(out.Id), arn: aws.ToString(out.Arn), create: op.create,
			state: out, tags: maps.Clone(op.tags), round: w.round,
		})
	case "tag":
		maps.Copy(op.conn.tags, op.tags)
	case "untag":
		for _, k := range op.keys {
			delete(op.conn.tags, k)
		}
	case "delete":
		if out == nil || aws.ToString(out.Id) != op.conn.id {
			t.Errorf("worker %d: %s answered %s, want the deleted connection", w.n, op, connString(out))
		}
		w.forget(op.conn)
	default:
		want := w.applied(op)
		if out == nil || !connSameButModified(out, want) {
			t.Errorf("worker %d: %s answered\n %s\nwant\n %s", w.n, op, connString(out), connString(want))
			return
		}
		op.conn.state = out
	}
}

// applied is the state op leaves its connection in, apart from
// lastModifiedAt, which the server sets.
func (w *crashWorker) applied(op *crashOp) *types.EnvironmentAccountConnection {
	next := *op.conn.state
	switch op.kind {
	case "accept":
		next.Status = types.EnvironmentAccountConnectionStatusConnected
	case "reject":
		next.Status = types.EnvironmentAccountConnectionStatusRejected
	case "update":
		next.RoleArn = aws.String(op.role)
	}
	return &next
}

// forget moves c from the live connections to the deleted ones.
func (w *crashWorker) forget(c *crashConn) {
	w.live = slices.DeleteFunc(w.live, func(x *crashConn) bool { return x == c })
	c.goneRound = w.round
	w.deleted = append(w.deleted, c)
}

// connSameButModified reports whether got equals want in every member but
// lastModifiedAt, which may only have moved forward.
func connSameButModified(got, want *types.EnvironmentAccountConnection) bool {
	g, w := *got, *want
	if aws.ToTime(g.LastModifiedAt).Before(aws.ToTime(w.LastModifiedAt)) {
		return false
	}
	g.LastModifiedAt = w.LastModifiedAt
	return connSame(&g, &w)
}
