-- Environments, their deployments (which are also the provisioning jobs),
-- deployment outputs and provisioned resources, tombstones of deleted
-- environments, and account settings.
--
-- The environments table exists since 0001 (the part that the connection
-- state changes read) and 0002 (the template version it runs on); this
-- migration adds the rest of the environment. An environment without a
-- connection has environment_account_connection_id NULL.
--
-- Whoever links an environment to a connection or to a template version
-- reads that row FOR SHARE in the transaction that writes the link (see
-- 0001 and 0002).

ALTER TABLE environments
    ADD COLUMN description                  text   NOT NULL DEFAULT '',
    ADD COLUMN spec                         text   NOT NULL DEFAULT '',
    ADD COLUMN inputs_json                  text   NOT NULL DEFAULT '{}',
    ADD COLUMN proton_service_role_arn      text   NOT NULL DEFAULT '',
    ADD COLUMN environment_account_id       text   NOT NULL DEFAULT '',
    ADD COLUMN codebuild_role_arn           text   NOT NULL DEFAULT '',
    ADD COLUMN component_role_arn           text   NOT NULL DEFAULT '',
    ADD COLUMN repository_provider          text   NOT NULL DEFAULT '',
    ADD COLUMN repository_name              text   NOT NULL DEFAULT '',
    ADD COLUMN repository_branch            text   NOT NULL DEFAULT '',
    ADD COLUMN provisioning                 text   NOT NULL DEFAULT '',
    ADD COLUMN mode                         text   NOT NULL DEFAULT 'managed',
    ADD COLUMN deployment_status            text   NOT NULL DEFAULT 'IN_PROGRESS',
    ADD COLUMN deployment_status_message    text   NOT NULL DEFAULT '',
    ADD COLUMN created_at_ms                bigint NOT NULL DEFAULT 0,
    ADD COLUMN last_attempted_at_ms         bigint NOT NULL DEFAULT 0,
    ADD COLUMN last_succeeded_at_ms         bigint NOT NULL DEFAULT 0,
    ADD COLUMN last_attempted_deployment_id text   NOT NULL DEFAULT '',
    ADD COLUMN last_succeeded_deployment_id text   NOT NULL DEFAULT '',
    ADD COLUMN fingerprint                  text   NOT NULL DEFAULT '',
    ADD COLUMN modified                     boolean NOT NULL DEFAULT false,
    ADD COLUMN version                      bigint NOT NULL DEFAULT 1;

-- One row per deployment. While queued a worker must act on it: lease it
-- (lease_owner, lease_expires_at_ms, attempts; replicas share the queue with
-- FOR UPDATE SKIP LOCKED), run its engine or finish its cancellation, and
-- complete it. Self-managed deployments wait for a notification unqueued.
CREATE TABLE deployments (
    region                   text COLLATE "C" NOT NULL,
    id                       text COLLATE "C" NOT NULL,
    account                  text COLLATE "C" NOT NULL,
    environment_name         text COLLATE "C" NOT NULL,
    target_arn               text   NOT NULL,
    target_resource_type     text   NOT NULL,
    target_created_at_ms     bigint NOT NULL,
    action                   text   NOT NULL CHECK (action IN ('DEPLOY', 'DELETE')),
    mode                     text   NOT NULL,
    status                   text   NOT NULL,
    status_message           text   NOT NULL DEFAULT '',
    created_at_ms            bigint NOT NULL,
    last_modified_at_ms      bigint NOT NULL,
    completed_at_ms          bigint NOT NULL DEFAULT 0,
    previous_attempted_id    text   NOT NULL DEFAULT '',
    previous_succeeded_id    text   NOT NULL DEFAULT '',
    has_initial_state        boolean NOT NULL DEFAULT false,
    initial_template_name    text   NOT NULL DEFAULT '',
    initial_major_version    text   NOT NULL DEFAULT '',
    initial_minor_version    text   NOT NULL DEFAULT '',
    initial_spec             text   NOT NULL DEFAULT '',
    initial_inputs_json      text   NOT NULL DEFAULT '{}',
    target_template_name     text   NOT NULL,
    target_major_version     text   NOT NULL,
    target_minor_version     text   NOT NULL,
    target_spec              text   NOT NULL,
    target_inputs_json       text   NOT NULL,
    queued                   boolean NOT NULL DEFAULT false,
    lease_owner              text   NOT NULL DEFAULT '',
    lease_expires_at_ms      bigint NOT NULL DEFAULT 0,
    attempts                 integer NOT NULL DEFAULT 0,
    PRIMARY KEY (region, id)
);

CREATE INDEX deployments_by_environment
    ON deployments (account, region, environment_name, created_at_ms, id);
CREATE INDEX deployments_by_account
    ON deployments (account, region, created_at_ms, id);
CREATE INDEX deployments_queue ON deployments (created_at_ms, id) WHERE queued;

CREATE TABLE deployment_outputs (
    region        text COLLATE "C" NOT NULL,
    deployment_id text COLLATE "C" NOT NULL,
    key           text COLLATE "C" NOT NULL,
    value         text NOT NULL,
    PRIMARY KEY (region, deployment_id, key)
);

CREATE TABLE deployment_resources (
    region        text COLLATE "C" NOT NULL,
    deployment_id text COLLATE "C" NOT NULL,
    name          text COLLATE "C" NOT NULL,
    identifier    text NOT NULL,
    engine        text NOT NULL,
    PRIMARY KEY (region, deployment_id, name)
);

CREATE TABLE environment_tombstones (
    account       text COLLATE "C" NOT NULL,
    region        text COLLATE "C" NOT NULL,
    name          text COLLATE "C" NOT NULL,
    deleted_at_ms bigint NOT NULL,
    PRIMARY KEY (account, region, name)
);

CREATE INDEX environment_tombstones_by_deletion ON environment_tombstones (deleted_at_ms);

CREATE TABLE account_settings (
    account                     text COLLATE "C" NOT NULL,
    region                      text COLLATE "C" NOT NULL,
    pipeline_service_role_arn   text NOT NULL DEFAULT '',
    pipeline_codebuild_role_arn text NOT NULL DEFAULT '',
    repository_provider         text NOT NULL DEFAULT '',
    repository_name             text NOT NULL DEFAULT '',
    repository_branch           text NOT NULL DEFAULT '',
    PRIMARY KEY (account, region)
);
