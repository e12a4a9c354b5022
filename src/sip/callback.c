/*
 * callback.c - callbacks after the caller hung up (docs/voice.md,
 * Callbacks). The callback's router job waits in line, labelled callback,
 * at the caller's original place. When the router offers it, an attempt
 * begins: a call of our own (APP_CALLBACK) rings the agent's phones first
 * ("Callback" and the number as the caller ID); the agent answering
 * accepts the offer, hears ringback, and the number is dialled out
 * through the trunk whose allow-list has it; when it answers the two are
 * bridged. A number that does not answer (busy, refused, ringSeconds
 * gone) is tried again: the job is unassigned and suspended, and resumed
 * retrySeconds later at its place in line (for whichever agent is free
 * then); after `retries` more attempts the callback fails. An agent
 * hanging up before the number answers puts it back in line at once,
 * without counting an attempt.
 *
 * Every step is stored (table callbacks) with its event on the calls
 * topic; after a restart the callbacks still waiting are taken up again
 * (their jobs are durable), and an attempt the restart cut short counts
 * as one that failed.
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/log.h"
#include "core/principal.h"
#include "core/settings.h"
#include "media/media.h"
#include "router/router.h"
#include "routing/service.h"
#include "sip/call.h"
#include "sip/sip.h"
#include "sip/sip_internal.h"
#include "sip/trunks.h"
#include "sip/voice_kinds.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A callback still to be made (waiting, or an attempt going on). */
struct callback {
    struct le le; /* in sipsvc.callbacks */
    struct sipsvc *s;
    char id[ID_SIZE];
    char job_id[ID_SIZE];
    char call_queue[72];
    char queue_id[72]; /* its router queue, by which reports count */
    char number[CALLBACK_NUMBER_SIZE];
    char from[160]; /* the From of the agent's ringing: the number, as us */
    unsigned attempts;
    int64_t next_at;      /* resume the job then (ms); 0: not waiting for a retry */
    int64_t enqueued_at;  /* the place in line */
    struct call *attempt; /* the attempt going on (not a reference) */
    bool connected;       /* the attempt reached the number */
};

static void callback_destructor(void *arg)
{
    struct callback *cb = arg;
    list_unlink(&cb->le);
}

static struct callback *find(struct sipsvc *s, bool by_job, const char *value)
{
    for (struct le *le = value ? s->callbacks.head : NULL; le; le = le->next) {
        struct callback *cb = le->data;
        if (strcmp(by_job ? cb->job_id : cb->id, value) == 0)
            return cb;
    }
    return NULL;
}

/* Done with it: out of the list (an attempt still holding it keeps it). */
static void drop(struct callback *cb)
{
    list_unlink(&cb->le);
    mem_deref(cb);
}

/* The row's new state and its event, inside the caller's transaction.
 * data is stolen; callbackId, number, callQueue and queueId are added. */
static int store_state(struct callback *cb, const char *state, const char *reason, const char *type,
                       json_t *data)
{
    struct app *app = cb->s->app;
    struct store_val v[] = {
        sv_text(state),  sv_int(cb->attempts),   cb->next_at ? sv_int(cb->next_at) : sv_text(NULL),
        sv_text(reason), sv_int(clock_now_ms()), sv_text(cb->id)};
    int err = store_exec(app->store,
                         "UPDATE callbacks SET state = ?, attempts = ?, next_attempt_at = ?,"
                         " reason = COALESCE(?, reason), updated_at = ? WHERE id = ?",
                         v, 6, NULL);
    if (!data)
        data = json_object();
    json_object_set_new(data, "callbackId", json_string(cb->id));
    json_object_set_new(data, "number", json_string(cb->number));
    json_object_set_new(data, "callQueue", json_string(cb->call_queue));
    json_object_set_new(data, "queueId", json_string(cb->queue_id));
    json_object_set_new(data, "jobId", json_string(cb->job_id));
    json_object_set_new(data, "attempts", json_integer(cb->attempts));
    if (reason)
        json_object_set_new(data, "reason", json_string(reason));
    if (!err)
        err = events_append(app->events, "calls", type, cb->id, NULL, data);
    else
        json_decref(data);
    return err;
}

