/*
 * audit.c - a consistency check of the whole router, for tests: capacity
 * accounting, candidate sets, queue lengths, and the promise that no
 * available worker with room and a matchable queued job are left waiting
 * for each other (which is what "matching at every trigger, no polling"
 * must guarantee).
 *
 * O(jobs x workers): never on a production path.
 */
#include "router/router_internal.h"

#include <stdio.h>

static unsigned audit_worker(struct router *r, const struct worker *w, char *why, size_t size)
{
    int used = 0;
    unsigned bad = 0;
    for (const struct offer *o = w->offers; o; o = o->w_next)
        used += o->cost;
    for (const struct assignment *a = w->asgs; a; a = a->next)
        used += a->cost;
    if (used != w->used) {
        snprintf(why, size, "worker %s: used %d, offers+assignments %d", w->id, w->used, used);
        bad++;
    }
    for (unsigned i = 0; i < w->nchans; i++) {
        bool fits = w->available && worker_fits(w, w->chans[i].chan);
        for (unsigned k = 0; k < w->nslots; k++) {
            const struct chanset *cs = queue_chanset(w->slots[k].q, w->chans[i].chan, false);
            bool in =
                cs && w->slots[k].cidx[i] < cs->n && cs->v[w->slots[k].cidx[i]] == &w->slots[k];
            if (fits != in) {
                snprintf(why, size, "worker %s: channel %s candidate set %d, fits %d", w->id,
                         sym_name(r, w->chans[i].chan), in, fits);
                bad++;
            }
        }
    }
    return bad;
}

/* A queued job that could take another offer from an open worker. */
static unsigned audit_job(struct router *r, const struct job *j, char *why, size_t size)
{
    const struct dpolicy *dp = j->queue->dp;
    const struct chanset *cs = queue_chanset(j->queue, j->chan, false);
    if (j->noffers >= dp->max_offers || !cs || j->scoring) /* scoring: waits by design */
        return 0;
    unsigned eligible = 0;
    const struct worker *one = NULL;
    for (unsigned i = 0; i < cs->n; i++) {
        const struct worker *w = cs->v[i]->w;
        if (!worker_fits(w, j->chan) || job_offered_to(j, w) || job_declined_by(j, w, r->now))
            continue;
        if (!dp->bypass && !job_selectors_match(r, j, w))
            continue;
        eligible++;
        one = w;
    }
    if (!eligible || (j->noffers == 0 && eligible < dp->min_offers))
        return 0;
    snprintf(why, size, "job %s waits while worker %s could take it", j->id, one->id);
    return 1;
}

unsigned router_audit(struct router *r, char *why, size_t size)
{
    unsigned bad = 0;
    size_t pos = 0;
    void *v;
    while (rmap_next(r->workers, &pos, NULL, &v))
        bad += audit_worker(r, v, why, size);
    pos = 0;
    while (rmap_next(r->queues, &pos, NULL, &v)) {
        const struct queue *q = v;
        unsigned n = 0;
        for (unsigned i = 0; i < q->nlanes; i++)
            n += q->lanes[i].order.n;
        if (n != q->length) {
            snprintf(why, size, "queue %s: length %u, lanes hold %u", q->id, q->length, n);
            bad++;
        }
    }
    for (const struct job *j = r->first; j; j = j->next) {
        if (j->in_queue != (j->state == JS_QUEUED)) {
            snprintf(why, size, "job %s: state %s, in queue %d", j->id, job_state_name(j),
                     j->in_queue);
            bad++;
        } else if (j->in_queue) {
            bad += audit_job(r, j, why, size);
        }
    }
    return bad;
}
