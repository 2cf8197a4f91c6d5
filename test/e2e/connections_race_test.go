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
