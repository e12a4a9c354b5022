/*
 * policy.c - distribution policies: how a queue's jobs are offered (mode,
 * offer expiry, concurrent offers, selector bypass, serial order, scoring
 * rule, and when missed offers make a worker unavailable).
 *
 * Replacing a policy keeps the same object (queues point at it), so the
 * new settings apply to the next offer without touching any queue.
 */
#include "router/router_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {"longest-idle", "round-robin", "serial", "best-worker"};

struct dpolicy *dpolicy_find(struct router *r, const char *id)
{
    return id ? rmap_get(r->dps, id) : NULL;
}

static void dpolicy_clear(struct dpolicy *p)
{
    json_decref(p->spec);
    rmap_free(p->serial_rank);
    expr_free(p->score);
    free(p->hook_url);
    free(p->unavail_reason);
    char *id = p->id;
    memset(p, 0, sizeof(*p));
    p->id = id;
}

void dpolicy_free(struct dpolicy *p)
{
    if (!p)
        return;
    dpolicy_clear(p);
    free(p->id);
    free(p);
}

static int uint_field(struct router *r, const json_t *o, const char *name, unsigned dflt,
                      unsigned *out, const char *ctx)
{
    const json_t *v = json_object_get(o, name);
    if (!v || json_is_null(v)) {
        *out = dflt;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000)
        return bad(r, "%s: %s must be a non-negative integer", ctx, name);
    *out = (unsigned)json_integer_value(v);
    return 0;
}

static int parse_serial(struct router *r, struct dpolicy *p, const json_t *order, const char *ctx)
{
    if (order && !json_is_array(order))
        return bad(r, "%s: workerOrder must be an array of worker ids", ctx);
    if (rmap_alloc(&p->serial_rank, json_array_size(order) + 1))
        return ENOMEM;
    size_t i;
    json_t *v;
    json_array_foreach(order, i, v)
    {
        if (!json_is_string(v))
            return bad(r, "%s: workerOrder[%zu] must be a worker id", ctx, i);
        if (!rmap_get(p->serial_rank, json_string_value(v)))
            rmap_put(p->serial_rank, json_string_value(v), (void *)(uintptr_t)(i + 1));
    }
    return 0;
}

/* {"kind":"webhook","url","timeoutSeconds"}: the engine keeps the url and
 * the timeout; the caller's score handler does the request. */
static int parse_webhook(struct router *r, struct dpolicy *p, const json_t *rule, const char *ctx)
{
    const char *url = json_string_value(json_object_get(rule, "url"));
    if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
        return bad(r, "%s: scoringRule.url must be an http:// or https:// URL", ctx);
    const json_t *t = json_object_get(rule, "timeoutSeconds");
    double secs = 5;
    if (t && !json_is_null(t)) {
        if (!json_is_number(t) || json_number_value(t) < 0.1 || json_number_value(t) > 60)
            return bad(r, "%s: scoringRule.timeoutSeconds must be between 0.1 and 60", ctx);
        secs = json_number_value(t);
    }
    p->hook_url = xstrdup(url);
    p->hook_timeout = seconds_to_ms(secs);
    return 0;
}

static int parse_scoring(struct router *r, struct dpolicy *p, const json_t *rule, const char *ctx)
{
    static const char *const scopes[] = {"job", "worker", NULL};
    if (!rule || json_is_null(rule))
        return 0;
    const char *kind = json_string_value(json_object_get(rule, "kind"));
    if (kind && !strcmp(kind, "webhook"))
        return parse_webhook(r, p, rule, ctx);
    if (!kind || strcmp(kind, "expression"))
        return bad(r, "%s: scoringRule kind must be 'expression' or 'webhook'", ctx);
    char c[256];
    snprintf(c, sizeof(c), "%.200s: scoringRule.expression", ctx);
    return expr_build(r, &p->score, json_string_value(json_object_get(rule, "expression")), scopes,
                      c);
}