static struct callback *load(struct sipsvc *s, const json_t *row)
{
    struct callback *cb = mem_zalloc(sizeof(*cb), callback_destructor);
    if (!cb)
        return NULL;
    cb->s = s;
    snprintf(cb->id, sizeof(cb->id), "%s", json_string_value(json_object_get(row, "id")));
    snprintf(cb->job_id, sizeof(cb->job_id), "%s",
             json_string_value(json_object_get(row, "job_id")));
    snprintf(cb->call_queue, sizeof(cb->call_queue), "%s",
             json_string_value(json_object_get(row, "call_queue")));
    snprintf(cb->queue_id, sizeof(cb->queue_id), "%s",
             json_string_value(json_object_get(row, "queue_id")));
    snprintf(cb->number, sizeof(cb->number), "%s",
             json_string_value(json_object_get(row, "number")));
    snprintf(cb->from, sizeof(cb->from), "sip:%s@%s", cb->number, s->host);
    cb->attempts = (unsigned)json_integer_value(json_object_get(row, "attempts"));
    cb->next_at = json_integer_value(json_object_get(row, "next_attempt_at"));
    cb->enqueued_at = json_integer_value(json_object_get(row, "enqueued_at"));
    list_append(&s->callbacks, &cb->le, cb);
    return cb;
}

static const char row_sql[] =
    "SELECT id, job_id, call_queue, queue_id, number, attempts, next_attempt_at, enqueued_at,"
    " state"
    " FROM callbacks";

/* The job's state in the router ("" when it holds no such job). */
static void job_state(struct sipsvc *s, const char *job_id, char *out, size_t size)
{
    json_t *job = router_job_get(routing_engine(s->app), job_id, clock_now_ms());
    snprintf(out, size, "%s", job ? json_string_value(json_object_get(job, "state")) : "");
    json_decref(job);
}

/* ---- after an attempt ---- */

static json_t *call_queue(struct sipsvc *s, const struct callback *cb)
{
    return voice_get(s->app, "callQueues", cb->call_queue);
}

/* How an attempt ended without a conversation. */
enum miss {
    MISS_NUMBER,   /* the number did not answer: counted, tried again later */
    MISS_AGENT,    /* the agent hung up first: back in line now, not counted */
    MISS_STOPPING, /* the server stops: back in line when it starts again */
};

/* An attempt without a conversation: try again later, back in line now,
 * or give up once the attempts are spent. */
static void attempt_failed(struct callback *cb, enum miss miss, const char *why)
{
    bool counted = miss == MISS_NUMBER;
    struct sipsvc *s = cb->s;
    struct app *app = s->app;
    struct router *r = routing_engine(app);
    json_t *q = call_queue(s, cb);
    json_int_t retries = callback_setting(q, "retries");
    json_int_t retry_s = callback_setting(q, "retrySeconds");
    json_decref(q);
    int64_t now = clock_now_ms();
    bool spent = counted && cb->attempts >= 1 + (unsigned)retries;
    if (!counted && cb->attempts)
        cb->attempts--;
    char state[32];
    job_state(s, cb->job_id, state, sizeof(state));
    bool assigned = strcmp(state, "assigned") == 0;
    mem_ref(cb); /* held through the router's events */
    if (spent)
        drop(cb); /* first: the job's jobCancelled then finds no callback to cancel */
    int err = routing_begin(app);
    if (!err && spent) {
        err = router_job_cancel(r, cb->job_id, "callbackFailed", now);
        if (err == EALREADY || err == ENOENT)
            err = 0;
        cb->next_at = 0;
        if (!err)
            err = store_state(cb, "failed", why, "callbackFailed", NULL);
    } else if (!err) {
        /* Suspended until it is tried again (a stopping server's at its
         * next start), so no agent is offered it meanwhile. */
        if (assigned)
            err = router_job_unassign(r, cb->job_id, miss != MISS_AGENT, 0, now);
        cb->next_at = miss == MISS_NUMBER ? now + retry_s * 1000 : miss == MISS_STOPPING ? now : 0;
        json_t *data = json_pack("{s:b}", "counted", counted);
        if (cb->next_at)
            json_object_set_new(data, "nextAttemptAt", clock_time_json(cb->next_at));
        if (!err)
            err = store_state(cb, "waiting", why, "callbackAttemptFailed", data);
        else
            json_decref(data);
    }
    err = routing_end(app, err);
    log_info("sip", spent ? "callback failed" : "callback to be tried again",
             "callback=%s attempts=%u why=\"%s\" err=%d", cb->id, cb->attempts, why, err);
    if (!spent && err)
        drop(cb); /* taken up again after a restart */
    mem_deref(cb);
}

