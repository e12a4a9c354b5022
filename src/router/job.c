/*
 * job.c - the job object and how it moves between queues: entering a
 * queue (events, exception triggers, matching), leaving it, moving to
 * another queue or priority, applying a classification, selector expiry,
 * labels, and freeing.
 *
 * The public lifecycle calls (create, cancel, complete, close, unassign,
 * reclassify, resume) are in job_lifecycle.c; the views in job_view.c.
 */
#include "router/router_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
    [JS_CREATED] = "created",
    [JS_PENDING_CLASSIFICATION] = "pendingClassification",
    [JS_QUEUED] = "queued",
    [JS_ASSIGNED] = "assigned",
    [JS_COMPLETED] = "completed",
    [JS_CLOSED] = "closed",
    [JS_CANCELLED] = "cancelled",
    [JS_CLASSIFICATION_FAILED] = "classificationFailed",
    [JS_WAITING] = "waitingForActivation",
    [JS_SUSPENDED] = "suspended",
};

struct job *job_find(struct router *r, const char *id)
{
    if (!id)
        return NULL;
    if (r->found && !strcmp(r->found->id, id))
        return r->found;
    struct job *j = rmap_get(r->jobs, id);
    if (j)
        r->found = j;
    return j;
}

const char *job_state_name(const struct job *j)
{
    if (j->state == JS_QUEUED && j->noffers)
        return "offered";
    return state_names[j->state];
}

unsigned job_nselectors(const struct job *j)
{
    return j->requested.n + j->attached.n;
}

struct selector *job_selector_at(const struct job *j, unsigned i)
{
    return i < j->requested.n ? &j->requested.v[i] : &j->attached.v[i - j->requested.n];
}

void job_set_queue(struct job *j, struct queue *q)
{
    if (j->queue != q)
        j->fired = 0; /* rules fire once per queue the job waits in */
    j->queue = q;
}

const char *job_queue_name(const struct job *j)
{
    return j->queue ? j->queue->id : j->queue_id;
}

/* One block for the job, its queue node, `room` bytes (8-aligned) for
 * what the caller keeps there (its labels and selectors) and its id: a
 * job's memory goes cold while it waits, and every separate piece is
 * another miss and another free. */
struct job *job_alloc(struct router *r, const char *id, size_t room)
{
    unsigned level = jobq_level(router_rand32(r));
    size_t node = jobq_node_size(level), idlen = strlen(id) + 1;
    room = (room + 7) & ~(size_t)7;
    struct job *j = xcalloc(1, sizeof(*j) + node + room + idlen);
    j->node = (struct jobq_node *)(j + 1);
    jobq_node_init(j->node, j, level);
    j->room = room ? (char *)j->node + node : NULL;
    j->id = (char *)j->node + node + room;
    memcpy(j->id, id, idlen);
    j->seq = ++r->seq;
    j->created_at = r->now;
    dl_init(&j->dl_sel, DL_JOB_SELECTOR);
    dl_init(&j->dl_wait, DL_JOB_WAIT);
    dl_init(&j->dl_act, DL_JOB_ACTIVATE);
    return j;
}

void job_free(struct router *r, struct job *j)
{
    if (r->found == j)
        r->found = NULL;
    if (j->registered) {
        if (j->prev)
            j->prev->next = j->next;
        else
            r->first = j->next;
        if (j->next)
            j->next->prev = j->prev;
        else
            r->last = j->prev;
        rmap_del_h(r->jobs, j->id, j->hash);
    }
    dl_clear(r, &j->dl_sel);
    dl_clear(r, &j->dl_wait);
    dl_clear(r, &j->dl_act);
    scoring_cancel(r, j);
    for (struct offer *o = j->hist, *next; o; o = next) {
        next = o->h_next;
        dl_clear(r, &o->dl);
        rmap_del(r->offers, o->id);
        offer_free(r, o);
    }
    decline_free_all(r, j);
    assignment_free(r, j->asg);
    labels_free(&j->labels);
    selset_free(&j->requested);
    selset_free(&j->attached);
    json_decref(j->extra);
    json_decref(j->labels_json);
    json_decref(j->exceptions);
    free(j->cp_id);
    free(j->queue_id);
    job_set_disposition(j, NULL);
    free(j->last_rule);
    free(j); /* with its node and id */
}

