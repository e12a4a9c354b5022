/*
 * router.h - the job router engine: matches every job (a conversation that
 * needs a person) to the most suitable available worker.
 *
 * Pure logic: no sockets, no clock, no store. The caller passes the time
 * (`now`, milliseconds since the epoch) into every call, schedules one
 * timer for router_next_deadline() and calls router_advance() when it
 * fires. Matching happens inside the calls that can make it possible — a
 * new job, a worker becoming available, capacity released, a selector
 * expiring, a declined or expired offer — never by polling.
 *
 * Everything that happens is reported through the event handler, in order,
 * synchronously, while the call runs: the server stores each event and
 * publishes it, and persists the state of the job or worker it names.
 * The handler may read (the _get, _list and stats calls) but must not
 * call anything that changes the router.
 *
 * Objects are described in JSON, the same shapes the API and the YAML
 * configuration use (already validated by their schemas; the engine checks
 * references and semantics and says what is wrong). All ids are strings
 * chosen by the caller, except offer and assignment ids, which the engine
 * makes with the id handler given at allocation.
 *
 * ---- Shapes ----------------------------------------------------------
 *
 * distribution policy:
 *   {"id":"dp-voice", "name":"...", "offerExpiresAfterSeconds":30,
 *    "mode":{"kind":"longest-idle"|"round-robin"|"serial"|"best-worker",
 *            "minConcurrentOffers":1, "maxConcurrentOffers":1,
 *            "bypassSelectors":false,
 *            "workerOrder":["w1","w2"],                       (serial)
 *            "scoringRule":{"kind":"expression","expression":"..."}   (best-worker;
 *                          absent: the default score, see below)
 *                        | {"kind":"webhook","url":"http://...",
 *                           "timeoutSeconds":5, "secret":"..."}  (see "Scoring webhook")
 *            "descendingOrder":true},                         (best-worker)
 *    "unavailableAfterExpiries":3,           (0: never; reason below)
 *    "unavailableReason":"missed offers"}
 *
 * queue:
 *   {"id":"support", "name":"Support", "distributionPolicyId":"dp-voice",
 *    "exceptionPolicyId":"ep-1", "labels":{...}, "maxLength":100}
 *
 * classification policy:
 *   {"id":"cp-topic", "name":"...", "fallbackQueueId":"support",
 *    "queueSelectors":[
 *       {"kind":"static","queueId":"sales"},
 *       {"kind":"conditional","condition":"job.topic == 'sales'","queueId":"sales"},
 *       {"kind":"expression","expression":"job.topic == 'sales' ? 'sales' : 'support'"},
 *       {"kind":"weighted","allocations":[{"weight":0.3,"queueId":"a"},
 *                                          {"weight":0.7,"queueId":"b"}]}],
 *    "workerSelectors":[
 *       {"kind":"static","key":"language","operator":"equal","value":"es",
 *        "expiresAfterSeconds":30},
 *       {"kind":"conditional","condition":"job.vip == true",
 *        "selectors":[{"key":"level","operator":"greaterThanEqual","value":3}]}],
 *    "prioritizationRule":{"kind":"static","value":5}
 *                       | {"kind":"expression","expression":"job.vip ? 10 : 1"}}
 *   Queue selectors are tried in order; the first that yields an existing
 *   queue wins; otherwise the fallback queue; otherwise the job's own
 *   queueId; otherwise classification fails.
 *
 * exception policy:
 *   {"id":"ep-1", "name":"...", "rules":[
 *      {"id":"too-long",
 *       "trigger":{"kind":"waitTime","thresholdSeconds":120}
 *               | {"kind":"queueLength","threshold":20},
 *       "actions":[{"kind":"cancel","dispositionCode":"abandoned"}
 *                | {"kind":"reclassify","classificationPolicyId":"cp-2",
 *                   "labelsToUpsert":{"overflow":true}}
 *                | {"kind":"manualReclassify","queueId":"q2","priority":5,
 *                   "workerSelectors":[...]}]}]}
 *   A rule fires once per job (per queue it waits in). queueLength fires
 *   for a job joining the queue when the length, that job included, is
 *   above the threshold; waitTime fires that long after the enqueue time.
 *   Moves made by rules chain at most 8 deep in one call (a cycle in the
 *   configuration cannot loop).
 *
 * worker:
 *   {"id":"w-alice", "userId":"usr_...", "capacity":100,
 *    "channels":[{"channelId":"voice","capacityCostPerJob":100,"maxNumberOfJobs":1},
 *                {"channelId":"chat","capacityCostPerJob":30,"maxNumberOfJobs":3}],
 *    "labels":{"language":"en","skill":4,"senior":true}, "tags":{...},
 *    "queues":["sales","support"],
 *    "available":true, "unavailableReason":"lunch"}
 *
 * job:
 *   {"id":"job-1", "channelId":"voice", "queueId":"support"
 *      | "classificationPolicyId":"cp-topic",
 *    "priority":1, "labels":{...}, "tags":{...}, "notes":["..."],
 *    "requestedWorkerSelectors":[{"key":"language","operator":"equal",
 *                                 "value":"es","expiresAfterSeconds":30}],
 *    "matchingMode":{"kind":"queueAndMatch"}
 *                 | {"kind":"scheduleAndSuspend","scheduleAt":<ms>}
 *                 | {"kind":"suspend"}}
 *
 * Selector operators: equal, notEqual, lessThan, lessThanEqual, greaterThan,
 * greaterThanEqual. Ordering operators compare numbers (a worker label that
 * is absent or of another type does not match); equal/notEqual compare any
 * type (notEqual matches an absent label). A selector with
 * expiresAfterSeconds stops applying that long after the job was queued:
 * "Spanish speaker for 30 s, then anyone".
 *
 * ---- Semantics --------------------------------------------------------
 *
 * Job states: created -> pendingClassification -> queued -> offered?
 *   -> assigned -> completed -> closed; or cancelled, classificationFailed,
 *   waitingForActivation (scheduled), suspended. A job is "offered" while
 *   it has live offers.
 * Order within a queue: higher priority first, then earlier enqueue time.
 *   A worker serving several queues gets the best job across all of them.
 * Eligible worker: available; serves the queue; has free capacity for the
 *   job's channel (total capacity minus the cost of its assignments and of
 *   its live offers, and under the channel's maxNumberOfJobs); matches
 *   every live selector (unless the policy bypasses selectors); no live
 *   offer for this job; not declined it with a retry time still ahead.
 * Modes: longest-idle: lowest share of capacity in use, then longest idle
 *   (idle since the last assignment ended or availability began);
 *   round-robin: the next worker after the last one offered in this queue,
 *   in worker id order; serial: workerOrder top-down (workers not listed
 *   come after, by id); best-worker: highest score (lowest if
 *   descendingOrder is false), ties by longest idle. Default score with no
 *   rule: the number of the job's labels that the worker has with an equal
 *   value, plus 1 for each live selector matched.
 *   A job that moves on (an offer expired or declined) goes first to the
 *   eligible workers it was offered to fewer times, so it goes round
 *   everyone before coming back; alone, a worker may get it again.
 * Offers: up to maxConcurrentOffers live offers per job; when a job has
 *   fewer than minConcurrentOffers eligible workers it waits (unless none
 *   is needed: min 1). An offer expires offerExpiresAfterSeconds after it
 *   was issued; accept assigns the job and revokes its other offers;
 *   decline (optionally with retryAfterSeconds) frees the worker and the
 *   job is matched again. A worker whose N offers in a row expired is made
 *   unavailable with the policy's reason.
 * Wrap-up: complete moves the assignment to wrap-up (capacity still held);
 *   close releases it now, or at closeAt (timed wrap-up).
 * Reclassify (API or exception rule): in the same queue the job keeps its
 *   enqueue time (a priority bump keeps its wait); into another queue it
 *   starts anew there. workerSelectors replace all the job's selectors.
 *   Live offers are revoked first.
 * unassign: back to queued with the same enqueue time (optionally a
 *   priority bump), or suspended; resuming it later gives back that place
 *   (unless it was reclassified into another queue meanwhile).
 * Enqueue time on create: a job spec may give "enqueuedAt" (ms, not after
 *   now): the job takes its place in line as if queued then (a caller who
 *   left a queue and comes back keeps their place). Not in the API's job
 *   schema: the voice side uses it.
 *
 * ---- Why this worker --------------------------------------------------
 *
 * Each offer records an explanation (JSON): the mode, each candidate
 * considered with its score or idle time and whether it was chosen, the
 * selectors that applied and those that had expired, and the exception
 * rule that moved the job, if any. router_job_get() includes it.
 *
 * ---- Scoring webhook ---------------------------------------------------
 *
 * A best-worker policy whose scoringRule is a webhook (timeoutSeconds
 * 0.1..60, default 5; the engine ignores "secret", the server signs with
 * it) does not choose by itself: when a job needs a decision the engine
 * gathers the eligible candidates and calls the score handler with
 *   {"jobId","queueId","labels":{...},
 *    "candidates":[{"workerId","labels":{...}}]}
 * The job then waits for the answer (no other decision for it; other jobs
 * go on; the candidates are not reserved). router_scores_provided() with
 * {"workerId":score,...} re-checks each candidate's eligibility at that
 * moment and offers by score (descendingOrder honoured); a candidate
 * without a score gets the default score, and so do all when the scores
 * are NULL (the webhook failed) or no answer came within timeoutSeconds.
 * If nothing is eligible then, the job waits in its queue as usual; if
 * something triggered matching for it meanwhile, it is matched again.
 * A freed worker asks about at most one webhook-scored job per trigger;
 * candidates still free after an answer are matched again. Without a
 * score handler a webhook rule uses the default score. Pending requests
 * are not kept in job snapshots: after a restart the job is matched anew.
 * The offer's explanation says "scoredBy":"webhook" (and
 * "webhookFailed":true with default scores), each candidate's score with
 * its "scoreSource" ("webhook" or "default").
 *
 * ---- Details (as implemented) ------------------------------------------
 *
 * References are checked when set: a queue's policies, a worker's queues,
 * a classification policy's queues, an exception rule's queue/policy must
 * exist. For a cycle (queue -> exception policy -> classification policy
 * -> same queue) set the queue first without its exception policy, then
 * set it again with it. Deleting something still referenced is EBUSY.
 * Defaults: offerExpiresAfterSeconds 30; min/maxConcurrentOffers 1;
 * worker capacity 100, available false, maxNumberOfJobs capacity/cost;
 * job priority 1. Limits: 8 channels per worker, 64 selectors per job, 64
 * rules per exception policy. A scoring or priority expression that gives
 * no number counts as 0 (true as 1) / keeps the job's priority.
 *
 * Events, in the order they happen: a new job: jobReceived (data: the
 * spec), jobClassified (with a policy) or jobClassificationFailed,
 * jobQueued or jobWaitingForActivation (suspend emits nothing more), then
 * offerIssued. Accept: offerAccepted, jobAssigned, then offerRevoked for
 * the job's other offers (data.reason), then offers their workers get.
 * Close straight from assigned emits jobCompleted before jobClosed.
 * Workers: workerRegistered when created, workerUpdated when replaced or
 * their availability changes (data: available, reason), and
 * workerDeregistered when deleted; a worker made unavailable loses its
 * live offers (offerRevoked) and the jobs move on. Event data is only
 * valid during the handler: the engine reuses the objects (a handler that
 * takes a reference with json_incref keeps its own; the engine notices).
 * A job's state names "offered" while queued with live offers; a state
 * filter "queued" lists offered jobs too.
 */
