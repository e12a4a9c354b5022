/*
 * test_timers.c - unit tests for the timing wheel that takes the place of
 * libre's timer list (src/core/timers.c): against a model of libre's
 * semantics (expiry order, FIFO within a millisecond) under random starts,
 * restarts, cancels and clock steps forward and back; the next-timeout
 * answer never late; and in the process itself, libre's loop and libre's
 * own timers (RTCP's) using the wheel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/libre.h"
#include "core/timers.h"

#include <netinet/in.h>

enum { NTIMERS = 400 };

/* The model: each timer's expiry and the order it was started in. */
struct model {
    struct tmr t[NTIMERS];
    bool pending[NTIMERS];
    uint64_t jfs[NTIMERS];
    uint64_t seq[NTIMERS];
    uint64_t next_seq;
    int fired[NTIMERS * 4]; /* what the wheel fired, in order */
    size_t nfired;
    struct twheel *w;
    uint64_t now;
};

static struct model *M;

static void on_fire(void *arg)
{
    int i = (int)(intptr_t)arg;
    assert_true(M->pending[i]);
    assert_true(M->jfs[i] <= M->now);
    M->pending[i] = false;
    M->fired[M->nfired++] = i;
}

static void start(struct model *m, int i, uint64_t delay)
{
    struct tmr *t = &m->t[i];
    if (t->th)
        list_unlink(&t->le);
    t->th = on_fire;
    t->arg = (void *)(intptr_t)i;
    t->jfs = m->now + delay;
    twheel_add(m->w, t, m->now);
    m->pending[i] = true;
    m->jfs[i] = t->jfs;
    m->seq[i] = m->next_seq++;
}

static void cancel(struct model *m, int i)
{
    list_unlink(&m->t[i].le);
    m->t[i].th = NULL;
    m->pending[i] = false;
}

/* Run the wheel at m->now and check it fired exactly the model's due
 * timers, by expiry then start order. */
static void run_and_check(struct model *m)
{
    int due[NTIMERS];
    size_t n = 0;
    for (int i = 0; i < NTIMERS; i++)
        if (m->pending[i] && m->jfs[i] <= m->now)
            due[n++] = i;
    for (size_t a = 1; a < n; a++) /* insertion sort by (jfs, seq) */
        for (size_t b = a; b > 0; b--) {
            int x = due[b - 1], y = due[b];
            if (m->jfs[x] < m->jfs[y] || (m->jfs[x] == m->jfs[y] && m->seq[x] < m->seq[y]))
                break;
            due[b - 1] = y;
            due[b] = x;
        }
    m->nfired = 0;
    twheel_run(m->w, m->now);
    assert_int_equal(m->nfired, n);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(m->fired[k], due[k]);
    size_t left = 0;
    uint64_t first = UINT64_MAX;
    for (int i = 0; i < NTIMERS; i++)
        if (m->pending[i]) {
            left++;
            first = m->jfs[i] < first ? m->jfs[i] : first;
        }
    assert_int_equal(twheel_count(m->w), left);
    /* The next timeout: 0 only when nothing is pending, never late. */
    uint64_t next = twheel_next(m->w, m->now);
    assert_true(left ? next > 0 : next == 0);
    if (next > 1)
        assert_true(first >= m->now + next);
}

/* A model and its wheel at time now (the one the handlers check). */
static struct model *model_new(uint64_t now)
{
    struct model *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    m->w = calloc(1, sizeof(*m->w));
    assert_non_null(m->w);
    m->now = now;
    twheel_init(m->w, now);
    M = m;
    return m;
}

static void model_free(struct model *m)
{
    free(m->w);
    free(m);
    M = NULL;
}

