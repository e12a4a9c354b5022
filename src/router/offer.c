/*
 * offer.c - offers: issuing, accepting, declining, expiring and revoking,
 * and the decline records that keep a job from a worker until its retry
 * time.
 *
 * An offer holds the worker's capacity for the job's channel while it is
 * live; accepting moves that hold to the assignment, anything else
 * releases it and runs matching again, first for the job (workers it was
 * not yet offered to come first, so it moves on), then for the freed
 * worker.
 * Offers that are over stay with their job, so answering one late gets a
 * precise error (expired, already answered) rather than "unknown".
 */
#include "router/router_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void link_offer(struct job *j, struct worker *w, struct offer *o)
{
    o->j_next = j->offers;
    if (j->offers)
        j->offers->j_prev = o;
    j->offers = o;
    j->noffers++;
    o->w_next = w->offers;
    if (w->offers)
        w->offers->w_prev = o;
    w->offers = o;
    w->noffers++;
    if (j->hist_tail)
        j->hist_tail->h_next = o;
    else
        j->hist = o;
    j->hist_tail = o;
}

static void unlink_offer(struct offer *o)
{
    struct job *j = o->job;
    struct worker *w = o->w;
    if (o->j_prev)
        o->j_prev->j_next = o->j_next;
    else
        j->offers = o->j_next;
    if (o->j_next)
        o->j_next->j_prev = o->j_prev;
    j->noffers--;
    if (o->w_prev)
        o->w_prev->w_next = o->w_next;
    else
        w->offers = o->w_next;
    if (o->w_next)
        o->w_next->w_prev = o->w_prev;
    w->noffers--;
    o->j_next = o->j_prev = o->w_next = o->w_prev = NULL;
}

struct offer *offer_issue(struct router *r, struct job *j, struct worker *w,
                          const struct explain *ex)
{
    struct offer *o = pool_get(&r->offer_pool, sizeof(*o));
    make_id(r, o->id, sizeof(o->id), "offer", &r->offer_seq);
    const struct wchan *c = worker_chan(w, j->chan);
    o->job = j;
    o->w = w;
    o->worker = w->name;
    o->chan = j->chan;
    o->cost = c ? c->cost : 0;
    o->issued_at = r->now;
    o->expires_at = r->now + j->queue->dp->ttl;
    o->state = OF_LIVE;
    o->has_ex = true;
    o->ex = *ex;
    o->ex.rule = xstrdup(ex->rule);
    link_offer(j, w, o);
    rmap_put(r->offers, o->id, o);
    worker_charge(r, w, o->chan, o->cost);
    dl_init(&o->dl, DL_OFFER_EXPIRY);
    dl_set(r, &o->dl, o->expires_at);
    json_t *data = evdata(r, EVD_OFFER);
    evdata_int(r, EVD_OFFER, "expiresAt", o->expires_at);
    evdata_sym(r, EVD_OFFER, "channelId", o->chan);
    emit(r, ROUTER_OFFER_ISSUED, j, w->id, NULL, o->id, data);
    return o;
}

/* End a live offer; returns its worker, whose capacity is released
 * unless the offer was accepted. */
static struct worker *offer_end(struct router *r, struct offer *o, enum offer_state state)
{
    struct worker *w = o->w;
    unlink_offer(o);
    dl_clear(r, &o->dl);
    o->state = state;
    o->ended_at = r->now;
    o->w = NULL;
    if (state != OF_ACCEPTED)
        worker_release(r, w, o->chan, o->cost);
    return w;
}

void offer_free(struct router *r, struct offer *o)
{
    if (!o)
        return;
    free(o->ex.rule);
    pool_put(&r->offer_pool, o);
}

void offer_expire(struct router *r, struct offer *o)
{
    struct job *j = o->job;
    struct worker *w = offer_end(r, o, OF_EXPIRED);
    emit(r, ROUTER_OFFER_EXPIRED, j, w->id, NULL, o->id, NULL);
    const struct dpolicy *dp = j->queue->dp;
    w->expiries++;
    if (dp->unavail_after && w->expiries >= dp->unavail_after && w->available)
        worker_make_unavailable(r, w, dp->unavail_reason);
    match_job(r, j, TR_OFFER_ENDED);
    match_worker(r, w, TR_WORKER_FREED);
}

void offer_revoke(struct router *r, struct offer *o, const char *reason, bool rematch_job)
{
    struct job *j = o->job;
    struct worker *w = offer_end(r, o, OF_REVOKED);
    json_t *data = evdata(r, EVD_REVOKED);
    evdata_str(r, EVD_REVOKED, "reason", reason);
    emit(r, ROUTER_OFFER_REVOKED, j, w->id, NULL, o->id, data);
    if (rematch_job)
        match_job(r, j, TR_OFFER_ENDED);
}

/* All of a job's live offers end; their workers are matched again only
 * once every offer is gone, so none is handed this job back. */
void job_revoke_offers(struct router *r, struct job *j, const char *reason)
{
    struct worker *local[8], **ws = local;
    unsigned n = 0;
    if (j->noffers > 8)
        ws = xcalloc(j->noffers, sizeof(*ws));
    while (j->offers) {
        ws[n++] = j->offers->w;
        offer_revoke(r, j->offers, reason, false);
    }
    for (unsigned i = 0; i < n; i++)
        match_worker(r, ws[i], TR_WORKER_FREED);
    if (ws != local)
        free(ws);
}

