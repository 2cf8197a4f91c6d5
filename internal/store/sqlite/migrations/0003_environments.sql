-- Environments, their deployments (which are also the provisioning jobs),
-- deployment outputs and provisioned resources, tombstones of deleted
-- environments, and account settings.
--
-- The environments table exists since 0001 (the part that the connection
-- state changes read) and 0002 (the template version it runs on); this
-- migration adds the rest of the environment. An environment without a
-- connection has environment_account_connection_id NULL.

ALTER TABLE environments ADD COLUMN description                  TEXT    NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN spec                         TEXT    NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN inputs_json                  TEXT    NOT NULL DEFAULT '{}';
ALTER TABLE environments ADD COLUMN proton_service_role_arn      TEXT    NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN environment_account_id       TEXT    NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN codebuild_role_arn           TEXT    NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN component_role_arn           TEXT    NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN repository_provider          TEXT    NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN repository_name              TEXT    NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN repository_branch            TEXT    NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN provisioning                 TEXT    NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN mode                         TEXT    NOT NULL DEFAULT 'managed';
ALTER TABLE environments ADD COLUMN deployment_status            TEXT    NOT NULL DEFAULT 'IN_PROGRESS';
ALTER TABLE environments ADD COLUMN deployment_status_message    TEXT    NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN created_at_ms                INTEGER NOT NULL DEFAULT 0;
ALTER TABLE environments ADD COLUMN last_attempted_at_ms         INTEGER NOT NULL DEFAULT 0;
ALTER TABLE environments ADD COLUMN last_succeeded_at_ms         INTEGER NOT NULL DEFAULT 0;
ALTER TABLE environments ADD COLUMN last_attempted_deployment_id TEXT    NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN last_succeeded_deployment_id TEXT    NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN fingerprint                  TEXT    NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN modified                     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE environments ADD COLUMN version                      INTEGER NOT NULL DEFAULT 1;

-- One row per deployment. While queued = 1 a worker must act on it: lease
-- it (lease_owner, lease_expires_at_ms, attempts), run its engine or finish
-- its cancellation, and complete it. Self-managed deployments wait for a
-- notification with queued = 0.
CREATE TABLE deployments (
    region                   TEXT    NOT NULL,
    id                       TEXT    NOT NULL,
    account                  TEXT    NOT NULL,
    environment_name         TEXT    NOT NULL,
    target_arn               TEXT    NOT NULL,
    target_resource_type     TEXT    NOT NULL,
    target_created_at_ms     INTEGER NOT NULL,
    action                   TEXT    NOT NULL CHECK (action IN ('DEPLOY', 'DELETE')),
    mode                     TEXT    NOT NULL,
    status                   TEXT    NOT NULL,
    status_message           TEXT    NOT NULL DEFAULT '',
    created_at_ms            INTEGER NOT NULL,
    last_modified_at_ms      INTEGER NOT NULL,
    completed_at_ms          INTEGER NOT NULL DEFAULT 0,
    previous_attempted_id    TEXT    NOT NULL DEFAULT '',
    previous_succeeded_id    TEXT    NOT NULL DEFAULT '',
    has_initial_state        INTEGER NOT NULL DEFAULT 0,
    initial_template_name    TEXT    NOT NULL DEFAULT '',
    initial_major_version    TEXT    NOT NULL DEFAULT '',
    initial_minor_version    TEXT    NOT NULL DEFAULT '',
    initial_spec             TEXT    NOT NULL DEFAULT '',
    initial_inputs_json      TEXT    NOT NULL DEFAULT '{}',
    target_template_name     TEXT    NOT NULL,
    target_major_version     TEXT    NOT NULL,
    target_minor_version     TEXT    NOT NULL,
    target_spec              TEXT    NOT NULL,
    target_inputs_json       TEXT    NOT NULL,
    queued                   INTEGER NOT NULL DEFAULT 0,
    lease_owner              TEXT    NOT NULL DEFAULT '',
    lease_expires_at_ms      INTEGER NOT NULL DEFAULT 0,
    attempts                 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (region, id)
) STRICT, WITHOUT ROWID;

-- Lists of one environment and of the whole account, newest first.
CREATE INDEX deployments_by_environment
    ON deployments (account, region, environment_name, created_at_ms, id);
CREATE INDEX deployments_by_account
    ON deployments (account, region, created_at_ms, id);
-- The queue: only queued rows are in it.
CREATE INDEX deployments_queue ON deployments (created_at_ms, id) WHERE queued = 1;

CREATE TABLE deployment_outputs (
    region        TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (region, deployment_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE deployment_resources (
    region        TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    name          TEXT NOT NULL,
    identifier    TEXT NOT NULL,
    engine        TEXT NOT NULL,
    PRIMARY KEY (region, deployment_id, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE environment_tombstones (
    account       TEXT    NOT NULL,
    region        TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    deleted_at_ms INTEGER NOT NULL,
    PRIMARY KEY (account, region, name)
) STRICT, WITHOUT ROWID;

CREATE INDEX environment_tombstones_by_deletion ON environment_tombstones (deleted_at_ms);

CREATE TABLE account_settings (
    account                     TEXT NOT NULL,
    region                      TEXT NOT NULL,
    pipeline_service_role_arn   TEXT NOT NULL DEFAULT '',
    pipeline_codebuild_role_arn TEXT NOT NULL DEFAULT '',
    repository_provider         TEXT NOT NULL DEFAULT '',
    repository_name             TEXT NOT NULL DEFAULT '',
    repository_branch           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account, region)
) STRICT, WITHOUT ROWID;
