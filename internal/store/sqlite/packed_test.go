package sqlite

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// unusualConnections holds values that a packed row must carry exactly:
// commas and digits where lengths are parsed, a NUL byte, multi-byte UTF-8,
// lengths of several digits, empty roles, and times before 1970 and far
// ahead.
func unusualConnections() []store.Connection {
	base := time.Date(2026, 3, 4, 5, 6, 7, 8_000_000, time.UTC)
	mk := func(id string, at time.Time) store.Connection {
		return store.Connection{
			ID: id, Region: "us-east-1", EnvironmentAccountID: "111111111111", ManagementAccountID: "222222222222",
			EnvironmentName: "env", Status: store.StatusPending, RequestedAt: at, LastModifiedAt: at.Add(time.Second),
		}
	}
	cs := []store.Connection{
		mk("a", base),
		mk("b", base),
		mk("12,3,", time.UnixMilli(-86_400_001).UTC()),
		mk("z", time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC)),
	}
	cs[0].EnvironmentName = "1,2,3,"
	cs[0].RoleArn = "arn:aws:iam::111111111111:role/a,b\x00c"
	cs[0].CodebuildRoleArn = ","
	cs[1].EnvironmentName = "ünïcødé-環境-🚀"
	cs[1].ComponentRoleArn = strings.Repeat("r", 1500) + "9,"
	cs[2].Status = store.StatusConnected
	cs[3].Status = store.StatusRejected
	cs[3].Region = "us-east-1"
	return cs
}

func TestListConnectionsPackedValues(t *testing.T) {
	s := openFile(t, filepath.Join(t.TempDir(), "openproton.db"))
	defer s.Close()
	want := unusualConnections()
	for _, c := range want {
		_, _, err := s.CreateConnection(t.Context(), store.CreateConnectionParams{
			Connection: c, ARN: "arn:" + c.ID, Quota: 100, Now: c.RequestedAt,
		})
		if err != nil {
			t.Fatalf("create %q: %v", c.ID, err)
		}
	}
	// In list order: requested_at_ms, then id as bytes.
	ordered := []store.Connection{want[2], want[0], want[1], want[3]}
	for _, role := range []store.ConnectionRole{store.AsEnvironmentAccount, store.AsManagementAccount} {
		account := "111111111111"
		if role == store.AsManagementAccount {
			account = "222222222222"
		}
		got, err := s.ListConnections(t.Context(), store.ListConnectionsQuery{
			Region: "us-east-1", Account: account, Role: role, Limit: 10,
		})
		if err != nil {
			t.Fatalf("role %d: list: %v", role, err)
		}
		if !reflect.DeepEqual(got, ordered) {
			t.Fatalf("role %d: list\n got %q\nwant %q", role, got, ordered)
		}
		// The same rows as the column-by-column read of a Get.
		for _, c := range got {
			one, err := s.GetConnection(t.Context(), c.Region, c.ID)
			if err != nil || !reflect.DeepEqual(one, c) {
				t.Fatalf("role %d: get %q = %q, %v; list had %q", role, c.ID, one, err, c)
			}
		}
		// A page that ends inside the rows, and the next from its cursor.
		first, err := s.ListConnections(t.Context(), store.ListConnectionsQuery{
			Region: "us-east-1", Account: account, Role: role, Limit: 2,
		})
		if err != nil || !reflect.DeepEqual(first, ordered[:2]) {
			t.Fatalf("role %d: first page %q, %v", role, first, err)
		}
		next, err := s.ListConnections(t.Context(), store.ListConnectionsQuery{
			Region: "us-east-1", Account: account, Role: role, Limit: 2,
			After: &store.Cursor{RequestedAt: first[1].RequestedAt, ID: first[1].ID},
		})
		if err != nil || !reflect.DeepEqual(next, ordered[2:]) {
			t.Fatalf("role %d: second page %q, %v", role, next, err)
		}
	}
	empty, err := s.ListConnections(t.Context(), store.ListConnectionsQuery{
		Region: "us-east-1", Account: "333333333333", Role: store.AsManagementAccount, Limit: 10,
	})
	if err != nil || empty == nil || len(empty) != 0 {
		t.Fatalf("empty list = %#v, %v; want an empty, non-nil page", empty, err)
	}
}

// TestUnpackPageSorts feeds unpackPage rows out of list order, which
// group_concat does not promise to avoid, and wants them in order.
func TestUnpackPageSorts(t *testing.T) {
	s := openFile(t, filepath.Join(t.TempDir(), "openproton.db"))
	defer s.Close()
	for _, c := range unusualConnections() {
		if _, _, err := s.CreateConnection(t.Context(), store.CreateConnectionParams{
			Connection: c, ARN: "arn:" + c.ID, Quota: 100, Now: c.RequestedAt,
		}); err != nil {
			t.Fatal(err)
		}
	}
	var reversed string
	err := s.reader.QueryRowContext(t.Context(), packedPage(`SELECT `+packedConnectionColumn+
		` AS p FROM connections ORDER BY requested_at_ms DESC, id DESC`)).Scan(&reversed)
	if err != nil {
		t.Fatal(err)
	}
	got, err := unpackPage(nil, reversed)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.ListConnections(t.Context(), store.ListConnectionsQuery{
		Region: "us-east-1", Account: "222222222222", Role: store.AsManagementAccount, Limit: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || !reflect.DeepEqual(got, want) {
		t.Fatalf("unpackPage of reversed rows\n got %q\nwant %q", got, want)
	}
}

func TestUnpackConnectionMalformed(t *testing.T) {
	good := "1,2,1,1,1,1,1,1,1,1,7,rixyeabcPENDING"
	if _, rest, err := unpackConnection(good); err != nil || rest != "" {
		t.Fatalf("unpackConnection(%q) = rest %q, %v", good, rest, err)
	}
	for _, bad := range []string{
		"",
		"1,2,1,1,1,1,1,1,1,1,7,rixyeabcPENDIN", // a text cut short
		"1,2,1,1,1,1,1,1,1,1,7",                // no texts
		"1,2,1,1,1,1,1,1,1,1",                  // a length without its comma
		"1,2,1,1,1,1,1,1,1,-1,7,rixyeabcPENDING",
		"1,2,1,1,1,1,1,1,1,1x,7,rixyeabcPENDING",
		"1,,1,1,1,1,1,1,1,1,7,rixyeabcPENDING",
		"99999999999999999999,2,1,1,1,1,1,1,1,1,7,rixyeabcPENDING",
	} {
		if _, _, err := unpackConnection(bad); !errors.Is(err, errBadPacked) {
			t.Errorf("unpackConnection(%q): err %v, want errBadPacked", bad, err)
		}
	}
}

func TestCutNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int64
		rest string
		ok   bool
	}{
		{"0,", 0, "", true},
		{"42,x", 42, "x", true},
		{"-86400001,y,", -86400001, "y,", true},
		{"9223372036854775807,", 1<<63 - 1, "", true},
		{"-9223372036854775808,", -1 << 63, "", true},
		{"9223372036854775808,", 0, "", false},
		{"-9223372036854775809,", 0, "", false},
		{"", 0, "", false},
		{",", 0, "", false},
		{"-,", 0, "", false},
		{"12", 0, "", false},
		{"1 ,", 0, "", false},
		{"+1,", 0, "", false},
	} {
		n, rest, ok := cutNumber(tc.in)
		if n != tc.n || rest != tc.rest || ok != tc.ok {
			t.Errorf("cutNumber(%q) = %d, %q, %v; want %d, %q, %v", tc.in, n, rest, ok, tc.n, tc.rest, tc.ok)
		}
	}
}
