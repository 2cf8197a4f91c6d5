package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// DefaultMaxSkew is how far the request time may be from the server's clock,
// as on AWS.
const DefaultMaxSkew = 5 * time.Minute

// unsignedPayload is the payload hash a client sends when it chose not to
// sign the body.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// Verify checks that s was signed with secret over r and body, and that the
// request time is within maxSkew of now (DefaultMaxSkew when maxSkew is not
// positive). body is the whole request body; Verify does not read r.Body.
// Verify does not check the service and region: call CheckScope for that.
// Failures are *Error of Kind Invalid.
func (s *Signed) Verify(r *http.Request, body []byte, secret string, now time.Time, maxSkew time.Duration) error {
	return s.VerifyCached(nil, r, body, secret, now, maxSkew)
}

// VerifyCached is Verify with the signing key taken from keys, which derives
// it once per secret and scope; a nil keys derives it every time.
func (s *Signed) VerifyCached(keys *SigningKeys, r *http.Request, body []byte, secret string, now time.Time, maxSkew time.Duration) error {
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	stamp := s.RequestTime.UTC().Format(isoBasic)
	if s.Date != stamp[:8] {
		return invalid(fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", s.Date, stamp[:8], stamp))
	}
	if err := checkClock(s.RequestTime, now, maxSkew); err != nil {
		return err
	}
	if !s.signs("host") {
		return invalid("'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}

	payloadHash := hashHex(body)
	if claimed := r.Header.Get("X-Amz-Content-Sha256"); claimed != "" {
		switch claimed {
		case payloadHash:
		case unsignedPayload:
			payloadHash = unsignedPayload
		default:
			return invalid("The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
	}

	provided, err := hex.DecodeString(s.Signature)
	if err == nil && len(provided) == sha256.Size {
		key := keys.get(secret, s.Date, s.Region, s.Service)
		scope := s.Date + "/" + s.Region + "/" + s.Service + "/" + terminator
		for _, uri := range canonicalURIs(r.URL) {
			toSign := Algorithm + "\n" + stamp + "\n" + scope + "\n" + hashHex([]byte(s.canonicalRequest(r, uri, payloadHash)))
			if hmac.Equal(hmacSHA256(key, toSign), provided) {
				return nil
			}
		}
	}
	return invalid("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
}

// checkClock refuses requests outside [now-maxSkew, now+maxSkew], which
// bounds how long a captured request can be replayed.
func checkClock(t, now time.Time, maxSkew time.Duration) error {
	now = now.UTC()
	window := skewText(maxSkew)
	if earliest := now.Add(-maxSkew); t.Before(earliest) {
		return invalid(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s)",
			t.UTC().Format(isoBasic), earliest.Format(isoBasic), now.Format(isoBasic), window))
	}
	if latest := now.Add(maxSkew); t.After(latest) {
		return invalid(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s)",
			t.UTC().Format(isoBasic), latest.Format(isoBasic), now.Format(isoBasic), window))
	}
	return nil
}

// skewText renders the skew the way AWS does ("5 min.") when it is a whole
// number of minutes.
func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min.", d/time.Minute)
	}
	return d.String()
}

// signs reports whether name is among the signed headers, ignoring case.
func (s *Signed) signs(name string) bool {
	for _, h := range s.SignedHeaders {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// signingKey derives the SigV4 signing key; it depends only on the secret
// and the scope, never on the request.
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
