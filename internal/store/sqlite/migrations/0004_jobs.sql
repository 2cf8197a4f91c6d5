-- The one job queue: every piece of background work (a deployment of any
-- target type, a template registration) is a row here while a worker must
-- act on it. A family inserts the job in the transaction of the change that
-- needs it and deletes it in the transaction that ends it; workers lease it
-- in between (store.Jobs). The job shares its id with the resource it works
-- on.

CREATE TABLE jobs (
    region              TEXT    NOT NULL,
    kind                TEXT    NOT NULL,
    id                  TEXT    NOT NULL,
    account             TEXT    NOT NULL,
    -- Of the jobs with one serial key, only the lowest seq may be leased.
    serial_key          TEXT    NOT NULL,
    seq                 INTEGER NOT NULL,
    due_at_ms           INTEGER NOT NULL,
    lease_owner         TEXT    NOT NULL DEFAULT '',
    lease_expires_at_ms INTEGER NOT NULL DEFAULT 0,
    attempts            INTEGER NOT NULL DEFAULT 0,
    cancel_requested    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (region, kind, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX jobs_by_due ON jobs (due_at_ms, id);
CREATE INDEX jobs_by_serial_key ON jobs (serial_key, seq);
