/*
 * tap.c - decoded audio from a leg's peer, for whoever listens on the
 * worker (a recorder, a conference, a silence detector, in-band DTMF):
 * each listener has a tap on the leg with its own jitter buffer, so each
 * takes frames at its own pace. A leg decodes a packet only when it has
 * taps: plain relaying between legs of one codec decodes nothing.
 */
#include "media/media_internal.h"

#include <errno.h>

static void tap_destructor(void *arg)
{
    struct tap *t = arg;

    list_unlink(&t->le);
    mem_deref(t->jb);
}

int tap_alloc(struct tap **tp, struct leg *leg, tap_h *h, void *arg)
{
    struct tap *t = mem_zalloc(sizeof(*t), tap_destructor);
    int err;

    if (!t)
        return ENOMEM;
    t->h = h;
    t->arg = arg;
    err = jitter_alloc(&t->jb, 0);
    if (err) {
        mem_deref(t);
        return err;
    }
    tap_move(t, leg);
    *tp = t;
    return 0;
}

void tap_move(struct tap *t, struct leg *leg)
{
    if (leg == t->leg)
        return;
    list_unlink(&t->le);
    t->leg = leg;
    jitter_reset(t->jb); /* another stream: its own timing */
    if (leg)
        list_append(leg_taps(leg), &t->le, t);
}

size_t tap_get(struct tap *t, int16_t *frame)
{
    return jitter_get(t->jb, frame);
}

void taps_feed(struct list *taps, const struct rtp_header *hdr, const uint8_t *p, size_t len)
{
    int16_t pcm[2048];
    struct le *le;

    if (list_isempty(taps) || len > ARRAY_SIZE(pcm))
        return;
    pcm_decode(hdr->pt, p, len, pcm);
    for (le = list_head(taps); le;) {
        struct tap *t = le->data;

        le = le->next; /* a handler may take its tap away */
        jitter_put(t->jb, hdr->ssrc, hdr->seq, hdr->ts, pcm, len);
        if (t->h)
            t->h(t->arg);
    }
}

void taps_detach(struct list *taps)
{
    struct le *le;

    while ((le = list_head(taps))) {
        struct tap *t = le->data;

        list_unlink(le);
        t->leg = NULL;
    }
}
