package worker

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoopRunsUntilNoWorkThenWaitsForWake(t *testing.T) {
	var calls atomic.Int32
	pending := atomic.Int32{}
	pending.Store(3)
	l := New("test", time.Hour, nil, func(context.Context) (bool, error) {
		calls.Add(1)
		if pending.Load() > 0 {
			pending.Add(-1)
			return true, nil
		}
		return false, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx, 1); close(done) }()
	waitFor(t, func() bool { return calls.Load() == 4 })
	pending.Store(1)
	l.Wake()
	waitFor(t, func() bool { return calls.Load() == 6 })
	cancel()
	<-done
}

func TestLoopRetriesFailedSteps(t *testing.T) {
	var calls atomic.Int32
	l := New("test", 20*time.Millisecond, nil, func(context.Context) (bool, error) {
		if calls.Add(1) < 3 {
			return false, errors.New("store unavailable")
		}
		return false, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx, 2)
	waitFor(t, func() bool { return calls.Load() >= 3 })
}

func TestNewOwnerIDIsUnique(t *testing.T) {
	if a, b := NewOwnerID(), NewOwnerID(); a == b || len(a) != 24 {
		t.Fatalf("owner ids %q and %q", a, b)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
