/*
 * chat_threads.c - /v1/chat/threads: open a chat (anyone), read and write
 * it (its consumer, its agents and experts; managers read), and what
 * agents do with it (docs/chat.md). /v1/me/worker: the caller's worker.
 */
#include "api/api_modules.h"
#include "auth/users.h"
#include "chat/chat.h"
#include "core/app.h"
#include "http/api.h"
#include "router/router.h"
#include "routing/service.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define READERS (ROLES_STAFF | ROLE_CONSUMER)

static void reply_err(struct api_req *req, const struct chat_err *e)
{
    if (e->status == 429) {
        api_reply_error_headers(req, 429, "Retry-After: 10\r\n", e->code, e->message);
        return;
    }
    api_reply_error(req, e->status ? e->status : 500, e->code ? e->code : "internal", "%s",
                    e->message);
}

static const char *body_str(const struct api_req *req, const char *key)
{
    return json_string_value(json_object_get(req->body, key));
}

/* A string field that must be a string when present: replies 422. */
static bool opt_string(struct api_req *req, const char *key, size_t max, const char **out)
{
    json_t *v = json_object_get(req->body, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v) || json_string_length(v) > max) {
        api_reply_error(req, 422, "invalid", "%s must be a string of at most %zu bytes", key, max);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

static void open_thread(struct api_req *req)
{
    const char *widget, *name;
    if (!opt_string(req, "widget", 64, &widget) || !opt_string(req, "name", 64, &name))
        return;
    if (!widget) {
        api_reply_error(req, 422, "invalid", "widget is required: the id of a chat widget");
        return;
    }
    json_t *thread = NULL;
    char token[TOKEN_SIZE], host[64];
    struct chat_err e = {0};
    api_peer_host(req, host, sizeof(host));
    if (chat_open(req->app, widget, name, host, &thread, token, &e) != 0) {
        reply_err(req, &e);
        return;
    }
    api_reply_json(req, 201, json_pack("{s:o, s:s}", "thread", thread, "token", token));
}

static void list_threads(struct api_req *req)
{
    int limit = api_query_limit(req, 50, 200);
    if (limit < 0)
        return;
    const char *mine = api_query(req, "mine");
    json_t *out = NULL;
    struct chat_err e = {0};
    if (chat_threads(req->app, &req->who, api_query(req, "state"),
                     mine && strcmp(mine, "true") == 0, limit, api_query(req, "cursor"), &out,
                     &e) != 0) {
        reply_err(req, &e);
        return;
    }
    api_reply_json(req, 200, out);
}

static void get_thread(struct api_req *req)
{
    json_t *t = NULL;
    struct chat_err e = {0};
    if (chat_thread(req->app, &req->who, req->params[0], &t, &e) != 0)
        reply_err(req, &e);
    else
        api_reply_json(req, 200, t);
}

/* A query parameter that is a sequence number (>= 0), or -1 if absent;
 * replies 400 and returns -2 when malformed. */
static int64_t query_seq(struct api_req *req, const char *name)
{
    const char *q = api_query(req, name);
    if (!q)
        return -1;
    char *end;
    long long v = strtoll(q, &end, 10);
    if (!*q || *end || v < 0) {
        api_reply_error(req, 400, "bad_request", "%s must be a sequence number (an integer >= 0)",
                        name);
        return -2;
    }
    return v;
}

static void list_messages(struct api_req *req)
{
    int limit = api_query_limit(req, 50, 200);
    int64_t after = limit < 0 ? -2 : query_seq(req, "after");
    int64_t before = after == -2 ? -2 : query_seq(req, "before");
    if (before == -2)
        return;
    json_t *out = NULL;
    struct chat_err e = {0};
    if (chat_messages(req->app, &req->who, req->params[0], after, before < 0 ? 0 : before, limit,
                      &out, &e) != 0)
        reply_err(req, &e);
    else
        api_reply_json(req, 200, out);
}

static void post_message(struct api_req *req)
{
    json_t *text = json_object_get(req->body, "text");
    const char *client_id, *as;
    if (!opt_string(req, "clientMessageId", 64, &client_id) || !opt_string(req, "as", 16, &as))
        return;
    if (!json_is_string(text)) {
        api_reply_error(req, 422, "empty_message", "text is required: the message, as a string");
        return;
    }
    if (as && strcmp(as, "bot") != 0) {
        api_reply_error(req, 422, "invalid", "as may only be \"bot\"");
        return;
    }
    const json_t *qr = json_object_get(req->body, "quickReplies");
    if (qr && !json_is_array(qr)) {
        api_reply_error(req, 422, "invalid", "quickReplies must be a list of {\"label\":...}");
        return;
    }
    struct chat_post p = {.text = json_string_value(text),
                          .client_id = client_id,
                          .as_bot = as != NULL,
                          .quick_replies = qr};
    json_t *msg = NULL;
    struct chat_err e = {0};
    if (chat_send(req->app, &req->who, req->params[0], &p, &msg, &e) != 0)
        reply_err(req, &e);
    else
        api_reply_json(req, 201, json_pack("{s:o}", "message", msg));
}

static int64_t path_seq(struct api_req *req)
{
    char *end;
    long long v = strtoll(req->params[1], &end, 10);
    if (!req->params[1][0] || *end || v < 1) {
        api_reply_error(req, 404, "not_found", "no message has the number \"%s\"", req->params[1]);
        return -1;
    }
    return v;
}

static void edit_message(struct api_req *req)
{
    int64_t seq = path_seq(req);
    if (seq < 0)
        return;
    json_t *msg = NULL;
    struct chat_err e = {0};
    if (chat_edit(req->app, &req->who, req->params[0], seq, body_str(req, "text"), &msg, &e) != 0)
        reply_err(req, &e);
    else
        api_reply_json(req, 200, json_pack("{s:o}", "message", msg));
}

static void delete_message(struct api_req *req)
{
    int64_t seq = path_seq(req);
    if (seq < 0)
        return;
    struct chat_err e = {0};
    if (chat_delete(req->app, &req->who, req->params[0], seq, &e) != 0)
        reply_err(req, &e);
    else
        api_reply_empty(req, 204);
}

static void post_read(struct api_req *req)
{
    json_t *seq = json_object_get(req->body, "seq");
    if (!json_is_integer(seq)) {
        api_reply_error(req, 422, "invalid", "seq is required: the last message read");
        return;
    }
    struct chat_err e = {0};
    if (chat_read(req->app, &req->who, req->params[0], json_integer_value(seq), &e) != 0)
        reply_err(req, &e);
    else
        api_reply_empty(req, 204);
}

static void post_typing(struct api_req *req)
{
    json_t *typing = json_object_get(req->body, "typing");
    struct chat_err e = {0};
    if (chat_typing(req->app, &req->who, req->params[0], !typing || json_is_true(typing), &e) != 0)
        reply_err(req, &e);
    else
        api_reply_empty(req, 204);
}

/* Reply with the thread as it is after an action. */
static void reply_thread(struct api_req *req, int err, json_t *view, const struct chat_err *e)
{
    if (err)
        reply_err(req, e);
    else
        api_reply_json(req, 200, view);
}

static void post_handoff(struct api_req *req)
{
    struct chat_err e = {0};
    json_t *view = NULL;
    int err = chat_handoff(req->app, &req->who, req->params[0], req->body, &view, &e);
    reply_thread(req, err, view, &e);
}

static void post_leave_message(struct api_req *req)
{
    json_t *text = json_object_get(req->body, "text");
    struct chat_err e = {0};
    json_t *view = NULL;
    int err =
        chat_leave_message(req->app, &req->who, req->params[0], json_string_value(text), &view, &e);
    reply_thread(req, err, view, &e);
}

static void post_end(struct api_req *req)
{
    const char *disposition;
    json_t *wrap = json_object_get(req->body, "wrapUpSeconds");
    if (!opt_string(req, "disposition", 64, &disposition))
        return;
    if (wrap && (!json_is_integer(wrap) || json_integer_value(wrap) < 0 ||
                 json_integer_value(wrap) > 3600)) {
        api_reply_error(req, 422, "invalid", "wrapUpSeconds must be an integer from 0 to 3600");
        return;
    }
    struct chat_err e = {0};
    json_t *view = NULL;
    int err = chat_end(req->app, &req->who, req->params[0], disposition,
                       wrap ? (int)json_integer_value(wrap) : -1, &view, &e);
    reply_thread(req, err, view, &e);
}

static void post_transfer(struct api_req *req)
{
    const char *queue, *user;
    if (!opt_string(req, "queue", 64, &queue) || !opt_string(req, "userId", 64, &user))
        return;
    struct chat_err e = {0};
    json_t *view = NULL;
    int err = chat_transfer(req->app, &req->who, req->params[0], queue, user, &view, &e);
    reply_thread(req, err, view, &e);
}

static void post_participant(struct api_req *req)
{
    const char *user, *name;
    if (!opt_string(req, "userId", 64, &user) || !opt_string(req, "name", 64, &name))
        return;
    json_t *cred = NULL;
    if (!user && name) {
        /* Agents may not list users: they invite by login name. */
        if (users_credentials(req->app, name, &cred) != 0) {
            api_reply_error(req, 404, "not_found", "no user has the name \"%s\"", name);
            return;
        }
        user = json_string_value(json_object_get(cred, "id"));
    }
    if (!user) {
        api_reply_error(req, 422, "invalid", "userId or name is required: the expert to invite");
        return;
    }
    struct chat_err e = {0};
    json_t *view = NULL;
    int err = chat_invite(req->app, &req->who, req->params[0], user, &view, &e);
    json_decref(cred);
    reply_thread(req, err, view, &e);
}

static void post_leave(struct api_req *req)
{
    struct chat_err e = {0};
    int err = chat_leave(req->app, &req->who, req->params[0], &e);
    if (err)
        reply_err(req, &e);
    else
        api_reply_empty(req, 204);
}

/* The caller's worker: the first whose userId is the caller. */
static void get_my_worker(struct api_req *req)
{
    struct router *r = routing_engine(req->app);
    json_t *ids = router_list(r, "workers");
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        const char *wid = json_string_value(id);
        if (strcmp(routing_worker_user(req->app, wid), req->who.id) == 0) {
            json_t *w = router_worker_get(r, wid, routing_now());
            json_decref(ids);
            api_reply_json(req, 200, w);
            return;
        }
    }
    json_decref(ids);
    api_reply_error(req, 404, "not_found", "you have no worker: ask an admin to add one for you");
}

