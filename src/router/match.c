/*
 * match.c - matching: who is eligible for a job, how each distribution
 * mode chooses among them, and the two triggers.
 *
 * Job-centered (a job arrives, a selector expires, an offer ends): scan
 * the queue's workers with room for the job's channel now (a set kept up
 * to date as capacity and availability change), keep the eligible,
 * rank them by the mode and offer to the best up to maxConcurrentOffers.
 * Worker-centered (a worker is freed): walk the jobs of the queues it
 * serves, one order per channel it has room for, merged by (priority,
 * enqueue time), and take the first job it is eligible for. Because every
 * event that could make a pair possible runs one of these at once, no
 * free worker and matchable job are ever left waiting for each other, and
 * nothing polls.
 *
 * Starvation: across queues a worker always takes the highest-priority,
 * longest-waiting job, so equal-priority queues are served oldest first
 * and none starves another. Priority is strict, so under sustained load of
 * higher-priority work a low-priority job waits; the remedy is an
 * exception policy's waitTime trigger with manualReclassify raising its
 * priority (aging), which these rules honour like any other priority.
 */
#include "router/router_internal.h"

#include <stdlib.h>
#include <string.h>

bool job_selectors_match(const struct router *r, const struct job *j, const struct worker *w)
{
    for (unsigned i = 0; i < j->requested.n; i++) {
        const struct selector *s = &j->requested.v[i];
        if (job_selector_live(j, s, r->now) && !selector_matches(r, s, w))
            return false;
    }
    for (unsigned i = 0; i < j->attached.n; i++) {
        const struct selector *s = &j->attached.v[i];
        if (job_selector_live(j, s, r->now) && !selector_matches(r, s, w))
            return false;
    }
    return true;
}

bool job_offered_to(const struct job *j, const struct worker *w)
{
    for (const struct offer *o = j->offers; o; o = o->j_next)
        if (o->w == w)
            return true;
    return false;
}

bool job_declined_by(const struct job *j, const struct worker *w, int64_t now)
{
    for (const struct decline *d = j->declines; d; d = d->next)
        if (d->worker == w->name && now < d->retry_at)
            return true;
    return false;
}

/* ---- scores ---- */

struct score_ctx {
    const struct router *r;
    const struct job *j;
    const struct worker *w;
};

static bool score_lookup(unsigned scope, const char *name, struct expr_value *out, void *arg)
{
    const struct score_ctx *c = arg;
    return labels_lookup(c->r, scope == 0 ? &c->j->labels : &c->w->labels, name, out);
}

static unsigned matched_selectors(const struct router *r, const struct job *j,
                                  const struct worker *w)
{
    unsigned n = 0;
    for (unsigned i = 0; i < job_nselectors(j); i++) {
        const struct selector *s = job_selector_at(j, i);
        if (job_selector_live(j, s, r->now) && selector_matches(r, s, w))
            n++;
    }
    return n;
}

/* Default score: job labels the worker has with an equal value, plus one
 * per live selector matched. */
static double default_score(const struct router *r, const struct job *j, const struct worker *w)
{
    unsigned n = 0;
    for (unsigned i = 0; i < j->labels.n; i++) {
        const struct lval *v = worker_label(w, j->labels.v[i].key);
        if (v && lval_equal(r, v, &j->labels.v[i].v))
            n++;
    }
    return n + matched_selectors(r, j, w);
}

double match_default_score(const struct router *r, const struct job *j, const struct worker *w)
{
    return default_score(r, j, w);
}

static double worker_score(const struct router *r, const struct dpolicy *dp, const struct job *j,
                           const struct worker *w)
{
    if (!dp->score)
        return default_score(r, j, w);
    struct score_ctx c = {r, j, w};
    struct expr_value v = {0};
    expr_eval(dp->score, score_lookup, &c, &v);
    if (v.type == EXPR_NUMBER)
        return v.num;
    if (v.type == EXPR_BOOL)
        return v.b;
    return 0;
}

