/*
 * test_rtpstat.c - a leg's RTP figures and RTCP reports (media/rtpstat.c)
 * as pure functions: sequence numbers with a wrap, a gap and a late
 * packet; the report built from them, read back by our parser and by
 * libre's own RTCP decoder; the round trip from a report block; and
 * reports that are not well formed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/libre.h"
#include "media/rtpstat.h"

#include <errno.h>
#include <string.h>

enum { PEER = 0x11223344, OURS = 0xcafef00d, SRATE = 8000 };

/* 65530 .. 65535, 0 .. 9 with 3 and 4 missing and 3 arriving late. */
static void receive_some(struct rtp_rx *rx)
{
    rtp_rx_reset(rx, PEER);
    for (uint16_t s = 65530; s != 3; s++)
        rtp_rx_seq(rx, s);
    for (uint16_t s = 5; s < 10; s++)
        rtp_rx_seq(rx, s);
    rtp_rx_seq(rx, 3);
}

static void test_sequence(void **state)
{
    (void)state;
    struct rtp_rx rx;
    receive_some(&rx);
    assert_int_equal(rx.received, 6 + 3 + 5 + 1);
    assert_int_equal(rx.gaps, 1); /* 3 and 4 missed, 3 came late */
    assert_int_equal(rx.cycles, 1);
    assert_int_equal(rx.max_seq, 9);
    /* a duplicate changes nothing but the count */
    rtp_rx_seq(&rx, 9);
    assert_int_equal(rx.gaps, 1);
}

static void test_jitter(void **state)
{
    (void)state;
    struct rtp_rx rx;
    rtp_rx_reset(&rx, PEER);
    /* steady 20 ms packets: no jitter */
    for (int i = 0; i < 50; i++)
        rtp_rx_jitter(&rx, 1000u + 160u * (unsigned)i, 1000000 + 20000 * i, SRATE);
    assert_true(rx.jitter < 0.001);
    /* every other packet 5 ms late: |D| = 40 timestamp units each time,
     * so J tends to 40 */
    for (int i = 50; i < 400; i++)
        rtp_rx_jitter(&rx, 1000u + 160u * (unsigned)i, 1000000 + 20000 * i + (i % 2) * 5000, SRATE);
    assert_true(rx.jitter > 38 && rx.jitter < 42);
}

static void test_sender_report_round_trip(void **state)
{
    (void)state;
    struct rtp_rx rx;
    struct rtp_tx tx = {.ssrc = OURS, .seq = 7};
    uint8_t hdr[12];
    receive_some(&rx);
    rx.lsr = 0x12345678;
    rx.lsr_at_us = 1000000;
    rtp_tx_header(&tx, hdr, true, 0, 160, 160, 1000000);
    rtp_tx_header(&tx, hdr, false, 0, 320, 160, 1020000);
    assert_int_equal(hdr[0], 0x80);
    assert_int_equal(hdr[1], 0);
    assert_int_equal(hdr[2] << 8 | hdr[3], 8);
    assert_int_equal(tx.packets, 2);
    assert_int_equal(tx.octets, 320);

    uint8_t buf[128];
    uint64_t ntp = 0xe5b1c2d3a0000000ULL;
    /* 0.5 s after the peer's SR arrived; 480 ms after our last packet */
    size_t n =
        rtcp_build_report(buf, sizeof(buf), &rx, &tx, "switchboard", false, ntp, 1500000, SRATE);
    assert_true(n > 0 && n % 4 == 0);
    assert_false(tx.sent_since_report);

    /* our parser, reading as the peer would (the block is about PEER) */
    struct rtcp_seen seen;
    assert_int_equal(rtcp_parse_report(buf, n, PEER, &seen), 0);
    assert_true(seen.sr);
    assert_int_equal(seen.sr_ssrc, OURS);
    assert_int_equal(seen.sr_ntp_mid, 0xc2d3a000);
    assert_true(seen.block);
    assert_int_equal(seen.lost, 1);
    assert_int_equal(seen.fraction, 1 * 256 / 16); /* 1 of 16 expected */
    assert_int_equal(seen.lsr, 0x12345678);
    assert_int_equal(seen.dlsr, 32768); /* 0.5 s in 1/65536 s */
    assert_false(seen.bye);

    /* libre's decoder agrees on every field */
    struct mbuf *mb = mbuf_alloc(n);
    (void)mbuf_write_mem(mb, buf, n);
    mb->pos = 0;
    struct rtcp_msg *msg = NULL;
    assert_int_equal(rtcp_decode(&msg, mb), 0);
    assert_int_equal(msg->hdr.pt, RTCP_SR);
    assert_int_equal(msg->r.sr.ssrc, OURS);
    assert_int_equal(msg->r.sr.psent, 2);
    assert_int_equal(msg->r.sr.osent, 320);
    assert_int_equal(msg->r.sr.rtp_ts, 320 + 480 * SRATE / 1000);
    assert_int_equal(msg->hdr.count, 1);
    assert_int_equal(msg->r.sr.rrv[0].ssrc, PEER);
    assert_int_equal(msg->r.sr.rrv[0].last_seq, 65536 + 9);
    assert_int_equal(msg->r.sr.rrv[0].lost, 1);
    msg = mem_deref(msg);
    assert_int_equal(rtcp_decode(&msg, mb), 0);
    assert_int_equal(msg->hdr.pt, RTCP_SDES);
    assert_int_equal(msg->r.sdesv[0].src, OURS);
    assert_int_equal(msg->r.sdesv[0].itemv[0].type, RTCP_SDES_CNAME);
    assert_memory_equal(msg->r.sdesv[0].itemv[0].data, "switchboard", 11);
    msg = mem_deref(msg);
    assert_int_equal(mbuf_get_left(mb), 0);
    mem_deref(mb);

    /* nothing sent since: a receiver report, with BYE; the fraction lost
     * is since the last report (none) */
    n = rtcp_build_report(buf, sizeof(buf), &rx, &tx, "switchboard", true, ntp, 1600000, SRATE);
    assert_int_equal(rtcp_parse_report(buf, n, PEER, &seen), 0);
    assert_false(seen.sr);
    assert_true(seen.block);
    assert_int_equal(seen.fraction, 0);
    assert_int_equal(seen.lost, 1);
    assert_true(seen.bye);
    assert_int_equal(buf[1], RTCP_RR);

    /* no room: nothing */
    assert_int_equal(rtcp_build_report(buf, 20, &rx, &tx, "switchboard", false, ntp, 0, SRATE), 0);
}