/* The next time one of the job's live selectors expires. */
void job_schedule_selectors(struct router *r, struct job *j)
{
    int64_t next = INT64_MAX;
    for (unsigned i = 0; j->in_queue && i < job_nselectors(j); i++) {
        const struct selector *s = job_selector_at(j, i);
        int64_t at = j->enqueued_at + s->expires_after;
        if (s->expires_after && at > r->now && at < next)
            next = at;
    }
    if (next == INT64_MAX)
        dl_clear(r, &j->dl_sel);
    else
        dl_set(r, &j->dl_sel, next);
}

void job_selectors_due(struct router *r, struct job *j)
{
    job_schedule_selectors(r, j);
    match_job(r, j, TR_SELECTOR_EXPIRED);
}

void job_enqueue(struct router *r, struct job *j, struct queue *q, int64_t enqueued_at,
                 bool emit_queued)
{
    job_set_queue(j, q);
    j->state = JS_QUEUED;
    j->enqueued_at = enqueued_at;
    queue_insert(r, j);
    job_schedule_selectors(r, j);
    if (emit_queued) {
        json_t *data = evdata(r, EVD_QUEUED);
        evdata_int(r, EVD_QUEUED, "priority", j->priority);
        evdata_int(r, EVD_QUEUED, "enqueuedAt", j->enqueued_at);
        emit(r, ROUTER_JOB_QUEUED, j, NULL, q->id, NULL, data);
    }
    exception_on_queued(r, j);
    if (j->state == JS_QUEUED && j->queue == q)
        match_job(r, j, TR_JOB_QUEUED);
}

void job_dequeue(struct router *r, struct job *j)
{
    queue_remove(r, j);
    dl_clear(r, &j->dl_sel);
    dl_clear(r, &j->dl_wait);
    scoring_cancel(r, j); /* scores asked for in this queue no longer apply */
}

/* Into queue q at a priority: same queue keeps the enqueue time (so a
 * priority bump does not cost the wait so far), another starts anew. */
void job_move(struct router *r, struct job *j, struct queue *q, int priority)
{
    bool same = j->queue == q && j->in_queue;
    int64_t enq = same ? j->enqueued_at : r->now;
    if (j->in_queue)
        job_dequeue(r, j);
    if (j->noffers)
        job_revoke_offers(r, j, "job reclassified");
    j->priority = priority;
    job_enqueue(r, j, q, enq, true);
}

json_t *job_classified_json(const struct router *r, const struct job *j)
{
    json_t *o = json_object();
    json_object_set_new(o, "queueId", json_string(j->queue ? j->queue->id : NULL));
    json_object_set_new(o, "priority", json_integer(j->priority));
    json_object_set_new(o, "attachedWorkerSelectors", selset_json(r, &j->attached, 0));
    return o;
}

void job_classification_failed(struct router *r, struct job *j, const char *reason)
{
    if (j->in_queue)
        job_dequeue(r, j);
    j->state = JS_CLASSIFICATION_FAILED;
    if (j->noffers)
        job_revoke_offers(r, j, "job reclassified");
    json_t *data = json_object();
    json_object_set_new(data, "reason", json_string(reason));
    emit(r, ROUTER_JOB_CLASSIFICATION_FAILED, j, NULL, NULL, NULL, data);
}

/* Run a classification policy on the job and apply it; with `enqueue`,
 * (re)queue the job where it says. */
int job_apply_classification(struct router *r, struct job *j, const struct cpolicy *cp,
                             const char *own_queue, bool enqueue)
{
    struct classification c;
    if (classify(r, cp, j, own_queue, &c)) {
        job_classification_failed(r, j, c.failure);
        return EINVAL;
    }
    selset_free(&j->attached);
    j->attached = c.attached;
    if (!enqueue) {
        job_set_queue(j, c.queue);
        j->priority = c.priority;
        emit(r, ROUTER_JOB_CLASSIFIED, j, NULL, NULL, NULL, job_classified_json(r, j));
        return 0;
    }
    /* Announce the target, then move (the move's events follow). */
    struct queue *old = j->queue;
    int old_prio = j->priority;
    j->queue = c.queue;
    j->priority = c.priority;
    emit(r, ROUTER_JOB_CLASSIFIED, j, NULL, c.queue->id, NULL, job_classified_json(r, j));
    j->queue = old;
    j->priority = old_prio;
    if (j->state == JS_CLASSIFICATION_FAILED || j->state == JS_PENDING_CLASSIFICATION ||
        !j->in_queue)
        j->queue = NULL;
    job_move(r, j, c.queue, c.priority);
    return 0;
}

