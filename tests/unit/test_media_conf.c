/*
 * test_media_conf.c - unit tests for conferences (src/media/conf.c): legs
 * of different codecs on one worker, each hearing the others' sum and not
 * itself, saturation, joining from a bridge, leaving, recording the mix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "media_peer.h"

#include <rem_g711.h>

static char path[64];

/* 20 ms of one value from a peer, in its codec; the timestamp follows the
 * clock, through the pauses between the test's steps. */
static void say(struct peer *p, uint16_t port, uint8_t pt, int16_t v)
{
    uint8_t payload[160];

    memset(payload, pt == 8 ? g711_pcm2alaw(v) : g711_pcm2ulaw(v), sizeof(payload));
    peer_send(p, port, pt, false, p->seq++, (uint32_t)(tmr_jiffies() * 8), payload,
              sizeof(payload));
}

/* The value a packet ends with (the peers' timestamps follow the clock,
 * so a change of value may fall inside a packet). */
static int value_of(const struct pkt *k)
{
    uint8_t b = k->payload[k->len - 1];

    return k->pt == 8 ? g711_alaw2pcm(b) : g711_ulaw2pcm(b);
}

static bool near_value(int got, int want)
{
    return abs(got - want) <= abs(want) / 16 + 8;
}

/* The peers talk for n frames on time (a value of INT16_MIN: silent). */
static void talk(struct peer **ps, const uint16_t *ports, const uint8_t *pts, const int16_t *vals,
                 unsigned np, unsigned n)
{
    uint64_t t0 = tmr_jiffies();

    for (unsigned k = 0; k < n; k++) {
        wait_until(t0 + 20 * k);
        for (unsigned i = 0; i < np; i++) {
            if (vals[i] != INT16_MIN)
                say(ps[i], ports[i], pts[i], vals[i]);
        }
        for (unsigned i = 0; i < np; i++)
            peer_drain(ps[i]);
    }
}

static void forget(struct peer *p)
{
    peer_drain(p);
    p->nrx = 0;
}

static void test_conf_mix(void **state)
{
    struct media *m = engine(2, PORT_MIN, PORT_MAX);
    struct peer pa, pb, pc, pd;
    struct peer *ps[3] = {&pa, &pb, &pc};
    uint16_t ports[3], portd;
    const uint8_t pts[3] = {0, 8, 0};
    uint32_t a, b, c, d, conf = 0;
    const int16_t va = g711_ulaw2pcm(g711_pcm2ulaw(4000));
    const int16_t vb = g711_alaw2pcm(g711_pcm2alaw(-3000));
    (void)state;

    peer_open(&pa);
    peer_open(&pb);
    peer_open(&pc);
    peer_open(&pd);
    a = answer_leg(m, 0, pa.port, "0", &ports[0]);
    b = answer_leg(m, a, pb.port, "8", &ports[1]);
    c = answer_leg(m, a, pc.port, "0", &ports[2]);
    d = answer_leg(m, 0, pd.port, "0", &portd); /* the other worker */
    assert_int_equal(media_bridge(m, a, b), 0);

    assert_int_equal(media_conf_alloc(m, 999, &conf), ENOENT);
    assert_int_equal(media_conf_alloc(m, a, &conf), 0);
    assert_true(conf != 0 && conf != a && conf != b && conf != c && conf != d);
    assert_int_equal(media_conf_join(m, conf, d), EXDEV);
    assert_int_equal(media_conf_join(m, conf + 100, a), ENOENT);
    /* from the bridge: A and B join (the bridge is undone), then C */
    assert_int_equal(media_conf_join(m, conf, a), 0);
    assert_int_equal(media_conf_join(m, conf, b), 0);
    assert_int_equal(media_conf_join(m, conf, c), 0);
    (void)sync_stats(m, a);

    /* A and B talk, C says nothing: A hears B, B hears A, C both */
    int16_t vals[3] = {va, vb, INT16_MIN};
    talk(ps, ports, pts, vals, 3, 20);
    for (unsigned i = 0; i < 3; i++) {
        forget(ps[i]);
        assert_true(peer_wait(ps[i], 3, 1000));
    }
    talk(ps, ports, pts, vals, 3, 10);
    assert_int_equal(pa.rx[pa.nrx - 1].pt, 0);
    assert_int_equal(pb.rx[pb.nrx - 1].pt, 8);
    assert_int_equal(pc.rx[pc.nrx - 1].pt, 0);
    for (unsigned i = 1; i < pa.nrx; i++) {
        assert_int_equal(pa.rx[i].ts - pa.rx[i - 1].ts, 160);
        assert_int_equal((uint16_t)(pa.rx[i].seq - pa.rx[i - 1].seq), 1);
    }
    assert_true(near_value(value_of(&pa.rx[pa.nrx - 1]), vb));
    assert_true(near_value(value_of(&pb.rx[pb.nrx - 1]), va));
    assert_true(near_value(value_of(&pc.rx[pc.nrx - 1]), va + vb));

    /* loud: the sum saturates instead of wrapping round (looked for among
     * the packets of the loud stretch: the mix trails by the jitter
     * buffer, more so on a slow machine) */
    vals[0] = vals[1] = 30000;
    vals[2] = -200;
    unsigned c0 = pc.nrx, a0 = pa.nrx;
    talk(ps, ports, pts, vals, 3, 10);
    pause_ms(40);
    peer_drain(&pa);
    peer_drain(&pc);
    bool saturated = false, a_loud = false;
    for (unsigned i = c0; i < pc.nrx; i++)
        saturated |= value_of(&pc.rx[i]) > 30000;
    for (unsigned i = a0; i < pa.nrx; i++)
        a_loud |= near_value(value_of(&pa.rx[i]), 30000 - 200);
    assert_true(saturated);
    assert_true(a_loud);

    /* C leaves: it is sent nothing more, and no longer heard */
    assert_int_equal(media_conf_leave(m, c), 0);
    uint64_t tx = sync_stats(m, c).tx_packets;
    vals[0] = va;
    vals[1] = vb;
    talk(ps, ports, pts, vals, 3, 10);
    assert_int_equal(sync_stats(m, c).tx_packets, tx);
    assert_true(near_value(value_of(&pa.rx[pa.nrx - 1]), vb));

    /* the conference ends: A and B are idle, sent nothing */
    media_conf_free(m, conf);
    uint64_t txa = sync_stats(m, a).tx_packets;
    pause_ms(100);
    assert_int_equal(sync_stats(m, a).tx_packets, txa);
    assert_int_equal(media_conf_join(m, conf, a), ENOENT);
    /* and can be bridged again */
    assert_int_equal(media_bridge(m, a, b), 0);
    (void)sync_stats(m, a);
    forget(&pb);
    say(&pa, ports[0], 0, va);
    assert_true(peer_wait(&pb, 1, 1000));

    close_leg(m, a);
    close_leg(m, b);
    close_leg(m, c);
    close_leg(m, d);
    for (unsigned i = 0; i < 3; i++)
        peer_close(ps[i]);
    peer_close(&pd);
    media_free(m);
}

