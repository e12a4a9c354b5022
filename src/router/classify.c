/*
 * classify.c - classification policies: which queue a job goes to
 * (static, conditional, expression, weighted allocation, fallback), which
 * worker selectors are attached to it, and its priority.
 *
 * Expressions are compiled once, when the policy is set, with the scope
 * "job"; classifying a job evaluates them against its labels.
 */
#include "router/router_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const job_scope[] = {"job", NULL};

struct cpolicy *cpolicy_find(struct router *r, const char *id)
{
    return id ? rmap_get(r->cps, id) : NULL;
}

static void cpolicy_clear(struct cpolicy *p)
{
    for (unsigned i = 0; i < p->nqs; i++) {
        free(p->qs[i].queue_id);
        expr_free(p->qs[i].e);
        for (unsigned k = 0; k < p->qs[i].nallocs; k++)
            free(p->qs[i].allocs[k].queue_id);
        free(p->qs[i].allocs);
    }
    free(p->qs);
    for (unsigned i = 0; i < p->nws; i++) {
        expr_free(p->ws[i].cond);
        selset_free(&p->ws[i].sels);
    }
    free(p->ws);
    expr_free(p->prio_expr);
    free(p->fallback);
    json_decref(p->spec);
    char *id = p->id;
    memset(p, 0, sizeof(*p));
    p->id = id;
}

void cpolicy_free(struct cpolicy *p)
{
    if (!p)
        return;
    cpolicy_clear(p);
    free(p->id);
    free(p);
}

static int queue_ref(struct router *r, const json_t *o, const char *name, char **out,
                     const char *ctx)
{
    const char *id = json_string_value(json_object_get(o, name));
    if (!id)
        return bad(r, "%s: a \"%s\" is needed", ctx, name);
    if (!queue_find(r, id))
        return bad(r, "%s: unknown queue '%s'", ctx, id);
    *out = xstrdup(id);
    return 0;
}

static int parse_weighted(struct router *r, struct qsel *q, const json_t *o, const char *ctx)
{
    const json_t *allocs = json_object_get(o, "allocations");
    if (!json_is_array(allocs) || !json_array_size(allocs))
        return bad(r, "%s: weighted needs a non-empty \"allocations\" array", ctx);
    q->allocs = xcalloc(json_array_size(allocs), sizeof(*q->allocs));
    for (size_t i = 0; i < json_array_size(allocs); i++) {
        const json_t *a = json_array_get(allocs, i);
        const json_t *w = json_object_get(a, "weight");
        char c[300];
        snprintf(c, sizeof(c), "%.200s.allocations[%zu]", ctx, i);
        if (!json_is_number(w) || json_number_value(w) <= 0)
            return bad(r, "%s: weight must be a positive number", c);
        q->allocs[i].weight = json_number_value(w);
        int err = queue_ref(r, a, "queueId", &q->allocs[i].queue_id, c);
        q->nallocs++;
        if (err)
            return err;
    }
    return 0;
}

static int parse_qsel(struct router *r, struct qsel *q, const json_t *o, const char *ctx)
{
    const char *kind = json_string_value(json_object_get(o, "kind"));
    char c[300];
    if (!kind)
        return bad(r, "%s: a \"kind\" is needed", ctx);
    if (!strcmp(kind, "static")) {
        q->kind = QS_STATIC;
        return queue_ref(r, o, "queueId", &q->queue_id, ctx);
    }
    if (!strcmp(kind, "conditional")) {
        q->kind = QS_CONDITIONAL;
        snprintf(c, sizeof(c), "%.200s.condition", ctx);
        int err =
            expr_build(r, &q->e, json_string_value(json_object_get(o, "condition")), job_scope, c);
        return err ? err : queue_ref(r, o, "queueId", &q->queue_id, ctx);
    }
    if (!strcmp(kind, "expression")) {
        q->kind = QS_EXPRESSION;
        snprintf(c, sizeof(c), "%.200s.expression", ctx);
        return expr_build(r, &q->e, json_string_value(json_object_get(o, "expression")), job_scope,
                          c);
    }
    if (!strcmp(kind, "weighted")) {
        q->kind = QS_WEIGHTED;
        return parse_weighted(r, q, o, ctx);
    }
    return bad(r, "%s: unknown kind '%s' (expected static, conditional, expression or weighted)",
               ctx, kind);
}

