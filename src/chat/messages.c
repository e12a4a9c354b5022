/*
 * messages.c - a thread's messages: append (with the next seq, the event
 * and the live delivery), read back, page through, edit and delete marks.
 */
#include "chat/chat_internal.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/text.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MSG_COLS                                                                                   \
    "SELECT seq, id, kind, sender_id, sender_kind, sender_name, text, data, ref_seq, client_id,"   \
    " created_at, edited_at, deleted_at FROM chat_messages"

static json_t *view_of(const struct store_row *row)
{
    json_t *m = json_pack(
        "{s:I, s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:o}", "seq", (json_int_t)store_row_int(row, 0),
        "id", store_row_text(row, 1), "kind", store_row_text(row, 2), "sender", "participantId",
        store_row_text(row, 3), "kind", store_row_text(row, 4), "name", store_row_text(row, 5),
        "text", store_row_text(row, 6), "createdAt", clock_time_json(store_row_int(row, 10)));
    if (!m)
        return NULL;
    const char *data = store_row_text(row, 7);
    json_t *d = data ? json_loads(data, 0, NULL) : NULL;
    json_t *qr = json_object_get(d, "quickReplies");
    if (qr) {
        json_object_set(m, "quickReplies", qr);
        json_object_del(d, "quickReplies");
    }
    if (json_object_size(d))
        json_object_set(m, "data", d);
    json_decref(d);
    if (!store_row_is_null(row, 8))
        json_object_set_new(m, "refSeq", json_integer(store_row_int(row, 8)));
    if (!store_row_is_null(row, 9))
        json_object_set_new(m, "clientMessageId", json_string(store_row_text(row, 9)));
    json_object_set_new(m, "edited", json_boolean(!store_row_is_null(row, 11)));
    json_object_set_new(m, "deleted", json_boolean(!store_row_is_null(row, 12)));
    return m;
}

static int collect(const struct store_row *row, void *arg)
{
    json_t *m = view_of(row);
    if (!m)
        return ENOMEM;
    json_array_append_new(arg, m);
    return 0;
}

int chat_event(struct chat *c, const struct thread *t, const char *type, const char *actor,
               json_t *data)
{
    if (!data)
        data = json_object();
    json_object_set_new(data, "threadId", json_string(t->id));
    return events_append(c->app->events, "chat", type, t->id, actor, data);
}

