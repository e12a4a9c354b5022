/*
 * ring.c - ringing far ends: every phone a person has registered rings at
 * once (one outgoing INVITE per contact, all with the offer of one media
 * leg beside the caller's), or a number through a trunk; the first to
 * answer wins and the others are cancelled; the caller, who has had
 * 180 Ringing, then gets our 200 and the two legs are bridged. A far end's
 * 183 with SDP is relayed as early media. Nobody answering within the
 * ring time, or every phone refusing, ends the call with 480 (a carrier's
 * own refusal is passed on). When a transfer rings someone new, the
 * caller is answered already and hears ringback meanwhile.
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

int ring_user(struct sipsvc *s, bool by_name, const char *who, char user_id[ID_SIZE])
{
    json_t *row = NULL;
    struct store_val v[] = {sv_int(clock_now_ms()), sv_text(who)};
    int err = store_query_one(s->app->store,
                              by_name ? "SELECT u.id, (SELECT COUNT(*) FROM sip_registrations r"
                                        " WHERE r.user_id = u.id AND r.expires_at > ?) AS n"
                                        " FROM users u WHERE u.name = ? AND u.disabled = 0"
                                      : "SELECT u.id, (SELECT COUNT(*) FROM sip_registrations r"
                                        " WHERE r.user_id = u.id AND r.expires_at > ?) AS n"
                                        " FROM users u WHERE u.extension = ? AND u.disabled = 0",
                              v, 2, &row);
    if (err)
        return err;
    snprintf(user_id, ID_SIZE, "%s", json_string_value(json_object_get(row, "id")));
    int64_t n = json_integer_value(json_object_get(row, "n"));
    json_decref(row);
    return n ? 0 : EAGAIN;
}

int ring_target(struct sipsvc *s, const char *extension, char user_id[ID_SIZE])
{
    return ring_user(s, false, extension, user_id);
}

/* Nobody will answer. Before the caller was answered: the caller hears
 * scode. After (a transfer's target): the caller is hung up. */
static void give_up(struct call *c, uint16_t scode, const char *reason, const char *why)
{
    /* Sent to a person by an attendant, a queue or a transfer: their
     * voicemail takes the call. */
    if (c->answered && c->app == APP_EXTENSION && call_to_voicemail(c, c->callee_id) == 0) {
        for (struct le *le = c->leaving.head; le; le = le->next)
            transfer_notify(le->data, 200, "OK");
        return;
    }
    if (c->a && !c->answered)
        sipsess_reject(c->a->sess, scode, reason, "%s", sip_allow);
    for (struct le *le = c->leaving.head; le; le = le->next)
        transfer_notify(le->data, scode, reason);
    call_finish(c, "system", why);
    mem_deref(c); /* the caller's session goes with the call */
}

void ring_timeout(struct call *c)
{
    give_up(c, 480, "Temporarily Unavailable", "no answer");
}

/* A ringing party answered (200 with its SDP): bridge, answer the caller
 * (unless a transfer rang it), cancel the others. */
int ring_answered(struct party *p, const struct sip_msg *msg)
{
    struct call *c = p->c;
    if (c->b || c->ended)
        return 0;
    if (c->app == APP_CALLBACK)
        return callback_answered(p, msg);
    if (c->app == APP_QUEUE && queue_agent_answered(c) != 0)
        return EPROTO; /* the offer is gone: this agent is hung up */
    int err = media_leg_answered(c->s->media, c->leg_b, (const char *)mbuf_buf(msg->mb),
                                 mbuf_get_left(msg->mb));
    if (!err)
        err = media_bridge(c->s->media, c->leg, c->leg_b);
    if (!err && !c->answered)
        err = sipsess_answer(c->a->sess, 200, "OK", c->a_answer, "%s", sip_allow);
    if (err) {
        log_error("sip", "answered call not bridged", "call=%s err=%d", c->id, err);
        return err;
    }
    bool transfer = c->answered && c->app != APP_QUEUE;
    bool queue = c->app == APP_QUEUE;
    c->answered = true;
    ring_won(c, p);
    c->b = p;
    const char *by = p->user_id[0] ? p->user_id : "external";
    struct store_val v[] = {sv_int(clock_now_ms()), sv_text(c->id)};
    if (queue) {
        log_info("sip", "agent connected", "call=%s", c->id);
        queue_connected(c);
        return 0;
    }
    if (!transfer)
        store_exec(c->s->app->store,
                   "UPDATE calls SET state = 'answered', answered_at = ? WHERE id = ?", v, 2, NULL);
    events_append(c->s->app->events, "calls", transfer ? "callTransferred" : "callAnswered", c->id,
                  c->user_id[0] ? c->user_id : NULL,
                  json_pack("{s:s, s:s}", "userId", c->user_id, "answeredBy", by));
    for (struct le *le = c->leaving.head; le; le = le->next)
        transfer_notify(le->data, 200, "OK");
    log_info("sip", transfer ? "transfer answered" : "call answered", "call=%s by=%s", c->id, by);
    return 0;
}

