/*
 * fold_contacts.c - the fold's consumer side: calls in auto attendants and
 * transferred from queues, chat threads with their bots, first responses
 * and resolutions (in business hours), and surveys (see report.h).
 */
#include "core/schedule.h"
#include "report/fold_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Milliseconds of [a, b) within business hours (all of it without hours).
 * Schedules open and close on whole minutes, so an open stretch is
 * walked a minute at a time and a closed one skipped in one step. */
static int64_t business_ms(const struct schedule *s, int64_t a, int64_t b)
{
    if (!s)
        return b > a ? b - a : 0;
    int64_t total = 0, t = a;
    while (t < b) {
        if (schedule_is_open(s, t, NULL)) {
            int64_t next = (t / 60000 + 1) * 60000;
            if (next > b)
                next = b;
            total += next - t;
            t = next;
        } else {
            int64_t open = schedule_next_open(s, t);
            if (open >= b)
                break;
            t = open;
        }
    }
    return total;
}

/* ---- calls ---- */

static struct rcall *call_get(struct report_fold *f, const char *id, bool create)
{
    struct rcall *c = rmap_get(f->calls, id);
    if (c || !create)
        return c;
    c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->id = fold_strdup(id);
    rmap_put(f->calls, c->id, c);
    return c;
}

static void call_destroy(struct rcall *c)
{
    free(c->id);
    free(c->att);
    free(c->queue);
    free(c->worker);
    free(c);
}

/* Dial by name's outcomes (a fixed set of words). */
static void directory_event(struct report_fold *f, const struct event *e, const char *att,
                            int64_t b)
{
    static const char *const results[] = {"connected", "noMatch",   "noInput", "rejected",
                                          "tooMany",   "cancelled", NULL};
    const char *result = ev_str(e, "result");
    for (size_t i = 0; result && results[i]; i++) {
        if (strcmp(result, results[i]) == 0) {
            char fig[40];
            snprintf(fig, sizeof(fig), "directory.%s", results[i]);
            fold_emit(f, b, "attendant", att, "voice", fig, 1);
        }
    }
}

static void attendant_event(struct report_fold *f, const struct event *e, struct rcall *c)
{
    const char *att = ev_str(e, "attendant");
    if (!att)
        return;
    int64_t b = report_bucket(e->time);
    const char *t = e->type;
    if (strcmp(t, "attendantEntered") == 0) {
        fold_set(&c->att, att);
        c->att_bucket = b;
        fold_emit(f, b, "attendant", att, "voice", "calls", 1);
    } else if (strcmp(t, "attendantOption") == 0) {
        const char *key = ev_str(e, "key"), *target = ev_str(e, "target"),
                   *input = ev_str(e, "input");
        char fig[40];
        /* Dialled extensions are many: one label for them all. */
        bool ext = (target && strcmp(target, "extension") == 0) || !key || strlen(key) != 1;
        snprintf(fig, sizeof(fig), "option.%s", ext ? "extension" : key);
        fold_emit(f, b, "attendant", att, "voice", fig, 1);
        bool speech = input && strcmp(input, "speech") == 0;
        fold_emit(f, b, "attendant", att, "voice", speech ? "bySpeech" : "byKey", 1);
    } else if (strcmp(t, "attendantInvalid") == 0) {
        fold_emit(f, b, "attendant", att, "voice", "invalid", 1);
    } else if (strcmp(t, "attendantNoInput") == 0) {
        fold_emit(f, b, "attendant", att, "voice", "noInput", 1);
    } else if (strcmp(t, "attendantNotRecognised") == 0) {
        fold_emit(f, b, "attendant", att, "voice", "notRecognised", 1);
    } else if (strcmp(t, "attendantDirectory") == 0) {
        directory_event(f, e, att, b);
    }
}

static const char *const target_kinds[] = {"disconnect", "extension", "person",    "attendant",
                                           "callQueue",  "external",  "voicemail", NULL};

static void call_redirected(struct report_fold *f, const struct event *e, struct rcall *c)
{
    const char *from = ev_str(e, "from");
    if (!c || !c->att || !from || strcmp(from, "attendant") != 0)
        return;
    const char *kind =
        json_string_value(json_object_get(json_object_get(e->data, "target"), "kind"));
    const char *label = "other";
    for (size_t i = 0; kind && target_kinds[i]; i++)
        if (strcmp(kind, target_kinds[i]) == 0)
            label = target_kinds[i];
    char fig[40];
    snprintf(fig, sizeof(fig), "redirect.%s", label);
    int64_t b = report_bucket(e->time);
    fold_emit(f, b, "attendant", c->att, "voice", "redirects", 1);
    fold_emit(f, b, "attendant", c->att, "voice", fig, 1);
    fold_set(&c->att, NULL);
}

/* Redirected on arrival (overflow, or no agents before a job existed):
 * offered to the queue, never waiting in it. Redirects of a waiting
 * caller come as the job's cancellation. */
