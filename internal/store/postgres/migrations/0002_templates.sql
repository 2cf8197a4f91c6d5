-- Environment and service templates, their versions and registration jobs.
--
-- Every write that changes the versions of a template first locks the
-- template's row FOR UPDATE, so such writes serialise per template.

CREATE TABLE templates (
    account             text COLLATE "C" NOT NULL,
    region              text COLLATE "C" NOT NULL,
    kind                text COLLATE "C" NOT NULL CHECK (kind IN ('ENVIRONMENT', 'SERVICE')),
    name                text COLLATE "C" NOT NULL,
    display_name        text NOT NULL DEFAULT '',
    description         text NOT NULL DEFAULT '',
    encryption_key      text NOT NULL DEFAULT '',
    provisioning        text NOT NULL DEFAULT '',
    fingerprint         text NOT NULL,
    created_at_ms       bigint NOT NULL,
    last_modified_at_ms bigint NOT NULL,
    PRIMARY KEY (account, region, kind, name)
);

-- A version row is also its registration job while its status is
-- REGISTRATION_IN_PROGRESS: lease_owner holds the process that runs it
-- ('' when none), due_at_ms when it may next be leased (the end of the
-- current lease, or the time of a retry), attempts how often it was leased.
-- Workers of every replica lease jobs with FOR UPDATE SKIP LOCKED.
CREATE TABLE template_versions (
    account                text COLLATE "C" NOT NULL,
    region                 text COLLATE "C" NOT NULL,
    kind                   text COLLATE "C" NOT NULL,
    template_name          text COLLATE "C" NOT NULL,
    major                  bigint NOT NULL,
    minor                  bigint NOT NULL,
    id                     text COLLATE "C" NOT NULL UNIQUE,
    status                 text NOT NULL CHECK (status IN ('REGISTRATION_IN_PROGRESS', 'REGISTRATION_FAILED', 'DRAFT', 'PUBLISHED')),
    status_message         text NOT NULL DEFAULT '',
    description            text NOT NULL DEFAULT '',
    source_bucket          text NOT NULL,
    source_key             text NOT NULL,
    schema_text            text NOT NULL DEFAULT '',
    compatible_json        text NOT NULL DEFAULT '',
    component_sources_json text NOT NULL DEFAULT '',
    created_at_ms          bigint NOT NULL,
    last_modified_at_ms    bigint NOT NULL,
    lease_owner            text NOT NULL DEFAULT '',
    due_at_ms              bigint NOT NULL DEFAULT 0,
    attempts               integer NOT NULL DEFAULT 0,
    PRIMARY KEY (account, region, kind, template_name, major, minor),
    FOREIGN KEY (account, region, kind, template_name) REFERENCES templates (account, region, kind, name)
);

-- The registration queue: only jobs, in due order.
CREATE INDEX template_versions_due ON template_versions (due_at_ms)
    WHERE status = 'REGISTRATION_IN_PROGRESS';

-- Registered bundles (up to 5 MB each) live apart from the version rows, so
-- that lists and job scans never read them.
CREATE TABLE template_bundles (
    version_id text COLLATE "C" NOT NULL PRIMARY KEY REFERENCES template_versions (id) ON DELETE CASCADE,
    bundle     bytea NOT NULL
);

-- Deleted templates (version '') and versions ('major.minor'), for idempotent
-- deletes.
CREATE TABLE template_tombstones (
    account       text COLLATE "C" NOT NULL,
    region        text COLLATE "C" NOT NULL,
    kind          text COLLATE "C" NOT NULL,
    name          text COLLATE "C" NOT NULL,
    version       text COLLATE "C" NOT NULL,
    deleted_at_ms bigint NOT NULL,
    PRIMARY KEY (account, region, kind, name, version)
);

CREATE INDEX template_tombstones_by_deletion ON template_tombstones (deleted_at_ms);

-- The environment template version an environment runs on ('' when none),
-- written by the environments family. Numbers are decimal strings, as in the
-- API.
--
-- Whoever links an environment to a version must, in the transaction that
-- writes the link, first read the version's template_versions row with
-- SELECT ... FOR SHARE (and check its status there). DeleteTemplateVersion
-- locks that row FOR UPDATE before it looks for environments, so the two
-- serialise on the row and a delete can neither miss a link nor be overtaken
-- by one.
ALTER TABLE environments ADD COLUMN template_name          text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN template_major_version text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN template_minor_version text COLLATE "C" NOT NULL DEFAULT '';

CREATE INDEX environments_by_template_version
    ON environments (account, region, template_name, template_major_version, template_minor_version);
