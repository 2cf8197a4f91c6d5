package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/google/uuid"
	"github.com/openproton/openproton/internal/handlers"
	"github.com/openproton/openproton/internal/proton/arn"
)

// isolationCommand reproduces the isolation figures of docs/reliability.md.
const isolationCommand = "scripts/reliability isolation"

// isoCaller is who makes a call, relative to the resource's owner.
type isoCaller struct {
	name   string
	party  string // "owner", "other" (the other party of the fixture's connection) or "stranger"
	region string
}

var isoCallers = []isoCaller{
	{"owner", "owner", "us-east-1"},
	{"other party", "other", "us-east-1"},
	{"unrelated account", "stranger", "us-east-1"},
	{"owner in another region", "owner", "eu-west-1"},
	{"other party in another region", "other", "eu-west-1"},
	{"unrelated account in another region", "stranger", "eu-west-1"},
}

// isoExpect is the outcome a row expects for one caller.
type isoExpect int

const (
	// isoOK: the call succeeds on the resource.
	isoOK isoExpect = iota
	// isoDenied: AccessDeniedException, for the other party of a
	// connection, whom AWS lets see the connection but not do this.
	isoDenied
	// isoHidden: ResourceNotFoundException worded exactly as for a
	// resource that does not exist; nothing changes.
	isoHidden
	// isoOwn: the call succeeds but shows, makes or changes only the
	// caller's own resources (lists, creates, account settings).
	isoOwn
	// isoInvalid: ValidationException; nothing changes.
	isoInvalid
)

func (e isoExpect) String() string {
	return [...]string{"ok", "AccessDeniedException", "hidden (ResourceNotFoundException)", "own resources only", "ValidationException"}[e]
}

// isoFamily is a kind of fixture: the resources that the rows of one
// family of operations target, built by one owner account (with another
// account as the other party of a connection).
type isoFamily struct {
	name string
	// build makes a fresh fixture on srv, whose bundle directory is bundles.
	build func(ctx context.Context, srv *Server, bundles string) (*isoFixture, error)
	// snapshot reads, as the owner, the family's resources in fx as a
	// string that any change alters.
	snapshot func(ctx context.Context, srv *Server, fx *isoFixture) (string, error)
	// sharedWith, if set, is the family whose shared fixture this family's
	// rows use too (it holds this family's resources).
	sharedWith *isoFamily
}

// isoFixture is the resources of a family (or of two families that share
// them): owner made them; other is the other party of its connection.
type isoFixture struct {
	owner, other string
	conn         *isoConnFixture
	world        *isoWorld
	// baseline is, per family, its snapshot once the shared fixture was
	// built: nothing but the calls under test may change it.
	baseline map[*isoFamily]string
}

// isoResult is a call's outcome.
type isoResult struct {
	err     error
	code    string
	status  int
	message string
	// target identifies (usually by ARN) the fixture's resource the call
	// aimed at; returned identifies the resources it returned or listed.
	// A success on the resource returns (or lists) the target; a caller
	// who may not see it never gets it.
	target   string
	returned []string
	// made is the ARN of a resource the call created, if any.
	made string
	// names are the identifiers the call sent (ids, names, ARNs): a
	// message is compared with the one for a missing resource without them.
	names []string
}

// isoRow is one implemented operation on one kind of resource: how to call
// it on a fixture (or, with a ghost id, on a resource that does not exist)
// and what each caller must get.
type isoRow struct {
	op     string
	family *isoFamily
	// on names the resource, for rows of an operation that works on
	// several kinds (the tagging operations), and tags is its ARN resource
	// type.
	on, tags string
	// mutates: a successful call changes the fixture, so callers that
	// succeed get a fresh fixture of their own.
	mutates bool
	// makesOwn: a successful call of a caller other than the owner makes a
	// resource of the caller's own, named as the owner's; such rows run
	// last, so that what they make never meets another row's calls.
	makesOwn bool
	call     func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) isoResult
	want     map[string]isoExpect // by isoCaller.name
}

func (r isoRow) name() string {
	if r.on == "" {
		return r.op
	}
	return r.op + "(" + r.on + ")"
}

// isoStandard is the expectation of a row whose operation only the owner
// or only the other party may make: anyone else, or anyone in another
// region, sees nothing.
func isoStandard(owner, other isoExpect) map[string]isoExpect {
	return map[string]isoExpect{
		"owner": owner, "other party": other, "unrelated account": isoHidden,
		"owner in another region": isoHidden, "other party in another region": isoHidden, "unrelated account in another region": isoHidden,
	}
}

// isoAllOwn is the expectation of a row that every caller but the owner
// (who sees the fixture) answers with its own resources only.
func isoAllOwn() map[string]isoExpect {
	return map[string]isoExpect{
		"owner": isoOK, "other party": isoOwn, "unrelated account": isoOwn,
		"owner in another region": isoOwn, "other party in another region": isoOwn, "unrelated account in another region": isoOwn,
	}
}