static void queue_redirected(struct report_fold *f, const struct event *e)
{
    const char *queue = ev_str(e, "queueId"), *reason = ev_str(e, "reason");
    if (!queue || !reason || json_object_get(e->data, "jobId"))
        return;
    const char *fig = strcmp(reason, "overflow") == 0   ? "redirectedOverflow"
                      : strcmp(reason, "noAgents") == 0 ? "redirectedNoAgents"
                      : strcmp(reason, "timeout") == 0  ? "redirectedTimeout"
                                                        : NULL;
    if (!fig)
        return;
    int64_t b = report_bucket(e->time);
    fold_emit(f, b, "queue", queue, "voice", "offered", 1);
    fold_emit(f, b, "queue", queue, "voice", fig, 1);
}

static void queue_answered(struct report_fold *f, const struct event *e, struct rcall *c)
{
    const struct rjob *j = rmap_get(f->jobs, ev_str(e, "jobId") ? ev_str(e, "jobId") : "");
    if (!j || !j->q)
        return;
    fold_set(&c->queue, j->q->id);
    fold_set(&c->worker, ev_str(e, "workerId"));
    c->queue_bucket = j->bucket;
}

/* A call queue's callbacks, counted for its router queue when they
 * happen (the job's own figures count its wait and answer as for any). */
static void callback_event(struct report_fold *f, const struct event *e)
{
    static const struct {
        const char *type, *figure;
    } figures[] = {
        {"callbackRequested", "callbacksRequested"},
        {"callbackConnected", "callbacksConnected"},
        {"callbackFailed", "callbacksFailed"},
        {"callbackCancelled", "callbacksCancelled"},
    };
    const char *queue = ev_str(e, "queueId");
    for (size_t i = 0; queue && i < sizeof(figures) / sizeof(figures[0]); i++)
        if (strcmp(e->type, figures[i].type) == 0)
            fold_emit(f, report_bucket(e->time), "queue", queue, "voice", figures[i].figure, 1);
}

/* Hold time of a call answered from a queue, to the queue's contact and
 * the agent, when the hold ends. */
static void hold_ends(struct report_fold *f, struct rcall *c, int64_t now)
{
    if (!c->held_since || !c->queue)
        return;
    int64_t d = now - c->held_since;
    c->held_since = 0;
    fold_emit(f, c->queue_bucket, "queue", c->queue, "voice", "holdMs", d);
    if (c->worker)
        fold_emit(f, report_bucket(now), "agent", c->worker, "", "holdMs", d);
}

void fold_calls(struct report_fold *f, const struct event *e)
{
    const char *id = e->subject;
    if (!id)
        return;
    const char *t = e->type;
    if (strncmp(t, "attendant", 9) == 0) {
        attendant_event(f, e, call_get(f, id, true));
    } else if (strcmp(t, "callRedirected") == 0) {
        call_redirected(f, e, call_get(f, id, false));
    } else if (strcmp(t, "queueRedirected") == 0) {
        queue_redirected(f, e);
    } else if (strcmp(t, "queueAnswered") == 0) {
        queue_answered(f, e, call_get(f, id, true));
    } else if (strncmp(t, "callback", 8) == 0) {
        callback_event(f, e);
    } else if (strcmp(t, "callTransferred") == 0) {
        const struct rcall *c = call_get(f, id, false);
        if (c && c->queue)
            fold_emit(f, c->queue_bucket, "queue", c->queue, "voice", "transfers", 1);
    } else if (strcmp(t, "callHeld") == 0) {
        struct rcall *c = call_get(f, id, false);
        if (c && c->queue && !c->held_since)
            c->held_since = e->time;
    } else if (strcmp(t, "callResumed") == 0) {
        struct rcall *c = call_get(f, id, false);
        if (c)
            hold_ends(f, c, e->time);
    } else if (strcmp(t, "callEnded") == 0) {
        struct rcall *c = rmap_del(f->calls, id);
        if (c)
            hold_ends(f, c, e->time);
        if (c && c->att) /* ended where the attendant left it: contained */
            fold_emit(f, c->att_bucket, "attendant", c->att, "voice", "contained", 1);
        if (c)
            call_destroy(c);
    }
}

/* ---- chats and bots ---- */

static void thread_destroy(struct rthread *t)
{
    free(t->id);
    free(t->bot);
    free(t->queue);
    free(t->worker);
    free(t);
}

static void thread_opened(struct report_fold *f, const struct event *e)
{
    if (rmap_get(f->threads, e->subject))
        return;
    struct rthread *t = calloc(1, sizeof(*t));
    if (!t)
        abort();
    t->id = fold_strdup(e->subject);
    const char *bot = ev_str(e, "bot");
    if (bot && *bot)
        t->bot = fold_strdup(bot);
    t->opened = e->time;
    t->bucket = report_bucket(e->time);
    rmap_put(f->threads, t->id, t);
    if (t->bot)
        fold_emit(f, t->bucket, "bot", t->bot, "chat", "conversations", 1);
}

