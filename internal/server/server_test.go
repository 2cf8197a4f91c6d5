package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// testServer is a server on a memory store, with the settings of args.
func testServer(t *testing.T, args ...string) *Server {
	t.Helper()
	cfg, err := ParseConfig(append([]string{"--store", "memory", "--shutdown-timeout", "5s"}, args...), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestShutdownDrainsInFlightRequests cancels the serve context (what SIGTERM
// does) while a request is being handled: the request still completes and
// Serve returns without error.
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	s := testServer(t)
	started := make(chan struct{})
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-started
	cancel()
	if body := <-got; body != "done" {
		t.Fatalf("in-flight request got %q", body)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/health"); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}

func TestHealth(t *testing.T) {
	s := testServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Serve(ctx, ln)
	resp, err := http.Get("http://" + ln.Addr().String() + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 200 || body["status"] != "ok" || body["version"] != Version || resp.Header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("health: %d %v %v", resp.StatusCode, body, resp.Header)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://app:s3cret@db:5432/x":         "postgres://app:xxxxx@db:5432/x",
		"postgres://app@db/x?password=s3cret&a=b": "postgres://app@db/x?a=b&password=xxxxx",
		"sqlite:data/openproton.db":               "sqlite:data/openproton.db",
	} {
		if got := redact(in); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSchemaOf(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://h/db?search_path=openproton":       "openproton",
		"postgres://h/db?search_path=a,b":              "",
		"postgres://h/db":                              "",
		"postgres://h/db?search_path=%22Odd%20Name%22": "",
	} {
		if got := schemaOf(in); got != want {
			t.Errorf("schemaOf(%q) = %q, want %q", in, got, want)
		}
	}
}
