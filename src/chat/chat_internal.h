/*
 * chat_internal.h - what the chat service's files share: the service
 * state, the stored thread, participants and messages, the live hub.
 */
#ifndef SB_CHAT_INTERNAL_H
#define SB_CHAT_INTERNAL_H

#include "chat/chat.h"
#include "core/libre.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct bot;
struct hub;
struct events_sub;
struct ratelimit;
struct webhook;
struct schema;
struct store;

struct chat {
    struct app *app;
    bool live;
    struct hub *hub;
    struct events_sub *router_sub;
    json_t *widgets;  /* id -> spec */
    struct list bots; /* struct bot_entry, compiled flows */
    struct ratelimit *send_limit;
    struct ratelimit *open_limit;
    int64_t send_max, open_max; /* the settings the limiters were made with */
    struct webhook *wh;
    struct tmr no_answer; /* the earliest no_answer_at of waiting threads */
    bool rearm;           /* a no_answer_at changed: look again */
    struct list batch;    /* posts waiting for this loop turn's commit (batch.c) */
    struct tmr batch_tmr;
};

struct chat *chat_of(struct app *app);

/* ---- kinds.c: configuration ---- */
int chat_kinds_register(void);
int chat_kinds_load(struct chat *c);
void chat_kinds_unload(struct chat *c);
const struct bot *chat_bot(struct chat *c, const char *id);
const json_t *chat_widget(struct chat *c, const char *id);
const json_t *chat_bot_spec(struct chat *c, const char *id);
const struct schema *chat_widget_schema(void);

/* ---- threads.c: the stored thread ---- */
struct thread {
    char id[ID_SIZE];
    char widget[72];
    char state[16]; /* bot, waiting, active, messageLeft, ended */
    char name[72];  /* the consumer's */
    char bot_id[72];
    json_t *bot_state; /* object; {} without a bot */
    json_t *fields;    /* object */
    char queue[72];
    char job_id[72];
    char wait_stage[16]; /* "", offered, prompted */
    int64_t waiting_since, no_answer_at, last_seq, created_at, ended_at;
};

int thread_insert(struct chat *c, struct thread *t, const char *token_hash);
int thread_load(struct chat *c, const char *id, struct thread *t); /* ENOENT */
int thread_by_job(struct chat *c, const char *job_id, struct thread *t);
int thread_save(struct chat *c, const struct thread *t);
void thread_clear(struct thread *t);
/* The view clients get (participants included). New reference. */
json_t *thread_view(struct chat *c, const struct thread *t);

struct participant {
    char id[ID_SIZE];
    char kind[12]; /* consumer, bot, agent, expert */
    char user_id[ID_SIZE];
    char name[72];
    bool present; /* not left */
};
int participant_get(struct chat *c, const char *thread_id, const char *id, struct participant *p);
/* Join (again): clears left_at. */
int participant_join(struct chat *c, const char *thread_id, const struct participant *p);
int participant_leave(struct chat *c, const char *thread_id, const char *id);
int participant_read(struct chat *c, const char *thread_id, const char *id, int64_t seq);
/* The staff participants present (kind agent or expert). New reference. */
json_t *participants_staff(struct chat *c, const char *thread_id);

/* What a principal may do with a thread. */
enum access { ACCESS_NONE = 0, ACCESS_READ, ACCESS_WRITE };
struct actor {
    enum access access;
    struct participant p; /* who they are in the thread (writers) */
};
int thread_access(struct chat *c, const struct principal *who, const struct thread *t,
                  struct actor *a);

/* Load a thread the principal may use as `need` says (404/403 in *e). */
int chat_load_for(struct chat *c, const struct principal *who, const char *thread_id,
                  enum access need, struct thread *t, struct actor *a, struct chat_err *e);

/* ---- post.c, batch.c: sending ---- */
/* Check a post (text, rights, thread open, rate) and load the thread; a
 * resend with a known client id gives *dupp (the stored message) and
 * nothing more to do. On success the caller clears *t. */
int post_prepare(struct chat *c, const struct principal *who, const char *thread_id,
                 const struct chat_post *p, struct thread *t, struct actor *a, json_t **dupp,
                 struct chat_err *e);
/* Where a stored message is. */
struct msg_ref {
    int64_t seq;
    char id[ID_SIZE];
};
/* Append a text message and let the flow react, in the open transaction.
 * msgp (the message view) and ref may each be NULL. */
