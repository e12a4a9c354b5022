/*
 * dtmf.c - digits on a leg, on its worker: RFC 4733 telephone-events
 * (libre's telev drops the retransmissions) or, when the peer did not
 * offer telephone-event, in-band tones (librem's Goertzel decoder) become
 * MEDIA_EV_DTMF, and a collect gathers them into MEDIA_EV_DIGITS.
 *
 * In-band audio comes through a tap (a jitter buffer: order, duplicates,
 * lost frames as silence), taken as packets arrive rather than on a clock,
 * so a burst is analysed whole; when the stream pauses, what waits in the
 * buffer is analysed after twice its depth.
 */
#include "media/media_internal.h"

#include <errno.h>
#include <string.h>

#include <rem_dtmf.h>

struct dtmf {
    struct leg *leg;
    struct telev *tel;
    struct dtmf_dec *dec;
    struct tap *tap; /* in-band: the leg's decoded audio */
    struct tmr drain_tmr;
    int pending; /* the event whose start was reported, -1: none */

    bool collecting;
    unsigned max;
    char terms[16];
    unsigned inter_ms;
    uint32_t op_id;
    char digits[64];
    size_t n;
    struct tmr tmr;
};

static void dtmf_destructor(void *arg)
{
    struct dtmf *d = arg;

    tmr_cancel(&d->tmr);
    tmr_cancel(&d->drain_tmr);
    mem_deref(d->tap);
    mem_deref(d->tel);
    mem_deref(d->dec);
}

static void inband_digit(char digit, void *arg)
{
    dtmf_digit(arg, digit);
}

int dtmf_alloc(struct dtmf **dp, struct leg *leg)
{
    struct dtmf *d = mem_zalloc(sizeof(*d), dtmf_destructor);
    int err;

    if (!d)
        return ENOMEM;
    d->leg = leg;
    d->pending = -1;
    tmr_init(&d->tmr);
    tmr_init(&d->drain_tmr);
    err = telev_alloc(&d->tel, TELEV_PTIME);
    err = err ? err : dtmf_dec_alloc(&d->dec, MEDIA_SRATE, 1, inband_digit, d);
    if (err) {
        mem_deref(d);
        return err;
    }
    *dp = d;
    return 0;
}

static void collect_finish(struct dtmf *d, const char *reason, bool events)
{
    struct media_event ev;

    tmr_cancel(&d->tmr);
    d->collecting = false;
    if (!events)
        return;
    memset(&ev, 0, sizeof(ev));
    ev.type = MEDIA_EV_DIGITS;
    ev.leg = leg_id(d->leg);
    ev.op_id = d->op_id;
    ev.reason = reason;
    memcpy(ev.digits, d->digits, d->n);
    media_post(leg_worker(d->leg), &ev);
}

static void collect_timeout(void *arg)
{
    collect_finish(arg, "timeout", true);
}

char dtmf_event(struct telev *tel, struct mbuf *mb, int *pending)
{
    bool end;
    int event, digit;

    if (telev_recv(tel, mb, &event, &end))
        return 0; /* malformed, or a retransmission */
    digit = telev_code2digit(event);
    if (digit <= 0)
        return 0;
    if (!end) {
        *pending = event;
        return (char)digit;
    }
    /* only the end packets arrived: report the digit now */
    if (*pending != event) {
        *pending = -1;
        return (char)digit;
    }
    *pending = -1;
    return 0;
}

void dtmf_recv(struct dtmf *d, struct mbuf *mb)
{
    char digit = dtmf_event(d->tel, mb, &d->pending);

    if (digit)
        dtmf_digit(d, digit);
}

static void probe(struct dtmf *d)
{
    int16_t pcm[JITTER_FRAME];

    (void)tap_get(d->tap, pcm);
    dtmf_dec_probe(d->dec, pcm, JITTER_FRAME);
}

/* The stream paused: analyse what it left in the buffer. */
static void drain(void *arg)
{
    struct dtmf *d = arg;

    while (d->tap && jitter_pending(d->tap->jb))
        probe(d);
}

static void inband_put(void *arg)
{
    struct dtmf *d = arg;

    while (jitter_ready(d->tap->jb))
        probe(d);
    tmr_start(&d->drain_tmr, 2 * JITTER_DEPTH_MS, drain, d);
}

int dtmf_inband(struct dtmf *d, bool on)
{
    if (!on) {
        tmr_cancel(&d->drain_tmr);
        d->tap = mem_deref(d->tap);
        return 0;
    }
    if (d->tap)
        return 0;
    return tap_alloc(&d->tap, d->leg, inband_put, d);
}

void dtmf_digit(struct dtmf *d, char digit)
{
    struct media_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.type = MEDIA_EV_DTMF;
    ev.leg = leg_id(d->leg);
    ev.digit = digit;
    media_post(leg_worker(d->leg), &ev);

    if (!d->collecting)
        return;
    if (strchr(d->terms, digit)) {
        collect_finish(d, "terminator", true);
        return;
    }
    d->digits[d->n++] = digit;
    if (d->n >= d->max) {
        collect_finish(d, "max", true);
        return;
    }
    if (d->inter_ms)
        tmr_start(&d->tmr, d->inter_ms, collect_timeout, d);
    else
        tmr_cancel(&d->tmr);
}

void dtmf_collect(struct dtmf *d, unsigned max, const char *terms, unsigned first_ms,
                  unsigned inter_ms, uint32_t op_id)
{
    if (d->collecting)
        collect_finish(d, "stopped", true);
    d->collecting = true;
    d->max = max && max < sizeof(d->digits) ? max : sizeof(d->digits) - 1;
    str_ncpy(d->terms, terms ? terms : "", sizeof(d->terms));
    d->inter_ms = inter_ms;
    d->op_id = op_id;
    memset(d->digits, 0, sizeof(d->digits));
    d->n = 0;
    if (first_ms)
        tmr_start(&d->tmr, first_ms, collect_timeout, d);
}

void dtmf_collect_end(struct dtmf *d, bool events)
{
    if (d && d->collecting)
        collect_finish(d, "stopped", events);
}
