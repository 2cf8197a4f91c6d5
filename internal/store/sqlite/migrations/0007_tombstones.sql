-- One table of tombstones for every family, in place of one per family:
-- what a deleted resource leaves behind for a while, keyed by its ARN's
-- resource type, region and key and by the account it is kept for (its
-- owner, and each other party that may delete it too). owner is the
-- account of the resource's ARN.

CREATE TABLE tombstones (
    resource_type TEXT    NOT NULL,
    account       TEXT    NOT NULL,
    region        TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    owner         TEXT    NOT NULL,
    deleted_at_ms INTEGER NOT NULL,
    PRIMARY KEY (resource_type, account, region, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX tombstones_by_deletion ON tombstones (deleted_at_ms);

-- Rows of the three tables move over: a connection's tombstone becomes one
-- for each party (the management account's names the environment account
-- as the owner), a template's and a version's are keyed by their ARN's key
-- ({name} and {name}:{major}.{minor}).
INSERT INTO tombstones (resource_type, account, region, key, owner, deleted_at_ms)
SELECT 'environment-account-connection', environment_account_id, region, id, environment_account_id, deleted_at_ms
FROM connection_tombstones;
INSERT INTO tombstones (resource_type, account, region, key, owner, deleted_at_ms)
SELECT 'environment-account-connection', management_account_id, region, id, environment_account_id, deleted_at_ms
FROM connection_tombstones WHERE management_account_id <> environment_account_id;
INSERT INTO tombstones (resource_type, account, region, key, owner, deleted_at_ms)
SELECT 'environment', account, region, name, account, deleted_at_ms FROM environment_tombstones;
INSERT INTO tombstones (resource_type, account, region, key, owner, deleted_at_ms)
SELECT CASE kind WHEN 'ENVIRONMENT' THEN 'environment-template' ELSE 'service-template' END, account, region,
       CASE version WHEN '' THEN name ELSE name || ':' || version END, account, deleted_at_ms
FROM template_tombstones;

DROP TABLE connection_tombstones;
DROP TABLE environment_tombstones;
DROP TABLE template_tombstones;
