/*
 * staff.c - what people do to a whole chat: hand it to a person, leave a
 * message, end it, transfer it, invite an expert, leave it (see chat.h).
 */
#include "chat/chat_internal.h"
#include "core/app.h"
#include "core/clock.h"
#include "router/router.h"
#include "routing/service.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Open a transaction around a change to a loaded thread; on success save
 * the thread and commit. */
typedef int(change_h)(struct chat *c, struct thread *t, struct actor *a, void *arg,
                      struct chat_err *e);

static int with_thread(struct app *app, const struct principal *who, const char *thread_id,
                       enum access need, change_h *h, void *arg, json_t **viewp, struct chat_err *e)
{
    struct chat *c = chat_of(app);
    struct thread t;
    struct actor a;
    int err = chat_load_for(c, who, thread_id, need, &t, &a, e);
    if (err)
        return err;
    bool own;
    e->status = 0;
    err = store_begin_own(app->store, &own);
    if (!err)
        err = h(c, &t, &a, arg, e);
    if (!err)
        err = thread_save(c, &t);
    json_t *view = !err && viewp ? thread_view(c, &t) : NULL;
    err = store_end_own(app->store, own, err);
    thread_clear(&t);
    if (viewp)
        *viewp = err ? (json_decref(view), NULL) : view;
    flow_arm_no_answer(c);
    if (err && !e->status)
        return chat_fail(e, 503, "unavailable", "the change was not stored; try again");
    return err;
}

static bool is_agent(const struct actor *a)
{
    return a->access == ACCESS_WRITE && strcmp(a->p.kind, "agent") == 0;
}

static bool open_thread(const struct thread *t)
{
    return strcmp(t->state, "ended") != 0 && strcmp(t->state, "messageLeft") != 0;
}

/* ---- handoff ---- */

static int do_handoff(struct chat *c, struct thread *t, struct actor *a, void *arg,
                      struct chat_err *e)
{
    (void)a;
    if (strcmp(t->state, "bot") != 0)
        return chat_fail(e, 409, "not_with_bot",
                         "the chat is %s: only a chat with the bot can be handed off", t->state);
    const char *why = NULL;
    return flow_handoff(c, t, arg, &why);
}

int chat_handoff(struct app *app, const struct principal *who, const char *thread_id,
                 const json_t *spec, json_t **viewp, struct chat_err *e)
{
    if (who->kind != PRINCIPAL_CONSUMER && !(who->role & ROLE_ADMIN))
        return chat_fail(e, 403, "forbidden", "only the consumer or an admin may hand off a chat");
    return with_thread(app, who, thread_id, ACCESS_READ, do_handoff, (void *)spec, viewp, e);
}

/* ---- leave a message ---- */

static int do_leave_message(struct chat *c, struct thread *t, struct actor *a, void *arg,
                            struct chat_err *e)
{
    if (!open_thread(t) || strcmp(t->state, "active") == 0)
        return chat_fail(e, 409, "not_waiting",
                         "a message can be left only while the chat waits for a person");
    struct msg_in m = {.kind = "text", .sender = &a->p, .text = arg};
    int err = msg_append(c, t, &m, NULL);
    return err ? err : flow_take_message(c, t);
}

int chat_leave_message(struct app *app, const struct principal *who, const char *thread_id,
                       const char *text, json_t **viewp, struct chat_err *e)
{
    if (who->kind != PRINCIPAL_CONSUMER)
        return chat_fail(e, 403, "forbidden", "only the consumer may leave a message");
    if (!text || !*text)
        return chat_fail(e, 422, "empty_message", "the message is empty: write some text");
    return with_thread(app, who, thread_id, ACCESS_WRITE, do_leave_message, (void *)text, viewp, e);
}

/* ---- end ---- */

struct end_args {
    const char *disposition;
    int wrap_up_s;
};

static int do_end(struct chat *c, struct thread *t, struct actor *a, void *arg, struct chat_err *e)
{
    struct end_args *ea = arg;
    if (!open_thread(t))
        return chat_fail(e, 409, "thread_ended", "this chat has already ended");
    bool consumer = strcmp(a->p.kind, "consumer") == 0;
    if (!consumer && !is_agent(a))
        return chat_fail(e, 403, "forbidden", "only the consumer or the agent may end the chat");
    int err = flow_finish_job(c, t,
                              ea->disposition ? ea->disposition
                              : consumer      ? "endedByConsumer"
                                              : "resolved",
                              ea->wrap_up_s);
    snprintf(t->state, sizeof(t->state), "ended");
    t->ended_at = clock_now_ms();
    t->no_answer_at = 0;
    t->wait_stage[0] = '\0';
    char text[160];
    snprintf(text, sizeof(text), "%s ended the chat", consumer ? "The visitor" : a->p.name);
    if (!err)
        err = chat_event(c, t, "threadEnded", a->p.user_id[0] ? a->p.user_id : NULL,
                         json_pack("{s:s, s:s?}", "by", a->p.kind, "disposition", ea->disposition));
    if (!err)
        err = msg_system(c, t, "ended", text,
                         json_pack("{s:s, s:s}", "by", a->p.kind, "participantId", a->p.id));
    if (!err)
        thread_changed(c, t);
    return err;
}

