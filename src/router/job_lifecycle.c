/*
 * job_lifecycle.c - the public job calls: create, cancel, complete, close
 * (now or timed wrap-up), unassign, reclassify, resume, delete.
 *
 * Every call first brings the router up to `now` (due expiries are
 * processed before the call acts), validates completely, and only then
 * changes state and emits events, so a refused call changes nothing.
 */
#include "router/router_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse_mode(struct router *r, struct job *j, const json_t *m, int *mode, const char *ctx)
{
    *mode = 0;
    if (!m || json_is_null(m))
        return 0;
    const char *kind = json_string_value(json_object_get(m, "kind"));
    if (kind && !strcmp(kind, "queueAndMatch"))
        return 0;
    if (kind && !strcmp(kind, "suspend")) {
        *mode = 2;
        return 0;
    }
    if (kind && !strcmp(kind, "scheduleAndSuspend")) {
        const json_t *at = json_object_get(m, "scheduleAt");
        if (!json_is_integer(at))
            return bad(r, "%s: scheduleAndSuspend needs scheduleAt (milliseconds)", ctx);
        j->schedule_at = json_integer_value(at);
        *mode = 1;
        return 0;
    }
    return bad(r, "%s: matchingMode kind must be queueAndMatch, scheduleAndSuspend or suspend",
               ctx);
}

/* The spec's fields the engine models; the rest is kept as is. */
struct jspec {
    const json_t *id, *chan, *queue, *cp, *prio, *labels, *sels, *enq;
    bool extra; /* members besides these */
};

/* Where a modeled member of the spec goes, or NULL: one compare per
 * key, not one per field. */
static inline const json_t **spec_slot(struct jspec *js, const char *key, size_t len)
{
    switch (key[0]) {
    case 'c':
        if (KEY_IS(key, len, "channelId"))
            return &js->chan;
        return KEY_IS(key, len, "classificationPolicyId") ? &js->cp : NULL;
    case 'q':
        return KEY_IS(key, len, "queueId") ? &js->queue : NULL;
    case 'p':
        return KEY_IS(key, len, "priority") ? &js->prio : NULL;
    case 'l':
        return KEY_IS(key, len, "labels") ? &js->labels : NULL;
    case 'r':
        return KEY_IS(key, len, "requestedWorkerSelectors") ? &js->sels : NULL;
    case 'i':
        return KEY_IS(key, len, "id") ? &js->id : NULL;
    case 'e':
        return KEY_IS(key, len, "enqueuedAt") ? &js->enq : NULL;
    default:
        return NULL;
    }
}

/* One pass over the spec (a lookup per field would hash every name). */
static void read_spec(const json_t *spec, struct jspec *js)
{
    memset(js, 0, sizeof(*js));
    const char *key;
    json_t *v;
    OBJECT_EACH(spec, it, key, v)
    {
        const json_t **slot = spec_slot(js, key, json_object_iter_key_len(it));
        if (slot)
            *slot = v;
        else
            js->extra = true;
    }
}

/* The members the engine does not model, kept as JSON (usually none). */
static void keep_extra(struct job *j, const json_t *spec, const struct jspec *js)
{
    struct jspec scratch;
    const char *key;
    json_t *v;
    if (!js->extra)
        return;
    OBJECT_EACH(spec, it, key, v)
    {
        if (spec_slot(&scratch, key, json_object_iter_key_len(it)))
            continue;
        if (!j->extra)
            j->extra = json_object();
        json_object_set_new(j->extra, key, json_deep_copy(v));
    }
}

/* What the spec's selectors and labels take in the job's block. */
static size_t spec_room(const struct jspec *js)
{
    return selectors_room(js->sels) + labels_room(js->labels, false);
}

