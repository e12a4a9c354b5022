/*
 * restore.c - putting jobs back after a restart from the snapshots that
 * router_job_get() gave before it.
 *
 * Nothing is emitted for the restored state: queued jobs go back into
 * their queue with their enqueue time and sequence (so the order is
 * exactly the old one), offers with their ids and expiry (expired ones
 * are due at once and move on at the next router_advance), assignments
 * with their worker's capacity. Matching is deferred to one pass at the
 * next router_advance, so restoring job after job never hands a worker a
 * lesser job before a better one is back.
 */
#include "router/router_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const view_only[] = {
    "state",
    "position",
    "estimatedWaitSeconds",
    "offers",
    "assignment",
    "declines",
    "disposition",
    "attachedWorkerSelectors",
    "createdAt",
    "enqueuedAt",
    "sequence",
    "scheduleAt",
    NULL,
};

static const struct {
    const char *name;
    enum job_state state;
} states[] = {
    {"queued", JS_QUEUED},
    {"offered", JS_QUEUED},
    {"assigned", JS_ASSIGNED},
    {"completed", JS_COMPLETED},
    {"closed", JS_CLOSED},
    {"cancelled", JS_CANCELLED},
    {"suspended", JS_SUSPENDED},
    {"waitingForActivation", JS_WAITING},
    {"classificationFailed", JS_CLASSIFICATION_FAILED},
};

static int state_of(const char *name, enum job_state *out)
{
    for (size_t i = 0; name && i < sizeof(states) / sizeof(states[0]); i++) {
        if (!strcmp(states[i].name, name)) {
            *out = states[i].state;
            return 0;
        }
    }
    return EINVAL;
}

