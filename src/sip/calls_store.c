/*
 * calls_store.c - calls' records in the store (the calls table and the
 * "calls" events): a call starting, its digits, its end, its legs' media
 * figures.
 *
 * They are group-committed (store_later): each waits at most WAIT_MS, or
 * until anything else uses the store, and then goes in one transaction
 * with the others waiting. A call wrote four or five transactions of its
 * own; under load the writes of several calls now share one, and readers
 * (the API, other modules' writes) still see them first. Each write
 * carries its values: the call itself may be gone when it runs.
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/log.h"
#include "media/media.h"
#include "sip/call.h"
#include "sip/sip_internal.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WAIT_MS = 10 };

static void on_wait(void *arg)
{
    struct sipsvc *s = arg;
    store_flush(s->app->store);
}

/* What every write carries first: its call, and what to log if it fails. */
struct head {
    char id[ID_SIZE];
    const char *failure;
};

static void done(void *arg, int err)
{
    struct head *h = arg;
    if (err)
        log_error("sip", h->failure, "call=%s err=%d", h->id, err);
    mem_deref(h);
}

/* arg: a mem object starting with a struct head. */
static void write_later(struct sipsvc *s, store_write_h *write, void *arg)
{
    store_later(s->app->store, write, done, arg);
    if (store_waiting(s->app->store) && !tmr_isrunning(&s->records_tmr))
        tmr_start(&s->records_tmr, WAIT_MS, on_wait, s);
}

void records_flush(struct sipsvc *s)
{
    tmr_cancel(&s->records_tmr);
    store_flush(s->app->store);
}

/* ---- a call starts: its row and callRinging or callAnswered ---- */

struct start {
    struct head h;
    struct events *events;
    char user[ID_SIZE];
    char from[256], to[256], callid[128], target[64];
    char *trunk;
    const char *direction, *app;
    bool ring;
    int64_t at;
};

static void start_destructor(void *arg)
{
    struct start *r = arg;
    mem_deref(r->trunk);
}

static int start_write(struct store *store, void *arg)
{
    const struct start *r = arg;
    const char *user = r->user[0] ? r->user : NULL;
    struct store_val v[] = {sv_text(r->h.id),
                            sv_text(r->direction),
                            sv_text(r->from),
                            sv_text(r->to),
                            sv_text(user),
                            sv_text(r->target),
                            sv_text(r->app),
                            sv_text(r->callid),
                            sv_text(r->ring ? "ringing" : "answered"),
                            sv_int(r->at),
                            r->ring ? sv_text(NULL) : sv_int(r->at),
                            sv_text(r->trunk)};
    int err = store_exec(store,
                         "INSERT INTO calls (id, direction, from_uri, to_uri, caller_user_id,"
                         " target, application, sip_call_id, state, started_at, answered_at,"
                         " trunk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         v, 12, NULL);
    if (err)
        return err;
    json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:s}", "userId", r->user, "from", r->from,
                             "target", r->target, "application", r->app, "direction", r->direction);
    if (r->trunk)
        json_object_set_new(data, "trunk", json_string(r->trunk));
    return events_append(r->events, "calls", r->ring ? "callRinging" : "callAnswered", r->h.id,
                         user, data);
}

int call_record_insert(struct call *c, const char *from, const char *to, const char *sip_call_id,
                       const char *target, bool ringing)
{
    struct start *r = mem_zalloc(sizeof(*r), start_destructor);
    if (!r)
        return ENOMEM;
    const char *trunk = json_string_value(json_object_get(c->trunk, "name"));
    if (trunk && str_dup(&r->trunk, trunk) != 0) {
        mem_deref(r);
        return ENOMEM;
    }
    r->events = c->s->app->events;
    snprintf(r->h.id, sizeof(r->h.id), "%s", c->id);
    r->h.failure = "call record not stored";
    snprintf(r->user, sizeof(r->user), "%s", c->user_id);
    snprintf(r->from, sizeof(r->from), "%s", from);
    snprintf(r->to, sizeof(r->to), "%s", to);
    snprintf(r->callid, sizeof(r->callid), "%s", sip_call_id ? sip_call_id : "");
    snprintf(r->target, sizeof(r->target), "%s", target);
    r->direction = c->direction;
    r->app = app_name(c->app);
    r->ring = ringing;
    r->at = clock_now_ms();
    /* Inside the caller's transaction: now, its outcome the caller's. */
    if (store_in_transaction(c->s->app->store)) {
        int err = start_write(c->s->app->store, r);
        mem_deref(r);
        return err;
    }
    write_later(c->s, start_write, r);
    return 0;
}

int record_start(struct call *c, const struct sip_msg *msg, const char *target, bool ring)
{
    char from[256] = "", to[256] = "", callid[128] = "";
    pl_strcpy(&msg->from.auri, from, sizeof(from));
    pl_strcpy(&msg->to.auri, to, sizeof(to));
    pl_strcpy(&msg->callid, callid, sizeof(callid));
    return call_record_insert(c, from, to, callid, target, ring);
}