static int parse_mode(struct router *r, struct dpolicy *p, const json_t *mode, const char *ctx)
{
    if (!json_is_object(mode))
        return bad(r, "%s: a \"mode\" object is needed", ctx);
    const char *kind = json_string_value(json_object_get(mode, "kind"));
    unsigned k;
    for (k = 0; kind && k < 4 && strcmp(kind, mode_names[k]); k++)
        ;
    if (!kind || k == 4)
        return bad(r,
                   "%s: unknown mode '%s' (expected longest-idle, round-robin, serial or "
                   "best-worker)",
                   ctx, kind ? kind : "");
    p->mode = (enum dist_mode)k;
    int err = uint_field(r, mode, "minConcurrentOffers", 1, &p->min_offers, ctx);
    if (!err && p->min_offers < 1)
        p->min_offers = 1;
    err =
        err ? err : uint_field(r, mode, "maxConcurrentOffers", p->min_offers, &p->max_offers, ctx);
    if (err)
        return err;
    if (p->max_offers < p->min_offers)
        return bad(r, "%s: maxConcurrentOffers (%u) is below minConcurrentOffers (%u)", ctx,
                   p->max_offers, p->min_offers);
    p->bypass = json_is_true(json_object_get(mode, "bypassSelectors"));
    const json_t *desc = json_object_get(mode, "descendingOrder");
    p->descending = !json_is_false(desc);
    if (p->mode == MODE_SERIAL)
        err = parse_serial(r, p, json_object_get(mode, "workerOrder"), ctx);
    if (!err && p->mode == MODE_BEST_WORKER)
        err = parse_scoring(r, p, json_object_get(mode, "scoringRule"), ctx);
    return err;
}

static int dpolicy_parse(struct router *r, struct dpolicy *p, const json_t *given, const char *ctx)
{
    /* Parsed from our own copy: the serial order map keeps its strings. */
    p->spec = json_deep_copy(given);
    const json_t *spec = p->spec;
    const json_t *ttl = json_object_get(spec, "offerExpiresAfterSeconds");
    p->ttl = 30000;
    if (ttl && !json_is_null(ttl)) {
        if (!json_is_number(ttl) || json_number_value(ttl) <= 0)
            return bad(r, "%s: offerExpiresAfterSeconds must be a positive number", ctx);
        p->ttl = seconds_to_ms(json_number_value(ttl));
        if (p->ttl < 1)
            p->ttl = 1;
    }
    int err = parse_mode(r, p, json_object_get(spec, "mode"), ctx);
    err = err ? err : uint_field(r, spec, "unavailableAfterExpiries", 0, &p->unavail_after, ctx);
    if (err)
        return err;
    const char *reason = json_string_value(json_object_get(spec, "unavailableReason"));
    p->unavail_reason = xstrdup(reason ? reason : "missed offers");
    return 0;
}

int router_distribution_policy_set(struct router *r, const json_t *spec, int64_t now,
                                   const char **why)
{
    router_sync(r, now);
    const char *id = json_string_value(json_object_get(spec, "id"));
    if (why)
        *why = r->why;
    if (!json_is_object(spec) || !id || !*id)
        return bad(r, "distribution policy: an \"id\" is needed");
    char ctx[160];
    snprintf(ctx, sizeof(ctx), "distribution policy '%.100s'", id);
    struct dpolicy fresh = {0};
    int err = dpolicy_parse(r, &fresh, spec, ctx);
    if (err) {
        dpolicy_clear(&fresh);
        return err;
    }
    struct dpolicy *p = dpolicy_find(r, id);
    if (p) {
        dpolicy_clear(p);
        fresh.id = p->id;
        *p = fresh;
        return 0;
    }
    p = xcalloc(1, sizeof(*p));
    *p = fresh;
    p->id = xstrdup(id);
    rmap_put(r->dps, p->id, p);
    return 0;
}

json_t *router_distribution_policy_get(struct router *r, const char *id)
{
    struct dpolicy *p = dpolicy_find(r, id);
    return p ? json_deep_copy(p->spec) : NULL;
}

int router_distribution_policy_delete(struct router *r, const char *id, const char **why)
{
    if (why)
        *why = r->why;
    struct dpolicy *p = dpolicy_find(r, id);
    if (!p) {
        bad(r, "no distribution policy '%s'", id ? id : "");
        return ENOENT;
    }
    size_t pos = 0;
    void *v;
    while (rmap_next(r->queues, &pos, NULL, &v)) {
        struct queue *q = v;
        if (q->dp == p) {
            bad(r, "distribution policy '%s' is used by queue '%s'", id, q->id);
            return EBUSY;
        }
    }
    rmap_del(r->dps, p->id);
    dpolicy_free(p);
    return 0;
}