// isoRows are the rows that the families declare (e2eFamilies), those
// whose successful calls make resources of the caller's own last;
// TestIsolationMatrix fails when an operation is implemented without one.
func isoRows() []isoRow {
	var rows []isoRow
	for _, f := range e2eFamilies {
		if f.rows != nil {
			rows = append(rows, f.rows()...)
		}
	}
	slices.SortStableFunc(rows, func(a, b isoRow) int {
		switch {
		case a.makesOwn == b.makesOwn:
			return 0
		case b.makesOwn:
			return -1
		}
		return 1
	})
	return rows
}

func isoOutcome(err error) isoResult {
	res := isoResult{err: err}
	res.code, res.status = connErr(err)
	if err != nil {
		var msg string
		if i := strings.LastIndex(err.Error(), res.code+": "); i >= 0 {
			msg = err.Error()[i+len(res.code)+2:]
		}
		res.message = msg
	}
	return res
}

// isoGhostName is a resource name made of a ghost id: it names nothing.
func isoGhostName(ghost, name string) string {
	if ghost == "" {
		return name
	}
	return "g" + strings.ReplaceAll(ghost, "-", "")
}

// isoFreshBuilds bounds how many fresh fixtures are built at once on one
// server: building is mostly waiting for registrations and deployments.
const isoFreshBuilds = 6

// isoBuildTimeout bounds building all the fixtures of one store.
const isoBuildTimeout = 3 * time.Minute

// TestIsolationMatrix calls every implemented operation as every kind of
// caller (the owner, the other party of a connection, an unrelated account,
// each also in another region) on the resources of its family, on both
// stores, and checks the outcome the row expects. A caller who may not see
// the resource gets a ResourceNotFoundException worded exactly as for a
// resource that does not exist, and nothing changes.
//
// Refused calls, reads and calls on the caller's own resources share one
// fixture per family and store (each is checked to change nothing); a call
// that succeeds in changing the resource gets a fresh fixture of its own,
// built beforehand, several at a time.
func TestIsolationMatrix(t *testing.T) {
	t.Parallel()
	implemented := handlers.Implemented()
	rows := isoRows()
	covered := map[string]bool{}
	for _, r := range rows {
		covered[r.op] = true
	}
	for _, op := range implemented {
		if !covered[op] {
			t.Errorf("operation %s is implemented but has no row in the isolation matrix (isoRows)", op)
		}
	}
	if len(implemented) == 0 {
		t.Fatal("no operation is implemented: the probe is broken")
	}
	var cases atomic.Int64
	t.Cleanup(func() {
		relFigure(t, "isolation cases checked (rows × callers × stores)", fmt.Sprintf("%d (%d rows for %d operations × %d × %d)",
			cases.Load(), len(rows), len(implemented), len(isoCallers), len(relStores)), isolationCommand)
	})
	for _, st := range relStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			args, _ := st.fresh(t)
			bundles := t.TempDir()
			srv := StartRaceServer(t, append(args, "--bundle-dir", bundles, "--provisioner-delay", "100ms")...)
			t.Cleanup(connHTTPClient.CloseIdleConnections)
			shared, fresh := isoFixtures(t, srv, bundles, rows)
			for i, row := range rows {
				for _, caller := range isoCallers {
					t.Run(row.name()+"/"+caller.name, func(t *testing.T) {
						fx := shared[row.family]
						if f := fresh[isoFreshKey{i, caller.name}]; f != nil {
							fx = f
						}
						isoCheck(t, srv, row, caller, fx)
						cases.Add(1)
					})
				}
			}
			connNo5xx(t, srv)
		})
	}
}

type isoFreshKey struct {
	row    int
	caller string
}

