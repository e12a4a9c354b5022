/*
 * calls.c - calls into Switchboard (a back-to-back user agent: every call
 * ends here and its media runs through the media engine): the INVITE that
 * starts one (routed by route.c, answered with our SDP by an application
 * or after ringing a far end), its limit of sip.maxCallSeconds, its end,
 * and its record in the calls table with the legs' media figures and who
 * hung up. The sessions' handlers are party.c's.
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/log.h"
#include "core/settings.h"
#include "media/media.h"
#include "core/principal.h"
#include "sip/call.h"
#include "sip/dialplan.h"
#include "sip/trunks.h"
#include "voice/moh.h"
#include "sip/sip_internal.h"
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Calls that ring a far end before they are answered. */
static bool rings(const struct call *c)
{
    return c->app == APP_EXTENSION || c->app == APP_OUTBOUND;
}

static unsigned trunk_calls(struct sipsvc *s, const char *name)
{
    return (unsigned)json_integer_value(json_object_get(s->trunk_load, name));
}

bool call_trunk_full(struct sipsvc *s, const json_t *trunk)
{
    const char *name = json_string_value(json_object_get(trunk, "name"));
    json_int_t max = json_integer_value(json_object_get(trunk, "maxCalls"));
    return name && max > 0 && trunk_calls(s, name) >= (unsigned)max;
}

static void trunk_count(struct call *c, int delta)
{
    const char *t = json_string_value(json_object_get(c->trunk, "name"));
    if (!t || c->ended)
        return;
    json_int_t n = json_integer_value(json_object_get(c->s->trunk_load, t)) + delta;
    json_object_set_new(c->s->trunk_load, t, json_integer(n > 0 ? n : 0));
}

void call_set_trunk(struct call *c, json_t *trunk)
{
    trunk_count(c, -1);
    json_decref(c->trunk);
    c->trunk = trunk;
    trunk_count(c, +1);
}

static bool leg_match(struct le *le, void *arg)
{
    return ((struct call *)le->data)->leg == *(const uint32_t *)arg;
}

void call_set_leg(struct call *c, uint32_t leg)
{
    hash_unlink(&c->leg_le);
    c->leg = leg;
    if (leg)
        hash_append(c->s->by_leg, leg, &c->leg_le, c);
}

static void call_destructor(void *arg)
{
    struct call *c = arg;
    hash_unlink(&c->leg_le);
    trunk_count(c, -1); /* when it never ended */
    tmr_cancel(&c->end_tmr);
    tmr_cancel(&c->digit_tmr);
    ring_stop(c);
    mem_deref(c->a_answer);
    json_decref(c->trunk);
    json_decref(c->target);
    tmr_cancel(&c->queue_tmr);
    json_decref(c->queue);
    json_decref(c->queue_pending);
    json_decref(c->queue_places);
    attendant_stop(c);
    mem_deref(c->vm);
    mem_deref(c->cbo);
    mem_deref(c->cb);
    mem_deref(c->survey);
    list_unlink(&c->le);
    list_flush(&c->leaving);
    c->b = mem_deref(c->b);
    c->a = mem_deref(c->a);
}

/* End the call once: close its media (the leg's figures come with
 * MEDIA_EV_CLOSED) and record who ended it. */
void call_finish(struct call *c, const char *by, const char *reason)
{
    if (c->ended)
        return;
    trunk_count(c, -1);
    if (c->app == APP_QUEUE)
        queue_call_ended(c);
    else if (c->app == APP_CALLBACK)
        callback_call_ended(c, by, reason);
    c->ended = true;
    app_stop(c);
    ring_stop(c);
    call_close_leg(c, c->leg);
    call_close_leg(c, c->leg_b);
    record_end(c, by, reason);
    log_info("sip", "call ended", "call=%s by=%s reason=\"%s\"", c->id, by, reason);
}

static void on_end(void *arg)
{
    mem_deref(arg);
}

void call_end_soon(struct call *c, const char *by, const char *reason)
{
    if (c->ended)
        return;
    call_finish(c, by, reason);
    tmr_start(&c->end_tmr, 0, on_end, c);
}

void call_discard(struct call *c)
{
    if (c->ended)
        return;
    c->ended = true;
    trunk_count(c, -1);
    ring_stop(c);
    call_close_leg(c, c->leg);
    call_close_leg(c, c->leg_b);
    c->leg = c->leg_b = 0;
    tmr_start(&c->end_tmr, 0, on_end, c);
}

void call_close_leg(struct call *c, uint32_t leg)
{
    if (!leg)
        return;
    char key[16];
    snprintf(key, sizeof(key), "%u", leg);
    json_object_set_new(c->s->leg_calls, key, json_string(c->id));
    media_leg_close(c->s->media, leg);
}

