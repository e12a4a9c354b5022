/*
 * ticker.c - a 20 ms clock on a worker's loop, paced against its start
 * time so a late timer does not slow the stream down: every frame that is
 * due runs, but at most a few at once after a stall (the rest are dropped).
 * Players, recorders, conference mixers and silence detectors run on it.
 */
#include "media/media_internal.h"

enum { MAX_CATCHUP = 3 };

static void tick(void *arg)
{
    struct ticker *t = arg;
    uint64_t now = tmr_jiffies();
    unsigned n = 0;

    while (t->t0 + t->frames * MEDIA_PTIME <= now && n < MAX_CATCHUP) {
        t->frames++;
        n++;
        if (!t->h(t->arg))
            return; /* its owner stopped it, and may be gone */
    }
    if (t->t0 + t->frames * MEDIA_PTIME < now)
        t->t0 = now - t->frames * MEDIA_PTIME; /* drop what a stall missed */
    tmr_start(&t->tmr, t->t0 + t->frames * MEDIA_PTIME - now, tick, t);
}

void ticker_start(struct ticker *t, ticker_h *h, void *arg)
{
    tmr_init(&t->tmr);
    t->h = h;
    t->arg = arg;
    t->t0 = tmr_jiffies();
    t->frames = 0;
    tmr_start(&t->tmr, 0, tick, t);
}

void ticker_stop(struct ticker *t)
{
    tmr_cancel(&t->tmr);
}
