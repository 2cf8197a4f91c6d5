package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"
)

// Step does one batch of work. It reports whether it found any, so that the
// loop calls it again at once instead of waiting.
type Step func(ctx context.Context) (found bool, err error)

// Loop schedules one kind of background work.
type Loop struct {
	name string
	step Step
	poll time.Duration
	log  *slog.Logger
	wake chan struct{}
}

// maxBackoff bounds the wait after consecutive failures of a step.
const maxBackoff = 30 * time.Second

// New returns a loop that runs step, polling every poll when idle.
func New(name string, poll time.Duration, log *slog.Logger, step Step) *Loop {
	if poll <= 0 {
		poll = time.Second
	}
	return &Loop{name: name, step: step, poll: poll, log: log, wake: make(chan struct{}, 1)}
}

// Wake makes an idle loop run its step now. It never blocks.
func (l *Loop) Wake() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Run runs the loop with n concurrent runners until ctx is done, and returns
// once every runner has stopped.
func (l *Loop) Run(ctx context.Context, n int) {
	var wg sync.WaitGroup
	for range max(n, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.run(ctx)
		}()
	}
	wg.Wait()
}

func (l *Loop) run(ctx context.Context) {
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		found, err := l.step(ctx)
		if err != nil && ctx.Err() == nil {
			backoff = min(max(2*backoff, l.poll/4, 10*time.Millisecond), maxBackoff)
			if l.log != nil {
				l.log.Warn("background step failed", "worker", l.name, "error", err, "retry_in", backoff.String())
			}
			if !sleep(ctx, backoff, nil) {
				return
			}
			continue
		}
		backoff = 0
		if found {
			continue
		}
		if !sleep(ctx, l.poll, l.wake) {
			return
		}
	}
}

// sleep waits for d, a wake-up or the end of ctx; it reports false for the end.
func sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-wake:
	}
	return true
}

// NewOwnerID returns a random identity for the leases one process takes, so
// that a replica never mistakes another's lease for its own.
func NewOwnerID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
