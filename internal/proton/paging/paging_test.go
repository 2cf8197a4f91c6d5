package paging

import (
	"testing"
	"time"

	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/pagetoken"
)

func TestSize(t *testing.T) {
	for _, c := range [][3]int{{0, 100, 100}, {-1, 100, 100}, {7, 100, 7}, {100, 100, 100}, {101, 100, 100}} {
		if got := Size(c[0], c[1]); got != c[2] {
			t.Errorf("Size(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
}

func TestCutAndPositions(t *testing.T) {
	pages, err := pagetoken.New(pagetoken.NewRandomKey())
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		at time.Time
		id string
	}
	at := time.Date(2024, 5, 1, 12, 0, 0, 123e6, time.UTC)
	rows := []row{{at, "a"}, {at, "b"}, {at.Add(time.Second), "c"}}
	pos := func(r row) []byte { return TimeID(r.at, r.id) }
	b := Binding("List", "111111111111", "us-east-1")

	if page, next := Cut(pages, b, rows, 3, pos); len(page) != 3 || next != "" {
		t.Fatalf("last page: %d rows, next %q", len(page), next)
	}
	page, next := Cut(pages, b, rows, 2, pos)
	if len(page) != 2 || next == "" {
		t.Fatalf("first page: %d rows, next %q", len(page), next)
	}
	gotAt, gotID, err := DecodeTimeID(pages, b, next)
	if err != nil || !gotAt.Equal(at) || gotID != "b" {
		t.Fatalf("DecodeTimeID = %v %q %v, want the page's last row", gotAt, gotID, err)
	}
	// Another query, another page's position shape, an altered token.
	if _, _, err := DecodeTimeID(pages, Binding("List", "222222222222", "us-east-1"), next); !fault.Is(err, fault.Validation) {
		t.Errorf("token of another query: %v", err)
	}
	if _, _, err := DecodeTimeID(pages, b, pages.Encode(b, []byte("short"))); !fault.Is(err, fault.Validation) {
		t.Errorf("short position: %v", err)
	}
	if _, err := DecodeName(pages, b, pages.Encode(b, nil)); !fault.Is(err, fault.Validation) {
		t.Errorf("empty name: %v", err)
	}
	if name, err := DecodeName(pages, b, pages.Encode(b, Name("web"))); err != nil || name != "web" {
		t.Errorf("DecodeName = %q %v", name, err)
	}
	if _, err := Decode(pages, b, next+"A"); !fault.Is(err, fault.Validation) {
		t.Errorf("altered token: %v", err)
	}
}
