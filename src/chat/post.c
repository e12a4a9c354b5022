/*
 * post.c - writing in a thread: send, edit, delete, read receipts, typing,
 * and live subscriptions (see chat.h).
 */
#include "auth/ratelimit.h"
#include "chat/chat_internal.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/settings.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { REPLAY_BATCH = 200 };

/* Code points in valid UTF-8, or -1 when it is not valid UTF-8. */
static long utf8_length(const char *s)
{
    long n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int extra = *p < 0x80             ? 0
                    : (*p & 0xe0) == 0xc0 ? 1
                    : (*p & 0xf0) == 0xe0 ? 2
                    : (*p & 0xf8) == 0xf0 ? 3
                                          : -1;
        if (extra < 0 || (*p == 0xc0 || *p == 0xc1))
            return -1;
        for (int i = 1; i <= extra; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return -1;
        }
        p += extra + 1;
        n++;
    }
    return n;
}

static bool blank(const char *s)
{
    for (; *s; s++) {
        if (!strchr(" \t\r\n", *s))
            return false;
    }
    return true;
}

static int check_text(struct chat *c, const char *text, struct chat_err *e)
{
    if (!text || blank(text))
        return chat_fail(e, 422, "empty_message", "the message is empty: write some text");
    long len = utf8_length(text);
    if (len < 0)
        return chat_fail(e, 422, "invalid_utf8", "the message is not valid UTF-8 text");
    int64_t max = settings_int(c->app, "chat.maxMessageLength");
    if (len > max)
        return chat_fail(e, 422, "message_too_long",
                         "the message has %ld characters; at most %lld are allowed", len,
                         (long long)max);
    return 0;
}

/* A flood of messages from one token is refused for a while. */
static int check_rate(struct chat *c, const struct principal *who, struct chat_err *e)
{
    if (!c->live)
        return 0;
    /* The limit is read when first needed: a configuration imported after
     * start (or changed since) applies. */
    int64_t max = settings_int(c->app, "chat.messagesPerMinute");
    if (!c->send_limit || c->send_max != max) {
        ratelimit_free(c->send_limit);
        c->send_limit = NULL;
        c->send_max = max;
        if (ratelimit_alloc(&c->send_limit, (unsigned)max, 60000, 10000) != 0)
            return 0;
    }
    int64_t now = clock_mono_ms();
    int64_t wait = ratelimit_blocked(c->send_limit, who->id, now);
    if (wait)
        return chat_fail(e, 429, "rate_limited",
                         "too many messages; wait %lld s before sending more",
                         (long long)((wait + 999) / 1000));
    ratelimit_fail(c->send_limit, who->id, now);
    return 0;
}

static bool may_speak_as_bot(const struct principal *who)
{
    return who->role & ROLE_ADMIN; /* admins, and API keys with the admin role */
}

static bool ended(const struct thread *t)
{
    return strcmp(t->state, "ended") == 0 || strcmp(t->state, "messageLeft") == 0;
}

int post_prepare(struct chat *c, const struct principal *who, const char *thread_id,
                 const struct chat_post *p, struct thread *t, struct actor *a, json_t **dupp,
                 struct chat_err *e)
{
    *dupp = NULL;
    int err = check_text(c, p->text, e);
    if (err)
        return err;
    if (p->as_bot && !may_speak_as_bot(who))
        return chat_fail(e, 403, "forbidden", "only admins and API keys may speak as the bot");
    err = chat_load_for(c, who, thread_id, p->as_bot ? ACCESS_READ : ACCESS_WRITE, t, a, e);
    if (err)
        return err;
    if (ended(t))
        err = chat_fail(e, 409, "thread_ended", "this chat has ended; start a new one");
    else if (!p->as_bot && p->client_id && *p->client_id &&
             msg_by_client_id(c, t->id, a->p.id, p->client_id, dupp) == 0)
        return 0; /* sent before: the stored message is the answer */
    else
        err = check_rate(c, who, e);
    if (err)
        thread_clear(t);
    return err;
}

