package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// --- operability ---

// protoLogField is one key=value of a text log line.
var protoLogField = regexp.MustCompile(`([A-Za-z_.]+)=("(?:[^"\\]|\\.)*"|\S*)`)

// protoParseLog returns the fields of a text or JSON log line.
func protoParseLog(line string) map[string]string {
	m := map[string]string{}
	if strings.HasPrefix(line, "{") {
		var raw map[string]any
		if json.Unmarshal([]byte(line), &raw) == nil {
			for k, v := range raw {
				m[k] = fmt.Sprint(v)
			}
		}
		return m
	}
	for _, f := range protoLogField.FindAllStringSubmatch(line, -1) {
		v := f[2]
		if strings.HasPrefix(v, `"`) {
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
		}
		m[f[1]] = v
	}
	return m
}

// protoAccessLines returns the access-log lines of srv.
func protoAccessLines(srv *Server) []map[string]string {
	var out []map[string]string
	for _, line := range scanLines(srv.Logs()) {
		if f := protoParseLog(line); f["msg"] == "request" {
			out = append(out, f)
		}
	}
	return out
}

// protoWaitLogMatch waits until an access-log line has every field of
// want. The line is written once the response has gone out, so it may
// lag the client a little.
func protoWaitLogMatch(t *testing.T, srv *Server, want map[string]string) map[string]string {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
	lines:
		for _, f := range protoAccessLines(srv) {
			for k, v := range want {
				if f[k] != v {
					continue lines
				}
			}
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access-log line with %v in:\n%s", want, srv.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestProtocolAccessLog(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			srv := StartServer(t, "--log-format", format, "--default-account", "444444444444")
			type call struct {
				name string
				do   func() protoResponse
				want map[string]string
			}
			body := []byte(`{"requestedBy":"ENVIRONMENT_ACCOUNT"}`)
			signed := func(key, region, op string) func() protoResponse {
				return func() protoResponse {
					body := body
					if op == "GetRepository" {
						body = []byte(`{"name":"my-org/my-repo","provider":"GITHUB"}`)
					}
					req := protoRequest(t, srv, protoTargetPrefix+op, body)
					protoSign(req, body, key, "any-secret", region, "proton", time.Now())
					return protoDo(t, req)
				}
			}
			calls := []call{
				{"success", signed("123456789012", "eu-central-1", "ListEnvironmentAccountConnections"),
					map[string]string{"operation": "ListEnvironmentAccountConnections", "account": "123456789012", "region": "eu-central-1", "status": "200"}},
				{"default account", signed("AKIANOTANACCOUNTID00", "ap-southeast-2", "ListEnvironmentAccountConnections"),
					map[string]string{"operation": "ListEnvironmentAccountConnections", "account": "444444444444", "region": "ap-southeast-2", "status": "200"}},
				{"not implemented", signed("123456789012", "us-west-2", "GetRepository"),
					map[string]string{"operation": "GetRepository", "account": "123456789012", "region": "us-west-2", "status": "501", "error": "NotImplementedException"}},
				{"unauthenticated", func() protoResponse {
					return protoDo(t, protoRequest(t, srv, protoTargetPrefix+"ListEnvironmentAccountConnections", body))
				}, map[string]string{"operation": "ListEnvironmentAccountConnections", "account": "", "region": "", "status": "403", "error": "MissingAuthenticationTokenException"}},
				{"health", func() protoResponse {
					req, _ := http.NewRequest(http.MethodGet, srv.URL+"/health", nil)
					return protoDo(t, req)
				}, map[string]string{"path": "/health", "status": "200"}},
			}
			var ids []string
			for _, c := range calls {
				r := c.do()
				id := protoCheckRequestID(t, r)
				ids = append(ids, id)
				want := map[string]string{"request_id": id}
				for k, v := range c.want {
					want[k] = v
				}
				f := protoWaitLogMatch(t, srv, want)
				if _, err := strconv.ParseFloat(f["latency_ms"], 64); err != nil {
					t.Errorf("%s: latency_ms %q is not a number", c.name, f["latency_ms"])
				}
			}
			// One line per request, and no two requests share an id.
			seen := map[string]int{}
			for _, f := range protoAccessLines(srv) {
				seen[f["request_id"]]++
			}
			for id, n := range seen {
				if n != 1 || id == "" {
					t.Errorf("request id %q is on %d access-log lines", id, n)
				}
			}
			if len(ids) != len(calls) {
				t.Errorf("%d request ids for %d requests", len(ids), len(calls))
			}
		})
	}
}

