/*
 * ring.c - a call to a person: every phone they have registered rings at
 * once (one outgoing INVITE per contact, all with the offer of one media
 * leg beside the caller's), the first to answer wins and the others are
 * cancelled; the caller, who has had 180 Ringing, then gets our 200 and
 * the two legs are bridged. Nobody answering within the ring time, or
 * every phone refusing, ends the call with 480.
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
#include <string.h>

enum { RING_MS = 30000 };

struct fork {
    struct le le;
    struct call *c;
    struct sipsess *sess;
    char contact[256];
};

static const char allow[] = "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REGISTER\r\n";

static void fork_destructor(void *arg)
{
    struct fork *f = arg;
    list_unlink(&f->le);
    mem_deref(f->sess); /* an unanswered INVITE is cancelled */
}

int ring_target(struct sipsvc *s, const char *extension, char user_id[ID_SIZE])
{
    json_t *row = NULL;
    struct store_val v[] = {sv_int(clock_now_ms()), sv_text(extension)};
    int err = store_query_one(s->app->store,
                              "SELECT u.id, (SELECT COUNT(*) FROM sip_registrations r WHERE"
                              " r.user_id = u.id AND r.expires_at > ?) AS n FROM users u"
                              " WHERE u.extension = ? AND u.disabled = 0",
                              v, 2, &row);
    if (err)
        return err;
    snprintf(user_id, ID_SIZE, "%s", json_string_value(json_object_get(row, "id")));
    int64_t n = json_integer_value(json_object_get(row, "n"));
    json_decref(row);
    return n ? 0 : EAGAIN;
}

/* Nobody will answer: the caller hears 480 and the call ends. */
static void give_up(struct call *c, uint16_t scode, const char *reason, const char *why)
{
    sipsess_reject(c->sess, scode, reason, "%s", allow);
    call_finish(c, "system", why);
    mem_deref(c); /* the caller's session goes with the call */
}

static void on_ring_timeout(void *arg)
{
    give_up(arg, 480, "Temporarily Unavailable", "no answer");
}

/* A re-INVITE from the callee (hold, resume, a new address): answered
 * for its own leg; the caller's leg is not disturbed. */
static int on_fork_offer(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
    struct fork *f = arg;
    return call_reoffer(f->c, f->c->leg_b, msg, descp);
}

/* The callee answered (200 with its SDP): bridge, answer the caller,
 * cancel the other phones. */
static int on_fork_answer(const struct sip_msg *msg, void *arg)
{
    struct fork *f = arg;
    struct call *c = f->c;
    if (c->answered || c->ended)
        return 0;
    int err = media_leg_answered(c->s->media, c->leg_b, (const char *)mbuf_buf(msg->mb),
                                 mbuf_get_left(msg->mb));
    if (!err)
        err = media_bridge(c->s->media, c->leg, c->leg_b);
    if (!err)
        err = sipsess_answer(c->sess, 200, "OK", c->a_answer, "%s", allow);
    if (err) {
        log_error("sip", "answered call not bridged", "call=%s err=%d", c->id, err);
        return err;
    }
    c->answered = true;
    tmr_cancel(&c->ring_tmr);
    list_unlink(&f->le); /* the winner: kept, no longer ringing */
    c->winner = f;
    while (c->forks.head)
        mem_deref(c->forks.head->data);
    struct store_val v[] = {sv_int(clock_now_ms()), sv_text(c->id)};
    store_exec(c->s->app->store,
               "UPDATE calls SET state = 'answered', answered_at = ? WHERE id = ?", v, 2, NULL);
    events_append(c->s->app->events, "calls", "callAnswered", c->id, c->user_id,
                  json_pack("{s:s, s:s}", "userId", c->user_id, "answeredBy",
                            c->callee_id[0] ? c->callee_id : "external"));
    log_info("sip", "call answered", "call=%s by=%s", c->id,
             c->callee_id[0] ? c->callee_id : "external");
    return 0;
}

static void on_fork_estab(const struct sip_msg *msg, void *arg)
{
    (void)msg;
    (void)arg;
}

/* The answered callee hung up (hang up the caller too); or, before any
 * answer, this phone refused or failed. */
