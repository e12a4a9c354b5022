/*
 * chat_stream.c - GET /v1/chat/stream: a chat client's WebSocket (the
 * protocol is in docs/chat.md). One connection follows any number of
 * threads (up to 32) its principal may read, and may send, type and mark
 * read in those it takes part in.
 */
#include "api/api_modules.h"
#include "chat/chat.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/libre.h"
#include "core/text.h"
#include "http/api.h"
#include "http/websocket.h"

#include <stdio.h>
#include <string.h>

enum { MAX_SUBS = 32 };

struct stream {
    struct app *app;
    struct websocket *ws;
    struct principal who;
    struct chat_sub *subs[MAX_SUBS];
    bool closed;
};

static void stream_destructor(void *arg)
{
    struct stream *s = arg;
    for (size_t i = 0; i < MAX_SUBS; i++)
        mem_deref(s->subs[i]);
    mem_deref(s->ws);
}

static void send_text(const char *text, size_t len, void *arg)
{
    struct stream *s = arg;
    if (!s->closed)
        websocket_send_text(s->ws, text, len);
}

static void send_json(struct stream *s, json_t *msg)
{
    char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    if (text)
        send_text(text, strlen(text), s);
    free(text);
}

static void send_error(struct stream *s, const char *code, const char *message,
                       const json_t *client_id, const char *thread_id)
{
    json_t *m = json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "code", code, "message",
                          message);
    if (thread_id)
        json_object_set_new(m, "threadId", json_string(thread_id));
    if (client_id)
        json_object_set(m, "clientMessageId", (json_t *)client_id);
    send_json(s, m);
}

static int find_sub(struct stream *s, const char *thread_id)
{
    for (int i = 0; i < MAX_SUBS; i++) {
        if (s->subs[i] && strcmp(chat_sub_thread(s->subs[i]), thread_id) == 0)
            return i;
    }
    return -1;
}

static void subscribe(struct stream *s, const char *thread_id, const json_t *after)
{
    if (after && (!json_is_integer(after) || json_integer_value(after) < 0)) {
        send_error(s, "bad_request", "after must be a sequence number (an integer >= 0)", NULL,
                   thread_id);
        return;
    }
    int i = find_sub(s, thread_id);
    if (i >= 0)
        s->subs[i] = mem_deref(s->subs[i]); /* subscribe again: replay from `after` */
    for (i = 0; i < MAX_SUBS && s->subs[i]; i++)
        ;
    if (i == MAX_SUBS) {
        send_error(s, "too_many", "a connection follows at most 32 threads", NULL, thread_id);
        return;
    }
    struct chat_err e = {0};
    int64_t from = after ? json_integer_value(after) : -1;
    if (chat_subscribe(s->app, &s->who, thread_id, from, send_text, s, &s->subs[i], &e) != 0)
        send_error(s, e.code, e.message, NULL, thread_id);
}

/* The answer to a send, after its commit: an ack, or an error. */
struct sent {
    struct stream *s;
    char thread_id[ID_SIZE];
    json_t *client_id;
};

static void sent_destructor(void *arg)
{
    struct sent *st = arg;
    mem_deref(st->s);
    json_decref(st->client_id);
}

/* {"type":"ack","threadId","seq","messageId","clientMessageId"}, written
 * directly: one per message sent, so it is on the hot path. */
static void on_sent(int err, int64_t seq, const char *msg_id, const struct chat_err *e, void *arg)
{
    struct sent *st = arg;
    if (err) {
        send_error(st->s, e->code ? e->code : "internal", e->message, st->client_id, st->thread_id);
        return;
    }
    char head[160];
    struct strbuf b = {0};
    snprintf(head, sizeof(head), "{\"type\":\"ack\",\"threadId\":");
    strbuf_puts(&b, head);
    strbuf_json_string(&b, st->thread_id);
    snprintf(head, sizeof(head), ",\"seq\":%lld,\"messageId\":", (long long)seq);
    strbuf_puts(&b, head);
    strbuf_json_string(&b, msg_id);
    if (st->client_id) {
        strbuf_puts(&b, ",\"clientMessageId\":");
        if (json_is_string(st->client_id)) {
            strbuf_json_string(&b, json_string_value(st->client_id));
        } else { /* echoed as the client sent it */
            char *cid = json_dumps(st->client_id, JSON_COMPACT | JSON_ENCODE_ANY);
            strbuf_puts(&b, cid ? cid : "null");
            free(cid);
        }
    }
    strbuf_puts(&b, "}");
    if (!b.oom)
        send_text(b.s, b.len, st->s);
    free(b.s);
}