// TestProtocolShutdownDrains sends SIGTERM while a request is half sent:
// the server stops accepting connections, finishes that request, and
// exits 0.
func TestProtocolShutdownDrains(t *testing.T) {
	t.Parallel()
	srv := StartServer(t, "--shutdown-timeout", "20s")
	body := []byte(`{"requestedBy":"ENVIRONMENT_ACCOUNT"}`)
	req := protoRequest(t, srv, protoTargetPrefix+"ListEnvironmentAccountConnections", body)
	protoSign(req, body, protoOpenKey, protoOpenSecret, "us-east-1", "proton", time.Now())

	conn, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var head strings.Builder
	fmt.Fprintf(&head, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", srv.Addr, len(body))
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	head.WriteString("\r\n")
	if _, err := io.WriteString(conn, head.String()+string(body[:10])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let the server read the headers

	srv.Terminate(t)
	// Once the listener is closed, new connections are refused.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", srv.Addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("still accepting connections 5s after SIGTERM:\n%s", srv.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if exited, err := srv.waitExit(300 * time.Millisecond); exited {
		t.Fatalf("exited (%v) with a request in flight:\n%s", err, srv.Logs())
	}

	if _, err := conn.Write(body[10:]); err != nil {
		t.Fatalf("finish the request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read the response: %v\n%s", err, srv.Logs())
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(got, []byte("environmentAccountConnections")) {
		t.Errorf("in-flight request: %d %s, want 200", resp.StatusCode, got)
	}
	exited, err := srv.waitExit(15 * time.Second)
	switch {
	case !exited:
		t.Fatalf("did not exit within 15s of finishing the last request:\n%s", srv.Logs())
	case err != nil:
		t.Errorf("exit after SIGTERM: %v, want 0\n%s", err, srv.Logs())
	}
}

// TestProtocolInvalidConfig runs `openproton serve` with bad settings: it
// must exit at once with one line that names the setting, status 2 (1 for a
// credentials file that cannot be used, as docs/configuration.md says).
func TestProtocolInvalidConfig(t *testing.T) {
	t.Parallel()
	badCreds := filepath.Join(t.TempDir(), "bad-credentials.yaml")
	if err := os.WriteFile(badCreds, []byte("credentials:\n  - accessKeyId: AKIAX\n    secretAccessKey: s\n    accountId: \"12\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() }) // the subtests run in parallel, after this function returns
	missingDir := filepath.Join(t.TempDir(), "no-such-bundles")
	cases := []struct {
		name string
		args []string
		env  []string
		want []string // every one appears in the message
		exit int
	}{
		{"auth", []string{"--auth", "bogus"}, nil, []string{"--auth", "bogus"}, 2},
		{"auth from the environment", nil, []string{"OPENPROTON_AUTH=bogus"}, []string{"OPENPROTON_AUTH", "bogus"}, 2},
		{"default account", []string{"--default-account", "12"}, nil, []string{"--default-account", "12"}, 2},
		{"store", []string{"--store", "nope:"}, nil, []string{"--store", "nope:"}, 2},
		{"empty sqlite path", []string{"--store", "sqlite:"}, nil, []string{"--store"}, 2},
		{"sigv4 without credentials", []string{"--auth", "sigv4"}, nil, []string{"--credentials"}, 2},
		{"missing credentials file", []string{"--auth", "sigv4", "--credentials", "/nonexistent/openproton-credentials.yaml"}, nil, []string{"credentials", "/nonexistent/openproton-credentials.yaml"}, 1},
		{"bad credentials entry", []string{"--auth", "sigv4", "--credentials", badCreds}, nil, []string{badCreds, "accountId"}, 1},
		{"max body bytes", []string{"--max-body-bytes", "10"}, nil, []string{"--max-body-bytes"}, 2},
		{"log format", []string{"--log-format", "xml"}, nil, []string{"--log-format"}, 2},
		{"listen", []string{"--listen", "nowhere"}, nil, []string{"--listen"}, 2},
		{"unknown flag", []string{"--no-such-flag"}, nil, []string{"no-such-flag"}, 2},
		{"missing bundle directory", []string{"--bundle-dir", missingDir}, nil, []string{`invalid --bundle-dir "` + missingDir + `": no such directory`}, 2},
		{"missing bundle directory from the environment", nil, []string{"OPENPROTON_BUNDLE_DIR=" + missingDir}, []string{`invalid OPENPROTON_BUNDLE_DIR "` + missingDir + `"`}, 2},
		{"listen address in use", []string{"--listen", busy.Addr().String()}, nil, []string{`invalid --listen "` + busy.Addr().String() + `": the address is in use`}, 2},
		{"debug address in use", []string{"--debug-listen", busy.Addr().String()}, nil, []string{`invalid --debug-listen "` + busy.Addr().String() + `": the address is in use`}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"serve"}, c.args...)
			if !strings.Contains(strings.Join(c.args, " "), "--listen") {
				args = append(args, "--listen", "127.0.0.1:0")
			}
			if !strings.Contains(strings.Join(c.args, " "), "--store") {
				args = append(args, "--store", "memory")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, args...)
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "OPENPROTON_") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, c.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("openproton %s did not exit: it started with an invalid setting\n%s", strings.Join(args, " "), stderr.String())
			}
			if err == nil {
				t.Fatalf("openproton %s exited 0", strings.Join(args, " "))
			}
			if code := cmd.ProcessState.ExitCode(); code != c.exit {
				t.Errorf("openproton %s: exit status %d, want %d", strings.Join(args, " "), code, c.exit)
			}
			msg := strings.TrimSpace(stderr.String())
			if strings.Contains(msg, "\n") || msg == "" {
				t.Errorf("want one line on stderr, got:\n%s", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not name %q", msg, w)
				}
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
		})
	}
}