static int apply_spec(struct router *r, struct job *j, const struct jspec *js, const char *ctx)
{
    const char *chan = json_string_value(js->chan);
    if (!chan || !*chan)
        return bad(r, "%s: a \"channelId\" is needed", ctx);
    j->chan = sym_intern_n(r, chan, json_string_length(js->chan));
    j->priority = 1;
    if (js->prio && !json_is_null(js->prio)) {
        if (!json_is_integer(js->prio) || json_integer_value(js->prio) > 1000000 ||
            json_integer_value(js->prio) < -1000000)
            return bad(r, "%s: priority must be an integer", ctx);
        j->priority = (int)json_integer_value(js->prio);
    }
    if (js->enq && !json_is_null(js->enq)) {
        /* A place in line kept from before (a caller coming back to the
         * queue they left): never later than now. */
        if (!json_is_integer(js->enq) || json_integer_value(js->enq) <= 0 ||
            json_integer_value(js->enq) > r->now)
            return bad(r, "%s: enqueuedAt must be a time (ms) no later than now", ctx);
        j->enqueued_at = json_integer_value(js->enq);
    }
    /* in the job's room when it has one (made by spec_room): the
     * selectors, then the labels */
    size_t sels = selectors_room(js->sels);
    char *room = j->room;
    int err = labels_parse_in(r, js->labels, false, &j->labels, ctx,
                              room && json_object_size(js->labels) ? room + sels : NULL);
    if (err)
        return err;
    return selectors_parse_in(r, js->sels, &j->requested, ctx, "requestedWorkerSelectors",
                              room && sels ? room : NULL);
}

/* Fill a job's fields from its spec (no references resolved). */
int job_parse_spec(struct router *r, struct job *j, const json_t *spec, const char *ctx)
{
    struct jspec js;
    read_spec(spec, &js);
    keep_extra(j, spec, &js);
    return apply_spec(r, j, &js, ctx);
}

/* Make the job known by id and last in creation order. */
void job_register(struct router *r, struct job *j)
{
    rmap_put_h(r->jobs, j->id, j, j->hash);
    j->registered = true;
    j->prev = r->last;
    if (r->last)
        r->last->next = j;
    else
        r->first = j;
    r->last = j;
}

/* Where the job goes: by its policy (result in *c) or its queueId. */
static int resolve_target(struct router *r, struct job *j, const struct jspec *js,
                          const struct cpolicy **cpp, struct classification *c, const char *ctx)
{
    const char *qid = json_string_value(js->queue);
    const char *cpid = json_string_value(js->cp);
    memset(c, 0, sizeof(*c));
    *cpp = NULL;
    if (!qid && !cpid)
        return bad(r, "%s: a \"queueId\" or a \"classificationPolicyId\" is needed", ctx);
    if (cpid) {
        *cpp = cpolicy_find(r, cpid);
        if (!*cpp)
            return bad(r, "%s: unknown classification policy '%s'", ctx, cpid);
        if (qid && !queue_find(r, qid))
            return bad(r, "%s: unknown queue '%s'", ctx, qid);
        j->cp_id = xstrdup(cpid);
        classify(r, *cpp, j, qid, c);
        return 0;
    }
    c->queue = queue_find(r, qid);
    if (!c->queue)
        return bad(r, "%s: unknown queue '%s'", ctx, qid);
    c->priority = j->priority;
    return 0;
}

static void start(struct router *r, struct job *j, const json_t *spec, const struct cpolicy *cp,
                  struct classification *c, int mode)
{
    job_register(r, j);
    j->state = cp ? JS_PENDING_CLASSIFICATION : JS_CREATED;
    emit(r, ROUTER_JOB_RECEIVED, j, NULL, NULL, NULL, json_incref((json_t *)spec));
    if (cp && !c->queue) {
        job_classification_failed(r, j, c->failure);
        return;
    }
    job_set_queue(j, c->queue);
    j->priority = c->priority;
    j->attached = c->attached;
    if (cp)
        emit(r, ROUTER_JOB_CLASSIFIED, j, NULL, NULL, NULL, job_classified_json(r, j));
    if (mode == 0) {
        job_enqueue(r, j, c->queue, j->enqueued_at ? j->enqueued_at : r->now, true);
    } else if (mode == 1 && j->schedule_at > r->now) {
        j->state = JS_WAITING;
        dl_set(r, &j->dl_act, j->schedule_at);
        json_t *data = json_object();
        json_object_set_new(data, "scheduleAt", json_integer(j->schedule_at));
        emit(r, ROUTER_JOB_WAITING_FOR_ACTIVATION, j, NULL, NULL, NULL, data);
    } else if (mode == 1) {
        job_enqueue(r, j, c->queue, j->enqueued_at ? j->enqueued_at : r->now, true); /* due */
    } else {
        j->state = JS_SUSPENDED;
    }
}