static void on_sweep(void *arg)
{
    struct sipsvc *s = arg;
    uint64_t now = tmr_jiffies();
    struct le *le = s->calls.head;
    while (le) {
        struct call *c = le->data;
        le = le->next; /* the call may go */
        if (c->ended)
            continue;
        mem_ref(c); /* a timeout may end the call and let it go */
        if (c->ring_until && now >= c->ring_until) {
            ring_timeout(c);
        } else if (c->app == APP_QUEUE) {
            queue_tick(c, now);
        } else if (c->app == APP_PARKED) {
            park_tick(c, now);
        }
        if (!c->ended && c->limit_at && now >= c->limit_at) {
            call_finish(c, "system", "maximum call duration");
            mem_deref(c); /* freeing the sessions sends BYE */
        }
        mem_deref(c);
    }
    callbacks_tick(s, clock_now_ms());
    if (++s->sweeps % 3600 == 1) /* hourly, and soon after start */
        recording_retention(s);
    tmr_start(&s->sweep, 1000 - now % 1000, on_sweep, s);
}

void calls_sweep(struct sipsvc *s)
{
    tmr_start(&s->sweep, 1000, on_sweep, s);
}

/* Does an offer put the call on hold (sendonly, inactive, or the old
 * c=0.0.0.0)? */
static bool offer_holds(const struct sip_msg *msg)
{
    const char *p = (const char *)mbuf_buf(msg->mb);
    size_t n = mbuf_get_left(msg->mb);
    return memmem(p, n, "a=sendonly", 10) || memmem(p, n, "a=inactive", 10) ||
           memmem(p, n, "c=IN IP4 0.0.0.0", 16);
}

/* callHeld / callResumed for reports' hold time (docs/reporting.md). */
static void note_hold(struct call *c, bool held)
{
    if (held == c->on_hold)
        return;
    c->on_hold = held;
    if (events_append(c->s->app->events, "calls", held ? "callHeld" : "callResumed", c->id, NULL,
                      json_pack("{s:s}", "callId", c->id)) != 0)
        log_error("sip", "hold event not stored", "call=%s", c->id);
}

int call_reoffer(struct call *c, uint32_t leg, const struct sip_msg *msg, struct mbuf **descp)
{
    char *answer = NULL;
    int err = media_leg_reoffer(c->s->media, leg, (const char *)mbuf_buf(msg->mb),
                                mbuf_get_left(msg->mb), &answer);
    if (err)
        return err;
    struct mbuf *mb = mbuf_alloc(strlen(answer) + 1);
    err = mb ? mbuf_write_str(mb, answer) : ENOMEM;
    mem_deref(answer);
    if (err) {
        mem_deref(mb);
        return err;
    }
    mbuf_set_pos(mb, 0);
    *descp = mb;
    note_hold(c, offer_holds(msg));
    return 0;
}

static bool is_sdp(const struct sip_msg *msg)
{
    return msg_ctype_cmp(&msg->ctyp, "application", "sdp") && mbuf_get_left(msg->mb) > 0;
}

/* Our SDP answer for the offer, or the failure answered. */
static int answer_media(struct sipsvc *s, const struct sip_msg *msg, uint32_t near, uint32_t *leg,
                        struct mbuf **mbp)
{
    if (!is_sdp(msg)) {
        sip_reply(s->sip, msg, 488, "Not Acceptable Here (an SDP offer is required)");
        return EPROTO;
    }
    char *answer = NULL;
    int err = media_leg_answer(s->media, near, (const char *)mbuf_buf(msg->mb),
                               mbuf_get_left(msg->mb), leg, &answer);
    if (err == EPROTO)
        sip_reply(s->sip, msg, 488, "Not Acceptable Here (no common codec)");
    else if (err == EINVAL)
        sip_reply(s->sip, msg, 400, "Bad SDP");
    else if (err)
        sip_reply(s->sip, msg, 503, "Service Unavailable (no media ports)");
    if (err)
        return err;
    struct mbuf *mb = mbuf_alloc(strlen(answer) + 1);
    err = mb ? mbuf_write_str(mb, answer) : ENOMEM;
    mem_deref(answer);
    if (err) {
        mem_deref(mb);
        media_leg_close(s->media, *leg);
        sip_reply(s->sip, msg, 500, "Server Internal Error");
        return err;
    }
    mbuf_set_pos(mb, 0);
    *mbp = mb;
    return 0;
}

