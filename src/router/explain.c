/*
 * explain.c - "why this worker": the record kept with every offer and its
 * JSON form for router_job_get().
 *
 * Built only for offers actually issued, as a fixed-size struct (the top
 * EXPL_TOP candidates and counts of the rest), so the cost on the
 * matching path is a small copy; the JSON is made only when asked for.
 */
#include "router/router_internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {"longest-idle", "round-robin", "serial", "best-worker"};
static const char *const trigger_names[] = {
    [TR_JOB_QUEUED] = "jobQueued",
    [TR_WORKER_FREED] = "workerAvailable",
    [TR_SELECTOR_EXPIRED] = "selectorExpired",
    [TR_RETRY] = "declineRetryDue",
    [TR_OFFER_ENDED] = "previousOfferEnded",
    [TR_RESTORE] = "restart",
};

void explain_init(struct router *r, struct explain *ex, const struct job *j, enum dist_mode mode,
                  enum trigger why, bool bypass)
{
    memset(ex, 0, sizeof(*ex));
    ex->mode = (uint8_t)mode;
    ex->trigger = (uint8_t)why;
    ex->bypass = bypass;
    ex->nsel = job_nselectors(j);
    for (unsigned i = 0; i < ex->nsel; i++)
        if (!job_selector_live(j, job_selector_at(j, i), r->now))
            ex->expired_mask |= 1ULL << i;
    ex->rule = (char *)j->last_rule; /* borrowed: offer_issue copies it */
}

static json_t *candidates_json(const struct router *r, const struct explain *ex, int64_t issued_at)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < ex->ncand; i++) {
        json_t *c = json_object();
        json_object_set_new(c, "workerId", json_string(sym_name(r, ex->cand[i].worker)));
        if (ex->mode == MODE_BEST_WORKER)
            json_object_set_new(c, "score", json_real(ex->cand[i].score));
        if (ex->scored_by != SCORED_LOCAL)
            json_object_set_new(c, "scoreSource",
                                json_string(ex->from_hook >> i & 1 ? "webhook" : "default"));
        json_object_set_new(c, "capacityShare", json_real(ex->cand[i].share));
        json_object_set_new(c, "idleSeconds",
                            json_real((issued_at - ex->cand[i].idle_since) / 1000.0));
        json_object_set_new(c, "chosen", json_boolean(ex->cand[i].chosen));
        json_array_append_new(a, c);
    }
    return a;
}

static json_t *selectors_json(const struct router *r, const struct job *j, const struct explain *ex)
{
    json_t *o = json_object(), *applied = json_array(), *expired = json_array();
    unsigned n = job_nselectors(j);
    for (unsigned i = 0; i < n && i < ex->nsel; i++) {
        json_t *s = selector_json(r, job_selector_at(j, i));
        json_array_append_new(ex->expired_mask >> i & 1 ? expired : applied, s);
    }
    json_object_set_new(o, "applied", applied);
    json_object_set_new(o, "expired", expired);
    json_object_set_new(o, "bypassed", json_boolean(ex->bypass));
    return o;
}

json_t *explain_json(const struct router *r, const struct offer *o)
{
    const struct explain *ex = &o->ex;
    json_t *e = json_object();
    json_object_set_new(e, "offerId", json_string(o->id));
    json_object_set_new(e, "workerId", json_string(sym_name(r, o->worker)));
    json_object_set_new(e, "issuedAt", json_integer(o->issued_at));
    if (!o->has_ex)
        return e;
    json_object_set_new(e, "mode", json_string(mode_names[ex->mode]));
    json_object_set_new(e, "trigger", json_string(trigger_names[ex->trigger]));
    if (ex->scored_by != SCORED_LOCAL)
        json_object_set_new(e, "scoredBy", json_string("webhook"));
    if (ex->scored_by == SCORED_WEBHOOK_FAILED) { /* default scores for all */
        json_object_set_new(e, "webhookFailed", json_true());
        json_object_set_new(e, "scoringNote", json_string("webhook failed"));
    }
    json_object_set_new(e, "considered", json_integer(ex->considered));
    json_object_set_new(e, "eligible", json_integer(ex->eligible));
    json_t *rej = json_object();
    json_object_set_new(rej, "capacity", json_integer(ex->rej_capacity));
    json_object_set_new(rej, "selectors", json_integer(ex->rej_selectors));
    json_object_set_new(rej, "declined", json_integer(ex->rej_declined));
    json_object_set_new(rej, "alreadyOffered", json_integer(ex->rej_offered));
    json_object_set_new(e, "rejected", rej);
    if (ex->skipped_jobs)
        json_object_set_new(e, "jobsSkipped", json_integer(ex->skipped_jobs));
    json_object_set_new(e, "candidates", candidates_json(r, ex, o->issued_at));
    json_object_set_new(e, "selectors", selectors_json(r, o->job, ex));
    if (ex->rule)
        json_object_set_new(e, "exceptionRule", json_string(ex->rule));
    return e;
}
