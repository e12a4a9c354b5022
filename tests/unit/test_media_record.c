/*
 * test_media_record.c - unit tests for recording legs to WAV files
 * (src/media/record.c, writer.c): real RTP on 127.0.0.1 from test-side
 * peers, files read back and checked sample by sample.
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

static char path1[64], path2[64];

/* Frame k of a peer: every sample the same value, distinct per frame and
 * per side (A positive, B negative), exact through G.711. */
static int16_t frame_value(int side, unsigned k)
{
    int16_t v = (int16_t)(side ? -(int)(1000 + 40 * k) : (int)(500 + 40 * k));

    return side ? g711_alaw2pcm(g711_pcm2alaw(v)) : g711_ulaw2pcm(g711_pcm2ulaw(v));
}

static void send_frame(struct peer *p, uint16_t port, int side, unsigned k, uint32_t ts)
{
    uint8_t payload[160];
    int16_t v = frame_value(side, k);

    memset(payload, side ? g711_pcm2alaw(v) : g711_pcm2ulaw(v), sizeof(payload));
    peer_send(p, port, side ? 8 : 0, false, p->seq++, ts, payload, sizeof(payload));
}

/* Where the run of frame value v starts in channel ch, -1 if absent. */
static long find_value(const int16_t *s, size_t frames, unsigned channels, unsigned ch, int16_t v)
{
    for (size_t i = 0; i < frames; i++) {
        if (s[i * channels + ch] == v)
            return (long)i;
    }
    return -1;
}

/* Frames first..last of a side are in channel ch, in order, 160 samples
 * each, one after the other; returns where the first starts. */
static long check_run(const int16_t *s, size_t frames, unsigned channels, unsigned ch, int side,
                      unsigned first, unsigned last)
{
    long at = find_value(s, frames, channels, ch, frame_value(side, first));

    assert_true(at >= 0);
    for (unsigned k = first; k <= last; k++) {
        size_t base = (size_t)at + (k - first) * 160;

        assert_true(base + 160 <= frames);
        for (size_t i = 0; i < 160; i++)
            assert_int_equal(s[(base + i) * channels + ch], frame_value(side, k));
    }
    return at;
}

static void test_record_mono(void **state)
{
    struct media *m = engine(1, PORT_MIN, PORT_MAX);
    struct peer p;
    uint16_t port;
    uint32_t leg;
    const struct media_event *ev;
    size_t frames;
    int16_t *s;
    (void)state;

    peer_open(&p);
    leg = answer_leg(m, 0, p.port, "0 101", &port);
    assert_int_equal(media_record_start(m, leg, "", 1), EINVAL);
    assert_int_equal(media_record_start(m, 4242, path1, 1), ENOENT);
    assert_int_equal(media_record_start(m, leg, path1, 7), 0);
    (void)sync_stats(m, leg);
    /* 25 frames on time, one more out of order, a duplicate */
    uint64_t t0 = tmr_jiffies();
    for (unsigned k = 0; k < 25; k++) {
        wait_until(t0 + 20 * k);
        if (k == 10) {
            p.seq++; /* comes after 11 */
            continue;
        }
        send_frame(&p, port, 0, k, 5000 + 160 * k);
        if (k == 11) {
            p.seq -= 2;
            send_frame(&p, port, 0, 10, 5000 + 160 * 10);
            p.seq++;
        }
        if (k == 12) {
            p.seq--;
            send_frame(&p, port, 0, 12, 5000 + 160 * 12); /* again */
        }
    }
    pause_ms(150);
    assert_int_equal(media_record_stop(m, leg), 0);
    ev = wait_event(MEDIA_EV_RECORD_DONE, leg, 2000);
    assert_int_equal(ev->op_id, 7);
    assert_string_equal(ev->reason, "stopped");

    s = read_wav(path1, 1, &frames);
    assert_int_equal(ev->duration_ms, frames / 8);
    assert_true(frames >= 25 * 160 && frames % 160 == 0);
    long at = check_run(s, frames, 1, 0, 0, 0, 24);
    /* silence before (the jitter buffer's depth at least) and after */
    assert_true(at >= 3 * 160);
    for (long i = 0; i < at; i++)
        assert_int_equal(s[i], 0);
    for (size_t i = (size_t)at + 25 * 160; i < frames; i++)
        assert_int_equal(s[i], 0);
    free(s);

    /* no recording: stopping says nothing */
    nevents = 0;
    assert_int_equal(media_record_stop(m, leg), 0);
    pause_ms(50);
    assert_int_equal(count_events(MEDIA_EV_RECORD_DONE, leg), 0);
    close_leg(m, leg);
    peer_close(&p);
    media_free(m);
}

/* A bridge: both sides in stereo, aligned in time although B speaks only
 * twice; the relay goes on meanwhile, and transcodes as before. */
