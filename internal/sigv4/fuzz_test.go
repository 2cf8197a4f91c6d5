package sigv4

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary headers, paths and queries through every step a
// server runs. Nothing may panic, and every failure must be an *Error with
// a known Kind and a message for the client. The seed corpus is in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, authorization, date, path, query string) {
		r := &http.Request{
			Method: http.MethodPost,
			URL:    &url.URL{Path: path, RawQuery: query},
			Host:   "localhost:4566",
			Header: http.Header{"Authorization": {authorization}, "X-Amz-Date": {date}},
		}
		s, err := Parse(r)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		if s.AccessKeyID == "" || s.Signature == "" || len(s.SignedHeaders) == 0 {
			t.Fatalf("Parse accepted an incomplete header: %+v", s)
		}
		// Only X-Amz-Date is set, so an accepted request carries exactly
		// the time it names (which may be any time, the zero one included:
		// the clock check, not the parser, refuses implausible dates).
		if want, err := time.Parse(isoBasic, strings.TrimSpace(date)); err != nil || !s.RequestTime.Equal(want) {
			t.Fatalf("Parse accepted X-Amz-Date %q as %v", date, s.RequestTime)
		}
		if err := s.CheckScope("proton"); err != nil {
			checkFuzzError(t, err)
		}
		if err := s.Verify(r, []byte(query), "secret", s.RequestTime, time.Minute); err != nil {
			checkFuzzError(t, err)
		}
	})
}

func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %v (%T) is not a *sigv4.Error", err, err)
	}
	if e.Kind < Missing || e.Kind > Invalid || e.Message == "" {
		t.Fatalf("bad error %+v", e)
	}
}
