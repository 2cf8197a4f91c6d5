-- Deployments move onto the one job queue (0004): a deployment that a worker
-- must act on has a job of kind DEPLOYMENT with its id, which holds its
-- lease, its attempts and a cancel request. A deployment names its target by
-- type and key (an environment's key is its name), as the model's Deployment
-- does; the job's serial key is the target, "account/region/type/key", so
-- that the deployments of one target run one at a time, oldest first.
--
-- Replicas of a version before this migration read the columns it drops:
-- stop them before a replica of this version starts (docs/postgres.md).

ALTER TABLE deployments ADD COLUMN target_key text COLLATE "C" NOT NULL DEFAULT '';
UPDATE deployments SET target_key = environment_name;

-- Work in flight keeps its lease and attempts. A deployment being cancelled
-- carries the cancel request that its status alone expressed before.
INSERT INTO jobs (region, kind, id, account, serial_key, seq, due_at_ms,
                  lease_owner, lease_expires_at_ms, attempts, cancel_requested)
SELECT region, 'DEPLOYMENT', id, account, account || '/' || region || '/' || target_resource_type || '/' || target_key,
       created_at_ms, created_at_ms, lease_owner, lease_expires_at_ms, attempts, status = 'CANCELLING'
FROM deployments WHERE queued;

DROP INDEX deployments_queue;
ALTER TABLE deployments
    DROP COLUMN queued,
    DROP COLUMN lease_owner,
    DROP COLUMN lease_expires_at_ms,
    DROP COLUMN attempts;
