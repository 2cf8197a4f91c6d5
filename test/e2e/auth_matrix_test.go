package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// authCommand reproduces the authentication figures of docs/reliability.md.
const authCommand = "scripts/reliability auth"

// The keys of the auth matrix's credentials file. The secrets and the token
// key must never appear in the server's output.
const (
	authKeyA     = "AKIAAUTHMATRIX00000A"
	authSecretA  = "auth-matrix-secret-A/0123456789+abcdef"
	authAccountA = "444444444444"
	authKeyB     = "AKIAAUTHMATRIX00000B"
	authSecretB  = "auth-matrix-secret-B/9876543210+fedcba"
	authAccountB = "555555555555"
	authTokenKey = "auth-matrix-page-token-key-0123456789"
	// authSkew is the server's clock skew: short, so that a replay after
	// the window happens within the test.
	authSkew = 4 * time.Second
)

// authRequest is a signed request before it is sent: the case may change
// anything in it after signing.
type authRequest struct {
	req  *http.Request
	body []byte
}

// authSigned builds a CreateEnvironmentAccountConnection of an environment
// named name, signed by the AWS SDK for Go v2's signer with key and secret
// for service and region at time at.
func authSigned(t *testing.T, srv *Server, name, key, secret, service, region string, at time.Time) *authRequest {
	t.Helper()
	body := []byte(fmt.Sprintf(`{"managementAccountId":%q,"environmentName":%q,"roleArn":"arn:aws:iam::%s:role/r","clientToken":%q}`,
		authAccountB, name, authAccountA, "token-"+name))
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", protoTargetPrefix+"CreateEnvironmentAccountConnection")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, region, at); err != nil {
		t.Fatal(err)
	}
	return &authRequest{req: req, body: body}
}

// setBody replaces the body after signing.
func (a *authRequest) setBody(b []byte) {
	a.body = b
	a.req.ContentLength = int64(len(b))
}

// editAuth rewrites the Authorization header after signing.
func (a *authRequest) editAuth(old, new string) {
	a.req.Header.Set("Authorization", strings.Replace(a.req.Header.Get("Authorization"), old, new, 1))
}

// send sends the request as it is now and returns the answer.
func (a *authRequest) send(t *testing.T) protoResponse {
	t.Helper()
	a.req.Body = io.NopCloser(bytes.NewReader(a.body))
	return protoDo(t, a.req)
}

// authCase is one request that authentication must refuse.
type authCase struct {
	name    string
	build   func(t *testing.T, srv *Server, name string) *authRequest
	status  int
	code    string
	message string // a part of the message, "" for any
}

func authSign(key, secret, service, region string, skew time.Duration, edit func(*authRequest)) func(*testing.T, *Server, string) *authRequest {
	return func(t *testing.T, srv *Server, name string) *authRequest {
		a := authSigned(t, srv, name, key, secret, service, region, time.Now().Add(skew))
		if edit != nil {
			edit(a)
		}
		return a
	}
}

