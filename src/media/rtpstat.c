/*
 * rtpstat.c - a leg's RTP figures and RTCP reports (see rtpstat.h).
 */
#include "media/rtpstat.h"

#include <errno.h>
#include <string.h>
#include <time.h>

enum {
    RTCP_SR = 200,
    RTCP_RR = 201,
    RTCP_SDES = 202,
    RTCP_BYE = 203,
    SDES_CNAME = 1,
    BLOCK_SIZE = 24,
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- reception ---- */

void rtp_rx_reset(struct rtp_rx *rx, uint32_t ssrc)
{
    memset(rx, 0, sizeof(*rx));
    rx->ssrc = ssrc;
}

void rtp_rx_seq(struct rtp_rx *rx, uint16_t seq)
{
    rx->received++;
    if (!rx->have_seq) {
        rx->have_seq = true;
        rx->max_seq = seq;
        rx->base_seq = seq;
    } else {
        int16_t d = (int16_t)(uint16_t)(seq - rx->max_seq);
        if (d > 0) {
            if (seq < rx->max_seq)
                rx->cycles++;
            rx->gaps += (uint64_t)(d - 1);
            rx->max_seq = seq;
        } else if (d < 0 && rx->gaps > 0) {
            rx->gaps--; /* a late packet fills a gap counted before */
        }
    }
}

void rtp_rx_jitter(struct rtp_rx *rx, uint32_t ts, int64_t now_us, unsigned srate)
{
    /* RFC 3550 A.8: J += (|D| - J) / 16, D in timestamp units, modulo 2^32
     * like the timestamps */
    uint32_t arrival = (uint32_t)(now_us * (int64_t)srate / 1000000);
    uint32_t transit = arrival - ts;
    if (rx->have_transit) {
        int32_t d = (int32_t)(transit - rx->last_transit);
        double ad = d < 0 ? -(double)d : (double)d;
        rx->jitter += (ad - rx->jitter) / 16.0;
    }
    rx->last_transit = transit;
    rx->have_transit = true;
}

/* ---- transmission ---- */

void rtp_tx_header(struct rtp_tx *tx, uint8_t p[12], bool marker, uint8_t pt, uint32_t ts,
                   size_t payload_len, int64_t now_us)
{
    p[0] = 0x80; /* version 2, no padding, extension or CSRC */
    p[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
    put16(p + 2, tx->seq++);
    put32(p + 4, ts);
    put32(p + 8, tx->ssrc);
    tx->packets++;
    tx->octets += payload_len;
    tx->last_ts = ts;
    tx->last_us = now_us;
    tx->sent_since_report = true;
}

uint64_t ntp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t sec = (uint64_t)ts.tv_sec + 2208988800ULL; /* 1900 to 1970 */
    uint64_t frac = ((uint64_t)ts.tv_nsec << 32) / 1000000000ULL;
    return sec << 32 | frac;
}

/* ---- reports ---- */

/* The report block on the peer's source (RFC 3550 6.4.1, A.3). */
static void put_block(uint8_t *b, struct rtp_rx *rx, int64_t now_us)
{
    uint32_t ext_max = rx->cycles * 65536u + rx->max_seq;
    uint64_t expected = (uint64_t)ext_max - rx->base_seq + 1;
    int64_t lost = (int64_t)expected - (int64_t)rx->received;
    uint64_t exp_int = expected - rx->expected_prior;
    uint64_t rec_int = rx->received - rx->received_prior;
    int64_t lost_int = (int64_t)exp_int - (int64_t)rec_int;
    uint32_t fraction = 0;

    if (lost > 0x7fffff)
        lost = 0x7fffff;
    if (lost < -0x800000)
        lost = -0x800000;
    if (exp_int && lost_int > 0)
        fraction = (uint32_t)(((uint64_t)lost_int << 8) / exp_int);
    if (fraction > 255)
        fraction = 255;
    rx->expected_prior = expected;
    rx->received_prior = rx->received;

    put32(b, rx->ssrc);
    put32(b + 4, fraction << 24 | ((uint32_t)lost & 0xffffff));
    put32(b + 8, ext_max);
    put32(b + 12, (uint32_t)rx->jitter);
    put32(b + 16, rx->lsr);
    put32(b + 20, rx->lsr ? (uint32_t)((now_us - rx->lsr_at_us) * 65536 / 1000000) : 0);
}

size_t rtcp_build_report(uint8_t *buf, size_t size, struct rtp_rx *rx, struct rtp_tx *tx,
                         const char *cname, bool bye, uint64_t ntp, int64_t now_us, unsigned srate)
{
    bool sender = tx->sent_since_report;
    bool block = rx && rx->have_seq;
    size_t clen = strlen(cname) > 255 ? 255 : strlen(cname);
    size_t report = (sender ? 28 : 8) + (block ? BLOCK_SIZE : 0);
    /* SDES: header, SSRC, CNAME item, then at least one zero (the end of
     * the list) up to a word boundary */
    size_t sdes = (8 + 2 + clen + 4) & ~(size_t)3;
    size_t total = report + sdes + (bye ? 8 : 0);
    uint8_t *p = buf;

    if (total > size)
        return 0;
    memset(buf, 0, total);

    p[0] = (uint8_t)(0x80 | (block ? 1 : 0));
    p[1] = sender ? RTCP_SR : RTCP_RR;
    put16(p + 2, (uint16_t)(report / 4 - 1));
    put32(p + 4, tx->ssrc);
    if (sender) {
        uint32_t ts = tx->last_ts + (uint32_t)((now_us - tx->last_us) * (int64_t)srate / 1000000);
        put32(p + 8, (uint32_t)(ntp >> 32));
        put32(p + 12, (uint32_t)ntp);
        put32(p + 16, ts);
        put32(p + 20, (uint32_t)tx->packets);
        put32(p + 24, (uint32_t)tx->octets);
    }
    if (block)
        put_block(p + (sender ? 28 : 8), rx, now_us);
    p += report;

    p[0] = 0x81;
    p[1] = RTCP_SDES;
    put16(p + 2, (uint16_t)(sdes / 4 - 1));
    put32(p + 4, tx->ssrc);
    p[8] = SDES_CNAME;
    p[9] = (uint8_t)clen;
    memcpy(p + 10, cname, clen);
    p += sdes;

    if (bye) {
        p[0] = 0x81;
        p[1] = RTCP_BYE;
        put16(p + 2, 1);
        put32(p + 4, tx->ssrc);
    }
    tx->sent_since_report = false;
    return total;
}

static void read_blocks(const uint8_t *b, size_t n, uint32_t our_ssrc, struct rtcp_seen *seen)
{
    for (size_t i = 0; i < n; i++, b += BLOCK_SIZE) {
        if (get32(b) != our_ssrc)
            continue;
        uint32_t lost = get32(b + 4) & 0xffffff;
        seen->block = true;
        seen->fraction = b[4];
        seen->lost = (int32_t)(lost & 0x800000 ? lost | 0xff000000u : lost);
        seen->jitter = get32(b + 12);
        seen->lsr = get32(b + 16);
        seen->dlsr = get32(b + 20);
    }
}

int rtcp_parse_report(const uint8_t *p, size_t len, uint32_t our_ssrc, struct rtcp_seen *seen)
{
    size_t off = 0;

    memset(seen, 0, sizeof(*seen));
    while (len - off >= 4) {
        const uint8_t *q = p + off;
        unsigned count = q[0] & 0x1f;
        size_t plen = ((size_t)get16(q + 2) + 1) * 4;
        size_t at = 0;

        if (q[0] >> 6 != 2 || plen > len - off)
            return EBADMSG;
        if (q[1] == RTCP_SR) {
            if (plen < 28)
                return EBADMSG;
            seen->sr = true;
            seen->sr_ssrc = get32(q + 4);
            seen->sr_ntp_mid = get32(q + 8) << 16 | get32(q + 12) >> 16;
            at = 28;
        } else if (q[1] == RTCP_RR) {
            if (plen < 8)
                return EBADMSG;
            at = 8;
        } else if (q[1] == RTCP_BYE) {
            seen->bye = true;
        }
        if (at) {
            if (at + count * BLOCK_SIZE > plen)
                return EBADMSG;
            read_blocks(q + at, count, our_ssrc, seen);
        }
        off += plen;
    }
    return 0;
}

int64_t rtcp_rtt_us(const struct rtcp_seen *seen, uint64_t ntp_arrival)
{
    if (!seen->block || !seen->lsr)
        return -1;
    uint32_t a = (uint32_t)(ntp_arrival >> 16);
    int32_t rtt = (int32_t)(a - seen->lsr - seen->dlsr);
    /* the peer truncates its delay: a loopback round trip may come out a
     * unit or two (15 µs each) below zero */
    if (rtt < 0 && rtt > -66)
        rtt = 0;
    if (rtt < 0 || rtt > 60 * 65536)
        return -1;
    return (int64_t)rtt * 1000000 / 65536;
}