/* The spec as given (modeled fields rebuilt, the rest as kept). */
json_t *job_spec(const struct router *r, const struct job *j)
{
    json_t *o = j->extra ? json_deep_copy(j->extra) : json_object();
    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(o, "channelId", json_string(sym_name(r, j->chan)));
    if (j->cp_id)
        json_object_set_new(o, "classificationPolicyId", json_string(j->cp_id));
    json_object_set_new(
        o, "labels", j->labels_json ? json_deep_copy(j->labels_json) : labels_json(r, &j->labels));
    return o;
}

static json_t *current_labels(const struct router *r, const struct job *j)
{
    return j->labels_json ? json_deep_copy(j->labels_json) : labels_json(r, &j->labels);
}

int job_upsert_labels(struct router *r, struct job *j, const json_t *labels)
{
    if (!json_is_object(labels))
        return 0;
    json_t *merged = current_labels(r, j);
    json_object_update(merged, (json_t *)labels);
    struct labels parsed;
    int err = labels_parse(r, merged, false, &parsed, "labelsToUpsert");
    if (err) {
        json_decref(merged);
        return err;
    }
    labels_free(&j->labels);
    json_decref(j->labels_json);
    j->labels = parsed;
    j->labels_json = merged;
    return 0;
}

void job_activate(struct router *r, struct job *j)
{
    if (j->state != JS_WAITING && j->state != JS_SUSPENDED)
        return;
    dl_clear(r, &j->dl_act);
    /* A job that waited in this queue before (unassigned and suspended)
     * gets its place back; a new one starts now. */
    job_enqueue(r, j, j->queue, j->enqueued_at ? j->enqueued_at : r->now, true);
}

/* Release the job's assignment: capacity back to the worker, who is
 * idle from now. The caller matches the worker again when it is done. */
struct worker *job_release_assignment(struct router *r, struct job *j)
{
    struct assignment *a = j->asg;
    struct worker *w = a ? a->w : NULL;
    if (!w)
        return NULL;
    dl_clear(r, &a->dl);
    if (a->prev)
        a->prev->next = a->next;
    else
        w->asgs = a->next;
    if (a->next)
        a->next->prev = a->prev;
    a->next = a->prev = NULL;
    a->w = NULL;
    a->released_at = r->now;
    w->idle_since = r->now;
    worker_release(r, w, a->chan, a->cost);
    return w;
}

void job_set_disposition(struct job *j, const char *disposition)
{
    if (disposition && disposition == j->disposition)
        return;
    if (j->disposition != j->disp_short)
        free(j->disposition);
    j->disposition = NULL;
    if (!disposition)
        return;
    size_t n = strlen(disposition);
    if (n < sizeof(j->disp_short)) { /* no allocation for the common codes */
        memcpy(j->disp_short, disposition, n + 1);
        j->disposition = j->disp_short;
    } else {
        j->disposition = xstrdup(disposition);
    }
}

void job_cancel_now(struct router *r, struct job *j, const char *disposition)
{
    if (j->in_queue)
        job_dequeue(r, j);
    dl_clear(r, &j->dl_act);
    j->state = JS_CANCELLED;
    job_set_disposition(j, disposition);
    json_t *data = json_object();
    if (disposition)
        json_object_set_new(data, "dispositionCode", json_string(disposition));
    emit(r, ROUTER_JOB_CANCELLED, j, NULL, NULL, NULL, data);
    job_revoke_offers(r, j, "job cancelled");
    struct worker *w = job_release_assignment(r, j);
    if (w)
        match_worker(r, w, TR_WORKER_FREED);
}