var authCases = []authCase{
	{"wrong secret", authSign(authKeyA, authSecretB, "proton", "us-east-1", 0, nil), 403, "InvalidSignatureException", "signature we calculated does not match"},
	{"unknown access key", authSign("AKIAAUTHMATRIXNOBODY", authSecretA, "proton", "us-east-1", 0, nil), 403, "UnrecognizedClientException", ""},
	{"body changed after signing", authSign(authKeyA, authSecretA, "proton", "us-east-1", 0, func(a *authRequest) {
		a.setBody(bytes.Replace(a.body, []byte(`"roleArn"`), []byte(`"componentRoleArn":"arn:aws:iam::444444444444:role/x","roleArn"`), 1))
	}), 403, "InvalidSignatureException", "does not match"},
	{"signed X-Amz-Target changed", authSign(authKeyA, authSecretA, "proton", "us-east-1", 0, func(a *authRequest) {
		a.req.Header.Set("X-Amz-Target", protoTargetPrefix+"ListEnvironmentAccountConnections")
	}), 403, "InvalidSignatureException", "does not match"},
	{"signed Content-Type changed", authSign(authKeyA, authSecretA, "proton", "us-east-1", 0, func(a *authRequest) {
		a.req.Header.Set("Content-Type", "application/json")
	}), 403, "InvalidSignatureException", "does not match"},
	{"X-Amz-Date changed after signing", authSign(authKeyA, authSecretA, "proton", "us-east-1", 0, func(a *authRequest) {
		signed, _ := time.Parse("20060102T150405Z", a.req.Header.Get("X-Amz-Date"))
		a.req.Header.Set("X-Amz-Date", signed.Add(-time.Second).Format("20060102T150405Z"))
	}), 403, "InvalidSignatureException", ""},
	{"signature changed", authSign(authKeyA, authSecretA, "proton", "us-east-1", 0, func(a *authRequest) {
		h := a.req.Header.Get("Authorization")
		last := h[len(h)-1]
		flip := byte('0')
		if last == '0' {
			flip = '1'
		}
		a.req.Header.Set("Authorization", h[:len(h)-1]+string(flip))
	}), 403, "InvalidSignatureException", "does not match"},
	{"another key's id with this key's signature", authSign(authKeyA, authSecretA, "proton", "us-east-1", 0, func(a *authRequest) {
		a.editAuth("Credential="+authKeyA, "Credential="+authKeyB)
	}), 403, "InvalidSignatureException", "does not match"},
	{"signed before the skew window", authSign(authKeyA, authSecretA, "proton", "us-east-1", -2*authSkew, nil), 403, "InvalidSignatureException", "Signature expired"},
	{"signed after the skew window", authSign(authKeyA, authSecretA, "proton", "us-east-1", 2*authSkew, nil), 403, "InvalidSignatureException", "Signature not yet current"},
	{"scope of another service", authSign(authKeyA, authSecretA, "s3", "us-east-1", 0, nil), 403, "InvalidSignatureException", "scoped to correct service"},
	{"scope region that is no region", authSign(authKeyA, authSecretA, "proton", "mars-1", 0, nil), 403, "InvalidSignatureException", "valid region"},
	{"scope region changed after signing", authSign(authKeyA, authSecretA, "proton", "us-east-1", 0, func(a *authRequest) {
		a.editAuth("/us-east-1/proton/", "/eu-west-1/proton/")
	}), 403, "InvalidSignatureException", "does not match"},
	{"host not signed", authSign(authKeyA, authSecretA, "proton", "us-east-1", 0, func(a *authRequest) {
		h := a.req.Header.Get("Authorization")
		i := strings.Index(h, "SignedHeaders=")
		j := i + strings.Index(h[i:], ",")
		var kept []string
		for _, n := range strings.Split(h[i+len("SignedHeaders="):j], ";") {
			if n != "host" {
				kept = append(kept, n)
			}
		}
		a.req.Header.Set("Authorization", h[:i]+"SignedHeaders="+strings.Join(kept, ";")+h[j:])
	}), 403, "InvalidSignatureException", "'Host' must be a 'SignedHeader'"},
	{"Host changed after signing", authSign(authKeyA, authSecretA, "proton", "us-east-1", 0, func(a *authRequest) {
		a.req.Host = "localhost" + a.req.URL.Host[strings.Index(a.req.URL.Host, ":"):]
	}), 403, "InvalidSignatureException", "does not match"},
	{"body hash header that does not match", authSign(authKeyA, authSecretA, "proton", "us-east-1", 0, func(a *authRequest) {
		a.req.Header.Set("X-Amz-Content-Sha256", strings.Repeat("0", 64))
	}), 403, "InvalidSignatureException", "x-amz-content-sha256"},
	{"no Authorization header", authSign(authKeyA, authSecretA, "proton", "us-east-1", 0, func(a *authRequest) {
		a.req.Header.Del("Authorization")
	}), 403, "MissingAuthenticationTokenException", ""},
	{"Authorization without a signature", authSign(authKeyA, authSecretA, "proton", "us-east-1", 0, func(a *authRequest) {
		h := a.req.Header.Get("Authorization")
		a.req.Header.Set("Authorization", h[:strings.Index(h, ", Signature=")])
	}), 400, "IncompleteSignatureException", "Signature"},
	{"two Authorization headers", authSign(authKeyA, authSecretA, "proton", "us-east-1", 0, func(a *authRequest) {
		a.req.Header.Add("Authorization", a.req.Header.Get("Authorization"))
	}), 400, "IncompleteSignatureException", "only once"},
}

