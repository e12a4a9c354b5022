/*
 * party.c - the far ends of a call and their sessions' handlers. The
 * caller's session (accepted) and the sessions we place (ringing a
 * person's phones, a number through a trunk, a transfer's target) are
 * parties of the same kind, so a transfer can leave either side of a
 * call talking to someone new.
 */
#include "core/log.h"
#include "media/media.h"
#include "sip/call.h"
#include "sip/sip_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

const char sip_allow[] = "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, REGISTER\r\n";

static void party_destructor(void *arg)
{
    struct party *p = arg;
    tmr_cancel(&p->release);
    list_unlink(&p->le);
    if (p->leg_to_close)
        call_close_leg(p->c, p->leg_to_close);
    p->not = mem_deref(p->not );
    p->sess = mem_deref(p->sess); /* BYE when established, CANCEL while ringing */
}

struct party *party_alloc(struct call *c)
{
    struct party *p = mem_zalloc(sizeof(*p), party_destructor);
    if (!p)
        return NULL;
    p->c = c;
    tmr_init(&p->release);
    return p;
}

void party_release(void *arg)
{
    mem_deref(arg); /* BYE */
}

void party_user(const struct party *p, char *out, size_t size)
{
    const char *aor = p ? p->aor : "";
    const char *user = strncmp(aor, "sips:", 5) == 0  ? aor + 5
                       : strncmp(aor, "sip:", 4) == 0 ? aor + 4
                                                      : aor;
    const char *at = strchr(user, '@');
    snprintf(out, size, "%.*s", (int)(at ? (size_t)(at - user) : strlen(user)), user);
}

void party_leave(struct party *p)
{
    struct call *c = p->c;
    if (c->a == p)
        c->a = NULL;
    if (c->b == p)
        c->b = NULL;
    if (c->early == p)
        c->early = NULL;
    list_unlink(&p->le);
    p->leaving = true;
    list_append(&c->leaving, &p->le, p);
    /* Give the transferor a moment to read our NOTIFY and hang up itself. */
    tmr_start(&p->release, 2000, party_release, p);
}

/* The media leg a party's session talks to. */
static uint32_t leg_of(const struct party *p)
{
    return p == p->c->a ? p->c->leg : p->c->leg_b;
}

/* A new offer within the call (re-INVITE: hold, resume, new address). */
int party_offer(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
    struct party *p = arg;
    if (p->leaving || p->c->ended)
        return EPROTO;
    return call_reoffer(p->c, leg_of(p), msg, descp);
}

/* The answer to party_relink's re-INVITE: the new leg replaces the old. */
static int relinked(struct party *p, const struct sip_msg *msg)
{
    struct call *c = p->c;
    uint32_t leg = p->relink_leg;
    p->relink_leg = 0;
    int err = media_leg_answered(c->s->media, leg, (const char *)mbuf_buf(msg->mb),
                                 mbuf_get_left(msg->mb));
    if (!err) {
        call_close_leg(c, c->leg_b);
        c->leg_b = leg;
        err = media_bridge(c->s->media, c->leg, c->leg_b);
    } else {
        call_close_leg(c, leg);
    }
    if (err) {
        log_error("sip", "transferred call not bridged", "call=%s err=%d", c->id, err);
        call_end_soon(c, "system", "transfer failed");
    }
    return err;
}

int party_answer(const struct sip_msg *msg, void *arg)
{
    struct party *p = arg;
    if (p->leaving || p->c->ended)
        return 0;
    if (p->relink_leg)
        return relinked(p, msg);
    if (p == p->c->a || p == p->c->b)
        return 0; /* the caller's ACK (no late offers), or an answer we need not act on */
    return ring_answered(p, msg);
}

int party_relink(struct party *b, uint32_t near)
{
    struct call *c = b->c;
    int err = media_bridge(c->s->media, near, c->leg_b);
    if (err != EXDEV)
        return err;
    char *offer = NULL;
    uint32_t leg = 0;
    err = media_leg_offer(c->s->media, near, &leg, &offer);
    if (err)
        return err;
    struct mbuf *mb = mbuf_alloc(strlen(offer) + 1);
    err = mb ? mbuf_write_str(mb, offer) : ENOMEM;
    mem_deref(offer);
    if (!err) {
        mbuf_set_pos(mb, 0);
        err = sipsess_modify(b->sess, mb);
    }
    mem_deref(mb);
    if (err) {
        media_leg_close(c->s->media, leg);
        return err;
    }
    b->relink_leg = leg;
    return 0;
}

void party_progress(const struct sip_msg *msg, void *arg)
{
    struct party *p = arg;
    if (!p->leaving && !p->c->ended && p != p->c->a)
        ring_progress(p, msg);
}

void party_estab(const struct sip_msg *msg, void *arg)
{
    (void)msg;
    struct party *p = arg;
    log_info("sip", "call established", "call=%s", p->c->id);
}

/* DTMF by SIP INFO: application/dtmf-relay ("Signal=5") or
 * application/dtmf ("5"). The caller's digits go to the application. */
void party_info(struct sip *sip, const struct sip_msg *msg, void *arg)
{
    struct party *p = arg;
    struct pl body = {(const char *)mbuf_buf(msg->mb), mbuf_get_left(msg->mb)};
    struct pl sig = PL_INIT;
    if (msg_ctype_cmp(&msg->ctyp, "application", "dtmf-relay"))
        /* Each [...] of libre's patterns is a capture: one pl each. */
        re_regex(body.p, body.l, "Signal[ \t]*=[ \t]*[0-9*#A-Da-d]1", NULL, NULL, &sig);
    else if (msg_ctype_cmp(&msg->ctyp, "application", "dtmf"))
        re_regex(body.p, body.l, "[0-9*#A-Da-d]1", &sig);
    else {
        sip_reply(sip, msg, 415, "Unsupported Media Type");
        return;
    }
    sip_reply(sip, msg, 200, "OK");
    if (!pl_isset(&sig))
        return;
    char digit = (char)toupper((unsigned char)sig.p[0]);
    if (!recording_digit(p, digit) && p == p->c->a)
        app_digit(p->c, digit);
}

void party_refer(struct sip *sip, const struct sip_msg *msg, void *arg)
{
    struct party *p = arg;
    if (p->leaving || p->c->ended || (p != p->c->a && p != p->c->b)) {
        sip_reply(sip, msg, 603, "Decline (nothing to transfer)");
        return;
    }
    transfer_refer(p, msg);
}

/* The session ended from its side: a hang-up (BYE), a refusal or a
 * failure of a party we rang, or the caller cancelling. */
void party_close(int err, const struct sip_msg *msg, void *arg)
{
    struct party *p = arg;
    struct call *c = p->c;
    /* libre ends a session with ECONNRESET when the peer sent BYE. */
    bool bye = err == ECONNRESET || (msg && !pl_strcmp(&msg->met, "BYE"));
    if (p->leaving) {
        mem_deref(p);
        return;
    }
    if (p != c->a && p != c->b) {
        ring_failed(p, err, msg);
        return;
    }
    const char *by = p == c->a ? "caller" : "callee";
    const char *why = bye ? "hangup" : err ? "signalling error" : "closed";
    if (p == c->a && !c->answered)
        why = "cancelled";
    if (c->a == p)
        c->a = NULL;
    else
        c->b = NULL;
    mem_deref(p);
    if (bye && strcmp(by, "callee") == 0 && survey_start(c))
        return; /* the agent hung up: the caller stays to rate the call */
    call_finish(c, by, why);
    mem_deref(c); /* the other side gets BYE */
}
