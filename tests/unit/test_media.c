/*
 * test_media.c - unit tests for the media engine (src/media/): real UDP on
 * 127.0.0.1 between legs on the engine's worker threads and a test-side RTP
 * peer made of plain sockets; the main loop runs here and gets the events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <math.h>
#include <cmocka.h>

#include "media_peer.h"

#include <rem_g711.h>

/* ---- tests ---- */

static void test_answer_sdp(void **state)
{
    struct media *m = engine(2, PORT_MIN, PORT_MAX);
    const char *offer = offer_sdp(40000, "8 0 101", NULL);
    char *answer = NULL;
    uint32_t leg = 0;
    uint16_t port;
    struct media_stats st;
    (void)state;

    assert_int_equal(media_leg_answer(m, 0, offer, strlen(offer), &leg, &answer), 0);
    port = sdp_port(answer);
    assert_true(port >= PORT_MIN && port <= PORT_MAX && port % 2 == 0);
    /* the peer's first codec first, telephone-event with its type */
    assert_non_null(strstr(answer, "RTP/AVP 8 "));
    assert_non_null(strstr(answer, "a=rtpmap:101 telephone-event/8000"));
    assert_non_null(strstr(answer, "c=IN IP4 127.0.0.1"));
    assert_non_null(strstr(answer, "a=sendrecv"));
    mem_deref(answer);
    st = sync_stats(m, leg);
    assert_string_equal(st.codec, "PCMA");
    assert_true(st.rtt_ms < 0);

    /* PCMU preferred */
    offer = offer_sdp(40002, "0 8", NULL);
    uint32_t leg2 = 0;
    assert_int_equal(media_leg_answer(m, 0, offer, strlen(offer), &leg2, &answer), 0);
    assert_non_null(strstr(answer, "RTP/AVP 0"));
    assert_true(leg2 != leg && leg2 != 0);
    assert_int_not_equal(sdp_port(answer), port);
    mem_deref(answer);
    assert_string_equal(sync_stats(m, leg2).codec, "PCMU");

    /* no common codec; not SDP */
    uint32_t leg3 = 0;
    answer = NULL;
    offer = offer_sdp(40004, "9 18", NULL);
    assert_int_equal(media_leg_answer(m, 0, offer, strlen(offer), &leg3, &answer), EPROTO);
    assert_null(answer);
    assert_int_equal(media_leg_answer(m, 0, "hello", 5, &leg3, &answer), EINVAL);
    assert_int_equal(media_leg_stats(m, 12345, &st), ENOENT);
    assert_int_equal(media_echo(m, 12345), ENOENT);

    close_leg(m, leg);
    close_leg(m, leg2);
    assert_int_equal(media_leg_stats(m, leg, &st), ENOENT);
    media_free(m);
}

static void test_echo_latching(void **state)
{
    struct media *m = engine(2, PORT_MIN, PORT_MAX);
    struct peer p;
    uint16_t port;
    uint32_t leg;
    const struct media_event *ev;
    (void)state;

    peer_open(&p);
    /* the SDP names a port nobody listens on: the echo must follow the
     * packets' source (symmetric RTP) */
    leg = answer_leg(m, 0, 9, "0 8 101", &port);
    assert_int_equal(media_echo(m, leg), 0);
    (void)sync_stats(m, leg);
    for (int i = 0; i < 10; i++)
        peer_audio(&p, port, (uint8_t)(0x10 + i));
    assert_true(peer_wait(&p, 10, 2000));
    for (unsigned i = 0; i < 10; i++) {
        assert_int_equal(p.rx[i].pt, 0);
        assert_int_equal(p.rx[i].len, 160);
        assert_int_equal(p.rx[i].payload[0], 0x10 + i);
        assert_int_equal(p.rx[i].payload[159], 0x10 + i);
        assert_int_not_equal(p.rx[i].ssrc, 0x11223344);
        if (i) {
            assert_int_equal((uint16_t)(p.rx[i].seq - p.rx[i - 1].seq), 1);
            assert_int_equal(p.rx[i].ts - p.rx[i - 1].ts, 160);
            assert_int_equal(p.rx[i].ssrc, p.rx[0].ssrc);
        }
    }
    assert_true(p.rx[0].marker);

    struct media_stats st = sync_stats(m, leg);
    assert_int_equal(st.rx_packets, 10);
    assert_int_equal(st.tx_packets, 10);
    assert_int_equal(st.rx_lost, 0);

    media_leg_close(m, leg);
    ev = wait_event(MEDIA_EV_CLOSED, leg, 2000);
    assert_int_equal(ev->stats.rx_packets, 10);
    assert_int_equal(ev->stats.tx_packets, 10);
    assert_string_equal(ev->stats.codec, "PCMU");
    assert_int_equal(media_echo(m, leg), ENOENT);
    peer_close(&p);
    media_free(m);
}