int post_write(struct chat *c, struct thread *t, const struct actor *a, const char *text,
               const char *client_id, json_t **msgp, struct msg_ref *ref)
{
    struct msg_in m = {
        .kind = "text", .sender = &a->p, .text = text, .client_id = client_id, .ref = ref};
    int err = msg_append(c, t, &m, msgp);
    /* Only a consumer talking to the bot, or answering the offer to leave
     * a message, moves the conversation on. */
    bool moves =
        strcmp(a->p.kind, "consumer") == 0 &&
        (strcmp(t->state, "bot") == 0 || (strcmp(t->state, "waiting") == 0 && t->wait_stage[0]));
    if (!err && moves)
        err = flow_consumer_text(c, t, text);
    if (!err && moves)
        err = thread_save(c, t);
    return err;
}

int chat_send(struct app *app, const struct principal *who, const char *thread_id,
              const struct chat_post *p, json_t **msgp, struct chat_err *e)
{
    struct chat *c = chat_of(app);
    *msgp = NULL;
    struct thread t;
    struct actor a;
    int err = post_prepare(c, who, thread_id, p, &t, &a, msgp, e);
    if (err || *msgp) {
        if (*msgp)
            thread_clear(&t);
        return err;
    }
    bool own;
    err = store_begin_own(app->store, &own);
    if (!err && p->as_bot) {
        err = msg_bot(c, &t, p->text, p->quick_replies);
        if (!err)
            err = msg_get(c, t.id, t.last_seq, msgp);
    } else if (!err) {
        err = post_write(c, &t, &a, p->text, p->client_id, msgp, NULL);
    }
    err = store_end_own(app->store, own, err);
    thread_clear(&t);
    if (err) {
        if (*msgp)
            *msgp = (json_decref(*msgp), NULL);
        return chat_fail(e, 503, "unavailable", "the message was not stored; send it again");
    }
    flow_arm_no_answer(c);
    return 0;
}

/* The message at seq, when it is the actor's own and still there. */
static int own_message(struct chat *c, const struct thread *t, const struct actor *a, int64_t seq,
                       struct chat_err *e)
{
    json_t *m = NULL;
    int err = msg_get(c, t->id, seq, &m);
    if (err == ENOENT)
        return chat_fail(e, 404, "not_found", "the thread has no message %lld", (long long)seq);
    if (err)
        return chat_fail(e, 503, "unavailable", "the store is busy; try again");
    const char *sender =
        json_string_value(json_object_get(json_object_get(m, "sender"), "participantId"));
    const char *kind = json_string_value(json_object_get(m, "kind"));
    bool deleted = json_is_true(json_object_get(m, "deleted"));
    bool mine = strcmp(kind, "text") == 0 && strcmp(sender, a->p.id) == 0;
    json_decref(m);
    if (!mine)
        return chat_fail(e, 403, "not_sender", "only the sender may change a message");
    if (deleted)
        return chat_fail(e, 409, "deleted", "the message was deleted");
    return 0;
}

static int change(struct app *app, const struct principal *who, const char *thread_id, int64_t seq,
                  const char *text, json_t **msgp, struct chat_err *e)
{
    struct chat *c = chat_of(app);
    bool del = text == NULL;
    int err = del ? 0 : check_text(c, text, e);
    if (err)
        return err;
    struct thread t;
    struct actor a;
    err = chat_load_for(c, who, thread_id, ACCESS_WRITE, &t, &a, e);
    if (err)
        return err;
    err = own_message(c, &t, &a, seq, e);
    if (err) {
        thread_clear(&t);
        return err;
    }
    bool own;
    err = store_begin_own(app->store, &own);
    if (!err)
        err = msg_mark(c, t.id, seq, del ? "" : text, del);
    struct msg_in m = {
        .kind = del ? "delete" : "edit", .sender = &a.p, .text = del ? "" : text, .ref_seq = seq};
    if (!err)
        err = msg_append(c, &t, &m, msgp);
    err = store_end_own(app->store, own, err);
    thread_clear(&t);
    if (err)
        return chat_fail(e, 503, "unavailable", "the change was not stored; try again");
    return 0;
}

int chat_edit(struct app *app, const struct principal *who, const char *thread_id, int64_t seq,
              const char *text, json_t **msgp, struct chat_err *e)
{
    if (!text)
        return chat_fail(e, 422, "empty_message", "the message is empty: write some text");
    return change(app, who, thread_id, seq, text, msgp, e);
}

