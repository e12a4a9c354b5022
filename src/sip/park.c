/*
 * park.c - call park: an agent parks the person they talk to (a blind
 * transfer to *7, or POST /v1/calls/{id}/park); the parked caller hears
 * music on hold in an orbit (sip.parkFirst.., sip.parkCount of them, e.g.
 * 701-720), which is told to the agent (spoken on their line before it
 * closes, and in the callParked event and the API's answer). Anyone
 * dialling the orbit takes the call over; after sip.parkSeconds the
 * agent who parked it is rung back.
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/log.h"
#include "core/settings.h"
#include "media/media.h"
#include "sip/call.h"
#include "sip/sip.h"
#include "sip/sip_internal.h"
#include "voice/moh.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OP_PARKED = 40 };

static struct call *parked_in(struct sipsvc *s, unsigned orbit)
{
    for (struct le *le = s->calls.head; le; le = le->next) {
        struct call *c = le->data;
        if (c->app == APP_PARKED && !c->ended && c->orbit == orbit)
            return c;
    }
    return NULL;
}

static unsigned free_orbit(struct sipsvc *s)
{
    unsigned first = (unsigned)settings_int(s->app, "sip.parkFirst");
    unsigned count = (unsigned)settings_int(s->app, "sip.parkCount");
    for (unsigned o = first; o < first + count; o++) {
        if (!parked_in(s, o))
            return o;
    }
    return 0;
}

bool park_orbit(struct sipsvc *s, const char *dialled, unsigned *orbit)
{
    char *end;
    unsigned long o = strtoul(dialled, &end, 10);
    unsigned first = (unsigned)settings_int(s->app, "sip.parkFirst");
    unsigned count = (unsigned)settings_int(s->app, "sip.parkCount");
    if (*end || end == dialled || o < first || o >= first + count)
        return false;
    *orbit = (unsigned)o;
    return true;
}

/* The orbit's digits, spoken one by one. */
static void orbit_words(unsigned orbit, char *out, size_t size)
{
    char digits[16];
    snprintf(digits, sizeof(digits), "%u", orbit);
    int n = snprintf(out, size, "The call is parked at");
    for (const char *d = digits; *d && n > 0 && (size_t)n < size; d++)
        n += snprintf(out + n, size - (size_t)n, " %c", *d);
    if (n > 0 && (size_t)n + 1 < size)
        snprintf(out + n, size - (size_t)n, ".");
}

int park_call(struct call *c, struct party *parker, unsigned *orbitp)
{
    struct sipsvc *s = c->s;
    unsigned orbit = free_orbit(s);
    if (!orbit)
        return ENOSPC;
    /* The parked side stays as c->a on c->leg; the parker is c->b. */
    if (c->a == parker) {
        c->a = c->b;
        c->b = parker;
        uint32_t leg = c->leg;
        call_set_leg(c, c->leg_b);
        c->leg_b = leg;
    }
    media_unbridge(s->media, c->leg);
    /* The orbit is spoken on the parker's line, which closes with it. */
    char words[80];
    orbit_words(orbit, words, sizeof(words));
    parker->leg_to_close = c->leg_b;
    c->leg_b = 0;
    c->b = NULL;
    party_leave(parker);
    tmr_start(&parker->release, 5000, party_release, parker);
    app_speak_on(c, parker->leg_to_close, words, OP_PARKED);

    app_stop(c);
    c->app = APP_PARKED;
    c->orbit = orbit;
    snprintf(c->parked_by, sizeof(c->parked_by), "%s", parker->user_id);
    c->park_until = tmr_jiffies() + (uint64_t)settings_int(s->app, "sip.parkSeconds") * 1000;
    char moh[1100];
    if (moh_default(s->app, moh, sizeof(moh)) != 0 ||
        media_play(s->media, c->leg, moh, true, 0) != 0)
        media_tone(s->media, c->leg, "ringback", 0);
    events_append(s->app->events, "calls", "callParked", c->id,
                  parker->user_id[0] ? parker->user_id : NULL,
                  json_pack("{s:s, s:i, s:s}", "callId", c->id, "orbit", (int)orbit, "parkedBy",
                            parker->user_id));
    log_info("sip", "call parked", "call=%s orbit=%u by=%s", c->id, orbit, parker->user_id);
    if (orbitp)
        *orbitp = orbit;
    return 0;
}

uint32_t park_leg(struct sipsvc *s, unsigned orbit)
{
    struct call *c = parked_in(s, orbit);
    return c ? c->leg : 0;
}

int park_retrieve(struct call *c2, unsigned orbit)
{
    struct call *c = parked_in(c2->s, orbit);
    if (!c || !c->a)
        return ENOENT;
    struct party *p = c->a;
    uint32_t leg = c->leg;
    media_stop(c->s->media, leg);
    /* The parked caller leaves its call for the retriever's. */
    c->a = NULL;
    call_set_leg(c, 0);
    p->c = c2;
    c2->b = p;
    c2->leg_b = leg;
    int err = party_relink(p, c2->leg);
    events_append(c2->s->app->events, "calls", "callRetrieved", c->id,
                  c2->user_id[0] ? c2->user_id : NULL,
                  json_pack("{s:s, s:i, s:s, s:s}", "callId", c->id, "orbit", (int)orbit, "by",
                            c2->user_id, "retrievingCallId", c2->id));
    log_info("sip", "call retrieved", "call=%s orbit=%u by=%s", c->id, orbit, c2->user_id);
    call_end_soon(c, "system", "retrieved from park");
    return err;
}

void park_tick(struct call *c, uint64_t now)
{
    if (c->app != APP_PARKED || !c->park_until || now < c->park_until)
        return;
    c->park_until = 0;
    log_info("sip", "parked call rings back", "call=%s user=%s", c->id, c->parked_by);
    int err = c->parked_by[0] ? 0 : ENOENT;
    if (!err) {
        c->app = APP_EXTENSION;
        c->orbit = 0;
        snprintf(c->callee_id, sizeof(c->callee_id), "%s", c->parked_by);
        app_barge(c);
        media_tone(c->s->media, c->leg, "ringback", 0);
        err = call_ring(c, c->a ? c->a->aor : "sip:parked@invalid", "park");
    }
    if (err)
        call_end_soon(c, "system", "park timed out");
}

int sipsvc_park(struct app *app, const char *call_id, const char *user_id, bool lead,
                unsigned *orbit)
{
    struct sipsvc *s = app->sip;
    struct call *c = NULL;
    for (struct le *le = s ? s->calls.head : NULL; le; le = le->next) {
        struct call *x = le->data;
        if (!x->ended && strcmp(x->id, call_id) == 0)
            c = x;
    }
    if (!c)
        return ENOENT;
    if (!c->a || !c->b || c->forks.head)
        return EALREADY; /* nobody talking, nothing to park */
    struct party *parker = strcmp(c->b->user_id, user_id) == 0   ? c->b
                           : strcmp(c->a->user_id, user_id) == 0 ? c->a
                           : lead                                ? c->b
                                                                 : NULL;
    if (!parker)
        return EPERM;
    return park_call(c, parker, orbit);
}
