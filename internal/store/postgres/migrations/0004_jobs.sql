-- The one job queue: every piece of background work (a deployment of any
-- target type, a template registration) is a row here while a worker must
-- act on it. A family inserts the job in the transaction of the change that
-- needs it and deletes it in the transaction that ends it; workers lease it
-- in between (store.Jobs), the chosen row locked FOR UPDATE SKIP LOCKED so
-- that replicas polling at once take different jobs. The job shares its id
-- with the resource it works on.

CREATE TABLE jobs (
    region              text COLLATE "C" NOT NULL,
    kind                text COLLATE "C" NOT NULL,
    id                  text COLLATE "C" NOT NULL,
    account             text NOT NULL,
    -- Of the jobs with one serial key, only the lowest seq may be leased.
    serial_key          text COLLATE "C" NOT NULL,
    seq                 bigint NOT NULL,
    due_at_ms           bigint NOT NULL,
    lease_owner         text NOT NULL DEFAULT '',
    lease_expires_at_ms bigint NOT NULL DEFAULT 0,
    attempts            integer NOT NULL DEFAULT 0,
    cancel_requested    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (region, kind, id)
);

CREATE INDEX jobs_by_due ON jobs (due_at_ms, id);
CREATE INDEX jobs_by_serial_key ON jobs (serial_key, seq);