static void on_fork_close(int err, const struct sip_msg *msg, void *arg)
{
    struct fork *f = arg;
    struct call *c = f->c;
    if (f == c->winner) {
        bool bye = err == ECONNRESET || (msg && !pl_strcmp(&msg->met, "BYE"));
        c->winner = NULL;
        mem_deref(f);
        call_finish(c, "callee", bye ? "hangup" : "signalling error");
        mem_deref(c); /* the caller's session sends BYE */
        return;
    }
    mem_deref(f);
    if (c->answered || c->forks.head || c->ended)
        return;
    /* A carrier's refusal (busy, no such number, ...) reaches the caller
     * as it is; a person's phones refusing is 480. */
    if (c->app == APP_OUTBOUND && msg && msg->scode >= 400 && msg->scode != 401 &&
        msg->scode != 407) {
        char reason[64];
        pl_strcpy(&msg->reason, reason, sizeof(reason));
        give_up(c, msg->scode, reason, "refused by the carrier");
        return;
    }
    give_up(c, 480, "Temporarily Unavailable", err ? "no phone answered" : "declined");
}

/* A carrier's 401/407 on a call out: the trunk's outbound credentials. */
static int trunk_auth(char **username, char **password, const char *realm, void *arg)
{
    (void)realm;
    struct call *c = arg;
    const json_t *out = json_object_get(c->trunk, "outbound");
    const char *user = json_string_value(json_object_get(out, "username"));
    const char *pass = json_string_value(json_object_get(out, "password"));
    if (!user || !pass)
        return EAUTH;
    int err = str_dup(username, user);
    return err ? err : str_dup(password, pass);
}

static int ring_one(struct call *c, const char *contact, const char *from, struct mbuf *offer)
{
    struct fork *f = mem_zalloc(sizeof(*f), fork_destructor);
    if (!f)
        return ENOMEM;
    f->c = c;
    snprintf(f->contact, sizeof(f->contact), "%s", contact);
    list_append(&c->forks, &f->le, f);
    mbuf_set_pos(offer, 0);
    int err = sipsess_connect(&f->sess, c->s->sess_sock, contact, NULL, from, "switchboard", NULL,
                              0, "application/sdp", offer, c->trunk ? trunk_auth : NULL, c, false,
                              on_fork_offer, on_fork_answer, NULL, on_fork_estab, NULL, NULL,
                              on_fork_close, f, "%s", allow);
    if (err)
        mem_deref(f);
    return err;
}

int ring_contacts(struct sipsvc *s, const char *user_id, json_t **contacts)
{
    json_t *rows = NULL;
    struct store_val v[] = {sv_text(user_id), sv_int(clock_now_ms())};
    int err = store_query_json(s->app->store,
                               "SELECT contact FROM sip_registrations WHERE user_id = ? AND"
                               " expires_at > ? ORDER BY registered_at",
                               v, 2, &rows);
    if (err)
        return err;
    json_t *list = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_array_append(list, json_object_get(r, "contact"));
    }
    json_decref(rows);
    *contacts = list;
    return 0;
}

int ring_start(struct call *c, const char *from, const json_t *contacts)
{
    char *offer = NULL;
    int err = media_leg_offer(c->s->media, c->leg, &c->leg_b, &offer);
    if (err)
        return err;
    struct mbuf *mb = mbuf_alloc(strlen(offer) + 1);
    err = mb ? mbuf_write_str(mb, offer) : ENOMEM;
    mem_deref(offer);
    size_t i;
    json_t *r;
    unsigned rung = 0;
    json_array_foreach(contacts, i, r)
    {
        if (!err && ring_one(c, json_string_value(r), from, mb) == 0)
            rung++;
    }
    mem_deref(mb);
    if (!err && !rung)
        err = EAGAIN;
    if (!err)
        tmr_start(&c->ring_tmr, RING_MS, on_ring_timeout, c);
    return err;
}

void ring_stop(struct call *c)
{
    tmr_cancel(&c->ring_tmr);
    while (c->forks.head)
        mem_deref(c->forks.head->data);
    c->winner = mem_deref(c->winner); /* an answered callee gets BYE */
}
