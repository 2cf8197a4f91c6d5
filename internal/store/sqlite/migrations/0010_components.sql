-- Directly defined components. A component is a deployment target: its
-- deployments are in deployments with target_resource_type COMPONENT and
-- target_key its name; its state columns are those of every target (spec
-- is its service spec, inputs_json its manifest and IaC file). Tags are in
-- tags, tombstones of deleted components in tombstones (type 'component').
-- service_name and service_instance_name are '' for a detached component.

CREATE TABLE components (
    account                      TEXT    NOT NULL,
    region                       TEXT    NOT NULL,
    name                         TEXT    NOT NULL,
    description                  TEXT    NOT NULL,
    environment_name             TEXT    NOT NULL,
    service_name                 TEXT    NOT NULL,
    service_instance_name        TEXT    NOT NULL,
    template_name                TEXT    NOT NULL,
    template_major_version       TEXT    NOT NULL,
    template_minor_version       TEXT    NOT NULL,
    spec                         TEXT    NOT NULL,
    inputs_json                  TEXT    NOT NULL,
    mode                         TEXT    NOT NULL,
    deployment_status            TEXT    NOT NULL,
    deployment_status_message    TEXT    NOT NULL,
    created_at_ms                INTEGER NOT NULL,
    last_modified_at_ms          INTEGER NOT NULL,
    last_attempted_at_ms         INTEGER NOT NULL,
    last_succeeded_at_ms         INTEGER NOT NULL,
    last_attempted_deployment_id TEXT    NOT NULL,
    last_succeeded_deployment_id TEXT    NOT NULL,
    last_client_token            TEXT    NOT NULL,
    version                      INTEGER NOT NULL,
    PRIMARY KEY (account, region, name)
) STRICT, WITHOUT ROWID;

-- One component per instance.
CREATE UNIQUE INDEX components_by_instance ON components (account, region, service_name, service_instance_name)
    WHERE service_instance_name <> '';
-- An environment's delete looks for components in it.
CREATE INDEX components_by_environment ON components (account, region, environment_name);
