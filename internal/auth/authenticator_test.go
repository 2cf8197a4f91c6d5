package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/openproton/openproton/internal/fault"
)

var signTime = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// signed returns a Proton request signed by the AWS SDK for Go signer.
func signed(t *testing.T, key, secret, service, region string, body []byte) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://localhost:4566/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	r.Header.Set("X-Amz-Target", "AwsProton20200720.ListEnvironments")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), service, region, signTime); err != nil {
		t.Fatal(err)
	}
	return r
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func mustNew(t *testing.T, cfg Config) *Authenticator {
	t.Helper()
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		message string
	}{
		{"unknown mode", Config{Mode: "iam"}, `auth mode "iam" is not supported; use "open" or "sigv4"`},
		{"sigv4 without file", Config{Mode: "sigv4"}, "auth mode sigv4 needs a credentials file"},
		{"open with file", Config{CredentialsFile: "testdata/credentials.yaml"},
			"auth credentials file testdata/credentials.yaml is set but auth mode is open, which checks no signatures; set the mode to sigv4 or remove the file"},
		{"bad default account", Config{DefaultAccount: "42"}, `auth default account "42" must be 12 digits`},
		{"negative skew", Config{MaxSkew: -time.Second}, "auth max clock skew -1s must not be negative"},
		{"bad credentials file", Config{Mode: "sigv4", CredentialsFile: "testdata/absent.yaml"}, "credentials file: open testdata/absent.yaml: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || err.Error() != tt.message {
				t.Errorf("New error = %v\nwant %s", err, tt.message)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	a := mustNew(t, Config{})
	if a.Mode() != ModeOpen || a.defaultAccount != DefaultAccount || a.maxSkew != DefaultMaxSkew || a.now == nil {
		t.Errorf("defaults not applied: %+v", a)
	}
}

// checkFault asserts err is a *fault.Error with the code and, unless
// message is empty, the message.
func checkFault(t *testing.T, err error, code fault.Code, message string) {
	t.Helper()
	e, ok := err.(*fault.Error)
	if !ok {
		t.Fatalf("error %v (%T) is not a *fault.Error", err, err)
	}
	if e.Code != code {
		t.Errorf("code = %s, want %s (message %q)", e.Code, code, e.Message)
	}
	if message != "" && e.Message != message {
		t.Errorf("message = %q\nwant      %q", e.Message, message)
	}
}

// failuresInEveryMode are requests both modes refuse the same way.
var failuresInEveryMode = []struct {
	name    string
	request func(t *testing.T) *http.Request
	code    fault.Code
	message string
}{
	{"no authorization", func(t *testing.T) *http.Request {
		r := signed(t, "AKIAMANAGEMENT000001", "x", "proton", "us-east-1", nil)
		r.Header.Del("Authorization")
		return r
	}, fault.MissingAuthenticationToken, "Missing Authentication Token"},
	{"malformed authorization", func(t *testing.T) *http.Request {
		r := signed(t, "AKIAMANAGEMENT000001", "x", "proton", "us-east-1", nil)
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAMANAGEMENT000001/20240301/us-east-1/proton")
		return r
	}, fault.IncompleteSignature, ""},
	{"no date", func(t *testing.T) *http.Request {
		r := signed(t, "AKIAMANAGEMENT000001", "x", "proton", "us-east-1", nil)
		r.Header.Del("X-Amz-Date")
		return r
	}, fault.IncompleteSignature, ""},
	{"other service", func(t *testing.T) *http.Request {
		return signed(t, "AKIAMANAGEMENT000001", "management/secret+key", "s3", "us-east-1", nil)
	}, fault.InvalidSignature, "Credential should be scoped to correct service: 'proton'. "},
	{"bad region", func(t *testing.T) *http.Request {
		return signed(t, "AKIAMANAGEMENT000001", "management/secret+key", "proton", "mars", nil)
	}, fault.InvalidSignature, "Credential should be scoped to a valid region, not 'mars'. "},
}

func TestAuthenticateOpen(t *testing.T) {
	a := mustNew(t, Config{Mode: "open", DefaultAccount: "999999999999", Now: fixedClock(signTime.Add(24 * time.Hour))})
	tests := []struct {
		key, secret, region string
		want                Caller
	}{
		{"123456789012", "anything", "eu-west-1", Caller{Account: "123456789012", Region: "eu-west-1", Partition: "aws", AccessKey: "123456789012"}},
		{"AKIAIOSFODNN7EXAMPLE", "wrong", "us-east-1", Caller{Account: "999999999999", Region: "us-east-1", Partition: "aws", AccessKey: "AKIAIOSFODNN7EXAMPLE"}},
		{"test", "test", "cn-north-1", Caller{Account: "999999999999", Region: "cn-north-1", Partition: "aws-cn", AccessKey: "test"}},
		{"210987654321", "", "us-gov-west-1", Caller{Account: "210987654321", Region: "us-gov-west-1", Partition: "aws-us-gov", AccessKey: "210987654321"}},
	}
	for _, tt := range tests {
		body := []byte(`{}`)
		r := signed(t, tt.key, tt.secret, "proton", tt.region, body)
		// Open mode checks neither the signature nor the clock.
		got, err := a.Authenticate(r, []byte("changed body"))
		if err != nil {
			t.Fatalf("%s: %v", tt.key, err)
		}
		if got != tt.want {
			t.Errorf("%s: Caller = %+v, want %+v", tt.key, got, tt.want)
		}
	}
	for _, tt := range failuresInEveryMode {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Authenticate(tt.request(t), nil)
			checkFault(t, err, tt.code, tt.message)
		})
	}
}