#define T "/v1/chat/threads/{id}"
static const struct api_route routes[] = {
    {"POST", "/v1/chat/threads", 0, ROUTE_JSON_OPTIONAL, open_thread},
    {"GET", "/v1/chat/threads", ROLES_STAFF, 0, list_threads},
    {"GET", T, READERS, 0, get_thread},
    {"GET", T "/messages", READERS, 0, list_messages},
    {"POST", T "/messages", READERS, ROUTE_JSON_BODY, post_message},
    {"PATCH", T "/messages/{seq}", READERS, ROUTE_JSON_BODY, edit_message},
    {"DELETE", T "/messages/{seq}", READERS, 0, delete_message},
    {"POST", T "/read", READERS, ROUTE_JSON_BODY, post_read},
    {"POST", T "/typing", READERS, ROUTE_JSON_OPTIONAL, post_typing},
    {"POST", T "/handoff", READERS, ROUTE_JSON_OPTIONAL, post_handoff},
    {"POST", T "/leave-message", READERS, ROUTE_JSON_BODY, post_leave_message},
    {"POST", T "/end", READERS, ROUTE_JSON_OPTIONAL, post_end},
    {"POST", T "/transfer", ROLES_STAFF, ROUTE_JSON_BODY, post_transfer},
    {"POST", T "/participants", ROLES_STAFF, ROUTE_JSON_BODY, post_participant},
    {"POST", T "/leave", ROLES_STAFF, ROUTE_JSON_OPTIONAL, post_leave},
    {"GET", "/v1/me/worker", ROLES_STAFF, 0, get_my_worker},
    {0},
};
#undef T

int api_chat_threads_register(void)
{
    return api_routes_register(routes);
}