/* quickReplies and the rest of a message's data, as the view shows them. */
static int data_text(struct strbuf *b, const json_t *data)
{
    const json_t *qr = json_object_get(data, "quickReplies");
    char *text = qr ? json_dumps(qr, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (qr && (!text || strbuf_puts(b, ",\"quickReplies\":") || strbuf_puts(b, text))) {
        free(text);
        return ENOMEM;
    }
    free(text);
    json_t *rest = json_copy((json_t *)data);
    if (!rest)
        return ENOMEM;
    json_object_del(rest, "quickReplies");
    text = json_object_size(rest) ? json_dumps(rest, JSON_COMPACT) : NULL;
    json_decref(rest);
    int err = text ? strbuf_puts(b, ",\"data\":") || strbuf_puts(b, text) : 0;
    free(text);
    return err ? ENOMEM : 0;
}

/* The frame {"type":"message","threadId","message":{...}} written
 * directly (jansson's tree and dump cost more than the rest of a post);
 * *at is where the message object starts. */
static int frame_text(struct strbuf *b, const char *thread_id, int64_t seq, const char *id,
                      const struct msg_in *m, int64_t now, size_t *at)
{
    char num[32], time[40];
    clock_format_rfc3339(time, sizeof(time), now);
    snprintf(num, sizeof(num), "%lld", (long long)seq);
    strbuf_puts(b, "{\"type\":\"message\",\"threadId\":");
    strbuf_json_string(b, thread_id);
    strbuf_puts(b, ",\"message\":");
    *at = b->len;
    strbuf_puts(b, "{\"seq\":");
    strbuf_puts(b, num);
    strbuf_puts(b, ",\"id\":");
    strbuf_json_string(b, id);
    strbuf_puts(b, ",\"kind\":");
    strbuf_json_string(b, m->kind);
    strbuf_puts(b, ",\"sender\":{\"participantId\":");
    strbuf_json_string(b, m->sender->id);
    strbuf_puts(b, ",\"kind\":");
    strbuf_json_string(b, m->sender->kind);
    strbuf_puts(b, ",\"name\":");
    strbuf_json_string(b, m->sender->name);
    strbuf_puts(b, "},\"text\":");
    strbuf_json_string(b, m->text);
    strbuf_puts(b, ",\"createdAt\":");
    strbuf_json_string(b, time);
    if (m->data && data_text(b, m->data))
        return ENOMEM;
    if (m->ref_seq) {
        snprintf(num, sizeof(num), "%lld", (long long)m->ref_seq);
        strbuf_puts(b, ",\"refSeq\":");
        strbuf_puts(b, num);
    }
    if (m->client_id && *m->client_id) {
        strbuf_puts(b, ",\"clientMessageId\":");
        strbuf_json_string(b, m->client_id);
    }
    strbuf_puts(b, ",\"edited\":false,\"deleted\":false}}");
    return b->oom ? ENOMEM : 0;
}

static int next_seq(const struct store_row *row, void *arg)
{
    *(int64_t *)arg = store_row_int(row, 0);
    return 0;
}

int msg_append(struct chat *c, struct thread *t, const struct msg_in *m, json_t **outp)
{
    struct store *st = c->app->store;
    int64_t now = clock_now_ms(), seq = 0;
    struct store_val tv[] = {sv_int(now), sv_text(t->id)};
    /* The row lock of this update orders writers of one thread on any
     * backend; the seq it leaves is this message's. (Read back rather than
     * with RETURNING, for which SQLite makes a temporary table each time.) */
    int64_t changes = 0;
    int err = store_exec(st,
                         "UPDATE chat_threads SET last_seq = last_seq + 1, updated_at = ?"
                         " WHERE id = ?",
                         tv, 2, &changes);
    if (!err && changes)
        err = store_query(st, "SELECT last_seq FROM chat_threads WHERE id = ?", tv + 1, 1, next_seq,
                          &seq);
    if (err)
        return err;
    if (!seq)
        return ENOENT;
    char id[ID_SIZE];
    id_new_ordered(id, "msg", now);
    char *data = m->data && json_object_size(m->data) ? json_dumps(m->data, JSON_COMPACT) : NULL;
    struct store_val v[] = {sv_text(t->id),
                            sv_int(seq),
                            sv_text(id),
                            sv_text(m->kind),
                            sv_text(m->sender->id),
                            sv_text(m->sender->kind),
                            sv_text(m->sender->name),
                            sv_text(m->text ? m->text : ""),
                            sv_text(data),
                            m->ref_seq ? sv_int(m->ref_seq) : sv_text(NULL),
                            sv_text(m->client_id && *m->client_id ? m->client_id : NULL),
                            sv_int(now)};
    err = store_exec(st,
                     "INSERT INTO chat_messages (thread_id, seq, id, kind, sender_id, sender_kind,"
                     " sender_name, text, data, ref_seq, client_id, created_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     v, 12, NULL);
    free(data);
    if (err)
        return err;
    t->last_seq = seq;
    /* Staff messages are also events (reports time the first response);
     * the others are not: chat_messages is itself the record of every
     * message, and an event row besides cost as much as the message's own. */
    if (strcmp(m->sender->kind, "agent") == 0 || strcmp(m->sender->kind, "expert") == 0) {
        err = chat_event(c, t, "messageCreated", m->sender->user_id[0] ? m->sender->user_id : NULL,
                         json_pack("{s:I, s:s, s:s, s:s}", "seq", (json_int_t)seq, "kind", m->kind,
                                   "senderKind", m->sender->kind, "senderId", m->sender->id));
        if (err)
            return err;
    }
    if (m->ref) {
        m->ref->seq = seq;
        snprintf(m->ref->id, sizeof(m->ref->id), "%s", id);
    }
    struct strbuf b = {0};
    size_t at = 0;
    err = frame_text(&b, t->id, seq, id, m, now, &at);
    if (!err)
        hub_queue(c->hub, t->id, seq, b.s);
    /* The view as msg_get() would read it back, without reading it: the
     * frame's own text, so both always say the same. */
    if (!err && outp && !(*outp = json_loadb(b.s + at, b.len - at - 1, 0, NULL)))
        err = ENOMEM;
    free(b.s);
    return err;
}

static const struct participant system_sender = {.id = "system", .kind = "system", .name = ""};

int msg_system(struct chat *c, struct thread *t, const char *event, const char *text, json_t *extra)
{
    json_t *data = extra ? extra : json_object();
    json_object_set_new(data, "event", json_string(event));
    struct msg_in m = {.kind = "system", .sender = &system_sender, .text = text, .data = data};
    int err = msg_append(c, t, &m, NULL);
    json_decref(data);
    return err;
}

int msg_bot(struct chat *c, struct thread *t, const char *text, const json_t *quick_replies)
{
    struct participant bot = {.id = "bot", .kind = "bot"};
    const char *name = json_string_value(json_object_get(chat_widget(c, t->widget), "botName"));
    if (!name)
        name = json_string_value(json_object_get(chat_bot_spec(c, t->bot_id), "name"));
    snprintf(bot.name, sizeof(bot.name), "%s", name ? name : "Assistant");
    json_t *data = json_array_size(quick_replies)
                       ? json_pack("{s:O}", "quickReplies", (json_t *)quick_replies)
                       : NULL;
    struct msg_in m = {.kind = "text", .sender = &bot, .text = text, .data = data};
    int err = msg_append(c, t, &m, NULL);
    json_decref(data);
    return err;
}

int msg_get(struct chat *c, const char *thread_id, int64_t seq, json_t **outp)
{
    struct store_val v[] = {sv_text(thread_id), sv_int(seq)};
    json_t *list = json_array();
    int err = store_query(c->app->store, MSG_COLS " WHERE thread_id = ? AND seq = ?", v, 2, collect,
                          list);
    if (!err && !json_array_size(list))
        err = ENOENT;
    if (!err)
        *outp = json_incref(json_array_get(list, 0));
    json_decref(list);
    return err;
}

int msg_by_client_id(struct chat *c, const char *thread_id, const char *sender_id,
                     const char *client_id, json_t **outp)
{
    struct store_val v[] = {sv_text(thread_id), sv_text(client_id), sv_text(sender_id)};
    json_t *list = json_array();
    int err = store_query(c->app->store,
                          MSG_COLS " WHERE thread_id = ? AND client_id = ? AND sender_id = ?"
                                   " AND kind = 'text'",
                          v, 3, collect, list);
    if (!err && !json_array_size(list))
        err = ENOENT;
    if (!err)
        *outp = json_incref(json_array_get(list, 0));
    json_decref(list);
    return err;
}

int msg_mark(struct chat *c, const char *thread_id, int64_t seq, const char *text, bool deleted)
{
    struct store_val v[] = {sv_text(text), sv_int(clock_now_ms()), sv_text(thread_id), sv_int(seq)};
    return store_exec(c->app->store,
                      deleted ? "UPDATE chat_messages SET text = ?, deleted_at = ?"
                                " WHERE thread_id = ? AND seq = ?"
                              : "UPDATE chat_messages SET text = ?, edited_at = ?"
                                " WHERE thread_id = ? AND seq = ?",
                      v, 4, NULL);
}

int msg_list(struct chat *c, const char *thread_id, int64_t after, int64_t before, int limit,
             json_t **listp, bool *more)
{
    char sql[512];
    struct store_val v[] = {sv_text(thread_id), sv_int(after >= 0 ? after : before),
                            sv_int(limit + 1)};
    size_t n = 3;
    if (after >= 0)
        snprintf(sql, sizeof(sql), "%s WHERE thread_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                 MSG_COLS);
    else if (before > 0)
        snprintf(sql, sizeof(sql), "%s WHERE thread_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                 MSG_COLS);
    else {
        snprintf(sql, sizeof(sql), "%s WHERE thread_id = ? ORDER BY seq DESC LIMIT ?", MSG_COLS);
        v[1] = v[2];
        n = 2;
    }
    json_t *list = json_array();
    int err = store_query(c->app->store, sql, v, n, collect, list);
    if (err) {
        json_decref(list);
        return err;
    }
    *more = json_array_size(list) > (size_t)limit;
    if (*more)
        json_array_remove(list, json_array_size(list) - 1);
    if (after < 0) { /* newest first from the store: give them ascending */
        json_t *asc = json_array();
        for (size_t i = json_array_size(list); i-- > 0;)
            json_array_append(asc, json_array_get(list, i));
        json_decref(list);
        list = asc;
    }
    *listp = list;
    return 0;
}
