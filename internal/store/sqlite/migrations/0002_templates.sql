-- Environment and service templates, their versions and registration jobs.

CREATE TABLE templates (
    account             TEXT    NOT NULL,
    region              TEXT    NOT NULL,
    kind                TEXT    NOT NULL CHECK (kind IN ('ENVIRONMENT', 'SERVICE')),
    name                TEXT    NOT NULL,
    display_name        TEXT    NOT NULL DEFAULT '',
    description         TEXT    NOT NULL DEFAULT '',
    encryption_key      TEXT    NOT NULL DEFAULT '',
    provisioning        TEXT    NOT NULL DEFAULT '',
    fingerprint         TEXT    NOT NULL,
    created_at_ms       INTEGER NOT NULL,
    last_modified_at_ms INTEGER NOT NULL,
    PRIMARY KEY (account, region, kind, name)
) STRICT, WITHOUT ROWID;

-- A version row is also its registration job while its status is
-- REGISTRATION_IN_PROGRESS: lease_owner holds the process that runs it
-- ('' when none), due_at_ms when it may next be leased (the end of the
-- current lease, or the time of a retry), attempts how often it was leased.
CREATE TABLE template_versions (
    account                TEXT    NOT NULL,
    region                 TEXT    NOT NULL,
    kind                   TEXT    NOT NULL,
    template_name          TEXT    NOT NULL,
    major                  INTEGER NOT NULL,
    minor                  INTEGER NOT NULL,
    id                     TEXT    NOT NULL UNIQUE,
    status                 TEXT    NOT NULL CHECK (status IN ('REGISTRATION_IN_PROGRESS', 'REGISTRATION_FAILED', 'DRAFT', 'PUBLISHED')),
    status_message         TEXT    NOT NULL DEFAULT '',
    description            TEXT    NOT NULL DEFAULT '',
    source_bucket          TEXT    NOT NULL,
    source_key             TEXT    NOT NULL,
    schema_text            TEXT    NOT NULL DEFAULT '',
    compatible_json        TEXT    NOT NULL DEFAULT '',
    component_sources_json TEXT    NOT NULL DEFAULT '',
    created_at_ms          INTEGER NOT NULL,
    last_modified_at_ms    INTEGER NOT NULL,
    lease_owner            TEXT    NOT NULL DEFAULT '',
    due_at_ms              INTEGER NOT NULL DEFAULT 0,
    attempts               INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, region, kind, template_name, major, minor),
    FOREIGN KEY (account, region, kind, template_name) REFERENCES templates (account, region, kind, name)
) STRICT;

-- The registration queue: only jobs, in due order.
CREATE INDEX template_versions_due ON template_versions (due_at_ms)
    WHERE status = 'REGISTRATION_IN_PROGRESS';

-- Registered bundles (up to 5 MB each) live apart from the version rows, so
-- that lists and job scans never read them.
CREATE TABLE template_bundles (
    version_id TEXT NOT NULL PRIMARY KEY REFERENCES template_versions (id) ON DELETE CASCADE,
    bundle     BLOB NOT NULL
) STRICT;

-- Deleted templates (version '') and versions ('major.minor'), for idempotent
-- deletes.
CREATE TABLE template_tombstones (
    account       TEXT    NOT NULL,
    region        TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    version       TEXT    NOT NULL,
    deleted_at_ms INTEGER NOT NULL,
    PRIMARY KEY (account, region, kind, name, version)
) STRICT, WITHOUT ROWID;

CREATE INDEX template_tombstones_by_deletion ON template_tombstones (deleted_at_ms);

-- The environment template version an environment runs on ('' when none),
-- written by the environments family and read by the version delete. Numbers
-- are decimal strings, as in the API.
ALTER TABLE environments ADD COLUMN template_name TEXT NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN template_major_version TEXT NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN template_minor_version TEXT NOT NULL DEFAULT '';

CREATE INDEX environments_by_template_version
    ON environments (account, region, template_name, template_major_version, template_minor_version);
