/*
 * test_media_silence.c - unit tests for voice activity (src/media/vad.c):
 * silence detection: speech then silence (nothing sent, comfort noise,
 * quiet noise), no speech in time, a click that is not speech, stopping;
 * listening for an utterance: speech started, the audio handed over with
 * what came just before it, the longest utterance, no speech, stopping.
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

/* n frames of a value on time (pt 13: comfort noise packets instead). */
static void send_for(struct peer *p, uint16_t port, uint8_t pt, int16_t v, unsigned n)
{
    uint64_t t0 = tmr_jiffies();
    uint8_t payload[160];

    for (unsigned k = 0; k < n; k++) {
        wait_until(t0 + 20 * k);
        if (pt == 13) {
            payload[0] = 60; /* RFC 3389: a noise level, -60 dBov */
            peer_send(p, port, 13, false, p->seq++, p->ts, payload, 1);
        } else {
            memset(payload, g711_pcm2ulaw(v), sizeof(payload));
            peer_send(p, port, 0, false, p->seq++, p->ts, payload, sizeof(payload));
        }
        p->ts += 160;
    }
}

static void test_speech_then_silence(void **state)
{
    struct media *m = engine(1, PORT_MIN, PORT_MAX);
    struct peer p;
    uint16_t port;
    uint32_t leg;
    const struct media_event *ev;
    uint64_t t;
    (void)state;

    peer_open(&p);
    leg = answer_leg(m, 0, p.port, "0 13 101", &port);
    assert_int_equal(media_silence_detect(m, leg, 5, 300, 0, 1), EINVAL);
    assert_int_equal(media_silence_detect(m, leg, -40, 0, 0, 1), EINVAL);
    assert_int_equal(media_silence_detect(m, 4242, -40, 300, 0, 1), ENOENT);

    /* speech, then the peer sends nothing */
    assert_int_equal(media_silence_detect(m, leg, -40, 300, 0, 1), 0);
    (void)sync_stats(m, leg);
    send_for(&p, port, 0, 3000, 15);
    t = tmr_jiffies();
    pause_ms(200);
    assert_int_equal(count_events(MEDIA_EV_SILENCE, leg), 0);
    ev = wait_event(MEDIA_EV_SILENCE, leg, 2000);
    assert_true(tmr_jiffies() - t >= 300);
    assert_int_equal(ev->op_id, 1);
    assert_string_equal(ev->reason, "silence");
    assert_int_equal(ev->duration_ms, 300);

    /* speech, then comfort noise, then quiet noise (-56 dBov): silence */
    nevents = 0;
    assert_int_equal(media_silence_detect(m, leg, 0, 400, 0, 2), 0);
    (void)sync_stats(m, leg);
    send_for(&p, port, 0, -2500, 10);
    send_for(&p, port, 13, 0, 10);
    assert_int_equal(count_events(MEDIA_EV_SILENCE, leg), 0);
    send_for(&p, port, 0, 50, 20);
    ev = find_event(MEDIA_EV_SILENCE, leg);
    if (!ev)
        ev = wait_event(MEDIA_EV_SILENCE, leg, 1000);
    assert_int_equal(ev->op_id, 2);
    assert_string_equal(ev->reason, "silence");

    /* speech that goes on: nothing; a pause shorter than the limit: nothing */
    nevents = 0;
    assert_int_equal(media_silence_detect(m, leg, -40, 300, 0, 3), 0);
    (void)sync_stats(m, leg);
    send_for(&p, port, 0, 3000, 10);
    send_for(&p, port, 0, 0, 10);
    send_for(&p, port, 0, 3000, 10);
    assert_int_equal(count_events(MEDIA_EV_SILENCE, leg), 0);
    assert_int_equal(media_silence_stop(m, leg), 0);
    ev = wait_event(MEDIA_EV_SILENCE, leg, 1000);
    assert_int_equal(ev->op_id, 3);
    assert_string_equal(ev->reason, "stopped");

    close_leg(m, leg);
    peer_close(&p);
    media_free(m);
}

static void test_no_speech(void **state)
{
    struct media *m = engine(1, PORT_MIN, PORT_MAX);
    struct peer p;
    uint16_t port;
    uint32_t leg;
    const struct media_event *ev;
    uint64_t t0;
    (void)state;

    peer_open(&p);
    leg = answer_leg(m, 0, p.port, "0", &port);
    /* a click (one loud frame) is not speech */
    t0 = tmr_jiffies();
    assert_int_equal(media_silence_detect(m, leg, -40, 200, 300, 4), 0);
    (void)sync_stats(m, leg);
    send_for(&p, port, 0, 0, 5);
    send_for(&p, port, 0, 8000, 1);
    ev = wait_event(MEDIA_EV_SILENCE, leg, 2000);
    assert_int_equal(ev->op_id, 4);
    assert_string_equal(ev->reason, "timeout");
    assert_int_equal(ev->duration_ms, 300);
    assert_true(tmr_jiffies() - t0 >= 300 - 20); /* the first frame is taken at once */

    /* a new detection replaces one under way; closing the leg stops it */
    nevents = 0;
    assert_int_equal(media_silence_detect(m, leg, -40, 200, 0, 5), 0);
    assert_int_equal(media_silence_detect(m, leg, -40, 200, 0, 6), 0);
    ev = wait_event(MEDIA_EV_SILENCE, leg, 1000);
    assert_int_equal(ev->op_id, 5);
    assert_string_equal(ev->reason, "stopped");
    close_leg(m, leg);
    assert_int_equal(count_events(MEDIA_EV_SILENCE, leg), 2);
    assert_int_equal(events[nevents - 2].op_id, 6);
    assert_string_equal(events[nevents - 2].reason, "stopped");
    peer_close(&p);
    media_free(m);
}

