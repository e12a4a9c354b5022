/*
 * events.c - GET /v1/events: the event stream over WebSocket.
 *
 * Protocol (JSON text messages):
 *   client: {"type":"subscribe","topics":["users"],"after":41}
 *           (topics and after may also be given in the URL:
 *            /v1/events?topics=users,settings&after=41)
 *   server: {"type":"subscribed","topics":["users"],"lastSeq":57}
 *           {"type":"event","event":{"seq":42,"time":"...","topic":"users",
 *                                     "type":"user.created","subject":"usr_..",
 *                                     "data":{...}}}
 *           {"type":"error","error":{"code":"...","message":"..."}}
 *   client: {"type":"ping"}  server: {"type":"pong"}
 *
 * With "after", every visible event with a greater seq is replayed from the
 * store, then live events follow: a client that reconnects with the last
 * seq it saw misses nothing and sees nothing twice. Each connection sees
 * only the events its principal may see.
 */
#include "api/api_modules.h"
#include "auth/credential.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/libre.h"
#include "core/log.h"
#include "http/api.h"
#include "http/websocket.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TOPICS = 16, TOPIC_SIZE = 48, REPLAY_BATCH = 1000 };

struct stream {
    struct app *app;
    struct websocket *ws;
    struct events_sub *sub;
    struct principal who;
    char credential[128]; /* checked again when the user or session changes */
    char topics[MAX_TOPICS][TOPIC_SIZE];
    size_t ntopics;
    int64_t last_seq; /* highest seq already delivered or skipped */
    bool closed;
};

static void stream_destructor(void *arg)
{
    struct stream *s = arg;
    mem_deref(s->sub);
    mem_deref(s->ws);
}

static void send_json(struct stream *s, json_t *msg)
{
    char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    if (text && !s->closed)
        websocket_send_text(s->ws, text, strlen(text));
    free(text);
}

static void send_error(struct stream *s, const char *code, const char *message)
{
    send_json(s, json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "code", code, "message",
                           message));
}

static bool subscribed_to(const struct stream *s, const char *topic)
{
    for (size_t i = 0; i < s->ntopics; i++) {
        if (strcmp(s->topics[i], topic) == 0)
            return true;
    }
    return false;
}

/* A session that ends while its stream is open closes the stream. */
static bool session_expired(struct stream *s)
{
    if (s->who.kind != PRINCIPAL_USER || s->who.expires_at > clock_now_ms())
        return false;
    send_error(s, "token_expired", "the session has expired; sign in again");
    websocket_close(s->ws, 1008, "session expired");
    s->closed = true;
    return true;
}

/* An event about the stream's own user (signed out, disabled, deleted,
 * role changed) may end or change what it may see: check the credential
 * again, and close the stream if it no longer holds. */
static bool credential_revoked(struct stream *s, const struct event *e)
{
    if (strcmp(e->topic, s->who.kind == PRINCIPAL_API_KEY ? "apiKeys" : "users") != 0 ||
        !e->subject || strcmp(e->subject, s->who.id) != 0)
        return false;
    struct principal now;
    int err = credential_authenticate(s->app, s->credential, &now);
    if (!err) {
        s->who = now; /* e.g. a new role */
        return false;
    }
    send_error(s, err == ETIMEDOUT ? "token_expired" : "token_revoked",
               "the credential of this stream is no longer valid; sign in again");
    websocket_close(s->ws, 1008, "credential revoked");
    s->closed = true;
    return true;
}

static void deliver(const struct event *e, void *arg)
{
    struct stream *s = arg;
    if (s->closed || (e->seq && e->seq <= s->last_seq))
        return;
    if (e->seq) /* a volatile event (seq 0) moves no resume point */
        s->last_seq = e->seq;
    if (credential_revoked(s, e))
        return;
    if (!s->ntopics || !subscribed_to(s, e->topic) || !events_visible(&s->who, e))
        return;
    if (session_expired(s))
        return;
    send_json(s, json_pack("{s:s, s:o}", "type", "event", "event", event_to_json(e)));
}

static int replay(struct stream *s)
{
    const char *topics[MAX_TOPICS];
    for (size_t i = 0; i < s->ntopics; i++)
        topics[i] = s->topics[i];
    int64_t end = events_last_seq(s->app->events);
    while (s->last_seq < end && !s->closed) {
        int64_t from = s->last_seq, last = from;
        int err = events_replay(s->app->events, from, topics, s->ntopics, REPLAY_BATCH, deliver, s,
                                &last);
        if (err)
            return err;
        if (last == from)
            break; /* nothing more stored */
        s->last_seq = last;
    }
    return 0;
}

