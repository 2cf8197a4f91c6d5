package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The benchmarks drive the whole server (middleware, protocol, auth, domain,
// SQLite store) in process, without a network: they count the allocations
// and bytes of each request exactly, which the measurements over HTTP
// (cmd/openproton-bench, docs/benchmarks.md) cannot. Run them with
//
//	go test -run '^$' -bench . -benchmem ./internal/server/

func benchServer(b *testing.B, store string) http.Handler {
	b.Helper()
	if store == "" {
		store = "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
	}
	cfg, err := ParseConfig([]string{"--store", store, "--quota-environment-account-connections", "100000000"}, func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	return testHandler(b, cfg)
}

// testHandler assembles a server for cfg, discarding its logs, and closes it
// when the test ends.
func testHandler(tb testing.TB, cfg Config) http.Handler {
	tb.Helper()
	srv, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	return srv.Handler()
}

// openRequest builds a request of op as account for the default open auth
// mode, which checks the form of the signature but not its value.
func openRequest(account, op string, body []byte) *http.Request {
	now := time.Now().UTC()
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("X-Amz-Target", "AwsProton20200720."+op)
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	r.Header.Set("X-Amz-Date", now.Format("20060102T150405Z"))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+account+"/"+now.Format("20060102")+
		"/us-east-1/proton/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000")
	return r
}

// call sends one open-mode request as account and fails on any non-200.
func call(b *testing.B, h http.Handler, account, op, body string) string {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, openRequest(account, op, []byte(body)))
	if w.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", op, w.Code, w.Body)
	}
	return w.Body.String()
}

func createBody(i int64) string {
	return fmt.Sprintf(`{"managementAccountId":"222222222222","environmentName":"env%d","roleArn":"arn:aws:iam::111111111111:role/r","clientToken":"t%d"}`, i, i)
}

func connectionID(body string) string {
	i := strings.Index(body, `"id":"`)
	return body[i+6 : i+6+36]
}

func BenchmarkCreateConnection(b *testing.B) {
	h := benchServer(b, "")
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		n++
		call(b, h, "111111111111", "CreateEnvironmentAccountConnection", createBody(n))
	}
}

func BenchmarkCreateConnectionParallel(b *testing.B) {
	h := benchServer(b, "")
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			call(b, h, "111111111111", "CreateEnvironmentAccountConnection", createBody(n.Add(1)))
		}
	})
}

func BenchmarkGetConnectionParallel(b *testing.B) {
	h := benchServer(b, "")
	id := connectionID(call(b, h, "111111111111", "CreateEnvironmentAccountConnection", createBody(0)))
	body := `{"id":"` + id + `"}`
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			call(b, h, "222222222222", "GetEnvironmentAccountConnection", body)
		}
	})
}

func BenchmarkAcceptRejectCycle(b *testing.B) {
	h := benchServer(b, "")
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		n++
		id := connectionID(call(b, h, "111111111111", "CreateEnvironmentAccountConnection", createBody(n)))
		call(b, h, "222222222222", "AcceptEnvironmentAccountConnection", `{"id":"`+id+`"}`)
		call(b, h, "222222222222", "RejectEnvironmentAccountConnection", `{"id":"`+id+`"}`)
	}
}

func BenchmarkListConnections100(b *testing.B) {
	h := benchServer(b, "")
	for i := int64(0); i < 100; i++ {
		call(b, h, "111111111111", "CreateEnvironmentAccountConnection", createBody(i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		call(b, h, "222222222222", "ListEnvironmentAccountConnections", `{"requestedBy":"MANAGEMENT_ACCOUNT"}`)
	}
}

func BenchmarkValidationRejected(b *testing.B) {
	h := benchServer(b, "memory")
	body := `{"managementAccountId":"12","environmentName":"bad name","roleArn":"nope"}`
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, openRequest("111111111111", "CreateEnvironmentAccountConnection", []byte(body)))
		if w.Code != http.StatusBadRequest {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}