// authStoreArgs adds a password to a PostgreSQL store URL that has none
// (the test server trusts local connections, so it is ignored), so that
// the check for secrets in the log covers the store's password too; it
// returns the arguments and the password.
func authStoreArgs(t *testing.T, st relStore) ([]string, string) {
	args, spec := st.fresh(t)
	if st.name != "postgres" {
		return args, ""
	}
	u, err := url.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	if pw, ok := u.User.Password(); ok {
		return args, pw
	}
	const pw = "auth-matrix-store-password-0123"
	u.User = url.UserPassword(u.User.Username(), pw)
	for i, a := range args {
		if a == spec {
			args[i] = u.String()
		}
	}
	return args, pw
}

// TestAuthMatrix sends requests signed by the AWS SDK's signer and then
// tampered with to a server in sigv4 mode, on both stores: each is refused
// with the modelled error before any handler runs (nothing is created; the
// access log shows no account), a replay after the clock-skew window is
// refused, and no secret (access key secrets, the page-token key, the
// store password) or signature appears in the server's output.
func TestAuthMatrix(t *testing.T) {
	t.Parallel()
	var cases atomic.Int64
	t.Cleanup(func() {
		relFigure(t, "authentication cases checked", cases.Load(), authCommand)
	})
	file := filepath.Join(t.TempDir(), "credentials.yaml")
	if err := os.WriteFile(file, []byte(fmt.Sprintf("credentials:\n  - accessKeyId: %s\n    secretAccessKey: %q\n    accountId: %q\n  - accessKeyId: %s\n    secretAccessKey: %q\n    accountId: %q\n",
		authKeyA, authSecretA, authAccountA, authKeyB, authSecretB, authAccountB)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, st := range relStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			args, storePassword := authStoreArgs(t, st)
			args = append(args, "--auth", "sigv4", "--credentials", file, "--max-clock-skew", authSkew.String(), "--token-key", authTokenKey, "--log-format", "json")
			srv := StartRaceServer(t, args...)
			run := fmt.Sprintf("%s-%d", st.name, time.Now().UnixNano())

			// The control: the same request, untouched, succeeds.
			ok := authSigned(t, srv, "ctrl-"+run, authKeyA, authSecretA, "proton", "us-east-1", time.Now())
			if r := ok.send(t); r.Status != http.StatusOK {
				t.Fatalf("an untouched signed request: %d %s", r.Status, r.Body)
			}
			cases.Add(1)
			type refusal struct{ code, op string }
			refused := map[string]refusal{} // by request id
			for i, c := range authCases {
				name := fmt.Sprintf("auth-%d-%s", i, run)
				a := c.build(t, srv, name)
				r := a.send(t)
				msg := protoCheckError(t, r, c.status, c.code)
				if !strings.Contains(msg, c.message) {
					t.Errorf("%s: message %q does not mention %q", c.name, msg, c.message)
				}
				refused[r.Header.Get("x-amzn-RequestId")] = refusal{c.code, strings.TrimPrefix(a.req.Header.Get("X-Amz-Target"), protoTargetPrefix)}
				cases.Add(1)
			}

			// A replay of an accepted request is accepted within the skew
			// window (SigV4 has no nonce; the client token makes it the
			// same create) and refused after it.
			replay := authSigned(t, srv, "replay-"+run, authKeyA, authSecretA, "proton", "us-east-1", time.Now())
			first := replay.send(t)
			again := replay.send(t)
			if first.Status != http.StatusOK || again.Status != http.StatusOK || !bytes.Equal(first.Body, again.Body) {
				t.Errorf("a replay within the window: %d %s then %d %s, want the same 200 twice", first.Status, first.Body, again.Status, again.Body)
			}
			time.Sleep(authSkew + 2*time.Second)
			late := replay.send(t)
			if msg := protoCheckError(t, late, 403, "InvalidSignatureException"); !strings.Contains(msg, "Signature expired") {
				t.Errorf("a replay after the window: %q", msg)
			}
			refused[late.Header.Get("x-amzn-RequestId")] = refusal{"InvalidSignatureException", "CreateEnvironmentAccountConnection"}
			cases.Add(2)

			// Nothing but the control and the replayed create exists.
			for _, who := range []struct{ key, secret string }{{authKeyA, authSecretA}, {authKeyB, authSecretB}} {
				cl := proton.New(proton.Options{
					BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", Retryer: aws.NopRetryer{}, HTTPClient: connHTTPClient,
					Credentials: credentials.NewStaticCredentialsProvider(who.key, who.secret, ""),
				})
				for _, by := range []types.EnvironmentAccountConnectionRequesterAccountType{
					types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount, types.EnvironmentAccountConnectionRequesterAccountTypeManagementAccount,
				} {
					out, err := cl.ListEnvironmentAccountConnections(connCtx(t), &proton.ListEnvironmentAccountConnectionsInput{RequestedBy: by})
					if err != nil {
						t.Fatal(err)
					}
					var names []string
					for _, s := range out.EnvironmentAccountConnections {
						names = append(names, aws.ToString(s.EnvironmentName))
					}
					want := 0
					if (who.key == authKeyA) == (by == types.EnvironmentAccountConnectionRequesterAccountTypeEnvironmentAccount) {
						want = 2
					}
					if len(names) != want || (want == 2 && !(strings.HasPrefix(names[0], "ctrl-") || strings.HasPrefix(names[1], "ctrl-"))) {
						t.Errorf("%s lists %v as %s, want only the control and the replayed create", who.key, names, by)
					}
				}
			}
			connHTTPClient.CloseIdleConnections()

			// The access log shows each refusal with its error and without an
			// account: authentication failed before the operation ran.
			lines := protoAccessLinesJSON(t, srv)
			for id, want := range refused {
				l, found := lines[id]
				switch {
				case !found:
					t.Errorf("no access log line for refused request %s", id)
				case l["error"] != want.code || l["account"] != "" || l["operation"] != want.op:
					t.Errorf("access log of refused request %s: %v, want %s refused with %s and no account", id, l, want.op, want.code)
				}
			}
			srv.Stop(t)
			authNoSecrets(t, srv.Logs(), storePassword)
		})
	}
	t.Run("start-up errors", func(t *testing.T) {
		t.Parallel()
		cases.Add(int64(authStartupSecrets(t)))
	})
}

