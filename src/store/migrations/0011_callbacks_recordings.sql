-- 0011_callbacks_recordings: every recording of a call as a row of its own
-- (an agent may start and stop recording by phone more than once), with
-- what it is of; and the callbacks callers asked for in call queues.

-- A recording's file is DATA/recordings/ID.wav. The first recording of a
-- call has the call's id; later ones CALL-2, CALL-3, ...
CREATE TABLE call_recordings (
    id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL,
    state TEXT NOT NULL,            -- recording, done, error, deleted
    started_at INTEGER NOT NULL,    -- ms since epoch
    duration_ms INTEGER,
    reason TEXT,                    -- stopped, closed (the call ended first), error
    channels INTEGER,               -- 1 (mono) or 2 (stereo)
    left_side TEXT,                 -- who the left channel is: caller or agent
    right_side TEXT,                -- and the right (stereo)
    call_queue TEXT,                -- the call queue the call came from
    agent_user_id TEXT,             -- the agent on the call
    caller TEXT,                    -- the other side: a number or an address
    started_by TEXT NOT NULL,       -- queue (it records every call), api, phone (*1)
    started_by_user_id TEXT,
    deleted_at INTEGER
);
CREATE INDEX call_recordings_call ON call_recordings (call_id);
CREATE INDEX call_recordings_started ON call_recordings (started_at);

-- The recordings made before: one per call, its state kept in calls.recording.
INSERT INTO call_recordings (id, call_id, state, started_at, duration_ms, reason, caller, started_by)
SELECT id, id, COALESCE(json_extract(recording, '$.state'), 'done'),
       COALESCE(CAST((julianday(json_extract(recording, '$.startedAt')) - 2440587.5) * 86400000
                     AS INTEGER), started_at),
       json_extract(recording, '$.durationMs'), json_extract(recording, '$.reason'), from_uri, 'api'
FROM calls WHERE recording IS NOT NULL;

-- A callback: the caller of a call queue asked to be called back and hung
-- up; their router job stays in line (labelled callback) until an agent
-- takes it, then the agent's phone rings and the number is dialled out.
CREATE TABLE callbacks (
    id TEXT PRIMARY KEY,
    call_queue TEXT NOT NULL,       -- the call queue's id
    queue_id TEXT NOT NULL,         -- its router queue
    job_id TEXT NOT NULL,           -- the router job that keeps the place in line
    call_id TEXT NOT NULL,          -- the call it was asked for in
    number TEXT NOT NULL,           -- the number to call
    caller TEXT,                    -- the caller ID of that call
    state TEXT NOT NULL,            -- waiting, calling, connected, failed, cancelled
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,        -- while waiting to try again (ms)
    enqueued_at INTEGER NOT NULL,   -- the place in line (ms)
    requested_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    agent_user_id TEXT,             -- the agent of the last attempt
    calls TEXT NOT NULL DEFAULT '[]', -- the attempts' call ids
    reason TEXT                     -- why it failed or was cancelled
);
CREATE INDEX callbacks_state ON callbacks (state, requested_at);
CREATE INDEX callbacks_job ON callbacks (job_id);
