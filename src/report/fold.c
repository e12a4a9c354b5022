/*
 * fold.c - the fold's router side: jobs (one per contact in a queue) and
 * agents' states, with the live view built from them (see report.h and
 * docs/reporting.md for each figure's definition).
 */
#include "report/fold_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const agent_state_names[AS_COUNT] = {"available", "busy", "wrapUp", "unavailable"};

char *fold_strdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort(); /* the fold has no partial-failure paths for tiny strings */
    return d;
}

void fold_set(char **slot, const char *s)
{
    free(*slot);
    *slot = s ? fold_strdup(s) : NULL;
}

const char *ev_str(const struct event *e, const char *key)
{
    return json_string_value(json_object_get(e->data, key));
}

void fold_emit(struct report_fold *f, int64_t bucket, const char *scope, const char *id,
               const char *chan, const char *figure, int64_t value)
{
    if (!f->emitting || !f->o.inch)
        return;
    struct report_inc inc = {bucket, scope, id ? id : "", chan ? chan : "", figure, value};
    f->o.inch(&inc, f->o.arg);
}

void fold_emit_bin(struct report_fold *f, int64_t bucket, const char *scope, const char *id,
                   const char *chan, const char *prefix, int64_t wait_ms)
{
    char fig[48];
    size_t i = 0;
    while (i < report_sl_count && wait_ms > report_sl_thresholds[i] * 1000LL)
        i++;
    if (i < report_sl_count)
        snprintf(fig, sizeof(fig), "%sBin.%d", prefix, report_sl_thresholds[i]);
    else
        snprintf(fig, sizeof(fig), "%sBin.over", prefix);
    fold_emit(f, bucket, scope, id, chan, fig, 1);
}

/* ---- agents ---- */

static struct ragent *agent_get(struct report_fold *f, const char *id, int64_t now)
{
    struct ragent *a = rmap_get(f->agents, id);
    if (a)
        return a;
    a = calloc(1, sizeof(*a));
    if (!a)
        abort();
    a->id = fold_strdup(id);
    a->state = AS_UNAVAILABLE;
    a->since = a->accrued = now;
    rmap_put(f->agents, a->id, a);
    return a;
}

static void agent_free(struct ragent *a)
{
    free(a->id);
    free(a->user);
    free(a);
}

/* Count the time in its state not counted yet, bucket by bucket. How
 * long it has been in the state (a->since) is another matter: counting
 * (every second, for the sums) does not start the state again. */
static void agent_accrue(struct report_fold *f, struct ragent *a, int64_t now)
{
    char fig[32];
    snprintf(fig, sizeof(fig), "stateMs.%s", agent_state_names[a->state]);
    int64_t t = a->accrued;
    while (t < now) {
        int64_t b = report_bucket(t), end = b + REPORT_BUCKET_MS;
        if (end > now)
            end = now;
        fold_emit(f, b, "agent", a->id, "", fig, end - t);
        t = end;
    }
    if (now > a->accrued)
        a->accrued = now;
}

static void agent_update(struct report_fold *f, struct ragent *a, int64_t now)
{
    enum agent_state s = a->active > 0  ? AS_BUSY
                         : a->wrap > 0  ? AS_WRAP_UP
                         : a->available ? AS_AVAILABLE
                                        : AS_UNAVAILABLE;
    if (s == a->state)
        return;
    agent_accrue(f, a, now);
    a->state = s;
    a->since = now;
}

void report_fold_advance(struct report_fold *f, int64_t now)
{
    size_t pos = 0;
    const char *key;
    void *v;
    while (rmap_next(f->agents, &pos, &key, &v))
        agent_accrue(f, v, now);
}

void report_fold_clamp_since(struct report_fold *f, int64_t t)
{
    size_t pos = 0;
    const char *key;
    void *v;
    while (rmap_next(f->agents, &pos, &key, &v)) {
        struct ragent *a = v;
        if (a->since < t)
            a->since = t;
        if (a->accrued < t)
            a->accrued = t;
    }
}

static void worker_event(struct report_fold *f, const struct event *e, const char *worker)
{
    struct ragent *a = agent_get(f, worker, e->time);
    const char *user = ev_str(e, "workerUserId");
    if (user && (!a->user || strcmp(a->user, user) != 0)) {
        if (a->user && rmap_get(f->users, a->user) == a)
            rmap_del(f->users, a->user);
        fold_set(&a->user, user);
        rmap_put(f->users, a->user, a);
    }
    if (strcmp(e->type, "workerDeregistered") == 0) {
        a->available = false;
        agent_update(f, a, e->time);
        agent_accrue(f, a, e->time);
        if (a->user && rmap_get(f->users, a->user) == a)
            rmap_del(f->users, a->user);
        rmap_del(f->agents, a->id);
        agent_free(a);
        return;
    }
    json_t *av = json_object_get(e->data, "available");
    if (json_is_boolean(av)) {
        a->available = json_is_true(av);
        agent_update(f, a, e->time);
    }
}

