/*
 * scoring.c - the scoring webhook of best-worker policies, server side
 * (see scoring.h): POSTs the engine's score request, signed with the
 * policy's secret, through libre's asynchronous HTTP client, and gives the
 * answer back with router_scores_provided() inside a routing change.
 *
 * Every failure (connection, status, body, timeout) answers NULL, so the
 * engine offers by the default score rather than keep the job waiting.
 * The engine has its own deadline too; whichever comes first wins and the
 * other gets EALREADY, which is not an error here.
 */
#include "routing/scoring.h"
#include "core/clock.h"
#include "core/libre.h"
#include "core/log.h"
#include "core/webhook.h"
#include "router/router.h"
#include "routing/service.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct scorer {
    struct app *app;
    bool live;
    struct webhook *wh;
};

/* One request in flight: what the answer is handed back with. */
struct call {
    struct scorer *s;
    char id[64];
    char url[256]; /* for logs */
};

/* Hand the answer to the engine (scores NULL: failed). */
static void finish(struct call *c, const json_t *scores)
{
    struct app *app = c->s->app;
    if (routing_begin(app) != 0) {
        log_error("router", "scoring answer dropped: store busy", "request=%s", c->id);
        return; /* the engine's deadline falls back to default scores */
    }
    int err = router_scores_provided(routing_engine(app), c->id, scores, clock_now_ms());
    routing_end(app, 0);
    if (err && err != EALREADY)
        log_error("router", "scoring answer refused", "request=%s err=%d", c->id, err);
}

static void fail(struct call *c, const char *what, int code)
{
    log_error("router", "scoring webhook failed", "request=%s url=%s why=\"%s\" code=%d", c->id,
              c->url, what, code);
    finish(c, NULL);
}

/* {"scores":{"w1":3}} or {"scores":[{"workerId":"w1","score":3}]} ->
 * {"w1":3}; NULL when neither. New reference. */
static json_t *scores_of(const json_t *body)
{
    const json_t *sc = json_object_get(body, "scores");
    if (json_is_object(sc))
        return json_incref((json_t *)sc);
    if (!json_is_array(sc))
        return NULL;
    json_t *out = json_object();
    size_t i;
    const json_t *e;
    json_array_foreach(sc, i, e)
    {
        const char *w = json_string_value(json_object_get(e, "workerId"));
        const json_t *v = json_object_get(e, "score");
        if (!w || !json_is_number(v)) {
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, w, json_real(json_number_value(v)));
    }
    return out;
}

static void on_response(int err, uint16_t status, const json_t *body, void *arg)
{
    struct call *c = arg;
    if (err) {
        fail(c, err == ETIMEDOUT ? "timed out" : "no response (connection or TLS error)", err);
        return;
    }
    if (status != 200) {
        fail(c, "status is not 200", status);
        return;
    }
    json_t *scores = scores_of(body);
    if (!scores) {
        fail(c, "body is not {\"scores\":...}", 0);
        return;
    }
    finish(c, scores);
    json_decref(scores);
}

/* The policy's scoringRule for a queue (secret, timeout). Borrowed from
 * *spec, a new reference the caller frees. */
static const json_t *scoring_rule(struct app *app, const char *queue_id, json_t **spec)
{
    struct router *r = routing_engine(app);
    json_t *q = router_queue_get(r, queue_id);
    const char *dp_id = json_string_value(json_object_get(q, "distributionPolicyId"));
    *spec = dp_id ? router_distribution_policy_get(r, dp_id) : NULL;
    json_decref(q);
    return json_object_get(json_object_get(*spec, "mode"), "scoringRule");
}

void scorer_request(struct scorer *s, const char *request_id, const json_t *request,
                    const char *url)
{
    if (!s || !s->live)
        return; /* matched again when the server runs */
    struct call *c = mem_zalloc(sizeof(*c), NULL);
    if (!c) {
        log_error("router", "scoring webhook not called: out of memory", "request=%s", request_id);
        return;
    }
    c->s = s;
    snprintf(c->id, sizeof(c->id), "%s", request_id);
    snprintf(c->url, sizeof(c->url), "%s", url);
    json_t *spec = NULL;
    const char *queue_id = json_string_value(json_object_get(request, "queueId"));
    const json_t *rule = scoring_rule(s->app, queue_id ? queue_id : "", &spec);
    const json_t *t = json_object_get(rule, "timeoutSeconds");
    double secs = json_is_number(t) ? json_number_value(t) : 5;
    int err = webhook_post(s->wh, url, request, json_string_value(json_object_get(rule, "secret")),
                           (unsigned)(secs * 1000), on_response, c);
    json_decref(spec);
    mem_deref(c); /* the call holds it */
    if (err)
        log_error("router", "scoring webhook not called", "request=%s url=%s err=%d", request_id,
                  url, err);
}

int scorer_alloc(struct scorer **sp, struct app *app, bool live)
{
    struct scorer *s = mem_zalloc(sizeof(*s), NULL);
    if (!s)
        return ENOMEM;
    s->app = app;
    s->live = live;
    int err = live ? webhook_alloc(&s->wh) : 0;
    if (err) {
        mem_deref(s);
        return err;
    }
    *sp = s;
    return 0;
}

void scorer_free(struct scorer *s)
{
    if (!s)
        return;
    webhook_free(s->wh); /* cancels the calls in flight */
    mem_deref(s);
}
