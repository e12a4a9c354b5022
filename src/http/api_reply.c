/*
 * api_reply.c - sending replies: JSON and error bodies, the access log,
 * counters, and recording answers to Idempotency-Key requests.
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/libre.h"
#include "core/log.h"
#include "core/settings.h"
#include "http/api.h"
#include "http/api_internal.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static struct api_stats stats;

const struct api_stats *api_stats(void)
{
    return &stats;
}

static const struct {
    uint16_t status;
    const char *reason;
} reasons[] = {
    {200, "OK"},
    {201, "Created"},
    {204, "No Content"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {409, "Conflict"},
    {411, "Length Required"},
    {413, "Content Too Large"},
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Content"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {503, "Service Unavailable"},
    {505, "HTTP Version Not Supported"},
};

static const char *reason_phrase(uint16_t status)
{
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        if (reasons[i].status == status)
            return reasons[i].reason;
    }
    return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
}

static void access_log(struct api_req *req, uint16_t status)
{
    stats.requests++;
    stats.by_class[status / 100 <= 5 ? status / 100 : 0]++;
    if (!req->app || !settings_bool(req->app, "http.accessLog"))
        return;
    char path[300];
    log_info("http", "request", "rid=%s method=%s path=%s status=%u us=%lld peer=%s who=%s",
             req->id, req->method, log_quote(path, sizeof(path), req->path), status,
             (long long)(clock_mono_us() - req->t0_us), req->peer,
             req->who.kind ? req->who.id : "-");
}

void api_reply_raw(struct api_req *req, uint16_t status, const char *ctype,
                   const char *extra_headers, const void *body, size_t len)
{
    if (req->replied)
        return;
    req->replied = true;
    char headers[768];
    snprintf(headers, sizeof(headers), "X-Request-Id: %s\r\n%s", req->id,
             extra_headers ? extra_headers : "");
    httpd_reply(req->conn, status, reason_phrase(status), headers, ctype, body, len);
    access_log(req, status);
}

void api_reply_upgraded(struct api_req *req)
{
    req->replied = true;
    access_log(req, 101);
}

static void reply_json_text(struct api_req *req, uint16_t status, const char *extra,
                            const char *text)
{
    char headers[640];
    snprintf(headers, sizeof(headers), "Cache-Control: no-store\r\n%s", extra ? extra : "");
    api_reply_raw(req, status, "application/json", headers, text, text ? strlen(text) : 0);
}

void api_reply_json(struct api_req *req, uint16_t status, json_t *body)
{
    api_reply_json_headers(req, status, NULL, body);
}

void api_reply_json_headers(struct api_req *req, uint16_t status, const char *extra, json_t *body)
{
    /* 15 significant digits: 0.009 rather than 0.0089999999999999993. */
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(body);
    if (!text) {
        api_reply_error(req, 500, "internal", "could not encode the response");
        return;
    }
    if (req->idem_key[0] && status < 300)
        api_idempotency_save(req, status, extra, text);
    reply_json_text(req, status, extra, text);
    free(text);
}

void api_reply_empty(struct api_req *req, uint16_t status)
{
    api_reply_raw(req, status, NULL, "Cache-Control: no-store\r\n", NULL, 0);
}

static void reply_error_body(struct api_req *req, uint16_t status, const char *extra,
                             const char *code, const char *message, json_t *details)
{
    json_t *err =
        json_pack("{s:s, s:s, s:s}", "code", code, "message", message, "requestId", req->id);
    if (err && details)
        json_object_set_new(err, "details", details);
    else
        json_decref(details);
    json_t *body = json_pack("{s:o}", "error", err);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    reply_json_text(req, status, extra, text ? text : "{\"error\":{\"code\":\"internal\"}}");
    free(text);
}

void api_reply_error(struct api_req *req, uint16_t status, const char *code, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    reply_error_body(req, status, NULL, code, message, NULL);
}

void api_reply_error_headers(struct api_req *req, uint16_t status, const char *extra,
                             const char *code, const char *message)
{
    reply_error_body(req, status, extra, code, message, NULL);
}

void api_reply_problems(struct api_req *req, const struct schema_result *res)
{
    char message[600];
    const struct schema_problem *first = &res->problems[0];
    snprintf(message, sizeof(message), "%s%s%s%s", first->path, first->path[0] ? ": " : "",
             first->message, res->count > 1 ? " (and more; see details)" : "");
    reply_error_body(req, 422, NULL, "validation_failed", message, schema_result_json(res));
}

void api_reply_store_error(struct api_req *req, int err, const char *what)
{
    switch (err) {
    case EEXIST:
        api_reply_error(req, 409, "conflict", "%s conflicts with an existing one", what);
        break;
    case ENOENT:
        api_reply_error(req, 404, "not_found", "%s was not found", what);
        break;
    case EBUSY:
        api_reply_error(req, 503, "busy", "the store is busy; retry shortly");
        break;
    default:
        log_error("http", "store error", "rid=%s error=%d", req->id, err);
        api_reply_error(req, 500, "internal", "could not store %s", what);
        break;
    }
}

/* Idempotency: the first 2xx answer to (principal, key) is kept and given
 * again for a retry with the same body; a different body is refused. */
void api_idempotency_save(struct api_req *req, uint16_t status, const char *headers,
                          const char *text)
{
    struct store_val v[] = {
        sv_text(req->who.id),  sv_text(req->idem_key),          sv_text(req->idem_hash),
        sv_int(status),        sv_text(headers ? headers : ""), sv_text(text),
        sv_int(clock_now_ms())};
    int err = store_exec(req->app->store,
                         "INSERT INTO idempotency_keys (principal, key, request_hash, status,"
                         " headers, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                         " ON CONFLICT DO NOTHING",
                         v, 7, NULL);
    if (err)
        log_warn("http", "idempotency record not saved", "rid=%s error=%d", req->id, err);
}

bool api_idempotency_replay(struct api_req *req)
{
    json_t *row;
    struct store_val v[] = {sv_text(req->who.id), sv_text(req->idem_key)};
    int err = store_query_one(req->app->store,
                              "SELECT request_hash, status, headers, body FROM idempotency_keys"
                              " WHERE principal = ? AND key = ?",
                              v, 2, &row);
    if (err)
        return false;
    if (strcmp(json_string_value(json_object_get(row, "request_hash")), req->idem_hash) != 0) {
        api_reply_error(req, 422, "idempotency_key_reused",
                        "this Idempotency-Key was used with a different request; use a new key");
    } else {
        char extra[512];
        snprintf(extra, sizeof(extra), "Idempotent-Replayed: true\r\n%s",
                 json_string_value(json_object_get(row, "headers")));
        reply_json_text(req, (uint16_t)json_integer_value(json_object_get(row, "status")), extra,
                        json_string_value(json_object_get(row, "body")));
    }
    json_decref(row);
    return true;
}

void api_peer_host(const struct api_req *req, char *out, size_t size)
{
    snprintf(out, size, "%s", req->peer);
    char *colon = strrchr(out, ':');
    if (colon && (out[0] != '[' || (colon > out && colon[-1] == ']')))
        *colon = '\0';
}

int api_websocket_accept(struct api_req *req, struct websocket **wsp,
                         const struct websocket_opts *opts, websocket_recv_h *recvh,
                         websocket_close_h *closeh, void *arg)
{
    int err = websocket_accept(wsp, req->conn, req->hreq, opts, recvh, closeh, arg);
    if (err)
        api_reply_error(req, 400, "websocket_required", "connect to %s with a WebSocket client",
                        req->path);
    else
        api_reply_upgraded(req);
    return err;
}