static void thread_ended(struct report_fold *f, const struct event *e, struct rthread *t)
{
    int64_t ms = business_ms(f->o.hours, t->opened, e->time);
    const char *q = t->queue ? t->queue : "";
    fold_emit(f, t->bucket, "chat", q, "chat", "resolved", 1);
    fold_emit(f, t->bucket, "chat", q, "chat", "resolutionMs", ms);
    fold_emit(f, t->bucket, "chat", q, "chat", "maxResolutionMs", ms);
    if (t->bot && !t->handed)
        fold_emit(f, t->bucket, "bot", t->bot, "chat", "contained", 1);
    rmap_del(f->threads, t->id);
    thread_destroy(t);
}

static void first_response(struct report_fold *f, const struct event *e, struct rthread *t)
{
    const char *kind = ev_str(e, "senderKind");
    if (t->responded || !t->handed || !kind || strcmp(kind, "agent") != 0)
        return;
    t->responded = true;
    int64_t ms = business_ms(f->o.hours, t->handed, e->time);
    const char *q = t->queue ? t->queue : "";
    fold_emit(f, t->bucket, "chat", q, "chat", "responded", 1);
    fold_emit(f, t->bucket, "chat", q, "chat", "firstResponseMs", ms);
    fold_emit(f, t->bucket, "chat", q, "chat", "maxFirstResponseMs", ms);
}

static void bot_event(struct report_fold *f, const struct event *e, struct rthread *t)
{
    if (!t->bot)
        return;
    int64_t b = report_bucket(e->time);
    if (strcmp(e->type, "botFallback") == 0) {
        fold_emit(f, b, "bot", t->bot, "chat", "fallbacks", 1);
        return;
    }
    const char *intent = ev_str(e, "intent");
    char fig[96];
    if (intent && *intent && strlen(intent) < 64) {
        snprintf(fig, sizeof(fig), "intent.%s", intent);
        fold_emit(f, b, "bot", t->bot, "chat", fig, 1);
    }
}

void fold_chat(struct report_fold *f, const struct event *e)
{
    if (!e->subject)
        return;
    if (strcmp(e->type, "threadOpened") == 0) {
        thread_opened(f, e);
        return;
    }
    struct rthread *t = rmap_get(f->threads, e->subject);
    if (!t)
        return;
    const char *type = e->type;
    if (strcmp(type, "messageCreated") == 0) {
        first_response(f, e, t);
    } else if (strcmp(type, "handedOff") == 0) {
        if (!t->handed && t->bot)
            fold_emit(f, report_bucket(e->time), "bot", t->bot, "chat", "handedOff", 1);
        if (!t->handed)
            t->handed = e->time;
        fold_set(&t->queue, ev_str(e, "queue"));
    } else if (strcmp(type, "agentJoined") == 0) {
        fold_set(&t->worker, ev_str(e, "workerId"));
    } else if (strcmp(type, "botIntent") == 0 || strcmp(type, "botFallback") == 0) {
        bot_event(f, e, t);
    } else if (strcmp(type, "threadEnded") == 0 || strcmp(type, "messageLeft") == 0) {
        thread_ended(f, e, t);
    }
}

/* ---- surveys ---- */

static void emit_scores(struct report_fold *f, int64_t b, const char *scope, const char *id,
                        const char *chan, int score)
{
    char fig[16];
    snprintf(fig, sizeof(fig), "score.%d", score);
    fold_emit(f, b, scope, id, chan, "responses", 1);
    fold_emit(f, b, scope, id, chan, "scoreSum", score);
    fold_emit(f, b, scope, id, chan, fig, 1);
}

void fold_survey(struct report_fold *f, const struct event *e)
{
    json_int_t score = json_integer_value(json_object_get(e->data, "score"));
    const char *chan = ev_str(e, "channel");
    if (score < 1 || score > 5 || !chan)
        return;
    chan = strcmp(chan, "voice") == 0 ? "voice" : "chat";
    const char *queue = ev_str(e, "queueId"), *worker = ev_str(e, "workerId");
    if (!worker)
        worker = report_fold_worker_of(f, ev_str(e, "userId"));
    int64_t b = report_bucket(e->time);
    emit_scores(f, b, "satisfaction", queue ? queue : "", chan, (int)score);
    if (worker)
        emit_scores(f, b, "agentSatisfaction", worker, chan, (int)score);
}

bool report_fold_contact(const struct report_fold *f, const char *subject, const char **queue,
                         const char **worker)
{
    const struct rcall *c = rmap_get(f->calls, subject);
    if (c && c->queue) {
        *queue = c->queue;
        *worker = c->worker;
        return true;
    }
    const struct rthread *t = rmap_get(f->threads, subject);
    if (t && t->queue) {
        *queue = t->queue;
        *worker = t->worker;
        return true;
    }
    return false;
}

void fold_contacts_free(struct report_fold *f)
{
    size_t pos = 0;
    const char *key;
    void *v;
    while (f->calls && rmap_next(f->calls, &pos, &key, &v))
        call_destroy(v);
    pos = 0;
    while (f->threads && rmap_next(f->threads, &pos, &key, &v))
        thread_destroy(v);
}
