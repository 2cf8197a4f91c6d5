package e2e

// The connection family of the isolation matrix: a PENDING connection with
// a tag, owned by its environment account; the other party is its
// management account.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
	"github.com/openproton/openproton/internal/proton/connections"
)

// isoConnFixture is a connection and the create that made it.
type isoConnFixture struct {
	create *proton.CreateEnvironmentAccountConnectionInput
	conn   *types.EnvironmentAccountConnection
}

var isoConnFamily = &isoFamily{name: "connection", build: isoBuildConn, snapshot: isoConnSnapshot}

func isoBuildConn(ctx context.Context, srv *Server, _ string) (*isoFixture, error) {
	fx := &isoFixture{owner: connAccount(), other: connAccount()}
	c := &isoConnFixture{create: &proton.CreateEnvironmentAccountConnectionInput{
		ManagementAccountId: aws.String(fx.other), EnvironmentName: aws.String("iso"),
		RoleArn: connRole(fx.owner, "r"), ClientToken: aws.String("iso-token-" + fx.owner),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}},
	}}
	out, err := connClient(srv, fx.owner, "us-east-1").CreateEnvironmentAccountConnection(ctx, c.create)
	if err != nil {
		return nil, err
	}
	c.conn = out.EnvironmentAccountConnection
	fx.conn = c
	return fx, nil
}

// isoConnSnapshot is the connection and its tags as its owner reads them.
func isoConnSnapshot(ctx context.Context, srv *Server, fx *isoFixture) (string, error) {
	cl := connClient(srv, fx.owner, "us-east-1")
	got, err := cl.GetEnvironmentAccountConnection(ctx, &proton.GetEnvironmentAccountConnectionInput{Id: fx.conn.conn.Id})
	if err != nil {
		return "", err
	}
	tags, err := isoTags(ctx, cl, aws.ToString(fx.conn.conn.Arn))
	if err != nil {
		return "", err
	}
	return connString(got.EnvironmentAccountConnection) + " tags " + tags, nil
}

// isoTags is the tags of a resource, in order, as one string.
func isoTags(ctx context.Context, cl *proton.Client, resourceArn string) (string, error) {
	var all []string
	p := proton.NewListTagsForResourcePaginator(cl, &proton.ListTagsForResourceInput{ResourceArn: aws.String(resourceArn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list tags of %s: %w", resourceArn, err)
		}
		for _, tag := range page.Tags {
			all = append(all, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
		}
	}
	return strings.Join(all, ","), nil
}

// isoJSON is v as JSON, for snapshots.
func isoJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}

// isoConnCall makes a row of an operation on a connection id.
func isoConnCall(f func(context.Context, *proton.Client, *isoFixture, *string) (*types.EnvironmentAccountConnection, error)) func(context.Context, *proton.Client, *isoFixture, string) isoResult {
	return func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) isoResult {
		id := aws.ToString(fx.conn.conn.Id)
		if ghost != "" {
			id = ghost
		}
		c, err := f(ctx, cl, fx, aws.String(id))
		res := isoOutcome(err)
		res.target = aws.ToString(fx.conn.conn.Arn)
		res.names = []string{id, isoConnArn(fx, ghost)}
		if c != nil {
			res.returned = []string{aws.ToString(c.Arn)}
		}
		return res
	}
}

// isoConnArn is the connection's ARN, or with a ghost id the ARN it would
// have with that id.
func isoConnArn(fx *isoFixture, ghost string) string {
	a := aws.ToString(fx.conn.conn.Arn)
	if ghost == "" {
		return a
	}
	return strings.Replace(a, aws.ToString(fx.conn.conn.Id), ghost, 1)
}

// isoTagRows are the three tagging operations on the ARN, of resource type
// typ, that resourceArn gives for a fixture (or for a ghost id); owner and
// other are what the owner and the other party get.
func isoTagRows(family *isoFamily, on, typ string, resourceArn func(fx *isoFixture, ghost string) string, owner, other isoExpect) []isoRow {
	call := func(f func(context.Context, *proton.Client, *string) error) func(context.Context, *proton.Client, *isoFixture, string) isoResult {
		return func(ctx context.Context, cl *proton.Client, fx *isoFixture, ghost string) isoResult {
			a := resourceArn(fx, ghost)
			res := isoOutcome(f(ctx, cl, aws.String(a)))
			res.names = []string{a}
			return res
		}
	}
	return []isoRow{
		{op: "TagResource", family: family, on: on, tags: typ, mutates: true, call: call(func(ctx context.Context, cl *proton.Client, a *string) error {
			_, err := cl.TagResource(ctx, &proton.TagResourceInput{ResourceArn: a, Tags: []types.Tag{{Key: aws.String("added"), Value: aws.String("x")}}})
			return err
		}), want: isoStandard(owner, other)},
		{op: "UntagResource", family: family, on: on, tags: typ, mutates: true, call: call(func(ctx context.Context, cl *proton.Client, a *string) error {
			_, err := cl.UntagResource(ctx, &proton.UntagResourceInput{ResourceArn: a, TagKeys: []string{"team"}})
			return err
		}), want: isoStandard(owner, other)},
		{op: "ListTagsForResource", family: family, on: on, tags: typ, call: call(func(ctx context.Context, cl *proton.Client, a *string) error {
			_, err := cl.ListTagsForResource(ctx, &proton.ListTagsForResourceInput{ResourceArn: a})
			return err
		}), want: isoStandard(owner, other)},
	}
}