/* ---- queues and jobs ---- */

static struct rqueue *queue_get(struct report_fold *f, const char *id, const char *chan)
{
    char key[200];
    snprintf(key, sizeof(key), "%s\n%s", id, chan);
    struct rqueue *q = rmap_get(f->queues, key);
    if (q)
        return q;
    q = calloc(1, sizeof(*q));
    if (!q)
        abort();
    q->key = fold_strdup(key);
    q->id = fold_strdup(id);
    q->chan = chan;
    rmap_put(f->queues, q->key, q);
    return q;
}

static void wait_start(struct rjob *j)
{
    if (j->waiting || !j->q)
        return;
    j->waiting = true;
    j->q->waiting++;
    j->prev = j->q->tail;
    j->next = NULL;
    if (j->q->tail)
        j->q->tail->next = j;
    else
        j->q->head = j;
    j->q->tail = j;
}

static void wait_end(struct rjob *j)
{
    if (!j->waiting)
        return;
    j->waiting = false;
    j->q->waiting--;
    if (j->prev)
        j->prev->next = j->next;
    else
        j->q->head = j->next;
    if (j->next)
        j->next->prev = j->prev;
    else
        j->q->tail = j->prev;
    j->prev = j->next = NULL;
}

static void job_destroy(struct rjob *j)
{
    wait_end(j);
    free(j->id);
    free(j->call);
    free(j->worker);
    free(j);
}

static void job_free(struct report_fold *f, struct rjob *j)
{
    rmap_del(f->jobs, j->id);
    job_destroy(j);
}

static const char *channel_of(const char *channel_id)
{
    return channel_id && strcmp(channel_id, "voice") == 0 ? "voice" : "chat";
}

static void job_received(struct report_fold *f, const struct event *e, const char *id)
{
    if (rmap_get(f->jobs, id))
        return;
    struct rjob *j = calloc(1, sizeof(*j));
    if (!j)
        abort();
    j->id = fold_strdup(id);
    j->chan = channel_of(ev_str(e, "channelId"));
    const char *call =
        json_string_value(json_object_get(json_object_get(e->data, "labels"), "callId"));
    if (call)
        j->call = fold_strdup(call);
    rmap_put(f->jobs, j->id, j);
}

static void job_queued(struct report_fold *f, const struct event *e, struct rjob *j)
{
    if (!j->q) { /* the first queue: the contact is counted there */
        const char *queue = ev_str(e, "queueId");
        if (!queue)
            return;
        j->q = queue_get(f, queue, j->chan);
        j->enq = e->time;
        j->bucket = report_bucket(e->time);
        fold_emit(f, j->bucket, "queue", j->q->id, j->chan, "offered", 1);
    }
    if (!j->answered || !j->worker)
        wait_start(j);
}

static void emit_wait(struct report_fold *f, struct rjob *j, const char *sum, int64_t wait)
{
    fold_emit(f, j->bucket, "queue", j->q->id, j->chan, sum, wait);
    fold_emit(f, j->bucket, "queue", j->q->id, j->chan, "maxWaitMs", wait);
}

static void job_assigned(struct report_fold *f, const struct event *e, struct rjob *j,
                         const char *worker)
{
    wait_end(j);
    fold_set(&j->worker, worker);
    j->assigned = e->time;
    j->completed = 0;
    struct ragent *a = agent_get(f, worker, e->time);
    a->active++;
    agent_update(f, a, e->time);
    fold_emit(f, report_bucket(e->time), "agent", worker, "", "answered", 1);
    if (j->answered || !j->q)
        return;
    j->answered = true;
    int64_t wait = e->time - j->enq;
    fold_emit(f, j->bucket, "queue", j->q->id, j->chan, "answered", 1);
    emit_wait(f, j, "answerWaitMs", wait);
    fold_emit_bin(f, j->bucket, "queue", j->q->id, j->chan, "answered", wait);
}

static void job_completed(struct report_fold *f, const struct event *e, struct rjob *j)
{
    if (!j->worker || j->completed)
        return;
    j->completed = e->time;
    struct ragent *a = agent_get(f, j->worker, e->time);
    a->active--;
    a->wrap++;
    agent_update(f, a, e->time);
}

/* The worker no longer holds the job (closed, unassigned, cancelled). */
static void job_released(struct report_fold *f, const struct event *e, struct rjob *j)
{
    if (!j->worker)
        return;
    struct ragent *a = agent_get(f, j->worker, e->time);
    if (j->completed)
        a->wrap--;
    else
        a->active--;
    agent_update(f, a, e->time);
}

