/*
 * transfer.c - call transfer by REFER (RFC 3515), from either side of an
 * answered call:
 *   blind:    Refer-To: <sip:1003@...> - the other side hears ringback
 *             while the target rings (a person's phones, or a number out
 *             through a trunk, with the transferor's permissions) and is
 *             bridged with whoever answers;
 *   attended: Refer-To: <sip:1003@...?Replaces=CALL-ID;...> - the
 *             transferor's other call (named by its Call-ID) gives up its
 *             far end, which takes the transferor's place in this call.
 * The transferor gets 202 Accepted, NOTIFYs (message/sipfrag) saying how
 * it went, and is hung up unless it hangs up first.
 */
#include "core/app.h"
#include "core/events.h"
#include "core/log.h"
#include "media/media.h"
#include "sip/call.h"
#include "sip/sip_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void transfer_notify(struct party *p, uint16_t scode, const char *reason)
{
    if (!p->not )
        return;
    bool final = scode >= 200;
    sipevent_notifyf(p->not, NULL, final ? SIPEVENT_TERMINATED : SIPEVENT_ACTIVE,
                     SIPEVENT_NORESOURCE, 0, "SIP/2.0 %u %s\r\n", scode, reason);
    if (final)
        p->not = mem_deref(p->not );
}

static void on_not_close(int err, const struct sip_msg *msg, void *arg)
{
    (void)err;
    (void)msg;
    struct party *p = arg;
    p->not = mem_deref(p->not );
}

/* 202 Accepted, with the implicit subscription the NOTIFYs go on. */
static int accept_refer(struct party *p, const struct sip_msg *msg)
{
    int err = sipevent_accept(&p->not, p->c->s->evsock, msg, sipsess_dialog(p->sess), NULL, 202,
                              "Accepted", 60, 60, 60, "switchboard", "message/sipfrag", NULL, NULL,
                              false, on_not_close, p, "%s", sip_allow);
    if (!err)
        transfer_notify(p, 100, "Trying");
    return err;
}

/* %XX in a URI header value. */
static void unescape(const struct pl *in, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < in->l && n + 1 < size; i++) {
        unsigned v;
        if (in->p[i] == '%' && i + 2 < in->l && sscanf(in->p + i + 1, "%2x", &v) == 1) {
            out[n++] = (char)v;
            i += 2;
        } else {
            out[n++] = in->p[i];
        }
    }
    out[n] = '\0';
}

/* The party of another call whose dialog has this Call-ID. */
static struct party *party_by_callid(struct sipsvc *s, const char *callid, struct call *not_in)
{
    for (struct le *le = s->calls.head; le; le = le->next) {
        struct call *c = le->data;
        struct party *sides[2] = {c->a, c->b};
        for (int i = 0; i < 2; i++) {
            struct party *q = sides[i];
            if (c == not_in || c->ended || !q || !q->sess)
                continue;
            const char *id = sip_dialog_callid(sipsess_dialog(q->sess));
            if (id && strcmp(id, callid) == 0)
                return q;
        }
    }
    return NULL;
}

/* Make p the remaining side (c->a, on c->leg) and the transferor t the
 * b side, whose leg is closed. */
static void transferor_leaves(struct call *c, struct party *t)
{
    if (c->a == t) {
        c->a = c->b;
        c->b = t;
        uint32_t leg = c->leg;
        call_set_leg(c, c->leg_b);
        c->leg_b = leg;
    }
    media_unbridge(c->s->media, c->leg);
    call_close_leg(c, c->leg_b);
    c->leg_b = 0;
    party_leave(t);
}