static int64_t int_of(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* Keep default "prefix-N" ids unique across the restart. */
static void bump_counter(const char *id, const char *prefix, uint64_t *counter)
{
    size_t n = strlen(prefix);
    if (strncmp(id, prefix, n) || id[n] != '-')
        return;
    char *end;
    unsigned long long v = strtoull(id + n + 1, &end, 10);
    if (!*end && v > *counter)
        *counter = v;
}

static void restore_offer(struct router *r, struct job *j, const json_t *o)
{
    const char *id = json_string_value(json_object_get(o, "offerId"));
    struct worker *w = worker_find(r, json_string_value(json_object_get(o, "workerId")));
    if (!id || !w || rmap_get(r->offers, id))
        return; /* its worker is gone: the job is simply matched again */
    struct offer *of = xcalloc(1, sizeof(*of));
    snprintf(of->id, sizeof(of->id), "%s", id);
    bump_counter(id, "offer", &r->offer_seq);
    const struct wchan *c = worker_chan(w, j->chan);
    of->job = j;
    of->w = w;
    of->worker = w->name;
    of->chan = j->chan;
    of->cost = c ? c->cost : 0;
    of->issued_at = int_of(o, "issuedAt");
    of->expires_at = int_of(o, "expiresAt");
    of->state = OF_LIVE;
    of->j_next = j->offers;
    if (j->offers)
        j->offers->j_prev = of;
    j->offers = of;
    j->noffers++;
    of->w_next = w->offers;
    if (w->offers)
        w->offers->w_prev = of;
    w->offers = of;
    w->noffers++;
    of->h_next = NULL;
    if (j->hist_tail)
        j->hist_tail->h_next = of;
    else
        j->hist = of;
    j->hist_tail = of;
    rmap_put(r->offers, of->id, of);
    worker_charge(r, w, of->chan, of->cost);
    dl_init(&of->dl, DL_OFFER_EXPIRY);
    dl_set(r, &of->dl, of->expires_at);
}

static int restore_assignment(struct router *r, struct job *j, const json_t *a)
{
    const char *wid = json_string_value(json_object_get(a, "workerId"));
    struct worker *w = worker_find(r, wid);
    const char *id = json_string_value(json_object_get(a, "assignmentId"));
    if (!w || !id)
        return bad(r, "job '%s': assignment to unknown worker '%s'", j->id, wid ? wid : "");
    struct assignment *as = xcalloc(1, sizeof(*as));
    snprintf(as->id, sizeof(as->id), "%s", id);
    bump_counter(id, "asg", &r->asg_seq);
    const char *oid = json_string_value(json_object_get(a, "offerId"));
    snprintf(as->offer_id, sizeof(as->offer_id), "%s", oid ? oid : "");
    const struct wchan *c = worker_chan(w, j->chan);
    as->job = j;
    as->w = w;
    as->worker = w->name;
    as->chan = j->chan;
    as->cost = c ? c->cost : 0;
    as->assigned_at = int_of(a, "assignedAt");
    as->completed_at = int_of(a, "completedAt");
    as->close_at = int_of(a, "closeAt");
    dl_init(&as->dl, DL_CLOSE);
    as->next = w->asgs;
    if (w->asgs)
        w->asgs->prev = as;
    w->asgs = as;
    j->asg = as;
    worker_charge(r, w, as->chan, as->cost);
    if (as->close_at)
        dl_set(r, &as->dl, as->close_at);
    return 0;
}

static void restore_declines(struct router *r, struct job *j, const json_t *arr)
{
    size_t i;
    json_t *d;
    json_array_foreach(arr, i, d)
    {
        const char *wid = json_string_value(json_object_get(d, "workerId"));
        if (!wid)
            continue;
        struct decline *dc = xcalloc(1, sizeof(*dc));
        dc->job = j;
        dc->worker = sym_intern(r, wid);
        dc->retry_at = int_of(d, "retryAt");
        dl_init(&dc->dl, DL_DECLINE_RETRY);
        dc->next = j->declines;
        j->declines = dc;
        dl_set(r, &dc->dl, dc->retry_at);
    }
}

/* Rules already fired in the job's current queue stay fired. */
static void restore_fired(struct job *j)
{
    const struct epolicy *ep = j->queue ? j->queue->ep : NULL;
    size_t i;
    json_t *e;
    json_array_foreach(j->exceptions, i, e)
    {
        const char *q = json_string_value(json_object_get(e, "queueId"));
        const char *rule = json_string_value(json_object_get(e, "ruleId"));
        if (!ep || !q || !rule || strcmp(q, j->queue->id))
            continue;
        for (unsigned k = 0; k < ep->nrules; k++)
            if (!strcmp(ep->rules[k].id, rule))
                j->fired |= 1ULL << k;
    }
}

static int restore_fields(struct router *r, struct job *j, const json_t *spec, const json_t *snap,
                          const char *ctx)
{
    int err = job_parse_spec(r, j, spec, ctx);
    char c[300];
    snprintf(c, sizeof(c), "%.200s: attachedWorkerSelectors", ctx);
    err = err ? err
              : selectors_parse(r, json_object_get(snap, "attachedWorkerSelectors"), &j->attached,
                                c, NULL);
    if (err)
        return err;
    const char *qid = json_string_value(json_object_get(snap, "queueId"));
    struct queue *q = queue_find(r, qid);
    bool needs_queue = j->state == JS_QUEUED || j->state == JS_ASSIGNED ||
                       j->state == JS_COMPLETED || j->state == JS_SUSPENDED ||
                       j->state == JS_WAITING;
    if (needs_queue && !q)
        return bad(r, "%s: unknown queue '%s'", ctx, qid ? qid : "");
    job_set_queue(j, q);
    if (!q && qid)
        j->queue_id = xstrdup(qid); /* its queue is gone: the name stays */
    const char *cp = json_string_value(json_object_get(snap, "classificationPolicyId"));
    j->cp_id = xstrdup(cp);
    j->created_at = int_of(snap, "createdAt") ? int_of(snap, "createdAt") : r->now;
    j->enqueued_at = int_of(snap, "enqueuedAt");
    j->schedule_at = int_of(snap, "scheduleAt");
    int64_t seq = int_of(snap, "sequence");
    if (seq > 0) {
        j->seq = (uint64_t)seq;
        j->node->seq = j->seq;
    }
    if ((uint64_t)seq > r->seq)
        r->seq = (uint64_t)seq;
    const char *disp = json_string_value(json_object_get(snap, "disposition"));
    job_set_disposition(j, disp);
    const json_t *ex = json_object_get(snap, "exceptionsTriggered");
    j->exceptions = json_is_array(ex) && json_array_size(ex) ? json_deep_copy(ex) : NULL;
    restore_fired(j);
    return 0;
}

static void place(struct router *r, struct job *j, const json_t *snap)
{
    switch (j->state) {
    case JS_QUEUED: {
        queue_insert(r, j);
        job_schedule_selectors(r, j);
        exception_schedule_wait(r, j);
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(snap, "offers"), i, o) restore_offer(r, j, o);
        break;
    }
    case JS_WAITING:
        dl_set(r, &j->dl_act, j->schedule_at);
        break;
    default:
        break;
    }
    restore_declines(r, j, json_object_get(snap, "declines"));
}

int router_job_restore(struct router *r, const json_t *snapshot, int64_t now, const char **why)
{
    /* No router_sync here: what is due waits for the next router_advance,
     * when every job is back. */
    r->now = now;
    if (why)
        *why = r->why;
    const char *id;
    uint32_t hash;
    int id_err =
        job_new_id(r, snapshot, "restore: a job snapshot with an \"id\" is needed", &id, &hash);
    if (id_err)
        return id_err;
    char ctx[160];
    snprintf(ctx, sizeof(ctx), "restore job '%.100s'", id);
    enum job_state state;
    const char *sname = json_string_value(json_object_get(snapshot, "state"));
    if (state_of(sname, &state))
        return bad(r, "%s: cannot restore state '%s'", ctx, sname ? sname : "");
    json_t *spec = json_deep_copy(snapshot);
    for (int i = 0; view_only[i]; i++)
        json_object_del(spec, view_only[i]);
    struct job *j = job_alloc(r, id, 0);
    j->hash = hash;
    j->state = state;
    int err = restore_fields(r, j, spec, snapshot, ctx);
    json_decref(spec);
    const json_t *asg = json_object_get(snapshot, "assignment");
    if (!err && (state == JS_ASSIGNED || state == JS_COMPLETED)) {
        err = json_is_object(asg) ? restore_assignment(r, j, asg)
                                  : bad(r, "%s: an assigned job needs its assignment", ctx);
    }
    if (err) {
        job_free(r, j);
        return err;
    }
    job_register(r, j);
    place(r, j, snapshot);
    if (r->rematch_at > now)
        r->rematch_at = now;
    return 0;
}
