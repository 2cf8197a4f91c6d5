package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// tokenKey authenticates page tokens; PostgreSQL stores need one, and a
// fixed one keeps the runs alike.
const tokenKey = "openproton-benchmark-page-token-key"

// benchQuota replaces the default of five active connections per
// environment account: the create scenarios spread over a thousand
// accounts, but each still passes five within seconds.
const benchQuota = "1000000"

// ServerConfig is how the harness runs `openproton serve`.
type ServerConfig struct {
	Binary      string // the openproton executable
	Store       string // --store value
	Credentials string // credentials file (sigv4 mode)
	Dir         string // where the log goes
	Name        string // names the log file
	DebugListen bool   // serve profiles on a second loopback port
	// BundleDir, when set, is the --bundle-dir of template bundles, and
	// deployments then take --provisioner-delay 10ms, so that the
	// environment scenarios' setup is quick.
	BundleDir string
}

// Server is a running openproton process.
type Server struct {
	*Process
	DebugAddr string // host:port of /debug/pprof/, when asked for
}

// StartServer starts openproton and waits until it is healthy.
func StartServer(ctx context.Context, cfg ServerConfig) (*Server, error) {
	s, err := spawnServer(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.waitHealthy(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// spawnServer starts openproton without waiting for it.
func spawnServer(cfg ServerConfig) (*Server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"serve",
		"--listen", addr,
		"--store", cfg.Store,
		"--auth", "sigv4",
		"--credentials", cfg.Credentials,
		"--log-format", "json",
		"--token-key", tokenKey,
		"--quota-environment-account-connections", benchQuota,
	}
	if cfg.BundleDir != "" {
		args = append(args, "--bundle-dir", cfg.BundleDir, "--provisioner-delay", benchProvisionDelay)
	}
	s := &Server{}
	if cfg.DebugListen {
		if s.DebugAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		args = append(args, "--debug-listen", s.DebugAddr)
	}
	cmd := exec.Command(cfg.Binary, args...)
	// The access log goes to a file, as it would go to a journal: writing
	// it is part of serving a request.
	s.Process, err = start(cmd, addr, filepath.Join(cfg.Dir, cfg.Name+".log"))
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", cfg.Binary, err)
	}
	return s, nil
}

// profile downloads a CPU profile of d from the server's debug listener
// into path. It runs beside the load and reports failures on w.
func (s *Server) profile(ctx context.Context, d time.Duration, path string, w io.Writer) {
	secs := max(1, int(d/time.Second)-1)
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", s.DebugAddr, secs)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintln(w, "profile:", err)
		return
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(w, "profile:", err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1000))
		fmt.Fprintf(w, "profile: HTTP %d: %s\n", resp.StatusCode, strings.TrimSpace(string(b)))
		return
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(w, "profile:", err)
		return
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		fmt.Fprintln(w, "profile:", err)
	}
}

// BuildServer builds the openproton command from the module at root into
// dir and returns the executable's path.
func BuildServer(ctx context.Context, root, dir string) (string, error) {
	out := filepath.Join(dir, "openproton")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/openproton")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/openproton: %v\n%s", err, b)
	}
	return out, nil
}
