package paging

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/pagetoken"
)

// Size is the page size of a request: maxResults, or max when it is absent
// (0) or larger than max.
func Size(maxResults, max int) int {
	if maxResults <= 0 || maxResults > max {
		return max
	}
	return maxResults
}

// Binding identifies a query for its tokens: the operation, the caller and
// the filters, in a fixed order. The page size is not part of it, since it
// may change between pages.
func Binding(parts ...string) string { return strings.Join(parts, "\x00") }

// BadToken is the error for a nextToken that was altered, expired with its
// key, or issued for another query.
func BadToken() error {
	return fault.New(fault.Validation, "The nextToken is not valid for this request.")
}

// Decode returns the position that token carries for binding, or BadToken.
func Decode(pages *pagetoken.Codec, binding, token string) ([]byte, error) {
	pos, err := pages.Decode(binding, token)
	if err != nil {
		return nil, BadToken()
	}
	return pos, nil
}

// DecodeName returns the name a token carries (see Name), or BadToken.
func DecodeName(pages *pagetoken.Codec, binding, token string) (string, error) {
	pos, err := Decode(pages, binding, token)
	if err != nil || len(pos) == 0 {
		return "", BadToken()
	}
	return string(pos), nil
}

// Name is the position after a name, in lists ordered by name.
func Name(name string) []byte { return []byte(name) }

// TimeID is the position after a row, in lists ordered by a time (in
// milliseconds) and then an id.
func TimeID(t time.Time, id string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(t.UnixMilli())), id...)
}

// DecodeTimeID returns the time and id a token carries (see TimeID), or
// BadToken.
func DecodeTimeID(pages *pagetoken.Codec, binding, token string) (time.Time, string, error) {
	pos, err := Decode(pages, binding, token)
	if err != nil || len(pos) < 8 {
		return time.Time{}, "", BadToken()
	}
	return time.UnixMilli(int64(binary.BigEndian.Uint64(pos))).UTC(), string(pos[8:]), nil
}

// Cut cuts rows, read with a limit of limit+1, to one page, and returns the
// token of the next page: "" when no row followed the page, else a token for
// binding carrying the position after the page's last row.
func Cut[T any](pages *pagetoken.Codec, binding string, rows []T, limit int, position func(last T) []byte) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, pages.Encode(binding, position(rows[limit-1]))
}

// ByName reads one page of a list ordered by name: it decodes nextToken
// (bound to binding) into the name to start after, calls read with it and
// the page size plus one, and cuts the rows to a page with the token of the
// next. read's error comes back as it is, for the family to word.
func ByName[T any](pages *pagetoken.Codec, binding, nextToken string, maxResults, maxPage int,
	read func(after string, limit int) ([]T, error), name func(T) string) ([]T, string, error) {
	after := ""
	if nextToken != "" {
		var err error
		if after, err = DecodeName(pages, binding, nextToken); err != nil {
			return nil, "", err
		}
	}
	limit := Size(maxResults, maxPage)
	rows, err := read(after, limit+1)
	if err != nil {
		return nil, "", err
	}
	rows, next := Cut(pages, binding, rows, limit, func(v T) []byte { return Name(name(v)) })
	return rows, next, nil
}
