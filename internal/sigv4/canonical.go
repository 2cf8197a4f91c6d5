package sigv4

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// canonicalRequest builds the SigV4 canonical request for r with the given
// canonical URI, from exactly the headers the client listed as signed.
func (s *Signed) canonicalRequest(r *http.Request, uri, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery))
	b.WriteByte('\n')
	for _, name := range s.SignedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(s.SignedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalURIs returns the canonical URI candidates for u. SDKs disagree on
// whether to normalize the path first (botocore removes dot segments and
// repeated slashes, the Go SDK signs the path as sent), so both forms are
// offered when they differ. Either way each byte outside the unreserved set
// is encoded again, which double-encodes the already escaped path as SigV4
// asks for every service but S3.
func canonicalURIs(u *url.URL) []string {
	raw := u.EscapedPath()
	if raw == "" {
		raw = "/"
	}
	normalized := uriEncode(removeDotSegments(raw), false)
	if asSent := uriEncode(raw, false); asSent != normalized {
		return []string{normalized, asSent}
	}
	return []string{normalized}
}

// removeDotSegments drops ".", "..", and empty segments of an absolute path,
// keeping a trailing slash.
func removeDotSegments(path string) string {
	var out []string
	for seg := range strings.SplitSeq(path, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	if len(out) == 0 {
		return "/"
	}
	result := "/" + strings.Join(out, "/")
	if strings.HasSuffix(path, "/") {
		result += "/"
	}
	return result
}

// canonicalQuery sorts the query parameters by encoded key, then encoded
// value, and encodes both per RFC 3986. A '+' is read as a space, as the Go
// SDK does when it re-encodes the query it sends.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	type pair struct{ key, value string }
	var pairs []pair
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		pairs = append(pairs, pair{uriEncode(queryUnescape(k), true), uriEncode(queryUnescape(v), true)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].key != pairs[j].key {
			return pairs[i].key < pairs[j].key
		}
		return pairs[i].value < pairs[j].value
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.key + "=" + p.value
	}
	return strings.Join(parts, "&")
}

// queryUnescape decodes s, or returns it unchanged when it is not valid
// percent-encoding; such a request cannot have come from an SDK, and the
// signature check will reject it anyway.
func queryUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// uriEncode percent-encodes every byte outside the RFC 3986 unreserved set,
// in upper-case hex. A '/' is kept unless encodeSlash is set.
func uriEncode(s string, encodeSlash bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// canonicalHeaderValue returns the canonical value of one signed header:
// every value trimmed, runs of spaces collapsed, and multiple header lines
// joined with ','. Go moves Host out of the header map and may keep the
// length only in ContentLength, so those two come from the request itself.
func canonicalHeaderValue(r *http.Request, name string) string {
	var values []string
	switch strings.ToLower(name) {
	case "host":
		values = []string{requestHost(r)}
	case "content-length":
		values = r.Header.Values("Content-Length")
		if len(values) == 0 && r.ContentLength >= 0 {
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		values = r.Header.Values(name)
	}
	// values may alias the request's header map, so build a new slice.
	trimmed := make([]string, len(values))
	for i, v := range values {
		trimmed[i] = trimAll(v)
	}
	return strings.Join(trimmed, ",")
}

func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if h := r.Header.Get("Host"); h != "" {
		return h
	}
	return r.URL.Host
}

// trimAll trims a header value and collapses each run of spaces into one.
func trimAll(v string) string {
	v = strings.Trim(v, " \t")
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
