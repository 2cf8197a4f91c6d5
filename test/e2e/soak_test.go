package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// soakPool is the steady-state data set of a soak: a fixed number of
// connections that the load reads and changes, so that memory reflects the
// server, not a growing data set (creates are paired with deletes).
type soakPool struct {
	mgmt   *proton.Client
	conns  []*types.EnvironmentAccountConnection
	owners []*proton.Client // the environment account of each connection
	seq    atomic.Int64
}

// soakCall makes one call of a fixed mix: reads (get, list, tags) and
// writes (tag, untag, role update, accept, reject, create and delete).
func (p *soakPool) call(ctx context.Context, rng *rand.Rand) error {
	i := rng.IntN(len(p.conns))
	c, env := p.conns[i], p.owners[i]
	n := p.seq.Add(1)
	var err error
	switch k := rng.IntN(20); {
	case k < 6:
		_, err = p.mgmt.GetEnvironmentAccountConnection(ctx, &proton.GetEnvironmentAccountConnectionInput{Id: c.Id})
	case k < 9:
		_, err = env.ListEnvironmentAccountConnections(ctx, &proton.ListEnvironmentAccountConnectionsInput{
			RequestedBy: types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount, MaxResults: aws.Int32(3)})
	case k < 11:
		_, err = env.ListTagsForResource(ctx, &proton.ListTagsForResourceInput{ResourceArn: c.Arn})
	case k < 13:
		_, err = env.TagResource(ctx, &proton.TagResourceInput{ResourceArn: c.Arn,
			Tags: []types.Tag{{Key: aws.String(fmt.Sprintf("k%d", n%8)), Value: aws.String(fmt.Sprint(n))}}})
	case k < 14:
		_, err = env.UntagResource(ctx, &proton.UntagResourceInput{ResourceArn: c.Arn, TagKeys: []string{fmt.Sprintf("k%d", n%8)}})
	case k < 16:
		_, err = env.UpdateEnvironmentAccountConnection(ctx, &proton.UpdateEnvironmentAccountConnectionInput{Id: c.Id, ComponentRoleArn: aws.String(fmt.Sprintf("%s-%d", aws.ToString(c.RoleArn), n%4))})
	case k < 17:
		_, err = p.mgmt.AcceptEnvironmentAccountConnection(ctx, &proton.AcceptEnvironmentAccountConnectionInput{Id: c.Id})
	case k < 18:
		_, err = p.mgmt.RejectEnvironmentAccountConnection(ctx, &proton.RejectEnvironmentAccountConnectionInput{Id: c.Id})
	default:
		var out *proton.CreateEnvironmentAccountConnectionOutput
		out, err = env.CreateEnvironmentAccountConnection(ctx, &proton.CreateEnvironmentAccountConnectionInput{
			ManagementAccountId: c.ManagementAccountId, EnvironmentName: aws.String(fmt.Sprintf("churn%d", n)),
			RoleArn: c.RoleArn, ClientToken: aws.String(fmt.Sprintf("soak-%d", n)),
			Tags: []types.Tag{{Key: aws.String("churn"), Value: aws.String("yes")}},
		})
		if err == nil {
			_, err = env.DeleteEnvironmentAccountConnection(ctx, &proton.DeleteEnvironmentAccountConnectionInput{Id: out.EnvironmentAccountConnection.Id})
		}
	}
	// Losing a race with another call of the load (an update of a
	// REJECTED connection, an accept after a reject) is a correct answer.
	if code, _ := connErr(err); code == "ConflictException" {
		return nil
	}
	return err
}

// TestSoak holds a fixed request rate against a server (the plain build,
// as deployed) on each store for OPENPROTON_SOAK_DURATION (default 10s) at
// OPENPROTON_SOAK_RATE requests per second (default 100), sampling its
// goroutines, heap and resident memory before, during and after: once the
// load stops, goroutines and heap come back to where they were, and no call
// fails.
func TestSoak(t *testing.T) {
	t.Parallel()
	duration := relDuration(t, "OPENPROTON_SOAK_DURATION", 10*time.Second)
	rate := relKnob(t, "OPENPROTON_SOAK_RATE", 100)
	for _, st := range relStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			args, _ := st.fresh(t)
			srv, debug := relDebugServer(t, StartServer, append(args, "--quota-environment-account-connections", "1000")...)
			soakRun(t, srv, debug, duration, rate)
		})
	}
}