static uint64_t random_delay(void)
{
    switch (rand() % 10) {
    case 0:
        return 0;
    case 1:
        return (uint64_t)(rand() % 3);
    case 2:
        return 20;
    case 3:
        return 500u << (rand() % 4); /* SIP T1 doubling */
    case 4:
        return 5000;
    case 5:
        return 32000;
    case 6:
        return (uint64_t)(rand() % 300);
    case 7:
        return (uint64_t)rand() % 100000;
    case 8:
        return (uint64_t)rand() * 4096ULL; /* beyond the wheel, sometimes */
    default:
        return (uint64_t)(rand() % 20000);
    }
}

static uint64_t random_step(void)
{
    switch (rand() % 12) {
    case 0:
        return 0;
    case 1:
        return 255 + (uint64_t)(rand() % 3);
    case 2:
        return (uint64_t)(rand() % 70000);
    case 3:
        return (uint64_t)rand() * 64ULL; /* a long sleep, or the clock stepped */
    default:
        return (uint64_t)(rand() % 4);
    }
}

static void random_run(uint64_t t0, unsigned seed)
{
    struct model *m = model_new(t0);
    srand(seed);
    for (int round = 0; round < 20000; round++) {
        int op = rand() % 10;
        int i = rand() % NTIMERS;
        if (op < 5) {
            start(m, i, random_delay());
        } else if (op < 6) {
            cancel(m, i);
        } else if (op < 9) {
            m->now += random_step();
            run_and_check(m);
        } else if (rand() % 50 == 0) {
            /* The wall clock stepped back (libre 1.1.0's clock is
             * gettimeofday): timers keep their expiry times. */
            uint64_t back = rand() % 2 ? 5000 : (uint64_t)(rand() % 40);
            m->now = m->now > back ? m->now - back : 0;
            run_and_check(m);
        } else {
            run_and_check(m);
        }
    }
    model_free(m);
}

static void test_random_against_model(void **state)
{
    (void)state;
    random_run(1000, 1);
    random_run(0xffffff00ULL, 2);    /* level turns close together */
    random_run(1796684066725ULL, 3); /* a wall-clock time, like libre's */
    random_run(((uint64_t)1 << 32) - 7, 4);
}

/* Timers due in one millisecond fire in the order they were started,
 * whichever level each waited in. */
