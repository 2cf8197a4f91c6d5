package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

var connUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// TestConnGoSDKSmoke walks the handshake with aws-sdk-go-v2: create, read
// from both accounts, accept, list, reject, and the wrong-party errors.
func TestConnGoSDKSmoke(t *testing.T) {
	t.Parallel()
	srv := connStartServer(t)
	const e, m, x = "111111111111", "222222222222", "333333333333"
	ce, cm, cx := connClient(srv, e, "us-east-1"), connClient(srv, m, "us-east-1"), connClient(srv, x, "us-east-1")

	c := connCreate(t, ce, e, m, "go-smoke", func(in *proton.CreateEnvironmentAccountConnectionInput) {
		in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}
	})
	id := aws.ToString(c.Id)
	if c.Status != types.EnvironmentAccountConnectionStatusPending || !connUUID.MatchString(id) {
		t.Fatalf("new connection: %s", connString(c))
	}
	if want := fmt.Sprintf("arn:aws:proton:us-east-1:%s:environment-account-connection/%s", e, id); aws.ToString(c.Arn) != want {
		t.Errorf("arn %s, want %s", aws.ToString(c.Arn), want)
	}
	if !aws.ToTime(c.RequestedAt).Equal(aws.ToTime(c.LastModifiedAt)) || aws.ToString(c.EnvironmentAccountId) != e {
		t.Errorf("new connection: %s", connString(c))
	}
	if d := time.Since(aws.ToTime(c.RequestedAt)); d < -time.Minute || d > time.Minute {
		t.Errorf("requestedAt %s is not now", aws.ToTime(c.RequestedAt))
	}

	for _, cl := range []*proton.Client{ce, cm} {
		if got := connGet(t, cl, id); !connSame(got, c) {
			t.Errorf("get: %s, want %s", connString(got), connString(c))
		}
	}
	_, err := cx.GetEnvironmentAccountConnection(connCtx(t), &proton.GetEnvironmentAccountConnectionInput{Id: c.Id})
	connWantErr(t, err, "ResourceNotFoundException", 404)
	_, err = ce.AcceptEnvironmentAccountConnection(connCtx(t), &proton.AcceptEnvironmentAccountConnectionInput{Id: c.Id})
	if msg := connWantErr(t, err, "AccessDeniedException", 403); !strings.Contains(msg, m) {
		t.Errorf("access denied message %q does not name the management account", msg)
	}
	_, err = cm.DeleteEnvironmentAccountConnection(connCtx(t), &proton.DeleteEnvironmentAccountConnectionInput{Id: c.Id})
	connWantErr(t, err, "AccessDeniedException", 403)

	time.Sleep(5 * time.Millisecond)
	acc, err := cm.AcceptEnvironmentAccountConnection(connCtx(t), &proton.AcceptEnvironmentAccountConnectionInput{Id: c.Id})
	if err != nil {
		t.Fatal(err)
	}
	a := acc.EnvironmentAccountConnection
	if a.Status != types.EnvironmentAccountConnectionStatusConnected || !aws.ToTime(a.LastModifiedAt).After(aws.ToTime(c.LastModifiedAt)) {
		t.Errorf("accepted: %s", connString(a))
	}

	list, err := cm.ListEnvironmentAccountConnections(connCtx(t), &proton.ListEnvironmentAccountConnectionsInput{
		RequestedBy: types.EnvironmentAccountConnectionRequesterAccountTypeManagementAccount,
		Statuses:    []types.EnvironmentAccountConnectionStatus{types.EnvironmentAccountConnectionStatusConnected},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.EnvironmentAccountConnections) != 1 || aws.ToString(list.EnvironmentAccountConnections[0].Id) != id ||
		list.EnvironmentAccountConnections[0].Status != types.EnvironmentAccountConnectionStatusConnected || list.NextToken != nil {
		t.Errorf("list as management account: %+v", list.EnvironmentAccountConnections)
	}
	if ids := connListIDs(t, ce, types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount); !slices.Equal(ids, []string{id}) {
		t.Errorf("list as environment account: %v", ids)
	}
	if tags := connTags(t, ce, aws.ToString(c.Arn)); len(tags) != 1 || tags["team"] != "platform" {
		t.Errorf("tags %v", tags)
	}

	rej, err := cm.RejectEnvironmentAccountConnection(connCtx(t), &proton.RejectEnvironmentAccountConnectionInput{Id: c.Id})
	if err != nil {
		t.Fatal(err)
	}
	if rej.EnvironmentAccountConnection.Status != types.EnvironmentAccountConnectionStatusRejected {
		t.Errorf("rejected: %s", connString(rej.EnvironmentAccountConnection))
	}
	_, err = cm.AcceptEnvironmentAccountConnection(connCtx(t), &proton.AcceptEnvironmentAccountConnectionInput{Id: c.Id})
	connWantErr(t, err, "ConflictException", 409)

	del, err := ce.DeleteEnvironmentAccountConnection(connCtx(t), &proton.DeleteEnvironmentAccountConnectionInput{Id: c.Id})
	if err != nil || !connSame(del.EnvironmentAccountConnection, rej.EnvironmentAccountConnection) {
		t.Fatalf("delete: %v %s", err, connString(del.EnvironmentAccountConnection))
	}
	again, err := ce.DeleteEnvironmentAccountConnection(connCtx(t), &proton.DeleteEnvironmentAccountConnectionInput{Id: c.Id})
	if err != nil || again.EnvironmentAccountConnection != nil {
		t.Fatalf("second delete: %v %s", err, connString(again.EnvironmentAccountConnection))
	}
	connNo5xx(t, srv)
}