static inline double share(const struct worker *w)
{
    return w->capacity > 0 ? (double)w->used / w->capacity : 1.0;
}

/* Offers of this job the worker already had (expired or declined). */
static unsigned tried(const struct job *j, const struct worker *w)
{
    unsigned n = 0;
    for (const struct offer *o = j->hist; o; o = o->h_next)
        n += o->worker == w->name && o->state != OF_LIVE;
    return n;
}

/* Fill the ranking keys of a candidate: fewer earlier offers of this job
 * first (so a job that moves on goes round everyone before coming back),
 * then lower k1, then lower k2. `preset`: c->score came from a webhook
 * answer and is kept. */
static void rank_by_mode(const struct router *r, const struct queue *q, const struct job *j,
                         struct cand *c, bool preset)
{
    double preset_score = c->score;
    const struct dpolicy *dp = q->dp;
    const struct worker *w = c->w;
    c->k2 = 0;
    c->score = 0;
    switch (dp->mode) {
    case MODE_LONGEST_IDLE:
        c->k1 = share(w);
        c->k2 = w->idle_since;
        break;
    case MODE_ROUND_ROBIN:
        c->k1 = q->rr_last && strcmp(w->id, sym_name(r, q->rr_last)) <= 0;
        break;
    case MODE_SERIAL: {
        uintptr_t pos = (uintptr_t)rmap_get(dp->serial_rank, w->id);
        c->k1 = pos ? (double)pos : 1e12;
        break;
    }
    case MODE_BEST_WORKER:
        c->score = preset ? preset_score : worker_score(r, dp, j, w);
        c->k1 = dp->descending ? -c->score : c->score;
        c->k2 = w->idle_since;
        break;
    }
}

/* Fill the ranking keys (the common mode inline: it runs per candidate). */
static inline void rank(const struct router *r, const struct queue *q, const struct job *j,
                        struct cand *c, bool preset)
{
    c->k0 = j->hist ? tried(j, c->w) : 0;
    if (q->dp->mode != MODE_LONGEST_IDLE) {
        rank_by_mode(r, q, j, c, preset);
        return;
    }
    c->score = 0;
    c->k1 = share(c->w);
    c->k2 = c->w->idle_since;
}

static inline bool cand_before(const struct cand *a, const struct cand *b)
{
    if (a->k0 != b->k0)
        return a->k0 < b->k0;
    if (a->k1 != b->k1)
        return a->k1 < b->k1;
    if (a->k2 != b->k2)
        return a->k2 < b->k2;
    return strcmp(a->w->id, b->w->id) < 0;
}

#define TOP_FAST 16 /* up to this many best found in one pass */

/* The best `m` (at most TOP_FAST) candidates, in order, to the front, in
 * one pass keeping the best so far sorted: a queue offers to ~150 workers
 * and one pass is a compare each, where a pass per place was m. The front
 * is overwritten: the other candidates are not needed after. */
static void select_top_fast(struct cand *c, unsigned n, unsigned m)
{
    unsigned top[TOP_FAST], k = 0;
    for (unsigned i = 0; i < n; i++) {
        if (k == m && !cand_before(&c[i], &c[top[k - 1]]))
            continue;
        unsigned at = k < m ? k++ : k - 1;
        while (at > 0 && cand_before(&c[i], &c[top[at - 1]])) {
            top[at] = top[at - 1];
            at--;
        }
        top[at] = i;
    }
    struct cand best[TOP_FAST];
    for (unsigned i = 0; i < k; i++)
        best[i] = c[top[i]];
    memcpy(c, best, k * sizeof(*c));
}

