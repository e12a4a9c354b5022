/*
 * queue.c - queues: their settings, the order of their jobs (one skip list
 * per channel, see jobq.h), the set of serving workers who could take
 * work now, position and estimated wait, and statistics.
 *
 * Why one order per channel: a worker with room only for a chat must not
 * walk past every queued call to find one; a job's position in its queue
 * is the sum of its ranks over the channels' orders.
 */
#include "router/router_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct queue *queue_find(struct router *r, const char *id)
{
    return id ? rmap_get(r->queues, id) : NULL;
}

void queue_free(struct router *r, struct queue *q)
{
    (void)r;
    if (!q)
        return;
    for (unsigned i = 0; i < q->nlanes; i++)
        jobq_free(&q->lanes[i].order);
    free(q->lanes);
    free(q->open);
    for (unsigned i = 0; i < q->ncsets; i++) {
        free(q->csets[i].v);
        free(q->csets[i].w);
    }
    free(q->csets);
    json_decref(q->spec);
    free(q->id);
    free(q);
}

struct lane *queue_lane(struct queue *q, uint32_t chan, bool create)
{
    for (unsigned i = 0; i < q->nlanes; i++)
        if (q->lanes[i].chan == chan)
            return &q->lanes[i];
    if (!create)
        return NULL;
    struct lane *lanes = realloc(q->lanes, (q->nlanes + 1) * sizeof(*lanes));
    if (!lanes)
        abort();
    q->lanes = lanes;
    struct lane *l = &q->lanes[q->nlanes];
    l->chan = chan;
    if (jobq_init(&l->order))
        abort();
    q->nlanes++;
    return l;
}

void queue_insert(struct router *r, struct job *j)
{
    (void)r;
    struct lane *l = queue_lane(j->queue, j->chan, true);
    j->node->prio = j->priority;
    j->node->enq = j->enqueued_at;
    j->node->seq = j->seq;
    jobq_insert(&l->order, j->node);
    j->queue->length++;
    j->in_queue = true;
}

void queue_remove(struct router *r, struct job *j)
{
    (void)r;
    if (!j->in_queue)
        return;
    struct lane *l = queue_lane(j->queue, j->chan, false);
    jobq_remove(&l->order, j->node);
    j->queue->length--;
    j->in_queue = false;
}

unsigned queue_position(const struct job *j)
{
    if (!j->in_queue)
        return 0;
    unsigned before = 0;
    for (unsigned i = 0; i < j->queue->nlanes; i++)
        before += jobq_count_before(&j->queue->lanes[i].order, j->node);
    return before + 1;
}

/* The mean gap between jobs leaving the queue for a worker, times the
 * position, in seconds; with one departure seen, that job's wait; with
 * none, unknown (-1). */
double queue_estimated_wait(const struct queue *q, unsigned position)
{
    if (q->dequeues >= 2)
        return position * q->ewma_gap / 1000.0;
    if (q->dequeues == 1)
        return q->ewma_wait / 1000.0;
    return -1;
}

void queue_note_dequeue(struct queue *q, const struct job *j, int64_t now)
{
    double wait = (double)(now - j->enqueued_at);
    if (q->dequeues == 0) {
        q->ewma_wait = wait;
    } else {
        double gap = (double)(now - q->last_dequeue);
        q->ewma_gap = q->dequeues == 1 ? gap : 0.8 * q->ewma_gap + 0.2 * gap;
        q->ewma_wait = 0.8 * q->ewma_wait + 0.2 * wait;
    }
    q->last_dequeue = now;
    q->dequeues++;
}

void queue_open_add(struct wslot *s)
{
    struct queue *q = s->q;
    if (s->open_idx != UINT_MAX)
        return;
    if (q->nopen == q->open_cap) {
        unsigned cap = q->open_cap ? q->open_cap * 2 : 16;
        struct wslot **v = realloc(q->open, cap * sizeof(*v));
        if (!v)
            abort();
        q->open = v;
        q->open_cap = cap;
    }
    s->open_idx = q->nopen;
    q->open[q->nopen++] = s;
}

