package sqlite

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// A page of connections is read as one text value rather than as rows of
// eleven columns. modernc's driver converts each column of each row with two
// or three C-API calls, every one of which takes the connection's mutex (it
// opens connections with SQLITE_OPEN_FULLMUTEX), and database/sql boxes each
// value in a new allocation; for a page of 100 that was 1,100 conversions
// and most of the CPU time of a List request (docs/benchmarks.md). Packed,
// a page is one step of the statement per row inside SQLite and one column
// conversion in all, and the strings of the connections share the one Go
// string that holds it.

// packedConnectionColumn selects a connection row as one text value: the
// two times in Unix milliseconds and the byte lengths of the nine text
// columns, each followed by a comma, then the nine texts back to back.
// Lengths rather than separators keep every value exact whatever bytes it
// holds (concat, concat_ws and octet_length work on bytes, NUL included),
// and make a packed row self-delimiting, so that rows can be concatenated
// without a separator either. The columns are NOT NULL, which concat and
// concat_ws would skip. One call of each builds the value in one buffer; a
// chain of || copies the growing string at every step, and cost a tenth
// more CPU per page.
const packedConnectionColumn = `concat_ws(',', requested_at_ms, last_modified_at_ms,
	octet_length(region), octet_length(id), octet_length(environment_account_id), octet_length(management_account_id),
	octet_length(environment_name), octet_length(role_arn), octet_length(codebuild_role_arn), octet_length(component_role_arn),
	octet_length(status),
	concat(region, id, environment_account_id, management_account_id, environment_name,
		role_arn, codebuild_role_arn, component_role_arn, status))`

// packedPage wraps a query whose only column is packedConnectionColumn,
// named p and ordered, into one that returns its rows concatenated, ""
// for none.
func packedPage(query string) string {
	return `SELECT COALESCE(group_concat(p, ''), '') FROM (` + query + `)`
}

var errBadPacked = errors.New("malformed packed connection row")

// unpackPage appends the connections of a packedPage value to out, in list
// order. group_concat without an ORDER BY of its own does not promise the
// order of the subquery (with one it would sort the page again); the rows
// are sorted here in the rare case that it was not kept.
func unpackPage(out []store.Connection, packed string) ([]store.Connection, error) {
	for packed != "" {
		c, rest, err := unpackConnection(packed)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		packed = rest
	}
	if !slices.IsSortedFunc(out, compareListOrder) {
		slices.SortFunc(out, compareListOrder)
	}
	return out, nil
}

// compareListOrder is the order of list pages: requested_at_ms, then id
// compared as bytes, as SQLite's BINARY collation does.
func compareListOrder(a, b store.Connection) int {
	if c := a.RequestedAt.Compare(b.RequestedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// unpackConnection reads the packedConnectionColumn value at the start of
// packed and returns it and what follows it. The strings of the connection
// are slices of packed.
func unpackConnection(packed string) (c store.Connection, rest string, err error) {
	var nums [11]int64
	rest = packed
	for i := range nums {
		n, after, ok := cutNumber(rest)
		if !ok || (i >= 2 && n < 0) {
			return store.Connection{}, "", errBadPacked
		}
		nums[i], rest = n, after
	}
	var texts [9]string
	for i, n := range nums[2:] {
		if n > int64(len(rest)) {
			return store.Connection{}, "", errBadPacked
		}
		texts[i], rest = rest[:n], rest[n:]
	}
	return store.Connection{
		Region:               texts[0],
		ID:                   texts[1],
		EnvironmentAccountID: texts[2],
		ManagementAccountID:  texts[3],
		EnvironmentName:      texts[4],
		RoleArn:              texts[5],
		CodebuildRoleArn:     texts[6],
		ComponentRoleArn:     texts[7],
		Status:               store.ConnectionStatus(texts[8]),
		RequestedAt:          time.UnixMilli(nums[0]).UTC(),
		LastModifiedAt:       time.UnixMilli(nums[1]).UTC(),
	}, rest, nil
}

// cutNumber reads a decimal integer followed by a comma at the start of s,
// as SQLite writes an integer as text, and returns it and the rest of s
// after the comma. A loop of its own: strings.Cut and strconv.ParseInt took
// a tenth of the time of reading a page of 100.
func cutNumber(s string) (n int64, rest string, ok bool) {
	i, neg := 0, false
	if s != "" && s[0] == '-' {
		i, neg = 1, true
	}
	limit := uint64(1<<63 - 1)
	if neg {
		limit++
	}
	var u uint64
	start := i
	for ; i < len(s) && s[i] != ','; i++ {
		d := uint64(s[i] - '0')
		if d > 9 || u > (limit-d)/10 {
			return 0, "", false
		}
		u = u*10 + d
	}
	if i == start || i == len(s) {
		return 0, "", false
	}
	if neg {
		return -int64(u-1) - 1, s[i+1:], true
	}
	return int64(u), s[i+1:], true
}
