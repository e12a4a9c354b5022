-- 0007_router_worker_state: what a worker's spec does not hold, kept so
-- that a restart does not reset it: since when the worker has been idle
-- (longest-idle distribution) and how many offers in a row it let expire.
CREATE TABLE router_worker_state (
    id TEXT PRIMARY KEY,
    idle_since INTEGER NOT NULL,
    expiries INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
