/*
 * dtmf.c - digits on a leg, on its worker: RFC 4733 telephone-events
 * (libre's telev drops the retransmissions) or, when the peer did not
 * offer telephone-event, in-band tones (librem's Goertzel decoder) become
 * MEDIA_EV_DTMF, and a collect gathers them into MEDIA_EV_DIGITS.
 */
#include "media/media_internal.h"

#include <errno.h>
#include <string.h>

#include <rem_dtmf.h>
#include <rem_g711.h>

struct dtmf {
    struct leg *leg;
    struct telev *tel;
    struct dtmf_dec *dec;
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

void dtmf_audio(struct dtmf *d, uint8_t pt, const uint8_t *p, size_t len)
{
    int16_t pcm[MEDIA_FRAME];

    while (len) {
        size_t n = len < MEDIA_FRAME ? len : MEDIA_FRAME;

        for (size_t i = 0; i < n; i++)
            pcm[i] = pt == 8 ? g711_alaw2pcm(p[i]) : g711_ulaw2pcm(p[i]);
        dtmf_dec_probe(d->dec, pcm, n);
        p += n;
        len -= n;
    }
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
