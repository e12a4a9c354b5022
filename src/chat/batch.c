/*
 * batch.c - group commit of chat messages sent over the WebSocket.
 *
 * A post waits for the end of the loop turn, when every post received in
 * that turn is checked (text, rights, thread open, resend, rate) and
 * written in one transaction, then acknowledged after its commit. Under
 * load that is one commit for many messages instead of one each; alone, a
 * message waits only for the rest of the turn. Nothing is acknowledged
 * before it is committed.
 *
 * The checks run inside the write transaction, so the thread they load is
 * the one the write uses (loaded once, and current: an earlier post of the
 * batch may have moved the same thread on), and the reads share the
 * transaction's snapshot instead of opening one each.
 */
#include "chat/chat_internal.h"
#include "core/app.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct post {
    struct le le;
    struct principal who; /* a copy: the stream may close before the flush */
    char thread_id[ID_SIZE];
    char *text;
    char *client_id; /* NULL: none */
    chat_sent_h *h;
    void *arg;
    json_t *dup; /* a resend: the message stored the first time */
    struct msg_ref ref;
    int refused; /* a check failed: e says why; the others are still written */
    struct chat_err e;
};

static void post_destructor(void *arg)
{
    struct post *p = arg;
    list_unlink(&p->le);
    mem_deref(p->text);
    mem_deref(p->client_id);
    mem_deref(p->arg);
    json_decref(p->dup);
}

/* Check and write one post in the open transaction. A refused post is no
 * error of the batch; a store error is (the transaction rolls back). */
static int write_one(struct chat *c, struct post *p)
{
    const struct chat_post cp = {.text = p->text, .client_id = p->client_id};
    struct thread t;
    struct actor a;
    p->refused = post_prepare(c, &p->who, p->thread_id, &cp, &t, &a, &p->dup, &p->e);
    if (p->refused)
        return 0;
    if (p->dup) { /* a resend: answered with the stored message */
        thread_clear(&t);
        p->ref.seq = json_integer_value(json_object_get(p->dup, "seq"));
        snprintf(p->ref.id, sizeof(p->ref.id), "%s",
                 json_string_value(json_object_get(p->dup, "id")));
        return 0;
    }
    int err = post_write(c, &t, &a, p->text, cp.client_id, NULL, &p->ref);
    thread_clear(&t);
    return err;
}

void batch_flush_now(struct chat *c)
{
    struct list posts = LIST_INIT;
    while (c->batch.head) {
        struct le *le = c->batch.head;
        list_unlink(le);
        list_append(&posts, le, le->data);
    }
    if (!posts.head)
        return;
    bool own;
    int err = store_begin_own(c->app->store, &own);
    for (struct le *le = posts.head; le && !err; le = le->next)
        err = write_one(c, le->data);
    err = store_end_own(c->app->store, own, err);
    struct chat_err e = {0};
    if (err)
        chat_fail(&e, 503, "unavailable", "the message was not stored; send it again");
    while (posts.head) {
        struct post *p = posts.head->data;
        if (err)
            p->h(err, 0, NULL, &e, p->arg);
        else if (p->refused)
            p->h(p->refused, 0, NULL, &p->e, p->arg);
        else
            p->h(0, p->ref.seq, p->ref.id, NULL, p->arg);
        mem_deref(p);
    }
    flow_arm_no_answer(c);
}

static void on_turn_end(void *arg)
{
    batch_flush_now(arg);
}

int chat_send_later(struct app *app, const struct principal *who, const char *thread_id,
                    const struct chat_post *cp, chat_sent_h *h, void *arg, struct chat_err *e)
{
    struct chat *c = chat_of(app);
    if (cp->as_bot)
        return chat_fail(e, 422, "invalid", "speak as the bot over HTTP");
    struct post *p = mem_zalloc(sizeof(*p), post_destructor);
    if (!p || str_dup(&p->text, cp->text ? cp->text : "") != 0 ||
        (cp->client_id && str_dup(&p->client_id, cp->client_id) != 0)) {
        mem_deref(p);
        return chat_fail(e, 503, "unavailable", "out of memory");
    }
    p->who = *who;
    snprintf(p->thread_id, sizeof(p->thread_id), "%s", thread_id);
    p->h = h;
    p->arg = mem_ref(arg);
    list_append(&c->batch, &p->le, p);
    if (!tmr_isrunning(&c->batch_tmr))
        tmr_start(&c->batch_tmr, 0, on_turn_end, c);
    return 0;
}
