-- 0002_idempotency_headers: keep the header lines of a first answer (such
-- as Location) so that a replayed answer is the same answer.
ALTER TABLE idempotency_keys ADD COLUMN headers TEXT NOT NULL DEFAULT '';
