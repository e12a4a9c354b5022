/*
 * job_view.c - a job as JSON (router_job_get: spec plus live state,
 * position, estimated wait, offers, assignment, explanations) and job
 * listing with filters.
 *
 * The view is also the snapshot that router_job_restore() reads back
 * after a restart, so every field restore needs is here.
 */
#include "router/router_internal.h"

#include <stdlib.h>
#include <string.h>

static json_t *offer_json(const struct router *r, const struct offer *o)
{
    json_t *e = json_object();
    json_object_set_new(e, "offerId", json_string(o->id));
    json_object_set_new(e, "workerId", json_string(sym_name(r, o->worker)));
    json_object_set_new(e, "issuedAt", json_integer(o->issued_at));
    json_object_set_new(e, "expiresAt", json_integer(o->expires_at));
    return e;
}

static json_t *assignment_json(const struct router *r, const struct assignment *a)
{
    json_t *e = json_object();
    json_object_set_new(e, "assignmentId", json_string(a->id));
    json_object_set_new(e, "workerId", json_string(sym_name(r, a->worker)));
    json_object_set_new(e, "offerId", json_string(a->offer_id));
    json_object_set_new(e, "channelId", json_string(sym_name(r, a->chan)));
    json_object_set_new(e, "assignedAt", json_integer(a->assigned_at));
    if (a->completed_at)
        json_object_set_new(e, "completedAt", json_integer(a->completed_at));
    if (a->close_at)
        json_object_set_new(e, "closeAt", json_integer(a->close_at));
    if (a->released_at)
        json_object_set_new(e, "closedAt", json_integer(a->released_at));
    return e;
}

static json_t *declines_json(const struct router *r, const struct job *j)
{
    json_t *a = json_array();
    for (const struct decline *d = j->declines; d; d = d->next) {
        json_t *e = json_object();
        json_object_set_new(e, "workerId", json_string(sym_name(r, d->worker)));
        json_object_set_new(e, "retryAt", json_integer(d->retry_at));
        json_array_append_new(a, e);
    }
    return a;
}

static void queue_fields(struct router *r, const struct job *j, json_t *o)
{
    if (!j->in_queue)
        return;
    unsigned pos = queue_position(j);
    double est = queue_estimated_wait(j->queue, pos);
    json_object_set_new(o, "position", json_integer(pos));
    json_object_set_new(o, "estimatedWaitSeconds", est < 0 ? json_null() : json_real(est));
    (void)r;
}

json_t *job_view(struct router *r, struct job *j, int64_t now)
{
    (void)now;
    json_t *o = job_spec(r, j);
    json_object_set_new(o, "state", json_string(job_state_name(j)));
    const char *qname = job_queue_name(j);
    json_object_set_new(o, "queueId", qname ? json_string(qname) : json_null());
    json_object_set_new(o, "priority", json_integer(j->priority));
    json_object_set_new(o, "requestedWorkerSelectors", selset_json(r, &j->requested, 0));
    json_object_set_new(o, "attachedWorkerSelectors", selset_json(r, &j->attached, 0));
    json_object_set_new(o, "createdAt", json_integer(j->created_at));
    json_object_set_new(o, "sequence", json_integer((json_int_t)j->seq));
    if (j->enqueued_at)
        json_object_set_new(o, "enqueuedAt", json_integer(j->enqueued_at));
    if (j->state == JS_WAITING)
        json_object_set_new(o, "scheduleAt", json_integer(j->schedule_at));
    queue_fields(r, j, o);
    json_t *offers = json_array(), *expl = json_array();
    for (const struct offer *of = j->offers; of; of = of->j_next)
        json_array_insert_new(offers, 0, offer_json(r, of));
    json_t *old = json_object_get(o, "explanations");
    if (json_is_array(old)) /* from before a restart */
        json_array_extend(expl, old);
    for (const struct offer *of = j->hist; of; of = of->h_next)
        if (of->has_ex)
            json_array_append_new(expl, explain_json(r, of));
    json_object_set_new(o, "offers", offers);
    json_object_set_new(o, "explanations", expl);
    json_object_set_new(o, "assignment", j->asg ? assignment_json(r, j->asg) : json_null());
    json_object_set_new(o, "declines", declines_json(r, j));
    json_t *exc = j->exceptions ? j->exceptions : json_object_get(o, "exceptionsTriggered");
    json_object_set_new(o, "exceptionsTriggered", json_deep_copy(exc));
    if (!json_object_get(o, "exceptionsTriggered"))
        json_object_set_new(o, "exceptionsTriggered", json_array());
    json_object_set_new(o, "disposition",
                        j->disposition ? json_string(j->disposition) : json_null());
    return o;
}

json_t *router_job_get(struct router *r, const char *job_id, int64_t now)
{
    struct job *j = job_find(r, job_id);
    return j ? job_view(r, j, now) : NULL;
}

static bool job_has_worker(const struct router *r, const struct job *j, const char *worker_id)
{
    uint32_t sym = sym_find(r, worker_id);
    if (!sym)
        return false;
    for (const struct offer *o = j->offers; o; o = o->j_next)
        if (o->worker == sym)
            return true;
    return j->asg && j->asg->worker == sym && j->asg->w;
}

static bool state_matches(const struct job *j, const char *state)
{
    const char *name = job_state_name(j);
    if (!strcmp(name, state))
        return true;
    return !strcmp(state, "queued") && !strcmp(name, "offered"); /* offered is queued too */
}

static int cmp_listed(const void *a, const void *b)
{
    const struct job *x = *(const struct job *const *)a, *y = *(const struct job *const *)b;
    if (x->in_queue != y->in_queue)
        return x->in_queue ? -1 : 1;
    if (x->in_queue) {
        int c = strcmp(x->queue->id, y->queue->id);
        if (c)
            return c;
        if (jobq_before(x->node, y->node))
            return -1;
        if (jobq_before(y->node, x->node))
            return 1;
        return 0;
    }
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

json_t *router_job_list(struct router *r, const char *state, const char *queue_id,
                        const char *worker_id, int64_t now)
{
    (void)now;
    size_t n = 0, cap = 64;
    struct job **v = xcalloc(cap, sizeof(*v));
    for (struct job *j = r->first; j; j = j->next) {
        if (state && !state_matches(j, state))
            continue;
        if (queue_id && (!job_queue_name(j) || strcmp(job_queue_name(j), queue_id)))
            continue;
        if (worker_id && !job_has_worker(r, j, worker_id))
            continue;
        if (n == cap) {
            cap *= 2;
            struct job **nv = realloc(v, cap * sizeof(*v));
            if (!nv)
                abort();
            v = nv;
        }
        v[n++] = j;
    }
    qsort(v, n, sizeof(*v), cmp_listed);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, json_string(v[i]->id));
    free(v);
    return out;
}
