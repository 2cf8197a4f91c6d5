package sqlite

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// BenchmarkListConnections reads a page of 100 connections of one
// management account, the List scenario of the benchmark harness.
func BenchmarkListConnections(b *testing.B) {
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	i := 0
	_, err = s.BulkLoadConnections(b.Context(), func() (store.Connection, bool) {
		if i == 300 {
			return store.Connection{}, false
		}
		i++
		return store.Connection{
			ID: fmt.Sprintf("%032x", i), Region: "us-east-1",
			EnvironmentAccountID: fmt.Sprintf("%012d", 100000+i),
			ManagementAccountID:  fmt.Sprintf("%012d", i%3),
			EnvironmentName:      fmt.Sprintf("env-%d", i),
			RoleArn:              fmt.Sprintf("arn:aws:iam::%012d:role/proton", 100000+i),
			Status:               store.StatusConnected,
			RequestedAt:          base.Add(time.Duration(i) * time.Second),
			LastModifiedAt:       base.Add(time.Duration(i) * time.Second),
		}, true
	})
	if err != nil {
		b.Fatal(err)
	}
	q := store.ListConnectionsQuery{Region: "us-east-1", Account: "000000000001", Role: store.AsManagementAccount, Limit: 100}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		page, err := s.ListConnections(b.Context(), q)
		if err != nil || len(page) != 100 {
			b.Fatalf("%d rows, %v", len(page), err)
		}
	}
}

// BenchmarkCreateConnection creates connections with client tokens from 64
// goroutines, as the Create scenario of the benchmark harness does.
func BenchmarkCreateConnection(b *testing.B) {
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var seq atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			env := fmt.Sprintf("%012d", 100000+i%1000)
			id := fmt.Sprintf("%032x", i)
			_, _, err := s.CreateConnection(b.Context(), store.CreateConnectionParams{
				Connection: store.Connection{
					ID: id, Region: "us-east-1", EnvironmentAccountID: env,
					ManagementAccountID: fmt.Sprintf("%012d", i%16),
					EnvironmentName:     fmt.Sprintf("env-%d", i),
					RoleArn:             "arn:aws:iam::" + env + ":role/proton-environment",
					Status:              store.StatusPending, RequestedAt: now, LastModifiedAt: now,
				},
				ARN:   "arn:aws:proton:us-east-1:" + env + ":environment-account-connection/" + id,
				Token: &store.Idempotency{Key: store.IdempotencyKey{Account: env, Region: "us-east-1", Operation: "create", Token: id}, Fingerprint: "f", ExpiresAt: now.Add(time.Hour)},
				Quota: 1 << 30, Now: now,
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
