-- What an UpdateService that adds instances rolls back if creating one of
-- them fails: rollback_spec is the spec before the update, and
-- rollback_instances the names of the instances it added, joined by
-- commas (instance names hold none). Both are '' when no update that added
-- instances is in progress.

ALTER TABLE services ADD COLUMN rollback_spec text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE services ADD COLUMN rollback_instances text COLLATE "C" NOT NULL DEFAULT '';