/* id checked to be given and new (see job_new_id). */
static int job_check_id(struct router *r, const char *id, const char *missing, const char **idp,
                        uint32_t *hash)
{
    if (!id || !*id)
        return bad(r, "%s", missing);
    *hash = rmap_hash(id); /* kept by the job, for its registration */
    if (rmap_get_h(r->jobs, id, *hash)) {
        bad(r, "job '%s' already exists", id);
        return EEXIST;
    }
    *idp = id;
    return 0;
}

int job_new_id(struct router *r, const json_t *spec, const char *missing, const char **idp,
               uint32_t *hash)
{
    const char *id = json_is_object(spec) ? json_string_value(json_object_get(spec, "id")) : NULL;
    return job_check_id(r, id, missing, idp, hash);
}

int router_job_create(struct router *r, const json_t *spec, int64_t now, const char **why)
{
    router_sync(r, now);
    if (why)
        *why = r->why;
    const char *id = NULL;
    uint32_t hash = 0;
    struct jspec js;
    read_spec(spec, &js); /* nothing for a spec that is not an object */
    int err = job_check_id(r, json_string_value(js.id), "job: an \"id\" is needed", &id, &hash);
    if (err)
        return err;
    char ctx[160];
    /* by hand: printf on every job was a measurable part of creating it */
    size_t idlen = strnlen(id, 100);
    memcpy(ctx, "job '", 5);
    memcpy(ctx + 5, id, idlen);
    memcpy(ctx + 5 + idlen, "'", 2);
    struct job *j = job_alloc(r, id, spec_room(&js));
    j->hash = hash;
    const struct cpolicy *cp = NULL;
    struct classification c = {0};
    int mode = 0;
    keep_extra(j, spec, &js);
    err = apply_spec(r, j, &js, ctx);
    err = err ? err : parse_mode(r, j, json_object_get(j->extra, "matchingMode"), &mode, ctx);
    err = err ? err : resolve_target(r, j, &js, &cp, &c, ctx);
    if (!err && mode == 0 && c.queue && c.queue->max_length &&
        c.queue->length >= c.queue->max_length) {
        bad(r, "queue '%s' is full (%u jobs)", c.queue->id, c.queue->length);
        err = ENOSPC;
    }
    if (err) {
        selset_free(&c.attached);
        job_free(r, j);
        return err;
    }
    start(r, j, spec, cp, &c, mode);
    return 0;
}

/* The error for a call on a job in the wrong state: EALREADY when it is
 * already where the call would take it, else EBUSY. */
static int wrong_state(struct router *r, const struct job *j, bool already)
{
    bad(r, "job '%s' is %s", j->id, job_state_name(j));
    return already ? EALREADY : EBUSY;
}

static bool is_over(const struct job *j)
{
    return j->state == JS_CLOSED || j->state == JS_CANCELLED;
}

int router_job_cancel(struct router *r, const char *job_id, const char *disposition, int64_t now)
{
    router_sync(r, now);
    struct job *j = job_find(r, job_id);
    if (!j)
        return ENOENT;
    if (is_over(j))
        return wrong_state(r, j, j->state == JS_CANCELLED);
    job_cancel_now(r, j, disposition);
    return 0;
}

static void emit_completed(struct router *r, struct job *j)
{
    struct assignment *a = j->asg;
    a->completed_at = r->now;
    j->state = JS_COMPLETED;
    json_t *data = evdata(r, EVD_COMPLETED);
    evdata_set(r, EVD_COMPLETED, "assignmentId", json_incref(assignment_id_json(a)));
    emit(r, ROUTER_JOB_COMPLETED, j, sym_name(r, a->worker), NULL, NULL, data);
}