/* Frames of pcm louder than -40 dBov (a frame is 160 samples). */
static unsigned loud_frames(const int16_t *pcm, size_t samples)
{
    unsigned n = 0;

    for (size_t f = 0; f + 160 <= samples; f += 160) {
        double sum = 0;

        for (size_t i = 0; i < 160; i++)
            sum += (double)pcm[f + i] * pcm[f + i];
        n += sum / 160 > 327.0 * 327.0; /* -40 dBov: 327 RMS */
    }
    return n;
}

static void test_listen_utterance(void **state)
{
    struct media *m = engine(1, PORT_MIN, PORT_MAX);
    struct peer p;
    uint16_t port;
    uint32_t leg;
    const struct media_event *ev;
    (void)state;

    peer_open(&p);
    leg = answer_leg(m, 0, p.port, "0", &port);
    assert_int_equal(media_listen(m, leg, 0, 0, 3000, 1), EINVAL);
    assert_int_equal(media_listen(m, leg, 400, 0, 0, 1), EINVAL);
    assert_int_equal(media_listen(m, leg, 400, 0, 90000, 1), EINVAL);
    assert_int_equal(media_listen(m, 4242, 400, 0, 3000, 1), ENOENT);

    /* 400 ms of quiet, 500 ms of speech, then nothing */
    assert_int_equal(media_listen(m, leg, 400, 0, 3000, 7), 0);
    (void)sync_stats(m, leg);
    send_for(&p, port, 0, 0, 20);
    assert_int_equal(count_events(MEDIA_EV_SPEECH, leg), 0);
    send_for(&p, port, 0, 3000, 25);
    ev = find_event(MEDIA_EV_SPEECH, leg);
    if (!ev)
        ev = wait_event(MEDIA_EV_SPEECH, leg, 1000);
    assert_string_equal(ev->reason, "started");
    assert_int_equal(ev->op_id, 7);
    assert_null(ev->pcm);
    nevents = 0;
    ev = wait_event(MEDIA_EV_SPEECH, leg, 2000);
    assert_string_equal(ev->reason, "utterance");
    assert_int_equal(ev->op_id, 7);
    assert_non_null(ev->pcm);
    /* 300 ms before the speech, its 500 ms, 300 ms of the silence after */
    assert_in_range(ev->samples, 50 * 160, 56 * 160);
    assert_int_equal(ev->duration_ms, ev->samples / 8);
    assert_in_range(loud_frames(ev->pcm, ev->samples), 24, 26);
    assert_int_equal(loud_frames(ev->pcm, 10 * 160), 0); /* it starts before the speech */
    assert_int_equal(loud_frames(ev->pcm + ev->samples - 10 * 160, 10 * 160), 0);

    /* speech that goes on past the longest utterance */
    nevents = 0;
    assert_int_equal(media_listen(m, leg, 400, 0, 400, 8), 0);
    (void)sync_stats(m, leg);
    send_for(&p, port, 0, -3000, 40);
    {
        struct want w = {MEDIA_EV_SPEECH, leg, 2};

        assert_true(run_until(have_events, &w, 1000));
    }
    ev = find_event(MEDIA_EV_SPEECH, leg);
    assert_string_equal(ev->reason, "started");
    ev++;
    while (ev->type != MEDIA_EV_SPEECH)
        ev++;
    assert_string_equal(ev->reason, "max");
    assert_non_null(ev->pcm);
    assert_in_range(loud_frames(ev->pcm, ev->samples), 20, 23);

    close_leg(m, leg);
    peer_close(&p);
    media_free(m);
}

static void test_listen_nothing(void **state)
{
    struct media *m = engine(1, PORT_MIN, PORT_MAX);
    struct peer p;
    uint16_t port;
    uint32_t leg;
    const struct media_event *ev;
    (void)state;

    peer_open(&p);
    leg = answer_leg(m, 0, p.port, "0", &port);
    assert_int_equal(media_listen(m, leg, 300, 300, 3000, 2), 0);
    (void)sync_stats(m, leg);
    send_for(&p, port, 0, 0, 5);
    ev = wait_event(MEDIA_EV_SPEECH, leg, 2000);
    assert_string_equal(ev->reason, "timeout");
    assert_null(ev->pcm);

    /* a listener replaced, then stopped; silence detection goes on beside it */
    nevents = 0;
    assert_int_equal(media_silence_detect(m, leg, -40, 200, 0, 9), 0);
    assert_int_equal(media_listen(m, leg, 300, 0, 3000, 3), 0);
    assert_int_equal(media_listen(m, leg, 300, 0, 3000, 4), 0);
    ev = wait_event(MEDIA_EV_SPEECH, leg, 1000);
    assert_int_equal(ev->op_id, 3);
    assert_string_equal(ev->reason, "stopped");
    assert_int_equal(media_listen_stop(m, leg), 0);
    {
        struct want w = {MEDIA_EV_SPEECH, leg, 2};

        assert_true(run_until(have_events, &w, 1000));
    }
    pause_ms(100);
    assert_int_equal(count_events(MEDIA_EV_SPEECH, leg), 2);
    assert_int_equal(events[nevents - 1].op_id, 4);
    assert_int_equal(count_events(MEDIA_EV_SILENCE, leg), 0);
    close_leg(m, leg);
    assert_int_equal(count_events(MEDIA_EV_SILENCE, leg), 1);
    peer_close(&p);
    media_free(m);
}

static int group_setup(void **state)
{
    (void)state;
    return libre_init();
}

static int group_teardown(void **state)
{
    (void)state;
    libre_close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_speech_then_silence),
        cmocka_unit_test(test_no_speech),
        cmocka_unit_test(test_listen_utterance),
        cmocka_unit_test(test_listen_nothing),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
