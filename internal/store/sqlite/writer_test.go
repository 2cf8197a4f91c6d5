package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/storetest"
)

// holdWriter starts a write that blocks until the returned release is
// called, and waits until the writer goroutine runs it, so that writes
// queued meanwhile form the next batch together. The blocked write's error
// arrives on the returned channel.
func holdWriter(t *testing.T, s *Store) (release func(), result <-chan error) {
	t.Helper()
	running := make(chan struct{})
	gate := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- s.inTx(context.Background(), "hold", func(*sql.Tx) error {
			close(running)
			<-gate
			return nil
		})
	}()
	select {
	case <-running:
	case <-time.After(30 * time.Second):
		t.Fatal("the writer never ran the holding write")
	}
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release)
	return release, errc
}

// waitQueued waits until n writes are queued behind the held writer.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s.writes.mu.Lock()
		got := len(s.writes.pending)
		s.writes.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func openTemp(t *testing.T) *Store {
	t.Helper()
	s := openFile(t, filepath.Join(t.TempDir(), "openproton.db"))
	t.Cleanup(func() { s.Close() })
	return s
}

// insertTag is a write of one row, the smallest a batch can hold.
func insertTag(ctx context.Context, tx *sql.Tx, arn string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO tags (resource_arn, key, value) VALUES (?, 'k', 'v')`, arn)
	return err
}

func tagExists(t *testing.T, s *Store, arn string) bool {
	t.Helper()
	var n int
	if err := s.reader.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM tags WHERE resource_arn = ?`, arn).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestConcurrentWritesShareOneCommit(t *testing.T) {
	s := openTemp(t)
	release, held := holdWriter(t, s)
	const n = 20
	txs := make([]*sql.Tx, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.inTx(context.Background(), "write", func(tx *sql.Tx) error {
				txs[i] = tx
				return insertTag(context.Background(), tx, fmt.Sprintf("arn:%d", i))
			})
		}()
	}
	waitQueued(t, s, n)
	release()
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatalf("held write: %v", err)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("write %d: %v", i, errs[i])
		}
		if txs[i] != txs[0] {
			t.Fatalf("writes 0 and %d ran in different transactions; all %d were queued together", i, n)
		}
		if !tagExists(t, s, fmt.Sprintf("arn:%d", i)) {
			t.Fatalf("write %d was answered but its row is missing", i)
		}
	}
}

