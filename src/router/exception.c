/*
 * exception.c - exception policies: rules that fire on a queue's length
 * or a job's wait, and act on the job (cancel, reclassify with new labels
 * or policy, manual reclassify to a queue/priority/selectors).
 *
 * A rule fires once per job per queue it waits in. Wait-time rules are a
 * deadline (enqueue time + threshold) in the router's heap; queue-length
 * rules are checked when a job joins the queue (the length including it
 * above the threshold). A move caused by a rule can land in a queue whose
 * rules move it again; the chain is cut at MAX_CHAIN moves per call so a
 * cycle in the configuration cannot loop.
 */
#include "router/router_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHAIN 8

struct epolicy *epolicy_find(struct router *r, const char *id)
{
    return id ? rmap_get(r->eps, id) : NULL;
}

static void epolicy_clear(struct epolicy *p)
{
    for (unsigned i = 0; i < p->nrules; i++) {
        struct erule *ru = &p->rules[i];
        for (unsigned k = 0; k < ru->nacts; k++) {
            free(ru->acts[k].disposition);
            free(ru->acts[k].cp_id);
            free(ru->acts[k].queue_id);
            json_decref(ru->acts[k].labels);
            selset_free(&ru->acts[k].sels);
        }
        free(ru->acts);
        free(ru->id);
    }
    free(p->rules);
    json_decref(p->spec);
    char *id = p->id;
    memset(p, 0, sizeof(*p));
    p->id = id;
}

void epolicy_free(struct epolicy *p)
{
    if (!p)
        return;
    epolicy_clear(p);
    free(p->id);
    free(p);
}

static int parse_trigger(struct router *r, struct erule *ru, const json_t *t, const char *ctx)
{
    const char *kind = json_string_value(json_object_get(t, "kind"));
    if (kind && !strcmp(kind, "waitTime")) {
        const json_t *v = json_object_get(t, "thresholdSeconds");
        if (!json_is_number(v) || json_number_value(v) < 0)
            return bad(r, "%s: waitTime needs a non-negative thresholdSeconds", ctx);
        ru->kind = TRIG_WAIT_TIME;
        ru->wait = seconds_to_ms(json_number_value(v));
        return 0;
    }
    if (kind && !strcmp(kind, "queueLength")) {
        const json_t *v = json_object_get(t, "threshold");
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return bad(r, "%s: queueLength needs a non-negative integer threshold", ctx);
        ru->kind = TRIG_QUEUE_LENGTH;
        ru->length = (unsigned)json_integer_value(v);
        return 0;
    }
    return bad(r, "%s: trigger kind must be waitTime or queueLength", ctx);
}

static int parse_manual(struct router *r, struct eaction *a, const json_t *o, const char *ctx)
{
    a->kind = ACT_MANUAL;
    const json_t *q = json_object_get(o, "queueId");
    if (q && !json_is_null(q)) {
        if (!queue_find(r, json_string_value(q)))
            return bad(r, "%s: unknown queue '%s'", ctx,
                       json_string_value(q) ? json_string_value(q) : "");
        a->queue_id = xstrdup(json_string_value(q));
    }
    const json_t *p = json_object_get(o, "priority");
    if (p && !json_is_null(p)) {
        if (!json_is_integer(p))
            return bad(r, "%s: priority must be an integer", ctx);
        a->has_prio = true;
        a->prio = (int)json_integer_value(p);
    }
    const json_t *ws = json_object_get(o, "workerSelectors");
    if (ws && !json_is_null(ws)) {
        a->has_sels = true;
        char c[300];
        snprintf(c, sizeof(c), "%.200s.workerSelectors", ctx);
        return selectors_parse(r, ws, &a->sels, c, NULL);
    }
    return 0;
}

static int parse_action(struct router *r, struct eaction *a, const json_t *o, const char *ctx)
{
    const char *kind = json_string_value(json_object_get(o, "kind"));
    if (kind && !strcmp(kind, "cancel")) {
        a->kind = ACT_CANCEL;
        a->disposition = xstrdup(json_string_value(json_object_get(o, "dispositionCode")));
        return 0;
    }
    if (kind && !strcmp(kind, "reclassify")) {
        a->kind = ACT_RECLASSIFY;
        const char *cp = json_string_value(json_object_get(o, "classificationPolicyId"));
        if (cp && !cpolicy_find(r, cp))
            return bad(r, "%s: unknown classification policy '%s'", ctx, cp);
        a->cp_id = xstrdup(cp);
        const json_t *l = json_object_get(o, "labelsToUpsert");
        if (l && !json_is_null(l) && !json_is_object(l))
            return bad(r, "%s: labelsToUpsert must be an object", ctx);
        a->labels = l && json_is_object(l) ? json_deep_copy(l) : NULL;
        return 0;
    }
    if (kind && !strcmp(kind, "manualReclassify"))
        return parse_manual(r, a, o, ctx);
    return bad(r, "%s: action kind must be cancel, reclassify or manualReclassify", ctx);
}

