-- Template registrations move onto the one job queue (0004). Until now a
-- REGISTRATION_IN_PROGRESS version row was its own job: lease_owner the
-- process running it ('' when none), due_at_ms when it could next be leased
-- (the end of its lease, or the time of a retry), attempts its leases. Each
-- becomes a job keeping all three; a lease still held keeps its owner until
-- it runs out. The minors of one major share a serial key, the minor being
-- the job's place in it, so that they register in order.

INSERT INTO jobs (region, kind, id, account, serial_key, seq, due_at_ms, lease_owner, lease_expires_at_ms, attempts)
SELECT region, 'REGISTRATION', id, account,
       account || '/' || region || '/' || kind || '/' || template_name || '/' || major, minor,
       due_at_ms, lease_owner, CASE WHEN lease_owner <> '' THEN due_at_ms ELSE 0 END, attempts
FROM template_versions WHERE status = 'REGISTRATION_IN_PROGRESS';

-- The queue replaces the columns; an index must go before its column.
DROP INDEX template_versions_due;
ALTER TABLE template_versions DROP COLUMN lease_owner;
ALTER TABLE template_versions DROP COLUMN due_at_ms;
ALTER TABLE template_versions DROP COLUMN attempts;