static void test_loss_and_jitter(void **state)
{
    struct media *m = engine(1, PORT_MIN, PORT_MAX);
    struct peer p;
    uint16_t port;
    uint32_t leg;
    uint8_t payload[160] = {0};
    (void)state;

    peer_open(&p);
    leg = answer_leg(m, 0, p.port, "0", &port);
    (void)sync_stats(m, leg);
    /* seq 1..5 then 8..12: 6 and 7 are lost; sent at once, each 160
     * samples later in media time: the jitter grows towards 20 ms */
    for (uint16_t seq = 1; seq <= 12; seq++) {
        if (seq == 6 || seq == 7)
            continue;
        peer_send(&p, port, 0, false, seq, 160u * seq, payload, sizeof(payload));
    }
    pause_ms(100);
    struct media_stats st = sync_stats(m, leg);
    assert_int_equal(st.rx_packets, 10);
    assert_int_equal(st.rx_lost, 2);
    assert_true(st.jitter_ms > 4.0 && st.jitter_ms < 20.0);
    assert_int_equal(st.tx_packets, 0);

    /* a late packet fills a gap */
    peer_send(&p, port, 0, false, 6, 960, payload, sizeof(payload));
    pause_ms(50);
    st = sync_stats(m, leg);
    assert_int_equal(st.rx_lost, 1);
    close_leg(m, leg);
    peer_close(&p);
    media_free(m);
}

static void test_dtmf_collect(void **state)
{
    struct media *m = engine(2, PORT_MIN, PORT_MAX);
    struct peer p;
    uint16_t port;
    uint32_t leg;
    const struct media_event *ev;
    struct want w;
    (void)state;

    peer_open(&p);
    leg = answer_leg(m, 0, p.port, "0 101", &port);
    assert_int_equal(media_collect(m, leg, 10, "#", 5000, 3000, 7), 0);
    (void)sync_stats(m, leg);
    peer_digit(&p, port, 101, 1);
    peer_digit(&p, port, 101, 2);
    peer_digit(&p, port, 101, 11); /* # */
    ev = wait_event(MEDIA_EV_DIGITS, leg, 2000);
    assert_string_equal(ev->digits, "12");
    assert_string_equal(ev->reason, "terminator");
    assert_int_equal(ev->op_id, 7);
    /* every digit once, despite the retransmitted end packets */
    assert_int_equal(count_events(MEDIA_EV_DTMF, leg), 3);
    w = (struct want){MEDIA_EV_DTMF, leg, 3};
    assert_true(have_events(&w));
    const char *want = "12#";
    unsigned k = 0;
    for (unsigned i = 0; i < nevents; i++) {
        if (events[i].type == MEDIA_EV_DTMF)
            assert_int_equal(events[i].digit, want[k++]);
    }

    /* the inter-digit timeout ends the next one */
    nevents = 0;
    assert_int_equal(media_collect(m, leg, 10, "#", 5000, 200, 8), 0);
    (void)sync_stats(m, leg);
    peer_digit(&p, port, 101, 5);
    peer_digit(&p, port, 101, 10); /* * */
    ev = wait_event(MEDIA_EV_DIGITS, leg, 2000);
    assert_string_equal(ev->digits, "5*");
    assert_string_equal(ev->reason, "timeout");
    assert_int_equal(ev->op_id, 8);

    /* nothing at all: the first-digit timeout */
    nevents = 0;
    assert_int_equal(media_collect(m, leg, 4, "#", 100, 2000, 9), 0);
    ev = wait_event(MEDIA_EV_DIGITS, leg, 2000);
    assert_string_equal(ev->digits, "");
    assert_string_equal(ev->reason, "timeout");

    /* max digits */
    nevents = 0;
    assert_int_equal(media_collect(m, leg, 2, "#", 5000, 3000, 10), 0);
    (void)sync_stats(m, leg);
    peer_digit(&p, port, 101, 4);
    peer_digit(&p, port, 101, 2);
    ev = wait_event(MEDIA_EV_DIGITS, leg, 2000);
    assert_string_equal(ev->digits, "42");
    assert_string_equal(ev->reason, "max");

    close_leg(m, leg);
    peer_close(&p);
    media_free(m);
}

