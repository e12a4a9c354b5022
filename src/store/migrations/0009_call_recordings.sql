-- 0009_call_recordings: a call's recording, as JSON:
-- {"state": "recording"|"done"|"error", "startedAt", "durationMs", "reason"}.
ALTER TABLE calls ADD COLUMN recording TEXT;
