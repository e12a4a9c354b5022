-- Reports (docs/reporting.md): the sums of the figures per 15-minute
-- bucket, as the reporting engine folds the event log; the last event
-- folded (written in the same transaction as the sums it produced); and
-- the answers to post-chat and post-call surveys.
CREATE TABLE report_buckets (
    scope TEXT NOT NULL,    -- queue, agent, attendant, bot, chat, satisfaction, agentSatisfaction
    bucket INTEGER NOT NULL, -- start of the 15-minute bucket, ms since the epoch
    id TEXT NOT NULL,
    channel TEXT NOT NULL,
    figure TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (scope, bucket, id, channel, figure)
);

CREATE TABLE report_state (
    name TEXT PRIMARY KEY,  -- 'cursor': the seq of the last event folded
    value INTEGER NOT NULL
);

CREATE TABLE report_surveys (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,  -- chat or voice
    subject TEXT NOT NULL,  -- the thread or call
    queue_id TEXT,
    user_id TEXT,
    worker_id TEXT,
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (channel, subject)
);

-- Rebuilding what was open at a restart starts a day before the cursor.
CREATE INDEX events_time ON events (time);
