/*
 * webhook.h - signed JSON POSTs to a business's own services (scoring
 * webhooks, external bots), without blocking the loop.
 *
 * The body is signed with the hook's secret: the request carries
 * "X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of the exact body>",
 * so the receiver can check it came from this server. The handler is
 * called exactly once, always later from the loop (never from inside
 * webhook_post), with err 0 and the status and the parsed JSON body (NULL
 * when the body is empty or not JSON), or with an error: ETIMEDOUT when no
 * answer came in time, another errno when the connection failed.
 */
#ifndef SB_CORE_WEBHOOK_H
#define SB_CORE_WEBHOOK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct webhook;

typedef void(webhook_h)(int err, uint16_t status, const json_t *body, void *arg);

int webhook_alloc(struct webhook **whp);
/* Cancels every call in flight: their handlers are not called. */
void webhook_free(struct webhook *wh);

/* POST body to url (http:// or https://). secret NULL: unsigned. arg, if
 * not NULL, must be mem-allocated: the call holds a reference to it until
 * it ends (so a cancelled call frees what it was given). */
int webhook_post(struct webhook *wh, const char *url, const json_t *body, const char *secret,
                 unsigned timeout_ms, webhook_h *h, void *arg);

/* "sha256=<hex>" of body under secret, into out (at least 72 bytes). */
void webhook_signature(char *out, size_t size, const char *secret, const char *body, size_t len);

#endif