/* Set the topic list from a JSON array or a comma list; reply on errors. */
static bool set_topics(struct stream *s, const json_t *arr, const char *csv)
{
    char names[MAX_TOPICS][TOPIC_SIZE];
    size_t n = 0;
    if (arr) {
        size_t i;
        const json_t *t;
        json_array_foreach(arr, i, t)
        {
            if (!json_is_string(t) || n == MAX_TOPICS || json_string_length(t) >= TOPIC_SIZE) {
                send_error(s, "bad_request", "topics must be a list of up to 16 topic names");
                return false;
            }
            snprintf(names[n++], TOPIC_SIZE, "%s", json_string_value(t));
        }
    } else {
        for (const char *p = csv; p && *p && n < MAX_TOPICS;) {
            size_t len = strcspn(p, ",");
            if (len && len < TOPIC_SIZE)
                snprintf(names[n++], TOPIC_SIZE, "%.*s", (int)len, p);
            p += len + (p[len] == ',');
        }
    }
    for (size_t i = 0; i < n; i++) {
        char msg[160];
        if (!events_topic_known(names[i])) {
            snprintf(msg, sizeof(msg), "unknown topic \"%.47s\"", names[i]);
            send_error(s, "unknown_topic", msg);
            return false;
        }
        if (!events_topic_allowed(&s->who, names[i])) {
            snprintf(msg, sizeof(msg), "the %s role may not follow \"%.47s\"",
                     role_name(s->who.role), names[i]);
            send_error(s, "forbidden", msg);
            return false;
        }
    }
    memcpy(s->topics, names, sizeof(names));
    s->ntopics = n;
    return true;
}

static void subscribe(struct stream *s, const json_t *topics, const char *csv, const json_t *after)
{
    if (after && (!json_is_integer(after) || json_integer_value(after) < 0)) {
        send_error(s, "bad_request", "after must be a sequence number (an integer >= 0)");
        return;
    }
    if (!set_topics(s, topics, csv))
        return;
    /* Without "after" the stream starts at the present. */
    s->last_seq = after ? json_integer_value(after) : events_last_seq(s->app->events);
    json_t *names = json_array();
    for (size_t i = 0; i < s->ntopics; i++)
        json_array_append_new(names, json_string(s->topics[i]));
    send_json(s, json_pack("{s:s, s:o, s:I}", "type", "subscribed", "topics", names, "lastSeq",
                           (json_int_t)events_last_seq(s->app->events)));
    if (replay(s) != 0)
        send_error(s, "internal", "could not read the event log");
}

static void on_message(struct websocket *ws, bool binary, const uint8_t *data, size_t len,
                       void *arg)
{
    (void)ws;
    struct stream *s = arg;
    json_error_t jerr;
    json_t *msg = binary ? NULL : json_loadb((const char *)data, len, 0, &jerr);
    const char *type = json_string_value(json_object_get(msg, "type"));
    if (!msg || !type) {
        send_error(s, "invalid_message", "send JSON objects with a \"type\"");
    } else if (strcmp(type, "subscribe") == 0) {
        subscribe(s, json_object_get(msg, "topics"), NULL, json_object_get(msg, "after"));
    } else if (strcmp(type, "ping") == 0) {
        send_json(s, json_pack("{s:s}", "type", "pong"));
    } else {
        send_error(s, "invalid_message", "type must be subscribe or ping");
    }
    json_decref(msg);
}

static void on_close(struct websocket *ws, uint16_t code, void *arg)
{
    (void)ws;
    struct stream *s = arg;
    log_debug("events", "stream closed", "who=%s code=%u", s->who.id, code);
    s->closed = true;
    mem_deref(s);
}

static void get_events(struct api_req *req)
{
    struct stream *s = mem_zalloc(sizeof(*s), stream_destructor);
    if (!s) {
        api_reply_error(req, 503, "unavailable", "out of memory");
        return;
    }
    s->app = req->app;
    s->who = req->who;
    snprintf(s->credential, sizeof(s->credential), "%s", req->token);
    s->last_seq = events_last_seq(req->app->events);
    const struct websocket_opts opts = {.max_message = 16384, .kaint_ms = 30000};
    if (api_websocket_accept(req, &s->ws, &opts, on_message, on_close, s) != 0) {
        mem_deref(s);
        return;
    }
    if (events_subscribe(req->app->events, &s->sub, deliver, s) != 0) {
        websocket_close(s->ws, 1011, "out of memory");
        return;
    }
    const char *topics = api_query(req, "topics");
    const char *after = api_query(req, "after");
    if (topics) {
        char *end = NULL;
        long long a = after ? strtoll(after, &end, 10) : 0;
        json_t *after_json = after && *end == '\0' ? json_integer(a) : NULL;
        if (after && !after_json)
            send_error(s, "bad_request", "after must be a sequence number (an integer >= 0)");
        else
            subscribe(s, NULL, topics, after_json);
        json_decref(after_json);
    }
}

static void get_topics(struct api_req *req)
{
    api_reply_json(req, 200, json_pack("{s:o}", "topics", events_topics_json()));
}

static const struct api_route routes[] = {
    {"GET", "/v1/events", ROLES_STAFF, 0, get_events},
    {"GET", "/v1/events/topics", ROLES_STAFF, 0, get_topics},
    {0},
};

int api_events_register(void)
{
    return api_routes_register(routes);
}