// protoAccessLinesJSON reads the JSON access log of srv, by request id.
func protoAccessLinesJSON(t *testing.T, srv *Server) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, line := range scanLines(srv.Logs()) {
		var m map[string]any
		if l := strings.TrimSpace(line); !strings.HasPrefix(l, "{") || json.Unmarshal([]byte(l), &m) != nil || m["msg"] != "request" {
			continue
		}
		fields := map[string]string{}
		for k, v := range m {
			fields[k] = fmt.Sprint(v)
		}
		out[fields["request_id"]] = fields
	}
	return out
}

// authNoSecrets fails when a secret or a signature appears in logs.
func authNoSecrets(t *testing.T, logs, storePassword string) {
	t.Helper()
	secrets := map[string]string{"secret of key A": authSecretA, "secret of key B": authSecretB, "page-token key": authTokenKey}
	if storePassword != "" {
		secrets["store password"] = storePassword
	}
	for what, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the %s appears in the server's output", what)
		}
	}
	if strings.Contains(logs, "Signature=") || strings.Contains(logs, "AWS4-HMAC-SHA256 Credential") {
		t.Errorf("an Authorization header appears in the server's output")
	}
}

// authStartupSecrets starts the server with settings that fail, each
// holding a secret: the error names the setting, never the secret.
func authStartupSecrets(t *testing.T) int {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(fmt.Sprintf("credentials:\n  - accessKeyId: %s\n    secretAccessKey: %q\n    accountId: \"12\"\n", authKeyA, authSecretA)), 0o600); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, args := range [][]string{
		{"--auth", "sigv4", "--credentials", bad},
		{"--token-key", "short-" + authSecretA[:4]},
		{"--store", "postgres://app:" + authSecretB + "@127.0.0.1:1/db?connect_timeout=1", "--token-key", authTokenKey},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, binary, append([]string{"serve", "--listen", freeAddr(t)}, args...)...)
		out, err := cmd.CombinedOutput()
		cancel()
		if err == nil {
			t.Errorf("openproton %v started", args)
		}
		for _, s := range []string{authSecretA, authSecretB, authTokenKey, "short-" + authSecretA[:4]} {
			if strings.Contains(string(out), s) {
				t.Errorf("openproton %v printed a secret:\n%s", args, out)
			}
		}
		n++
	}
	return n
}