static void job_closed(struct report_fold *f, const struct event *e, struct rjob *j)
{
    if (!j->worker)
        return;
    job_completed(f, e, j);
    int64_t talk = j->completed - j->assigned, wrap = e->time - j->completed;
    int64_t ab = report_bucket(e->time);
    const char *disposition = ev_str(e, "dispositionCode");
    bool transferred = disposition && strcmp(disposition, "transferred") == 0;
    fold_emit(f, ab, "agent", j->worker, "", "handled", 1);
    fold_emit(f, ab, "agent", j->worker, "", "talkMs", talk);
    fold_emit(f, ab, "agent", j->worker, "", "wrapMs", wrap);
    if (j->q && j->answered) {
        fold_emit(f, j->bucket, "queue", j->q->id, j->chan, "handled", 1);
        fold_emit(f, j->bucket, "queue", j->q->id, j->chan, "talkMs", talk);
        fold_emit(f, j->bucket, "queue", j->q->id, j->chan, "wrapMs", wrap);
        if (transferred)
            fold_emit(f, j->bucket, "queue", j->q->id, j->chan, "transfers", 1);
    }
    job_released(f, e, j);
    job_free(f, j);
}

/* Dispositions of jobs that ended unanswered through no choice of the
 * consumer's: a callback that could not reach them or was cancelled
 * (counted under callbacks), a waiting call the server's restart cut off. */
static bool ended_other(const char *d)
{
    return d && (strcmp(d, "serverRestarted") == 0 || strcmp(d, "callbackFailed") == 0 ||
                 strcmp(d, "callbackCancelled") == 0);
}

/* A job that ended without being answered: abandoned, or redirected by
 * the call queue's timeout or no-agents rule, or transferred; or ended
 * for another reason (ended_other: counted apart, its wait left out). */
static void job_cancelled(struct report_fold *f, const struct event *e, struct rjob *j)
{
    job_released(f, e, j);
    if (j->q && !j->answered) {
        const char *d = ev_str(e, "dispositionCode");
        int64_t wait = e->time - j->enq;
        if (ended_other(d)) {
            fold_emit(f, j->bucket, "queue", j->q->id, j->chan, "endedOther", 1);
            job_free(f, j);
            return;
        }
        const char *fig = "abandoned", *sum = "abandonWaitMs";
        if (d && strcmp(d, "timeout") == 0)
            fig = "redirectedTimeout", sum = "redirectWaitMs";
        else if (d && strcmp(d, "noAgents") == 0)
            fig = "redirectedNoAgents", sum = "redirectWaitMs";
        else if (d && strcmp(d, "overflow") == 0)
            fig = "redirectedOverflow", sum = "redirectWaitMs";
        else if (d && strcmp(d, "transferred") == 0)
            fig = "transferredWaiting", sum = "redirectWaitMs";
        fold_emit(f, j->bucket, "queue", j->q->id, j->chan, fig, 1);
        emit_wait(f, j, sum, wait);
        if (strcmp(fig, "abandoned") == 0) {
            fold_emit(f, j->bucket, "queue", j->q->id, j->chan, "maxAbandonWaitMs", wait);
            fold_emit_bin(f, j->bucket, "queue", j->q->id, j->chan, "abandoned", wait);
        }
    }
    job_free(f, j);
}

static void offer_event(struct report_fold *f, const struct event *e, const char *worker)
{
    const char *fig = strcmp(e->type, "offerIssued") == 0     ? "offers"
                      : strcmp(e->type, "offerDeclined") == 0 ? "declined"
                      : strcmp(e->type, "offerExpired") == 0  ? "expired"
                                                              : NULL;
    if (fig)
        fold_emit(f, report_bucket(e->time), "agent", worker, "", fig, 1);
}

void fold_router(struct report_fold *f, const struct event *e)
{
    const char *job = ev_str(e, "jobId"), *worker = ev_str(e, "workerId");
    if (!job) {
        if (worker && strncmp(e->type, "worker", 6) == 0)
            worker_event(f, e, worker);
        return;
    }
    if (worker && ev_str(e, "workerUserId"))
        worker_event(f, e, worker); /* learns the user of a worker */
    if (strcmp(e->type, "jobReceived") == 0) {
        job_received(f, e, job);
        return;
    }
    struct rjob *j = rmap_get(f->jobs, job);
    if (!j)
        return;
    const char *t = e->type;
    if (strcmp(t, "jobQueued") == 0)
        job_queued(f, e, j);
    else if (strcmp(t, "jobAssigned") == 0 && worker)
        job_assigned(f, e, j, worker);
    else if (strcmp(t, "jobCompleted") == 0)
        job_completed(f, e, j);
    else if (strcmp(t, "jobClosed") == 0)
        job_closed(f, e, j);
    else if (strcmp(t, "jobUnassigned") == 0) {
        job_released(f, e, j);
        fold_set(&j->worker, NULL);
        j->completed = 0;
    } else if (strcmp(t, "jobCancelled") == 0 || strcmp(t, "jobClassificationFailed") == 0)
        job_cancelled(f, e, j);
    else if (strncmp(t, "offer", 5) == 0 && worker)
        offer_event(f, e, worker);
}

