/*
 * fold_internal.h - what the fold's files share: the open contacts, the
 * agents, and the emission of increments (see report.h).
 */
#ifndef SB_REPORT_FOLD_INTERNAL_H
#define SB_REPORT_FOLD_INTERNAL_H

#include "core/events.h"
#include "report/report.h"
#include "router/rmap.h"

#include <stdbool.h>
#include <stdint.h>

/* A queue and channel with its waiting jobs in arrival order. */
struct rqueue {
    char *key; /* "queue\nchannel" */
    char *id;
    const char *chan;
    unsigned waiting;
    struct rjob *head, *tail;
};

/* A router job: one contact of the queue it first entered. */
struct rjob {
    char *id;
    const char *chan; /* "voice" or "chat" */
    char *call;       /* the call it is for (voice), or NULL */
    char *worker;     /* the assigned worker, or NULL */
    struct rqueue *q; /* NULL until queued */
    int64_t enq, bucket, assigned, completed;
    bool answered;
    struct rjob *prev, *next; /* in q's waiting list while waiting */
    bool waiting;
};

enum agent_state { AS_AVAILABLE, AS_BUSY, AS_WRAP_UP, AS_UNAVAILABLE, AS_COUNT };

struct ragent {
    char *id;
    char *user;
    bool available;
    int active, wrap; /* jobs assigned, jobs completed not yet closed */
    enum agent_state state;
    int64_t since;   /* in this state since (the live figures' time in state) */
    int64_t accrued; /* its time counted into the sums up to here */
};

/* A call the fold follows: in an attendant, or answered from a queue. */
struct rcall {
    char *id;
    char *att; /* the attendant it is in, or NULL once it left */
    int64_t att_bucket;
    char *queue, *worker; /* from the queue it was answered in */
    int64_t queue_bucket;
    int64_t held_since; /* on hold since, or 0 */
};

/* A chat thread, from its opening to its end. */
struct rthread {
    char *id;
    char *bot, *queue, *worker;
    int64_t opened, bucket, handed;
    bool responded;
};

struct report_fold {
    struct report_fold_opts o;
    bool emitting;
    struct rmap *jobs, *queues, *agents, *users, *calls, *threads;
};

extern const char *const agent_state_names[AS_COUNT];

void fold_emit(struct report_fold *f, int64_t bucket, const char *scope, const char *id,
               const char *chan, const char *figure, int64_t value);
/* The bin figure ("answeredBin.20") a wait falls in, for prefix "answered". */
void fold_emit_bin(struct report_fold *f, int64_t bucket, const char *scope, const char *id,
                   const char *chan, const char *prefix, int64_t wait_ms);
char *fold_strdup(const char *s);
void fold_set(char **slot, const char *s);
const char *ev_str(const struct event *e, const char *key);

void fold_router(struct report_fold *f, const struct event *e);
void fold_calls(struct report_fold *f, const struct event *e);
void fold_chat(struct report_fold *f, const struct event *e);
void fold_survey(struct report_fold *f, const struct event *e);
void fold_contacts_free(struct report_fold *f);

#endif
