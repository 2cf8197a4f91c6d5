-- Environment account connections, customer tags, idempotency tokens,
-- tombstones of deleted connections, and the part of environments that the
-- in-use check of connections reads.

CREATE TABLE connections (
    region                 TEXT    NOT NULL,
    id                     TEXT    NOT NULL,
    environment_account_id TEXT    NOT NULL,
    management_account_id  TEXT    NOT NULL,
    environment_name       TEXT    NOT NULL,
    role_arn               TEXT    NOT NULL DEFAULT '',
    codebuild_role_arn     TEXT    NOT NULL DEFAULT '',
    component_role_arn     TEXT    NOT NULL DEFAULT '',
    status                 TEXT    NOT NULL CHECK (status IN ('PENDING', 'CONNECTED', 'REJECTED')),
    requested_at_ms        INTEGER NOT NULL,
    last_modified_at_ms    INTEGER NOT NULL,
    PRIMARY KEY (region, id)
) STRICT, WITHOUT ROWID;

-- One index per list role, in list order, so that a page is an index range
-- scan that starts at the cursor.
CREATE INDEX connections_by_environment_account
    ON connections (region, environment_account_id, requested_at_ms, id);
CREATE INDEX connections_by_management_account
    ON connections (region, management_account_id, requested_at_ms, id);
-- The quota count reads only the index: rejected connections accumulate and
-- must not make creates slower.
CREATE INDEX connections_by_status
    ON connections (region, environment_account_id, status);

CREATE TABLE tags (
    resource_arn TEXT NOT NULL,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (resource_arn, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE idempotency_tokens (
    account       TEXT    NOT NULL,
    region        TEXT    NOT NULL,
    operation     TEXT    NOT NULL,
    token         TEXT    NOT NULL,
    fingerprint   TEXT    NOT NULL,
    resource_id   TEXT    NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (account, region, operation, token)
) STRICT, WITHOUT ROWID;

CREATE INDEX idempotency_tokens_by_expiry ON idempotency_tokens (expires_at_ms);

CREATE TABLE connection_tombstones (
    region                 TEXT    NOT NULL,
    id                     TEXT    NOT NULL,
    environment_account_id TEXT    NOT NULL,
    management_account_id  TEXT    NOT NULL,
    deleted_at_ms          INTEGER NOT NULL,
    PRIMARY KEY (region, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX connection_tombstones_by_deletion ON connection_tombstones (deleted_at_ms);

-- No foreign key to connections: an environment keeps the id of a deleted
-- connection, and deleting a connection must not touch it.
CREATE TABLE environments (
    account                            TEXT NOT NULL,
    region                             TEXT NOT NULL,
    name                               TEXT NOT NULL,
    environment_account_connection_id  TEXT,
    PRIMARY KEY (account, region, name)
) STRICT, WITHOUT ROWID;

CREATE INDEX environments_by_connection
    ON environments (region, environment_account_connection_id);
