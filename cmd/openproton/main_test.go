package main

import (
	"bytes"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHelp prints the commands, one line each, and where serve's flags
// are, on stdout with status 0, however help is asked for.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"-help"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Errorf("openproton %s: exit %d, want 0; stderr %q", args[0], code, stderr.String())
		}
		out := stdout.String()
		for _, want := range []string{"\n  serve ", "\n  version ", "\n  help ", "openproton serve -h"} {
			if !strings.Contains(out, want) {
				t.Errorf("openproton %s: help does not contain %q:\n%s", args[0], want, out)
			}
		}
		if strings.Contains(out, "unknown command") || stderr.Len() != 0 {
			t.Errorf("openproton %s: stdout %q, stderr %q", args[0], out, stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"help", "serve"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "-bundle-dir") {
		t.Errorf("openproton help serve: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// TestUsageErrors exits 2 with a line on stderr for an unknown command or
// none, and points to the help.
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"bogus"}, {"--bogus"}, {}, {"help", "bogus"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("openproton %v: exit %d, want 2", args, code)
		}
		if stdout.Len() != 0 || !strings.Contains(stderr.String(), "openproton help") {
			t.Errorf("openproton %v: stdout %q, stderr %q", args, stdout.String(), stderr.String())
		}
	}
}

// TestStartFailuresAreInvalidSettings: a --bundle-dir that does not exist
// and a --listen address in use stop serve at start like every other
// invalid setting: one line naming the setting, status 2.
func TestStartFailuresAreInvalidSettings(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	missing := filepath.Join(t.TempDir(), "missing")
	oneLine := regexp.MustCompile(`^openproton: invalid --[a-z-]+ "[^"\n]*": [^\n]+\n$`)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--bundle-dir", missing, "--listen", "127.0.0.1:0"}, `openproton: invalid --bundle-dir "` + missing + `": no such directory`},
		{[]string{"--listen", busy.Addr().String()}, `openproton: invalid --listen "` + busy.Addr().String() + `": the address is in use by another process`},
		{[]string{"--max-body-bytes", "3"}, `openproton: invalid --max-body-bytes 3: at least 1024`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"serve", "--store", "memory"}, c.args...), &stdout, &stderr)
		if code != 2 || strings.TrimSpace(stderr.String()) != c.want {
			t.Errorf("openproton serve %v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr.String(), c.want)
		}
		if strings.Contains(c.want, `"`) && !oneLine.MatchString(stderr.String()) {
			t.Errorf("openproton serve %v: stderr %q is not one line naming the setting", c.args, stderr.String())
		}
	}
}