int chat_end(struct app *app, const struct principal *who, const char *thread_id,
             const char *disposition, int wrap_up_s, json_t **viewp, struct chat_err *e)
{
    struct end_args ea = {disposition, wrap_up_s};
    return with_thread(app, who, thread_id, ACCESS_WRITE, do_end, &ea, viewp, e);
}

/* ---- transfer ---- */

/* The queue a chat for one person goes to: the current one when their
 * worker serves it, else the first their worker serves; NULL when the
 * person has no worker (they could never be offered it). */
static const char *queue_for_user(struct chat *c, const struct thread *t, const char *user_id,
                                  char *out, size_t size)
{
    struct router *r = routing_engine(c->app);
    json_t *ids = router_list(r, "workers");
    const char *found = NULL;
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        const char *wid = json_string_value(id);
        if (found || strcmp(routing_worker_user(c->app, wid), user_id) != 0)
            continue;
        json_t *w = router_worker_get(r, wid, clock_now_ms());
        json_t *queues = json_object_get(w, "queues");
        size_t k;
        json_t *q;
        json_array_foreach(queues, k, q)
        {
            if (strcmp(json_string_value(q), t->queue) == 0)
                found = t->queue;
        }
        if (!found && json_array_size(queues)) {
            snprintf(out, size, "%s", json_string_value(json_array_get(queues, 0)));
            found = out;
        }
        json_decref(w);
    }
    json_decref(ids);
    return found;
}

struct transfer_args {
    const char *queue;
    const char *user_id;
    const struct principal *who;
};

static int do_transfer(struct chat *c, struct thread *t, struct actor *a, void *arg,
                       struct chat_err *e)
{
    struct transfer_args *ta = arg;
    bool lead = (ta->who->role & ROLES_LEADS) != 0;
    if (!is_agent(a) && !lead)
        return chat_fail(e, 403, "forbidden", "only the chat's agent or a manager may transfer it");
    if (strcmp(t->state, "active") != 0 && strcmp(t->state, "waiting") != 0)
        return chat_fail(e, 409, "not_active", "the chat is %s: it cannot be transferred",
                         t->state);
    char target[80];
    if (ta->queue) {
        json_t *q = router_queue_get(routing_engine(c->app), ta->queue);
        const char *qname = json_string_value(json_object_get(q, "name"));
        snprintf(target, sizeof(target), "%s", qname ? qname : ta->queue);
        json_decref(q);
        if (!q)
            return chat_fail(e, 404, "not_found", "no queue has the id \"%.40s\"", ta->queue);
    } else if (user_name(c, ta->user_id, target, sizeof(target)) != 0) {
        return chat_fail(e, 404, "not_found", "no user has the id \"%.40s\"", ta->user_id);
    }
    char queue_buf[72];
    const char *queue =
        ta->queue ? ta->queue : queue_for_user(c, t, ta->user_id, queue_buf, sizeof(queue_buf));
    if (!queue)
        return chat_fail(e, 422, "transfer_refused",
                         "%s takes no chats: they have no worker serving a queue", target);
    char old_job[72];
    snprintf(old_job, sizeof(old_job), "%s", t->job_id);
    int err = flow_finish_job(c, t, "transferred", 0);
    const char *why = NULL;
    if (!err)
        err = flow_requeue(c, t, queue, ta->user_id, &why);
    if (err == EINVAL && why)
        return chat_fail(e, 422, "transfer_refused", "the router refused the transfer: %s", why);
    if (!err && is_agent(a))
        err = participant_leave(c, t->id, a->p.id);
    char text[200];
    snprintf(text, sizeof(text), "%s transferred the chat to %s",
             a->p.name[0] ? a->p.name : "A manager", target);
    if (!err)
        err = chat_event(c, t, "threadTransferred", ta->who->id,
                         json_pack("{s:s, s:s?, s:s?, s:s, s:s}", "from", ta->who->id, "queue",
                                   ta->queue, "userId", ta->user_id, "oldJobId", old_job, "jobId",
                                   t->job_id));
    if (!err)
        err = msg_system(c, t, "transferred", text,
                         json_pack("{s:s?, s:s?}", "queue", ta->queue, "userId", ta->user_id));
    if (!err)
        thread_changed(c, t);
    if (!err && is_agent(a))
        hub_drop_user(c->hub, t->id, a->p.id);
    return err;
}

