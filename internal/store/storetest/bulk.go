package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// BulkLoader is the bulk load of a store implementation, which the
// benchmark harness uses to fill a store (it is no part of store.Store).
type BulkLoader func(ctx context.Context, next func() (store.Connection, bool)) (int, error)

// RunBulkLoad checks a bulk loader on the empty store s: n connections go
// in, and each reads back as loaded, by id and in both parties' lists.
func RunBulkLoad(t *testing.T, s store.Store, load BulkLoader, n int) {
	t.Helper()
	ctx := context.Background()
	want := make([]store.Connection, n)
	for i := range want {
		want[i] = store.Connection{
			ID:                   uid(i),
			Region:               regionA,
			EnvironmentAccountID: fmt.Sprintf("1%011d", i%7),
			ManagementAccountID:  fmt.Sprintf("2%011d", i%3),
			EnvironmentName:      fmt.Sprintf("env-%d", i%5),
			RoleArn:              "arn:aws:iam::111111111111:role/r",
			Status:               []store.ConnectionStatus{store.StatusPending, store.StatusConnected, store.StatusRejected}[i%3],
			RequestedAt:          at(0).Add(time.Duration(i) * time.Millisecond),
			LastModifiedAt:       at(1).Add(time.Duration(i) * time.Millisecond),
		}
	}
	next := 0
	got, err := load(ctx, func() (store.Connection, bool) {
		if next == n {
			return store.Connection{}, false
		}
		next++
		return want[next-1], true
	})
	if err != nil || got != n {
		t.Fatalf("bulk load: %d rows, err %v; want %d, nil", got, err, n)
	}
	for _, i := range []int{0, n / 2, n - 1} {
		c, err := s.GetConnection(ctx, regionA, want[i].ID)
		if err != nil {
			t.Fatalf("GetConnection(%s) after the bulk load: %v", want[i].ID, err)
		}
		if c != want[i] {
			t.Fatalf("GetConnection(%s) after the bulk load = %+v, want %+v", want[i].ID, c, want[i])
		}
	}
	for _, role := range []store.ConnectionRole{store.AsEnvironmentAccount, store.AsManagementAccount} {
		total := 0
		for acct := range 7 {
			account := fmt.Sprintf("1%011d", acct)
			if role == store.AsManagementAccount {
				account = fmt.Sprintf("2%011d", acct)
			}
			page, err := s.ListConnections(ctx, store.ListConnectionsQuery{Region: regionA, Account: account, Role: role, Limit: n + 1})
			if err != nil {
				t.Fatalf("ListConnections after the bulk load: %v", err)
			}
			for j := 1; j < len(page); j++ {
				if !page[j-1].RequestedAt.Before(page[j].RequestedAt) {
					t.Fatalf("ListConnections after the bulk load is out of order at %d", j)
				}
			}
			total += len(page)
		}
		if total != n {
			t.Fatalf("the lists of role %d hold %d connections after the bulk load, want %d", role, total, n)
		}
	}
}
