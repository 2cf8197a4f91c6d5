// Package sqlstore is the one SQL implementation of the store contracts
// (package store), shared by the SQLite and PostgreSQL stores.
//
// The statements are written once, with ? placeholders, in the SQL that both
// databases accept. What really differs between them sits behind Engine:
// how a read runs and how a write transaction runs (SQLite's single writer
// with group commit; PostgreSQL's pool in READ COMMITTED), and the Dialect's
// few words (row locks, scope locks, error classes). The packages sqlite and
// postgres open their database, migrate it and hand an Engine to New; they
// keep only what is theirs, such as SQLite's packed reads.
//
// The statements are written for the weaker of the two concurrency models:
// PostgreSQL runs transactions side by side under READ COMMITTED, so every
// check-then-write either holds a lock (a row lock or a scope lock) or is one
// conditional statement. Under SQLite's single writer the locks are no-ops
// and the same statements hold a fortiori.
package sqlstore