int chat_transfer(struct app *app, const struct principal *who, const char *thread_id,
                  const char *queue, const char *user_id, json_t **viewp, struct chat_err *e)
{
    if (!queue == !user_id)
        return chat_fail(e, 422, "invalid_transfer", "give either a queue or a userId");
    struct transfer_args ta = {queue, user_id, who};
    return with_thread(app, who, thread_id, ACCESS_READ, do_transfer, &ta, viewp, e);
}

/* ---- invite an expert, leave ---- */

struct invite_args {
    const char *user_id;
    const struct principal *who;
};

static int do_invite(struct chat *c, struct thread *t, struct actor *a, void *arg,
                     struct chat_err *e)
{
    struct invite_args *ia = arg;
    if (!is_agent(a) && !(ia->who->role & ROLES_LEADS))
        return chat_fail(e, 403, "forbidden", "only the chat's agent or a manager may invite");
    if (!open_thread(t))
        return chat_fail(e, 409, "thread_ended", "this chat has ended");
    struct participant p = {.present = true};
    if (user_name(c, ia->user_id, p.name, sizeof(p.name)) != 0)
        return chat_fail(e, 404, "not_found", "no user has the id \"%.40s\"", ia->user_id);
    struct participant old;
    if (participant_get(c, t->id, ia->user_id, &old) == 0 && old.present)
        return chat_fail(e, 409, "already_in", "%s is already in the chat", p.name);
    snprintf(p.id, sizeof(p.id), "%s", ia->user_id);
    snprintf(p.kind, sizeof(p.kind), "expert");
    snprintf(p.user_id, sizeof(p.user_id), "%s", ia->user_id);
    int err = participant_join(c, t->id, &p);
    char text[200];
    snprintf(text, sizeof(text), "%s joined the chat as an expert", p.name);
    if (!err)
        err = chat_event(c, t, "threadInvited", ia->who->id,
                         json_pack("{s:s, s:s}", "userId", ia->user_id, "by", ia->who->id));
    if (!err)
        err = msg_system(c, t, "joined", text,
                         json_pack("{s:s, s:s}", "participantId", p.id, "kind", "expert"));
    if (!err)
        thread_changed(c, t);
    return err;
}

int chat_invite(struct app *app, const struct principal *who, const char *thread_id,
                const char *user_id, json_t **viewp, struct chat_err *e)
{
    struct invite_args ia = {user_id, who};
    return with_thread(app, who, thread_id, ACCESS_READ, do_invite, &ia, viewp, e);
}

static int do_leave(struct chat *c, struct thread *t, struct actor *a, void *arg,
                    struct chat_err *e)
{
    (void)arg;
    if (strcmp(a->p.kind, "expert") != 0 && strcmp(a->p.kind, "agent") != 0)
        return chat_fail(e, 403, "forbidden", "only agents and experts leave a chat");
    if (is_agent(a) && strcmp(t->state, "active") == 0 && t->job_id[0]) {
        json_t *staff = participants_staff(c, t->id);
        size_t agents = 0, i;
        json_t *p;
        json_array_foreach(staff, i, p) agents +=
            strcmp(json_string_value(json_object_get(p, "kind")), "agent") == 0;
        json_decref(staff);
        if (agents <= 1)
            return chat_fail(e, 409, "last_agent",
                             "you are the chat's agent: end it or transfer it instead of leaving");
    }
    int err = participant_leave(c, t->id, a->p.id);
    char text[160];
    snprintf(text, sizeof(text), "%s left the chat", a->p.name);
    if (!err)
        err = chat_event(c, t, "participantLeft", a->p.id,
                         json_pack("{s:s, s:s}", "userId", a->p.id, "kind", a->p.kind));
    if (!err)
        err = msg_system(c, t, "left", text, json_pack("{s:s}", "participantId", a->p.id));
    if (!err)
        thread_changed(c, t);
    if (!err)
        hub_drop_user(c->hub, t->id, a->p.id);
    return err;
}

int chat_leave(struct app *app, const struct principal *who, const char *thread_id,
               struct chat_err *e)
{
    return with_thread(app, who, thread_id, ACCESS_WRITE, do_leave, NULL, NULL, e);
}
