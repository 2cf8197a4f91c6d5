// Command openproton-bench measures openproton against the bare-HTTP
// ceiling, in one run (see docs/benchmarks.md).
//
// Usage:
//
//	go run ./cmd/openproton-bench [flags]         ceiling, scenarios on SQLite and PostgreSQL, footprint
//	go run ./cmd/openproton-bench scale [flags]   Get and List with 1,000,000 stored connections against an empty store
//
// It builds openproton from this module (or runs -server), starts it and
// the ceiling server on loopback ports, drives them with SigV4-signed
// requests, and prints Markdown tables.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/openproton/openproton/internal/bench"
)

// defaultPostgres is the local PostgreSQL of the project's tests.
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func main() {
	bench.ServeCeilingIfAsked()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// common are the flags of both modes.
type common struct {
	connections int
	duration    time.Duration
	warmup      time.Duration
	postgres    string
	server      string
	work        string
	out         string
}

func (c *common) register(fs *flag.FlagSet, duration time.Duration) {
	fs.IntVar(&c.connections, "connections", 64, "connections kept busy")
	fs.DurationVar(&c.duration, "duration", duration, "measured time of each scenario")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "unmeasured time before each scenario's measurement")
	fs.StringVar(&c.postgres, "postgres", defaultPostgres, "PostgreSQL server for the PostgreSQL rows (a throw-away schema is used and dropped); empty leaves them out")
	fs.StringVar(&c.server, "server", "", "openproton executable to measure; empty builds ./cmd/openproton of this module")
	fs.StringVar(&c.work, "work", "", "work directory (stores, logs); empty uses a temporary one, removed at the end")
	fs.StringVar(&c.out, "out", "", "also write the Markdown report to this file")
}

func run(args []string, stdout, stderr io.Writer) int {
	mode := "run"
	if len(args) > 0 && args[0] == "scale" {
		mode, args = "scale", args[1:]
	}
	fs := flag.NewFlagSet("openproton-bench "+mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	var (
		scenarios  = "Get,List,Create,Accept"
		profile    string
		coldStarts int
		rows       int
		rounds     int
	)
	if mode == "scale" {
		c.register(fs, 5*time.Second)
		fs.IntVar(&rows, "rows", 1_000_000, "connections loaded into the full store")
		fs.IntVar(&rounds, "rounds", 3, "alternating measurements of the empty and the full store")
	} else {
		c.register(fs, 10*time.Second)
		fs.StringVar(&scenarios, "scenarios", scenarios, "comma-separated scenario name prefixes, each naming the first scenario it starts: Get, List, Create, Accept, Environment Get, Environment List (the last two are not in the default run)")
		fs.StringVar(&profile, "profile", "", "directory for a CPU profile of openproton in each scenario (go tool pprof FILE)")
		fs.IntVar(&coldStarts, "cold-starts", 5, "cold starts to time; 0 leaves the footprint out")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "openproton-bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, cleanup, err := workDir(c.work)
	if err != nil {
		fmt.Fprintln(stderr, "openproton-bench:", err)
		return 1
	}
	defer cleanup()
	binary := c.server
	if binary == "" {
		fmt.Fprintln(stderr, "== building openproton ...")
		root, err := moduleRoot()
		if err == nil {
			binary, err = bench.BuildServer(ctx, root, dir)
		}
		if err != nil {
			fmt.Fprintln(stderr, "openproton-bench:", err)
			return 1
		}
	}
	load := bench.Load{Connections: c.connections, Warmup: c.warmup, Duration: c.duration}

	var report interface{ Markdown(io.Writer) }
	if mode == "scale" {
		report, err = bench.RunScale(ctx, bench.ScaleOptions{Binary: binary, Dir: dir, Load: load, Rows: rows, Rounds: rounds, Postgres: c.postgres, Log: stderr})
	} else {
		var list []bench.Scenario
		for _, name := range strings.Split(scenarios, ",") {
			sc, ok := bench.ScenarioNamed(strings.TrimSpace(name))
			if !ok {
				fmt.Fprintf(stderr, "openproton-bench: no scenario named %q\n", name)
				return 2
			}
			list = append(list, sc)
		}
		if profile != "" {
			if err := os.MkdirAll(profile, 0o755); err != nil {
				fmt.Fprintln(stderr, "openproton-bench:", err)
				return 1
			}
		}
		report, err = bench.Run(ctx, bench.Options{Binary: binary, Dir: dir, Load: load, Postgres: c.postgres,
			Scenarios: list, ProfileDir: profile, ColdStarts: coldStarts, Log: stderr})
	}
	if err != nil {
		fmt.Fprintln(stderr, "openproton-bench:", err)
		return 1
	}
	fmt.Fprintln(stdout)
	report.Markdown(stdout)
	if c.out != "" {
		f, err := os.Create(c.out)
		if err != nil {
			fmt.Fprintln(stderr, "openproton-bench:", err)
			return 1
		}
		report.Markdown(f)
		if err := f.Close(); err != nil {
			fmt.Fprintln(stderr, "openproton-bench:", err)
			return 1
		}
	}
	return 0
}

// workDir returns the work directory and what removes it.
func workDir(dir string) (string, func(), error) {
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", nil, err
		}
		return abs, func() {}, os.MkdirAll(abs, 0o755)
	}
	tmp, err := os.MkdirTemp("", "openproton-bench-")
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// moduleRoot is the directory of the go.mod of the current module.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run openproton-bench inside the openproton module, or pass -server")
	}
	return filepath.Dir(mod), nil
}