/* Move the best `m` candidates, in order, to the front. */
static void select_top(struct cand *c, unsigned n, unsigned m)
{
    if (m && m <= TOP_FAST) {
        select_top_fast(c, n, m);
        return;
    }
    for (unsigned i = 0; i < m && i < n; i++) {
        unsigned best = i;
        for (unsigned k = i + 1; k < n; k++)
            if (cand_before(&c[k], &c[best]))
                best = k;
        struct cand t = c[i];
        c[i] = c[best];
        c[best] = t;
    }
}

static void cands_reserve(struct router *r, unsigned n)
{
    if (n <= r->ncands_cap)
        return;
    unsigned cap = r->ncands_cap ? r->ncands_cap : 64;
    while (cap < n)
        cap *= 2;
    free(r->cands);
    r->cands = xcalloc(cap, sizeof(*r->cands));
    r->ncands_cap = cap;
}

/* ---- job-centered ---- */

/* Why candidates were not eligible, for the explanation (capacity never:
 * a candidate set holds only workers with room). */
struct rejects {
    unsigned offered, declined, selectors;
};

/* The job's selectors that apply now, gathered once for all candidates,
 * each with its key's index among worker label keys. */
struct livesel {
    struct {
        const struct selector *s;
        uint32_t k;
    } v[MAX_SELECTORS];
    unsigned n;
};

/* False when the job has more selectors than fit (then each candidate
 * checks them all with job_selectors_match). */
static bool live_selectors(const struct router *r, const struct job *j, struct livesel *ls)
{
    ls->n = 0;
    if (job_nselectors(j) > MAX_SELECTORS)
        return false;
    for (unsigned i = 0; i < job_nselectors(j); i++) {
        const struct selector *s = job_selector_at(j, i);
        if (job_selector_live(j, s, r->now)) {
            ls->v[ls->n].s = s;
            ls->v[ls->n++].k = r->syms.kidx[s->key];
        }
    }
    return true;
}

static inline bool live_match(const struct router *r, const struct livesel *ls,
                              const struct worker *w)
{
    for (unsigned i = 0; i < ls->n; i++)
        if (!selector_matches_at(ls->v[i].s, ls->v[i].k, w))
            return false;
    return true;
}

/* Eligible for j now, for a worker of the candidate set of j's channel
 * (who has room: update_open keeps the set so, router_audit checks it):
 * not offered or declined it, and the selectors: those in ls, or with ls
 * NULL all the job's (bypass: an empty ls). */
static inline __attribute__((always_inline)) bool
eligible(const struct router *r, const struct job *j, const struct worker *w,
         const struct livesel *ls, struct rejects *tally)
{
    if (j->noffers && job_offered_to(j, w)) {
        tally->offered++;
        return false;
    }
    if (j->declines && job_declined_by(j, w, r->now)) {
        tally->declined++;
        return false;
    }
    if (ls ? !live_match(r, ls, w) : !job_selectors_match(r, j, w)) {
        tally->selectors++;
        return false;
    }
    return true;
}

/* The selectors to check candidates against: none with bypass, the live
 * ones, or NULL (check them all per candidate) when they are too many. */
static const struct livesel *candidate_selectors(const struct router *r, const struct job *j,
                                                 bool bypass, struct livesel *ls)
{
    ls->n = 0;
    return bypass || live_selectors(r, j, ls) ? ls : NULL;
}

static void fill_explain(struct explain *ex, const struct cand *c, unsigned n, unsigned chosen)
{
    ex->ncand = n < EXPL_TOP ? n : EXPL_TOP;
    for (unsigned i = 0; i < ex->ncand; i++) {
        ex->cand[i].worker = c[i].w->name;
        ex->cand[i].score = c[i].score;
        ex->cand[i].share = share(c[i].w);
        ex->cand[i].idle_since = c[i].w->idle_since;
        ex->cand[i].chosen = i < chosen;
        if (c[i].hooked)
            ex->from_hook |= (uint8_t)(1u << i);
    }
}