func TestAuthenticateOpenDefaultAccount(t *testing.T) {
	a := mustNew(t, Config{})
	got, err := a.Authenticate(signed(t, "AKIAIOSFODNN7EXAMPLE", "s", "proton", "us-east-1", nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Account != "000000000000" {
		t.Errorf("Account = %q, want 000000000000", got.Account)
	}
}

func TestAuthenticateSigV4(t *testing.T) {
	for _, file := range []string{"testdata/credentials.yaml", "testdata/credentials.json"} {
		t.Run(file, func(t *testing.T) {
			a := mustNew(t, Config{Mode: "sigv4", CredentialsFile: file, Now: fixedClock(signTime.Add(time.Minute))})
			body := []byte(`{"maxResults":5}`)

			got, err := a.Authenticate(signed(t, "AKIAENVIRONMENT00002", "environment-secret", "proton", "us-gov-east-1", body), body)
			if err != nil {
				t.Fatal(err)
			}
			want := Caller{Account: "012345678901", Region: "us-gov-east-1", Partition: "aws-us-gov", AccessKey: "AKIAENVIRONMENT00002"}
			if got != want {
				t.Errorf("Caller = %+v, want %+v", got, want)
			}

			got, err = a.Authenticate(signed(t, "AKIAMANAGEMENT000001", "management/secret+key", "proton", "us-east-1", body), body)
			if err != nil {
				t.Fatal(err)
			}
			if got.Account != "111111111111" {
				t.Errorf("Account = %q, want 111111111111", got.Account)
			}
		})
	}
}

func TestAuthenticateSigV4Rejects(t *testing.T) {
	const mismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	body := []byte(`{"name":"env"}`)
	a := mustNew(t, Config{Mode: "sigv4", CredentialsFile: "testdata/credentials.yaml", Now: fixedClock(signTime)})
	tests := []struct {
		name    string
		request func(t *testing.T) *http.Request
		body    []byte
		code    fault.Code
		message string
	}{
		{"unknown key", func(t *testing.T) *http.Request {
			return signed(t, "AKIAUNKNOWN000000000", "management/secret+key", "proton", "us-east-1", body)
		}, body, fault.UnrecognizedClient, "The security token included in the request is invalid."},
		{"12-digit key is not special", func(t *testing.T) *http.Request {
			return signed(t, "111111111111", "management/secret+key", "proton", "us-east-1", body)
		}, body, fault.UnrecognizedClient, "The security token included in the request is invalid."},
		{"wrong secret", func(t *testing.T) *http.Request {
			return signed(t, "AKIAMANAGEMENT000001", "environment-secret", "proton", "us-east-1", body)
		}, body, fault.InvalidSignature, mismatch},
		{"tampered body", func(t *testing.T) *http.Request {
			return signed(t, "AKIAMANAGEMENT000001", "management/secret+key", "proton", "us-east-1", body)
		}, []byte(`{"name":"evil"}`), fault.InvalidSignature, mismatch},
		{"tampered header", func(t *testing.T) *http.Request {
			r := signed(t, "AKIAMANAGEMENT000001", "management/secret+key", "proton", "us-east-1", body)
			r.Header.Set("X-Amz-Target", "AwsProton20200720.DeleteEnvironment")
			return r
		}, body, fault.InvalidSignature, mismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Authenticate(tt.request(t), tt.body)
			checkFault(t, err, tt.code, tt.message)
		})
	}
	for _, tt := range failuresInEveryMode {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Authenticate(tt.request(t), nil)
			checkFault(t, err, tt.code, tt.message)
		})
	}
}

func TestAuthenticateSigV4ClockSkew(t *testing.T) {
	body := []byte(`{}`)
	request := func() *http.Request {
		return signed(t, "AKIAMANAGEMENT000001", "management/secret+key", "proton", "us-east-1", body)
	}
	tests := []struct {
		name    string
		skew    time.Duration
		now     time.Time
		message string
	}{
		{"default allows 5 minutes", 0, signTime.Add(5 * time.Minute), ""},
		{"default refuses 6 minutes", 0, signTime.Add(6 * time.Minute),
			"Signature expired: 20240301T120000Z is now earlier than 20240301T120100Z (20240301T120600Z - 5 min.)"},
		{"default refuses the future", 0, signTime.Add(-6 * time.Minute),
			"Signature not yet current: 20240301T120000Z is still later than 20240301T115900Z (20240301T115400Z + 5 min.)"},
		{"configured allows 1 hour", time.Hour, signTime.Add(59 * time.Minute), ""},
		{"configured refuses 2 minutes", time.Minute, signTime.Add(2 * time.Minute),
			"Signature expired: 20240301T120000Z is now earlier than 20240301T120100Z (20240301T120200Z - 1 min.)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustNew(t, Config{Mode: "sigv4", CredentialsFile: "testdata/credentials.yaml", MaxSkew: tt.skew, Now: fixedClock(tt.now)})
			_, err := a.Authenticate(request(), body)
			if tt.message == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			checkFault(t, err, fault.InvalidSignature, tt.message)
		})
	}
}

func TestToFaultKeepsPercentSigns(t *testing.T) {
	r := signed(t, "AKIAMANAGEMENT000001", "x", "proton", "us-east-1", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=%d%s/x")
	_, err := mustNew(t, Config{}).Authenticate(r, nil)
	checkFault(t, err, fault.IncompleteSignature, "")
	if e, _ := fault.As(err); !strings.Contains(e.Message, "%d%s") {
		t.Errorf("message %q lost the client's text", e.Message)
	}
}