int router_job_complete(struct router *r, const char *job_id, int64_t now)
{
    router_sync(r, now);
    struct job *j = job_find(r, job_id);
    if (!j)
        return ENOENT;
    if (j->state != JS_ASSIGNED)
        return wrong_state(r, j, j->state == JS_COMPLETED || j->state == JS_CLOSED);
    emit_completed(r, j);
    return 0;
}

static void close_now(struct router *r, struct job *j)
{
    struct assignment *a = j->asg;
    j->state = JS_CLOSED;
    json_t *data = evdata(r, EVD_CLOSED);
    evdata_set(r, EVD_CLOSED, "assignmentId", json_incref(assignment_id_json(a)));
    evdata_str(r, EVD_CLOSED, "dispositionCode", j->disposition);
    emit(r, ROUTER_JOB_CLOSED, j, sym_name(r, a->worker), NULL, NULL, data);
    struct worker *w = job_release_assignment(r, j);
    if (w)
        match_worker(r, w, TR_WORKER_FREED);
}

void job_close_due(struct router *r, struct assignment *a)
{
    if (a->job->state == JS_COMPLETED)
        close_now(r, a->job);
}

int router_job_close(struct router *r, const char *job_id, const char *disposition,
                     int64_t close_at, int64_t now)
{
    router_sync(r, now);
    struct job *j = job_find(r, job_id);
    if (!j)
        return ENOENT;
    if (j->state != JS_ASSIGNED && j->state != JS_COMPLETED)
        return wrong_state(r, j, j->state == JS_CLOSED);
    if (disposition)
        job_set_disposition(j, disposition);
    if (j->state == JS_ASSIGNED)
        emit_completed(r, j);
    if (close_at > now) {
        j->asg->close_at = close_at;
        dl_set(r, &j->asg->dl, close_at);
        return 0;
    }
    close_now(r, j);
    return 0;
}

int router_job_unassign(struct router *r, const char *job_id, bool suspend, int priority_bump,
                        int64_t now)
{
    router_sync(r, now);
    struct job *j = job_find(r, job_id);
    if (!j)
        return ENOENT;
    if (j->state != JS_ASSIGNED)
        return wrong_state(r, j, false);
    if (!j->queue) {
        bad(r, "job '%s' has no queue to return to", j->id);
        return EBUSY;
    }
    struct assignment *a = j->asg;
    struct worker *w = job_release_assignment(r, j);
    json_t *data = json_object();
    json_object_set_new(data, "assignmentId", json_string(a->id));
    json_object_set_new(data, "suspended", json_boolean(suspend));
    j->asg = NULL;
    j->priority += priority_bump;
    j->state = suspend ? JS_SUSPENDED : JS_QUEUED;
    emit(r, ROUTER_JOB_UNASSIGNED, j, sym_name(r, a->worker), NULL, NULL, data);
    assignment_free(r, a);
    if (!suspend)
        job_enqueue(r, j, j->queue, j->enqueued_at, true);
    if (w)
        match_worker(r, w, TR_WORKER_FREED);
    return 0;
}

int router_job_resume(struct router *r, const char *job_id, int64_t now)
{
    router_sync(r, now);
    struct job *j = job_find(r, job_id);
    if (!j)
        return ENOENT;
    if (j->state != JS_SUSPENDED && j->state != JS_WAITING)
        return wrong_state(r, j, j->state == JS_QUEUED);
    if (!j->queue) {
        bad(r, "job '%s' has no queue", j->id);
        return EBUSY;
    }
    job_activate(r, j);
    return 0;
}

int router_job_delete(struct router *r, const char *job_id)
{
    struct job *j = job_find(r, job_id);
    if (!j)
        return ENOENT;
    if (!is_over(j) && j->state != JS_CLASSIFICATION_FAILED)
        return wrong_state(r, j, false);
    job_free(r, j);
    return 0;
}

/* What a reclassify call asks for, checked before anything changes. */
struct retarget {
    struct queue *queue;
    const struct cpolicy *cp;
    bool has_prio, has_sels;
    int prio;
    struct selset sels;
    const json_t *labels;
};

