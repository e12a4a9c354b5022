/*
 * api.c - request dispatch: routing table, credentials, roles, JSON
 * bodies, Idempotency-Key (see api.h).
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/libre.h"
#include "core/log.h"
#include "http/api.h"
#include "http/api_internal.h"
#include "http/urlcode.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TABLES = 32 };

static const struct api_route *tables[MAX_TABLES];
static size_t ntables;

int api_routes_register(const struct api_route *routes)
{
    for (size_t i = 0; i < ntables; i++) {
        if (tables[i] == routes)
            return 0;
    }
    if (ntables == MAX_TABLES)
        return ENOSPC;
    tables[ntables++] = routes;
    return 0;
}

/* Match "/v1/users/{id}" against a decoded-per-segment path. Segments are
 * decoded individually so that "%2F" inside an id stays inside it. */
static bool pattern_match(const char *pattern, const char *path, size_t path_len,
                          char params[API_MAX_PARAMS][API_PARAM_SIZE])
{
    size_t np = 0;
    const char *p = pattern, *s = path, *end = path + path_len;
    while (*p && s < end) {
        if (*p != '/' || *s != '/')
            return false;
        p++, s++;
        const char *pe = strchr(p, '/');
        size_t plen = pe ? (size_t)(pe - p) : strlen(p);
        const char *se = memchr(s, '/', (size_t)(end - s));
        size_t slen = se ? (size_t)(se - s) : (size_t)(end - s);
        if (plen && p[0] == '{') {
            if (slen == 0 || np == API_MAX_PARAMS ||
                url_decode(params[np++], API_PARAM_SIZE, s, slen, false) != 0)
                return false;
        } else if (plen != slen || memcmp(p, s, slen) != 0) {
            return false;
        }
        p += plen;
        s += slen;
    }
    return *p == '\0' && s == end;
}

/* Find the route; when only the method is wrong, fill allow for 405. */
static const struct api_route *route_find(struct api_req *req, const struct pl *path, char *allow,
                                          size_t allow_size)
{
    size_t n = 0;
    allow[0] = '\0';
    for (size_t t = 0; t < ntables; t++) {
        for (const struct api_route *r = tables[t]; r->method; r++) {
            if (!pattern_match(r->pattern, path->p, path->l, req->params))
                continue;
            if (strcmp(r->method, req->method) == 0 ||
                (strcmp(r->method, "GET") == 0 && strcmp(req->method, "HEAD") == 0))
                return r;
            if (!strstr(allow, r->method))
                n += (size_t)snprintf(allow + n, allow_size - n, "%s%s", n ? ", " : "", r->method);
        }
    }
    return NULL;
}

static void req_destructor(void *arg)
{
    struct api_req *req = arg;
    json_decref(req->body);
    json_decref(req->query);
    mem_deref(req->conn);
}

/* A random prefix per process plus a counter: unique, and cheap enough
 * for every request. */
static void new_request_id(char *buf, size_t size)
{
    static uint32_t prefix;
    static uint64_t counter;
    if (!prefix)
        prefix = randombytes_random() | 1;
    snprintf(buf, size, "%08x%012llx", prefix, (unsigned long long)++counter);
}

static void make_request_id(struct api_req *req)
{
    const struct http_hdr *h = http_msg_xhdr(req->hreq->msg, "X-Request-Id");
    if (h && h->val.l >= 1 && h->val.l < sizeof(req->id)) {
        bool ok = true;
        for (size_t i = 0; i < h->val.l && ok; i++) {
            char c = h->val.p[i];
            ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 c == '-' || c == '_' || c == '.';
        }
        if (ok) {
            pl_strcpy(&h->val, req->id, sizeof(req->id));
            return;
        }
    }
    new_request_id(req->id, sizeof(req->id));
}

static bool content_is_json(const struct http_msg *msg)
{
    return msg_ctype_cmp(&msg->ctyp, "application", "json");
}

/* Parse the JSON object body, or reply and return false. */
static bool read_json_body(struct api_req *req)
{
    const struct httpd_req *h = req->hreq;
    if (!h->body || h->body_len == 0) {
        api_reply_error(req, 400, "body_required", "this request needs a JSON object body");
        return false;
    }
    if (!content_is_json(h->msg)) {
        api_reply_error(req, 415, "unsupported_media_type",
                        "send the body as JSON with \"Content-Type: application/json\"");
        return false;
    }
    json_error_t jerr;
    req->body = json_loadb((const char *)h->body, h->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req->body) {
        /* jansson reports bad UTF-8 as an undecodable byte: say so plainly. */
        bool utf8 = json_error_code(&jerr) == json_error_invalid_utf8 ||
                    strstr(jerr.text, "decode byte") != NULL;
        api_reply_error(req, 400, utf8 ? "invalid_utf8" : "invalid_json",
                        "the body is not valid JSON%s: %s (line %d, column %d)",
                        utf8 ? " (text must be UTF-8)" : "", jerr.text, jerr.line, jerr.column);
        return false;
    }
    if (!json_is_object(req->body)) {
        api_reply_error(req, 400, "invalid_json", "the body must be a JSON object");
        return false;
    }
    return true;
}