/* ---- playing ---- */

/* 8 frames and a part of one: 9 packets, the last padded with silence */
static char wav_path[64];
static int16_t samples[1300];

static void write_wav(const char *path, const int16_t *s, uint32_t n)
{
    FILE *f = fopen(path, "wb");
    uint32_t data = n * 2, riff = 36 + data, fmt_len = 16, srate = 8000, brate = 16000;
    uint16_t pcm = 1, ch = 1, align = 2, bits = 16;

    assert_non_null(f);
    fwrite("RIFF", 1, 4, f);
    fwrite(&riff, 4, 1, f);
    fwrite("WAVEfmt ", 1, 8, f);
    fwrite(&fmt_len, 4, 1, f);
    fwrite(&pcm, 2, 1, f);
    fwrite(&ch, 2, 1, f);
    fwrite(&srate, 4, 1, f);
    fwrite(&brate, 4, 1, f);
    fwrite(&align, 2, 1, f);
    fwrite(&bits, 2, 1, f);
    fwrite("data", 1, 4, f);
    fwrite(&data, 4, 1, f);
    fwrite(s, 2, n, f);
    fclose(f);
}

static void test_play_wav(void **state)
{
    struct media *m = engine(2, PORT_MIN, PORT_MAX);
    struct peer p;
    uint16_t port;
    uint32_t leg;
    const struct media_event *ev;
    uint64_t t0;
    (void)state;

    peer_open(&p);
    leg = answer_leg(m, 0, p.port, "0 101", &port);
    t0 = tmr_jiffies();
    assert_int_equal(media_play(m, leg, wav_path, false, 42), 0);
    ev = wait_event(MEDIA_EV_PLAY_DONE, leg, 3000);
    assert_int_equal(ev->op_id, 42);
    assert_string_equal(ev->reason, "done");
    assert_true(tmr_jiffies() - t0 >= 8 * 20);
    pause_ms(50);
    peer_drain(&p);
    assert_int_equal(p.nrx, 9);
    for (unsigned i = 0; i < 9; i++) {
        assert_int_equal(p.rx[i].pt, 0);
        assert_int_equal(p.rx[i].len, 160);
        if (i)
            assert_int_equal(p.rx[i].ts - p.rx[i - 1].ts, 160);
    }
    assert_int_equal(p.rx[0].payload[0], g711_pcm2ulaw(samples[0]));
    assert_int_equal(p.rx[3].payload[17], g711_pcm2ulaw(samples[3 * 160 + 17]));
    assert_int_equal(p.rx[8].payload[159], g711_pcm2ulaw(0));
    assert_int_equal(sync_stats(m, leg).tx_packets, 9);

    /* a file that is not there */
    assert_int_equal(media_play(m, leg, "/nonexistent.wav", false, 43), 0);
    ev = wait_event(MEDIA_EV_PLAY_DONE, leg, 1000);
    assert_true(count_events(MEDIA_EV_PLAY_DONE, leg) == 2);
    assert_int_equal(events[nevents - 1].op_id, 43);
    assert_string_equal(events[nevents - 1].reason, "error");

    /* the file changes: the next play reads it again (prompts are kept
     * encoded in memory until their file changes) */
    int16_t other[320];
    for (unsigned i = 0; i < 320; i++)
        other[i] = 4000;
    write_wav(wav_path, other, 320);
    struct timespec later[2] = {{.tv_sec = time(NULL) + 10}, {.tv_sec = time(NULL) + 10}};
    utimensat(AT_FDCWD, wav_path, later, 0);
    p.nrx = 0;
    assert_int_equal(media_play(m, leg, wav_path, false, 45), 0);
    ev = wait_event(MEDIA_EV_PLAY_DONE, leg, 3000);
    pause_ms(50);
    peer_drain(&p);
    assert_int_equal(p.nrx, 2);
    assert_int_equal(p.rx[0].payload[5], g711_pcm2ulaw(4000));
    write_wav(wav_path, samples, 1300);

    /* a loop runs until stopped */
    nevents = 0;
    assert_int_equal(media_play(m, leg, wav_path, true, 44), 0);
    pause_ms(300);
    assert_int_equal(count_events(MEDIA_EV_PLAY_DONE, leg), 0);
    assert_int_equal(media_stop(m, leg), 0);
    ev = wait_event(MEDIA_EV_PLAY_DONE, leg, 1000);
    assert_int_equal(ev->op_id, 44);
    assert_string_equal(ev->reason, "stopped");
    assert_true(sync_stats(m, leg).tx_packets >= 9 + 12);

    close_leg(m, leg);
    peer_close(&p);
    media_free(m);
}

