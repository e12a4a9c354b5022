/*
 * timers.c - libre's timers in a hierarchical timing wheel per thread (see
 * timers.h for why they replace libre's sorted list).
 *
 * Level 0 has a list per millisecond of the next 256; a timer due later
 * waits in a coarser level's slot and moves down when the wheel turns to
 * it. Adding and cancelling are O(1) (a list append and unlink); each timer
 * moves down at most four times in its life. The slots that may hold
 * timers are marked in bitmaps, so finding the next due time, and skipping
 * an idle stretch, scans a few words instead of every slot.
 *
 * libre 1.1.0's clock is the wall clock (gettimeofday): when it steps
 * back, the pending timers are placed again from the new time, keeping
 * their expiry times as libre's list would.
 */
#include "core/timers.h"

#include <stdio.h>
#include <string.h>

enum {
    L0_SIZE = 1 << TW_L0_BITS,
    LN_SIZE = 1 << TW_LN_BITS,
};

#define NONE UINT64_MAX

/* Where level k's slot index starts in a time (level 1 is k = 0). */
static unsigned shift_of(unsigned k)
{
    return TW_L0_BITS + k * TW_LN_BITS;
}

/* The list for a timer due at e (e >= w->base), its slot marked. */
static struct list *slot_for(struct twheel *w, uint64_t e)
{
    uint64_t d = e - w->base;
    if (d < L0_SIZE) {
        unsigned i = (unsigned)(e & (L0_SIZE - 1));
        w->bits0[i / 64] |= 1ULL << (i % 64);
        return &w->l0[i];
    }
    unsigned k = 0;
    while (k < TW_LEVELS - 1 && d >> (shift_of(k) + TW_LN_BITS))
        k++;
    /* Beyond the wheel: its farthest slot, placed again when that turns. */
    if (d >> (shift_of(k) + TW_LN_BITS))
        e = w->base + (1ULL << (shift_of(k) + TW_LN_BITS)) - 1;
    unsigned i = (unsigned)(e >> shift_of(k)) & (LN_SIZE - 1);
    w->bitsn[k] |= 1ULL << i;
    return &w->ln[k][i];
}

static uint64_t due(const struct twheel *w, const struct tmr *t)
{
    return t->jfs > w->base ? t->jfs : w->base;
}

/* The list for t: the wheel, or the late list when its time is past
 * already (a timer started with no delay after this millisecond ran). */
static struct list *list_for(struct twheel *w, const struct tmr *t)
{
    return t->jfs < w->base ? &w->late : slot_for(w, t->jfs);
}

/* The first marked bit at or after from, circularly; -1 if none. */
static int next_bit(const uint64_t *words, unsigned n, unsigned from)
{
    unsigned nw = n / 64, wi = from / 64;
    uint64_t m = words[wi] & (~0ULL << (from % 64));
    for (unsigned step = 0; step <= nw; step++) {
        if (m)
            return (int)(wi * 64 + (unsigned)__builtin_ctzll(m));
        wi = (wi + 1) % nw;
        m = words[wi];
    }
    return -1;
}

/* The first slot at or after from that holds timers (emptied slots lose
 * their marks on the way); -1 if none. */
static int next_slot(uint64_t *words, const struct list *lists, unsigned n, unsigned from)
{
    int i;
    while ((i = next_bit(words, n, from)) >= 0 && list_isempty(&lists[i]))
        words[i / 64] &= ~(1ULL << (i % 64));
    return i;
}

/* The next time something happens: a level-0 timer is due (exact) or a
 * coarser slot holding timers moves down (a lower bound of theirs). */