void ring_won(struct call *c, struct party *p)
{
    c->ring_until = 0;
    list_unlink(&p->le); /* the one answering: kept, no longer ringing */
    c->early = NULL;
    while (c->forks.head)
        mem_deref(c->forks.head->data);
}

/* 180/183 with SDP from a far end before it answers (a carrier's
 * announcement, a phone's ringback): the caller gets 183 with our SDP
 * and hears it through the bridge. The first such party wins. */
void ring_progress(struct party *p, const struct sip_msg *msg)
{
    struct call *c = p->c;
    if (c->b || c->early || c->answered || msg->scode < 180 ||
        !msg_ctype_cmp(&msg->ctyp, "application", "sdp") || !mbuf_get_left(msg->mb))
        return;
    int err = media_leg_answered(c->s->media, c->leg_b, (const char *)mbuf_buf(msg->mb),
                                 mbuf_get_left(msg->mb));
    if (!err)
        err = media_bridge(c->s->media, c->leg, c->leg_b);
    if (!err)
        err = sipsess_progress(c->a->sess, 183, "Session Progress", c->a_answer, "%s", sip_allow);
    if (err) {
        log_warn("sip", "early media not relayed", "call=%s err=%d", c->id, err);
        return;
    }
    c->early = p;
    log_info("sip", "early media", "call=%s from=%s", c->id, p->contact);
}

void ring_failed(struct party *p, int err, const struct sip_msg *msg)
{
    struct call *c = p->c;
    if (p == c->early) { /* its early media ends with it */
        c->early = NULL;
        media_unbridge(c->s->media, c->leg);
    }
    mem_deref(p);
    if (c->b || c->forks.head || c->ended)
        return;
    if (c->app == APP_QUEUE || (c->app == APP_CALLBACK && !c->answered)) {
        queue_agent_missed(c); /* the router offers the call to someone else */
        return;
    }
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

static int ring_one(struct call *c, const char *contact, const char *from, struct mbuf *offer,
                    const char *target)
{
    struct party *p = party_alloc(c);
    if (!p)
        return ENOMEM;
    snprintf(p->contact, sizeof(p->contact), "%s", contact);
    snprintf(p->aor, sizeof(p->aor), "sip:%s@%s", target, c->host);
    snprintf(p->user_id, sizeof(p->user_id), "%s", c->callee_id);
    list_append(&c->forks, &p->le, p);
    mbuf_set_pos(offer, 0);
    int err = sipsess_connect(&p->sess, c->s->sess_sock, contact,
                              c->from_name[0] ? c->from_name : NULL, from, "switchboard", NULL, 0,
                              "application/sdp", offer, c->trunk ? trunk_auth : NULL, c, false,
                              party_offer, party_answer, party_progress, party_estab, party_info,
                              party_refer, party_close, p, "%s", sip_allow);
    if (err)
        mem_deref(p);
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

int ring_start(struct call *c, const char *from, const json_t *contacts, const char *target)
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
        if (!err && ring_one(c, json_string_value(r), from, mb, target) == 0)
            rung++;
    }
    mem_deref(mb);
    if (!err && !rung)
        err = EAGAIN;
    /* A queue's offers (and a callback's) expire in the router. */
    if (!err && c->app != APP_QUEUE && c->app != APP_CALLBACK)
        c->ring_until = tmr_jiffies() + RING_MS;
    return err;
}

void ring_stop(struct call *c)
{
    c->ring_until = 0;
    c->early = NULL;
    while (c->forks.head)
        mem_deref(c->forks.head->data);
}
