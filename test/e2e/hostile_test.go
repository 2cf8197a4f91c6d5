package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hostileCommand reproduces the hostile-input figures of docs/reliability.md.
const hostileCommand = "scripts/reliability hostile"

// The limits of the hostile-input server: short, so that the timeouts show
// within the test.
const (
	hostileHeaderTimeout = time.Second
	hostileReadTimeout   = 3 * time.Second
	hostileIdleTimeout   = 2 * time.Second
	hostileMaxHeader     = 8 << 10
	hostileMaxBody       = 64 << 10
)

// hostileAnswer is how the server dealt with one hostile request: the
// status and error code it answered with, or closed when it closed the
// connection without an answer.
type hostileAnswer struct {
	status int
	code   string
	closed bool
	after  time.Duration
}

func (a hostileAnswer) String() string {
	if a.closed {
		return fmt.Sprintf("connection closed after %v", a.after.Round(time.Millisecond))
	}
	return fmt.Sprintf("%d %s after %v", a.status, a.code, a.after.Round(time.Millisecond))
}

// hostileCase is one kind of hostile input, sent over a raw TCP connection.
type hostileCase struct {
	name string
	// send writes the input; it may keep writing in the background until
	// stop is closed.
	send func(srv *Server, conn net.Conn, stop <-chan struct{})
	// code is the error code of the expected 4xx answer ("" for any 4xx,
	// or for net/http's own plain-text answers), unless closing is allowed.
	code     string
	status   int  // the expected status; 0 for any 4xx
	mayClose bool // closing without an answer is a correct outcome
	within   time.Duration
}

// hostileSigned returns a whole open-mode request of op with body, signed,
// changed by edit before it is written out.
func hostileSigned(srv *Server, op string, body []byte, edit func(*http.Request)) []byte {
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", protoTargetPrefix+op)
	protoSign(req, body, protoOpenKey, protoOpenSecret, "us-east-1", "proton", time.Now())
	if edit != nil {
		edit(req)
	}
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		// A mistake in the test itself: the server sees a truncated
		// request and the case fails with a clear answer.
		return []byte("INVALID TEST REQUEST: " + err.Error())
	}
	return buf.Bytes()
}

// hostileWrite writes b, ignoring errors: the server may close first.
func hostileWrite(conn net.Conn, b []byte) { _, _ = conn.Write(b) }

// hostileDribble writes b one byte every interval until it is all written
// or stop is closed.
func hostileDribble(conn net.Conn, b []byte, interval time.Duration, stop <-chan struct{}) {
	go func() {
		for i := range b {
			select {
			case <-stop:
				return
			case <-time.After(interval):
			}
			if _, err := conn.Write(b[i : i+1]); err != nil {
				return
			}
		}
	}()
}