static uint64_t earliest(struct twheel *w)
{
    if (!list_isempty(&w->late))
        return w->base - 1;
    uint64_t best = NONE;
    unsigned b0 = (unsigned)(w->base & (L0_SIZE - 1));
    int i = next_slot(w->bits0, w->l0, L0_SIZE, b0);
    if (i >= 0)
        best = w->base + (((unsigned)i - b0) & (L0_SIZE - 1));
    for (unsigned k = 0; k < TW_LEVELS; k++) {
        unsigned sh = shift_of(k);
        uint64_t round = w->base >> sh;
        unsigned cur = (unsigned)round & (LN_SIZE - 1);
        /* At the start of a turn its slot is still to move down; later in
         * the turn, what the current slot holds is a whole turn away. */
        bool starting = !(w->base & ((1ULL << sh) - 1));
        i = next_slot(&w->bitsn[k], w->ln[k], LN_SIZE, starting ? cur : (cur + 1) % LN_SIZE);
        if (i < 0)
            continue;
        unsigned ahead = ((unsigned)i - cur) & (LN_SIZE - 1);
        if (!ahead && !starting)
            ahead = LN_SIZE;
        uint64_t at = (round + ahead) << sh;
        if (at < best)
            best = at;
    }
    return best;
}

/* Level k's slot for w->base moves down a level or more. A timer there was
 * started before any timer due in the same millisecond that went straight
 * to a finer level, so it goes in front of those (keeping its own order):
 * timers due together fire in the order they were started. Returns the
 * slot's index. */
static unsigned cascade(struct twheel *w, unsigned k)
{
    unsigned i = (unsigned)(w->base >> shift_of(k)) & (LN_SIZE - 1);
    struct le *le = w->ln[k][i].tail;
    list_init(&w->ln[k][i]);
    w->bitsn[k] &= ~(1ULL << i);
    while (le) {
        struct le *prev = le->prev;
        struct tmr *t = le->data;
        le->prev = le->next = NULL;
        le->list = NULL;
        list_prepend(slot_for(w, due(w, t)), le, t);
        le = prev;
    }
    return i;
}

/* w->base starts a new turn of level 0: level 1's slot moves down, and
 * when level 1 starts a new turn too, level 2's, and so on. */
static void turn(struct twheel *w)
{
    for (unsigned k = 0; k < TW_LEVELS && cascade(w, k) == 0; k++)
        ;
}

/* Fire a list's timers; those started meanwhile for the same millisecond
 * fire too, as in libre. */
static void fire(struct list *l)
{
    struct le *le;
    while ((le = l->head) != NULL) {
        struct tmr *t = le->data;
        tmr_h *th = t->th;
        list_unlink(le);
        t->th = NULL;
        if (th)
            th(t->arg);
    }
}

/* Every timer placed again from now (the clock stepped back): coarser
 * levels first, each slot in order, so timers due together keep theirs. */
static void rebase(struct twheel *w, uint64_t now)
{
    struct list all = w->late;
    for (struct le *le = all.head; le; le = le->next)
        le->list = &all;
    list_init(&w->late);
    for (unsigned k = TW_LEVELS; k-- > 0;) {
        for (unsigned i = 0; i < LN_SIZE; i++) {
            struct le *le;
            while ((le = w->ln[k][i].head) != NULL) {
                list_unlink(le);
                list_append(&all, le, le->data);
            }
        }
    }
    unsigned b0 = (unsigned)(w->base & (L0_SIZE - 1));
    for (unsigned n = 0; n < L0_SIZE; n++) {
        struct le *le;
        struct list *l = &w->l0[(b0 + n) & (L0_SIZE - 1)];
        while ((le = l->head) != NULL) {
            list_unlink(le);
            list_append(&all, le, le->data);
        }
    }
    memset(w->bits0, 0, sizeof(w->bits0));
    memset(w->bitsn, 0, sizeof(w->bitsn));
    w->base = now;
    struct le *le;
    while ((le = all.head) != NULL) {
        list_unlink(le);
        list_append(list_for(w, le->data), le, le->data);
    }
}

/* Rebase when the clock went back (base is at most one past it otherwise);
 * not from a handler in the middle of a run, which goes on from base (a
 * timer started there for a time before base is due at once). */
static void sync_clock(struct twheel *w, uint64_t now)
{
    if (now + 1 < w->base && !w->running)
        rebase(w, now);
}

