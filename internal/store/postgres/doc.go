// Package postgres is the store.Store for PostgreSQL, the store to use when
// several openproton replicas serve one organisation: every replica opens
// the same database and racing requests, whichever replica receives them,
// end as the store contract says.
//
// # Requirements
//
// PostgreSQL 13 or later, the versions the PostgreSQL project and pgx
// support; the tests run against 15. Nothing used is newer than 9.5:
// transactional DDL, INSERT ... ON CONFLICT, row locks (SELECT ... FOR
// UPDATE / FOR SHARE), transaction-scoped advisory locks
// (pg_advisory_xact_lock), unnest of arrays and the built-in "C" collation.
// No extension is needed.
//
// # Permissions
//
// Open applies pending migrations, so the role it connects as needs, the
// first time and after each upgrade that brings a migration: CREATE on the
// database when Options.Schema names a schema that does not exist yet, or
// else CREATE on the schema the tables go in (the first schema of the
// search_path when Options.Schema is empty). Once the database is up to
// date, a role with USAGE on the schema and SELECT, INSERT, UPDATE and
// DELETE on its tables is enough: Open then only reads schema_migrations
// (a DBA can migrate with one role and serve with another). Advisory locks
// need no grant.
//
// A dedicated schema (Options.Schema, or the role's default search_path) is
// recommended: the table names (connections, tags, schema_migrations, ...)
// are plain and would meet other applications' tables in "public".
//
// # Connection string and pool
//
// Open takes a postgres:// URL or a key=value string as libpq and pgx read
// them (host, port, dbname, user, password, sslmode, ... and the PG*
// environment variables). Pool settings go in the same string:
//
//	pool_max_conns            most open connections (default: the greater of 4 and the number of CPUs)
//	pool_min_conns            connections kept open when idle (default 0)
//	pool_max_conn_lifetime    a connection is replaced after this long (default 1h)
//	pool_max_conn_lifetime_jitter
//	                          random extra lifetime (default here: a tenth of the lifetime,
//	                          so that replicas do not reconnect all at once)
//	pool_max_conn_idle_time   an idle connection is closed after this long (default 30m)
//	pool_health_check_period  how often idle connections are checked (default 1m)
//
// for example
//
//	postgres://openproton@db.internal:5432/proton?sslmode=verify-full&pool_max_conns=20
//
// Size pool_max_conns so that replicas × pool_max_conns stays below the
// server's max_connections with room for administration. Statements are
// prepared once per connection and cached. Behind PgBouncer in transaction
// mode, use PgBouncer 1.21 or later with max_prepared_statements set, or add
// default_query_exec_mode=exec to the string; the locks used here are all
// transaction-scoped and work there.
//
// Every store call runs under a deadline (Options.QueryTimeout) that also
// bounds waits for locks. Open itself runs under the caller's context only,
// as it may wait for another replica's migration.
//
// # Concurrency
//
// Every write is one READ COMMITTED transaction. Creates of one environment
// account in one region are serialised by an advisory lock so that the
// quota and client tokens hold across replicas; status and role changes are
// conditional updates; a reject waits for the connection's row lock before
// it looks for environments that use it; tag writes of one resource are
// serialised by an advisory lock so the tag limit holds. Migrations run
// under one advisory lock, so replicas may start together.
//
// Code that links an environment to a connection must, in the transaction
// that writes the environment row, first read the connection with SELECT
// ... FOR SHARE and check its status there. That row lock is what keeps a
// reject from missing the link and a link from following a reject.
package postgres
