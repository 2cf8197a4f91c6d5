package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Region is the region every benchmark request is signed for.
const Region = "us-east-1"

// targetPrefix is the X-Amz-Target prefix of the Proton API.
const targetPrefix = "AwsProton20200720."

// dialTimeout and ioTimeout bound a connection attempt and one request, so
// that a stuck server fails the run instead of hanging it.
const (
	dialTimeout = 5 * time.Second
	ioTimeout   = 30 * time.Second
)

// Key is an access key of the server's credentials file and the account it
// stands for.
type Key struct {
	AccessKeyID string
	Secret      string
	Account     string
}

// StatusError is an answer other than 200.
type StatusError struct {
	Op     string
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: HTTP %d: %s", e.Op, e.Status, e.Body)
}

// Conn is one keep-alive HTTP/1.1 connection to the server under test that
// signs every request with the AWS SDK's SigV4 signer. It writes requests
// and parses answers itself, with reused buffers, instead of going through
// net/http's client: the generator shares the machine with the server, and
// every microsecond it spends is one the server does not get.
type Conn struct {
	addr   string
	url    *url.URL
	signer *v4.Signer
	nc     net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	body   []byte // the last answer's body, valid until the next call
}

// NewConn returns a connection to addr (host:port); it dials on first use.
func NewConn(addr string) *Conn {
	return &Conn{addr: addr, url: &url.URL{Scheme: "http", Host: addr, Path: "/"}, signer: v4.NewSigner()}
}

// Close closes the network connection.
func (c *Conn) Close() {
	if c.nc != nil {
		_ = c.nc.Close()
		c.nc = nil
	}
}

func (c *Conn) dial() error {
	nc, err := net.DialTimeout("tcp", c.addr, dialTimeout)
	if err != nil {
		return err
	}
	c.nc = nc
	if c.br == nil {
		c.br = bufio.NewReaderSize(nc, 32<<10)
		c.bw = bufio.NewWriterSize(nc, 8<<10)
	} else {
		c.br.Reset(nc)
		c.bw.Reset(nc)
	}
	return nil
}

// Call signs and sends one request of op as key and returns the answer's
// body, which stays valid until the next call. An answer other than 200 is
// a *StatusError; a network error closes the connection, and the next call
// dials again.
func (c *Conn) Call(op string, key Key, body []byte) ([]byte, error) {
	if c.nc == nil {
		if err := c.dial(); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	status, err := c.roundTrip(op, key, body)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if status != http.StatusOK {
		return c.body, &StatusError{Op: op, Status: status, Body: string(c.body)}
	}
	return c.body, nil
}

func (c *Conn) roundTrip(op string, key Key, body []byte) (int, error) {
	r := &http.Request{
		Method:        http.MethodPost,
		URL:           c.url,
		Host:          c.addr,
		Header:        make(http.Header, 6),
		ContentLength: int64(len(body)),
	}
	r.Header["Content-Type"] = []string{"application/x-amz-json-1.0"}
	r.Header["X-Amz-Target"] = []string{targetPrefix + op}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.Secret}
	if err := c.signer.SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "proton", Region, time.Now()); err != nil {
		return 0, fmt.Errorf("sign: %w", err)
	}

	deadline := time.Now().Add(ioTimeout)
	_ = c.nc.SetDeadline(deadline)
	w := c.bw
	w.WriteString("POST / HTTP/1.1\r\nHost: ")
	w.WriteString(c.addr)
	w.WriteString("\r\n")
	for k, vs := range r.Header {
		for _, v := range vs {
			w.WriteString(k)
			w.WriteString(": ")
			w.WriteString(v)
			w.WriteString("\r\n")
		}
	}
	w.WriteString("Content-Length: ")
	w.WriteString(strconv.Itoa(len(body)))
	w.WriteString("\r\n\r\n")
	w.Write(body)
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return c.readResponse()
}

// readResponse reads one answer with a Content-Length, as the servers
// measured here always send.
func (c *Conn) readResponse() (int, error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, fmt.Errorf("malformed status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("malformed status line %q", line)
	}
	length := -1
	closing := false
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, fmt.Errorf("malformed header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(value, []byte("close"))
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, errors.New("chunked answers are not expected from the servers measured")
		}
	}
	if length < 0 {
		return 0, errors.New("answer without Content-Length")
	}
	if cap(c.body) < length {
		c.body = make([]byte, length)
	}
	c.body = c.body[:length]
	if _, err := io.ReadFull(c.br, c.body); err != nil {
		return 0, err
	}
	if closing {
		c.Close()
	}
	return status, nil
}