static void send_message(struct stream *s, const char *thread_id, const json_t *msg)
{
    const json_t *cid = json_object_get(msg, "clientMessageId");
    json_t *text = json_object_get(msg, "text");
    if (!json_is_string(text)) {
        send_error(s, "empty_message", "text is required: the message, as a string", cid,
                   thread_id);
        return;
    }
    struct sent *st = mem_zalloc(sizeof(*st), sent_destructor);
    if (!st) {
        send_error(s, "unavailable", "out of memory", cid, thread_id);
        return;
    }
    st->s = mem_ref(s);
    snprintf(st->thread_id, sizeof(st->thread_id), "%s", thread_id);
    st->client_id = cid ? json_incref((json_t *)cid) : NULL;
    struct chat_post p = {.text = json_string_value(text), .client_id = json_string_value(cid)};
    struct chat_err e = {0};
    if (chat_send_later(s->app, &s->who, thread_id, &p, on_sent, st, &e) != 0)
        send_error(s, e.code, e.message, cid, thread_id);
    mem_deref(st);
}

static bool session_over(struct stream *s)
{
    if (s->who.kind != PRINCIPAL_USER || s->who.expires_at > clock_now_ms())
        return false;
    send_error(s, "token_expired", "the session has expired; sign in again", NULL, NULL);
    websocket_close(s->ws, 1008, "session expired");
    s->closed = true;
    return true;
}

static void on_message(struct websocket *ws, bool binary, const uint8_t *data, size_t len,
                       void *arg)
{
    (void)ws;
    struct stream *s = arg;
    if (s->closed || session_over(s))
        return;
    json_error_t jerr;
    json_t *msg = binary ? NULL : json_loadb((const char *)data, len, 0, &jerr);
    const char *type = json_string_value(json_object_get(msg, "type"));
    const char *thread = json_string_value(json_object_get(msg, "threadId"));
    struct chat_err e = {0};
    int err = 0;
    if (!msg || !type) {
        send_error(s, msg || binary ? "invalid_message" : "invalid_json",
                   msg || binary ? "send JSON text objects with a \"type\""
                                 : "the message is not valid JSON (UTF-8 text)",
                   NULL, NULL);
    } else if (strcmp(type, "ping") == 0) {
        send_json(s, json_pack("{s:s}", "type", "pong"));
    } else if (!thread) {
        send_error(s, "invalid_message", "threadId is required", NULL, NULL);
    } else if (strcmp(type, "subscribe") == 0) {
        subscribe(s, thread, json_object_get(msg, "after"));
    } else if (strcmp(type, "unsubscribe") == 0) {
        int i = find_sub(s, thread);
        if (i >= 0)
            s->subs[i] = mem_deref(s->subs[i]);
    } else if (strcmp(type, "send") == 0) {
        send_message(s, thread, msg);
    } else if (strcmp(type, "typing") == 0) {
        err = chat_typing(s->app, &s->who, thread, !json_is_false(json_object_get(msg, "typing")),
                          &e);
    } else if (strcmp(type, "read") == 0) {
        json_t *seq = json_object_get(msg, "seq");
        err =
            json_is_integer(seq)
                ? chat_read(s->app, &s->who, thread, json_integer_value(seq), &e)
                : (e.code = "invalid_message",
                   snprintf(e.message, sizeof(e.message), "seq is required: the last message read"),
                   1);
    } else {
        send_error(s, "invalid_message",
                   "type must be subscribe, unsubscribe, send, typing, read or ping", NULL, thread);
    }
    if (err)
        send_error(s, e.code ? e.code : "internal", e.message, NULL, thread);
    json_decref(msg);
}

static void on_close(struct websocket *ws, uint16_t code, void *arg)
{
    (void)ws;
    (void)code;
    struct stream *s = arg;
    s->closed = true;
    mem_deref(s);
}

static void get_stream(struct api_req *req)
{
    struct stream *s = mem_zalloc(sizeof(*s), stream_destructor);
    if (!s) {
        api_reply_error(req, 503, "unavailable", "out of memory");
        return;
    }
    s->app = req->app;
    s->who = req->who;
    const struct websocket_opts opts = {.max_message = 65536, .kaint_ms = 30000};
    if (api_websocket_accept(req, &s->ws, &opts, on_message, on_close, s) != 0) {
        mem_deref(s);
        return;
    }
}

static const struct api_route routes[] = {
    {"GET", "/v1/chat/stream", ROLES_STAFF | ROLE_CONSUMER, 0, get_stream},
    {0},
};

int api_chat_stream_register(void)
{
    return api_routes_register(routes);
}
