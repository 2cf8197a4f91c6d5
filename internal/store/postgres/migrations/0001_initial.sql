-- The first schema: environment account connections, their tags, client
-- tokens, tombstones of deleted connections, and the minimal environments
-- table that the connection state changes consult.
--
-- Identifiers and tag keys use the "C" collation so that the order of lists
-- and pagination cursors is byte order, the same on every server whatever the
-- database's default locale.

CREATE TABLE connections (
    region                 text COLLATE "C" NOT NULL,
    id                     text COLLATE "C" NOT NULL,
    environment_account_id text NOT NULL,
    management_account_id  text NOT NULL,
    environment_name       text NOT NULL,
    role_arn               text NOT NULL DEFAULT '',
    codebuild_role_arn     text NOT NULL DEFAULT '',
    component_role_arn     text NOT NULL DEFAULT '',
    status                 text NOT NULL CHECK (status IN ('PENDING', 'CONNECTED', 'REJECTED')),
    requested_at_ms        bigint NOT NULL,
    last_modified_at_ms    bigint NOT NULL,
    PRIMARY KEY (region, id)
);

-- One index per party of a connection: each serves that party's list in list
-- order, and the environment account's also serves the quota count.
CREATE INDEX connections_by_environment_account
    ON connections (region, environment_account_id, requested_at_ms, id);
CREATE INDEX connections_by_management_account
    ON connections (region, management_account_id, requested_at_ms, id);

CREATE TABLE tags (
    resource_arn text COLLATE "C" NOT NULL,
    key          text COLLATE "C" NOT NULL,
    value        text NOT NULL,
    PRIMARY KEY (resource_arn, key)
);

CREATE TABLE idempotency_tokens (
    account       text COLLATE "C" NOT NULL,
    region        text COLLATE "C" NOT NULL,
    operation     text COLLATE "C" NOT NULL,
    token         text COLLATE "C" NOT NULL,
    fingerprint   text NOT NULL,
    resource_id   text NOT NULL,
    expires_at_ms bigint NOT NULL,
    PRIMARY KEY (account, region, operation, token)
);

CREATE INDEX idempotency_tokens_by_expiry ON idempotency_tokens (expires_at_ms);

CREATE TABLE connection_tombstones (
    region                 text COLLATE "C" NOT NULL,
    id                     text COLLATE "C" NOT NULL,
    environment_account_id text NOT NULL,
    management_account_id  text NOT NULL,
    deleted_at_ms          bigint NOT NULL,
    PRIMARY KEY (region, id)
);

CREATE INDEX connection_tombstones_by_deletion ON connection_tombstones (deleted_at_ms);

-- Environments live in the management account. A connection may be deleted
-- while an environment still names it, so there is no foreign key.
--
-- Whoever links an environment to a connection must, in the transaction that
-- writes the link, first read the connection with SELECT ... FOR SHARE (and
-- check its status there). TransitionConnection locks the connection row FOR
-- UPDATE before it looks for environments, so the two serialise on that row
-- and a reject can neither miss a link nor be overtaken by one.
CREATE TABLE environments (
    account                            text COLLATE "C" NOT NULL,
    region                             text COLLATE "C" NOT NULL,
    name                               text COLLATE "C" NOT NULL,
    environment_account_connection_id  text COLLATE "C",
    PRIMARY KEY (account, region, name)
);

CREATE INDEX environments_by_connection
    ON environments (region, environment_account_connection_id)
    WHERE environment_account_connection_id IS NOT NULL;
