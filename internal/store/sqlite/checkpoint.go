package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// checkpointPause is the least time between two background checkpoints, so
// that a busy writer's commits are copied in a few large passes: a page
// written by many commits in between is copied once.
const checkpointPause = 50 * time.Millisecond

// writerCheckpointPages is the WAL size, in pages, at which the writer
// checkpoints by itself, as SQLite does by default at 1,000 pages. The
// background checkpointer keeps the WAL far below it; it only matters if
// checkpoints fail for a long time.
const writerCheckpointPages = "20000"

// checkpointer copies committed pages from the WAL into the database file
// in the background, on a read connection. With SQLite's default, the
// connection that commits does it when the WAL passes 1,000 pages: here
// that is the one writer, and a checkpoint (thousands of page writes and an
// fsync of the database file) stopped every write for its duration, about
// a tenth of the writer's time under a stream of creates
// (docs/benchmarks.md). A PASSIVE checkpoint waits for no lock, so it runs
// beside the writer and the readers.
type checkpointer struct {
	db   *sql.DB
	kick chan struct{} // 1-buffered: something was committed
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

func newCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

// committed tells the checkpointer that the WAL grew.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	for {
		select {
		case <-c.kick:
		case <-c.quit:
			return
		}
		// A failure leaves the pages in the WAL for the next pass, or for
		// the writer's own checkpoint at writerCheckpointPages.
		_, _ = c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		select {
		case <-time.After(checkpointPause):
		case <-c.quit:
			return
		}
	}
}

// stop ends the loop; closing the last connection checkpoints what is left.
func (c *checkpointer) stop() {
	c.once.Do(func() { close(c.quit) })
	<-c.done
}