#ifndef SB_ROUTER_ROUTER_H
#define SB_ROUTER_ROUTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct router;

enum router_event_type {
    ROUTER_JOB_RECEIVED,
    ROUTER_JOB_CLASSIFIED,
    ROUTER_JOB_CLASSIFICATION_FAILED,
    ROUTER_JOB_QUEUED,
    ROUTER_JOB_WAITING_FOR_ACTIVATION,
    ROUTER_OFFER_ISSUED,
    ROUTER_OFFER_ACCEPTED,
    ROUTER_OFFER_DECLINED,
    ROUTER_OFFER_EXPIRED,
    ROUTER_OFFER_REVOKED,
    ROUTER_JOB_ASSIGNED,
    ROUTER_JOB_UNASSIGNED,
    ROUTER_JOB_COMPLETED,
    ROUTER_JOB_CLOSED,
    ROUTER_JOB_CANCELLED,
    ROUTER_JOB_EXCEPTION_TRIGGERED,
    ROUTER_WORKER_REGISTERED,
    ROUTER_WORKER_DEREGISTERED,
    ROUTER_WORKER_UPDATED,
};

/* "jobReceived", "offerIssued", ... */
const char *router_event_name(enum router_event_type type);

struct router_event {
    enum router_event_type type;
    int64_t time;
    const char *job_id;    /* NULL for worker events */
    const char *worker_id; /* NULL when no worker is involved */
    const char *queue_id;
    const char *offer_id;
    const json_t *data; /* details: offer expiry, reason, explanation, ... */
};