var hostileCases = []hostileCase{
	{name: "an idle connection (slow-loris, nothing sent)", mayClose: true, within: hostileHeaderTimeout,
		send: func(*Server, net.Conn, <-chan struct{}) {}},
	{name: "headers dribbled one byte at a time (slow-loris)", mayClose: true, within: hostileHeaderTimeout,
		send: func(srv *Server, conn net.Conn, stop <-chan struct{}) {
			req := hostileSigned(srv, "ListEnvironmentAccountConnections", []byte(`{"requestedBy":"ENVIRONMENT_ACCOUNT"}`), nil)
			hostileDribble(conn, req, 100*time.Millisecond, stop)
		}},
	{name: "a body dribbled one byte at a time", mayClose: true, within: hostileReadTimeout,
		send: func(srv *Server, conn net.Conn, stop <-chan struct{}) {
			body := []byte(`{"requestedBy":"ENVIRONMENT_ACCOUNT","pad":"` + strings.Repeat("x", 200) + `"}`)
			req := hostileSigned(srv, "ListEnvironmentAccountConnections", body, nil)
			head := len(req) - len(body)
			hostileWrite(conn, req[:head])
			hostileDribble(conn, req[head:], 100*time.Millisecond, stop)
		}},
	{name: "a keep-alive connection left idle after a request", mayClose: true, within: hostileIdleTimeout,
		send: func(srv *Server, conn net.Conn, _ <-chan struct{}) {
			hostileWrite(conn, hostileSigned(srv, "ListEnvironmentAccountConnections", []byte(`{"requestedBy":"ENVIRONMENT_ACCOUNT"}`), nil))
			// The answer to the request is read here; the case's answer
			// is what follows: nothing, until the idle timeout closes the
			// connection. (The server sends nothing more, so the buffered
			// reader reads nothing that belongs to it.)
			if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err == nil {
				resp.Body.Close()
			}
		}},
	{name: "2,000 headers", status: http.StatusRequestHeaderFieldsTooLarge, mayClose: true,
		send: func(srv *Server, conn net.Conn, _ <-chan struct{}) {
			hostileWrite(conn, hostileSigned(srv, "ListEnvironmentAccountConnections", []byte(`{}`), func(r *http.Request) {
				for i := range 2000 {
					r.Header.Set(fmt.Sprintf("X-Hostile-%d", i), "v")
				}
			}))
		}},
	{name: "one 1 MiB header", status: http.StatusRequestHeaderFieldsTooLarge, mayClose: true,
		send: func(srv *Server, conn net.Conn, _ <-chan struct{}) {
			go hostileWrite(conn, hostileSigned(srv, "ListEnvironmentAccountConnections", []byte(`{}`), func(r *http.Request) {
				r.Header.Set("X-Hostile", strings.Repeat("h", 1<<20))
			}))
		}},
	{name: "a 100 MiB body announced by Content-Length", status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLargeException",
		send: func(srv *Server, conn net.Conn, _ <-chan struct{}) {
			// The headers only: the server must not wait for the body.
			req := hostileSigned(srv, "ListEnvironmentAccountConnections", []byte(`{}`), nil)
			hostileWrite(conn, bytes.Replace(req[:len(req)-2], []byte("Content-Length: 2\r\n"), []byte("Content-Length: 104857600\r\n"), 1))
		}},
	{name: "a 16 MiB chunked body", status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLargeException", mayClose: true,
		send: func(srv *Server, conn net.Conn, stop <-chan struct{}) {
			head := hostileSigned(srv, "ListEnvironmentAccountConnections", nil, func(r *http.Request) {
				r.ContentLength, r.TransferEncoding, r.Body = -1, []string{"chunked"}, io.NopCloser(strings.NewReader(""))
			})
			hostileWrite(conn, head[:bytes.Index(head, []byte("\r\n\r\n"))+4])
			go func() {
				chunk := append(append([]byte(fmt.Sprintf("%x\r\n", 64<<10)), bytes.Repeat([]byte("["), 64<<10)...), "\r\n"...)
				for range 256 {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := conn.Write(chunk); err != nil {
						return
					}
				}
			}()
		}},
	{name: "JSON nested 60,000 levels deep", status: http.StatusBadRequest, code: "SerializationException",
		send: hostileBody("ListEnvironmentAccountConnections", `{"requestedBy":"ENVIRONMENT_ACCOUNT","x":`+strings.Repeat("[", 60000)+`}`)},
	{name: "JSON nested 33 levels deep", status: http.StatusBadRequest, code: "SerializationException",
		send: hostileBody("ListEnvironmentAccountConnections", `{"requestedBy":"ENVIRONMENT_ACCOUNT","x":`+strings.Repeat(`{"a":`, 32)+`1`+strings.Repeat(`}`, 32)+`}`)},
	{name: "invalid UTF-8 in a string", status: http.StatusBadRequest, code: "SerializationException",
		send: hostileBody("CreateEnvironmentAccountConnection", "{\"managementAccountId\":\"222222222222\",\"environmentName\":\"env\xc3\x28\",\"roleArn\":\"arn:aws:iam::111111111111:role/r\"}")},
	{name: "a duplicate member", status: http.StatusBadRequest, code: "SerializationException",
		send: hostileBody("ListEnvironmentAccountConnections", `{"requestedBy":"MANAGEMENT_ACCOUNT","requestedBy":"ENVIRONMENT_ACCOUNT"}`)},
	{name: "a number beyond float64", status: http.StatusBadRequest, code: "SerializationException",
		send: hostileBody("ListEnvironmentAccountConnections", `{"requestedBy":"ENVIRONMENT_ACCOUNT","maxResults":1e400}`)},
	{name: "an integer beyond int32", status: http.StatusBadRequest, code: "SerializationException",
		send: hostileBody("ListEnvironmentAccountConnections", `{"requestedBy":"ENVIRONMENT_ACCOUNT","maxResults":2147483648}`)},
	{name: "a negative page size", status: http.StatusBadRequest, code: "ValidationException",
		send: hostileBody("ListEnvironmentAccountConnections", `{"requestedBy":"ENVIRONMENT_ACCOUNT","maxResults":-1}`)},
	{name: "a 60 KB string", status: http.StatusBadRequest, code: "ValidationException",
		send: hostileBody("CreateEnvironmentAccountConnection", `{"managementAccountId":"222222222222","environmentName":"`+strings.Repeat("e", 60000)+`","roleArn":"arn:aws:iam::111111111111:role/r"}`)},
	{name: "a 60 KB page token", status: http.StatusBadRequest, code: "ValidationException",
		send: hostileBody("ListEnvironmentAccountConnections", `{"requestedBy":"ENVIRONMENT_ACCOUNT","nextToken":"`+strings.Repeat("A", 60000)+`"}`)},
	{name: "12,000 list elements", status: http.StatusBadRequest, code: "ValidationException",
		send: hostileBody("UntagResource", `{"resourceArn":"arn:aws:proton:us-east-1:111111111111:environment-account-connection/x","tagKeys":[`+strings.TrimSuffix(strings.Repeat(`"k",`, 12000), ",")+`]}`)},
	{name: "garbage instead of a request line", status: http.StatusBadRequest, mayClose: true,
		send: func(_ *Server, conn net.Conn, _ <-chan struct{}) {
			hostileWrite(conn, []byte("\x00\x01\x02 GARBAGE \xff\r\n\r\n"))
		}},
	{name: "two different Content-Length headers", status: http.StatusBadRequest, mayClose: true,
		send: func(srv *Server, conn net.Conn, _ <-chan struct{}) {
			hostileWrite(conn, []byte("POST / HTTP/1.1\r\nHost: "+srv.Addr+"\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"))
		}},
	{name: "no Host header", status: http.StatusBadRequest, mayClose: true,
		send: func(_ *Server, conn net.Conn, _ <-chan struct{}) {
			hostileWrite(conn, []byte("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"))
		}},
}

