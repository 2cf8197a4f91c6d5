-- Services, and their deployment targets: each instance (name set) and the
-- pipeline (name ''). The deployments of a target are in deployments, with
-- target_resource_type SERVICE_INSTANCE ("service/instance") or
-- SERVICE_PIPELINE ("service"). Tags are in tags, tombstones of deleted
-- services in tombstones (type 'service').

CREATE TABLE services (
    account                   text COLLATE "C" NOT NULL,
    region                    text COLLATE "C" NOT NULL,
    name                      text COLLATE "C" NOT NULL,
    description               text COLLATE "C" NOT NULL,
    template_name             text COLLATE "C" NOT NULL,
    template_major_version    text COLLATE "C" NOT NULL,
    template_minor_version    text COLLATE "C" NOT NULL,
    spec                      text COLLATE "C" NOT NULL,
    repository_connection_arn text COLLATE "C" NOT NULL,
    repository_id             text COLLATE "C" NOT NULL,
    branch_name               text COLLATE "C" NOT NULL,
    status                    text COLLATE "C" NOT NULL,
    status_message            text COLLATE "C" NOT NULL,
    created_at_ms             bigint NOT NULL,
    last_modified_at_ms       bigint NOT NULL,
    fingerprint               text COLLATE "C" NOT NULL,
    modified                  boolean NOT NULL,
    version                   bigint NOT NULL,
    PRIMARY KEY (account, region, name)
);

CREATE TABLE service_targets (
    account                      text COLLATE "C" NOT NULL,
    region                       text COLLATE "C" NOT NULL,
    service_name                 text COLLATE "C" NOT NULL,
    name                         text COLLATE "C" NOT NULL,
    environment_name             text COLLATE "C" NOT NULL,
    template_name                text COLLATE "C" NOT NULL,
    template_major_version       text COLLATE "C" NOT NULL,
    template_minor_version       text COLLATE "C" NOT NULL,
    spec                         text COLLATE "C" NOT NULL,
    inputs_json                  text COLLATE "C" NOT NULL,
    mode                         text COLLATE "C" NOT NULL,
    deployment_status            text COLLATE "C" NOT NULL,
    deployment_status_message    text COLLATE "C" NOT NULL,
    created_at_ms                bigint NOT NULL,
    last_attempted_at_ms         bigint NOT NULL,
    last_succeeded_at_ms         bigint NOT NULL,
    last_attempted_deployment_id text COLLATE "C" NOT NULL,
    last_succeeded_deployment_id text COLLATE "C" NOT NULL,
    last_client_token            text COLLATE "C" NOT NULL,
    version                      bigint NOT NULL,
    PRIMARY KEY (account, region, service_name, name)
);

-- An environment's delete looks for instances in it; a template version's
-- delete for targets on it.
CREATE INDEX service_targets_by_environment ON service_targets (account, region, environment_name);
CREATE INDEX service_targets_by_version
    ON service_targets (account, region, template_name, template_major_version, template_minor_version);
-- Deployments of one target (a service's lists and removals).
CREATE INDEX deployments_by_target ON deployments (account, region, target_resource_type, target_key);