static void test_rtt(void **state)
{
    (void)state;
    /* our SR went at NTP middle 0x10000000; the peer held it 0.25 s; its
     * report came 0.3 s after ours left: 50 ms round trip */
    struct rtcp_seen seen = {.block = true, .lsr = 0x10000000, .dlsr = 16384};
    uint64_t arrival = (uint64_t)(0x10000000u + 19661u) << 16;
    int64_t rtt = rtcp_rtt_us(&seen, arrival);
    assert_true(rtt > 49900 && rtt < 50100);
    /* no SR echoed: unknown */
    seen.lsr = 0;
    assert_int_equal(rtcp_rtt_us(&seen, arrival), -1);
    /* a delay longer than the time since: not plausible */
    seen.lsr = 0x10000000;
    seen.dlsr = 40000;
    assert_int_equal(rtcp_rtt_us(&seen, arrival), -1);
}

static void test_bad_reports(void **state)
{
    (void)state;
    struct rtcp_seen seen;
    /* version 1 */
    uint8_t v1[8] = {0x40, 201, 0, 1, 1, 2, 3, 4};
    assert_int_equal(rtcp_parse_report(v1, sizeof(v1), OURS, &seen), EBADMSG);
    /* a length past the end */
    uint8_t longer[8] = {0x80, 201, 0, 5, 1, 2, 3, 4};
    assert_int_equal(rtcp_parse_report(longer, sizeof(longer), OURS, &seen), EBADMSG);
    /* an SR too short for its sender info */
    uint8_t short_sr[8] = {0x80, 200, 0, 1, 1, 2, 3, 4};
    assert_int_equal(rtcp_parse_report(short_sr, sizeof(short_sr), OURS, &seen), EBADMSG);
    /* an RR claiming two blocks with room for none */
    uint8_t blocks[8] = {0x82, 201, 0, 1, 1, 2, 3, 4};
    assert_int_equal(rtcp_parse_report(blocks, sizeof(blocks), OURS, &seen), EBADMSG);
    /* a block about someone else is not ours */
    uint8_t other[32] = {0x81, 201, 0, 7, 1, 2, 3, 4, 9, 9, 9, 9, 0, 0, 0, 5};
    assert_int_equal(rtcp_parse_report(other, sizeof(other), OURS, &seen), 0);
    assert_false(seen.block);
    /* a trailing fragment shorter than a header is ignored */
    assert_int_equal(rtcp_parse_report(other, 3, OURS, &seen), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_jitter),
        cmocka_unit_test(test_sender_report_round_trip),
        cmocka_unit_test(test_rtt),
        cmocka_unit_test(test_bad_reports),
    };
    if (libre_init())
        return 1;
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    libre_close();
    return rc;
}