/* The queue's workers eligible for j now, into r->cands. */
static unsigned gather(struct router *r, const struct job *j, const struct chanset *cs, bool bypass,
                       struct rejects *tally)
{
    unsigned n = 0;
    struct livesel ls;
    const struct livesel *sel = candidate_selectors(r, j, bypass, &ls);
    cands_reserve(r, cs->n);
    for (unsigned i = 0; i < cs->n; i++) {
        struct worker *w = cs->w[i];
        if (eligible(r, j, w, sel, tally)) {
            r->cands[n].w = w;
            r->cands[n].score = 0;
            r->cands[n++].hooked = false;
        }
    }
    return n;
}

/* Rank the n gathered candidates by the mode, explain, and offer to the
 * best up to maxConcurrentOffers. */
/* Offer j to the best of n eligible candidates, c holding them best first
 * (at least the first max(need, EXPL_TOP) of them), and explain. */
static void issue_best(struct router *r, struct job *j, const struct cand *c, unsigned n,
                       unsigned considered, enum trigger why, const struct rejects *tally,
                       enum scored_by by)
{
    struct queue *q = j->queue;
    const struct dpolicy *dp = q->dp;
    unsigned need = dp->max_offers - j->noffers;
    unsigned chosen = n < need ? n : need;
    struct explain ex;
    explain_init(r, &ex, j, dp->mode, why, dp->bypass);
    ex.scored_by = (uint8_t)by;
    ex.considered = considered;
    ex.eligible = n;
    ex.rej_selectors = tally->selectors;
    ex.rej_declined = tally->declined;
    ex.rej_offered = tally->offered;
    fill_explain(&ex, c, n, chosen);
    /* Issuing changes the candidate sets the candidates were drawn from;
     * the chosen workers are copied out first. */
    struct worker *pick[EXPL_TOP * 4], **picks = pick;
    if (chosen > EXPL_TOP * 4)
        picks = xcalloc(chosen, sizeof(*picks));
    for (unsigned i = 0; i < chosen; i++)
        picks[i] = c[i].w;
    for (unsigned i = 0; i < chosen; i++) {
        if (dp->mode == MODE_ROUND_ROBIN)
            q->rr_last = picks[i]->name;
        offer_issue(r, j, picks[i], &ex);
    }
    if (picks != pick)
        free(picks);
}

static void decide(struct router *r, struct job *j, unsigned n, unsigned considered,
                   enum trigger why, const struct rejects *tally, enum scored_by by)
{
    struct queue *q = j->queue;
    unsigned need = q->dp->max_offers - j->noffers;
    for (unsigned i = 0; i < n; i++)
        rank(r, q, j, &r->cands[i], by != SCORED_LOCAL);
    select_top(r->cands, n, need > EXPL_TOP ? need : EXPL_TOP);
    issue_best(r, j, r->cands, n, considered, why, tally, by);
}

/* Keep c among the best m (sorted, *k of them so far). */
static inline void top_insert(struct cand *top, unsigned *k, unsigned m, const struct cand *c)
{
    if (*k == m && !cand_before(c, &top[m - 1]))
        return;
    unsigned at = *k < m ? (*k)++ : m - 1;
    for (; at > 0 && cand_before(c, &top[at - 1]); at--)
        top[at] = top[at - 1];
    top[at] = *c;
}

/* The job-centered decision in one pass: each open worker of the queue
 * for the job's channel is checked and ranked as it is met, keeping only
 * the best m (the offers needed, or the explanation's EXPL_TOP). */
static void match_job_top(struct router *r, struct job *j, const struct chanset *cs, unsigned m,
                          enum trigger why)
{
    struct queue *q = j->queue;
    const struct dpolicy *dp = q->dp;
    struct rejects tally = {0};
    struct livesel ls;
    const struct livesel *sel = candidate_selectors(r, j, dp->bypass, &ls);
    struct cand top[TOP_FAST];
    unsigned k = 0, n = 0;
    for (unsigned i = 0; i < cs->n; i++) {
        struct cand c;
        c.w = cs->w[i];
        if (!eligible(r, j, c.w, sel, &tally))
            continue;
        c.hooked = false;
        rank(r, q, j, &c, false);
        top_insert(top, &k, m, &c);
        n++;
    }
    if (!n || (j->noffers == 0 && n < dp->min_offers))
        return;
    issue_best(r, j, top, n, cs->n, why, &tally, SCORED_LOCAL);
}

