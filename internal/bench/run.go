package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options configure a run of the harness.
type Options struct {
	Binary     string     // the openproton executable
	Dir        string     // work directory: stores, credentials, logs
	Load       Load       // the same for every target
	Postgres   string     // PostgreSQL server URL for the PostgreSQL rows; "" leaves them out
	Scenarios  []Scenario // what to run against openproton
	ProfileDir string     // where CPU profiles of each openproton scenario go; "" for none
	ColdStarts int        // cold starts to time; 0 leaves the footprint out
	Log        io.Writer  // progress lines
}

// Target names what a row measured.
const (
	TargetCeiling    = "ceiling (bare net/http)"
	TargetSQLite     = "openproton, SQLite"
	TargetPostgreSQL = "openproton, PostgreSQL"
)

// Row is one measured scenario.
type Row struct {
	Target   string
	Scenario string
	Result
	Ratio float64 // requests/s over the ceiling's, 0 for the ceiling
}

// Report is everything one run measured.
type Report struct {
	Started   time.Time
	Machine   Machine
	Load      Load
	Ceiling   []Result // before and after the openproton rows
	Rows      []Row    // ceiling rows first
	Footprint *Footprint
}

// CeilingPerSecond is the mean of the ceiling runs.
func (r *Report) CeilingPerSecond() float64 {
	var sum float64
	for _, c := range r.Ceiling {
		sum += c.PerSecond
	}
	if len(r.Ceiling) == 0 {
		return 0
	}
	return sum / float64(len(r.Ceiling))
}

// Run measures the ceiling, every scenario on SQLite (and PostgreSQL when
// configured), the ceiling again, and the footprint.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if len(o.Scenarios) == 0 {
		return nil, errNoScenarios
	}
	rep := &Report{Started: time.Now().UTC(), Machine: ReadMachine(), Load: o.Load}
	accounts := NewAccounts(16, 1000)
	creds := filepath.Join(o.Dir, "credentials.yaml")
	if err := accounts.WriteCredentials(creds); err != nil {
		return nil, err
	}
	bundles := filepath.Join(o.Dir, "bundles")
	if err := WriteBundles(bundles); err != nil {
		return nil, err
	}

	ceiling := func(label string) error {
		fmt.Fprintf(o.Log, "== ceiling (%s) ...\n", label)
		res, err := runCeiling(ctx, o)
		if err != nil {
			return fmt.Errorf("ceiling: %w", err)
		}
		fmt.Fprintf(o.Log, "   %s\n", res)
		rep.Ceiling = append(rep.Ceiling, res)
		return nil
	}
	if err := ceiling("before"); err != nil {
		return nil, err
	}

	type backend struct {
		target string
		store  func(name string) (string, func(), error)
	}
	backends := []backend{{TargetSQLite, func(name string) (string, func(), error) {
		return "sqlite:" + filepath.Join(o.Dir, name, "openproton.db"), func() {}, nil
	}}}
	if o.Postgres != "" {
		backends = append(backends, backend{TargetPostgreSQL, func(string) (string, func(), error) {
			return PostgresSchema(ctx, o.Postgres)
		}})
	}
	var rows []Row
	for _, b := range backends {
		for i, sc := range o.Scenarios {
			fmt.Fprintf(o.Log, "== %s: %s ...\n", b.target, sc.Name)
			name := fmt.Sprintf("%s-%d", map[string]string{TargetSQLite: "sqlite", TargetPostgreSQL: "postgres"}[b.target], i)
			store, drop, err := b.store(name)
			if err != nil {
				return nil, err
			}
			res, err := runScenario(ctx, o, sc, ServerConfig{Binary: o.Binary, Store: store, Credentials: creds, Dir: o.Dir, Name: name, BundleDir: bundles}, accounts)
			drop()
			if err != nil {
				return nil, fmt.Errorf("%s, %s: %w", b.target, sc.Name, err)
			}
			fmt.Fprintf(o.Log, "   %s\n", res)
			rows = append(rows, Row{Target: b.target, Scenario: sc.Name, Result: res})
		}
	}

	if err := ceiling("after"); err != nil {
		return nil, err
	}
	for _, c := range rep.Ceiling {
		rep.Rows = append(rep.Rows, Row{Target: TargetCeiling, Scenario: "Get-sized JSON", Result: c})
	}
	for i := range rows {
		rows[i].Ratio = rows[i].PerSecond / rep.CeilingPerSecond()
	}
	rep.Rows = append(rep.Rows, rows...)

	if o.ColdStarts > 0 {
		fmt.Fprintln(o.Log, "== footprint ...")
		fp, err := MeasureFootprint(ctx, o.Binary, filepath.Join(o.Dir, "footprint"), o.ColdStarts)
		if err != nil {
			return nil, fmt.Errorf("footprint: %w", err)
		}
		fmt.Fprintf(o.Log, "   %s\n", fp)
		rep.Footprint = fp
	}
	rep.Machine.LoadAfter = readLoadAverage()
	return rep, nil
}

func runCeiling(ctx context.Context, o Options) (Result, error) {
	p, err := startCeiling(ctx, o.Dir)
	if err != nil {
		return Result{}, err
	}
	key := Key{AccessKeyID: "AKIABENCHCEILING", Secret: "ceiling", Account: "111111111111"}
	body := idBody("6f1a5a2e-8c1b-4f0e-9d57-2b1f3c4d5e6f")
	res, err := Drive(ctx, p.Addr, o.Load, func(int) Worker {
		return func(s *Session, _ int) error {
			_, err := s.Call(opGet, key, body)
			return err
		}
	}, p.Sample, nil)
	if serr := p.Stop(); err == nil {
		err = serr
	}
	return res, err
}

// runScenario runs sc against a fresh openproton process.
func runScenario(ctx context.Context, o Options, sc Scenario, cfg ServerConfig, accounts Accounts) (Result, error) {
	if err := os.MkdirAll(filepath.Join(o.Dir, cfg.Name), 0o755); err != nil {
		return Result{}, err
	}
	cfg.DebugListen = o.ProfileDir != ""
	srv, err := StartServer(ctx, cfg)
	if err != nil {
		return Result{}, err
	}
	c := NewConn(srv.Addr)
	workers, err := sc.Prepare(ctx, c, accounts)
	c.Close()
	if err != nil {
		_ = srv.Stop()
		return Result{}, err
	}
	var during func(context.Context, time.Duration)
	if o.ProfileDir != "" {
		path := filepath.Join(o.ProfileDir, cfg.Name+".pprof")
		during = func(ctx context.Context, d time.Duration) { srv.profile(ctx, d, path, o.Log) }
	}
	res, err := Drive(ctx, srv.Addr, o.Load, workers, srv.Sample, during)
	if serr := srv.Stop(); err == nil {
		err = serr
	}
	return res, err
}

// PostgresSchema returns a store URL on base with a schema of its own (the
// server creates it) and a function that drops the schema.
func PostgresSchema(ctx context.Context, base string) (string, func(), error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("postgres URL: %w", err)
	}
	admin, err := pgxpool.New(ctx, base)
	if err == nil {
		err = admin.Ping(ctx)
	}
	if err != nil {
		if admin != nil {
			admin.Close()
		}
		return "", nil, fmt.Errorf("PostgreSQL is not reachable at %s: %w (start it, or leave the PostgreSQL rows out with -postgres '')", base, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "bench_" + hex.EncodeToString(b[:])
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		dctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_, _ = admin.Exec(dctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
		admin.Close()
	}
	return u.String(), drop, nil
}

// errNoScenarios is returned when a run would measure nothing.
var errNoScenarios = errors.New("bench: no scenario to run")
