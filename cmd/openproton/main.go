// Command openproton is a self-hosted server that speaks the AWS Proton API.
//
// Usage:
//
//	openproton serve [flags]   run the server (openproton serve -h lists the flags)
//	openproton version         print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/openproton/openproton/internal/render"
	"github.com/openproton/openproton/internal/server"
)

func main() {
	// Template rendering runs in a process of this executable; such a
	// process does nothing else.
	render.MaybeChild()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: openproton serve [flags] | openproton version")
		return 2
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, "openproton", server.Version)
		return 0
	case "serve":
		return serve(args[1:], stderr)
	}
	fmt.Fprintf(stderr, "openproton: unknown command %q (use serve or version)\n", args[0])
	return 2
}

// defaultGCPercent is the garbage collector's GOGC unless the environment
// sets one. Go's default of 100 starts a collection each time the heap
// doubles, and the live heap of this server is a few MiB, so under load it
// collected dozens of times a second and stopped every busy goroutine each
// time; 400 collects a quarter as often for some MiB more of memory under
// load (docs/benchmarks.md). Idle memory does not change.
const defaultGCPercent = 400

func serve(args []string, stderr io.Writer) int {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	cfg, err := server.ParseConfig(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		server.Usage(stderr)
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "openproton:", err)
		return 2
	}
	log := newLogger(cfg.LogFormat, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "openproton:", err)
		return 1
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		fmt.Fprintln(stderr, "openproton: invalid --listen:", err)
		return 1
	}
	if err := srv.Serve(ctx, ln); err != nil {
		log.Error("server stopped", "error", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
