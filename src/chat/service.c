/*
 * service.c - the chat service's life (start, stop, the router listener,
 * the no-answer timer), consumer tokens, opening threads, and reading
 * threads and their messages (see chat.h).
 */
#include "auth/ratelimit.h"
#include "chat/bot.h"
#include "chat/chat_internal.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/log.h"
#include "core/settings.h"
#include "core/webhook.h"
#include "store/store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct chat *chat_of(struct app *app)
{
    return app->chat;
}

int chat_fail(struct chat_err *e, uint16_t status, const char *code, const char *fmt, ...)
{
    e->status = status;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    switch (status) {
    case 404:
        return ENOENT;
    case 403:
        return EPERM;
    case 409:
        return EALREADY;
    case 429:
        return EAGAIN;
    case 503:
    case 500:
        return EIO;
    default:
        return EINVAL;
    }
}

/* Leads see every chat event; a person sees those naming them (an
 * invitation, their own joins and leaves). */
static bool chat_event_visible(const struct principal *who, const struct event *e)
{
    if (who->role & ROLES_LEADS)
        return true;
    /* Every agent and expert may read messages left for anyone. */
    if (strcmp(e->type, "messageLeft") == 0)
        return true;
    const char *user = json_string_value(json_object_get(e->data, "userId"));
    return who->kind == PRINCIPAL_USER && user && strcmp(user, who->id) == 0;
}

int chat_register(void)
{
    return chat_kinds_register() | events_topic_register("chat", ROLES_STAFF, chat_event_visible);
}

/* ---- life ---- */

static void on_router_event(const struct event *e, void *arg)
{
    if (strcmp(e->topic, "router") == 0)
        flow_router_event(arg, e->type, e->data);
}

static void tx_hook(bool committed, void *arg)
{
    struct chat *c = arg;
    if (!committed && chat_kinds_load(c) != 0)
        log_error("chat", "could not reload the chat configuration", "");
}

int chat_start(struct app *app, bool live)
{
    struct chat *c = mem_zalloc(sizeof(*c), NULL);
    if (!c)
        return ENOMEM;
    c->app = app;
    c->live = live;
    list_init(&c->bots);
    tmr_init(&c->no_answer);
    tmr_init(&c->batch_tmr);
    list_init(&c->batch);
    c->rearm = true;
    app->chat = c;
    int err = hub_alloc(&c->hub, app->store);
    if (!err)
        err = store_add_tx_hook(app->store, tx_hook, c);
    if (!err)
        err = chat_kinds_load(c);
    if (!err && live) {
        err = webhook_alloc(&c->wh);
        err = err ? err : events_subscribe(app->events, &c->router_sub, on_router_event, c);
        if (!err)
            flow_arm_no_answer(c);
    }
    if (err)
        chat_stop(app);
    return err;
}

void chat_stop(struct app *app)
{
    struct chat *c = app->chat;
    if (!c)
        return;
    tmr_cancel(&c->no_answer);
    tmr_cancel(&c->batch_tmr);
    batch_flush_now(c); /* what was accepted is written before we stop */
    mem_deref(c->router_sub);
    webhook_free(c->wh);
    ratelimit_free(c->send_limit);
    ratelimit_free(c->open_limit);
    store_remove_tx_hook(app->store, tx_hook, c);
    hub_free(c->hub);
    chat_kinds_unload(c);
    mem_deref(c);
    app->chat = NULL;
}

/* ---- consumers ---- */

struct consumer_row {
    struct principal *who;
    bool found;
};

static int read_consumer(const struct store_row *row, void *arg)
{
    struct consumer_row *cr = arg;
    cr->found = true;
    cr->who->kind = PRINCIPAL_CONSUMER;
    cr->who->role = ROLE_CONSUMER;
    snprintf(cr->who->id, sizeof(cr->who->id), "%s", store_row_text(row, 0));
    snprintf(cr->who->name, sizeof(cr->who->name), "%s", store_row_text(row, 1));
    return 0;
}

