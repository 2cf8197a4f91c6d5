package e2e

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// crashStats are the figures of a crash run.
type crashStats struct {
	verified         int // connection states (with their tags) checked against the ledger
	platformChecked  int // templates, versions, environments and deployments checked against the ledger
	deletesChecked   int // acknowledged deletes checked to stay deleted
	replays          int // creates replayed with their client token after a restart
	doubtCommitted   int // writes cut off by a kill that had committed
	doubtUncommitted int // writes cut off by a kill that had not
}

// settled counts a write in doubt found committed, or not.
func (st *crashStats) settled(committed bool) {
	if committed {
		st.doubtCommitted++
	} else {
		st.doubtUncommitted++
	}
}

// crashWant is one state the server may show for a connection: the
// acknowledged one, or the one a write in doubt would have left.
type crashWant struct {
	gone     bool
	conn     *types.EnvironmentAccountConnection
	modified bool // lastModifiedAt may be later than conn's (a status or role change in doubt)
	tags     map[string]string
}

func (cw crashWant) matches(gone bool, conn *types.EnvironmentAccountConnection, tags map[string]string) bool {
	switch {
	case cw.gone || gone:
		return cw.gone == gone
	case cw.modified:
		return connSameButModified(conn, cw.conn) && maps.Equal(tags, cw.tags)
	}
	return connSame(conn, cw.conn) && maps.Equal(tags, cw.tags)
}

// wants lists the states c may be in after a restart.
func (w *crashWorker) wants(c *crashConn) []crashWant {
	out := []crashWant{{conn: c.state, tags: c.tags}}
	op := w.doubt
	if op == nil || op.conn != c {
		return out
	}
	switch op.kind {
	case "delete":
		return append(out, crashWant{gone: true})
	case "tag":
		tags := maps.Clone(c.tags)
		maps.Copy(tags, op.tags)
		return append(out, crashWant{conn: c.state, tags: tags})
	case "untag":
		tags := maps.Clone(c.tags)
		for _, k := range op.keys {
			delete(tags, k)
		}
		return append(out, crashWant{conn: c.state, tags: tags})
	}
	return append(out, crashWant{conn: w.applied(op), modified: true, tags: c.tags})
}

