package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/sqlstore"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store is the SQLite implementation of store.Store.
type Store struct {
	// Store is the SQL of every contract; this package adds the engine
	// (engine.go) and its packed reads of connections (packed.go).
	*sqlstore.Store
	// writer has exactly one connection and runs every write transaction.
	writer *sql.DB
	// reader is the pool for single-statement reads; for the memory store it
	// is writer itself.
	reader *sql.DB
	// path is the database file, "" for the memory store.
	path string
	// writes runs every write transaction on writer (group commit).
	writes *writer
	// reads holds the prepared statements of reader.
	reads *stmtCache
	// checkpoints copies the WAL into the file; nil for the memory store.
	checkpoints *checkpointer
}

var _ store.Store = (*Store)(nil)

// readerMmapBytes is how much of the database file the readers map into
// memory (SQLite's mmap_size): they then read pages from the mapping instead
// of with a pread call each. With a million connections stored, that took a
// fifth to a quarter off the CPU time of a page of 100 (docs/benchmarks.md),
// whose rows sit on as many pages. The mapping costs address space only;
// pages count as resident memory while they are in the OS page cache, and
// the kernel reclaims them like any cached file page. Writes go through the
// WAL as before.
const readerMmapBytes = "1073741824"

// busyTimeoutMS bounds how long a connection waits for a lock held by
// another process (a backup, the sqlite3 shell) before failing. Within one
// process the single writer never waits on SQLite's lock at all.
const busyTimeoutMS = "10000"

// Open opens, or creates, the database file at path and brings its schema
// up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	uri, err := fileURI(path)
	if err != nil {
		return nil, err
	}
	ms, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}

	// synchronous=FULL: in WAL mode NORMAL skips the fsync at commit, so a
	// power cut or kernel crash can undo transactions the server already
	// answered 200 for; a client would then find its connection gone, or
	// its token forgotten and its retry creating a duplicate. FULL costs one
	// fsync per commit, which the single writer pays anyway in order.
	// BEGIN IMMEDIATE (_txlock) takes the write lock at the start, where
	// busy_timeout applies, rather than on the first write, where a
	// conflicting process would make SQLite fail at once.
	w := url.Values{}
	w.Set("_busy_timeout", busyTimeoutMS)
	w.Set("_journal_mode", "WAL")
	w.Set("_synchronous", "FULL")
	w.Set("_foreign_keys", "1")
	w.Set("_txlock", "immediate")
	// Checkpoints run in the background (checkpoint.go), not in the writer.
	w.Set("_pragma", "wal_autocheckpoint("+writerCheckpointPages+")")
	writer, err := sql.Open("sqlite", uri+"?"+w.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One connection: SQLite admits one writer at a time anyway, and queueing
	// for it in database/sql hands it over at once, in order, where several
	// connections would poll the file lock with busy-wait sleeps and could
	// still fail with SQLITE_BUSY. The connection is never recycled.
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	s := &Store{writer: writer, reader: writer, path: path}
	if err := s.checkWAL(ctx); err != nil {
		_ = writer.Close()
		return nil, err
	}
	if _, err := migrate(ctx, writer, ms); err != nil {
		_ = writer.Close()
		return nil, err
	}

	// Readers see the last committed state without blocking the writer or
	// each other (WAL). query_only turns an accidental write through the
	// pool into an error instead of a second writer.
	r := url.Values{}
	r.Set("_busy_timeout", busyTimeoutMS)
	r.Set("_foreign_keys", "1")
	r.Set("_query_only", "1")
	r.Set("_pragma", "mmap_size("+readerMmapBytes+")")
	reader, err := sql.Open("sqlite", uri+"?"+r.Encode())
	if err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Reads are CPU-bound in this driver: a few more connections than cores
	// cover reads that wait on the disk.
	// Idle connections are kept, not closed: opening one reads the schema,
	// and each holds its prepared statements.
	readers := max(4, 2*runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers)
	s.reader = reader
	s.reads = &stmtCache{db: reader}
	s.checkpoints = newCheckpointer(reader)
	s.writes = newWriter(writer, s.checkpoints.committed)
	s.Store = sqlstore.New(engine{s})
	if err := reader.PingContext(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// OpenMemory opens a throw-away database that lives in memory until Close.
//
// It has a single connection for reads and writes. A private in-memory
// database belongs to one connection, and the ways to share one between
// connections are worse: shared-cache mode locks whole tables and fails with
// SQLITE_LOCKED, which busy_timeout does not retry; the memdb VFS cannot use
// WAL, so readers and writers block each other anyway. Without disk I/O a
// statement takes microseconds, so serialising reads costs little, and the
// one connection is never recycled, since closing it would drop the data.
func OpenMemory(ctx context.Context) (*Store, error) {
	return openMemory(ctx, nil)
}

// openMemory is OpenMemory starting from image, a serialized database
// (nil for an empty one), which the migrations then bring up to date.
func openMemory(ctx context.Context, image []byte) (*Store, error) {
	ms, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("_foreign_keys", "1")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", ":memory:?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open memory: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if image != nil {
		if err := withConn(ctx, db, func(c serializer) error { return c.Deserialize(image) }); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("sqlite: open memory from an image: %w", err)
		}
	}
	if _, err := migrate(ctx, db, ms); err != nil {
		_ = db.Close()
		return nil, err
	}
	s := &Store{writer: db, reader: db, writes: newWriter(db, nil), reads: &stmtCache{db: db}}
	s.Store = sqlstore.New(engine{s})
	return s, nil
}

// checkWAL refuses a file that cannot use WAL (some network file systems):
// the concurrency of readers and the durability reasoning above rely on it.
func (s *Store) checkWAL(ctx context.Context) error {
	var mode string
	if err := s.writer.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlite: open %s: journal mode is %q, not WAL; is the file on a network file system?", s.path, mode)
	}
	return nil
}

// fileURI turns a file path into an SQLite URI, escaping the characters
// that would otherwise start the query (?) or a fragment (#).
func fileURI(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("sqlite: database path %s: %w", path, err)
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter
	}
	return "file:" + (&url.URL{Path: p}).EscapedPath(), nil
}

// Ping checks that the database answers, on both pools.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if s.reader != s.writer {
		if err := s.reader.PingContext(ctx); err != nil {
			return fmt.Errorf("sqlite: ping: %w", err)
		}
	}
	return nil
}

// Close closes the database; a memory store loses its content. Writes
// still queued fail; the batch being written finishes first.
func (s *Store) Close() error {
	s.writes.stop()
	if s.checkpoints != nil {
		s.checkpoints.stop()
	}
	if s.reads != nil {
		s.reads.close()
	}
	var errs []error
	if s.reader != s.writer {
		errs = append(errs, s.reader.Close())
	}
	errs = append(errs, s.writer.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// serializer is what the driver's connection offers to copy a whole
// database out of and into memory.
type serializer interface {
	Serialize() ([]byte, error)
	Deserialize([]byte) error
}

// withConn runs fn on the driver connection of db's one connection.
func withConn(ctx context.Context, db *sql.DB, fn func(serializer) error) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		sc, ok := dc.(serializer)
		if !ok {
			return fmt.Errorf("the driver's connection (%T) cannot serialize", dc)
		}
		return fn(sc)
	})
}
