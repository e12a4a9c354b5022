/*
 * api.h - the HTTP application layer: a routing table that modules fill,
 * and the request context their handlers get.
 *
 * For every request the layer: gives it an id (X-Request-Id, echoed),
 * matches a route (404, or 405 with Allow), authenticates the bearer token
 * or API key (401), checks the route's roles (403), reads a JSON body when
 * the route takes one (415, 400, 413 by the transport), calls the handler,
 * and writes one access-log line when the reply goes out.
 *
 * Handlers reply once with an api_reply_* function, now or later: to reply
 * later, mem_ref() the request and mem_deref() it after replying.
 * Errors are {"error":{"code":"...","message":"...","requestId":"..."}},
 * with "details" for validation problems.
 */
#ifndef SB_HTTP_API_H
#define SB_HTTP_API_H

#include "core/principal.h"
#include "core/schema.h"
#include "http/httpd.h"
#include "http/websocket.h"

#include <jansson.h>

struct app;

enum { API_MAX_PARAMS = 4, API_PARAM_SIZE = 128 };

enum api_route_flags {
    ROUTE_JSON_BODY = 1u << 0,     /* requires a JSON object body */
    ROUTE_IDEMPOTENT = 1u << 1,    /* a create honouring Idempotency-Key */
    ROUTE_JSON_OPTIONAL = 1u << 2, /* a JSON object body if any; else {} */
};

struct api_req {
    struct app *app;
    struct httpd_conn *conn;
    const struct httpd_req *hreq; /* only during the handler call */
    char id[24];                  /* request id */
    char method[8];
    char path[256];
    char peer[64];
    struct principal who;
    char token[128];                             /* the credential presented (for logout) */
    char params[API_MAX_PARAMS][API_PARAM_SIZE]; /* {name} segments, decoded */
    json_t *body;                                /* JSON body, when the route takes one */
    json_t *query;                               /* query parameters as strings */
    char idem_key[128];
    char idem_hash[65];
    int64_t t0_us;
    bool replied;
};

typedef void(api_h)(struct api_req *req);

struct api_route {
    const char *method;  /* "GET", "POST", ... */
    const char *pattern; /* "/v1/users/{id}" */
    unsigned roles;      /* ROLE_* bits allowed; 0 means public */
    unsigned flags;
    api_h *handler;
};

/* Add a module's routes (array ended by {NULL}). */
int api_routes_register(const struct api_route *routes);

/* The request handler and transport error handler to give httpd_listen. */
void api_dispatch(struct httpd_conn *conn, const struct httpd_req *hreq, void *arg);
void api_transport_error(struct httpd_conn *conn, uint16_t status, const char *code,
                         const char *message, void *arg);

void api_reply_json(struct api_req *req, uint16_t status, json_t *body);
/* The same with extra header lines (e.g. "Location: /v1/users/x\r\n"). */
void api_reply_json_headers(struct api_req *req, uint16_t status, const char *extra, json_t *body);
void api_reply_empty(struct api_req *req, uint16_t status);
void api_reply_error(struct api_req *req, uint16_t status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* An error with extra header lines (e.g. "Retry-After: 30\r\n"). */
void api_reply_error_headers(struct api_req *req, uint16_t status, const char *extra,
                             const char *code, const char *message);
/* 422 with each problem in "details". */
void api_reply_problems(struct api_req *req, const struct schema_result *res);
/* Map a store error: EEXIST 409, ENOENT 404, EBUSY 503, else 500. */
void api_reply_store_error(struct api_req *req, int err, const char *what);
/* The connection was upgraded (WebSocket): no reply, log 101. */
void api_reply_upgraded(struct api_req *req);
/* A file's whole content (404 when there is no such file). */
void api_reply_file(struct api_req *req, const char *path, const char *ctype, const char *extra);
/* A raw reply (static files); body may be NULL. */
void api_reply_raw(struct api_req *req, uint16_t status, const char *ctype,
                   const char *extra_headers, const void *body, size_t len);

/* Upgrade the request to a WebSocket (websocket_accept) and log it as
 * 101; when it is not a WebSocket request, answer 400 naming the path.
 * Returns the accept's error. */
int api_websocket_accept(struct api_req *req, struct websocket **wsp,
                         const struct websocket_opts *opts, websocket_recv_h *recvh,
                         websocket_close_h *closeh, void *arg);

/* The peer's address without its port (limits apply to the host). */
void api_peer_host(const struct api_req *req, char *out, size_t size);

/* Query parameter or NULL. */
const char *api_query(const struct api_req *req, const char *name);
/* Parse ?limit= (default, 1..max) or reply 400 and return -1. */
int api_query_limit(struct api_req *req, int def, int max);

/* Per-process counters for /metrics and tests. */
struct api_stats {
    uint64_t requests;
    uint64_t by_class[6]; /* 1xx..5xx */
};
const struct api_stats *api_stats(void);

#endif
