package sqlstore

import (
	"context"
	"database/sql"
	"errors"
)

// Row is the result of a single-row query. Scan returns an error that
// matches sql.ErrNoRows when there is no row.
type Row interface {
	Scan(dest ...any) error
}

// Rows is the result of a query, read with Next and Scan and closed with
// Close.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Q runs statements, written with ? placeholders: the read pool, or one
// write transaction.
type Q interface {
	// Exec runs a statement and returns how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Engine is what a database gives the store: reads, write transactions and
// its dialect.
type Engine interface {
	Dialect
	// Reads runs single statements outside a write transaction; each sees
	// what committed before it started.
	Reads() Q
	// InTx runs fn in one write transaction and commits it when fn returns
	// nil; fn's error comes back unchanged, so that contract errors stay
	// comparable. what names the write in error messages.
	InTx(ctx context.Context, what string, fn func(tx Q) error) error
	// Each runs fn's write statements each in a transaction of its own
	// where the database allows several writers (no BEGIN and COMMIT round
	// trips), and in one transaction where it has a single writer. fn must
	// be correct either way: each statement a conditional write whose
	// condition it rechecks.
	Each(ctx context.Context, what string, fn func(q Q) error) error
}

// Dialect is what differs in the SQL of two databases.
type Dialect interface {
	// Name is the database's name, the prefix of error messages.
	Name() string
	// Lock is a row-locking clause that ends a SELECT in a write
	// transaction: the row is read and held against concurrent writers
	// until the transaction ends. It is empty where a single writer makes
	// it needless.
	Lock(LockMode) string
	// LockScopes takes a transaction-scoped lock for each scope of class, so
	// that writes which read-then-write the same scope (a quota count, a
	// name) run one after the other. It does nothing under a single writer.
	LockScopes(ctx context.Context, tx Q, class LockClass, scopes ...[]string) error
}

// LockMode is a row lock of Dialect.Lock.
type LockMode int

// The row locks.
const (
	// ForShare holds the row against updates and deletes: a link to the row
	// (an environment to a connection or a template version) cannot lose
	// its target while it is being written.
	ForShare LockMode = iota
	// ForUpdate holds the row against every other writer.
	ForUpdate
	// SkipLocked is ForUpdate that passes over rows another transaction
	// holds: a worker leasing a job takes one nobody else is taking.
	SkipLocked
)

// LockClass keeps scope locks taken for different purposes apart. The
// values are part of the protocol between replicas (and between versions of
// the server on one database): never change one.
type LockClass int32

// The scope lock classes.
const (
	// LockConnectionCreate serialises connection creates of one (account,
	// region): its quota and its client tokens.
	LockConnectionCreate LockClass = 0x4f50_0001
	// LockTags serialises tag writes of one resource.
	LockTags LockClass = 0x4f50_0002
	// LockEnvironmentCreate serialises environment creates of one (account,
	// region): its quota and its names.
	LockEnvironmentCreate LockClass = 0x4f50_0010
	// LockServiceCreate serialises service creates of one (account,
	// region): its quota and its names.
	LockServiceCreate LockClass = 0x4f50_0020
	// LockComponentCreate serialises component creates of one (account,
	// region): its quota and its names.
	LockComponentCreate LockClass = 0x4f50_0030
	// LockTemplateCreate serialises template creates of one (account,
	// region): its quota.
	LockTemplateCreate LockClass = 0x4f50_0101
	// LockVersionToken serialises version creates that carry the same
	// client token.
	LockVersionToken LockClass = 0x4f50_0102
)

// isNoRows reports whether a single-row query found nothing.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