void match_job(struct router *r, struct job *j, enum trigger why)
{
    if (j->state != JS_QUEUED || !j->in_queue)
        return;
    if (j->scoring) { /* decided when the scores come; remember to look again */
        j->scoring->again = true;
        return;
    }
    const struct dpolicy *dp = j->queue->dp;
    const struct chanset *cs = queue_chanset(j->queue, j->chan, false);
    if (j->noffers >= dp->max_offers || !cs || !cs->n)
        return;
    unsigned need = dp->max_offers - j->noffers, m = need > EXPL_TOP ? need : EXPL_TOP;
    if (!scoring_wanted(r, dp) && m <= TOP_FAST) {
        match_job_top(r, j, cs, m, why);
        return;
    }
    struct rejects tally = {0};
    unsigned n = gather(r, j, cs, dp->bypass, &tally);
    if (!n || (j->noffers == 0 && n < dp->min_offers))
        return;
    if (scoring_wanted(r, dp)) {
        scoring_request(r, j, r->cands, n, why);
        return;
    }
    decide(r, j, n, cs->n, why, &tally, SCORED_LOCAL);
}

static bool asked_for(const struct scoring *s, uint32_t worker)
{
    unsigned lo = 0, hi = s->ncands;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (s->cands[mid] == worker)
            return true;
        if (s->cands[mid] < worker)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* The webhook answered (scores NULL: it failed): the candidates asked
 * about that are still eligible now, ranked by those scores. */
void match_scored(struct router *r, struct job *j, const struct scoring *s, const json_t *scores)
{
    if (j->state != JS_QUEUED || !j->in_queue)
        return;
    const struct dpolicy *dp = j->queue->dp;
    const struct chanset *cs = queue_chanset(j->queue, j->chan, false);
    if (j->noffers >= dp->max_offers || !cs || !cs->n)
        return;
    struct rejects tally = {0};
    unsigned n = gather(r, j, cs, dp->bypass, &tally), m = 0;
    for (unsigned i = 0; i < n; i++) {
        struct cand c = r->cands[i];
        if (!asked_for(s, c.w->name))
            continue;
        const json_t *v = scores ? json_object_get(scores, c.w->id) : NULL;
        c.hooked = json_is_number(v);
        c.score = c.hooked ? json_number_value(v) : default_score(r, j, c.w);
        r->cands[m++] = c;
    }
    if (!m || (j->noffers == 0 && m < dp->min_offers))
        return;
    decide(r, j, m, cs->n, (enum trigger)s->why, &tally,
           scores ? SCORED_WEBHOOK : SCORED_WEBHOOK_FAILED);
}

/* ---- worker-centered ---- */

struct cursor {
    struct jobq_node *node;
    const struct wchan *wc; /* the worker's entry for the lane's channel */
};

static bool room_for(const struct worker *w, const struct wchan *c)
{
    return c->jobs < c->max && w->capacity - w->used >= c->cost;
}

static unsigned open_cursors(const struct worker *w, struct cursor *c, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < w->nslots; i++) {
        const struct queue *q = w->slots[i].q;
        for (unsigned k = 0; k < q->nlanes && n < max; k++) {
            const struct wchan *wc = worker_chan(w, q->lanes[k].chan);
            if (!q->lanes[k].order.n || !wc || !room_for(w, wc))
                continue;
            c[n++] = (struct cursor){jobq_first(&q->lanes[k].order), wc};
        }
    }
    return n;
}

/* The cursor at the best job, dropping exhausted ones and channels the
 * worker no longer has room for; -1 when none is left. */
