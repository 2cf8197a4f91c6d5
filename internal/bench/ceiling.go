package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// ceilingEnv, set to a listen address, turns the harness's own executable
// into the ceiling server (see ServeCeilingIfAsked). The ceiling runs in a
// process of its own, as openproton does, so that the two are measured the
// same way: their own Go runtime, their own CPU time.
const ceilingEnv = "OPENPROTON_BENCH_CEILING"

// ServeCeilingIfAsked serves the ceiling and exits the process when the
// harness started this executable as the ceiling; otherwise it returns at
// once. A program that runs the harness (its command, its tests) calls it
// first thing in main or TestMain.
func ServeCeilingIfAsked() {
	addr := os.Getenv(ceilingEnv)
	if addr == "" {
		return
	}
	if err := serveCeiling(addr); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serveCeiling serves the ceiling on addr until SIGTERM.
func serveCeiling(addr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("/", ceilingHandler)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// ceilingInput and ceilingConnection mirror the shapes of
// GetEnvironmentAccountConnection, so that the ceiling decodes and encodes
// about as many bytes as openproton does for a Get.
type ceilingInput struct {
	ID *string `json:"id"`
}

type ceilingOutput struct {
	Connection ceilingConnection `json:"environmentAccountConnection"`
}

type ceilingConnection struct {
	Arn                  string  `json:"arn"`
	EnvironmentAccountID string  `json:"environmentAccountId"`
	EnvironmentName      string  `json:"environmentName"`
	ID                   string  `json:"id"`
	LastModifiedAt       float64 `json:"lastModifiedAt"`
	ManagementAccountID  string  `json:"managementAccountId"`
	RequestedAt          float64 `json:"requestedAt"`
	RoleArn              string  `json:"roleArn"`
	Status               string  `json:"status"`
}

// ceilingHandler is the least a JSON API server does per request: read the
// body, decode it, encode an answer of the same size as openproton's, and
// write it. No authentication, no validation, no store, no log.
func ceilingHandler(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var in ceilingInput
	if err := json.Unmarshal(body, &in); err != nil || in.ID == nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	now := float64(time.Now().UnixMilli()) / 1000
	out, err := json.Marshal(ceilingOutput{Connection: ceilingConnection{
		Arn:                  "arn:aws:proton:us-east-1:111111111111:environment-account-connection/" + *in.ID,
		EnvironmentAccountID: "111111111111",
		EnvironmentName:      "environment-0001",
		ID:                   *in.ID,
		LastModifiedAt:       now,
		ManagementAccountID:  "222222222222",
		RequestedAt:          now,
		RoleArn:              "arn:aws:iam::111111111111:role/bench-environment-role",
		Status:               "CONNECTED",
	}})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	_, _ = w.Write(out)
}

// startCeiling starts the ceiling server: this executable again, with
// ceilingEnv set.
func startCeiling(ctx context.Context, dir string) (*Process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), ceilingEnv+"="+addr)
	p, err := start(cmd, addr, filepath.Join(dir, "ceiling.log"))
	if err != nil {
		return nil, err
	}
	if err := p.waitHealthy(ctx); err != nil {
		_ = p.Stop()
		return nil, err
	}
	return p, nil
}
