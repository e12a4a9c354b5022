/*
 * webhook.c - signed JSON POSTs through libre's asynchronous HTTP client
 * (see webhook.h). Each call has its own timer: whichever of the answer,
 * the failure or the timeout comes first ends the call.
 */
#include "core/webhook.h"
#include "core/libre.h"
#include "core/log.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct webhook {
    struct dnsc *dnsc;
    struct http_cli *cli;
    struct list calls;
};

struct call {
    struct le le;
    struct http_req *req;
    struct tmr tmr;
    webhook_h *h;
    void *arg;
    int err; /* a failure to start, reported from the timer */
};

static void call_destructor(void *arg)
{
    struct call *c = arg;
    tmr_cancel(&c->tmr);
    list_unlink(&c->le);
    c->req = mem_deref(c->req); /* a cancelled request calls no handler */
    mem_deref(c->arg);
}

static void finish(struct call *c, int err, uint16_t status, const json_t *body)
{
    webhook_h *h = c->h;
    void *arg = mem_ref(c->arg);
    mem_deref(c);
    h(err, status, body, arg);
    mem_deref(arg);
}

static void on_response(int err, const struct http_msg *msg, void *arg)
{
    struct call *c = arg;
    c->req = NULL; /* libre frees it after this handler */
    if (err || !msg) {
        finish(c, err ? err : ECONNRESET, 0, NULL);
        return;
    }
    json_t *body = msg->mb && mbuf_get_left(msg->mb) ? json_loadb((const char *)mbuf_buf(msg->mb),
                                                                  mbuf_get_left(msg->mb), 0, NULL)
                                                     : NULL;
    finish(c, 0, msg->scode, body);
    json_decref(body);
}

static void on_timeout(void *arg)
{
    struct call *c = arg;
    c->req = mem_deref(c->req);
    finish(c, c->err ? c->err : ETIMEDOUT, 0, NULL);
}

void webhook_signature(char *out, size_t size, const char *secret, const char *body, size_t len)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    char hex[2 * sizeof(mac) + 1];
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    snprintf(out, size, "sha256=%s", hex);
}

int webhook_post(struct webhook *wh, const char *url, const json_t *body, const char *secret,
                 unsigned timeout_ms, webhook_h *h, void *arg)
{
    struct call *c = mem_zalloc(sizeof(*c), call_destructor);
    if (!c)
        return ENOMEM;
    c->h = h;
    c->arg = mem_ref(arg);
    tmr_init(&c->tmr);
    list_append(&wh->calls, &c->le, c);
    char *text = json_dumps(body, JSON_COMPACT);
    char sig[128] = "";
    if (text && secret) {
        char mac[96];
        webhook_signature(mac, sizeof(mac), secret, text, strlen(text));
        snprintf(sig, sizeof(sig), "X-Switchboard-Signature: %s\r\n", mac);
    }
    int err = text ? http_request(&c->req, wh->cli, "POST", url, on_response, NULL, c,
                                  "Content-Type: application/json\r\n%sContent-Length: %zu\r\n"
                                  "\r\n%s",
                                  sig, strlen(text), text)
                   : ENOMEM;
    free(text);
    /* The caller's stack must not see its handler: a failure to even
     * start is reported from the timer, at once. */
    c->err = err;
    tmr_start(&c->tmr, err ? 0 : timeout_ms, on_timeout, c);
    if (err)
        log_warn("webhook", "request not sent", "url=%s err=%d", url, err);
    return 0;
}

int webhook_alloc(struct webhook **whp)
{
    struct webhook *wh = mem_zalloc(sizeof(*wh), NULL);
    if (!wh)
        return ENOMEM;
    list_init(&wh->calls);
    struct sa srv[4];
    uint32_t n = 4;
    char domain[64];
    if (dns_srv_get(domain, sizeof(domain), srv, &n) != 0)
        n = 0;
    int err = dnsc_alloc(&wh->dnsc, NULL, srv, n);
    err = err ? err : http_client_alloc(&wh->cli, wh->dnsc);
    if (err) {
        webhook_free(wh);
        return err;
    }
    *whp = wh;
    return 0;
}

void webhook_free(struct webhook *wh)
{
    if (!wh)
        return;
    list_flush(&wh->calls); /* each call's destructor cancels its request */
    mem_deref(wh->cli);
    mem_deref(wh->dnsc);
    mem_deref(wh);
}
