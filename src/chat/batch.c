/*
 * batch.c - group commit of chat messages sent over the WebSocket.
 *
 * A post is checked at once (text, rights, rate); the write waits for the
 * end of the loop turn, when every post received in that turn is written
 * in one transaction and acknowledged after its commit. Under load that is
 * one commit for many messages instead of one each; alone, a message
 * waits only for the rest of the turn. Nothing is acknowledged before it
 * is committed.
 */
#include "chat/chat_internal.h"
#include "core/app.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct post {
    struct le le;
    struct actor actor;
    char thread_id[ID_SIZE];
    char *text;
    char client_id[72];
    chat_sent_h *h;
    void *arg;
    json_t *msg;
};

static void post_destructor(void *arg)
{
    struct post *p = arg;
    list_unlink(&p->le);
    mem_deref(p->text);
    mem_deref(p->arg);
    json_decref(p->msg);
}

static int write_one(struct chat *c, struct post *p)
{
    if (p->msg)
        return 0; /* a resend: answered with the stored message */
    struct thread t;
    int err = thread_load(c, p->thread_id, &t);
    if (!err)
        err = post_write(c, &t, &p->actor, p->text, p->client_id[0] ? p->client_id : NULL, &p->msg);
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
        p->h(err, err ? NULL : p->msg, &e, p->arg);
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
    struct thread t;
    struct post *p = mem_zalloc(sizeof(*p), post_destructor);
    if (!p)
        return chat_fail(e, 503, "unavailable", "out of memory");
    json_t *dup = NULL;
    int err = post_prepare(c, who, thread_id, cp, &t, &p->actor, &dup, e);
    if (err) {
        mem_deref(p);
        return err;
    }
    thread_clear(&t);
    snprintf(p->thread_id, sizeof(p->thread_id), "%s", thread_id);
    snprintf(p->client_id, sizeof(p->client_id), "%s", cp->client_id ? cp->client_id : "");
    p->h = h;
    p->arg = mem_ref(arg);
    p->msg = dup; /* a resend: answered in the flush with the stored message */
    if (str_dup(&p->text, cp->text) != 0) {
        mem_deref(p);
        return chat_fail(e, 503, "unavailable", "out of memory");
    }
    list_append(&c->batch, &p->le, p);
    if (!tmr_isrunning(&c->batch_tmr))
        tmr_start(&c->batch_tmr, 0, on_turn_end, c);
    return 0;
}