int chat_delete(struct app *app, const struct principal *who, const char *thread_id, int64_t seq,
                struct chat_err *e)
{
    json_t *m = NULL;
    int err = change(app, who, thread_id, seq, NULL, &m, e);
    json_decref(m);
    return err;
}

int chat_read(struct app *app, const struct principal *who, const char *thread_id, int64_t seq,
              struct chat_err *e)
{
    struct chat *c = chat_of(app);
    struct thread t;
    struct actor a;
    int err = chat_load_for(c, who, thread_id, ACCESS_WRITE, &t, &a, e);
    if (err)
        return err;
    if (seq < 1 || seq > t.last_seq) {
        thread_clear(&t);
        return chat_fail(e, 422, "bad_seq", "seq must name a message of the thread (1..%lld)",
                         (long long)t.last_seq);
    }
    err = participant_read(c, t.id, a.p.id, seq);
    if (!err) {
        char text[256];
        snprintf(text, sizeof(text),
                 "{\"type\":\"read\",\"threadId\":\"%s\",\"participantId\":\"%s\",\"seq\":%lld}",
                 t.id, a.p.id, (long long)seq);
        hub_send(c->hub, t.id, text);
    }
    thread_clear(&t);
    return err ? chat_fail(e, 503, "unavailable", "the store is busy; try again") : 0;
}

int chat_typing(struct app *app, const struct principal *who, const char *thread_id, bool typing,
                struct chat_err *e)
{
    struct chat *c = chat_of(app);
    struct thread t;
    struct actor a;
    int err = chat_load_for(c, who, thread_id, ACCESS_WRITE, &t, &a, e);
    if (err)
        return err;
    json_t *frame = json_pack("{s:s, s:s, s:s, s:s, s:b}", "type", "typing", "threadId", t.id,
                              "participantId", a.p.id, "name", a.p.name, "typing", typing);
    char *text = json_dumps(frame, JSON_COMPACT);
    json_decref(frame);
    if (text)
        hub_send(c->hub, t.id, text);
    free(text);
    thread_clear(&t);
    return 0;
}

static void send_frame(chat_send_h *h, void *arg, const char *thread_id, json_t *msg)
{
    json_t *frame =
        json_pack("{s:s, s:s, s:O}", "type", "message", "threadId", thread_id, "message", msg);
    char *text = json_dumps(frame, JSON_COMPACT);
    json_decref(frame);
    if (text)
        h(text, strlen(text), arg);
    free(text);
}

int chat_subscribe(struct app *app, const struct principal *who, const char *thread_id,
                   int64_t after, chat_send_h *h, void *arg, struct chat_sub **subp,
                   struct chat_err *e)
{
    struct chat *c = chat_of(app);
    struct thread t;
    struct actor a;
    int err = chat_load_for(c, who, thread_id, ACCESS_READ, &t, &a, e);
    if (err)
        return err;
    json_t *hello = json_pack("{s:s, s:s, s:I, s:o}", "type", "subscribed", "threadId", t.id,
                              "lastSeq", (json_int_t)t.last_seq, "thread", thread_view(c, &t));
    char *text = json_dumps(hello, JSON_COMPACT);
    json_decref(hello);
    if (text)
        h(text, strlen(text), arg);
    free(text);
    int64_t last = after < 0 ? t.last_seq : after;
    /* Replay what the client missed; nothing commits meanwhile (one
     * thread), so the live messages start right after. */
    while (after >= 0 && last < t.last_seq) {
        json_t *list = NULL;
        bool more = false;
        if (msg_list(c, t.id, last, -1, REPLAY_BATCH, &list, &more) != 0)
            break;
        size_t i;
        json_t *m;
        json_array_foreach(list, i, m)
        {
            send_frame(h, arg, t.id, m);
            last = json_integer_value(json_object_get(m, "seq"));
        }
        json_decref(list);
        if (!more)
            break;
    }
    *subp = hub_subscribe(c->hub, t.id, who->kind == PRINCIPAL_USER ? who->id : NULL, last, h, arg);
    thread_clear(&t);
    if (!*subp)
        return chat_fail(e, 503, "unavailable", "out of memory");
    return 0;
}