static void test_tones(void **state)
{
    struct media *m = engine(1, PORT_MIN, PORT_MAX);
    struct peer p;
    uint16_t port;
    uint32_t leg;
    const struct media_event *ev;
    (void)state;

    peer_open(&p);
    leg = answer_leg(m, 0, p.port, "8", &port);
    assert_int_equal(media_tone(m, leg, "siren", 1), EINVAL);
    assert_int_equal(media_tone(m, leg, "beep", 2), 0);
    ev = wait_event(MEDIA_EV_PLAY_DONE, leg, 2000);
    assert_string_equal(ev->reason, "done");
    pause_ms(30);
    peer_drain(&p);
    /* 200 ms of PCMA */
    assert_int_equal(p.nrx, 10);
    assert_int_equal(p.rx[0].pt, 8);
    assert_int_not_equal(p.rx[5].payload[3], p.rx[5].payload[7]);

    /* ringback plays until stopped; then silence */
    nevents = 0;
    assert_int_equal(media_tone(m, leg, "ringback", 3), 0);
    pause_ms(100);
    assert_int_equal(media_stop(m, leg), 0);
    ev = wait_event(MEDIA_EV_PLAY_DONE, leg, 1000);
    assert_int_equal(ev->op_id, 3);
    assert_string_equal(ev->reason, "stopped");
    uint64_t tx = sync_stats(m, leg).tx_packets;
    pause_ms(100);
    assert_int_equal(sync_stats(m, leg).tx_packets, tx);

    close_leg(m, leg);
    peer_close(&p);
    media_free(m);
}

/* In-band: 100 ms of a digit's two tones, then 100 ms of silence. */
static void peer_inband_digit(struct peer *p, uint16_t to_port, double f1, double f2)
{
    for (int k = 0; k < 10; k++) {
        uint8_t payload[160];

        for (int i = 0; i < 160; i++) {
            double t = (double)(k * 160 + i) / 8000;
            double x = k < 5 ? 7000 * (sin(2 * M_PI * f1 * t) + sin(2 * M_PI * f2 * t)) : 0;

            payload[i] = g711_pcm2ulaw((int16_t)lrint(x));
        }
        peer_send(p, to_port, 0, false, p->seq++, p->ts, payload, sizeof(payload));
        p->ts += 160;
    }
}

static void test_inband_dtmf_rtp_timeout(void **state)
{
    struct media_opts o = {.threads = 1,
                           .port_min = PORT_MIN,
                           .port_max = PORT_MAX,
                           .ip = "127.0.0.1",
                           .rtp_timeout_ms = 300};
    struct media *m = NULL;
    struct peer p;
    uint16_t port;
    uint32_t leg;
    const struct media_event *ev;
    (void)state;

    nevents = 0;
    assert_int_equal(media_alloc(&m, &o, on_event, NULL), 0);
    peer_open(&p);
    /* no telephone-event offered: digits come as tones */
    leg = answer_leg(m, 0, p.port, "0", &port);
    assert_int_equal(media_collect(m, leg, 4, "#", 5000, 2000, 5), 0);
    (void)sync_stats(m, leg);
    peer_inband_digit(&p, port, 852, 1209); /* 7 */
    peer_inband_digit(&p, port, 941, 1477); /* # */
    ev = wait_event(MEDIA_EV_DIGITS, leg, 2000);
    assert_string_equal(ev->digits, "7");
    assert_string_equal(ev->reason, "terminator");
    assert_int_equal(count_events(MEDIA_EV_DTMF, leg), 2);
    assert_int_equal(count_events(MEDIA_EV_RTP_TIMEOUT, leg), 0);

    /* then the peer falls silent */
    ev = wait_event(MEDIA_EV_RTP_TIMEOUT, leg, 2000);
    assert_non_null(ev);
    pause_ms(400);
    assert_int_equal(count_events(MEDIA_EV_RTP_TIMEOUT, leg), 1);

    close_leg(m, leg);
    peer_close(&p);
    media_free(m);
}