/* ---- the fold object ---- */

int report_fold_alloc(struct report_fold **fp, const struct report_fold_opts *opts)
{
    struct report_fold *f = calloc(1, sizeof(*f));
    if (!f)
        return ENOMEM;
    f->o = *opts;
    f->emitting = true;
    int err = rmap_alloc(&f->jobs, 1024) | rmap_alloc(&f->queues, 64) |
              rmap_alloc(&f->agents, 256) | rmap_alloc(&f->users, 256) |
              rmap_alloc(&f->calls, 1024) | rmap_alloc(&f->threads, 1024);
    if (err) {
        report_fold_free(f);
        return ENOMEM;
    }
    *fp = f;
    return 0;
}

void report_fold_free(struct report_fold *f)
{
    if (!f)
        return;
    size_t pos = 0;
    const char *key;
    void *v;
    while (f->jobs && rmap_next(f->jobs, &pos, &key, &v))
        job_destroy(v);
    pos = 0;
    while (f->queues && rmap_next(f->queues, &pos, &key, &v)) {
        struct rqueue *q = v;
        free(q->id);
        free(q->key);
        free(q);
    }
    pos = 0;
    while (f->agents && rmap_next(f->agents, &pos, &key, &v))
        agent_free(v);
    fold_contacts_free(f);
    rmap_free(f->jobs);
    rmap_free(f->queues);
    rmap_free(f->agents);
    rmap_free(f->users);
    rmap_free(f->calls);
    rmap_free(f->threads);
    free(f);
}

void report_fold_set_hours(struct report_fold *f, const struct schedule *hours)
{
    f->o.hours = hours;
}

void report_fold_set_emitting(struct report_fold *f, bool on)
{
    f->emitting = on;
}

void report_fold_event(struct report_fold *f, const struct event *e)
{
    if (strcmp(e->topic, "router") == 0)
        fold_router(f, e);
    else if (strcmp(e->topic, "calls") == 0)
        fold_calls(f, e);
    else if (strcmp(e->topic, "chat") == 0)
        fold_chat(f, e);
    else if (strcmp(e->topic, "reports") == 0 && strcmp(e->type, "surveyAnswered") == 0)
        fold_survey(f, e);
}

void report_fold_worker(struct report_fold *f, const char *worker, const char *user, bool available,
                        int64_t now)
{
    struct ragent *a = agent_get(f, worker, now);
    if (user && !a->user) {
        a->user = fold_strdup(user);
        rmap_put(f->users, a->user, a);
    }
    a->available = available;
    agent_update(f, a, now);
}

const char *report_fold_worker_of(const struct report_fold *f, const char *user_id)
{
    const struct ragent *a = user_id ? rmap_get(f->users, user_id) : NULL;
    return a ? a->id : NULL;
}

/* ---- live ---- */

json_t *report_fold_live(const struct report_fold *f, int64_t now)
{
    json_t *queues = json_array(), *agents = json_array(), *by = json_object();
    size_t pos = 0;
    const char *key;
    void *v;
    while (rmap_next(f->queues, &pos, &key, &v)) {
        const struct rqueue *q = v;
        int64_t longest = 0;
        for (const struct rjob *j = q->head; j; j = j->next) /* requeued jobs keep their time */
            if (now - j->enq > longest)
                longest = now - j->enq;
        json_array_append_new(queues, json_pack("{s:s, s:s, s:i, s:f}", "queueId", q->id, "channel",
                                                q->chan, "waiting", (int)q->waiting,
                                                "longestWaitSeconds", longest / 1000.0));
    }
    int counts[AS_COUNT] = {0};
    pos = 0;
    while (rmap_next(f->agents, &pos, &key, &v)) {
        const struct ragent *a = v;
        counts[a->state]++;
        json_array_append_new(agents,
                              json_pack("{s:s, s:s?, s:s, s:f}", "workerId", a->id, "userId",
                                        a->user, "state", agent_state_names[a->state],
                                        "sinceSeconds", (now - a->since) / 1000.0));
    }
    for (int s = 0; s < AS_COUNT; s++)
        json_object_set_new(by, agent_state_names[s], json_integer(counts[s]));
    return json_pack("{s:o, s:o, s:o}", "queues", queues, "agents", agents, "agentsByState", by);
}
