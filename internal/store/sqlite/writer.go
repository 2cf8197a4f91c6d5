package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// maxBatch bounds how many writes share one transaction. It bounds the work
// a batch holds behind its commit (and the WAL frames it appends) while
// still covering every request a busy server has waiting at once.
const maxBatch = 128

// savepoint names the savepoint that fences each write of a batch.
const savepoint = "openproton_write"

// errClosed answers writes made after Close began.
var errClosed = errors.New("store is closed")

// writeRequest is one inTx call: its function and, once the writer is done
// with it, its result.
type writeRequest struct {
	ctx      context.Context
	what     string
	fn       func(*sql.Tx) error
	err      error         // the result, set by the writer before done closes
	panicked any           // a panic of fn, re-raised in the caller
	done     chan struct{} // closed when err is final
}

// writer is the group commit of the store: callers queue write functions, and
// one goroutine runs everything waiting at that moment in one transaction,
// each function fenced by a savepoint, and commits once. A durable commit
// costs an fsync (about 0.2 ms on an SSD), almost all of a small write's
// time, so one fsync for many writes multiplies the write throughput of a
// busy server without weakening durability: no caller is answered before
// the COMMIT that holds its write has returned.
type writer struct {
	db        *sql.DB    // the single writer connection
	stmts     *stmtCache // statements prepared on it
	committed func()     // called after each commit; nil for none

	mu      sync.Mutex
	pending []*writeRequest // queued, not yet taken by the writer goroutine
	closed  bool

	wake chan struct{} // 1-buffered: there is something pending
	quit chan struct{} // closed by stop
	done chan struct{} // closed when the goroutine has returned
	once sync.Once
}

func newWriter(db *sql.DB, committed func()) *writer {
	w := &writer{db: db, stmts: &stmtCache{db: db, deferred: true}, committed: committed, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// stop fails the writes still queued, lets the batch in progress finish and
// waits for the goroutine. Calls after the first only wait.
func (w *writer) stop() {
	w.once.Do(func() {
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		close(w.quit)
	})
	<-w.done
	w.stmts.close()
}

// inTx runs fn in a write transaction and returns fn's error unchanged, so
// that contract errors stay comparable; fn wraps driver errors itself.
//
// fn runs in a transaction shared with the other writes queued at the same
// moment, inside its own savepoint: an error (or panic) of fn rolls back
// fn's changes only, and the caller gets fn's own error. The writes of a
// batch run one after another in the order they were queued, and each sees
// the writes of the batch before it, exactly as if each had its own
// transaction in that order. So every check-then-write (the idempotency
// token, the quota count, the tag limit) sees the same state it would see
// under serial transactions, and keeps its meaning.
//
// fn must return the first error of a statement it ran (as every write of
// this package does) and must not end the transaction itself. A write whose
// ctx ends while it is queued is not run and returns ctx's error. Nobody is
// answered before the commit; a failed commit fails every write of the batch.
func (s *Store) inTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	w := s.writes
	r := &writeRequest{ctx: ctx, what: what, fn: fn, done: make(chan struct{})}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return fmt.Errorf("sqlite: %s: %w", what, errClosed)
	}
	w.pending = append(w.pending, r)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default: // already signalled
	}

	select {
	case <-r.done:
	case <-ctx.Done():
		if w.withdraw(r) {
			return fmt.Errorf("sqlite: %s: %w", what, ctx.Err())
		}
		// The writer has taken it: fn may be running and writes into the
		// caller's variables, so the caller waits for the outcome.
		<-r.done
	}
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

// withdraw removes r from the queue if the writer has not taken it yet.
func (w *writer) withdraw(r *writeRequest) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	i := slices.Index(w.pending, r)
	if i < 0 {
		return false
	}
	w.pending = slices.Delete(w.pending, i, i+1)
	return true
}

// take removes up to maxBatch of the oldest queued writes from the queue.
func (w *writer) take(batch []*writeRequest) []*writeRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := min(len(w.pending), maxBatch)
	batch = append(batch, w.pending[:n]...)
	w.pending = slices.Delete(w.pending, 0, n)
	return batch
}