func isoConnRows() []isoRow {
	f := isoConnFamily
	rows := []isoRow{
		{op: "GetEnvironmentAccountConnection", family: f, call: isoConnCall(func(ctx context.Context, cl *proton.Client, _ *isoFixture, id *string) (*types.EnvironmentAccountConnection, error) {
			out, err := cl.GetEnvironmentAccountConnection(ctx, &proton.GetEnvironmentAccountConnectionInput{Id: id})
			if err != nil {
				return nil, err
			}
			return out.EnvironmentAccountConnection, nil
		}), want: isoStandard(isoOK, isoOK)},
		{op: "AcceptEnvironmentAccountConnection", family: f, mutates: true, call: isoConnCall(func(ctx context.Context, cl *proton.Client, _ *isoFixture, id *string) (*types.EnvironmentAccountConnection, error) {
			out, err := cl.AcceptEnvironmentAccountConnection(ctx, &proton.AcceptEnvironmentAccountConnectionInput{Id: id})
			if err != nil {
				return nil, err
			}
			return out.EnvironmentAccountConnection, nil
		}), want: isoStandard(isoDenied, isoOK)},
		{op: "RejectEnvironmentAccountConnection", family: f, mutates: true, call: isoConnCall(func(ctx context.Context, cl *proton.Client, _ *isoFixture, id *string) (*types.EnvironmentAccountConnection, error) {
			out, err := cl.RejectEnvironmentAccountConnection(ctx, &proton.RejectEnvironmentAccountConnectionInput{Id: id})
			if err != nil {
				return nil, err
			}
			return out.EnvironmentAccountConnection, nil
		}), want: isoStandard(isoDenied, isoOK)},
		{op: "UpdateEnvironmentAccountConnection", family: f, mutates: true, call: isoConnCall(func(ctx context.Context, cl *proton.Client, fx *isoFixture, id *string) (*types.EnvironmentAccountConnection, error) {
			out, err := cl.UpdateEnvironmentAccountConnection(ctx, &proton.UpdateEnvironmentAccountConnectionInput{Id: id, ComponentRoleArn: connRole(fx.owner, "changed")})
			if err != nil {
				return nil, err
			}
			return out.EnvironmentAccountConnection, nil
		}), want: isoStandard(isoOK, isoDenied)},
		{op: "DeleteEnvironmentAccountConnection", family: f, mutates: true, call: isoConnCall(func(ctx context.Context, cl *proton.Client, _ *isoFixture, id *string) (*types.EnvironmentAccountConnection, error) {
			out, err := cl.DeleteEnvironmentAccountConnection(ctx, &proton.DeleteEnvironmentAccountConnectionInput{Id: id})
			if err != nil {
				return nil, err
			}
			return out.EnvironmentAccountConnection, nil
		}), want: isoStandard(isoOK, isoDenied)},
		{op: "ListEnvironmentAccountConnections", family: f, call: func(ctx context.Context, cl *proton.Client, fx *isoFixture, _ string) isoResult {
			res := isoResult{target: aws.ToString(fx.conn.conn.Arn), returned: []string{}}
			for _, by := range []types.EnvironmentAccountConnectionRequesterAccountType{
				types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount, types.EnvironmentAccountConnectionRequesterAccountTypeManagementAccount,
			} {
				p := proton.NewListEnvironmentAccountConnectionsPaginator(cl, &proton.ListEnvironmentAccountConnectionsInput{RequestedBy: by})
				for p.HasMorePages() {
					page, err := p.NextPage(ctx)
					if err != nil {
						return isoOutcome(err)
					}
					for _, s := range page.EnvironmentAccountConnections {
						res.returned = append(res.returned, aws.ToString(s.Arn))
					}
				}
			}
			return res
		}, want: map[string]isoExpect{
			"owner": isoOK, "other party": isoOK, "unrelated account": isoOwn,
			"owner in another region": isoOwn, "other party in another region": isoOwn, "unrelated account in another region": isoOwn,
		}},
		{op: "CreateEnvironmentAccountConnection", family: f, makesOwn: true, call: func(ctx context.Context, cl *proton.Client, fx *isoFixture, _ string) isoResult {
			// The owner's own request, client token and all, from the caller.
			out, err := cl.CreateEnvironmentAccountConnection(ctx, fx.conn.create)
			res := isoOutcome(err)
			res.target = aws.ToString(fx.conn.conn.Arn)
			if err == nil {
				res.made = aws.ToString(out.EnvironmentAccountConnection.Arn)
				res.returned = []string{res.made}
			}
			return res
		}, want: map[string]isoExpect{
			"owner": isoOK, "other party": isoInvalid, "unrelated account": isoOwn,
			"owner in another region": isoOwn, "other party in another region": isoInvalid, "unrelated account in another region": isoOwn,
		}},
	}
	return append(rows, isoTagRows(f, "connection", connections.ResourceType, isoConnArn, isoOK, isoDenied)...)
}