int call_ring(struct call *c, const char *from, const char *target)
{
    char caller[256];
    json_t *contacts = NULL;
    int err = 0;
    snprintf(caller, sizeof(caller), "%s", from);
    if (c->app == APP_OUTBOUND || c->app == APP_CALLBACK) {
        char uri[320];
        const json_t *out = json_object_get(c->trunk, "outbound");
        const char *caller_id = json_string_value(json_object_get(out, "callerId"));
        const char *at = strchr(from, '@');
        if (caller_id)
            snprintf(caller, sizeof(caller), "sip:%s@%s", caller_id, at ? at + 1 : "invalid");
        err = trunk_request_uri(c->trunk, target, uri, sizeof(uri));
        contacts = err ? NULL : json_pack("[s]", uri);
    } else {
        err = ring_contacts(c->s, c->callee_id, &contacts);
    }
    if (!err)
        err = ring_start(c, caller, contacts, target);
    json_decref(contacts);
    return err;
}

struct call *call_alloc(struct sipsvc *s)
{
    struct call *c = mem_zalloc(sizeof(*c), call_destructor);
    if (!c)
        return NULL;
    c->s = s;
    tmr_init(&c->end_tmr);
    tmr_init(&c->digit_tmr);
    tmr_init(&c->queue_tmr);
    list_init(&c->forks);
    list_init(&c->leaving);
    id_new(c->id, "call");
    list_append(&s->calls, &c->le, c);
    return c;
}

static void on_invite(const struct sip_msg *msg, void *arg)
{
    struct sipsvc *s = arg;
    struct route r = {0};
    int e = route_invite(s, msg, &r);
    if (e) {
        if (e != EACCES && r.scode == 404)
            sip_replyf(s->sip, msg, 404, r.reason, "%sContent-Length: 0\r\n\r\n", sip_allow);
        else if (e != EACCES)
            sip_reply(s->sip, msg, r.scode ? r.scode : 500, r.reason ? r.reason : "Error");
        route_clear(&r);
        return;
    }
    const char *trunk_name = json_string_value(json_object_get(r.trunk, "name"));
    json_int_t max = json_integer_value(json_object_get(r.trunk, "maxCalls"));
    if (trunk_name && max > 0 && trunk_calls(s, trunk_name) >= (unsigned)max) {
        log_warn("sip", "trunk at its call limit", "trunk=%s max=%lld", trunk_name, (long long)max);
        sip_reply(s->sip, msg, 503, "Service Unavailable (the trunk's call limit)");
        route_clear(&r);
        return;
    }
    struct call *c = call_alloc(s);
    if (!c) {
        sip_reply(s->sip, msg, 500, "Server Internal Error");
        route_clear(&r);
        return;
    }
    c->app = r.app;
    c->direction = r.direction;
    c->target = r.target_spec;
    call_set_trunk(c, r.trunk);
    snprintf(c->callee_id, sizeof(c->callee_id), "%s", r.callee);
    snprintf(c->user_id, sizeof(c->user_id), "%s", r.user_id);
    struct mbuf *desc = NULL;
    uint32_t leg = 0;
    /* Taking over a parked call: our leg beside the parked one. */
    c->orbit = r.orbit;
    uint32_t near = r.app == APP_UNPARK ? park_leg(s, r.orbit) : 0;
    if (answer_media(s, msg, near, &leg, &desc) != 0) {
        mem_deref(c);
        return;
    }
    call_set_leg(c, leg);
    /* A person or a number outside: ringing now, our answer (kept) when
     * the far end answers. An application: answered at once. */
    bool ring = rings(c);
    if (ring)
        c->a_answer = mem_ref(desc);
    c->answered = !ring;
    c->a = party_alloc(c);
    pl_strcpy(&msg->uri.host, c->host, sizeof(c->host));
    if (c->a) {
        snprintf(c->a->user_id, sizeof(c->a->user_id), "%s", r.user_id);
        pl_strcpy(&msg->from.auri, c->a->aor, sizeof(c->a->aor));
    }
    int err = c->a ? sipsess_accept(&c->a->sess, s->sess_sock, msg, ring ? 180 : 200,
                                    ring ? "Ringing" : "OK", "switchboard", "application/sdp",
                                    ring ? NULL : desc, NULL, NULL, false, party_offer,
                                    party_answer, party_estab, party_info, party_refer, party_close,
                                    c->a, "%s", sip_allow)
                   : ENOMEM;
    mem_deref(desc);
    char from[256] = "";
    pl_strcpy(&msg->from.auri, from, sizeof(from));
    if (!err)
        err = record_start(c, msg, r.target, ring);
    if (!err)
        err = ring ? call_ring(c, from, r.target) : app_start(c);
    if (err) {
        log_error("sip", "call not answered", "err=%d", err);
        if (!c->a || !c->a->sess)
            sip_reply(s->sip, msg, 500, "Server Internal Error");
        call_finish(c, "system", "internal error");
        mem_deref(c);
        return;
    }
    c->limit_at = tmr_jiffies() + (uint64_t)settings_int(s->app, "sip.maxCallSeconds") * 1000;
    log_info("sip", "call answered", "call=%s direction=%s target=%s", c->id, c->direction,
             r.target);
}