static int best_cursor(const struct worker *w, struct cursor *c, unsigned *n)
{
    int best = -1;
    for (unsigned i = 0; i < *n;) {
        if (!c[i].node || !room_for(w, c[i].wc)) {
            c[i] = c[--*n];
            continue;
        }
        if (best < 0 || jobq_before(c[i].node, c[best].node))
            best = (int)i;
        i++;
    }
    return best;
}

static bool worker_eligible_for(const struct router *r, const struct worker *w, const struct job *j)
{
    const struct dpolicy *dp = j->queue->dp;
    if (j->noffers >= dp->max_offers)
        return false;
    if (j->noffers && job_offered_to(j, w))
        return false;
    if (j->declines && job_declined_by(j, w, r->now))
        return false;
    return dp->bypass || job_selectors_match(r, j, w);
}

static void offer_to_freed(struct router *r, struct job *j, struct worker *w, enum trigger why,
                           unsigned skipped)
{
    struct queue *q = j->queue;
    struct cand c = {.w = w};
    rank(r, q, j, &c, false);
    struct explain ex;
    explain_init(r, &ex, j, q->dp->mode, why, q->dp->bypass);
    ex.considered = ex.eligible = 1;
    ex.skipped_jobs = skipped;
    fill_explain(&ex, &c, 1, 1);
    if (q->dp->mode == MODE_ROUND_ROBIN)
        q->rr_last = w->name;
    offer_issue(r, j, w, &ex);
}

void match_worker(struct router *r, struct worker *w, enum trigger why)
{
    if (!w->open)
        return;
    struct cursor local[32], *c = local;
    unsigned max = 32, n;
    unsigned lanes = 0;
    for (unsigned i = 0; i < w->nslots; i++)
        lanes += w->slots[i].q->nlanes;
    if (lanes > max)
        c = xcalloc(max = lanes, sizeof(*c));
    n = open_cursors(w, c, max);
    unsigned skipped = 0;
    bool asked = false;
    int b;
    while (w->open && (b = best_cursor(w, c, &n)) >= 0) {
        struct job *j = c[b].node->item;
        c[b].node = jobq_next(c[b].node);
        if (!worker_eligible_for(r, w, j)) {
            skipped++;
            continue;
        }
        if (j->scoring) { /* matched again once its scores are in */
            j->scoring->again = true;
            skipped++;
            continue;
        }
        if (scoring_wanted(r, j->queue->dp)) {
            /* One score request per walk: this worker is among its
             * candidates, and is walked again once the answer is in. */
            if (asked)
                skipped++;
            else
                match_job(r, j, why);
            asked = asked || j->scoring;
            continue;
        }
        /* Alone, this worker is the only eligible one (else the job would
         * hold an offer already); with offers out or a minimum above one
         * the job-centered rules decide. */
        if (j->noffers || j->queue->dp->min_offers > 1)
            match_job(r, j, why);
        else
            offer_to_freed(r, j, w, why, skipped);
    }
    if (c != local)
        free(c);
}

static int cmp_job_order(const void *a, const void *b)
{
    const struct job *x = *(const struct job *const *)a, *y = *(const struct job *const *)b;
    if (jobq_before(x->node, y->node))
        return -1;
    return jobq_before(y->node, x->node) ? 1 : 0;
}

/* Every queued job, best first, matched job-centered: used once after a
 * restore, when the state was rebuilt without matching. */
void match_all(struct router *r)
{
    size_t n = 0, i = 0;
    for (struct job *j = r->first; j; j = j->next)
        n += j->in_queue;
    struct job **v = xcalloc(n, sizeof(*v));
    for (struct job *j = r->first; j; j = j->next)
        if (j->in_queue)
            v[i++] = j;
    qsort(v, n, sizeof(*v), cmp_job_order);
    for (i = 0; i < n; i++)
        match_job(r, v[i], TR_RESTORE);
    free(v);
}
