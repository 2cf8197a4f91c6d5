-- Directly defined components. A component is a deployment target: its
-- deployments are in deployments with target_resource_type COMPONENT and
-- target_key its name; its state columns are those of every target (spec
-- is its service spec, inputs_json its manifest and IaC file). Tags are in
-- tags, tombstones of deleted components in tombstones (type 'component').
-- service_name and service_instance_name are '' for a detached component.

CREATE TABLE components (
    account                      text COLLATE "C" NOT NULL,
    region                       text COLLATE "C" NOT NULL,
    name                         text COLLATE "C" NOT NULL,
    description                  text COLLATE "C" NOT NULL,
    environment_name             text COLLATE "C" NOT NULL,
    service_name                 text COLLATE "C" NOT NULL,
    service_instance_name        text COLLATE "C" NOT NULL,
    template_name                text COLLATE "C" NOT NULL,
    template_major_version       text COLLATE "C" NOT NULL,
    template_minor_version       text COLLATE "C" NOT NULL,
    spec                         text COLLATE "C" NOT NULL,
    inputs_json                  text COLLATE "C" NOT NULL,
    mode                         text COLLATE "C" NOT NULL,
    deployment_status            text COLLATE "C" NOT NULL,
    deployment_status_message    text COLLATE "C" NOT NULL,
    created_at_ms                bigint NOT NULL,
    last_modified_at_ms          bigint NOT NULL,
    last_attempted_at_ms         bigint NOT NULL,
    last_succeeded_at_ms         bigint NOT NULL,
    last_attempted_deployment_id text COLLATE "C" NOT NULL,
    last_succeeded_deployment_id text COLLATE "C" NOT NULL,
    last_client_token            text COLLATE "C" NOT NULL,
    version                      bigint NOT NULL,
    PRIMARY KEY (account, region, name)
);

-- One component per instance.
CREATE UNIQUE INDEX components_by_instance ON components (account, region, service_name, service_instance_name)
    WHERE service_instance_name <> '';
-- An environment's delete looks for components in it.
CREATE INDEX components_by_environment ON components (account, region, environment_name);