/* A leg records while in a conference: its voice and the mix it hears. A
 * leg closing leaves the conference; freeing the engine frees it. */
static void test_conf_record(void **state)
{
    struct media *m = engine(1, PORT_MIN, PORT_MAX);
    struct peer pa, pb;
    struct peer *ps[2] = {&pa, &pb};
    uint16_t ports[2];
    const uint8_t pts[2] = {0, 0};
    uint32_t a, b, conf;
    const struct media_event *ev;
    const int16_t va = g711_ulaw2pcm(g711_pcm2ulaw(2000));
    const int16_t vb = g711_ulaw2pcm(g711_pcm2ulaw(-5000));
    size_t frames;
    int16_t *s;
    (void)state;

    peer_open(&pa);
    peer_open(&pb);
    a = answer_leg(m, 0, pa.port, "0", &ports[0]);
    b = answer_leg(m, a, pb.port, "0", &ports[1]);
    assert_int_equal(media_conf_alloc(m, 0, &conf), 0);
    assert_int_equal(media_conf_join(m, conf, a), 0);
    assert_int_equal(media_conf_join(m, conf, b), 0);
    assert_int_equal(media_record_start(m, a, path, 5), 0);
    int16_t vals[2] = {va, vb};
    talk(ps, ports, pts, vals, 2, 25);
    pause_ms(100);
    assert_int_equal(media_record_stop(m, a), 0);
    ev = wait_event(MEDIA_EV_RECORD_DONE, a, 2000);
    assert_string_equal(ev->reason, "stopped");

    s = read_wav(path, 2, &frames);
    assert_int_equal(ev->duration_ms, frames / 8);
    size_t both = 0;
    for (size_t i = 0; i < frames; i++) {
        if (s[2 * i] == va && s[2 * i + 1] == vb)
            both++;
        else
            assert_true((s[2 * i] == 0 || s[2 * i] == va) &&
                        (s[2 * i + 1] == 0 || s[2 * i + 1] == vb));
    }
    /* 25 frames said; some slack for a loaded machine */
    assert_true(both >= 15 * 160);
    free(s);

    /* B hangs up: A stays in, hearing silence */
    close_leg(m, b);
    forget(&pa);
    assert_true(peer_wait(&pa, 3, 1000));
    assert_int_equal(value_of(&pa.rx[pa.nrx - 1]), g711_ulaw2pcm(g711_pcm2ulaw(0)));
    media_free(m);
    peer_close(&pa);
    peer_close(&pb);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "/tmp/test_conf_%d.wav", (int)getpid());
    return libre_init();
}

static int group_teardown(void **state)
{
    (void)state;
    unlink(path);
    libre_close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conf_mix),
        cmocka_unit_test(test_conf_record),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