/* The conversation took place: the job is done. */
static void completed(struct callback *cb)
{
    struct app *app = cb->s->app;
    int err = routing_begin(app);
    if (!err)
        err = router_job_close(routing_engine(app), cb->job_id, "completed", 0, clock_now_ms());
    err = routing_end(app, err == EALREADY || err == ENOENT ? 0 : err);
    if (err)
        log_error("sip", "callback job not closed", "callback=%s err=%d", cb->id, err);
    drop(cb);
}

void callback_call_ended(struct call *c, const char *by, const char *reason)
{
    struct callback *cb = c->cb;
    if (!cb || cb->attempt != c)
        return;
    cb->attempt = NULL;
    c->job_id[0] = '\0';
    if (!c->answered)
        return; /* no agent took it: the offer ends in the router */
    if (cb->connected) {
        completed(cb);
        return;
    }
    /* The agent hanging up, or the server stopping, is not the number's
     * failing to answer. */
    if (strcmp(reason, "server stopping") == 0)
        attempt_failed(cb, MISS_STOPPING, reason);
    else if (strcmp(by, "caller") == 0)
        attempt_failed(cb, MISS_AGENT, "the agent hung up");
    else
        attempt_failed(cb, MISS_NUMBER, reason);
}

/* ---- an attempt ---- */

const char *callback_from(const struct call *c)
{
    return c->cb ? c->cb->from : "sip:callback@invalid";
}

/* A call of our own for an offer of the callback's job: the queue's
 * offer handling rings the agent's phones with it. */
static struct call *attempt_new(struct sipsvc *s, struct callback *cb)
{
    struct call *c = call_alloc(s);
    if (!c)
        return NULL;
    c->app = APP_CALLBACK;
    c->direction = "outbound";
    c->unrecorded = true; /* a call record once the agent answers */
    c->target = json_pack("{s:s, s:s}", "kind", "callQueue", "callQueue", cb->call_queue);
    c->queue = call_queue(s, cb);
    c->queued_at = cb->enqueued_at;
    snprintf(c->job_id, sizeof(c->job_id), "%s", cb->job_id);
    snprintf(c->host, sizeof(c->host), "%s", s->host);
    snprintf(c->from_name, sizeof(c->from_name), "Callback");
    c->cb = mem_ref(cb);
    cb->attempt = c;
    return c;
}

void callback_idle(struct call *c)
{
    if (c->cb && c->cb->attempt == c)
        c->cb->attempt = NULL;
    c->job_id[0] = '\0';
    call_discard(c);
}

/* The attempt's call record, the callback's row (calling, its agent, its
 * calls) and callbackStarted, in one transaction. */