func (w *writer) loop() {
	defer close(w.done)
	batch := make([]*writeRequest, 0, maxBatch)
	for {
		select {
		case <-w.wake:
		case <-w.quit:
			w.failQueued()
			return
		}
		// Everything queued now goes, maxBatch at a time; requests queued
		// while a batch commits signal wake again and form the next batch.
		for {
			batch = w.take(batch[:0])
			if len(batch) == 0 {
				break
			}
			w.run(batch)
			for _, r := range batch {
				close(r.done)
			}
			clear(batch)
			// The connection is free between batches: prepare what the
			// batch ran unprepared.
			w.stmts.prepareNoted(context.Background())
		}
	}
}

// failQueued answers the writes still queued when the store closes.
func (w *writer) failQueued() {
	w.mu.Lock()
	rest := w.pending
	w.pending = nil
	w.mu.Unlock()
	for _, r := range rest {
		r.err = fmt.Errorf("sqlite: %s: %w", r.what, errClosed)
		close(r.done)
	}
}

// run runs one batch in one transaction and sets the result of each write.
func (w *writer) run(batch []*writeRequest) {
	// The transaction belongs to no single caller, so no caller's context
	// may end it; each fn still runs its statements under its own context.
	ctx := context.Background()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		for _, r := range batch {
			r.err = fmt.Errorf("sqlite: %s: begin: %w", r.what, err)
		}
		return
	}
	var ran []*writeRequest
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = fmt.Errorf("sqlite: %s: %w", r.what, err)
			continue
		}
		ran = append(ran, r)
		if err := w.runOne(ctx, tx, r); err != nil {
			// The batch transaction is gone or unusable: SQLite rolls back
			// the whole transaction when a write statement is interrupted
			// (a caller's context ending mid-statement) or hits an I/O
			// error, which the failed savepoint statement reveals before any
			// later write could run outside a transaction. Nothing of the
			// batch is committed, so every write in it fails.
			_ = tx.Rollback()
			// Writes skipped for their context keep that error; all others,
			// run or not reached, fail.
			failed := fmt.Errorf("batch transaction lost: %w", err)
			for _, r := range batch {
				if r.err == nil || slices.Contains(ran, r) {
					r.err = fmt.Errorf("sqlite: %s: %w", r.what, failed)
				}
			}
			return
		}
	}
	err = tx.Commit()
	if w.committed != nil {
		w.committed()
	}
	if err != nil {
		// The driver rolls back a transaction that a failed COMMIT left
		// open, so the next batch begins on a clean connection.
		for _, r := range ran {
			r.err = fmt.Errorf("sqlite: %s: commit: %w", r.what, err)
		}
	}
}

// runOne runs one write inside its savepoint. Its own failure is recorded in
// r; the error returned is a failure of the savepoint statements, which
// means the batch transaction cannot go on.
func (w *writer) runOne(ctx context.Context, tx *sql.Tx, r *writeRequest) error {
	if err := w.exec(ctx, tx, `SAVEPOINT `+savepoint); err != nil {
		return err
	}
	r.err, r.panicked = call(r.fn, tx)
	if r.err != nil || r.panicked != nil {
		if err := w.exec(ctx, tx, `ROLLBACK TO `+savepoint); err != nil {
			return err
		}
	}
	return w.exec(ctx, tx, `RELEASE `+savepoint)
}

// exec runs a statement of the batch itself, prepared.
func (w *writer) exec(ctx context.Context, tx *sql.Tx, query string) error {
	var err error
	if st := w.stmts.stmt(ctx, query); st != nil {
		_, err = tx.StmtContext(ctx, st).ExecContext(ctx)
	} else {
		_, err = tx.ExecContext(ctx, query)
	}
	return err
}

// call runs fn, turning a panic into a value the caller re-raises, so that
// a bug in one write neither kills the writer nor leaves the batch open.
func call(fn func(*sql.Tx) error, tx *sql.Tx) (err error, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return fn(tx), nil
}