/* ---- ports, offers, hold, bridges, shutdown ---- */

static void test_port_pool(void **state)
{
    /* 32001..32006: the pairs 32002, 32004 (32006 has no RTCP port) */
    struct media *m = engine(2, 32001, 32006);
    uint32_t legs[2];
    uint16_t ports[2], port;
    uint32_t extra = 0;
    char *answer = NULL;
    const char *offer = offer_sdp(40000, "0", NULL);
    (void)state;

    for (int i = 0; i < 2; i++)
        legs[i] = answer_leg(m, 0, 40000, "0", &ports[i]);
    assert_true(ports[0] == 32002 || ports[0] == 32004);
    assert_true(ports[1] == 32002 || ports[1] == 32004);
    assert_int_not_equal(ports[0], ports[1]);
    assert_int_equal(media_leg_answer(m, 0, offer, strlen(offer), &extra, &answer), ENOSPC);
    assert_int_equal(media_leg_offer(m, 0, &extra, &answer), ENOSPC);
    assert_null(answer);

    close_leg(m, legs[0]);
    extra = answer_leg(m, 0, 40000, "0", &port);
    assert_int_equal(port, ports[0]);
    close_leg(m, extra);
    close_leg(m, legs[1]);
    media_free(m);
}

static void test_offer_answered_hold(void **state)
{
    struct media *m = engine(2, PORT_MIN, PORT_MAX);
    struct peer p;
    char *offer = NULL, *answer = NULL;
    uint32_t leg = 0;
    uint16_t port;
    const char *sdp;
    (void)state;

    peer_open(&p);
    assert_int_equal(media_leg_offer(m, 0, &leg, &offer), 0);
    assert_non_null(strstr(offer, "RTP/AVP 0 8 101"));
    port = sdp_port(offer);
    assert_true(port >= PORT_MIN && port <= PORT_MAX);
    mem_deref(offer);
    assert_int_equal(media_leg_answered(m, leg, "junk", 4), EINVAL);
    sdp = offer_sdp(p.port, "8 101", NULL);
    assert_int_equal(media_leg_answered(m, leg, sdp, strlen(sdp)), 0);
    assert_string_equal(sync_stats(m, leg).codec, "PCMA");

    /* the peer puts us on hold: we answer recvonly and send nothing */
    sdp = offer_sdp(p.port, "8 101", "a=sendonly\r\n");
    assert_int_equal(media_leg_reoffer(m, leg, sdp, strlen(sdp), &answer), 0);
    assert_non_null(strstr(answer, "a=recvonly"));
    mem_deref(answer);
    assert_int_equal(media_tone(m, leg, "beep", 1), 0);
    (void)wait_event(MEDIA_EV_PLAY_DONE, leg, 2000);
    assert_int_equal(sync_stats(m, leg).tx_packets, 0);

    /* resumed */
    sdp = offer_sdp(p.port, "8 101", "a=sendrecv\r\n");
    assert_int_equal(media_leg_reoffer(m, leg, sdp, strlen(sdp), &answer), 0);
    assert_non_null(strstr(answer, "a=sendrecv"));
    mem_deref(answer);
    nevents = 0;
    assert_int_equal(media_tone(m, leg, "beep", 2), 0);
    (void)wait_event(MEDIA_EV_PLAY_DONE, leg, 2000);
    assert_int_equal(sync_stats(m, leg).tx_packets, 10);
    assert_true(peer_wait(&p, 10, 500));
    assert_int_equal(p.rx[0].pt, 8);

    close_leg(m, leg);
    peer_close(&p);
    media_free(m);
}