static void test_fifo_across_levels(void **state)
{
    (void)state;
    struct model *m = model_new(100);
    start(m, 0, 100000); /* level 2 */
    m->now += 90000;
    run_and_check(m);
    start(m, 1, 10000); /* level 1 */
    m->now += 9900;
    run_and_check(m);
    start(m, 2, 100); /* level 0 */
    start(m, 3, 100);
    m->now += 100;
    run_and_check(m);
    assert_int_equal(m->nfired, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(m->fired[i], i);
    model_free(m);
}

/* A timer started with no delay inside a handler fires in the same run;
 * one started after a run, in the same millisecond, is due at once. */
static struct twheel *chain_wheel;
static struct tmr chain_tmr;
static int chain_left;
static void chain_fired(void *arg);

/* The chain's timer, due at 500, started at now. */
static void chain_arm(uint64_t now)
{
    chain_tmr.th = chain_fired;
    chain_tmr.jfs = 500;
    twheel_add(chain_wheel, &chain_tmr, now);
}

static void chain_fired(void *arg)
{
    (void)arg;
    if (--chain_left > 0)
        chain_arm(500);
}

static void test_no_delay(void **state)
{
    (void)state;
    struct twheel *w = calloc(1, sizeof(*w));
    chain_wheel = w;
    twheel_init(w, 400);
    memset(&chain_tmr, 0, sizeof(chain_tmr));
    chain_left = 3;
    chain_arm(400);
    assert_int_equal(twheel_next(w, 400), 100);
    twheel_run(w, 500);
    assert_int_equal(chain_left, 0);
    assert_int_equal(twheel_count(w), 0);
    assert_int_equal(twheel_next(w, 500), 0);

    chain_left = 1;
    chain_arm(500);
    assert_int_equal(twheel_next(w, 500), 1);
    twheel_run(w, 500);
    assert_int_equal(chain_left, 0);
    free(w);
}

/* The clock steps back while a handler runs: the timer it starts for a
 * time before the wheel's is due at once, and the wheel stays whole. */
static struct tmr back_a, back_b, back_c;
static int back_fired;

static void back_count(void *arg)
{
    (void)arg;
    back_fired++;
}

static void back_start_b(void *arg)
{
    back_fired++;
    back_b.th = back_count;
    back_b.jfs = 5100; /* the clock now says 5000 */
    twheel_add(arg, &back_b, 5000);
}

static void test_clock_back_in_handler(void **state)
{
    (void)state;
    struct twheel *w = calloc(1, sizeof(*w));
    twheel_init(w, 0);
    back_fired = 0;
    back_a = (struct tmr){.th = back_start_b, .arg = w, .jfs = 10000};
    back_c = (struct tmr){.th = back_count, .jfs = 20000};
    twheel_add(w, &back_a, 0);
    twheel_add(w, &back_c, 0);
    twheel_run(w, 10000);
    assert_int_equal(back_fired, 2); /* a, and b at once */
    assert_int_equal(twheel_count(w), 1);
    twheel_run(w, 5000); /* placed again from 5000 */
    assert_int_equal(back_fired, 2);
    uint64_t next = twheel_next(w, 5000);
    assert_true(next > 1 && next <= 15000);
    twheel_run(w, 19999);
    assert_int_equal(back_fired, 2);
    twheel_run(w, 20000);
    assert_int_equal(back_fired, 3);
    assert_int_equal(twheel_count(w), 0);
    free(w);
}

/* A far timer, then a jump of the clock past a year: no stall. */
static void test_far_and_jump(void **state)
{
    (void)state;
    struct model *m = model_new(5);
    start(m, 0, 200ULL * 24 * 3600 * 1000); /* 200 days: past the wheel */
    start(m, 1, 7);
    m->now += 365ULL * 24 * 3600 * 1000;
    run_and_check(m);
    assert_int_equal(m->nfired, 2);
    model_free(m);
}

/* ---- in the process: libre's loop and libre's own timers ---- */

static int fired_in_loop;

static void stop_loop(void *arg)
{
    (void)arg;
    fired_in_loop++;
    re_cancel();
}

static void rtp_drop(const struct sa *src, const struct rtp_header *hdr, struct mbuf *mb, void *arg)
{
    (void)src;
    (void)hdr;
    (void)mb;
    (void)arg;
}

static void test_libre_uses_the_wheel(void **state)
{
    (void)state;
    struct twheel *w = timers_thread_wheel();
    unsigned before = twheel_count(w);

    /* libre's loop polls the wheel */
    struct tmr t;
    tmr_init(&t);
    tmr_start(&t, 5, stop_loop, NULL);
    assert_int_equal(twheel_count(w), before + 1);
    assert_int_equal(re_main(NULL), 0);
    assert_int_equal(fired_in_loop, 1);
    assert_false(tmr_isrunning(&t));

    /* libre's RTCP starts its timer inside libre: it lands in the wheel */
    struct rtp_sock *rtp = NULL;
    struct sa local, peer;
    sa_set_str(&local, "127.0.0.1", 0);
    sa_set_str(&peer, "127.0.0.1", 9);
    assert_int_equal(
        rtp_listen(&rtp, IPPROTO_UDP, &local, 40000, 49998, true, rtp_drop, NULL, NULL), 0);
    unsigned with_socket = twheel_count(w);
    rtcp_start(rtp, "test", &peer);
    assert_int_equal(twheel_count(w), with_socket + 1);
    mem_deref(rtp);
    assert_int_equal(twheel_count(w), with_socket);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_fifo_across_levels),
        cmocka_unit_test(test_no_delay),
        cmocka_unit_test(test_far_and_jump),
        cmocka_unit_test(test_clock_back_in_handler),
        cmocka_unit_test(test_libre_uses_the_wheel),
    };
    if (libre_init() != 0)
        return 1;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    libre_close();
    return failed;
}
