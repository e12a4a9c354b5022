/*
 * test_jitter.c - unit tests for the media engine's jitter buffer
 * (src/media/jitter.c): order, duplicates, loss, lateness, bursts, restarts,
 * and both ways of taking frames (on a clock, as packets arrive).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/libre.h"
#include "media/jitter.h"

enum { SSRC = 0x1234, DEPTH_FRAMES = JITTER_DEPTH_MS / 20 };

/* A 20 ms frame whose samples all hold its number (never 0). */
static void put_frame(struct jitter *jb, uint16_t seq)
{
    int16_t pcm[JITTER_FRAME];

    for (size_t i = 0; i < JITTER_FRAME; i++)
        pcm[i] = (int16_t)(seq + 1);
    jitter_put(jb, SSRC, seq, 1000u + 160u * seq, pcm, JITTER_FRAME);
}

/* The next frame's number (its first sample less one), -1 for silence;
 * checks the frame is all one value. */
static int get_frame(struct jitter *jb)
{
    int16_t f[JITTER_FRAME];
    size_t got = jitter_get(jb, f);

    for (size_t i = 1; i < JITTER_FRAME; i++)
        assert_int_equal(f[i], f[0]);
    assert_int_equal(got, f[0] ? JITTER_FRAME : 0);
    return f[0] ? f[0] - 1 : -1;
}

static struct jitter *new_jb(unsigned depth_ms)
{
    struct jitter *jb = NULL;

    assert_int_equal(jitter_alloc(&jb, depth_ms), 0);
    return jb;
}

/* Playout starts `depth` late: three silent frames, then the audio. */
static void skip_depth(struct jitter *jb)
{
    for (int i = 0; i < DEPTH_FRAMES; i++)
        assert_int_equal(get_frame(jb), -1);
}

static void test_in_order(void **state)
{
    struct jitter *jb = new_jb(0);
    struct jitter_stats st;
    int16_t f[JITTER_FRAME];
    (void)state;

    /* nothing yet: silence, and the clock does not start */
    assert_int_equal(jitter_get(jb, f), 0);
    assert_false(jitter_pending(jb));
    for (uint16_t s = 0; s < 5; s++)
        put_frame(jb, s);
    skip_depth(jb);
    for (int s = 0; s < 5; s++)
        assert_int_equal(get_frame(jb), s);
    assert_int_equal(get_frame(jb), -1);
    jitter_stats(jb, &st);
    assert_int_equal(st.put, 5);
    assert_int_equal(st.dups + st.late + st.trimmed + st.resyncs, 0);
    mem_deref(jb);
}

static void test_reorder(void **state)
{
    struct jitter *jb = new_jb(0);
    const uint16_t order[] = {0, 2, 1, 4, 3, 5};
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(order); i++)
        put_frame(jb, order[i]);
    skip_depth(jb);
    for (int s = 0; s < 6; s++)
        assert_int_equal(get_frame(jb), s);
    mem_deref(jb);
}

static void test_duplicates(void **state)
{
    struct jitter *jb = new_jb(0);
    struct jitter_stats st;
    (void)state;

    put_frame(jb, 0);
    put_frame(jb, 1);
    put_frame(jb, 1); /* a duplicate while waiting */
    put_frame(jb, 0);
    skip_depth(jb);
    assert_int_equal(get_frame(jb), 0);
    assert_int_equal(get_frame(jb), 1);
    put_frame(jb, 1); /* a late duplicate, after it was played */
    put_frame(jb, 2);
    assert_int_equal(get_frame(jb), 2);
    jitter_stats(jb, &st);
    assert_int_equal(st.dups, 2);
    assert_int_equal(st.late, 1);
    assert_int_equal(st.put, 6);
    mem_deref(jb);
}

static void test_loss_and_late(void **state)
{
    struct jitter *jb = new_jb(0);
    struct jitter_stats st;
    (void)state;

    /* 2 lost, 4 arrives after its time */
    put_frame(jb, 0);
    put_frame(jb, 1);
    put_frame(jb, 3);
    skip_depth(jb);
    assert_int_equal(get_frame(jb), 0);
    assert_int_equal(get_frame(jb), 1);
    assert_int_equal(get_frame(jb), -1); /* 2: concealed with silence */
    assert_int_equal(get_frame(jb), 3);
    assert_int_equal(get_frame(jb), -1);
    put_frame(jb, 4); /* too late */
    put_frame(jb, 5);
    assert_int_equal(get_frame(jb), 5);
    jitter_stats(jb, &st);
    assert_int_equal(st.late, 1);
    assert_true(st.concealed >= DEPTH_FRAMES + 2);
    assert_int_equal(st.resyncs, 0);
    mem_deref(jb);
}

/* A packet up to the depth late still finds its place. */
static void test_late_within_depth(void **state)
{
    struct jitter *jb = new_jb(0);
    (void)state;

    put_frame(jb, 0);
    skip_depth(jb);
    assert_int_equal(get_frame(jb), 0);
    put_frame(jb, 2);
    put_frame(jb, 3);
    put_frame(jb, 4);
    put_frame(jb, 1); /* three frames after 2, 3, 4 */
    for (int s = 1; s <= 4; s++)
        assert_int_equal(get_frame(jb), s);
    mem_deref(jb);
}