typedef void(router_event_h)(const struct router_event *ev, void *arg);
/* Make a unique id with the given prefix ("offer", "asg") into out. */
typedef void(router_id_h)(char *out, size_t size, const char *prefix, void *arg);
/* Uniform random number in [0, 1) for weighted allocation. */
typedef double(router_random_h)(void *arg);

/* Ask for scores (a webhook scoring rule): request is the JSON described
 * under "Scoring webhook", valid only during the call (json_incref to
 * keep it). Answer later, with router_scores_provided() and the same
 * request_id; like the event handler it must not change the router. */
typedef void(router_score_h)(const char *request_id, const char *job_id, const json_t *request,
                             const char *url, void *arg);

struct router_opts {
    router_event_h *eventh;
    router_id_h *idh;         /* NULL: "offer-1", "offer-2", ... */
    router_random_h *randomh; /* NULL: a fixed-seed generator */
    router_score_h *scoreh;   /* NULL: webhook scoring rules use the default score */
    void *arg;
};

int router_alloc(struct router **rp, const struct router_opts *opts);
void router_free(struct router *r);

/* Errors: EINVAL (bad spec; *why says what), ENOENT (unknown id),
 * EEXIST (id taken, for create), EBUSY (object in use, e.g. deleting a
 * queue with jobs; or a job call in a state that does not allow it), EPERM (not this worker's
 * offer), ETIMEDOUT (offer expired), EALREADY (offer already answered / job already in that state),
 * ENOSPC (queue full). `why` may be NULL; else a static or router-owned
 * string valid until the next call. */