// verify checks, through the API, the ledger of w against a restarted
// server: every acknowledged write is there as it was answered, the write in
// doubt is there whole or not at all, nothing else exists, deletes stay
// deleted, and client tokens still replay their creates.
func (w *crashWorker) verify(t *testing.T, st *crashStats) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	byE := crashList(ctx, t, w.ce, types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount)
	byM := crashList(ctx, t, w.cm, types.EnvironmentAccountConnectionRequesterAccountTypeManagementAccount)
	if !slices.Equal(slices.Sorted(maps.Keys(byE)), slices.Sorted(maps.Keys(byM))) {
		t.Errorf("worker %d: the two parties list different connections:\nE %v\nM %v", w.n, slices.Sorted(maps.Keys(byE)), slices.Sorted(maps.Keys(byM)))
	}

	// Every connection of the ledger, in one of the states it may be in.
	for _, c := range slices.Clone(w.live) {
		gone, got, tags := crashRead(ctx, t, w.ce, c)
		ok := false
		for _, want := range w.wants(c) {
			ok = ok || want.matches(gone, got, tags)
		}
		if !ok {
			t.Errorf("worker %d: connection %s after the restart: gone=%v\n %s tags %v\nacknowledged:\n %s tags %v\nin doubt: %v",
				w.n, c.id, gone, connString(got), tags, connString(c.state), c.tags, w.doubt)
			w.lose(famConnections)
			continue
		}
		st.verified++
		if _, listed := byE[c.id]; listed == gone {
			t.Errorf("worker %d: connection %s: gone=%v but listed=%v", w.n, c.id, gone, listed)
		}
		if gone {
			st.doubtCommitted++
			w.forget(c)
			continue
		}
		if s := byE[c.id]; s.Status != got.Status || !aws.ToTime(s.LastModifiedAt).Equal(aws.ToTime(got.LastModifiedAt)) || aws.ToString(s.RoleArn) != aws.ToString(got.RoleArn) {
			t.Errorf("worker %d: connection %s is listed as %s %v %s but reads as %s", w.n, c.id, s.Status, aws.ToTime(s.LastModifiedAt), aws.ToString(s.RoleArn), connString(got))
		}
		if w.doubt != nil && w.doubt.conn == c {
			if connSame(got, c.state) && maps.Equal(tags, c.tags) {
				st.doubtUncommitted++
			} else {
				st.doubtCommitted++
			}
		}
		c.state, c.tags = got, tags
	}

	// A create in doubt shows up whole (with all its tags) or not at all;
	// its client token then gives the connection it made, or makes it now.
	known := map[string]bool{}
	for _, c := range w.live {
		known[c.id] = true
	}
	var unknown []string
	for id := range byE {
		if !known[id] {
			unknown = append(unknown, id)
		}
	}
	if op := w.doubt; op != nil && op.kind == "create" {
		if len(unknown) > 1 {
			t.Errorf("worker %d: %d connections the ledger does not know after one create in doubt: %v", w.n, len(unknown), unknown)
		}
		var before *types.EnvironmentAccountConnection
		if len(unknown) == 1 {
			gone, got, tags := crashRead(ctx, t, w.ce, &crashConn{id: unknown[0], arn: aws.ToString(byE[unknown[0]].Arn)})
			if gone || aws.ToString(got.EnvironmentName) != aws.ToString(op.create.EnvironmentName) || !maps.Equal(tags, op.tags) {
				t.Errorf("worker %d: %s in doubt left %s with tags %v: not the whole create", w.n, op, connString(got), tags)
			}
			before = got
			unknown = nil
		}
		out, err := w.ce.CreateEnvironmentAccountConnection(ctx, op.create)
		if err != nil {
			t.Fatalf("worker %d: replay of %s: %v", w.n, op, err)
		}
		got := out.EnvironmentAccountConnection
		switch {
		case before != nil && !connSame(got, before):
			t.Errorf("worker %d: replay of %s gave %s, the create had made %s", w.n, op, connString(got), connString(before))
		case before != nil:
			st.doubtCommitted++
		default:
			st.doubtUncommitted++
		}
		st.replays++
		w.live = append(w.live, &crashConn{id: aws.ToString(got.Id), arn: aws.ToString(got.Arn), create: op.create, state: got, tags: maps.Clone(op.tags), round: w.round})
	}
	if len(unknown) > 0 {
		t.Errorf("worker %d: connections the ledger does not know: %v", w.n, unknown)
		w.lose(famConnections)
	}
	w.doubt = nil

	// Deletes stay deleted, with their tags, and a repeated delete finds the
	// tombstone. The deletes of this round are all checked, older ones by
	// sample, to keep a long run's restarts short.
	for _, c := range w.deleted {
		if c.goneRound < w.round && w.rng.IntN(len(w.deleted)) >= 3 {
			continue
		}
		lost := false
		if _, listed := byE[c.id]; listed {
			t.Errorf("worker %d: deleted connection %s is listed", w.n, c.id)
			lost = true
		}
		_, err := w.ce.GetEnvironmentAccountConnection(ctx, &proton.GetEnvironmentAccountConnectionInput{Id: aws.String(c.id)})
		if code, _ := connErr(err); code != "ResourceNotFoundException" {
			t.Errorf("worker %d: get of deleted connection %s: %v", w.n, c.id, err)
			lost = true
		}
		_, err = w.ce.ListTagsForResource(ctx, &proton.ListTagsForResourceInput{ResourceArn: aws.String(c.arn)})
		if code, _ := connErr(err); code != "ResourceNotFoundException" {
			t.Errorf("worker %d: tags of deleted connection %s: %v", w.n, c.id, err)
			lost = true
		}
		out, err := w.ce.DeleteEnvironmentAccountConnection(ctx, &proton.DeleteEnvironmentAccountConnectionInput{Id: aws.String(c.id)})
		if err != nil || out.EnvironmentAccountConnection != nil {
			t.Errorf("worker %d: repeated delete of %s: %v (tombstone lost?)", w.n, c.id, err)
			lost = true
		}
		if lost {
			w.lose(famConnections)
		}
		st.deletesChecked++
	}

	// Client tokens outlive the crash: a create acknowledged this round (and
	// a few older ones) replays to the same connection, as it is now.
	for _, c := range w.live {
		if c.round < w.round && w.rng.IntN(len(w.live)) >= 2 {
			continue
		}
		out, err := w.ce.CreateEnvironmentAccountConnection(ctx, c.create)
		if err != nil {
			t.Errorf("worker %d: replay of the create of %s: %v", w.n, c.id, err)
			w.lose(famConnections)
			continue
		}
		if !connSame(out.EnvironmentAccountConnection, c.state) {
			t.Errorf("worker %d: replay of the create of %s gave\n %s\nwant\n %s", w.n, c.id, connString(out.EnvironmentAccountConnection), connString(c.state))
			w.lose(famConnections)
		}
		st.replays++
	}
}

// crashRead reads a connection and its tags; gone reports that it does not
// exist (both reads say ResourceNotFoundException).
func crashRead(ctx context.Context, t *testing.T, cl *proton.Client, c *crashConn) (gone bool, conn *types.EnvironmentAccountConnection, tags map[string]string) {
	t.Helper()
	out, err := cl.GetEnvironmentAccountConnection(ctx, &proton.GetEnvironmentAccountConnectionInput{Id: aws.String(c.id)})
	tagsOut, tagErr := crashTags(ctx, cl, c.arn)
	code, _ := connErr(err)
	tagCode, _ := connErr(tagErr)
	switch {
	case code == "ResourceNotFoundException" && tagCode == "ResourceNotFoundException":
		return true, nil, nil
	case err != nil || tagErr != nil:
		t.Fatalf("read connection %s: %v; its tags: %v", c.id, err, tagErr)
	}
	return false, out.EnvironmentAccountConnection, tagsOut
}

// crashTags reads every page of a resource's tags.
func crashTags(ctx context.Context, cl *proton.Client, arn string) (map[string]string, error) {
	tags := map[string]string{}
	p := proton.NewListTagsForResourcePaginator(cl, &proton.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, tag := range page.Tags {
			tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
	}
	return tags, nil
}

// crashList lists every connection of the caller in one role, by id.
func crashList(ctx context.Context, t *testing.T, cl *proton.Client, by types.EnvironmentAccountConnectionRequesterAccountType) map[string]types.EnvironmentAccountConnectionSummary {
	t.Helper()
	out := map[string]types.EnvironmentAccountConnectionSummary{}
	p := proton.NewListEnvironmentAccountConnectionsPaginator(cl, &proton.ListEnvironmentAccountConnectionsInput{RequestedBy: by})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("list connections (%s): %v", by, err)
		}
		for _, s := range page.EnvironmentAccountConnections {
			if _, dup := out[aws.ToString(s.Id)]; dup {
				t.Errorf("list (%s) shows %s twice", by, aws.ToString(s.Id))
			}
			out[aws.ToString(s.Id)] = s
		}
	}
	return out
}