/* The assignment's id as JSON, made once for the events that name it. */
json_t *assignment_id_json(struct assignment *a)
{
    if (!a->id_json)
        a->id_json = json_string(a->id);
    return a->id_json ? a->id_json : json_null();
}

void assignment_free(struct router *r, struct assignment *a)
{
    if (!a)
        return;
    dl_clear(r, &a->dl);
    json_decref(a->id_json);
    pool_put(&r->asg_pool, a);
}

static int answerable(struct router *r, const char *offer_id, const char *worker_id,
                      struct offer **op)
{
    struct offer *o = offer_id ? rmap_get(r->offers, offer_id) : NULL;
    if (!o)
        return ENOENT;
    if (worker_id && strcmp(worker_id, sym_name(r, o->worker)))
        return EPERM;
    if (o->state == OF_EXPIRED)
        return ETIMEDOUT;
    if (o->state != OF_LIVE)
        return EALREADY;
    *op = o;
    return 0;
}

static struct assignment *assign(struct router *r, struct offer *o, struct worker *w)
{
    struct job *j = o->job;
    struct assignment *a = pool_get(&r->asg_pool, sizeof(*a));
    make_id(r, a->id, sizeof(a->id), "asg", &r->asg_seq);
    memcpy(a->offer_id, o->id, sizeof(a->offer_id)); /* same size, terminated */
    a->job = j;
    a->w = w;
    a->worker = w->name;
    a->chan = o->chan;
    a->cost = o->cost;
    a->assigned_at = r->now;
    dl_init(&a->dl, DL_CLOSE);
    a->next = w->asgs;
    if (w->asgs)
        w->asgs->prev = a;
    w->asgs = a;
    j->asg = a;
    return a;
}

int router_offer_accept(struct router *r, const char *offer_id, const char *worker_id, int64_t now,
                        const char **assignment_id)
{
    router_sync(r, now);
    struct offer *o = NULL;
    int err = answerable(r, offer_id, worker_id, &o);
    if (err)
        return err;
    struct job *j = o->job;
    struct worker *w = offer_end(r, o, OF_ACCEPTED);
    struct assignment *a = assign(r, o, w);
    w->expiries = 0;
    queue_note_dequeue(j->queue, j, now);
    job_dequeue(r, j);
    j->state = JS_ASSIGNED;
    json_t *data = evdata(r, EVD_ACCEPTED);
    evdata_set(r, EVD_ACCEPTED, "assignmentId", json_incref(assignment_id_json(a)));
    emit(r, ROUTER_OFFER_ACCEPTED, j, w->id, NULL, o->id, data);
    data = evdata(r, EVD_ASSIGNED);
    evdata_set(r, EVD_ASSIGNED, "assignmentId", json_incref(assignment_id_json(a)));
    evdata_sym(r, EVD_ASSIGNED, "channelId", a->chan);
    emit(r, ROUTER_JOB_ASSIGNED, j, w->id, NULL, o->id, data);
    job_revoke_offers(r, j, "accepted by another worker");
    if (assignment_id)
        *assignment_id = a->id;
    return 0;
}

static void decline_add(struct router *r, struct job *j, struct worker *w, int64_t retry_at)
{
    struct decline *d = xcalloc(1, sizeof(*d));
    d->job = j;
    d->worker = w->name;
    d->retry_at = retry_at;
    dl_init(&d->dl, DL_DECLINE_RETRY);
    d->next = j->declines;
    j->declines = d;
    dl_set(r, &d->dl, retry_at);
}

int router_offer_decline(struct router *r, const char *offer_id, const char *worker_id,
                         int retry_after_seconds, int64_t now)
{
    router_sync(r, now);
    struct offer *o = NULL;
    int err = answerable(r, offer_id, worker_id, &o);
    if (err)
        return err;
    struct job *j = o->job;
    struct worker *w = offer_end(r, o, OF_DECLINED);
    w->expiries = 0;
    json_t *data = json_object();
    if (retry_after_seconds > 0) {
        int64_t at = now + (int64_t)retry_after_seconds * 1000;
        decline_add(r, j, w, at);
        json_object_set_new(data, "retryAt", json_integer(at));
    }
    emit(r, ROUTER_OFFER_DECLINED, j, w->id, NULL, o->id, data);
    match_job(r, j, TR_OFFER_ENDED);
    match_worker(r, w, TR_WORKER_FREED);
    return 0;
}

void decline_due(struct router *r, struct decline *d)
{
    struct job *j = d->job;
    for (struct decline **p = &j->declines; *p; p = &(*p)->next) {
        if (*p == d) {
            *p = d->next;
            break;
        }
    }
    free(d);
    match_job(r, j, TR_RETRY);
}

void decline_free_all(struct router *r, struct job *j)
{
    while (j->declines) {
        struct decline *d = j->declines;
        j->declines = d->next;
        dl_clear(r, &d->dl);
        free(d);
    }
}
