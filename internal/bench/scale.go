package bench

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/postgres"
	"github.com/openproton/openproton/internal/store/sqlite"
)

// targetScaleP99 is how much slower, at p99, Get and the first List page
// may be with the store full than empty.
const targetScaleP99 = 1.5

// ScaleOptions configure the scale mode.
type ScaleOptions struct {
	Binary   string
	Dir      string
	Load     Load
	Rows     int    // connections loaded into the full store
	Rounds   int    // alternating measurements of each store; at least 1
	Postgres string // PostgreSQL server URL; "" leaves PostgreSQL out
	Log      io.Writer
}

// ScaleRow compares one scenario on the empty and on the full store.
type ScaleRow struct {
	Target    string
	Scenario  string
	Empty     Result // the round with the median p99
	Full      Result
	EmptyP99s []time.Duration // every round's p99, in order
	FullP99s  []time.Duration
}

// P99Ratio is the full store's median p99 over the empty store's.
func (r ScaleRow) P99Ratio() float64 {
	if r.Empty.P99 == 0 {
		return 0
	}
	return float64(r.Full.P99) / float64(r.Empty.P99)
}

// ScaleReport is what the scale mode measured.
type ScaleReport struct {
	Started  time.Time
	Machine  Machine
	Load     Load
	Stored   int
	Rounds   int
	LoadTime map[string]time.Duration // how long each target's bulk load took
	Rows     []ScaleRow
}

// scaleStore is one store of the scale mode: its --store, and its bulk load
// through the store package (with its server stopped).
type scaleStore struct {
	spec string
	load func(ctx context.Context, next func() (store.Connection, bool)) (int, error)
}

// RunScale compares Get and the first List page of a store holding only
// the page the scenarios seed (empty) with a store holding o.Rows more
// connections, loaded through the store (full), for SQLite and PostgreSQL.
// Both servers run side by side and are measured in alternation, round
// after round, so that a change in the machine's other load shows in both
// and the median round of each is compared.
func RunScale(ctx context.Context, o ScaleOptions) (*ScaleReport, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	o.Rounds = max(o.Rounds, 1)
	rep := &ScaleReport{Started: time.Now().UTC(), Machine: ReadMachine(), Load: o.Load, Stored: o.Rows, Rounds: o.Rounds, LoadTime: map[string]time.Duration{}}
	accounts := NewAccounts(1, pageSize)
	creds := filepath.Join(o.Dir, "credentials.yaml")
	if err := accounts.WriteCredentials(creds); err != nil {
		return nil, err
	}

	sqliteStore := func(name string) (scaleStore, func(), error) {
		path := filepath.Join(o.Dir, name, "openproton.db")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return scaleStore{}, nil, err
		}
		return scaleStore{spec: "sqlite:" + path, load: func(ctx context.Context, next func() (store.Connection, bool)) (int, error) {
			s, err := sqlite.Open(ctx, path)
			if err != nil {
				return 0, err
			}
			defer s.Close()
			return s.BulkLoadConnections(ctx, next)
		}}, func() {}, nil
	}
	postgresStore := func(string) (scaleStore, func(), error) {
		url, drop, err := PostgresSchema(ctx, o.Postgres)
		if err != nil {
			return scaleStore{}, nil, err
		}
		return scaleStore{spec: url, load: func(ctx context.Context, next func() (store.Connection, bool)) (int, error) {
			// The server created the schema; the URL's search_path names it.
			s, err := postgres.Open(ctx, url, postgres.Options{})
			if err != nil {
				return 0, err
			}
			defer s.Close()
			return s.BulkLoadConnections(ctx, next)
		}}, drop, nil
	}
	targets := []struct {
		name string
		open func(name string) (scaleStore, func(), error)
	}{{TargetSQLite, sqliteStore}}
	if o.Postgres != "" {
		targets = append(targets, struct {
			name string
			open func(name string) (scaleStore, func(), error)
		}{TargetPostgreSQL, postgresStore})
	}
	for _, t := range targets {
		empty, dropEmpty, err := t.open("scale-empty")
		if err != nil {
			return nil, err
		}
		full, dropFull, err := t.open("scale-full")
		if err != nil {
			dropEmpty()
			return nil, err
		}
		rows, took, err := scaleOne(ctx, o, t.name, empty, full, accounts, creds)
		dropEmpty()
		dropFull()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name, err)
		}
		rep.Rows = append(rep.Rows, rows...)
		rep.LoadTime[t.name] = took
	}
	rep.Machine.LoadAfter = readLoadAverage()
	return rep, nil
}

