package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCrash is the crash harness: a write load of creates (with client
// tokens and tags), accepts, rejects, role updates, tags, untags and deletes
// runs against a server process, which is killed with SIGKILL at a random
// moment and restarted on the same store, over and over. After every
// restart the client's ledger of acknowledged writes is checked against the
// server (see crashWorker.verify) and the store is checked for tags of
// missing resources.
//
// Knobs: OPENPROTON_CRASH_KILLS (kills per store, default 6),
// OPENPROTON_CRASH_WORKERS (concurrent writers, default 4),
// OPENPROTON_CRASH_SEED (the random seed; a failure names the one it used).
func TestCrash(t *testing.T) {
	t.Parallel()
	for _, st := range relStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			crashRun(t, st)
		})
	}
}

func crashRun(t *testing.T, st relStore) {
	kills := relKnob(t, "OPENPROTON_CRASH_KILLS", 6)
	workers := relKnob(t, "OPENPROTON_CRASH_WORKERS", 4)
	seed := uint64(relKnob(t, "OPENPROTON_CRASH_SEED", 1+rand.IntN(1<<30)))
	t.Logf("seed %d (OPENPROTON_CRASH_SEED=%d repeats this run's choices)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	args, spec := st.fresh(t)
	srv := StartServer(t, append(args, "--quota-environment-account-connections", "1000")...)
	db := storeDB(t, spec)
	transport := &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(transport.CloseIdleConnections)
	httpClient := &http.Client{Transport: transport, Timeout: 20 * time.Second}

	ws := make([]*crashWorker, workers)
	for i := range ws {
		ws[i] = newCrashWorker(i, seed, connAccount(), connAccount(), httpClient, srv.URL)
	}
	var stats crashStats
	var settled time.Duration // the longest wait for the store to finish with a killed server
	started := time.Now()
	for round := 1; round <= kills; round++ {
		var stop atomic.Bool
		var wg sync.WaitGroup
		for _, w := range ws {
			w.round = round
			wg.Go(func() { w.run(t, &stop) })
		}
		// A random moment: early ones hit creates and first writes,
		// later ones a busy mix.
		time.Sleep(time.Duration(30+rng.IntN(600)) * time.Millisecond)
		srv.Kill(t)
		stop.Store(true)
		wg.Wait()
		transport.CloseIdleConnections()
		if st.settle != nil {
			settled = max(settled, st.settle(t, spec))
		}
		srv.Restart(t)
		for _, w := range ws {
			w.verify(t, &stats)
		}
		if orphans := storeOrphanTags(t, db); len(orphans) > 0 {
			t.Errorf("round %d: tags of resources that do not exist: %s", round, strings.Join(orphans, ", "))
		}
		if t.Failed() {
			t.Fatalf("round %d of %d failed (seed %d)\n--- the killed server's warnings and errors ---\n%s\n--- end of its log ---\n%s\n--- end of the restarted server's log ---\n%s",
				round, kills, seed, relProblems(srv.PreviousLogs()), relTail(srv.PreviousLogs(), 30), relTail(srv.Logs(), 30))
		}
		if round%25 == 0 {
			t.Logf("%d kills survived in %v", round, time.Since(started).Round(time.Second))
		}
	}
	crashCommand := fmt.Sprintf("OPENPROTON_CRASH_KILLS=%d OPENPROTON_CRASH_WORKERS=%d scripts/reliability crash", kills, workers)
	acked := map[string]int{}
	total := 0
	for _, w := range ws {
		for k, n := range w.acks {
			acked[k] += n
			total += n
		}
	}
	connNo5xx(t, srv)
	t.Logf("%d kills in %v; acknowledged writes by kind: %v", kills, time.Since(started).Round(time.Millisecond), acked)
	relFigure(t, "kills survived", kills, crashCommand)
	relFigure(t, "acknowledged writes", total, crashCommand)
	relFigure(t, "acknowledged writes lost", 0, crashCommand)
	relFigure(t, "connection states checked after restarts", stats.verified, crashCommand)
	relFigure(t, "deletes checked after restarts", stats.deletesChecked, crashCommand)
	relFigure(t, "creates replayed with their client token", stats.replays, crashCommand)
	relFigure(t, "writes in doubt at a kill (committed / not)", fmt.Sprintf("%d / %d", stats.doubtCommitted, stats.doubtUncommitted), crashCommand)
	if st.settle != nil {
		relFigure(t, "longest wait for the database to end a killed server's sessions", settled.Round(time.Millisecond).String(), crashCommand)
	}
}