// hostileBody sends one signed request whose body is body.
func hostileBody(op, body string) func(*Server, net.Conn, <-chan struct{}) {
	return func(srv *Server, conn net.Conn, _ <-chan struct{}) {
		hostileWrite(conn, hostileSigned(srv, op, []byte(body), nil))
	}
}

// hostileRead waits up to wait for the server's answer on conn.
func hostileRead(conn net.Conn, start time.Time, wait time.Duration) (hostileAnswer, error) {
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	a := hostileAnswer{after: time.Since(start)}
	var ne net.Error
	switch {
	case err == nil:
		a.status, a.code = resp.StatusCode, resp.Header.Get("x-amzn-ErrorType")
		resp.Body.Close()
		return a, nil
	case errors.As(err, &ne) && ne.Timeout():
		return a, fmt.Errorf("no answer and the connection still open after %v", wait)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		a.closed = true
		return a, nil
	}
	return a, fmt.Errorf("reading the answer: %v", err)
}

// TestHostileHTTP sends hostile input over raw TCP to a server built with
// -race, with short timeouts: every input gets a 4xx or a closed
// connection (within its timeout where one applies), never a 5xx or a
// panic; the server keeps answering; its goroutines return to where they
// were and its heap stays bounded, also with many hostile connections at
// once.
func TestHostileHTTP(t *testing.T) {
	t.Parallel()
	srv, debug := relDebugServer(t, StartRaceServer,
		"--read-header-timeout", hostileHeaderTimeout.String(), "--read-timeout", hostileReadTimeout.String(),
		"--write-timeout", "10s", "--idle-timeout", hostileIdleTimeout.String(),
		"--max-header-bytes", fmt.Sprint(hostileMaxHeader), "--max-body-bytes", fmt.Sprint(hostileMaxBody))
	t.Cleanup(connHTTPClient.CloseIdleConnections)
	control := func(when string) {
		t.Helper()
		if r := protoCall(t, srv, "ListEnvironmentAccountConnections", `{"requestedBy":"ENVIRONMENT_ACCOUNT"}`); r.Status != http.StatusOK {
			t.Fatalf("%s: a good request got %d %s", when, r.Status, r.Body)
		}
	}
	control("before")
	protoHTTP.CloseIdleConnections()
	before := relSample(t, srv, debug, true)

	run := func(c hostileCase) (hostileAnswer, error) {
		// Timed from before the dial: the server's timeouts start later,
		// so an answer sooner than a timeout allows is never a slow test.
		start := time.Now()
		conn, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			return hostileAnswer{}, err
		}
		defer conn.Close()
		stop := make(chan struct{})
		defer close(stop)
		c.send(srv, conn, stop)
		wait := 15 * time.Second
		if c.within > 0 {
			wait = c.within + 5*time.Second
		}
		return hostileRead(conn, start, wait)
	}
	check := func(c hostileCase, a hostileAnswer) error {
		switch {
		case a.closed && !c.mayClose:
			return fmt.Errorf("%s, want %d %s", a, c.status, c.code)
		case a.closed:
		case a.status >= 500 || a.status < 400:
			return fmt.Errorf("%s, want a 4xx", a)
		case c.status != 0 && a.status != c.status, c.code != "" && a.code != c.code:
			return fmt.Errorf("%s, want %d %s", a, c.status, c.code)
		}
		if c.within > 0 && a.after < c.within/2 {
			return fmt.Errorf("%s: sooner than the timeout of %v allows", a, c.within)
		}
		return nil
	}
	for _, c := range hostileCases {
		t.Run(c.name, func(t *testing.T) {
			a, err := run(c)
			if err == nil {
				err = check(c, a)
			}
			if err != nil {
				t.Error(err)
			} else {
				t.Log(a)
			}
		})
	}

	// All of it at once, many times over: goroutines and memory must come
	// back when the connections are gone.
	const copies = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	peak := before
	for i := range copies * len(hostileCases) {
		c := hostileCases[i%len(hostileCases)]
		wg.Go(func() {
			a, err := run(c)
			if err == nil {
				err = check(c, a)
			}
			if err != nil {
				mu.Lock()
				failures++
				if failures <= 5 {
					t.Errorf("at once, %s: %v", c.name, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Go(func() {
		time.Sleep(hostileHeaderTimeout / 2)
		s := relSample(t, srv, debug, false)
		mu.Lock()
		peak = s
		mu.Unlock()
	})
	wg.Wait()
	control("after")
	protoHTTP.CloseIdleConnections()
	after := relSettleGoroutines(t, srv, debug, before.Goroutines+2, 20*time.Second)
	afterGC := relSample(t, srv, debug, true)
	t.Logf("before: %s; during: %s; after: %s", before, peak, afterGC)
	if after.Goroutines > before.Goroutines+2 {
		t.Errorf("goroutines: %d before, %d after the hostile connections closed\n%s", before.Goroutines, after.Goroutines, relGoroutineDump(debug))
	}
	if afterGC.HeapAllocBytes > before.HeapAllocBytes+16<<20 {
		t.Errorf("heap: %.1f MiB before, %.1f MiB after", mib(before.HeapAllocBytes), mib(afterGC.HeapAllocBytes))
	}
	if strings.Contains(srv.Logs(), "panic") {
		t.Errorf("the server log mentions a panic:\n%s", relTail(srv.Logs(), 80))
	}
	connNo5xx(t, srv)
	relFigure(t, "hostile inputs (kinds / connections sent)", fmt.Sprintf("%d / %d", len(hostileCases), (copies+1)*len(hostileCases)), hostileCommand)
	relFigure(t, "goroutines before / after hostile input", fmt.Sprintf("%d / %d", before.Goroutines, afterGC.Goroutines), hostileCommand)
	relFigure(t, "heap MiB before / during / after hostile input", fmt.Sprintf("%.1f / %.1f / %.1f", mib(before.HeapAllocBytes), mib(peak.HeapAllocBytes), mib(afterGC.HeapAllocBytes)), hostileCommand)
}