func soakRun(t *testing.T, srv *Server, debug string, duration time.Duration, rate int) {
	transport := &http.Transport{MaxIdleConnsPerHost: 32, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(transport.CloseIdleConnections)
	httpClient := &http.Client{Transport: transport, Timeout: 20 * time.Second}
	client := func(account string) *proton.Client {
		return proton.New(proton.Options{
			BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", Retryer: aws.NopRetryer{}, HTTPClient: httpClient,
			Credentials: credentials.NewStaticCredentialsProvider(account, "openproton-test-secret", ""),
		})
	}
	m := connAccount()
	p := &soakPool{mgmt: client(m)}
	for range 5 {
		env := connAccount()
		owner := client(env)
		for j := range 4 {
			p.conns = append(p.conns, connCreate(t, owner, env, m, fmt.Sprintf("soak%d", j)))
			p.owners = append(p.owners, owner)
		}
	}

	// load runs the mix at rate for d: an open loop that starts the calls
	// due by the clock (catching up after a late wake-up), with at most 64
	// in flight (a call due when none is free is counted as missed, never
	// queued).
	type result struct {
		calls, failures, missed int64
		latencies               []time.Duration
	}
	load := func(d time.Duration, sample func()) result {
		var res result
		var mu sync.Mutex
		slots := make(chan struct{}, 64)
		var wg sync.WaitGroup
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		every := time.NewTicker(2 * time.Second)
		defer every.Stop()
		seed := uint64(time.Now().UnixNano())
		start := time.Now()
		var started int64
		for {
			select {
			case <-every.C:
				sample()
			case now := <-tick.C:
				elapsed := now.Sub(start)
				if elapsed >= d {
					wg.Wait()
					return res
				}
				for due := int64(elapsed.Seconds() * float64(rate)); started < due; started++ {
					select {
					case slots <- struct{}{}:
					default:
						res.missed++
						continue
					}
					seed++
					rng := rand.New(rand.NewPCG(seed, 7))
					wg.Go(func() {
						defer func() { <-slots }()
						ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
						defer cancel()
						begin := time.Now()
						err := p.call(ctx, rng)
						mu.Lock()
						defer mu.Unlock()
						res.calls++
						res.latencies = append(res.latencies, time.Since(begin))
						if err != nil {
							res.failures++
							if res.failures <= 5 {
								t.Errorf("soak call failed: %v", err)
							}
						}
					})
				}
			}
		}
	}
	idle := func() relRuntime {
		transport.CloseIdleConnections()
		time.Sleep(500 * time.Millisecond)
		return relSample(t, srv, debug, true)
	}

	// Warm up (caches, pools, the first page of every lazy structure), then
	// measure the idle baseline, the load, and the idle state after it.
	load(2*time.Second, func() {})
	before := idle()
	peak := before
	res := load(duration, func() {
		s := relSample(t, srv, debug, false)
		peak.Goroutines = max(peak.Goroutines, s.Goroutines)
		peak.HeapAllocBytes = max(peak.HeapAllocBytes, s.HeapAllocBytes)
		peak.RSSBytes = max(peak.RSSBytes, s.RSSBytes)
	})
	transport.CloseIdleConnections()
	settled := relSettleGoroutines(t, srv, debug, before.Goroutines+2, 15*time.Second)
	after := idle()
	slices.Sort(res.latencies)
	pct := func(q float64) time.Duration {
		if len(res.latencies) == 0 {
			return 0
		}
		return res.latencies[int(q*float64(len(res.latencies)-1))].Round(100 * time.Microsecond)
	}
	achieved := float64(res.calls) / duration.Seconds()
	soakCommand := fmt.Sprintf("OPENPROTON_SOAK_DURATION=%v OPENPROTON_SOAK_RATE=%d scripts/reliability soak", duration, rate)
	t.Logf("%d calls in %v (%.0f/s of %d/s wanted, %d missed for want of a free slot), %d failed; latency p50 %v p99 %v max %v",
		res.calls, duration, achieved, rate, res.missed, res.failures, pct(0.5), pct(0.99), pct(1))
	t.Logf("before: %s; peak: %s; after: %s", before, peak, after)

	if res.failures > 0 {
		t.Errorf("%d of %d calls failed", res.failures, res.calls)
	}
	// A loose bound: it catches a soak that did not run, not a slow
	// machine (the figures show the rate reached).
	if achieved < 0.5*float64(rate) {
		t.Errorf("the load reached %.0f requests/s of the %d wanted: the soak did not hold its rate", achieved, rate)
	}
	if settled.Goroutines > before.Goroutines+2 {
		t.Errorf("goroutines: %d before the load, %d after it\n%s", before.Goroutines, settled.Goroutines, relGoroutineDump(debug))
	}
	// The heap after a collection holds what the server keeps between
	// requests; the load must not have added to it. The resident set may
	// keep some of the peak (the Go runtime returns memory lazily and the
	// SQLite page cache fills up), but only within a bound.
	if after.HeapAllocBytes > before.HeapAllocBytes+before.HeapAllocBytes/2+4<<20 {
		t.Errorf("heap: %.1f MiB before the load, %.1f MiB after it", mib(before.HeapAllocBytes), mib(after.HeapAllocBytes))
	}
	if after.RSSBytes > before.RSSBytes+64<<20 {
		t.Errorf("resident memory: %.1f MiB before the load, %.1f MiB after it", mib(before.RSSBytes), mib(after.RSSBytes))
	}
	connNo5xx(t, srv)
	relFigure(t, "soak duration and rate", fmt.Sprintf("%v at %d requests/s (%.0f/s achieved, %d calls, %d failed)", duration, rate, achieved, res.calls, res.failures), soakCommand)
	relFigure(t, "soak latency p50 / p99 / max", fmt.Sprintf("%v / %v / %v", pct(0.5), pct(0.99), pct(1)), soakCommand)
	relFigure(t, "soak goroutines before / peak / after", fmt.Sprintf("%d / %d / %d", before.Goroutines, peak.Goroutines, after.Goroutines), soakCommand)
	relFigure(t, "soak heap MiB before / peak / after", fmt.Sprintf("%.1f / %.1f / %.1f", mib(before.HeapAllocBytes), mib(peak.HeapAllocBytes), mib(after.HeapAllocBytes)), soakCommand)
	relFigure(t, "soak RSS MiB before / peak / after", fmt.Sprintf("%.1f / %.1f / %.1f", mib(before.RSSBytes), mib(peak.RSSBytes), mib(after.RSSBytes)), soakCommand)
}