void twheel_init(struct twheel *w, uint64_t now)
{
    memset(w, 0, sizeof(*w));
    w->base = now;
    w->ready = true;
}

void twheel_add(struct twheel *w, struct tmr *t, uint64_t now)
{
    sync_clock(w, now);
    list_append(list_for(w, t), &t->le, t);
}

void twheel_run(struct twheel *w, uint64_t now)
{
    if (w->running)
        return; /* a handler polling the loop again */
    sync_clock(w, now);
    w->running = true;
    for (;;) {
        fire(&w->late);
        if (w->base > now)
            break;
        uint64_t e = earliest(w);
        if (e > now) {
            w->base = now + 1; /* nothing due or moving down before then */
            break;
        }
        w->base = e;
        if (!(e & (L0_SIZE - 1)))
            turn(w);
        unsigned i = (unsigned)(e & (L0_SIZE - 1));
        fire(&w->l0[i]);
        w->bits0[i / 64] &= ~(1ULL << (i % 64));
        w->base = e + 1;
    }
    w->running = false;
}

uint64_t twheel_next(struct twheel *w, uint64_t now)
{
    sync_clock(w, now);
    uint64_t e = earliest(w);
    if (e == NONE)
        return 0;
    return e <= now ? 1 : e - now;
}

unsigned twheel_count(const struct twheel *w)
{
    unsigned n = list_count(&w->late);
    for (unsigned i = 0; i < L0_SIZE; i++)
        n += list_count(&w->l0[i]);
    for (unsigned k = 0; k < TW_LEVELS; k++)
        for (unsigned i = 0; i < LN_SIZE; i++)
            n += list_count(&w->ln[k][i]);
    return n;
}

static __thread struct twheel wheel;

struct twheel *timers_thread_wheel(void)
{
    if (!wheel.ready)
        twheel_init(&wheel, tmr_jiffies());
    return &wheel;
}

/* ---- libre's timer functions, in place of its own ---- */

void tmr_start(struct tmr *tmr, uint64_t delay, tmr_h *th, void *arg)
{
    if (!tmr)
        return;
    if (tmr->th)
        list_unlink(&tmr->le);
    tmr->th = th;
    tmr->arg = arg;
    if (!th)
        return;
    uint64_t now = tmr_jiffies();
    tmr->jfs = now + delay;
    twheel_add(timers_thread_wheel(), tmr, now);
}

void tmr_cancel(struct tmr *tmr)
{
    tmr_start(tmr, 0, NULL, NULL);
}

void tmr_poll(struct list *tmrl)
{
    (void)tmrl; /* libre's own list: unused */
    twheel_run(timers_thread_wheel(), tmr_jiffies());
}

uint64_t tmr_next_timeout(struct list *tmrl)
{
    (void)tmrl;
    return twheel_next(timers_thread_wheel(), tmr_jiffies());
}

static int print_list(struct re_printf *pf, const struct list *l, uint64_t now)
{
    int err = 0;
    for (const struct le *le = l->head; le; le = le->next) {
        const struct tmr *t = le->data;
        err |= re_hprintf(pf, "  %p: th=%p expire=%llums\n", (const void *)t, (void *)t->th,
                          (unsigned long long)(t->jfs > now ? t->jfs - now : 0));
    }
    return err;
}

int tmr_status(struct re_printf *pf, void *unused)
{
    (void)unused;
    struct twheel *w = timers_thread_wheel();
    unsigned n = twheel_count(w);
    if (!n)
        return 0;
    uint64_t now = tmr_jiffies();
    int err = re_hprintf(pf, "Timers (%u):\n", n);
    err |= print_list(pf, &w->late, now);
    for (unsigned i = 0; i < L0_SIZE; i++)
        err |= print_list(pf, &w->l0[i], now);
    for (unsigned k = 0; k < TW_LEVELS; k++)
        for (unsigned i = 0; i < LN_SIZE; i++)
            err |= print_list(pf, &w->ln[k][i], now);
    return err;
}

void tmr_debug(void)
{
    (void)re_fprintf(stderr, "%H", tmr_status, NULL);
}