void queue_open_remove(struct wslot *s)
{
    struct queue *q = s->q;
    if (s->open_idx == UINT_MAX)
        return;
    struct wslot *last = q->open[--q->nopen];
    q->open[s->open_idx] = last;
    last->open_idx = s->open_idx;
    s->open_idx = UINT_MAX;
}

struct chanset *queue_chanset(struct queue *q, uint32_t chan, bool create)
{
    for (unsigned i = 0; i < q->ncsets; i++)
        if (q->csets[i].chan == chan)
            return &q->csets[i];
    if (!create)
        return NULL;
    struct chanset *v = realloc(q->csets, (q->ncsets + 1) * sizeof(*v));
    if (!v)
        abort();
    q->csets = v;
    q->csets[q->ncsets] = (struct chanset){.chan = chan};
    return &q->csets[q->ncsets++];
}

/* s joins cs as its worker's channel i (an index into w->chans). */
void chanset_add(struct chanset *cs, struct wslot *s, unsigned i)
{
    if (cs->n == cs->cap) {
        unsigned cap = cs->cap ? cs->cap * 2 : 16;
        struct wslot **v = realloc(cs->v, cap * sizeof(*v));
        struct worker **w = v ? realloc(cs->w, cap * sizeof(*w)) : NULL;
        if (v)
            cs->v = v;
        if (!w)
            abort();
        cs->w = w;
        cs->cap = cap;
    }
    s->cidx[i] = cs->n;
    cs->w[cs->n] = s->w;
    cs->v[cs->n++] = s;
}

void chanset_remove(struct chanset *cs, struct wslot *s, unsigned i)
{
    unsigned at = s->cidx[i];
    struct wslot *last = cs->v[--cs->n];
    cs->v[at] = last;
    cs->w[at] = last->w;
    /* the moved slot's worker may list this channel at another index */
    for (unsigned k = 0; k < last->w->nchans; k++)
        if (last->w->chans[k].chan == cs->chan)
            last->cidx[k] = at;
}

static int queue_parse(struct router *r, const json_t *spec, struct dpolicy **dp,
                       struct epolicy **ep, unsigned *max_length, const char *ctx)
{
    const char *dpid = json_string_value(json_object_get(spec, "distributionPolicyId"));
    const json_t *epj = json_object_get(spec, "exceptionPolicyId");
    if (!dpid)
        return bad(r, "%s: a \"distributionPolicyId\" is needed", ctx);
    *dp = dpolicy_find(r, dpid);
    if (!*dp)
        return bad(r, "%s: unknown distribution policy '%s'", ctx, dpid);
    *ep = NULL;
    if (epj && !json_is_null(epj)) {
        *ep = epolicy_find(r, json_string_value(epj));
        if (!*ep)
            return bad(r, "%s: unknown exception policy '%s'", ctx,
                       json_string_value(epj) ? json_string_value(epj) : "");
    }
    const json_t *ml = json_object_get(spec, "maxLength");
    *max_length = 0;
    if (ml && !json_is_null(ml)) {
        if (!json_is_integer(ml) || json_integer_value(ml) < 0)
            return bad(r, "%s: maxLength must be a non-negative integer", ctx);
        *max_length = (unsigned)json_integer_value(ml);
    }
    const json_t *labels = json_object_get(spec, "labels");
    if (labels && !json_is_null(labels) && !json_is_object(labels))
        return bad(r, "%s: labels must be an object", ctx);
    return 0;
}

/* A new exception policy changes when queued jobs' wait triggers fire. */
static void reschedule_waits(struct router *r, struct queue *q)
{
    for (unsigned i = 0; i < q->nlanes; i++)
        for (struct jobq_node *n = jobq_first(&q->lanes[i].order); n; n = jobq_next(n))
            exception_schedule_wait(r, n->item);
}