static int parse_rule(struct router *r, struct epolicy *p, struct erule *ru, const json_t *o,
                      const char *ctx)
{
    const char *id = json_string_value(json_object_get(o, "id"));
    if (!id || !*id)
        return bad(r, "%s: a rule needs an \"id\"", ctx);
    for (unsigned i = 0; i + 1 < p->nrules; i++)
        if (!strcmp(p->rules[i].id, id))
            return bad(r, "%s: rule id '%s' is used twice", ctx, id);
    ru->id = xstrdup(id);
    int err = parse_trigger(r, ru, json_object_get(o, "trigger"), ctx);
    if (err)
        return err;
    const json_t *acts = json_object_get(o, "actions");
    if (!json_is_array(acts) || !json_array_size(acts))
        return bad(r, "%s: a rule needs a non-empty \"actions\" array", ctx);
    ru->acts = xcalloc(json_array_size(acts), sizeof(*ru->acts));
    for (size_t i = 0; i < json_array_size(acts); i++) {
        char c[300];
        snprintf(c, sizeof(c), "%.200s.actions[%zu]", ctx, i);
        ru->nacts++;
        if ((err = parse_action(r, &ru->acts[i], json_array_get(acts, i), c)))
            return err;
    }
    return 0;
}

static int epolicy_parse(struct router *r, struct epolicy *p, const json_t *spec, const char *ctx)
{
    const json_t *rules = json_object_get(spec, "rules");
    if (rules && !json_is_null(rules) && !json_is_array(rules))
        return bad(r, "%s: rules must be an array", ctx);
    if (json_array_size(rules) > MAX_RULES)
        return bad(r, "%s: at most %d rules", ctx, MAX_RULES);
    p->rules = xcalloc(json_array_size(rules), sizeof(*p->rules));
    for (size_t i = 0; i < json_array_size(rules); i++) {
        char c[300];
        snprintf(c, sizeof(c), "%.200s: rules[%zu]", ctx, i);
        p->nrules++;
        int err = parse_rule(r, p, &p->rules[i], json_array_get(rules, i), c);
        if (err)
            return err;
    }
    p->spec = json_deep_copy(spec);
    return 0;
}

static void reschedule_all(struct router *r, struct epolicy *p)
{
    for (struct job *j = r->first; j; j = j->next)
        if (j->in_queue && j->queue->ep == p)
            exception_schedule_wait(r, j);
}

int router_exception_policy_set(struct router *r, const json_t *spec, int64_t now, const char **why)
{
    router_sync(r, now);
    if (why)
        *why = r->why;
    const char *id = json_string_value(json_object_get(spec, "id"));
    if (!json_is_object(spec) || !id || !*id)
        return bad(r, "exception policy: an \"id\" is needed");
    char ctx[160];
    snprintf(ctx, sizeof(ctx), "exception policy '%.100s'", id);
    struct epolicy fresh = {0};
    int err = epolicy_parse(r, &fresh, spec, ctx);
    if (err) {
        epolicy_clear(&fresh);
        return err;
    }
    struct epolicy *p = epolicy_find(r, id);
    if (p) {
        epolicy_clear(p);
        fresh.id = p->id;
        *p = fresh;
        reschedule_all(r, p);
        return 0;
    }
    p = xcalloc(1, sizeof(*p));
    *p = fresh;
    p->id = xstrdup(id);
    rmap_put(r->eps, p->id, p);
    return 0;
}

json_t *router_exception_policy_get(struct router *r, const char *id)
{
    struct epolicy *p = epolicy_find(r, id);
    return p ? json_deep_copy(p->spec) : NULL;
}

int router_exception_policy_delete(struct router *r, const char *id, const char **why)
{
    if (why)
        *why = r->why;
    struct epolicy *p = epolicy_find(r, id);
    if (!p) {
        bad(r, "no exception policy '%s'", id ? id : "");
        return ENOENT;
    }
    size_t pos = 0;
    void *v;
    while (rmap_next(r->queues, &pos, NULL, &v)) {
        if (((struct queue *)v)->ep == p) {
            bad(r, "exception policy '%s' is used by queue '%s'", id, ((struct queue *)v)->id);
            return EBUSY;
        }
    }
    rmap_del(r->eps, p->id);
    epolicy_free(p);
    return 0;
}

/* ---- firing ---- */

static json_t *trigger_json(const struct erule *ru)
{
    json_t *t = json_object();
    if (ru->kind == TRIG_WAIT_TIME) {
        json_object_set_new(t, "kind", json_string("waitTime"));
        json_object_set_new(t, "thresholdSeconds", json_real(ru->wait / 1000.0));
    } else {
        json_object_set_new(t, "kind", json_string("queueLength"));
        json_object_set_new(t, "threshold", json_integer(ru->length));
    }
    return t;
}

static const char *const act_names[] = {"cancel", "reclassify", "manualReclassify"};