int chat_consumer_authenticate(struct app *app, const char *token, struct principal *who)
{
    char hash[TOKEN_HASH_SIZE];
    token_hash(hash, token, strlen(token));
    struct consumer_row cr = {.who = who};
    struct store_val v[] = {sv_text(hash)};
    int err =
        store_query(app->store, "SELECT id, consumer_name FROM chat_threads WHERE token_hash = ?",
                    v, 1, read_consumer, &cr);
    if (err)
        return err;
    return cr.found ? 0 : ENOENT;
}

int chat_open(struct app *app, const char *widget_id, const char *name, const char *peer,
              json_t **threadp, char token[TOKEN_SIZE], struct chat_err *e)
{
    struct chat *c = chat_of(app);
    int64_t now = clock_now_ms();
    int64_t max = settings_int(app, "chat.threadsPerMinutePerAddress");
    if (c->live && (!c->open_limit || c->open_max != max)) {
        ratelimit_free(c->open_limit);
        c->open_limit = NULL;
        c->open_max = max;
        if (ratelimit_alloc(&c->open_limit, (unsigned)max, 60000, 60000) != 0)
            c->open_limit = NULL;
    }
    int64_t wait = c->open_limit ? ratelimit_blocked(c->open_limit, peer, clock_mono_ms()) : 0;
    if (wait)
        return chat_fail(e, 429, "rate_limited",
                         "too many chats opened from this address; try again in %lld s",
                         (long long)((wait + 999) / 1000));
    const json_t *w = chat_widget(c, widget_id);
    if (!w)
        return chat_fail(e, 404, "not_found", "no chat widget has the id \"%.64s\"", widget_id);
    if (c->open_limit)
        ratelimit_fail(c->open_limit, peer, clock_mono_ms());
    struct thread t = {0};
    id_new(t.id, "cht");
    snprintf(t.widget, sizeof(t.widget), "%s", widget_id);
    snprintf(t.name, sizeof(t.name), "%s", name && *name ? name : "Visitor");
    const char *bot = json_string_value(json_object_get(w, "bot"));
    snprintf(t.bot_id, sizeof(t.bot_id), "%s", bot && chat_bot(c, bot) ? bot : "");
    snprintf(t.state, sizeof(t.state), "%s", t.bot_id[0] ? "bot" : "waiting");
    t.created_at = now;
    t.bot_state = json_object();
    t.fields = json_object();
    if (name && *name)
        json_object_set_new(t.bot_state, "vars", json_pack("{s:s}", "name", name));
    char hash[TOKEN_HASH_SIZE];
    token_new(token, "sbc");
    token_hash(hash, token, strlen(token));
    bool own;
    int err = store_begin_own(app->store, &own);
    if (!err)
        err = thread_insert(c, &t, hash);
    struct participant consumer = {.id = "consumer", .kind = "consumer"};
    snprintf(consumer.name, sizeof(consumer.name), "%s", t.name);
    if (!err)
        err = participant_join(c, t.id, &consumer);
    if (!err)
        err = chat_event(c, &t, "threadOpened", NULL,
                         json_pack("{s:s, s:s}", "widget", widget_id, "bot", t.bot_id));
    if (!err)
        err = flow_start(c, &t);
    if (!err)
        err = thread_save(c, &t);
    err = store_end_own(app->store, own, err);
    if (!err) {
        *threadp = thread_view(c, &t);
        flow_arm_no_answer(c);
    }
    thread_clear(&t);
    if (err)
        return chat_fail(e, 503, "unavailable", "the chat could not be stored; try again");
    return 0;
}

