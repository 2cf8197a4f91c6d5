// Command openproton is a self-hosted server that speaks the AWS Proton API.
//
// Usage:
//
//	openproton serve [flags]   run the server (openproton serve -h lists the flags)
//	openproton version         print the version
//	openproton help [command]  print this help, or a command's
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
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

// help is the top-level help: the commands, one line each.
const help = `openproton is a self-hosted server that speaks the AWS Proton API.

Usage: openproton <command> [arguments]

Commands:
  serve [flags]    run the server; openproton serve -h lists its flags
  version          print the version
  help [command]   print this help, or a command's

Documentation: README.md and docs/ (docs/configuration.md lists every setting of serve).
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "openproton: no command given; openproton help lists the commands")
		return 2
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, "openproton", server.Version)
		return 0
	case "serve":
		return serve(args[1:], stderr)
	case "help", "-h", "-help", "--help":
		return helpCommand(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "openproton: unknown command %q; openproton help lists the commands\n", args[0])
	return 2
}

// helpCommand prints the top-level help, or the help of the command named.
func helpCommand(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(stdout, help)
	case args[0] == "serve":
		server.Usage(stdout)
	case args[0] == "version":
		fmt.Fprintln(stdout, "usage: openproton version\n\nPrints the version of this openproton binary.")
	case args[0] == "help":
		fmt.Fprint(stdout, help)
	default:
		fmt.Fprintf(stderr, "openproton: unknown command %q; openproton help lists the commands\n", args[0])
		return 2
	}
	return 0
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
	ln, err := cfg.Listener()
	if err != nil {
		fmt.Fprintln(stderr, "openproton:", err)
		return 2
	}
	if err := srv.Serve(ctx, ln); err != nil {
		if server.InvalidSetting(err) {
			fmt.Fprintln(stderr, "openproton:", err)
			return 2
		}
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
