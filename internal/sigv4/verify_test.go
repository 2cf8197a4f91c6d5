package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func TestVerifyClock(t *testing.T) {
	body := []byte(`{}`)
	tests := []struct {
		name    string
		now     time.Time
		skew    time.Duration
		message string
	}{
		{"exactly 5 minutes late", signTime.Add(5 * time.Minute), 0, ""},
		{"exactly 5 minutes early", signTime.Add(-5 * time.Minute), 0, ""},
		{"expired", signTime.Add(5*time.Minute + time.Second), 0,
			"Signature expired: 20240301T120000Z is now earlier than 20240301T120001Z (20240301T120501Z - 5 min.)"},
		{"not yet current", signTime.Add(-10 * time.Minute), 0,
			"Signature not yet current: 20240301T120000Z is still later than 20240301T115500Z (20240301T115000Z + 5 min.)"},
		{"configured skew allows", signTime.Add(14 * time.Minute), 15 * time.Minute, ""},
		{"configured skew refuses", signTime.Add(16 * time.Minute), 15 * time.Minute,
			"Signature expired: 20240301T120000Z is now earlier than 20240301T120100Z (20240301T121600Z - 15 min.)"},
		{"odd skew", signTime.Add(time.Minute), 30 * time.Second,
			"Signature expired: 20240301T120000Z is now earlier than 20240301T120030Z (20240301T120100Z - 30s)"},
		{"now in another zone", signTime.In(time.FixedZone("x", 5*3600)).Add(20 * time.Minute), 0,
			"Signature expired: 20240301T120000Z is now earlier than 20240301T121500Z (20240301T122000Z - 5 min.)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sdkRequest(t, "https://proton.us-east-1.amazonaws.com/", body, nil)
			s, err := Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Verify(r, body, testSecret, tt.now, tt.skew)
			if tt.message == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			checkError(t, err, Invalid, tt.message)
		})
	}
}

func TestVerifyScopeDateMustMatchRequestDate(t *testing.T) {
	r := sdkRequest(t, "https://proton.us-east-1.amazonaws.com/", nil, nil)
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20240301/", "/20240302/", 1))
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	checkError(t, s.Verify(r, nil, testSecret, signTime, 0), Invalid,
		"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240302' != '20240301', from '20240301T120000Z'.")
}

func TestVerifyHostMustBeSigned(t *testing.T) {
	r := request(map[string]string{
		"Authorization": "AWS4-HMAC-SHA256 Credential=K/20240301/us-east-1/proton/aws4_request, SignedHeaders=x-amz-date, Signature=" + strings.Repeat("ab", 32),
		"X-Amz-Date":    "20240301T120000Z",
	})
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	checkError(t, s.Verify(r, nil, testSecret, signTime, 0), Invalid, "'Host' must be a 'SignedHeader' in the AWS Authorization.")
}

// TestVerifyContentSHA256Header covers clients that send the payload hash
// in a header, as the SDKs do for S3 and some tools do everywhere.
func TestVerifyContentSHA256Header(t *testing.T) {
	body := []byte(`{"a":1}`)
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	for _, claimed := range []string{hash, "UNSIGNED-PAYLOAD"} {
		t.Run(claimed, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "https://proton.us-east-1.amazonaws.com/", nil)
			r.Header.Set("X-Amz-Content-Sha256", claimed)
			creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, claimed, "proton", "us-east-1", signTime); err != nil {
				t.Fatal(err)
			}
			if err := verify(r, body, testSecret, signTime); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestVerifyReorderedQuery checks that the query is canonicalized on the
// server, not taken as sent: the SDK sends it sorted, other clients may not.
func TestVerifyReorderedQuery(t *testing.T) {
	r := sdkRequest(t, "https://proton.us-east-1.amazonaws.com/?b=2&a=x%20y&a=1", nil, nil)
	r.URL.RawQuery = "a=x+y&b=2&a=1"
	if err := verify(r, nil, testSecret, signTime); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyOverHTTP sends SDK-signed requests through a real server, so
// Host and Content-Length reach Verify the way net/http delivers them.
func TestVerifyOverHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		if err := verify(r, body, testSecret, signTime); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
		}
	}))
	defer srv.Close()

	for _, body := range []string{"", `{"environmentName":"prod"}`} {
		r, err := http.NewRequest(http.MethodPost, srv.URL+"/?q=1", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/x-amz-json-1.0")
		r.Header.Add("X-Multi", "a")
		r.Header.Add("X-Multi", "b")
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "proton", "us-east-1", signTime); err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("body %q: status %d: %s", body, resp.StatusCode, msg)
		}
	}
}