static int parse_retarget(struct router *r, const json_t *spec, struct retarget *t)
{
    memset(t, 0, sizeof(*t));
    if (!json_is_object(spec))
        return bad(r, "reclassify: the body must be an object");
    const char *qid = json_string_value(json_object_get(spec, "queueId"));
    const char *cpid = json_string_value(json_object_get(spec, "classificationPolicyId"));
    if (qid && !(t->queue = queue_find(r, qid)))
        return bad(r, "reclassify: unknown queue '%s'", qid);
    if (cpid && !(t->cp = cpolicy_find(r, cpid)))
        return bad(r, "reclassify: unknown classification policy '%s'", cpid);
    const json_t *p = json_object_get(spec, "priority");
    if (p && !json_is_null(p)) {
        if (!json_is_integer(p))
            return bad(r, "reclassify: priority must be an integer");
        t->has_prio = true;
        t->prio = (int)json_integer_value(p);
    }
    t->labels = json_object_get(spec, "labelsToUpsert");
    if (t->labels && !json_is_null(t->labels) && !json_is_object(t->labels))
        return bad(r, "reclassify: labelsToUpsert must be an object");
    const json_t *ws = json_object_get(spec, "workerSelectors");
    if (ws && !json_is_null(ws)) {
        t->has_sels = true;
        return selectors_parse(r, ws, &t->sels, "reclassify", "workerSelectors");
    }
    return 0;
}

static bool reclassifiable(const struct job *j)
{
    return j->state == JS_QUEUED || j->state == JS_SUSPENDED || j->state == JS_WAITING ||
           j->state == JS_CLASSIFICATION_FAILED;
}

static void apply_retarget(struct router *r, struct job *j, struct retarget *t)
{
    struct queue *target = t->queue ? t->queue : j->queue;
    int prio = t->has_prio ? t->prio : j->priority;
    if (t->cp) {
        struct classification c;
        free(j->cp_id);
        j->cp_id = xstrdup(t->cp->id);
        if (classify(r, t->cp, j, target ? target->id : NULL, &c)) {
            job_classification_failed(r, j, c.failure);
            return;
        }
        selset_free(&j->attached);
        j->attached = c.attached;
        target = t->queue ? t->queue : c.queue;
        prio = t->has_prio ? t->prio : c.priority;
        emit(r, ROUTER_JOB_CLASSIFIED, j, NULL, target->id, NULL, job_classified_json(r, j));
    }
    if (t->has_sels) {
        selset_free(&j->requested);
        selset_free(&j->attached);
        j->requested = t->sels;
        t->sels = (struct selset){0};
    }
    if (j->state == JS_QUEUED || j->state == JS_CLASSIFICATION_FAILED) {
        job_move(r, j, target, prio);
    } else {
        if (target != j->queue)
            j->enqueued_at = 0; /* another queue: its place there starts when it is resumed */
        job_set_queue(j, target);
        j->priority = prio;
    }
}

int router_job_reclassify(struct router *r, const char *job_id, const json_t *spec, int64_t now,
                          const char **why)
{
    router_sync(r, now);
    if (why)
        *why = r->why;
    struct job *j = job_find(r, job_id);
    if (!j) {
        bad(r, "no job '%s'", job_id ? job_id : "");
        return ENOENT;
    }
    if (!reclassifiable(j))
        return wrong_state(r, j, false);
    struct retarget t;
    int err = parse_retarget(r, spec, &t);
    if (!err && !t.queue && !t.cp && !j->queue)
        err = bad(r, "reclassify: job '%s' has no queue; give a queueId or a policy", j->id);
    if (!err && t.queue && t.queue != j->queue && j->state != JS_SUSPENDED &&
        j->state != JS_WAITING && t.queue->max_length && t.queue->length >= t.queue->max_length) {
        bad(r, "queue '%s' is full (%u jobs)", t.queue->id, t.queue->length);
        err = ENOSPC;
    }
    if (!err && t.labels)
        err = job_upsert_labels(r, j, t.labels);
    if (!err)
        apply_retarget(r, j, &t);
    selset_free(&t.sels);
    return err;
}