func TestFailedWriteInBatchRollsBackOnlyItself(t *testing.T) {
	s := openTemp(t)
	release, held := holdWriter(t, s)
	errOwn := errors.New("the write's own failure")
	var panicked any
	fns := []func(tx *sql.Tx) error{
		func(tx *sql.Tx) error { return insertTag(context.Background(), tx, "arn:a") },
		func(tx *sql.Tx) error {
			if err := insertTag(context.Background(), tx, "arn:b"); err != nil {
				return err
			}
			return errOwn
		},
		func(tx *sql.Tx) error {
			if err := insertTag(context.Background(), tx, "arn:p"); err != nil {
				return err
			}
			panic("a bug in a write")
		},
		// Sees the writes of the batch before it that stand, as a serial
		// transaction would.
		func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM tags`).Scan(&n); err != nil {
				return err
			}
			if n != 1 {
				return fmt.Errorf("the fourth write sees %d rows, want 1 (arn:a)", n)
			}
			return insertTag(context.Background(), tx, "arn:c")
		},
	}
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					panicked = p
				}
			}()
			errs[i] = s.inTx(context.Background(), "write", fn)
		}()
		waitQueued(t, s, i+1) // queue in this order
	}
	release()
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatalf("held write: %v", err)
	}
	if errs[0] != nil || errs[3] != nil {
		t.Fatalf("writes around the failures: %v, %v; want nil, nil", errs[0], errs[3])
	}
	if !errors.Is(errs[1], errOwn) {
		t.Fatalf("failing write: err = %v, want its own error", errs[1])
	}
	if panicked != "a bug in a write" {
		t.Fatalf("panicking write: the caller got panic %v, want the write's panic", panicked)
	}
	for arn, want := range map[string]bool{"arn:a": true, "arn:b": false, "arn:p": false, "arn:c": true} {
		if got := tagExists(t, s, arn); got != want {
			t.Errorf("row %s exists = %v, want %v", arn, got, want)
		}
	}
}

func TestWriteCancelledWhileQueuedDoesNotRun(t *testing.T) {
	s := openTemp(t)
	release, held := holdWriter(t, s)

	// Cancelled while still in the queue: the caller gets its context's
	// error at once, without waiting for the writer.
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- s.inTx(ctx, "queued", func(tx *sql.Tx) error { return insertTag(ctx, tx, "arn:queued") })
	}()
	waitQueued(t, s, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled queued write: err = %v, want context.Canceled", err)
	}
	waitQueued(t, s, 0)

	// Cancelled after the writer took its batch but before it ran: the
	// write before it in the batch cancels it.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	first := make(chan error, 1)
	second := make(chan error, 1)
	go func() {
		first <- s.inTx(context.Background(), "first", func(tx *sql.Tx) error {
			cancel2()
			return insertTag(context.Background(), tx, "arn:first")
		})
	}()
	waitQueued(t, s, 1)
	ranSecond := false
	go func() {
		second <- s.inTx(ctx2, "second", func(tx *sql.Tx) error {
			ranSecond = true
			return insertTag(context.Background(), tx, "arn:second")
		})
	}()
	waitQueued(t, s, 2)
	release()
	if err := <-held; err != nil {
		t.Fatalf("held write: %v", err)
	}
	if err := <-first; err != nil {
		t.Fatalf("first write: %v", err)
	}
	if err := <-second; !errors.Is(err, context.Canceled) || ranSecond {
		t.Fatalf("write cancelled in its batch: err = %v, ran %v; want context.Canceled, not run", err, ranSecond)
	}
	for arn, want := range map[string]bool{"arn:queued": false, "arn:first": true, "arn:second": false} {
		if got := tagExists(t, s, arn); got != want {
			t.Errorf("row %s exists = %v, want %v", arn, got, want)
		}
	}
}

func TestFailedCommitFailsEveryWriteOfTheBatch(t *testing.T) {
	s := openTemp(t)
	// A deferred foreign key is checked only at COMMIT, so the second
	// write below succeeds in its savepoint and makes the COMMIT fail.
	for _, q := range []string{
		`CREATE TABLE parent (id TEXT PRIMARY KEY)`,
		`CREATE TABLE child (parent_id TEXT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`,
	} {
		if _, err := s.writer.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	release, held := holdWriter(t, s)
	good := make(chan error, 1)
	bad := make(chan error, 1)
	go func() {
		good <- s.inTx(context.Background(), "good", func(tx *sql.Tx) error { return insertTag(context.Background(), tx, "arn:good") })
	}()
	waitQueued(t, s, 1)
	go func() {
		bad <- s.inTx(context.Background(), "bad", func(tx *sql.Tx) error {
			_, err := tx.ExecContext(context.Background(), `INSERT INTO child VALUES ('no such parent')`)
			return err
		})
	}()
	waitQueued(t, s, 2)
	release()
	if err := <-held; err != nil {
		t.Fatalf("held write: %v", err)
	}
	for name, errc := range map[string]chan error{"good": good, "bad": bad} {
		if err := <-errc; err == nil {
			t.Errorf("%s write: answered success, but its batch did not commit", name)
		}
	}
	if tagExists(t, s, "arn:good") {
		t.Fatal("a write of the failed batch is in the database")
	}
	// The writer goes on with the next batch.
	if err := s.inTx(t.Context(), "after", func(tx *sql.Tx) error { return insertTag(t.Context(), tx, "arn:after") }); err != nil {
		t.Fatalf("write after a failed commit: %v", err)
	}
	if !tagExists(t, s, "arn:after") {
		t.Fatal("the write after a failed commit is missing")
	}
}

func TestWritesAfterCloseFail(t *testing.T) {
	s := openFile(t, filepath.Join(t.TempDir(), "openproton.db"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	err := s.inTx(t.Context(), "late", func(*sql.Tx) error {
		t.Error("a write ran after Close")
		return nil
	})
	if !errors.Is(err, errClosed) {
		t.Fatalf("write after Close: err = %v, want errClosed", err)
	}
}

func TestBulkLoadConnections(t *testing.T) {
	// It owns its store: it runs beside the conformance suite.
	t.Parallel()
	s := openTemp(t)
	// More than one transaction's worth of rows, in transactions small
	// enough for the race detector (a full batch takes it over a minute).
	const batch = 1000
	storetest.RunBulkLoad(t, s, func(ctx context.Context, next func() (store.Connection, bool)) (int, error) {
		return s.bulkLoadConnections(ctx, next, batch)
	}, 2*batch+500)
}

func TestCommittedPagesReachTheFileInTheBackground(t *testing.T) {
	s := openTemp(t)
	size := func() int64 {
		st, err := os.Stat(s.path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	before := size()
	// About 2 MiB in the WAL: far below the writer's own checkpoint
	// threshold, so only the background checkpointer copies it.
	for i := range 20 {
		err := s.inTx(t.Context(), "fill", func(tx *sql.Tx) error {
			for j := range 25 {
				if _, err := tx.ExecContext(t.Context(), `INSERT INTO tags (resource_arn, key, value) VALUES (?, 'k', ?)`,
					fmt.Sprintf("arn:%d:%d", i, j), strings.Repeat("v", 4000)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for size() < before+1<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file stayed at %d bytes (from %d): nothing was checkpointed", size(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