// seeded is a running server whose store holds the seeded page.
type seeded struct {
	srv *Server
	ids []string
}

// startSeeded starts a server on spec and seeds its page, unless ids are
// given (the store already holds them).
func startSeeded(ctx context.Context, cfg ServerConfig, accounts Accounts, ids []string) (seeded, error) {
	srv, err := StartServer(ctx, cfg)
	if err != nil {
		return seeded{}, err
	}
	c := NewConn(srv.Addr)
	defer c.Close()
	if ids == nil {
		ids, err = seedPage(c, accounts)
	}
	if err == nil {
		err = checkFullPage(c, accounts.Management[0])
	}
	if err != nil {
		_ = srv.Stop()
		return seeded{}, err
	}
	return seeded{srv: srv, ids: ids}, nil
}

func scaleOne(ctx context.Context, o ScaleOptions, target string, empty, full scaleStore, accounts Accounts, creds string) ([]ScaleRow, time.Duration, error) {
	caller := accounts.Management[0]
	cfg := func(spec, name string) ServerConfig {
		return ServerConfig{Binary: o.Binary, Store: spec, Credentials: creds, Dir: o.Dir, Name: name}
	}

	// The full store gets the same seeded page first, then the load.
	fmt.Fprintf(o.Log, "== %s: seeding, then loading %d connections through the store ...\n", target, o.Rows)
	f, err := startSeeded(ctx, cfg(full.spec, "scale-full"), accounts, nil)
	if err != nil {
		return nil, 0, err
	}
	if err := f.srv.Stop(); err != nil {
		return nil, 0, err
	}
	start := time.Now()
	n, err := full.load(ctx, syntheticConnections(o.Rows, caller.Account, time.Now()))
	took := time.Since(start)
	if err != nil {
		return nil, 0, fmt.Errorf("bulk load: %w", err)
	}
	if n != o.Rows {
		return nil, 0, fmt.Errorf("bulk load inserted %d connections, want %d", n, o.Rows)
	}
	fmt.Fprintf(o.Log, "   loaded in %s\n", took.Round(time.Millisecond))

	if f, err = startSeeded(ctx, cfg(full.spec, "scale-full"), accounts, f.ids); err != nil {
		return nil, 0, err
	}
	defer f.srv.Stop()
	e, err := startSeeded(ctx, cfg(empty.spec, "scale-empty"), accounts, nil)
	if err != nil {
		return nil, 0, err
	}
	defer e.srv.Stop()

	rows := []ScaleRow{{Target: target, Scenario: "Get"}, {Target: target, Scenario: "List (first page of 100)"}}
	var emptyRes, fullRes [2][]Result
	for round := range o.Rounds {
		// Alternate which store goes first, so that a drift in the
		// machine's load favours neither.
		order := []seeded{e, f}
		if round%2 == 1 {
			order = []seeded{f, e}
		}
		for i, workers := range []func(s seeded) func(int) Worker{
			func(s seeded) func(int) Worker { return getWorkers(s.ids, caller) },
			func(seeded) func(int) Worker { return listWorkers(caller) },
		} {
			for _, s := range order {
				res, err := Drive(ctx, s.srv.Addr, o.Load, workers(s), s.srv.Sample, nil)
				if err != nil {
					return nil, 0, err
				}
				kind := "full"
				if s.srv == e.srv {
					kind = "empty"
					emptyRes[i] = append(emptyRes[i], res)
				} else {
					fullRes[i] = append(fullRes[i], res)
				}
				fmt.Fprintf(o.Log, "   round %d, %s, %s: %s\n", round+1, rows[i].Scenario, kind, res)
			}
		}
	}
	for i := range rows {
		rows[i].Empty, rows[i].EmptyP99s = medianP99(emptyRes[i])
		rows[i].Full, rows[i].FullP99s = medianP99(fullRes[i])
	}
	return rows, took, nil
}

// medianP99 returns the result with the median p99 (the lower median of an
// even count) and every result's p99 in order.
func medianP99(rs []Result) (Result, []time.Duration) {
	p99s := make([]time.Duration, len(rs))
	for i, r := range rs {
		p99s[i] = r.P99
	}
	sorted := slices.SortedFunc(slices.Values(rs), func(a, b Result) int { return cmp.Compare(a.P99, b.P99) })
	return sorted[(len(sorted)-1)/2], p99s
}

