package e2e

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// connDurable is what the durability test expects to find after a restart.
type connDurable struct {
	conns  map[string]*types.EnvironmentAccountConnection // by id, as E reads them
	tags   map[string]map[string]string                   // by ARN
	gone   []string                                       // ids deleted by E
	listed []*types.EnvironmentAccountConnection          // what E and M list (here the same set)
}

// TestConnectionsDurability checks that connections, their tags, client
// tokens and delete tombstones outlive a clean restart and a SIGKILL of the
// server on the same SQLite file.
func TestConnectionsDurability(t *testing.T) {
	t.Parallel()
	srv := connStartServer(t)
	e, m := connAccount(), connAccount()
	ce, cm := connClient(srv, e, "us-east-1"), connClient(srv, m, "us-east-1")
	ctx := connCtx(t)
	withToken := func(token string, tags ...string) func(*proton.CreateEnvironmentAccountConnectionInput) {
		return func(in *proton.CreateEnvironmentAccountConnectionInput) {
			in.ClientToken = aws.String(token)
			for i := 0; i+1 < len(tags); i += 2 {
				in.Tags = append(in.Tags, types.Tag{Key: aws.String(tags[i]), Value: aws.String(tags[i+1])})
			}
		}
	}
	check := func(phase string, want connDurable) {
		t.Helper()
		connHTTPClient.CloseIdleConnections()
		for cid, w := range want.conns {
			if got := connGet(t, ce, cid); !connSame(got, w) {
				t.Errorf("%s: connection %s\n got %s\nwant %s", phase, cid, connString(got), connString(w))
			}
		}
		for arn, w := range want.tags {
			if got := connTags(t, ce, arn); !maps.Equal(got, w) {
				t.Errorf("%s: tags of %s are %v, want %v", phase, arn, got, w)
			}
		}
		for _, cid := range want.gone {
			_, err := ce.GetEnvironmentAccountConnection(ctx, &proton.GetEnvironmentAccountConnectionInput{Id: aws.String(cid)})
			connWantErr(t, err, "ResourceNotFoundException", 404)
			out, err := ce.DeleteEnvironmentAccountConnection(ctx, &proton.DeleteEnvironmentAccountConnectionInput{Id: aws.String(cid)})
			if err != nil || out.EnvironmentAccountConnection != nil {
				t.Errorf("%s: deleting %s again: %v %s", phase, cid, err, connString(out.EnvironmentAccountConnection))
			}
		}
		order := connOrder(want.listed...)
		if got := connListIDs(t, ce, types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount); !slices.Equal(got, order) {
			t.Errorf("%s: E lists %v, want %v", phase, got, order)
		}
		if got := connListIDs(t, cm, types.EnvironmentAccountConnectionRequesterAccountTypeManagementAccount); !slices.Equal(got, order) {
			t.Errorf("%s: M lists %v, want %v", phase, got, order)
		}
	}

	// Writes before a clean restart.
	a := connCreate(t, ce, e, m, "alpha", withToken("token-alpha", "team", "a", "tier", "1"))
	b := connCreate(t, ce, e, m, "beta", withToken("token-beta"))
	c := connCreate(t, ce, e, m, "gamma")
	d := connCreate(t, ce, e, m, "delta", withToken("token-delta"))
	if _, err := cm.AcceptEnvironmentAccountConnection(ctx, &proton.AcceptEnvironmentAccountConnectionInput{Id: a.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := cm.RejectEnvironmentAccountConnection(ctx, &proton.RejectEnvironmentAccountConnectionInput{Id: b.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := ce.UpdateEnvironmentAccountConnection(ctx, &proton.UpdateEnvironmentAccountConnectionInput{Id: c.Id, ComponentRoleArn: connRole(e, "component")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ce.DeleteEnvironmentAccountConnection(ctx, &proton.DeleteEnvironmentAccountConnectionInput{Id: d.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := ce.TagResource(ctx, &proton.TagResourceInput{ResourceArn: a.Arn, Tags: []types.Tag{{Key: aws.String("tier"), Value: aws.String("2")}, {Key: aws.String("owner"), Value: aws.String("ops")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ce.UntagResource(ctx, &proton.UntagResourceInput{ResourceArn: a.Arn, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	want := connDurable{
		conns:  map[string]*types.EnvironmentAccountConnection{},
		tags:   map[string]map[string]string{aws.ToString(a.Arn): {"tier": "2", "owner": "ops"}, aws.ToString(b.Arn): {}},
		gone:   []string{aws.ToString(d.Id)},
		listed: []*types.EnvironmentAccountConnection{a, b, c},
	}
	for _, x := range []*types.EnvironmentAccountConnection{a, b, c} {
		want.conns[aws.ToString(x.Id)] = connGet(t, ce, aws.ToString(x.Id))
	}
	check("before restart", want)

	connHTTPClient.CloseIdleConnections()
	srv.Restart(t)
	check("after restart", want)

	// Client tokens survive: the same token and parameters give the same
	// connection as it is now; other parameters are a mismatch.
	again := connCreate(t, ce, e, m, "alpha", withToken("token-alpha", "team", "a", "tier", "1"))
	if !connSame(again, want.conns[aws.ToString(a.Id)]) {
		t.Errorf("token after restart: %s, want %s", connString(again), connString(want.conns[aws.ToString(a.Id)]))
	}
	_, err := ce.CreateEnvironmentAccountConnection(ctx, &proton.CreateEnvironmentAccountConnectionInput{
		ManagementAccountId: aws.String(m), EnvironmentName: aws.String("not-alpha"), RoleArn: connRole(e, "proton-service-role"), ClientToken: aws.String("token-beta"),
	})
	if msg := connWantErr(t, err, "ValidationException", 400); !strings.Contains(msg, "Idempotent parameter mismatch") {
		t.Errorf("mismatch message: %q", msg)
	}
	// The quota still counts what survived: a (CONNECTED) and c (PENDING).
	for range 3 {
		x := connCreate(t, ce, e, m, "fill")
		want.listed = append(want.listed, x)
		want.conns[aws.ToString(x.Id)] = x
	}
	_, err = ce.CreateEnvironmentAccountConnection(ctx, &proton.CreateEnvironmentAccountConnectionInput{
		ManagementAccountId: aws.String(m), EnvironmentName: aws.String("over"), RoleArn: connRole(e, "proton-service-role"),
	})
	connWantErr(t, err, "ServiceQuotaExceededException", 402)

	// Acknowledged writes survive SIGKILL.
	acc, err := cm.AcceptEnvironmentAccountConnection(ctx, &proton.AcceptEnvironmentAccountConnectionInput{Id: c.Id})
	if err != nil {
		t.Fatal(err)
	}
	want.conns[aws.ToString(c.Id)] = acc.EnvironmentAccountConnection
	if _, err := ce.DeleteEnvironmentAccountConnection(ctx, &proton.DeleteEnvironmentAccountConnectionInput{Id: a.Id}); err != nil {
		t.Fatal(err)
	}
	delete(want.conns, aws.ToString(a.Id))
	delete(want.tags, aws.ToString(a.Arn))
	want.gone = append(want.gone, aws.ToString(a.Id))
	want.listed = want.listed[1:] // a was first
	f := connCreate(t, ce, e, m, "epsilon", withToken("token-epsilon", "k", "v"))
	want.conns[aws.ToString(f.Id)] = f
	want.tags[aws.ToString(f.Arn)] = map[string]string{"k": "v"}
	want.listed = append(want.listed, f)
	if _, err := ce.TagResource(ctx, &proton.TagResourceInput{ResourceArn: b.Arn, Tags: []types.Tag{{Key: aws.String("after"), Value: aws.String("reject")}}}); err != nil {
		t.Fatal(err)
	}
	want.tags[aws.ToString(b.Arn)] = map[string]string{"after": "reject"}

	srv.Kill(t)
	srv.Restart(t)
	check("after SIGKILL", want)
	if again := connCreate(t, ce, e, m, "epsilon", withToken("token-epsilon", "k", "v")); aws.ToString(again.Id) != aws.ToString(f.Id) {
		t.Errorf("token after SIGKILL made %s, want %s", aws.ToString(again.Id), aws.ToString(f.Id))
	}
	connNo5xx(t, srv)
}
