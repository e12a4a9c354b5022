/*
 * test_media_rtcp.c - RTCP on a leg: a peer that speaks RTP and RTCP
 * (libre's own stack, on the test's loop) exchanges audio with an echoing
 * leg; once reports have gone both ways, the leg's figures have a round
 * trip time, and its packet counts agree with what the peer sent.
 * RTCP reports go every 5 s, so this test takes ~10-15 s.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/libre.h"
#include "media_peer.h"

#include <string.h>

struct rtcp_peer {
    struct rtp_sock *rtp;
    unsigned rx;
    uint32_t leg_ssrc; /* the leg's source, from its RTP */
};

static void peer_rtp(const struct sa *src, const struct rtp_header *hdr, struct mbuf *mb, void *arg)
{
    (void)src;
    (void)mb;
    struct rtcp_peer *p = arg;
    p->rx++;
    p->leg_ssrc = hdr->ssrc;
}

struct rtt_wait {
    struct media *m;
    uint32_t leg;
    struct rtcp_peer *p;
    struct sa to;
    uint16_t seq;
    struct media_stats st;
};

/* Send 20 ms of audio and look at the leg's figures. */
static bool rtt_known(void *arg)
{
    struct rtt_wait *w = arg;
    struct mbuf *mb = mbuf_alloc(RTP_HEADER_SIZE + 160);
    mbuf_set_end(mb, RTP_HEADER_SIZE + 160);
    mbuf_set_pos(mb, RTP_HEADER_SIZE);
    memset(mbuf_buf(mb), 0xff, 160);
    (void)rtp_send(w->p->rtp, &w->to, false, false, 0, 160u * w->seq++, mb);
    mem_deref(mb);
    pause_ms(20);
    w->st = sync_stats(w->m, w->leg);
    return w->st.rtt_ms >= 0;
}

static void test_rtt_from_rtcp(void **state)
{
    (void)state;
    struct media *m = engine(1, PORT_MIN, PORT_MAX);
    struct rtcp_peer p = {0};
    struct sa local;
    sa_set_str(&local, "127.0.0.1", 0);
    assert_int_equal(
        rtp_listen(&p.rtp, IPPROTO_UDP, &local, 32000, 32998, true, peer_rtp, NULL, &p), 0);
    uint16_t peer_port = sa_port(rtp_local(p.rtp));
    uint16_t leg_port;
    uint32_t leg = answer_leg(m, 0, peer_port, "0", &leg_port);
    assert_int_equal(media_echo(m, leg), 0);
    struct rtt_wait w = {.m = m, .leg = leg, .p = &p};
    sa_set_str(&w.to, "127.0.0.1", leg_port);
    struct sa rtcp_to;
    sa_set_str(&rtcp_to, "127.0.0.1", leg_port + 1);
    rtcp_start(p.rtp, "peer", &rtcp_to);

    /* Reports every 5 s each way (libre spreads them 2.5-7.5 s): the
     * round trip needs one of ours answered by one of the peer's; allow
     * 45 s on a loaded machine. */
    uint64_t deadline = tmr_jiffies() + 45000;
    bool known = false;
    while (!known && tmr_jiffies() < deadline)
        known = rtt_known(&w);
    assert_true(known);
    assert_true(w.st.rtt_ms >= 0 && w.st.rtt_ms < 50); /* loopback: well under 50 ms */
    assert_true(w.st.rx_packets >= 200);
    assert_true(w.st.tx_packets >= 200);       /* echoed */
    assert_true(p.rx + 20 >= w.st.tx_packets); /* the peer got them */
    assert_int_equal(w.st.rx_lost, 0);

    /* The other way: libre's stack read the leg's sender reports (their
     * packet count) and report blocks (nothing lost). */
    struct rtcp_stats ps = {0};
    deadline = tmr_jiffies() + 30000;
    bool seen = false;
    while (!seen && tmr_jiffies() < deadline) {
        (void)rtt_known(&w);
        seen = !rtcp_stats(p.rtp, p.leg_ssrc, &ps) && ps.rx.sent > 0;
    }
    assert_true(seen);
    assert_true(ps.rx.sent <= w.st.tx_packets + 60);
    assert_true(ps.rx.sent + 400 >= w.st.tx_packets); /* within a report's interval */
    assert_int_equal(ps.tx.lost, 0);
    close_leg(m, leg);
    mem_deref(p.rtp);
    media_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtt_from_rtcp),
    };
    int err = libre_init();
    if (err)
        return 1;
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    libre_close();
    return rc;
}
