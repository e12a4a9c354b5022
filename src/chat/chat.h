/*
 * chat.h - the web chat service (docs/chat.md): threads, participants,
 * messages, the bot in front, the handoff to the router, and the live
 * fan-out to WebSocket clients.
 *
 * Every change runs in one store transaction and is acknowledged only
 * after it commits; live deliveries go out after the commit too. Each
 * function checks what the principal may do with the thread.
 *
 * Functions return 0, or an errno value with *e filled with the HTTP
 * status, an error code and a message for the person.
 */
#ifndef SB_CHAT_CHAT_H
#define SB_CHAT_CHAT_H

#include "core/ids.h"
#include "core/principal.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct app;

struct chat_err {
    uint16_t status;
    const char *code;
    char message[240];
};

/* Register the "bots" and "chatWidgets" kinds and the "chat" topic. */
int chat_register(void);
/* live: run timers, webhooks and the router listener (serve). */
int chat_start(struct app *app, bool live);
void chat_stop(struct app *app);

/* The id of a configured chat widget (the first by id), or NULL: for the
 * start banner's links. */
const char *chat_some_widget(struct app *app);

/* A consumer token ("sbc_...") to its principal: id = the thread id. */
int chat_consumer_authenticate(struct app *app, const char *token, struct principal *who);

/* Open a thread for a consumer of a widget; the bot's greeting (or the
 * handoff, for a widget without a bot) is already in it. */
int chat_open(struct app *app, const char *widget_id, const char *name, const char *peer,
              json_t **threadp, char token[TOKEN_SIZE], struct chat_err *e);

/* Read access; *threadp is the thread view (with "waiting" while queued). */
int chat_thread(struct app *app, const struct principal *who, const char *thread_id,
                json_t **threadp, struct chat_err *e);
/* Threads a staff member may see: state filter or NULL; mine: only those
 * the caller takes part in. Newest first; cursor is the last id seen. */
int chat_threads(struct app *app, const struct principal *who, const char *state, bool mine,
                 int limit, const char *cursor, json_t **listp, struct chat_err *e);
/* after >= 0: ascending from after; else before (the page before it, or
 * the newest page when before is 0). */
int chat_messages(struct app *app, const struct principal *who, const char *thread_id,
                  int64_t after, int64_t before, int limit, json_t **outp, struct chat_err *e);

struct chat_post {
    const char *text;
    const char *client_id;       /* the client's own id, echoed; may be NULL */
    bool as_bot;                 /* admins and API keys: speak as the bot */
    const json_t *quick_replies; /* as_bot only; may be NULL */
};
int chat_send(struct app *app, const struct principal *who, const char *thread_id,
              const struct chat_post *p, json_t **msgp, struct chat_err *e);
/* The same, committed together with every other post of this loop turn
 * (one transaction for many messages: the WebSocket path). h is called
 * later, once: err 0 and the message's seq and id, or an error with *e.
 * arg, if not NULL, must be mem-allocated (a reference is held until
 * then). */
typedef void(chat_sent_h)(int err, int64_t seq, const char *msg_id, const struct chat_err *e,
                          void *arg);
int chat_send_later(struct app *app, const struct principal *who, const char *thread_id,
                    const struct chat_post *p, chat_sent_h *h, void *arg, struct chat_err *e);
int chat_edit(struct app *app, const struct principal *who, const char *thread_id, int64_t seq,
              const char *text, json_t **msgp, struct chat_err *e);
int chat_delete(struct app *app, const struct principal *who, const char *thread_id, int64_t seq,
                struct chat_err *e);
int chat_read(struct app *app, const struct principal *who, const char *thread_id, int64_t seq,
              struct chat_err *e);
int chat_typing(struct app *app, const struct principal *who, const char *thread_id, bool typing,
                struct chat_err *e);

/* The actions on a whole thread below give the thread as it is after the
 * action in *viewp (may be NULL): the caller may no longer read it (an
 * agent who transferred it away). */
/* spec: {"queue","priority","labels"} (any subset; NULL: the widget's). */
int chat_handoff(struct app *app, const struct principal *who, const char *thread_id,
                 const json_t *spec, json_t **viewp, struct chat_err *e);
int chat_leave_message(struct app *app, const struct principal *who, const char *thread_id,
                       const char *text, json_t **viewp, struct chat_err *e);
/* wrap_up_s < 0: the widget's wrap-up time. */
int chat_end(struct app *app, const struct principal *who, const char *thread_id,
             const char *disposition, int wrap_up_s, json_t **viewp, struct chat_err *e);
/* To a queue, or to a person (user_id); exactly one of them. */
int chat_transfer(struct app *app, const struct principal *who, const char *thread_id,
                  const char *queue, const char *user_id, json_t **viewp, struct chat_err *e);
int chat_invite(struct app *app, const struct principal *who, const char *thread_id,
                const char *user_id, json_t **viewp, struct chat_err *e);
int chat_leave(struct app *app, const struct principal *who, const char *thread_id,
               struct chat_err *e);

/* ---- live subscriptions (the WebSocket stream) ---- */
struct chat_sub;
typedef void(chat_send_h)(const char *text, size_t len, void *arg);
/* Subscribe to a thread the principal may read: sends through h the
 * frame {"type":"subscribed","threadId","lastSeq","thread"}, then the
 * messages after `after` (< 0: none, start from now), then live ones,
 * typing, read receipts and thread changes. mem_deref(*subp) ends it. */
int chat_subscribe(struct app *app, const struct principal *who, const char *thread_id,
                   int64_t after, chat_send_h *h, void *arg, struct chat_sub **subp,
                   struct chat_err *e);
const char *chat_sub_thread(const struct chat_sub *sub);

#endif