static json_t *fired_json(const struct router *r, const struct epolicy *ep, const struct erule *ru,
                          const struct job *j)
{
    json_t *o = json_object(), *acts = json_array();
    json_object_set_new(o, "exceptionPolicyId", json_string(ep->id));
    json_object_set_new(o, "ruleId", json_string(ru->id));
    json_object_set_new(o, "queueId", json_string(j->queue->id));
    json_object_set_new(o, "trigger", trigger_json(ru));
    for (unsigned i = 0; i < ru->nacts; i++)
        json_array_append_new(acts, json_string(act_names[ru->acts[i].kind]));
    json_object_set_new(o, "actions", acts);
    json_object_set_new(o, "at", json_integer(r->now));
    return o;
}

static void act(struct router *r, struct job *j, const struct eaction *a)
{
    switch (a->kind) {
    case ACT_CANCEL:
        job_cancel_now(r, j, a->disposition);
        break;
    case ACT_RECLASSIFY: {
        if (a->labels)
            job_upsert_labels(r, j, a->labels);
        const struct cpolicy *cp = cpolicy_find(r, a->cp_id ? a->cp_id : j->cp_id);
        if (cp)
            job_apply_classification(r, j, cp, j->queue ? j->queue->id : NULL, true);
        else
            match_job(r, j, TR_JOB_QUEUED); /* new labels may change matches */
        break;
    }
    case ACT_MANUAL: {
        struct queue *q = a->queue_id ? queue_find(r, a->queue_id) : j->queue;
        if (!q)
            break;
        if (a->has_sels) {
            selset_free(&j->requested);
            selset_free(&j->attached);
            j->requested.v = xcalloc(a->sels.n, sizeof(struct selector));
            memcpy(j->requested.v, a->sels.v, a->sels.n * sizeof(struct selector));
            j->requested.n = a->sels.n;
        }
        job_move(r, j, q, a->has_prio ? a->prio : j->priority);
        break;
    }
    }
}

static void fire(struct router *r, struct job *j, unsigned idx)
{
    struct queue *q = j->queue;
    const struct epolicy *ep = q->ep;
    const struct erule *ru = &ep->rules[idx];
    j->fired |= 1ULL << idx;
    if (r->exc_depth >= MAX_CHAIN)
        return;
    r->exc_depth++;
    if (!j->exceptions)
        j->exceptions = json_array();
    json_array_append_new(j->exceptions, fired_json(r, ep, ru, j));
    free(j->last_rule);
    j->last_rule = xstrdup(ru->id);
    emit(r, ROUTER_JOB_EXCEPTION_TRIGGERED, j, NULL, q->id, NULL, fired_json(r, ep, ru, j));
    for (unsigned i = 0; i < ru->nacts; i++) {
        act(r, j, &ru->acts[i]);
        if (j->state != JS_QUEUED && j->state != JS_SUSPENDED && j->state != JS_WAITING)
            break; /* cancelled, failed classification, or assigned meanwhile */
    }
    r->exc_depth--;
}

static bool still_in(const struct job *j, const struct queue *q)
{
    return j->state == JS_QUEUED && j->in_queue && j->queue == q;
}

void exception_on_queued(struct router *r, struct job *j)
{
    struct queue *q = j->queue;
    const struct epolicy *ep = q->ep;
    for (unsigned i = 0; ep && i < ep->nrules && still_in(j, q); i++) {
        const struct erule *ru = &ep->rules[i];
        if (ru->kind == TRIG_QUEUE_LENGTH && !(j->fired >> i & 1) && q->length > ru->length)
            fire(r, j, i);
    }
    if (still_in(j, q))
        exception_schedule_wait(r, j);
}

void exception_schedule_wait(struct router *r, struct job *j)
{
    const struct epolicy *ep = j->in_queue ? j->queue->ep : NULL;
    int64_t next = INT64_MAX;
    for (unsigned i = 0; ep && i < ep->nrules; i++) {
        const struct erule *ru = &ep->rules[i];
        if (ru->kind == TRIG_WAIT_TIME && !(j->fired >> i & 1) && j->enqueued_at + ru->wait < next)
            next = j->enqueued_at + ru->wait;
    }
    if (next == INT64_MAX)
        dl_clear(r, &j->dl_wait);
    else
        dl_set(r, &j->dl_wait, next);
}

void exception_wait_due(struct router *r, struct job *j)
{
    struct queue *q = j->queue;
    const struct epolicy *ep = j->in_queue ? q->ep : NULL;
    for (unsigned i = 0; ep && i < ep->nrules && still_in(j, q); i++) {
        const struct erule *ru = &ep->rules[i];
        if (ru->kind == TRIG_WAIT_TIME && !(j->fired >> i & 1) &&
            j->enqueued_at + ru->wait <= r->now)
            fire(r, j, i);
    }
    if (still_in(j, q))
        exception_schedule_wait(r, j);
}
