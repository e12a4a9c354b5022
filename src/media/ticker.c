/*
 * ticker.c - the 20 ms clock of a worker's loop. Players, recorders,
 * conference mixers and silence detectors each register a ticker; one
 * timer per worker thread drives them all, paced against its start so a
 * late timer does not slow the streams down: every frame that is due
 * runs, but at most a few at once after a stall (the rest are dropped).
 *
 * One timer for the thread, not one per ticker: libre keeps a thread's
 * timers in one sorted list and inserts by walking it, so thousands of
 * legs each re-arming a 20 ms timer past their 5 s RTCP timers cost
 * O(legs) per frame and O(legs^2) per worker.
 */
#include "media/media_internal.h"

enum { MAX_CATCHUP = 3 };

/* The clock of this thread (each worker has its own). */
static __thread struct {
    struct tmr tmr;
    struct list tickers;
    struct le *next; /* the ticker the current frame runs next */
    uint64_t t0, frames;
    bool running;
} clk;

static void frame(void)
{
    for (struct le *le = clk.tickers.head; le; le = clk.next) {
        struct ticker *t = le->data;
        clk.next = le->next; /* ticker_stop() moves it on if it goes */
        t->h(t->arg);
    }
    clk.next = NULL;
}

static void tick(void *arg)
{
    (void)arg;
    uint64_t now = tmr_jiffies();
    unsigned n = 0;

    while (clk.t0 + clk.frames * MEDIA_PTIME <= now && n < MAX_CATCHUP) {
        clk.frames++;
        n++;
        frame();
    }
    if (clk.t0 + clk.frames * MEDIA_PTIME < now)
        clk.t0 = now - clk.frames * MEDIA_PTIME; /* drop what a stall missed */
    if (!clk.tickers.head) {
        clk.running = false;
        return;
    }
    tmr_start(&clk.tmr, clk.t0 + clk.frames * MEDIA_PTIME - now, tick, NULL);
}

void ticker_start(struct ticker *t, ticker_h *h, void *arg)
{
    ticker_stop(t);
    t->h = h;
    t->arg = arg;
    list_append(&clk.tickers, &t->le, t);
    t->on = true;
    if (!clk.running) {
        clk.running = true;
        clk.t0 = tmr_jiffies();
        clk.frames = 0;
        tmr_init(&clk.tmr);
        tmr_start(&clk.tmr, 0, tick, NULL);
    }
}

void ticker_stop(struct ticker *t)
{
    if (!t->on)
        return;
    if (clk.next == &t->le)
        clk.next = t->le.next;
    list_unlink(&t->le);
    t->on = false;
    if (!clk.tickers.head && clk.running && !clk.next) {
        tmr_cancel(&clk.tmr);
        clk.running = false;
    }
}