static void test_record_bridge_stereo(void **state)
{
    struct media *m = engine(2, PORT_MIN, PORT_MAX);
    struct peer pa, pb;
    uint16_t porta, portb;
    uint32_t a, b;
    const struct media_event *ev;
    size_t frames;
    int16_t *s;
    (void)state;

    peer_open(&pa);
    peer_open(&pb);
    a = answer_leg(m, 0, pa.port, "0", &porta);
    b = answer_leg(m, a, pb.port, "8", &portb);
    assert_int_equal(media_bridge(m, a, b), 0);
    assert_int_equal(media_record_start(m, a, path1, 1), 0);
    (void)sync_stats(m, a);

    uint64_t t0 = tmr_jiffies();
    for (unsigned k = 0; k < 60; k++) {
        wait_until(t0 + 20 * k);
        send_frame(&pa, porta, 0, k, 1000 + 160 * k);
        /* B talks in frames 20..29 and 40..44, its timestamps running on
         * through its silence */
        if ((k >= 20 && k < 30) || (k >= 40 && k < 45))
            send_frame(&pb, portb, 1, k, 90000 + 160 * k);
    }
    pause_ms(150);
    assert_int_equal(media_record_stop(m, a), 0);
    ev = wait_event(MEDIA_EV_RECORD_DONE, a, 2000);
    assert_string_equal(ev->reason, "stopped");

    /* the relay went on: B heard A, in PCMA */
    peer_drain(&pb);
    assert_true(pb.nrx >= 55);
    assert_int_equal(pb.rx[0].pt, 8);

    s = read_wav(path1, 2, &frames);
    assert_int_equal(ev->duration_ms, frames / 8);
    long a0 = check_run(s, frames, 2, 0, 0, 0, 59);
    long b20 = check_run(s, frames, 2, 1, 1, 20, 29);
    long b40 = check_run(s, frames, 2, 1, 1, 40, 44);
    /* B's frames sit beside A's of the same moment, after its silence too */
    assert_true(labs(b20 - (a0 + 20 * 160)) <= 160);
    assert_true(labs(b40 - (a0 + 40 * 160)) <= 160);
    /* B said nothing else: silence on the right */
    for (size_t i = 0; i < frames; i++) {
        bool spoke =
            ((long)i >= b20 && (long)i < b20 + 1600) || ((long)i >= b40 && (long)i < b40 + 800);

        if (!spoke)
            assert_int_equal(s[i * 2 + 1], 0);
    }
    free(s);

    close_leg(m, a);
    close_leg(m, b);
    peer_close(&pa);
    peer_close(&pb);
    media_free(m);
}

/* The leg closes while recording: the file is finished, RECORD_DONE comes
 * before CLOSED. A new recording replaces the one under way. A file that
 * cannot be written says so. */
static void test_record_close_replace_error(void **state)
{
    struct media *m = engine(1, PORT_MIN, PORT_MAX);
    struct peer p;
    uint16_t port;
    uint32_t leg;
    const struct media_event *ev;
    size_t frames;
    int16_t *s;
    (void)state;

    peer_open(&p);
    leg = answer_leg(m, 0, p.port, "0", &port);
    assert_int_equal(media_record_start(m, leg, path2, 1), 0);
    assert_int_equal(media_record_start(m, leg, path1, 2), 0);
    ev = wait_event(MEDIA_EV_RECORD_DONE, leg, 2000);
    assert_int_equal(ev->op_id, 1);
    assert_string_equal(ev->reason, "stopped");
    for (unsigned k = 0; k < 10; k++) {
        send_frame(&p, port, 0, k, 160 * k);
        pause_ms(20);
    }
    pause_ms(100);
    media_leg_close(m, leg);
    (void)wait_event(MEDIA_EV_CLOSED, leg, 2000);
    ev = find_event(MEDIA_EV_RECORD_DONE, leg);
    assert_int_equal(count_events(MEDIA_EV_RECORD_DONE, leg), 2);
    ev = &events[nevents - 2];
    assert_int_equal(ev->type, MEDIA_EV_RECORD_DONE);
    assert_int_equal(ev->op_id, 2);
    assert_string_equal(ev->reason, "closed");
    assert_true(ev->duration_ms >= 200);
    s = read_wav(path1, 1, &frames);
    assert_int_equal(ev->duration_ms, frames / 8);
    (void)check_run(s, frames, 1, 0, 0, 0, 9);
    free(s);

    nevents = 0;
    leg = answer_leg(m, 0, p.port, "0", &port);
    assert_int_equal(media_record_start(m, leg, "/nonexistent/dir/x.wav", 3), 0);
    pause_ms(100);
    assert_int_equal(media_record_stop(m, leg), 0);
    ev = wait_event(MEDIA_EV_RECORD_DONE, leg, 2000);
    assert_int_equal(ev->op_id, 3);
    assert_string_equal(ev->reason, "error");
    close_leg(m, leg);
    peer_close(&p);
    media_free(m);
}

/* The engine goes while a leg records: the file is still complete. */
static void test_record_engine_free(void **state)
{
    struct media *m = engine(1, PORT_MIN, PORT_MAX);
    struct peer p;
    uint16_t port;
    uint32_t leg;
    size_t frames;
    int16_t *s;
    (void)state;

    peer_open(&p);
    leg = answer_leg(m, 0, p.port, "0", &port);
    assert_int_equal(media_record_start(m, leg, path1, 1), 0);
    for (unsigned k = 0; k < 5; k++) {
        send_frame(&p, port, 0, k, 160 * k);
        pause_ms(20);
    }
    pause_ms(100);
    unsigned before = nevents;
    media_free(m);
    assert_int_equal(nevents, before);
    s = read_wav(path1, 1, &frames);
    (void)check_run(s, frames, 1, 0, 0, 0, 4);
    free(s);
    peer_close(&p);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(path1, sizeof(path1), "/tmp/test_record_%d_1.wav", (int)getpid());
    snprintf(path2, sizeof(path2), "/tmp/test_record_%d_2.wav", (int)getpid());
    return libre_init();
}

static int group_teardown(void **state)
{
    (void)state;
    unlink(path1);
    unlink(path2);
    libre_close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_mono),
        cmocka_unit_test(test_record_bridge_stereo),
        cmocka_unit_test(test_record_close_replace_error),
        cmocka_unit_test(test_record_engine_free),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
