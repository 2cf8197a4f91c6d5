package sigv4

import (
	"net/http"
	"strings"
	"time"

	"github.com/openproton/openproton/internal/fault"
)

// Algorithm is the only signing algorithm accepted in the Authorization
// header.
const Algorithm = "AWS4-HMAC-SHA256"

const (
	// terminator closes every SigV4 credential scope.
	terminator = "aws4_request"
	// isoBasic is the ISO-8601 basic format of X-Amz-Date.
	isoBasic = "20060102T150405Z"
	// scopeDate is the date element of the credential scope.
	scopeDate = "20060102"
	// dateHelp is the link AWS appends to date format errors.
	dateHelp = "See http://docs.aws.amazon.com/general/latest/gr/sigv4-date-handling.html"
)

// Signed is what the Authorization header and the date headers of a request
// claim. Nothing in it is trusted until Verify succeeds.
type Signed struct {
	AccessKeyID string
	// Date is the YYYYMMDD element of the credential scope.
	Date    string
	Region  string
	Service string
	// SignedHeaders lists the header names exactly as the client wrote them.
	SignedHeaders []string
	Signature     string
	// RequestTime is the time from X-Amz-Date, or from Date when
	// X-Amz-Date is absent.
	RequestTime time.Time
}

// Parse reads the Authorization header and the request date of r. It
// returns an *Error of Kind Missing when there is no Authorization header
// and of Kind Incomplete when the header or the date is malformed. It does
// not read the body and does not check the scope, the clock or the
// signature.
func Parse(r *http.Request) (*Signed, error) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 || strings.TrimSpace(values[0]) == "" {
		return nil, &Error{Kind: Missing, Message: "Missing Authentication Token"}
	}
	if len(values) > 1 {
		return nil, incomplete("Authorization header must be sent only once.")
	}
	header := values[0]

	params, err := parseAuthorization(header)
	if err != nil {
		return nil, err
	}
	rawDate, dateName := requestDateHeader(r.Header)

	// AWS reports every missing part at once, then echoes the header.
	var missing strings.Builder
	for _, p := range []struct{ name, value string }{
		{"Credential", params.credential},
		{"Signature", params.signature},
		{"SignedHeaders", params.signedHeaders},
	} {
		if p.value == "" {
			missing.WriteString("Authorization header requires '" + p.name + "' parameter. ")
		}
	}
	if rawDate == "" {
		missing.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	if missing.Len() > 0 {
		return nil, incomplete(missing.String() + "Authorization=" + fault.Echo(header))
	}

	s := &Signed{Signature: params.signature}
	if err := s.parseCredential(params.credential); err != nil {
		return nil, err
	}
	if s.SignedHeaders, err = parseSignedHeaders(params.signedHeaders); err != nil {
		return nil, err
	}
	if s.RequestTime, err = parseRequestTime(rawDate, dateName); err != nil {
		return nil, err
	}
	return s, nil
}

// authParams holds the raw parameters of the Authorization header; an empty
// field means the parameter was absent or empty.
type authParams struct {
	credential, signedHeaders, signature string
}

// parseAuthorization splits "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=..." into its parameters. Spaces around the commas are
// tolerated because clients differ in how they join the parameters.
func parseAuthorization(header string) (authParams, error) {
	var p authParams
	alg, rest, _ := strings.Cut(strings.TrimSpace(header), " ")
	if alg != Algorithm {
		return p, incomplete("Unsupported AWS 'algorithm': '" + fault.Echo(alg) + "'. Only '" + Algorithm + "' is accepted.")
	}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, value, ok := strings.Cut(part, "=")
		if !ok {
			return p, incomplete("Invalid key=value pair (missing equal-sign) in Authorization header: '" + fault.Echo(part) + "'.")
		}
		key = strings.TrimSpace(key)
		var field *string
		switch key {
		case "Credential":
			field = &p.credential
		case "SignedHeaders":
			field = &p.signedHeaders
		case "Signature":
			field = &p.signature
		default:
			// Unknown parameters carry nothing we sign or check.
			continue
		}
		if seen[key] {
			return p, incomplete("Authorization header has more than one '" + key + "' parameter.")
		}
		seen[key] = true
		*field = strings.TrimSpace(value)
	}
	return p, nil
}

// parseCredential fills the access key and scope from
// "AKID/20240101/us-east-1/proton/aws4_request".
func (s *Signed) parseCredential(credential string) error {
	parts := strings.Split(credential, "/")
	if len(parts) != 5 {
		return incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + fault.Echo(credential) + "'")
	}
	if parts[4] != terminator {
		return incomplete("Credential should be scoped with a valid terminator: '" + terminator + "', not '" + fault.Echo(parts[4]) + "'. ")
	}
	if parts[0] == "" {
		return incomplete("Credential must start with an access key ID, e.g. keyid/date/region/service/term, got '" + fault.Echo(credential) + "'")
	}
	if !roundTrips(scopeDate, parts[1]) {
		return incomplete("Date in Credential scope must be in 'YYYYMMDD' format. Got '" + fault.Echo(parts[1]) + "'.")
	}
	s.AccessKeyID, s.Date, s.Region, s.Service = parts[0], parts[1], parts[2], parts[3]
	return nil
}

// parseSignedHeaders splits "host;x-amz-date" and refuses empty names,
// which no client produces and which would make the canonical request
// ambiguous.
func parseSignedHeaders(list string) ([]string, error) {
	names := strings.Split(list, ";")
	for _, n := range names {
		if n == "" {
			return nil, incomplete("SignedHeaders must be a ';'-delimited list of header names, got '" + fault.Echo(list) + "'.")
		}
	}
	return names, nil
}

// requestDateHeader returns the raw request date and the header it came
// from. X-Amz-Date wins over Date because clients that cannot control Date
// send X-Amz-Date.
func requestDateHeader(h http.Header) (value, name string) {
	if v := strings.TrimSpace(h.Get("X-Amz-Date")); v != "" {
		return v, "X-Amz-Date"
	}
	return strings.TrimSpace(h.Get("Date")), "Date"
}

// httpDateLayouts are the Date header formats accepted besides ISO-8601
// basic; botocore, for one, writes RFC 1123 with a numeric zone.
var httpDateLayouts = []string{http.TimeFormat, time.RFC1123Z, time.RFC1123, time.RFC850, time.ANSIC}

// parseRequestTime parses the request date. X-Amz-Date must be ISO-8601
// basic; Date may also be an HTTP date.
func parseRequestTime(value, name string) (time.Time, error) {
	if roundTrips(isoBasic, value) {
		t, _ := time.Parse(isoBasic, value)
		return t, nil
	}
	if name == "Date" {
		for _, layout := range httpDateLayouts {
			if t, err := time.Parse(layout, value); err == nil {
				return t.UTC(), nil
			}
		}
	}
	return time.Time{}, incomplete("Date must be in ISO-8601 'basic format'. Got '" + fault.Echo(value) + "'. " + dateHelp)
}

// roundTrips reports whether value is exactly layout's rendering of some
// time. time.Parse alone would also take fractional seconds, which would
// make the string to sign differ from what the client signed.
func roundTrips(layout, value string) bool {
	t, err := time.Parse(layout, value)
	return err == nil && t.Format(layout) == value
}
