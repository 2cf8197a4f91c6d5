-- Services, and their deployment targets: each instance (name set) and the
-- pipeline (name ''). The deployments of a target are in deployments, with
-- target_resource_type SERVICE_INSTANCE ("service/instance") or
-- SERVICE_PIPELINE ("service"). Tags are in tags, tombstones of deleted
-- services in tombstones (type 'service').

CREATE TABLE services (
    account                   TEXT    NOT NULL,
    region                    TEXT    NOT NULL,
    name                      TEXT    NOT NULL,
    description               TEXT    NOT NULL,
    template_name             TEXT    NOT NULL,
    template_major_version    TEXT    NOT NULL,
    template_minor_version    TEXT    NOT NULL,
    spec                      TEXT    NOT NULL,
    repository_connection_arn TEXT    NOT NULL,
    repository_id             TEXT    NOT NULL,
    branch_name               TEXT    NOT NULL,
    status                    TEXT    NOT NULL,
    status_message            TEXT    NOT NULL,
    created_at_ms             INTEGER NOT NULL,
    last_modified_at_ms       INTEGER NOT NULL,
    fingerprint               TEXT    NOT NULL,
    modified                  INTEGER NOT NULL,
    version                   INTEGER NOT NULL,
    PRIMARY KEY (account, region, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE service_targets (
    account                      TEXT    NOT NULL,
    region                       TEXT    NOT NULL,
    service_name                 TEXT    NOT NULL,
    name                         TEXT    NOT NULL,
    environment_name             TEXT    NOT NULL,
    template_name                TEXT    NOT NULL,
    template_major_version       TEXT    NOT NULL,
    template_minor_version       TEXT    NOT NULL,
    spec                         TEXT    NOT NULL,
    inputs_json                  TEXT    NOT NULL,
    mode                         TEXT    NOT NULL,
    deployment_status            TEXT    NOT NULL,
    deployment_status_message    TEXT    NOT NULL,
    created_at_ms                INTEGER NOT NULL,
    last_attempted_at_ms         INTEGER NOT NULL,
    last_succeeded_at_ms         INTEGER NOT NULL,
    last_attempted_deployment_id TEXT    NOT NULL,
    last_succeeded_deployment_id TEXT    NOT NULL,
    last_client_token            TEXT    NOT NULL,
    version                      INTEGER NOT NULL,
    PRIMARY KEY (account, region, service_name, name)
) STRICT, WITHOUT ROWID;

-- An environment's delete looks for instances in it; a template version's
-- delete for targets on it.
CREATE INDEX service_targets_by_environment ON service_targets (account, region, environment_name);
CREATE INDEX service_targets_by_version
    ON service_targets (account, region, template_name, template_major_version, template_minor_version);
-- Deployments of one target (a service's lists and removals).
CREATE INDEX deployments_by_target ON deployments (account, region, target_resource_type, target_key);