/* Load a thread and check the principal may at least read it. */
int chat_load_for(struct chat *c, const struct principal *who, const char *thread_id,
                  enum access need, struct thread *t, struct actor *a, struct chat_err *e)
{
    int err = thread_load(c, thread_id, t);
    if (err == ENOENT)
        return chat_fail(e, 404, "not_found", "no chat thread has the id \"%.40s\"", thread_id);
    if (err)
        return chat_fail(e, 503, "unavailable", "the store is busy; try again");
    err = thread_access(c, who, t, a);
    if (!err && a->access < need) {
        thread_clear(t);
        if (a->access == ACCESS_NONE)
            return chat_fail(e, who->kind == PRINCIPAL_CONSUMER ? 404 : 403,
                             who->kind == PRINCIPAL_CONSUMER ? "not_found" : "forbidden",
                             who->kind == PRINCIPAL_CONSUMER
                                 ? "no chat thread has the id \"%.40s\""
                                 : "you take no part in the chat thread \"%.40s\"",
                             thread_id);
        return chat_fail(e, 403, "forbidden",
                         "you may read this chat but not write in it: you take no part in it");
    }
    if (err) {
        thread_clear(t);
        return chat_fail(e, 503, "unavailable", "the store is busy; try again");
    }
    return 0;
}

int chat_thread(struct app *app, const struct principal *who, const char *thread_id,
                json_t **threadp, struct chat_err *e)
{
    struct chat *c = chat_of(app);
    struct thread t;
    struct actor a;
    int err = chat_load_for(c, who, thread_id, ACCESS_READ, &t, &a, e);
    if (err)
        return err;
    *threadp = thread_view(c, &t);
    thread_clear(&t);
    return 0;
}

int chat_threads(struct app *app, const struct principal *who, const char *state, bool mine,
                 int limit, const char *cursor, json_t **listp, struct chat_err *e)
{
    struct chat *c = chat_of(app);
    bool lead = (who->role & ROLES_LEADS) != 0;
    /* Newest first; the cursor is the last thread of the previous page.
     * Agents: their own threads, and messages left for anyone. */
    const char *sql =
        "SELECT t.id FROM chat_threads t WHERE (? IS NULL OR t.state = ?)"
        " AND (? IS NULL OR t.created_at < (SELECT created_at FROM chat_threads WHERE id = ?)"
        "  OR (t.created_at = (SELECT created_at FROM chat_threads WHERE id = ?) AND t.id < ?))"
        " AND (? = 1 OR EXISTS (SELECT 1 FROM chat_participants p WHERE p.thread_id = t.id"
        "  AND p.user_id = ? AND p.left_at IS NULL) OR (? = 0 AND t.state = 'messageLeft'))"
        " ORDER BY t.created_at DESC, t.id DESC LIMIT ?";
    bool all = lead && !mine;
    struct store_val v[] = {
        sv_text(state),  sv_text(state), sv_text(cursor),  sv_text(cursor),      sv_text(cursor),
        sv_text(cursor), sv_int(all),    sv_text(who->id), sv_int(mine ? 1 : 0), sv_int(limit + 1)};
    json_t *rows = NULL;
    int err = store_query_json(app->store, sql, v, 10, &rows);
    if (err)
        return chat_fail(e, 503, "unavailable", "the store is busy; try again");
    json_t *list = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        if (i == (size_t)limit)
            break;
        struct thread t;
        if (thread_load(c, json_string_value(json_object_get(row, "id")), &t) == 0) {
            json_array_append_new(list, thread_view(c, &t));
            thread_clear(&t);
        }
    }
    bool more = json_array_size(rows) > (size_t)limit;
    json_decref(rows);
    json_t *out = json_pack("{s:o}", "items", list);
    json_object_set_new(out, "nextCursor",
                        more ? json_copy(json_object_get(json_array_get(list, limit - 1), "id"))
                             : json_null());
    *listp = out;
    return 0;
}

int chat_messages(struct app *app, const struct principal *who, const char *thread_id,
                  int64_t after, int64_t before, int limit, json_t **outp, struct chat_err *e)
{
    struct chat *c = chat_of(app);
    struct thread t;
    struct actor a;
    int err = chat_load_for(c, who, thread_id, ACCESS_READ, &t, &a, e);
    if (err)
        return err;
    thread_clear(&t);
    json_t *list = NULL;
    bool more = false;
    err = msg_list(c, thread_id, after, before, limit, &list, &more);
    if (err)
        return chat_fail(e, 503, "unavailable", "the store is busy; try again");
    *outp = json_pack("{s:o, s:b}", "messages", list, "hasMore", more);
    return 0;
}
