-- Template registrations move onto the one job queue (0004). Until now a
-- REGISTRATION_IN_PROGRESS version row was its own job: lease_owner the
-- process running it ('' when none), due_at_ms when it could next be leased
-- (the end of its lease, or the time of a retry), attempts its leases. Each
-- becomes a job keeping all three; a lease still held keeps its owner until
-- it runs out. The minors of one major share a serial key, the minor being
-- the job's place in it, so that they register in order.
--
-- Replicas of an earlier version write those columns, and create versions
-- without jobs: the table is locked first, so that none commits a version
-- between the copy and the drop, and the earlier replicas must be stopped
-- before this one starts (docs/postgres.md).

LOCK TABLE template_versions IN ACCESS EXCLUSIVE MODE;

INSERT INTO jobs (region, kind, id, account, serial_key, seq, due_at_ms, lease_owner, lease_expires_at_ms, attempts)
SELECT region, 'REGISTRATION', id, account,
       account || '/' || region || '/' || kind || '/' || template_name || '/' || major, minor,
       due_at_ms, lease_owner, CASE WHEN lease_owner <> '' THEN due_at_ms ELSE 0 END, attempts
FROM template_versions WHERE status = 'REGISTRATION_IN_PROGRESS';

DROP INDEX template_versions_due;
ALTER TABLE template_versions DROP COLUMN lease_owner, DROP COLUMN due_at_ms, DROP COLUMN attempts;