/* Packets of 10 and 30 ms come out as 20 ms frames, in their place. */
static void test_other_ptimes(void **state)
{
    struct jitter *jb = new_jb(40);
    int16_t pcm[240], f[JITTER_FRAME];
    (void)state;

    for (int i = 0; i < 240; i++)
        pcm[i] = (int16_t)(i + 1);
    jitter_put(jb, SSRC, 1, 0, pcm, 80);        /* 0..79 */
    jitter_put(jb, SSRC, 3, 160, pcm + 80, 80); /* 160..239; 80..159 lost */
    jitter_put(jb, SSRC, 4, 240, pcm, 240);     /* 240..479 */
    assert_int_equal(jitter_get(jb, f), 0);
    assert_int_equal(jitter_get(jb, f), 0);
    assert_int_equal(jitter_get(jb, f), 80);
    assert_int_equal(f[0], 1);
    assert_int_equal(f[79], 80);
    assert_int_equal(f[80], 0);
    assert_int_equal(jitter_get(jb, f), 160);
    assert_int_equal(f[0], 81);
    assert_int_equal(f[79], 160);
    assert_int_equal(f[80], 1);
    assert_int_equal(jitter_get(jb, f), 160);
    assert_int_equal(f[0], 81);
    mem_deref(jb);
}

/* A burst (a network stall let go) is cut back to the depth. */
static void test_burst_trimmed(void **state)
{
    struct jitter *jb = new_jb(0);
    struct jitter_stats st;
    (void)state;

    for (uint16_t s = 0; s < 40; s++)
        put_frame(jb, s);
    jitter_stats(jb, &st);
    assert_true(st.trimmed > 0);
    /* what is left: the newest audio, about `depth` of it */
    int first = get_frame(jb);
    assert_true(first > 20 && first <= 40 - DEPTH_FRAMES);
    int n = 1;
    while (get_frame(jb) >= 0)
        n++;
    assert_true(n >= DEPTH_FRAMES && n <= DEPTH_FRAMES + 1 + 200 / 20);
    mem_deref(jb);
}

static void test_resync(void **state)
{
    struct jitter *jb = new_jb(0);
    struct jitter_stats st;
    int16_t pcm[JITTER_FRAME];
    (void)state;

    put_frame(jb, 0);
    skip_depth(jb);
    assert_int_equal(get_frame(jb), 0);
    /* a new source with other timestamps: heard after the depth */
    for (size_t i = 0; i < JITTER_FRAME; i++)
        pcm[i] = 77;
    jitter_put(jb, SSRC + 1, 9, 999999, pcm, JITTER_FRAME);
    skip_depth(jb);
    assert_int_equal(get_frame(jb), 76);

    /* the same source whose timestamps went back: a run of late packets */
    for (uint16_t s = 0; s < 8; s++) {
        for (size_t i = 0; i < JITTER_FRAME; i++)
            pcm[i] = (int16_t)(100 + s);
        jitter_put(jb, SSRC + 1, (uint16_t)(10 + s), 5000u + 160u * s, pcm, JITTER_FRAME);
    }
    jitter_stats(jb, &st);
    assert_int_equal(st.resyncs, 2);
    assert_int_equal(st.late, 4);
    skip_depth(jb);
    assert_int_equal(get_frame(jb), 103); /* the fifth one restarted playout */
    mem_deref(jb);
}

/* Taken as packets arrive: each frame once it is `depth` old, then a drain. */
static void test_arrival_paced(void **state)
{
    struct jitter *jb = new_jb(0);
    int out[16], n = 0;
    (void)state;

    assert_false(jitter_ready(jb));
    for (uint16_t s = 0; s < 10; s++) {
        if (s == 6)
            continue; /* lost */
        put_frame(jb, s);
        while (jitter_ready(jb))
            out[n++] = get_frame(jb);
    }
    /* three frames of depth went first, as silence */
    assert_int_equal(n, DEPTH_FRAMES + 10 - DEPTH_FRAMES);
    while (jitter_pending(jb))
        out[n++] = get_frame(jb);
    assert_int_equal(n, DEPTH_FRAMES + 10);
    for (int i = 0; i < DEPTH_FRAMES; i++)
        assert_int_equal(out[i], -1);
    for (int s = 0; s < 10; s++)
        assert_int_equal(out[DEPTH_FRAMES + s], s == 6 ? -1 : s);
    mem_deref(jb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),          cmocka_unit_test(test_reorder),
        cmocka_unit_test(test_duplicates),        cmocka_unit_test(test_loss_and_late),
        cmocka_unit_test(test_late_within_depth), cmocka_unit_test(test_other_ptimes),
        cmocka_unit_test(test_burst_trimmed),     cmocka_unit_test(test_resync),
        cmocka_unit_test(test_arrival_paced),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