int post_write(struct chat *c, struct thread *t, const struct actor *a, const char *text,
               const char *client_id, json_t **msgp, struct msg_ref *ref);
void batch_flush_now(struct chat *c);

/* ---- messages.c ---- */
struct msg_in {
    const char *kind; /* text, system, edit, delete */
    const struct participant *sender;
    const char *text;
    const json_t *data; /* quickReplies, system details; may be NULL */
    int64_t ref_seq;
    const char *client_id;
    struct msg_ref *ref; /* if not NULL, gets the new message's seq and id */
};
/* Append to the thread inside the caller's transaction: takes the next
 * seq (t->last_seq is updated), logs a messageCreated event for a message
 * from staff, and queues the live delivery for after the commit. *outp (if not NULL) gets the
 * message view (new reference). */
int msg_append(struct chat *c, struct thread *t, const struct msg_in *m, json_t **outp);
/* A system message with data {"event": event, ...extra}. extra is stolen. */
int msg_system(struct chat *c, struct thread *t, const char *event, const char *text,
               json_t *extra);
/* Say as the bot (quick_replies may be NULL). */
int msg_bot(struct chat *c, struct thread *t, const char *text, const json_t *quick_replies);
int msg_get(struct chat *c, const char *thread_id, int64_t seq, json_t **outp);
/* The message a sender already sent with this client id; ENOENT if none. */
int msg_by_client_id(struct chat *c, const char *thread_id, const char *sender_id,
                     const char *client_id, json_t **outp);
int msg_mark(struct chat *c, const char *thread_id, int64_t seq, const char *text, bool deleted);
/* Messages in (after, after+limit] ascending, or the page before `before`. */
int msg_list(struct chat *c, const char *thread_id, int64_t after, int64_t before, int limit,
             json_t **listp, bool *more);

/* Append a "chat" event about the thread (data stolen; threadId added). */
int chat_event(struct chat *c, const struct thread *t, const char *type, const char *actor,
               json_t *data);

/* ---- hub.c: live fan-out ---- */
int hub_alloc(struct hub **hp, struct store *store);
void hub_free(struct hub *h);
/* A message for the thread's subscribers once the open transaction
 * commits (dropped if it rolls back). text: the whole JSON frame. */
void hub_queue(struct hub *h, const char *thread_id, int64_t seq, const char *text);
/* Send now (typing, read receipts, thread changes after a commit). */
void hub_send(struct hub *h, const char *thread_id, const char *text);
/* End the subscriptions of a user who left the thread. */
void hub_drop_user(struct hub *h, const char *thread_id, const char *user_id);
struct chat_sub *hub_subscribe(struct hub *h, const char *thread_id, const char *user_id,
                               int64_t last_seq, chat_send_h *send, void *arg);
/* Send a frame {"type":"thread","thread":view} to the thread's
 * subscribers (view borrowed). */
void hub_thread_changed(struct hub *h, const char *thread_id, const json_t *view);

/* A user's display name (or login name); "" when unknown. */
int user_name(struct chat *c, const char *user_id, char *name, size_t size);
/* Tell the thread's subscribers its view changed, once the open
 * transaction commits. */
void thread_changed(struct chat *c, const struct thread *t);

/* ---- flow.c: bot, handoff, end, transfer ---- */
int flow_start(struct chat *c, struct thread *t);
int flow_consumer_text(struct chat *c, struct thread *t, const char *text);
int flow_handoff(struct chat *c, struct thread *t, const json_t *spec, const char **why);
int flow_finish_job(struct chat *c, struct thread *t, const char *disposition, int wrap_up_s);
/* The consumer leaves a message (text already in the thread, or given). */
int flow_take_message(struct chat *c, struct thread *t);
/* A new job for a waiting chat, to a queue or a person (user_id). */
int flow_requeue(struct chat *c, struct thread *t, const char *queue, const char *user_id,
                 const char **why);
/* A router event about a chat job (after its commit). */
void flow_router_event(struct chat *c, const char *type, const json_t *data);
/* Waiting threads whose no-answer time has come. */
void flow_no_answer_due(struct chat *c, int64_t now);
void flow_arm_no_answer(struct chat *c);

int chat_fail(struct chat_err *e, uint16_t status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