static void blind(struct party *t, const struct sip_msg *msg, const char *target)
{
    struct call *c = t->c;
    struct route r = {0};
    snprintf(r.user_id, sizeof(r.user_id), "%s", t->user_id);
    int err = route_set_target(&r, target);
    if (!err)
        err = route_person(c->s, &r);
    if (!err && r.app == APP_PARK) { /* *7: park the other side */
        route_clear(&r);
        if (accept_refer(t, msg) != 0) {
            sip_reply(c->s->sip, msg, 500, "Server Internal Error");
            return;
        }
        transfer_notify(t, 200, "OK");
        if (park_call(c, t, NULL) != 0) {
            log_warn("sip", "no free park orbit", "call=%s", c->id);
            call_end_soon(c, "system", "no free park orbit");
        }
        return;
    }
    /* A person, an outside number, or one of our numbers leading to a call
     * queue, an attendant or voicemail; not the test applications. */
    bool rings = r.app == APP_EXTENSION || r.app == APP_OUTBOUND;
    if (!err && !rings && !r.target_spec)
        err = route_refuse(&r, 403, "Forbidden (transfer to a person, a number or a queue)");
    if (err) {
        log_info("sip", "transfer refused", "call=%s target=%s status=%u", c->id, target, r.scode);
        sip_reply(c->s->sip, msg, r.scode ? r.scode : 500, r.reason ? r.reason : "Error");
        route_clear(&r);
        return;
    }
    if (accept_refer(t, msg) != 0) {
        sip_reply(c->s->sip, msg, 500, "Server Internal Error");
        route_clear(&r);
        return;
    }
    struct party *stay = t == c->a ? c->b : c->a;
    char from[256];
    snprintf(from, sizeof(from), "%s", stay->aor);
    transferor_leaves(c, t);
    if (r.target_spec) { /* one of our numbers: the caller goes where it leads */
        log_info("sip", "blind transfer", "call=%s target=%s", c->id, r.target);
        transfer_notify(t, 200, "OK");
        call_redirect(c, r.target_spec);
        route_clear(&r);
        return;
    }
    call_set_trunk(c, r.trunk);
    r.trunk = NULL;
    c->app = r.app;
    snprintf(c->callee_id, sizeof(c->callee_id), "%s", r.callee);
    log_info("sip", "blind transfer", "call=%s target=%s", c->id, r.target);
    media_tone(c->s->media, c->leg, "ringback", 0);
    err = call_ring(c, from, r.target);
    route_clear(&r);
    /* The transfer is under way: the transferor may go. */
    transfer_notify(t, 200, "OK");
    if (err) {
        log_warn("sip", "transfer target not rung", "call=%s err=%d", c->id, err);
        call_end_soon(c, "system", "transfer failed");
    }
}

static void attended(struct party *t, const struct sip_msg *msg, const char *callid)
{
    struct call *c = t->c;
    struct party *q = party_by_callid(c->s, callid, c);
    struct call *c2 = q ? q->c : NULL;
    struct party *far = !c2 ? NULL : q == c2->a ? c2->b : c2->a;
    if (!far) {
        sip_reply(c->s->sip, msg, 481, "Call/Transaction Does Not Exist (Replaces)");
        return;
    }
    if (accept_refer(t, msg) != 0) {
        sip_reply(c->s->sip, msg, 500, "Server Internal Error");
        return;
    }
    /* Take the far end, and its leg, out of the other call. */
    uint32_t far_leg = far == c2->a ? c2->leg : c2->leg_b;
    if (far == c2->a) {
        c2->a = NULL;
        c2->leg = 0;
    } else {
        c2->b = NULL;
        c2->leg_b = 0;
    }
    media_unbridge(c->s->media, far_leg);
    if (q == c2->a || q == c2->b)
        party_leave(q);
    transfer_notify(q, 200, "OK");
    call_finish(c2, "system", "transferred");
    mem_deref(c2);
    /* ... and put it in the transferor's place here. */
    transferor_leaves(c, t);
    far->c = c;
    c->b = far;
    c->leg_b = far_leg;
    int err = party_relink(far, c->leg);
    transfer_notify(t, err ? 503 : 200, err ? "Service Unavailable" : "OK");
    log_info("sip", "attended transfer", "call=%s replaces=%s err=%d", c->id, callid, err);
    events_append(c->s->app->events, "calls", "callTransferred", c->id,
                  c->user_id[0] ? c->user_id : NULL,
                  json_pack("{s:s, s:s, s:s}", "userId", c->user_id, "kind", "attended",
                            "answeredBy", far->user_id[0] ? far->user_id : "external"));
    if (err)
        call_end_soon(c, "system", "transfer failed");
}

void transfer_refer(struct party *p, const struct sip_msg *msg)
{
    struct sip *sip = p->c->s->sip;
    const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_REFER_TO);
    struct sip_addr addr;
    if (!h || sip_addr_decode(&addr, &h->val) != 0 || !pl_isset(&addr.uri.user)) {
        sip_reply(sip, msg, 400, "Bad Request (Refer-To must name a SIP URI with a user part)");
        return;
    }
    if (!p->c->b || !p->c->a || p->c->forks.head) {
        sip_reply(sip, msg, 491, "Request Pending (the call is not talking yet)");
        return;
    }
    char target[64], headers[512] = "";
    if (addr.uri.user.l >= sizeof(target)) {
        sip_reply(sip, msg, 404, "Not Found");
        return;
    }
    pl_strcpy(&addr.uri.user, target, sizeof(target));
    unescape(&addr.uri.headers, headers, sizeof(headers));
    const char *rep = strstr(headers, "Replaces=");
    if (!rep) {
        blind(p, msg, target);
        return;
    }
    char callid[256];
    size_t n = strcspn(rep + 9, ";&");
    snprintf(callid, sizeof(callid), "%.*s", (int)(n < sizeof(callid) ? n : sizeof(callid) - 1),
             rep + 9);
    attended(p, msg, callid);
}