int router_queue_set(struct router *r, const json_t *spec, int64_t now, const char **why)
{
    router_sync(r, now);
    if (why)
        *why = r->why;
    const char *id = json_string_value(json_object_get(spec, "id"));
    if (!json_is_object(spec) || !id || !*id)
        return bad(r, "queue: an \"id\" is needed");
    char ctx[160];
    snprintf(ctx, sizeof(ctx), "queue '%.100s'", id);
    struct dpolicy *dp = NULL;
    struct epolicy *ep = NULL;
    unsigned max_length = 0;
    int err = queue_parse(r, spec, &dp, &ep, &max_length, ctx);
    if (err)
        return err;
    struct queue *q = queue_find(r, id);
    if (!q) {
        q = xcalloc(1, sizeof(*q));
        q->id = xstrdup(id);
        rmap_put(r->queues, q->id, q);
    }
    json_decref(q->spec);
    q->spec = json_deep_copy(spec);
    q->dp = dp;
    q->max_length = max_length;
    if (q->ep != ep) {
        q->ep = ep;
        reschedule_waits(r, q);
    }
    return 0;
}

json_t *router_queue_get(struct router *r, const char *id)
{
    struct queue *q = queue_find(r, id);
    return q ? json_deep_copy(q->spec) : NULL;
}

static bool cp_uses_queue(const struct cpolicy *cp, const char *id)
{
    if (cp->fallback && !strcmp(cp->fallback, id))
        return true;
    for (unsigned i = 0; i < cp->nqs; i++) {
        if (cp->qs[i].queue_id && !strcmp(cp->qs[i].queue_id, id))
            return true;
        for (unsigned k = 0; k < cp->qs[i].nallocs; k++)
            if (!strcmp(cp->qs[i].allocs[k].queue_id, id))
                return true;
    }
    return false;
}

static int queue_in_use(struct router *r, struct queue *q)
{
    for (struct job *j = r->first; j; j = j->next)
        if (j->queue == q && j->state != JS_CLOSED && j->state != JS_CANCELLED)
            return bad(r, "queue '%s' has jobs (e.g. '%s')", q->id, j->id);
    if (q->nworkers)
        return bad(r, "queue '%s' is served by %u workers", q->id, q->nworkers);
    size_t pos = 0;
    void *v;
    while (rmap_next(r->cps, &pos, NULL, &v))
        if (cp_uses_queue(v, q->id))
            return bad(r, "queue '%s' is used by classification policy '%s'", q->id,
                       ((struct cpolicy *)v)->id);
    return 0;
}

int router_queue_delete(struct router *r, const char *id, const char **why)
{
    if (why)
        *why = r->why;
    struct queue *q = queue_find(r, id);
    if (!q) {
        bad(r, "no queue '%s'", id ? id : "");
        return ENOENT;
    }
    if (queue_in_use(r, q))
        return EBUSY;
    for (struct job *j = r->first; j; j = j->next) {
        if (j->queue == q) {
            free(j->queue_id);
            j->queue_id = xstrdup(q->id);
            j->queue = NULL;
        }
    }
    rmap_del(r->queues, q->id);
    queue_free(r, q);
    return 0;
}

static int64_t oldest_enqueue(const struct queue *q)
{
    int64_t oldest = INT64_MAX;
    for (unsigned i = 0; i < q->nlanes; i++)
        for (struct jobq_node *n = jobq_first(&q->lanes[i].order); n; n = jobq_next(n))
            if (n->enq < oldest)
                oldest = n->enq;
    return oldest;
}

json_t *router_queue_stats(struct router *r, const char *queue_id, int64_t now)
{
    struct queue *q = queue_find(r, queue_id);
    if (!q)
        return NULL;
    int64_t oldest = oldest_enqueue(q);
    double est = queue_estimated_wait(q, q->length + 1);
    json_t *o = json_object();
    json_object_set_new(o, "queueId", json_string(q->id));
    json_object_set_new(o, "length", json_integer(q->length));
    json_object_set_new(o, "longestWaitSeconds",
                        json_real(oldest == INT64_MAX ? 0 : (now - oldest) / 1000.0));
    json_object_set_new(o, "estimatedWaitSeconds", est < 0 ? json_null() : json_real(est));
    json_object_set_new(o, "availableWorkers", json_integer(q->nopen));
    json_object_set_new(o, "workers", json_integer(q->nworkers));
    return o;
}