static int attempt_stored(struct call *c, struct party *agent)
{
    struct callback *cb = c->cb;
    struct store *st = c->s->app->store;
    json_t *calls = NULL, *row = NULL;
    struct store_val k[] = {sv_text(cb->id)};
    if (store_query_one(st, "SELECT calls FROM callbacks WHERE id = ?", k, 1, &row) == 0)
        calls = json_loads(json_string_value(json_object_get(row, "calls")), 0, NULL);
    json_decref(row);
    if (!json_is_array(calls)) {
        json_decref(calls);
        calls = json_array();
    }
    json_array_append_new(calls, json_string(c->id));
    char *text = json_dumps(calls, JSON_COMPACT);
    json_decref(calls);
    struct store_val v[] = {sv_text(agent->user_id), sv_text(text), sv_text(cb->id)};
    bool own;
    int err = text ? store_begin_own(st, &own) : ENOMEM;
    if (!err)
        err = call_record_insert(c, agent->contact, cb->number,
                                 sip_dialog_callid(sipsess_dialog(agent->sess)), cb->number, true);
    if (!err)
        err = store_exec(st, "UPDATE callbacks SET agent_user_id = ?, calls = ? WHERE id = ?", v, 3,
                         NULL);
    if (!err)
        err = store_state(cb, "calling", NULL, "callbackStarted",
                          json_pack("{s:s, s:s, s:i}", "callId", c->id, "userId", agent->user_id,
                                    "attempt", (int)cb->attempts));
    if (text)
        err = store_end_own(st, own, err);
    free(text);
    return err;
}

/* The agent answered: the offer is accepted, the call recorded, the
 * number dialled out (through the trunk whose allow-list has it, checked
 * again: trunks change) while the agent hears ringback. */
static int agent_answered(struct party *p, const struct sip_msg *msg)
{
    struct call *c = p->c;
    struct callback *cb = c->cb;
    if (queue_agent_answered(c) != 0)
        return EPROTO;      /* the offer is gone: this agent is hung up */
    c->callee_id[0] = '\0'; /* the number we ring next is nobody of ours */
    c->limit_at = tmr_jiffies() + (uint64_t)settings_int(c->s->app, "sip.maxCallSeconds") * 1000;
    int err = media_leg_answered(c->s->media, c->leg_b, (const char *)mbuf_buf(msg->mb),
                                 mbuf_get_left(msg->mb));
    ring_won(c, p);
    c->a = p;
    call_set_leg(c, c->leg_b);
    c->leg_b = 0;
    c->answered = true;
    c->unrecorded = false;
    snprintf(c->user_id, sizeof(c->user_id), "%s", p->user_id);
    cb->attempts++;
    cb->next_at = 0;
    cb->connected = false;
    json_t *trunk = NULL;
    if (!err)
        err = trunk_route_out(c->s->app, cb->number, ROLE_AGENT, &trunk);
    if (!err && call_trunk_full(c->s, trunk))
        err = EBUSY;
    if (!err)
        call_set_trunk(c, json_incref(trunk));
    json_decref(trunk);
    if (attempt_stored(c, p) != 0)
        log_error("sip", "callback attempt not stored", "callback=%s", cb->id);
    log_info("sip", "callback dialling", "callback=%s call=%s agent=%s attempt=%u", cb->id, c->id,
             p->user_id, cb->attempts);
    if (!err) {
        media_tone(c->s->media, c->leg, "ringback", 0);
        err = call_ring(c, cb->from, cb->number);
    }
    if (!err) {
        json_t *q = call_queue(c->s, cb);
        c->ring_until = tmr_jiffies() + (uint64_t)callback_setting(q, "ringSeconds") * 1000;
        json_decref(q);
    } else {
        log_warn("sip", "callback not dialled", "callback=%s err=%d", cb->id, err);
        call_end_soon(c, "system", err == EBUSY ? "the trunk's call limit" : "not dialled");
    }
    return 0;
}

/* The number answered: bridged with the agent. */
static int number_answered(struct party *p, const struct sip_msg *msg)
{
    struct call *c = p->c;
    struct callback *cb = c->cb;
    int err = media_leg_answered(c->s->media, c->leg_b, (const char *)mbuf_buf(msg->mb),
                                 mbuf_get_left(msg->mb));
    if (!err)
        err = media_bridge(c->s->media, c->leg, c->leg_b);
    if (err) {
        log_error("sip", "callback not bridged", "call=%s err=%d", c->id, err);
        return err;
    }
    ring_won(c, p);
    c->b = p;
    cb->connected = true;
    struct store_val v[] = {sv_int(clock_now_ms()), sv_text(c->id)};
    bool own;
    int serr = store_begin_own(c->s->app->store, &own);
    if (!serr)
        serr = store_exec(c->s->app->store,
                          "UPDATE calls SET state = 'answered', answered_at = ? WHERE id = ?", v, 2,
                          NULL);
    if (!serr)
        serr = store_state(cb, "connected", NULL, "callbackConnected",
                           json_pack("{s:s, s:s}", "callId", c->id, "userId", c->user_id));
    serr = store_end_own(c->s->app->store, own, serr);
    if (serr)
        log_error("sip", "callback state not stored", "callback=%s err=%d", cb->id, serr);
    log_info("sip", "callback connected", "callback=%s call=%s", cb->id, c->id);
    queue_connected(c); /* a queue that records every call */
    return 0;
}

