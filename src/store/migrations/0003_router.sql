-- 0003_router: the job router's objects and jobs.

-- Policies, queues and workers as their JSON specs (the shapes of
-- src/router/router.h); kind is distributionPolicies, classificationPolicies,
-- exceptionPolicies, queues or workers.
CREATE TABLE router_objects (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    spec TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);

-- Each job's latest full state (router_job_get), written in the same
-- transaction as the events that changed it, so a restart puts every job
-- back where it was.
CREATE TABLE router_jobs (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    queue_id TEXT,
    snapshot TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX router_jobs_state ON router_jobs (state);
