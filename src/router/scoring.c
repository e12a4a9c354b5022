/*
 * scoring.c - best-worker scoring by webhook, engine side: the score
 * request a job waits on, its answer (router_scores_provided), its
 * timeout, and its cancellation when the job leaves its queue.
 *
 * The engine does no I/O: it hands the request to the caller's score
 * handler and waits. Only the job waits (a flag on it turns later
 * triggers into "look again after the answer"); the candidates are not
 * reserved, so other jobs keep being matched and the answer re-checks
 * every candidate's eligibility before offering.
 */
#include "router/router_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool scoring_wanted(const struct router *r, const struct dpolicy *dp)
{
    return dp->mode == MODE_BEST_WORKER && dp->hook_url && r->opts.scoreh;
}

static int cmp_sym(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static json_t *request_json(const struct router *r, const struct job *j, const struct cand *c,
                            unsigned n)
{
    json_t *req = json_object(), *cands = json_array();
    json_object_set_new(req, "jobId", json_string(j->id));
    json_object_set_new(req, "queueId", json_string(j->queue->id));
    json_object_set_new(req, "labels", labels_json(r, &j->labels));
    for (unsigned i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "workerId", json_string(c[i].w->id));
        json_object_set_new(o, "labels", labels_json(r, &c[i].w->labels));
        json_array_append_new(cands, o);
    }
    json_object_set_new(req, "candidates", cands);
    return req;
}

static void scoring_free(struct router *r, struct scoring *s)
{
    dl_clear(r, &s->dl);
    rmap_del(r->scorings, s->id);
    if (s->job && s->job->scoring == s)
        s->job->scoring = NULL;
    free(s->cands);
    free(s);
}

void scoring_request(struct router *r, struct job *j, const struct cand *c, unsigned n,
                     enum trigger why)
{
    const struct dpolicy *dp = j->queue->dp;
    struct scoring *s = xcalloc(1, sizeof(*s));
    make_id(r, s->id, sizeof(s->id), "score", &r->score_seq);
    s->job = j;
    s->why = (uint8_t)why;
    s->cands = xcalloc(n, sizeof(*s->cands));
    for (unsigned i = 0; i < n; i++)
        s->cands[i] = c[i].w->name;
    s->ncands = n;
    qsort(s->cands, n, sizeof(*s->cands), cmp_sym);
    dl_init(&s->dl, DL_SCORE_TIMEOUT);
    dl_set(r, &s->dl, r->now + dp->hook_timeout);
    j->scoring = s;
    rmap_put(r->scorings, s->id, s);
    /* Built before the call: the handler may read the router, and c[]
     * is the router's scratch space. */
    json_t *req = request_json(r, j, c, n);
    r->opts.scoreh(s->id, j->id, req, dp->hook_url, r->opts.arg);
    json_decref(req);
}

void scoring_cancel(struct router *r, struct job *j)
{
    if (j->scoring)
        scoring_free(r, j->scoring);
}

/* Candidates still free after the decision may have been passed over for
 * this job's sake (a worker asks about one webhook job per walk): walk
 * them again. */
static void rewalk(struct router *r, const uint32_t *cands, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct worker *w = worker_find(r, sym_name(r, cands[i]));
        if (w && w->open)
            match_worker(r, w, TR_WORKER_FREED);
    }
}

/* Decide with the answer (NULL: failed or timed out), then look again if
 * something triggered matching for the job while it waited. */
static void resolve(struct router *r, struct scoring *s, const json_t *scores)
{
    struct job *j = s->job;
    enum trigger why = (enum trigger)s->why;
    bool again = s->again;
    dl_clear(r, &s->dl);
    rmap_del(r->scorings, s->id);
    j->scoring = NULL;
    match_scored(r, j, s, scores);
    if (again)
        match_job(r, j, why);
    rewalk(r, s->cands, s->ncands);
    free(s->cands);
    free(s);
}

void scoring_timeout(struct router *r, struct scoring *s)
{
    resolve(r, s, NULL);
}

int router_scores_provided(struct router *r, const char *request_id, const json_t *scores,
                           int64_t now)
{
    if (!request_id || (scores && !json_is_object(scores)))
        return EINVAL;
    router_sync(r, now); /* a timeout already due wins */
    struct scoring *s = rmap_get(r->scorings, request_id);
    if (!s)
        return EALREADY;
    resolve(r, s, scores);
    return 0;
}
