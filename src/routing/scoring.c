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
#include "router/router.h"
#include "routing/service.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct scorer {
    struct app *app;
    bool live;
    struct dnsc *dnsc;
    struct http_cli *cli;
    struct list calls; /* struct call, in flight */
};

struct call {
    struct le le;
    struct scorer *s;
    char id[64];
    char url[256]; /* for logs */
    struct http_req *req;
    struct tmr tmr;
};

static void call_destructor(void *arg)
{
    struct call *c = arg;
    tmr_cancel(&c->tmr);
    list_unlink(&c->le);
    c->req = mem_deref(c->req); /* a cancelled request calls no handler */
}

/* Hand the answer to the engine (scores NULL: failed) and end the call. */
static void finish(struct call *c, const json_t *scores)
{
    struct app *app = c->s->app;
    if (routing_begin(app) != 0) {
        log_error("router", "scoring answer dropped: store busy", "request=%s", c->id);
        mem_deref(c); /* the engine's deadline falls back to default scores */
        return;
    }
    int err = router_scores_provided(routing_engine(app), c->id, scores, clock_now_ms());
    routing_end(app, 0);
    if (err && err != EALREADY)
        log_error("router", "scoring answer refused", "request=%s err=%d", c->id, err);
    mem_deref(c);
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

static void on_response(int err, const struct http_msg *msg, void *arg)
{
    struct call *c = arg;
    c->req = NULL; /* libre frees it after this handler */
    if (err || !msg) {
        fail(c, "no response (connection or TLS error)", err);
        return;
    }
    if (msg->scode != 200) {
        fail(c, "status is not 200", msg->scode);
        return;
    }
    json_t *body =
        msg->mb ? json_loadb((const char *)mbuf_buf(msg->mb), mbuf_get_left(msg->mb), 0, NULL)
                : NULL;
    json_t *scores = scores_of(body);
    json_decref(body);
    if (!scores) {
        fail(c, "body is not {\"scores\":...}", 0);
        return;
    }
    finish(c, scores);
    json_decref(scores);
}

static void on_timeout(void *arg)
{
    struct call *c = arg;
    c->req = mem_deref(c->req);
    fail(c, "timed out", ETIMEDOUT);
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

/* "X-Switchboard-Signature: sha256=<hex HMAC of the body>\r\n", or "". */
static void signature_header(char *out, size_t size, const char *secret, const char *body)
{
    out[0] = 0;
    if (!secret)
        return;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&st, mac);
    char hex[2 * sizeof(mac) + 1];
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    snprintf(out, size, "X-Switchboard-Signature: sha256=%s\r\n", hex);
}

static int send_call(struct call *c, const char *url, const char *body, const char *secret)
{
    char sig[128];
    signature_header(sig, sizeof(sig), secret, body);
    return http_request(&c->req, c->s->cli, "POST", url, on_response, NULL, c,
                        "Content-Type: application/json\r\n%sContent-Length: %zu\r\n\r\n%s", sig,
                        strlen(body), body);
}

void scorer_request(struct scorer *s, const char *request_id, const json_t *request,
                    const char *url)
{
    if (!s || !s->live)
        return; /* matched again when the server runs */
    struct call *c = mem_zalloc(sizeof(*c), call_destructor);
    if (!c) {
        log_error("router", "scoring webhook not called: out of memory", "request=%s", request_id);
        return;
    }
    c->s = s;
    snprintf(c->id, sizeof(c->id), "%s", request_id);
    snprintf(c->url, sizeof(c->url), "%s", url);
    tmr_init(&c->tmr);
    list_append(&s->calls, &c->le, c);
    json_t *spec = NULL;
    const char *queue_id = json_string_value(json_object_get(request, "queueId"));
    const json_t *rule = scoring_rule(s->app, queue_id ? queue_id : "", &spec);
    const json_t *t = json_object_get(rule, "timeoutSeconds");
    double secs = json_is_number(t) ? json_number_value(t) : 5;
    char *body = json_dumps(request, JSON_COMPACT);
    int err =
        body ? send_call(c, url, body, json_string_value(json_object_get(rule, "secret"))) : ENOMEM;
    free(body);
    json_decref(spec);
    /* The loop must not be re-entered from the engine's handler: a failure
     * to even start is reported from the timer, at once. */
    tmr_start(&c->tmr, err ? 0 : (uint64_t)(secs * 1000), on_timeout, c);
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
    list_init(&s->calls);
    int err = 0;
    if (live) {
        struct sa srv[4];
        uint32_t n = 4;
        char domain[64];
        if (dns_srv_get(domain, sizeof(domain), srv, &n) != 0)
            n = 0;
        err = dnsc_alloc(&s->dnsc, NULL, srv, n);
        err = err ? err : http_client_alloc(&s->cli, s->dnsc);
    }
    if (err) {
        scorer_free(s);
        return err;
    }
    *sp = s;
    return 0;
}

void scorer_free(struct scorer *s)
{
    if (!s)
        return;
    list_flush(&s->calls); /* each call's destructor cancels its request */
    mem_deref(s->cli);
    mem_deref(s->dnsc);
    mem_deref(s);
}