static void test_bridge(void **state)
{
    struct media *m = engine(2, PORT_MIN, PORT_MAX);
    struct peer pa, pb;
    uint16_t porta, portb, portc;
    uint32_t a, b, c;
    (void)state;

    peer_open(&pa);
    peer_open(&pb);
    a = answer_leg(m, 0, pa.port, "0", &porta);
    b = answer_leg(m, a, pb.port, "8", &portb); /* with a: same worker */
    c = answer_leg(m, 0, 40000, "0", &portc);   /* least loaded: the other one */
    assert_int_equal(media_bridge(m, a, c), EXDEV);
    assert_int_equal(media_bridge(m, a, a), EINVAL);
    assert_int_equal(media_bridge(m, a, b), 0);
    (void)sync_stats(m, a);
    (void)sync_stats(m, b);

    /* A's PCMU reaches B as PCMA, B's PCMA reaches A as PCMU */
    peer_audio(&pa, porta, g711_pcm2ulaw(1000));
    assert_true(peer_wait(&pb, 1, 2000));
    assert_int_equal(pb.rx[0].pt, 8);
    assert_int_equal(pb.rx[0].payload[0], g711_pcm2alaw(g711_ulaw2pcm(g711_pcm2ulaw(1000))));
    uint8_t alaw[160];
    memset(alaw, g711_pcm2alaw(-2000), sizeof(alaw));
    peer_send(&pb, portb, 8, false, 1, 160, alaw, sizeof(alaw));
    assert_true(peer_wait(&pa, 1, 2000));
    assert_int_equal(pa.rx[0].pt, 0);
    assert_int_equal(pa.rx[0].payload[0], g711_pcm2ulaw(g711_alaw2pcm(g711_pcm2alaw(-2000))));

    /* unbridged: nothing more is relayed */
    assert_int_equal(media_unbridge(m, a), 0);
    (void)sync_stats(m, a);
    peer_audio(&pa, porta, 0x55);
    pause_ms(100);
    peer_drain(&pb);
    assert_int_equal(pb.nrx, 1);

    close_leg(m, a);
    close_leg(m, b);
    close_leg(m, c);
    peer_close(&pa);
    peer_close(&pb);
    media_free(m);
}

static void test_free_with_live_legs(void **state)
{
    struct media *m = engine(3, PORT_MIN, PORT_MAX);
    struct peer p;
    uint16_t port;
    uint32_t legs[6];
    (void)state;

    peer_open(&p);
    for (int i = 0; i < 5; i++)
        legs[i] = answer_leg(m, 0, p.port, "0 101", &port);
    legs[5] = answer_leg(m, legs[4], p.port, "0 101", &port);
    assert_int_equal(media_echo(m, legs[0]), 0);
    assert_int_equal(media_tone(m, legs[1], "ringback", 1), 0);
    assert_int_equal(media_play(m, legs[2], wav_path, true, 2), 0);
    assert_int_equal(media_collect(m, legs[3], 4, "#", 5000, 1000, 3), 0);
    assert_int_equal(media_bridge(m, legs[4], legs[5]), 0);
    peer_audio(&p, port, 1);
    pause_ms(60);
    /* some commands still queued, some legs busy: all go, no events */
    media_leg_close(m, legs[0]);
    assert_int_equal(media_tone(m, legs[1], "busy", 4), 0);
    unsigned before = nevents;
    media_free(m);
    assert_int_equal(nevents, before);
    peer_close(&p);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(wav_path, sizeof(wav_path), "/tmp/test_media_%d.wav", (int)getpid());
    for (unsigned i = 0; i < 1300; i++)
        samples[i] = (int16_t)((int)(i * 37 % 2000) - 1000);
    write_wav(wav_path, samples, 1300);
    return libre_init();
}

static int group_teardown(void **state)
{
    (void)state;
    unlink(wav_path);
    libre_close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer_sdp),
        cmocka_unit_test(test_echo_latching),
        cmocka_unit_test(test_loss_and_jitter),
        cmocka_unit_test(test_dtmf_collect),
        cmocka_unit_test(test_inband_dtmf_rtp_timeout),
        cmocka_unit_test(test_play_wav),
        cmocka_unit_test(test_tones),
        cmocka_unit_test(test_port_pool),
        cmocka_unit_test(test_offer_answered_hold),
        cmocka_unit_test(test_bridge),
        cmocka_unit_test(test_free_with_live_legs),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