static int parse_wsel(struct router *r, struct wsel *w, const json_t *o, const char *ctx)
{
    const char *kind = json_string_value(json_object_get(o, "kind"));
    char c[300];
    if (!kind || !strcmp(kind, "static")) {
        json_t *one = json_array();
        json_array_append((json_t *)one, (json_t *)o);
        int err = selectors_parse(r, one, &w->sels, ctx, NULL);
        json_decref(one);
        return err;
    }
    if (strcmp(kind, "conditional"))
        return bad(r, "%s: unknown kind '%s' (expected static or conditional)", ctx, kind);
    snprintf(c, sizeof(c), "%.200s.condition", ctx);
    int err =
        expr_build(r, &w->cond, json_string_value(json_object_get(o, "condition")), job_scope, c);
    snprintf(c, sizeof(c), "%.200s.selectors", ctx);
    return err ? err : selectors_parse(r, json_object_get(o, "selectors"), &w->sels, c, NULL);
}

static int parse_prio(struct router *r, struct cpolicy *p, const json_t *o, const char *ctx)
{
    if (!o || json_is_null(o))
        return 0;
    const char *kind = json_string_value(json_object_get(o, "kind"));
    if (kind && !strcmp(kind, "static")) {
        const json_t *v = json_object_get(o, "value");
        if (!json_is_integer(v))
            return bad(r, "%s: prioritizationRule.value must be an integer", ctx);
        p->has_prio = true;
        p->prio = (int)json_integer_value(v);
        return 0;
    }
    if (kind && !strcmp(kind, "expression")) {
        char c[300];
        snprintf(c, sizeof(c), "%.200s: prioritizationRule.expression", ctx);
        return expr_build(r, &p->prio_expr, json_string_value(json_object_get(o, "expression")),
                          job_scope, c);
    }
    return bad(r, "%s: prioritizationRule kind must be static or expression", ctx);
}

static int array_of(struct router *r, const json_t *spec, const char *name, const char *ctx)
{
    const json_t *a = json_object_get(spec, name);
    if (a && !json_is_null(a) && !json_is_array(a))
        return bad(r, "%s: %s must be an array", ctx, name);
    return 0;
}

static int cpolicy_parse(struct router *r, struct cpolicy *p, const json_t *spec, const char *ctx)
{
    int err = array_of(r, spec, "queueSelectors", ctx);
    err = err ? err : array_of(r, spec, "workerSelectors", ctx);
    if (err)
        return err;
    const json_t *fb = json_object_get(spec, "fallbackQueueId");
    if (fb && !json_is_null(fb) && (err = queue_ref(r, spec, "fallbackQueueId", &p->fallback, ctx)))
        return err;
    const json_t *qs = json_object_get(spec, "queueSelectors");
    p->qs = xcalloc(json_array_size(qs), sizeof(*p->qs));
    for (size_t i = 0; i < json_array_size(qs); i++) {
        char c[300];
        snprintf(c, sizeof(c), "%.200s: queueSelectors[%zu]", ctx, i);
        p->nqs++;
        if ((err = parse_qsel(r, &p->qs[i], json_array_get(qs, i), c)))
            return err;
    }
    const json_t *ws = json_object_get(spec, "workerSelectors");
    p->ws = xcalloc(json_array_size(ws), sizeof(*p->ws));
    for (size_t i = 0; i < json_array_size(ws); i++) {
        char c[300];
        snprintf(c, sizeof(c), "%.200s: workerSelectors[%zu]", ctx, i);
        p->nws++;
        if ((err = parse_wsel(r, &p->ws[i], json_array_get(ws, i), c)))
            return err;
    }
    if ((err = parse_prio(r, p, json_object_get(spec, "prioritizationRule"), ctx)))
        return err;
    p->spec = json_deep_copy(spec);
    return 0;
}

int router_classification_policy_set(struct router *r, const json_t *spec, int64_t now,
                                     const char **why)
{
    router_sync(r, now);
    if (why)
        *why = r->why;
    const char *id = json_string_value(json_object_get(spec, "id"));
    if (!json_is_object(spec) || !id || !*id)
        return bad(r, "classification policy: an \"id\" is needed");
    char ctx[160];
    snprintf(ctx, sizeof(ctx), "classification policy '%.100s'", id);
    struct cpolicy fresh = {0};
    int err = cpolicy_parse(r, &fresh, spec, ctx);
    if (err) {
        cpolicy_clear(&fresh);
        return err;
    }
    struct cpolicy *p = cpolicy_find(r, id);
    if (p) {
        cpolicy_clear(p);
        fresh.id = p->id;
        *p = fresh;
        return 0;
    }
    p = xcalloc(1, sizeof(*p));
    *p = fresh;
    p->id = xstrdup(id);
    rmap_put(r->cps, p->id, p);
    return 0;
}

json_t *router_classification_policy_get(struct router *r, const char *id)
{
    struct cpolicy *p = cpolicy_find(r, id);
    return p ? json_deep_copy(p->spec) : NULL;
}