int callback_answered(struct party *p, const struct sip_msg *msg)
{
    struct call *c = p->c;
    if (!c->cb)
        return EPROTO;
    return c->answered ? number_answered(p, msg) : agent_answered(p, msg);
}

/* ---- the router's side ---- */

struct call *callback_router_event(struct sipsvc *s, const char *type, const json_t *data)
{
    struct callback *cb = find(s, true, json_string_value(json_object_get(data, "jobId")));
    if (!cb)
        return NULL;
    if (strcmp(type, "jobCancelled") == 0) {
        /* An exception rule or the API: no more attempts. */
        struct call *c = cb->attempt;
        cb->attempt = NULL;
        if (c && !c->answered)
            callback_idle(c);
        else if (c)
            call_end_soon(c, "system", "callback cancelled");
        const char *why = json_string_value(json_object_get(data, "dispositionCode"));
        cb->next_at = 0;
        if (store_state(cb, "cancelled", why ? why : "job cancelled", "callbackCancelled", NULL))
            log_error("sip", "callback state not stored", "callback=%s", cb->id);
        drop(cb);
        return NULL;
    }
    if (strcmp(type, "offerIssued") == 0 && !cb->attempt)
        return attempt_new(s, cb);
    return cb->attempt;
}

void callback_served(struct call *c)
{
    const char *id = callback_offer_requested(c);
    if (!id)
        return;
    struct store_val v[] = {sv_int(clock_now_ms()), sv_text(id)};
    bool own;
    int err = store_begin_own(c->s->app->store, &own);
    if (!err)
        err = store_exec(c->s->app->store,
                         "UPDATE callbacks SET state = 'connected', updated_at = ?,"
                         " reason = 'answered before the caller hung up' WHERE id = ?",
                         v, 2, NULL);
    if (!err)
        err = events_append(c->s->app->events, "calls", "callbackConnected", id, NULL,
                            json_pack("{s:s, s:s, s:s, s:b, s:O}", "callbackId", id, "callId",
                                      c->id, "userId", c->callee_id, "whileWaiting", 1, "queueId",
                                      json_object_get(c->queue, "queue")));
    err = store_end_own(c->s->app->store, own, err);
    if (err)
        log_error("sip", "callback state not stored", "callback=%s err=%d", id, err);
    callback_offer_forget(c);
}

/* ---- time, start and stop ---- */

void callbacks_tick(struct sipsvc *s, int64_t now)
{
    struct le *le = s->callbacks.head;
    while (le) {
        struct callback *cb = le->data;
        le = le->next;
        if (!cb->next_at || now < cb->next_at)
            continue;
        cb->next_at = 0;
        struct app *app = s->app;
        int err = routing_begin(app);
        if (!err)
            err = router_job_resume(routing_engine(app), cb->job_id, now);
        if (err == EALREADY)
            err = 0; /* queued already */
        if (!err)
            err = store_state(cb, "waiting", NULL, "callbackRequeued", NULL);
        err = routing_end(app, err);
        log_info("sip", "callback back in line", "callback=%s err=%d", cb->id, err);
        if (err)
            drop(cb); /* its job is gone */
    }
}