/* ---- digits collected, and a call's end ---- */

struct note {
    struct head h;
    struct events *events;
    char user[ID_SIZE];
    char what[40]; /* the digits; or who ended the call */
    char why[128];
    int64_t at;
};

static void note_later(struct call *c, store_write_h *write, const char *failure, const char *what,
                       const char *why)
{
    struct note *n = mem_zalloc(sizeof(*n), NULL);
    if (!n) {
        log_error("sip", failure, "call=%s err=%d", c->id, ENOMEM);
        return;
    }
    n->events = c->s->app->events;
    snprintf(n->h.id, sizeof(n->h.id), "%s", c->id);
    n->h.failure = failure;
    snprintf(n->user, sizeof(n->user), "%s", c->user_id);
    snprintf(n->what, sizeof(n->what), "%s", what);
    snprintf(n->why, sizeof(n->why), "%s", why);
    n->at = clock_now_ms();
    write_later(c->s, write, n);
}

static int digits_write(struct store *store, void *arg)
{
    (void)store;
    const struct note *n = arg;
    return events_append(
        n->events, "calls", "callDigits", n->h.id, n->user,
        json_pack("{s:s, s:s, s:s}", "userId", n->user, "digits", n->what, "reason", n->why));
}

void record_digits(struct call *c, const char *reason)
{
    note_later(c, digits_write, "digits not stored", c->digits, reason);
}

static int end_write(struct store *store, void *arg)
{
    const struct note *n = arg;
    struct store_val v[] = {sv_int(n->at), sv_text(n->what), sv_text(n->why), sv_text(n->h.id)};
    int err = store_exec(store,
                         "UPDATE calls SET state = 'ended', ended_at = ?, ended_by = ?,"
                         " end_reason = ? WHERE id = ?",
                         v, 4, NULL);
    if (!err)
        err = events_append(
            n->events, "calls", "callEnded", n->h.id, NULL,
            json_pack("{s:s, s:s, s:s}", "userId", n->user, "endedBy", n->what, "reason", n->why));
    return err;
}

void record_end(struct call *c, const char *by, const char *reason)
{
    if (c->unrecorded)
        return;
    note_later(c, end_write, "call record not updated", by, reason);
}

/* ---- a leg's media figures, added to its call's ---- */

struct legfig {
    struct head h;
    json_t *fig;
};

static void legfig_destructor(void *arg)
{
    struct legfig *l = arg;
    json_decref(l->fig);
}

static int legfig_write(struct store *store, void *arg)
{
    const struct legfig *l = arg;
    json_t *row = NULL, *legs = NULL;
    struct store_val k[] = {sv_text(l->h.id)};
    int err = store_query_one(store, "SELECT legs FROM calls WHERE id = ?", k, 1, &row);
    if (err)
        return err == ENOENT ? 0 : err; /* no record (not stored): nothing to add to */
    legs = json_loads(json_string_value(json_object_get(row, "legs")), 0, NULL);
    json_decref(row);
    if (!json_is_array(legs)) {
        json_decref(legs);
        legs = json_array();
    }
    json_array_append(legs, l->fig);
    char *text = json_dumps(legs, JSON_COMPACT);
    json_decref(legs);
    struct store_val v[] = {sv_text(text), sv_text(l->h.id)};
    err = text ? store_exec(store, "UPDATE calls SET legs = ? WHERE id = ?", v, 2, NULL) : ENOMEM;
    free(text);
    return err;
}

void record_leg(struct sipsvc *s, const struct media_event *ev)
{
    char key[16];
    snprintf(key, sizeof(key), "%u", ev->leg);
    const char *call_id = json_string_value(json_object_get(s->leg_calls, key));
    if (!call_id)
        return;
    struct legfig *l = mem_zalloc(sizeof(*l), legfig_destructor);
    if (l) {
        snprintf(l->h.id, sizeof(l->h.id), "%s", call_id);
        l->h.failure = "leg figures not stored";
        l->fig =
            json_pack("{s:i, s:s, s:I, s:I, s:I, s:f, s:f}", "leg", (int)ev->leg, "codec",
                      ev->stats.codec, "rxPackets", (json_int_t)ev->stats.rx_packets, "txPackets",
                      (json_int_t)ev->stats.tx_packets, "lost", (json_int_t)ev->stats.rx_lost,
                      "jitterMs", ev->stats.jitter_ms, "rttMs", ev->stats.rtt_ms);
    }
    if (l && l->fig)
        write_later(s, legfig_write, l);
    else {
        log_error("sip", "leg figures not stored", "call=%s err=%d", call_id, ENOMEM);
        mem_deref(l);
    }
    json_object_del(s->leg_calls, key);
}
