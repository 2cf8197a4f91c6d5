// Package sqlite is the embedded store: the default for a single openproton
// process, with its state in one file, and the throw-away state of
// `--store memory`.
//
// # Driver
//
// The driver is modernc.org/sqlite, SQLite translated to Go. It needs no C
// toolchain, so `go install` works anywhere and release binaries are static
// and cross-compiled. It reads more slowly than the cgo driver
// (mattn/go-sqlite3): in measurements made for this project, about 32–37k
// point reads/s on one connection against 45–62k. Writes are what limit the
// server, and there both reach the same ~3,200 single-row durable inserts/s,
// since a durable commit waits for fsync, not for the CPU. Reads also run in
// parallel on a pool (below), so the slower reads are not the bottleneck.
//
// # Durability
//
// The file runs in WAL mode with synchronous=FULL: every commit is fsynced
// before the server answers, so nothing acknowledged is lost to a crash or a
// power cut (NORMAL would keep the database consistent but could lose the
// last commits, which clients were already told had succeeded).
//
// # Concurrency
//
// All writes go through one connection and one goroutine (group commit, see
// writer.go): the writes waiting at a moment run one after another in one
// transaction begun with BEGIN IMMEDIATE, each inside its own savepoint, and
// are committed with one fsync before any of them is answered. Reads use a
// separate pool of read-only connections, which WAL lets run beside the
// writer. SQLite allows one writer at a time in any case, so one writer
// connection costs no throughput, never fails with SQLITE_BUSY inside the
// process, and makes each check-then-write (the quota, the idempotency
// token, the tag limit) race-free by construction: the writes of a batch
// see each other in order, as serial transactions would. State changes are
// still conditional updates checked by the rows they affected, as the store
// contract asks of every implementation.
//
// # Schema
//
// Numbered migrations, embedded from migrations/*.sql, are applied at open,
// each in its own transaction with its row in schema_migrations. Times are
// stored as Unix milliseconds and returned in UTC.
package sqlite