/* After a restart: the callbacks not finished, as their jobs say. */
static void take_up(struct sipsvc *s, const json_t *row)
{
    const char *state = json_string_value(json_object_get(row, "state"));
    struct callback *cb = load(s, row);
    if (!cb)
        return;
    char job[32];
    job_state(s, cb->job_id, job, sizeof(job));
    log_info("sip", "callback taken up", "callback=%s state=%s job=%s", cb->id, state,
             job[0] ? job : "gone");
    if (!job[0] || !strcmp(job, "cancelled") || !strcmp(job, "closed") ||
        !strcmp(job, "completed")) {
        bool done = strcmp(state, "connected") == 0;
        cb->next_at = 0;
        if (!done && store_state(cb, "cancelled", "its job is gone", "callbackCancelled", NULL))
            log_error("sip", "callback state not stored", "callback=%s", cb->id);
        drop(cb);
    } else if (strcmp(state, "connected") == 0) {
        completed(cb); /* the conversation was cut by the restart */
    } else if (strcmp(state, "calling") == 0 || strcmp(job, "assigned") == 0) {
        attempt_failed(cb, MISS_NUMBER, "server restarted");
    } else if (strcmp(job, "suspended") == 0 && !cb->next_at) {
        cb->next_at = clock_now_ms(); /* resumed by the next tick */
    }
}

int callback_adopt(struct sipsvc *s, const char *id)
{
    json_t *row = NULL;
    char sql[sizeof(row_sql) + 32];
    snprintf(sql, sizeof(sql), "%s WHERE id = ?", row_sql);
    struct store_val v[] = {sv_text(id)};
    int err = store_query_one(s->app->store, sql, v, 1, &row);
    if (!err)
        take_up(s, row); /* as after a restart: its job says where it is */
    json_decref(row);
    return err;
}

int callbacks_start(struct sipsvc *s)
{
    list_init(&s->callbacks);
    if (!routing_engine(s->app))
        return 0;
    json_t *rows = NULL;
    char sql[sizeof(row_sql) + 64];
    snprintf(sql, sizeof(sql), "%s WHERE state IN ('waiting', 'calling', 'connected')", row_sql);
    int err = store_query_json(s->app->store, sql, NULL, 0, &rows);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        take_up(s, row);
    }
    json_decref(rows);
    return err;
}

void callbacks_stop(struct sipsvc *s)
{
    list_flush(&s->callbacks);
}

bool callback_job(struct sipsvc *s, const char *job_id)
{
    return find(s, true, job_id) != NULL;
}

/* ---- the API's side ---- */

int sipsvc_callback_cancel(struct app *app, const char *id, const char *by)
{
    struct sipsvc *s = app->sip;
    struct callback *cb = s ? find(s, false, id) : NULL;
    if (!cb) {
        json_t *row = NULL;
        struct store_val v[] = {sv_text(id)};
        int err =
            store_query_one(app->store, "SELECT state FROM callbacks WHERE id = ?", v, 1, &row);
        const char *st = json_string_value(json_object_get(row, "state"));
        /* waiting but not ours yet: its caller is still hearing goodbye */
        bool over = !err && st &&
                    (!strcmp(st, "failed") || !strcmp(st, "cancelled") || !strcmp(st, "connected"));
        json_decref(row);
        return err ? err : over ? EALREADY : EBUSY;
    }
    if (cb->attempt && cb->attempt->answered)
        return EBUSY; /* the number is being called */
    if (cb->attempt)
        callback_idle(cb->attempt); /* an agent's phone was ringing */
    char reason[160];
    snprintf(reason, sizeof(reason), "cancelled by %s", by);
    cb->next_at = 0;
    int err = routing_begin(app);
    if (!err)
        err = store_state(cb, "cancelled", reason, "callbackCancelled", NULL);
    /* The job after the row: its jobCancelled event finds nothing to do. */
    struct callback *keep = mem_ref(cb);
    drop(cb);
    if (!err) {
        err = router_job_cancel(routing_engine(app), keep->job_id, "callbackCancelled",
                                clock_now_ms());
        if (err == EALREADY || err == ENOENT)
            err = 0;
    }
    err = routing_end(app, err);
    if (err) /* nothing changed: keep it */
        list_append(&s->callbacks, &keep->le, mem_ref(keep));
    mem_deref(keep);
    return err;
}