/* ---- configuration (create or replace) ---- */
int router_distribution_policy_set(struct router *r, const json_t *spec, int64_t now,
                                   const char **why);
int router_classification_policy_set(struct router *r, const json_t *spec, int64_t now,
                                     const char **why);
int router_exception_policy_set(struct router *r, const json_t *spec, int64_t now,
                                const char **why);
int router_queue_set(struct router *r, const json_t *spec, int64_t now, const char **why);
int router_worker_set(struct router *r, const json_t *spec, int64_t now, const char **why);

int router_distribution_policy_delete(struct router *r, const char *id, const char **why);
int router_classification_policy_delete(struct router *r, const char *id, const char **why);
int router_exception_policy_delete(struct router *r, const char *id, const char **why);
int router_queue_delete(struct router *r, const char *id, const char **why);
int router_worker_delete(struct router *r, const char *id, int64_t now, const char **why);

/* The object as set (spec) plus, for workers, its state:
 * {"...spec...", "state":"active|inactive", "load":{"capacityUsed":..,
 *  "channels":{"voice":{"jobs":1}}}, "idleSince":..,"offers":[..],
 *  "assignments":[..], "consecutiveExpiries":0}. New reference or NULL. */
json_t *router_distribution_policy_get(struct router *r, const char *id);
json_t *router_classification_policy_get(struct router *r, const char *id);
json_t *router_exception_policy_get(struct router *r, const char *id);
json_t *router_queue_get(struct router *r, const char *id);
json_t *router_worker_get(struct router *r, const char *id, int64_t now);
/* Ids of every object of a kind, sorted. New reference. */
json_t *router_list(struct router *r, const char *kind); /* "distributionPolicies", ... */

/* Put back what a worker's spec does not hold, after a restart: since when
 * it has been idle and how many offers in a row it let expire. ENOENT for
 * an unknown worker. No events, no matching. */
int router_worker_restore_state(struct router *r, const char *worker_id, int64_t idle_since,
                                unsigned expiries);
int router_worker_set_availability(struct router *r, const char *worker_id, bool available,
                                   const char *reason, int64_t now);

/* ---- jobs ---- */
int router_job_create(struct router *r, const json_t *spec, int64_t now, const char **why);
int router_job_cancel(struct router *r, const char *job_id, const char *disposition, int64_t now);
int router_job_complete(struct router *r, const char *job_id, int64_t now);
/* close_at 0: release now; later: timed wrap-up until then (the job stays
 * "completed" and jobClosed comes at close_at; closing again ends the
 * wrap-up early). Closing an assigned job completes it first. */
int router_job_close(struct router *r, const char *job_id, const char *disposition,
                     int64_t close_at, int64_t now);