// isoFixtures builds the shared fixture of every family and a fresh one for
// every case whose call succeeds in changing its fixture.
func isoFixtures(t *testing.T, srv *Server, bundles string, rows []isoRow) (map[*isoFamily]*isoFixture, map[isoFreshKey]*isoFixture) {
	t.Helper()
	// Every family's fixtures are built here, a few at a time, on a
	// server under the race detector: this takes longer than one call.
	ctx, cancel := context.WithTimeout(context.Background(), isoBuildTimeout)
	t.Cleanup(cancel)
	isoWriteBundles(t, bundles)
	type job struct {
		family *isoFamily
		key    *isoFreshKey // nil: the family's shared fixture
	}
	var jobs []job
	families := map[*isoFamily]bool{}
	for i, row := range rows {
		f := row.family
		if f.sharedWith != nil {
			f = f.sharedWith
		}
		if !families[f] {
			families[f] = true
			jobs = append(jobs, job{family: f})
		}
		for _, c := range isoCallers {
			if row.mutates && row.want[c.name] == isoOK {
				jobs = append(jobs, job{family: row.family, key: &isoFreshKey{i, c.name}})
			}
		}
	}
	shared := map[*isoFamily]*isoFixture{}
	fresh := map[isoFreshKey]*isoFixture{}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
		sem  = make(chan struct{}, isoFreshBuilds)
	)
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			fx, err := j.family.build(ctx, srv, bundles)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("build a %s fixture: %w", j.family.name, err))
			case j.key == nil:
				shared[j.family] = fx
			default:
				fresh[*j.key] = fx
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if len(errs) > 0 {
		t.FailNow()
	}
	for _, row := range rows {
		if f := row.family.sharedWith; f != nil {
			shared[row.family] = shared[f]
		}
	}
	// The baselines of the shared fixtures, per family reading them.
	for f, fx := range shared {
		if fx.baseline == nil {
			fx.baseline = map[*isoFamily]string{}
		}
		s, err := f.snapshot(ctx, srv, fx)
		if err != nil {
			t.Fatalf("read the %s fixture: %v", f.name, err)
		}
		fx.baseline[f] = s
	}
	return shared, fresh
}

// isoCheck makes one call of row as caller on fx and checks its outcome and
// that nothing changed when the call was refused or concerned the caller's
// own resources.
func isoCheck(t *testing.T, srv *Server, row isoRow, caller isoCaller, fx *isoFixture) {
	want, ok := row.want[caller.name]
	if !ok {
		t.Fatalf("row %s has no expectation for %s", row.name(), caller.name)
	}
	ctx := connCtx(t)
	account := map[string]string{"owner": fx.owner, "other": fx.other, "stranger": connAccount()}[caller.party]
	cl := connClient(srv, account, caller.region)
	what := row.name() + " as " + caller.name

	res := row.call(ctx, cl, fx, "")
	unchanged := func() {
		t.Helper()
		base, ok := fx.baseline[row.family]
		if !ok {
			t.Fatalf("%s: the fixture has no baseline", what)
		}
		got, err := row.family.snapshot(ctx, srv, fx)
		if err != nil {
			t.Fatalf("%s: read the fixture afterwards: %v", what, err)
		}
		if got != base {
			t.Errorf("%s (%s) changed the %s fixture:\n %s\nwas\n %s", what, want, row.family.name, got, base)
		}
	}
	switch want {
	case isoOK:
		if res.err != nil {
			t.Fatalf("%s: %v, want success", what, res.err)
		}
		if res.target != "" && res.returned != nil && !slices.Contains(res.returned, res.target) {
			t.Errorf("%s returned %v, want %s among them", what, res.returned, res.target)
		}
	case isoOwn:
		if res.err != nil {
			t.Fatalf("%s: %v, want success on its own resources", what, res.err)
		}
		if res.target != "" && slices.Contains(res.returned, res.target) {
			t.Errorf("%s returns %s, a resource of %s", what, res.target, fx.owner)
		}
		if res.made != "" {
			a, ok := arn.Parse(res.made)
			if !ok || a.Account != account || a.Region != caller.region || res.made == res.target {
				t.Errorf("%s made %s, not a resource of its own", what, res.made)
			}
		}
		unchanged()
	case isoDenied:
		if res.code != "AccessDeniedException" || res.status != 403 || res.message == "" {
			t.Errorf("%s: %v, want AccessDeniedException (403)", what, res.err)
		}
		unchanged()
	case isoInvalid:
		if res.code != "ValidationException" || res.status != 400 {
			t.Errorf("%s: %v, want ValidationException (400)", what, res.err)
		}
		unchanged()
	case isoHidden:
		ghost := row.call(ctx, cl, fx, uuid.NewString())
		switch {
		case res.code != "ResourceNotFoundException" || res.status != 404 || res.message == "":
			t.Errorf("%s: %v, want ResourceNotFoundException (404)", what, res.err)
		case ghost.code != res.code || ghost.status != res.status:
			t.Errorf("%s: an existing resource gives %d %s, a missing one %d %s", what, res.status, res.code, ghost.status, ghost.code)
		default:
			if got, gm := isoNormalise(res), isoNormalise(ghost); got != gm {
				t.Errorf("%s: the answer tells an existing resource from a missing one:\n %q\n %q", what, got, gm)
			}
		}
		if res.target != "" && slices.Contains(res.returned, res.target) {
			t.Errorf("%s returns %s, a resource of %s", what, res.target, fx.owner)
		}
		unchanged()
	}
}

// isoNormalise is a message without the identifiers its call sent, longest
// first (an ARN holds its name).
func isoNormalise(res isoResult) string {
	names := slices.Clone(res.names)
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) })
	msg := res.message
	for _, n := range names {
		if n != "" {
			msg = strings.ReplaceAll(msg, n, "<name>")
		}
	}
	return msg
}