static bool ep_uses_cp(const struct epolicy *ep, const char *id)
{
    for (unsigned i = 0; i < ep->nrules; i++)
        for (unsigned k = 0; k < ep->rules[i].nacts; k++)
            if (ep->rules[i].acts[k].cp_id && !strcmp(ep->rules[i].acts[k].cp_id, id))
                return true;
    return false;
}

int router_classification_policy_delete(struct router *r, const char *id, const char **why)
{
    if (why)
        *why = r->why;
    struct cpolicy *p = cpolicy_find(r, id);
    if (!p) {
        bad(r, "no classification policy '%s'", id ? id : "");
        return ENOENT;
    }
    size_t pos = 0;
    void *v;
    while (rmap_next(r->eps, &pos, NULL, &v)) {
        if (ep_uses_cp(v, id)) {
            bad(r, "classification policy '%s' is used by exception policy '%s'", id,
                ((struct epolicy *)v)->id);
            return EBUSY;
        }
    }
    rmap_del(r->cps, p->id);
    cpolicy_free(p);
    return 0;
}

/* ---- running a policy ---- */

struct job_ctx {
    const struct router *r;
    const struct job *j;
};

static bool job_lookup(unsigned scope, const char *name, struct expr_value *out, void *arg)
{
    const struct job_ctx *c = arg;
    return scope == 0 && labels_lookup(c->r, &c->j->labels, name, out);
}

static struct expr_value eval_job(const struct router *r, struct expr *e, const struct job *j)
{
    struct expr_value v = {0};
    struct job_ctx c = {r, j};
    expr_eval(e, job_lookup, &c, &v);
    return v;
}

static struct queue *weighted_pick(struct router *r, const struct qsel *q)
{
    double total = 0;
    for (unsigned i = 0; i < q->nallocs; i++)
        total += q->allocs[i].weight;
    double x = router_random(r) * total, acc = 0;
    for (unsigned i = 0; i < q->nallocs; i++) {
        acc += q->allocs[i].weight;
        if (x < acc)
            return queue_find(r, q->allocs[i].queue_id);
    }
    return queue_find(r, q->allocs[q->nallocs - 1].queue_id);
}

static struct queue *select_queue(struct router *r, const struct qsel *q, const struct job *j)
{
    struct expr_value v;
    switch (q->kind) {
    case QS_STATIC:
        return queue_find(r, q->queue_id);
    case QS_CONDITIONAL:
        v = eval_job(r, q->e, j);
        return expr_truthy(&v) ? queue_find(r, q->queue_id) : NULL;
    case QS_EXPRESSION:
        v = eval_job(r, q->e, j);
        return v.type == EXPR_STRING && v.str ? queue_find(r, v.str) : NULL;
    case QS_WEIGHTED:
        return weighted_pick(r, q);
    }
    return NULL;
}

static void attach(struct selset *to, const struct selset *from)
{
    if (!from->n)
        return;
    struct selector *v = realloc(to->v, (to->n + from->n) * sizeof(*v));
    if (!v)
        abort();
    memcpy(v + to->n, from->v, from->n * sizeof(*v));
    to->v = v;
    to->n += from->n;
}

int classify(struct router *r, const struct cpolicy *cp, struct job *j, const char *own_queue,
             struct classification *out)
{
    memset(out, 0, sizeof(*out));
    for (unsigned i = 0; i < cp->nqs && !out->queue; i++)
        out->queue = select_queue(r, &cp->qs[i], j);
    if (!out->queue && cp->fallback)
        out->queue = queue_find(r, cp->fallback);
    if (!out->queue && own_queue)
        out->queue = queue_find(r, own_queue);
    if (!out->queue) {
        out->failure = "no queue selector chose an existing queue and there is no fallback";
        return EINVAL;
    }
    out->priority = j->priority;
    if (cp->has_prio) {
        out->priority = cp->prio;
    } else if (cp->prio_expr) {
        struct expr_value v = eval_job(r, cp->prio_expr, j);
        if (v.type == EXPR_NUMBER && isfinite(v.num) && fabs(v.num) < 1e9)
            out->priority = (int)llround(v.num);
    }
    for (unsigned i = 0; i < cp->nws; i++) {
        const struct wsel *w = &cp->ws[i];
        if (!w->cond) {
            attach(&out->attached, &w->sels);
        } else {
            struct expr_value v = eval_job(r, w->cond, j);
            if (expr_truthy(&v))
                attach(&out->attached, &w->sels);
        }
    }
    if (out->attached.n + j->requested.n > MAX_SELECTORS) {
        selset_free(&out->attached);
        out->failure = "too many worker selectors";
        return EINVAL;
    }
    return 0;
}
