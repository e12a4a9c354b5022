-- 0006_calls: call records. One row per call; its legs' media figures
-- are kept as JSON when each leg closes.
CREATE TABLE calls (
    id TEXT PRIMARY KEY,
    direction TEXT NOT NULL,        -- internal, inbound, outbound
    from_uri TEXT NOT NULL,
    to_uri TEXT NOT NULL,
    caller_user_id TEXT,
    target TEXT NOT NULL,           -- what was dialled (an extension, *43, a number)
    application TEXT,               -- echo, ...
    sip_call_id TEXT NOT NULL,
    state TEXT NOT NULL,            -- ringing, answered, ended
    started_at INTEGER NOT NULL,
    answered_at INTEGER,
    ended_at INTEGER,
    ended_by TEXT,                  -- caller, callee, system
    end_reason TEXT,
    legs TEXT NOT NULL DEFAULT '[]' -- [{"leg", "peer", "codec", "rxPackets", "txPackets", "lost", "jitterMs", "rttMs"}]
);
CREATE INDEX calls_started ON calls (started_at);
