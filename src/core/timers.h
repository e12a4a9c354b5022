/*
 * timers.h - libre's timers, kept in a timing wheel per thread instead of
 * libre 1.1.0's one sorted list.
 *
 * libre inserts a timer by walking its thread's sorted list from the end,
 * so every short timer walks past every longer one. Its SIP transactions
 * keep a 32 s timer each (a UDP call leaves two behind), and each call
 * starts several 0.5-5 s timers (the 200's retransmission, the BYE's
 * retransmission and wait), so at a few hundred calls/s the main thread
 * spent most of its time walking tens of thousands of list entries.
 *
 * timers.c defines libre's tmr_start, tmr_cancel, tmr_poll,
 * tmr_next_timeout, tmr_status and tmr_debug: the executable's definitions
 * take the place of libre's for libre's own calls too (libre calls them
 * through its PLT), so Debian's libre keeps its API and struct tmr while
 * every insertion and removal is O(1). Timers fire in expiry order, those
 * due in the same millisecond in the order they were started, as in libre.
 *
 * The wheel itself is below for tests (driven by a given clock).
 */
#ifndef SB_CORE_TIMERS_H
#define SB_CORE_TIMERS_H

#include "core/libre.h"

enum {
    TW_L0_BITS = 8, /* level 0: 256 slots of 1 ms */
    TW_LN_BITS = 6, /* levels 1-4: 64 slots each, each 64 times coarser */
    TW_LEVELS = 4,  /* 256 ms, 16 s, 17 min, 18.6 h per slot: 49 days in all */
};

struct twheel {
    uint64_t base; /* the next millisecond to run: every timer due before it has fired */
    bool ready;
    bool running;     /* firing timers (twheel_run) */
    struct list late; /* started for a millisecond already run: due at once */
    struct list l0[1 << TW_L0_BITS];
    struct list ln[TW_LEVELS][1 << TW_LN_BITS];
    /* slots that may hold timers (a timer cancelled leaves its bit) */
    uint64_t bits0[(1 << TW_L0_BITS) / 64];
    uint64_t bitsn[TW_LEVELS];
};

/* Start at time now (nothing pending). */
void twheel_init(struct twheel *w, uint64_t now);
/* Add t, due at t->jfs (t->th and t->arg set; a time already past is due
 * at once), at time now. Cancel by list_unlink(&t->le) (tmr_start does). */
void twheel_add(struct twheel *w, struct tmr *t, uint64_t now);
/* Fire every timer due at or before now, earliest first. */
void twheel_run(struct twheel *w, uint64_t now);
/* Milliseconds until the next timer may be due: 0 none pending, 1 due now
 * (as libre's tmr_next_timeout). May be early (a wheel turn to make), never
 * late. */
uint64_t twheel_next(struct twheel *w, uint64_t now);
/* Timers pending. */
unsigned twheel_count(const struct twheel *w);

/* The calling thread's wheel (the one libre's timer functions use). */
struct twheel *timers_thread_wheel(void);

#endif
