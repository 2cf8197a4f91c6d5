package server

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestDebugListener serves /debug/runtime and pprof on the debug address
// only: the API listener does not answer them.
func TestDebugListener(t *testing.T) {
	dln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	debugAddr := dln.Addr().String()
	dln.Close()
	s := testServer(t, "--debug-listen", debugAddr)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	get := func(url string) (int, []byte) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	// The debug listener starts inside Serve; wait for it.
	for range 100 {
		if c, err := net.Dial("tcp", debugAddr); err == nil {
			c.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, body := get("http://" + debugAddr + "/debug/runtime?gc=1")
	var st RuntimeStats
	if code != http.StatusOK || json.Unmarshal(body, &st) != nil || st.Goroutines <= 0 || st.HeapAllocBytes == 0 || st.NumGC == 0 {
		t.Fatalf("/debug/runtime?gc=1: %d %s", code, body)
	}
	if code, body = get("http://" + debugAddr + "/debug/pprof/goroutine?debug=1"); code != http.StatusOK || len(body) == 0 {
		t.Fatalf("/debug/pprof/goroutine: %d %s", code, body)
	}
	for _, path := range []string{"/debug/runtime", "/debug/pprof/"} {
		if code, body = get("http://" + ln.Addr().String() + path); code == http.StatusOK {
			t.Errorf("the API listener answers %s: %d %s", path, code, body)
		}
	}
}