// syntheticConnections yields n connections shaped like a large
// installation: 100 per environment account, spread over 1,000 management
// accounts (the first of which is management, whose first List page the
// scale mode reads), most connected, some pending or rejected, requested
// over the past year, older than the seeded page.
func syntheticConnections(n int, management string, now time.Time) func() (store.Connection, bool) {
	const perEnvironment, managers = 100, 1000
	year := 365 * 24 * time.Hour
	first := now.Add(-year - time.Hour).UTC().Truncate(time.Millisecond)
	step := year / time.Duration(max(n, 1))
	i := 0
	return func() (store.Connection, bool) {
		if i == n {
			return store.Connection{}, false
		}
		env := fmt.Sprintf("3%011d", i/perEnvironment)
		mgmt := fmt.Sprintf("4%011d", i%managers)
		if i%managers == 0 {
			mgmt = management
		}
		status := store.StatusConnected
		switch i % 10 {
		case 0:
			status = store.StatusPending
		case 7, 8, 9:
			status = store.StatusRejected
		}
		at := first.Add(time.Duration(i) * step).Truncate(time.Millisecond)
		c := store.Connection{
			ID:                   uuid.NewString(),
			Region:               Region,
			EnvironmentAccountID: env,
			ManagementAccountID:  mgmt,
			EnvironmentName:      fmt.Sprintf("env-%d", i%50),
			RoleArn:              "arn:aws:iam::" + env + ":role/proton-environment-role",
			Status:               status,
			RequestedAt:          at,
			LastModifiedAt:       at,
		}
		i++
		return c, true
	}
}

// Markdown writes the scale report as the table of docs/benchmarks.md.
func (r *ScaleReport) Markdown(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "Scale run of %s UTC: %d connections, %s measured after %s of warm-up, SigV4 verified; the empty and the full store served side by side and measured in alternation, %d rounds each, the round with the median p99 shown.\n\n",
		r.Started.Format("2006-01-02 15:04"), r.Load.Connections, r.Load.Duration, r.Load.Warmup, r.Rounds)
	fmt.Fprintf(w, "Machine: %d CPUs (%s), %.1f GiB memory, Linux %s, %s; load average %s before, %s after.\n\n",
		m.CPUs, m.CPUModel, float64(m.MemoryMiB)/1024, m.Kernel, m.GoVersion, m.LoadBefore, m.LoadAfter)
	fmt.Fprintf(w, "| Target | Scenario | Empty: requests/s | p50 | p99 | CPU/request | %s stored: requests/s | p50 | p99 | CPU/request | p99 full / empty | Within %.1fx |\n", thousands(float64(r.Stored)), targetScaleP99)
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
	for _, row := range r.Rows {
		ok := "yes"
		if row.P99Ratio() > targetScaleP99 {
			ok = fmt.Sprintf("no: over by %.0f%%", 100*(row.P99Ratio()/targetScaleP99-1))
		}
		errs := 0
		for _, res := range []Result{row.Empty, row.Full} {
			errs += res.Errors
		}
		if errs > 0 {
			ok += fmt.Sprintf(" (%d errors)", errs)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2f | %s |\n", row.Target, row.Scenario,
			thousands(row.Empty.PerSecond), ms(row.Empty.P50), ms(row.Empty.P99), us(row.Empty.CPUPerRequest()),
			thousands(row.Full.PerSecond), ms(row.Full.P50), ms(row.Full.P99), us(row.Full.CPUPerRequest()), row.P99Ratio(), ok)
	}
	fmt.Fprintln(w)
	for _, row := range r.Rows {
		fmt.Fprintf(w, "- %s, %s: p99 of each round, empty %s; full %s.\n", row.Target, row.Scenario, durations(row.EmptyP99s), durations(row.FullP99s))
	}
	for _, t := range []string{TargetSQLite, TargetPostgreSQL} {
		if d, ok := r.LoadTime[t]; ok {
			fmt.Fprintf(w, "- %s: bulk load of %s connections through the store took %s.\n", t, thousands(float64(r.Stored)), d.Round(time.Second))
		}
	}
}

func durations(ds []time.Duration) string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = ms(d)
	}
	return strings.Join(out, ", ")
}