/* The call whose far end talks on this leg (few events need it: a walk). */
/* A leg closed by call_close_leg(), its figures not in yet. */
static bool leg_closing(struct sipsvc *s, uint32_t leg)
{
    char key[16];
    snprintf(key, sizeof(key), "%u", leg);
    return json_object_get(s->leg_calls, key) != NULL;
}

static struct call *call_of_far_leg(struct sipsvc *s, uint32_t leg)
{
    for (struct le *le = s->calls.head; le; le = le->next) {
        struct call *c = le->data;
        if (c->leg_b == leg)
            return c;
    }
    return NULL;
}

void calls_media_event(struct sipsvc *s, const struct media_event *ev)
{
    if (ev->type == MEDIA_EV_RECORD_DONE) {
        if (!voicemail_record_done(s, ev))
            recording_done(s, ev);
        return;
    }
    if (ev->type == MEDIA_EV_CLOSED) {
        record_leg(s, ev);
        return;
    }
    /* What the applications hear of: the caller's side's leg. Digits and
     * asides of the far end's leg (recording by phone) too. */
    struct le *le = hash_lookup(s->by_leg, ev->leg, leg_match, (void *)&ev->leg);
    struct call *c = le ? le->data : NULL;
    /* Not a leg being closed: every call's end (a prompt stopped on its
     * closing leg) walked every call, 19% of the loop at 700 calls/s. */
    if (!c && (ev->type == MEDIA_EV_DTMF || ev->type == MEDIA_EV_PLAY_DONE) &&
        !leg_closing(s, ev->leg))
        c = call_of_far_leg(s, ev->leg);
    if (!c || c->ended || recording_media_event(c, ev))
        return;
    if (ev->leg == c->leg)
        app_media_event(c, ev);
}

static void on_router_event(const struct event *e, void *arg)
{
    if (strcmp(e->topic, "router") == 0)
        queue_router_event(arg, e->type, e->data);
    else if (strcmp(e->topic, "calls") == 0 &&
             (strcmp(e->type, "configUpdated") == 0 || strcmp(e->type, "configDeleted") == 0))
        trunks_forget(arg); /* committed: read again at the next call */
}

int calls_start(struct sipsvc *s)
{
    list_init(&s->calls);
    list_init(&s->declines);
    list_init(&s->speaking);
    s->leg_calls = json_object();
    s->recordings = json_object();
    s->trunk_load = json_object();
    int e = hash_alloc(&s->by_leg, 4096);
    if (e)
        return e;
    tmr_init(&s->sweep);
    tmr_init(&s->records_tmr);
    calls_sweep(s);
    int err = sipevent_listen(&s->evsock, s->sip, 64, 64, mwi_subscribe, s);
    if (!err)
        err = events_subscribe(s->app->events, &s->router_sub, on_router_event, s);
    if (!err)
        err = callbacks_start(s);
    if (err)
        return err;
    queue_jobs_left(s);
    char moh[1100];
    if (moh_default(s->app, moh, sizeof(moh)) != 0)
        log_warn("sip", "no default music on hold", "dir=%s/media", s->app->data_dir);
    /* Sessions by Call-ID: a few thousand at a time under load. */
    return sipsess_listen(&s->sess_sock, s->sip, 4096, on_invite, s);
}

void calls_stop(struct sipsvc *s)
{
    tmr_cancel(&s->sweep);
    app_speak_cancel_all(s);
    voicemail_stop(s);
    struct le *le;
    while ((le = s->calls.head) != NULL) {
        struct call *c = le->data;
        call_finish(c, "system", "server stopping");
        mem_deref(c);
    }
    callbacks_stop(s);
    if (s->sess_sock)
        sipsess_close_all(s->sess_sock);
    s->sess_sock = mem_deref(s->sess_sock);
    json_decref(s->leg_calls);
    s->leg_calls = NULL;
    s->evsock = mem_deref(s->evsock);
    s->router_sub = mem_deref(s->router_sub);
    list_flush(&s->declines);
    json_decref(s->recordings);
    s->recordings = NULL;
    json_decref(s->trunk_load);
    s->trunk_load = NULL;
    s->by_leg = mem_deref(s->by_leg);
    trunks_forget(s);
    records_flush(s);
}