int router_job_unassign(struct router *r, const char *job_id, bool suspend, int priority_bump,
                        int64_t now);
/* spec: {"queueId","priority","workerSelectors","labelsToUpsert",
 *        "classificationPolicyId"} (any subset). */
int router_job_reclassify(struct router *r, const char *job_id, const json_t *spec, int64_t now,
                          const char **why);
/* Activate a suspended (or scheduled, waitingForActivation) job now: into
 * its queue at the enqueue time it had (suspended by unassign), or now. */
int router_job_resume(struct router *r, const char *job_id, int64_t now);
/* Full state: spec + "state", "queueId", "priority", "enqueuedAt",
 * "position" (1-based, queued jobs), "estimatedWaitSeconds", "offers",
 * "assignment", "explanations", "attachedWorkerSelectors",
 * "exceptionsTriggered", "disposition", and for router_job_restore:
 * "createdAt", "sequence", "declines" ([{workerId, retryAt}]);
 * "requestedWorkerSelectors" and "labels" are the current ones. Offers
 * list the live ones, explanations every offer's. New reference or NULL. */
json_t *router_job_get(struct router *r, const char *job_id, int64_t now);
/* Job ids filtered by state/queue/worker (NULL: any), in queue order for
 * queued jobs (first, grouped by queue id), then the others by creation.
 * A worker filter matches its live offers and its current assignment.
 * New reference. */
json_t *router_job_list(struct router *r, const char *state, const char *queue_id,
                        const char *worker_id, int64_t now);
/* closed, cancelled or classificationFailed only (else EBUSY) */
int router_job_delete(struct router *r, const char *job_id);

/* ---- offers ---- */
/* worker_id NULL skips the "only the worker offered" check (managers).
 * Errors: ENOENT unknown offer, EPERM another worker's, ETIMEDOUT expired
 * (also when `now` is past its expiry), EALREADY accepted, declined or
 * revoked. *assignment_id is valid until the next call. Every mutating
 * call first processes what is due at `now`, as router_advance does. */
int router_offer_accept(struct router *r, const char *offer_id, const char *worker_id, int64_t now,
                        const char **assignment_id);
/* retry_after_seconds > 0: the worker is not offered this job again until
 * then (a deadline matches the job again at that time); 0: the job moves
 * on now and may come back to this worker later. */
int router_offer_decline(struct router *r, const char *offer_id, const char *worker_id,
                         int retry_after_seconds, int64_t now);

/* ---- time ---- */
/* Process everything due at `now`: offer expiries, selector expiries,
 * wait-time exception triggers, scheduled activations, wrap-up ends. */
void router_advance(struct router *r, int64_t now);
/* The next time something is due, or INT64_MAX. */
int64_t router_next_deadline(const struct router *r);

/* ---- scoring webhook ---- */
/* The answer to a score request: scores {"workerId":number,...}, or NULL
 * when the webhook failed (every candidate then gets the default score).
 * Offers are issued as usual. Errors: EALREADY when no request with this
 * id is pending (answered, timed out, or the job left its queue), EINVAL
 * when scores is neither an object nor NULL. */
int router_scores_provided(struct router *r, const char *request_id, const json_t *scores,
                           int64_t now);

/* ---- statistics ---- */
/* {"queueId","length","longestWaitSeconds","estimatedWaitSeconds",
 *  "availableWorkers","workers"}. New reference or NULL.
 * availableWorkers: serving workers available with room for some job;
 * workers: all serving. Estimated wait: position times the recent mean
 * gap between jobs leaving the queue for a worker (one departure seen:
 * its wait; none: null). */
json_t *router_queue_stats(struct router *r, const char *queue_id, int64_t now);

/* ---- recovery ---- */
/* Put back a job from a snapshot taken with router_job_get() before a
 * restart: queued jobs keep their enqueue time, assignments their worker,
 * offers still within their TTL stand (expired ones move on at the next
 * router_advance). Workers and policies must be set first. The snapshot's
 * "sequence" keeps the order among equal (priority, enqueue time).
 * Matching (and expiries already due) wait for the next router_advance, so
 * restore every job first; router_next_deadline() then says "now". Worker
 * state that is not in job snapshots (idle time, missed-offer count) comes
 * back with router_worker_restore_state(). Emits no events for the
 * restored state itself. */
int router_job_restore(struct router *r, const json_t *snapshot, int64_t now, const char **why);

#endif