static void idempotency_prepare(struct api_req *req)
{
    const struct http_hdr *h = http_msg_xhdr(req->hreq->msg, "Idempotency-Key");
    if (!h || h->val.l == 0 || h->val.l >= sizeof(req->idem_key))
        return;
    pl_strcpy(&h->val, req->idem_key, sizeof(req->idem_key));
    /* The request's identity: method, path and exact body bytes. */
    crypto_generichash_state st;
    unsigned char digest[32];
    crypto_generichash_init(&st, NULL, 0, sizeof(digest));
    crypto_generichash_update(&st, (const unsigned char *)req->method, strlen(req->method));
    crypto_generichash_update(&st, (const unsigned char *)req->path, strlen(req->path));
    if (req->hreq->body)
        crypto_generichash_update(&st, req->hreq->body, req->hreq->body_len);
    crypto_generichash_final(&st, digest, sizeof(digest));
    sodium_bin2hex(req->idem_hash, sizeof(req->idem_hash), digest, sizeof(digest));
}

static bool prepare(struct api_req *req, const struct api_route *route)
{
    if (route->roles) {
        if (api_authenticate(req) != 0)
            return false;
        if (!(route->roles & req->who.role)) {
            api_reply_error(req, 403, "forbidden", "the %s role may not %s %s",
                            role_name(req->who.role), req->method, req->path);
            return false;
        }
    }
    if ((route->flags & ROUTE_JSON_OPTIONAL) && req->hreq->body_len == 0)
        req->body = json_object();
    else if ((route->flags & (ROUTE_JSON_BODY | ROUTE_JSON_OPTIONAL)) && !read_json_body(req))
        return false;
    if (route->flags & ROUTE_IDEMPOTENT) {
        idempotency_prepare(req);
        if (req->idem_key[0] && api_idempotency_replay(req))
            return false;
    }
    return true;
}

static void dispatch(struct api_req *req)
{
    const struct http_msg *msg = req->hreq->msg;
    if (url_query_parse(msg->prm.p ? msg->prm.p + (msg->prm.l && msg->prm.p[0] == '?') : "",
                        msg->prm.l ? msg->prm.l - (msg->prm.p[0] == '?') : 0, &req->query) != 0) {
        api_reply_error(req, 400, "bad_query", "the query string has a bad %%-escape");
        return;
    }
    char allow[128];
    const struct api_route *route = route_find(req, &msg->path, allow, sizeof(allow));
    bool api_path = pl_strcmp(&msg->path, "/v1") == 0 ||
                    (msg->path.l >= 4 && memcmp(msg->path.p, "/v1/", 4) == 0);
    if (!route && allow[0]) {
        char extra[160];
        snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
        api_reply_error_headers(req, 405, extra, "method_not_allowed",
                                "this resource does not support this method; see Allow");
        return;
    }
    if (!route && !api_path &&
        (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)) {
        static_serve(req);
        return;
    }
    if (!route) {
        api_reply_error(req, 404, "not_found", "no such resource: %s %s", req->method, req->path);
        return;
    }
    if (prepare(req, route))
        route->handler(req);
}

void api_dispatch(struct httpd_conn *conn, const struct httpd_req *hreq, void *arg)
{
    struct api_req *req = mem_zalloc(sizeof(*req), req_destructor);
    if (!req) {
        httpd_reply(conn, 503, "Service Unavailable", NULL, NULL, NULL, 0);
        return;
    }
    req->t0_us = clock_mono_us();
    req->app = arg;
    req->conn = mem_ref(conn);
    req->hreq = hreq;
    pl_strcpy(&hreq->msg->met, req->method, sizeof(req->method));
    const struct pl *path = &hreq->msg->path;
    size_t plen = path->l < sizeof(req->path) - 1 ? path->l : sizeof(req->path) - 1;
    memcpy(req->path, path->p, plen);
    req->path[plen] = '\0';
    re_snprintf(req->peer, sizeof(req->peer), "%J", &hreq->peer);
    make_request_id(req);

    dispatch(req);

    req->hreq = NULL;
    if (!req->replied && mem_nrefs(req) == 1) {
        log_error("http", "handler did not reply", "rid=%s path=%s", req->id, req->path);
        api_reply_error(req, 500, "internal", "the server did not answer this request");
    }
    mem_deref(req);
}

void api_transport_error(struct httpd_conn *conn, uint16_t status, const char *code,
                         const char *message, void *arg)
{
    struct api_req req = {.app = arg, .conn = conn, .t0_us = clock_mono_us()};
    snprintf(req.method, sizeof(req.method), "-");
    snprintf(req.path, sizeof(req.path), "-");
    re_snprintf(req.peer, sizeof(req.peer), "%J", httpd_conn_peer(conn));
    new_request_id(req.id, sizeof(req.id));
    api_reply_error_headers(&req, status, NULL, code, message);
}

const char *api_query(const struct api_req *req, const char *name)
{
    return json_string_value(json_object_get(req->query, name));
}

int api_query_limit(struct api_req *req, int def, int max)
{
    const char *s = api_query(req, "limit");
    if (!s)
        return def;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || end == s || v < 1 || v > max) {
        api_reply_error(req, 400, "bad_query", "limit must be a whole number from 1 to %d", max);
        return -1;
    }
    return (int)v;
}
