/*
 * rtpstat.h - a leg's RTP figures and its RTCP reports (RFC 3550): what it
 * received (count, loss, jitter, the peer's last sender report), what it
 * sent, the sender or receiver report built from them, and the reports
 * the peer sends read back for the round trip.
 *
 * Plain data owned by one leg on its worker: updating it per packet is a
 * few additions, with no lock, lookup or allocation (the reason the engine
 * keeps its own rather than libre's RTCP session; see
 * docs/architecture.md). Pure functions of their arguments, so the unit
 * tests and the fuzzer call them directly.
 */
#ifndef SB_MEDIA_RTPSTAT_H
#define SB_MEDIA_RTPSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reception from the peer's current source (SSRC). */
struct rtp_rx {
    uint32_t ssrc;
    bool have_seq;
    uint16_t max_seq;
    uint32_t cycles;   /* sequence wraps, in units of 65536 */
    uint32_t base_seq; /* the first sequence number seen */
    uint64_t received; /* packets */
    uint64_t gaps;     /* packets missing in the sequence, less late ones */
    double jitter;     /* RFC 3550 A.8, timestamp units */
    uint32_t last_transit;
    bool have_transit;
    /* at the last report, for the fraction lost since */
    uint64_t expected_prior, received_prior;
    /* the peer's last sender report: its NTP time's middle 32 bits and
     * when it came (monotonic µs); lsr 0 is none */
    uint32_t lsr;
    int64_t lsr_at_us;
};

/* Transmission on our own source. */
struct rtp_tx {
    uint32_t ssrc;
    uint16_t seq;
    uint64_t packets, octets;
    uint32_t last_ts; /* RTP timestamp of the last packet sent */
    int64_t last_us;  /* and when (monotonic µs) */
    bool sent_since_report;
};

/* A new source: figures start again. */
void rtp_rx_reset(struct rtp_rx *rx, uint32_t ssrc);
/* Each packet of the current source: its sequence number. */
void rtp_rx_seq(struct rtp_rx *rx, uint16_t seq);
/* Each audio packet (not telephone-events, whose timestamps mark an
 * event's start): the interarrival jitter. now_us monotonic; srate Hz. */
void rtp_rx_jitter(struct rtp_rx *rx, uint32_t ts, int64_t now_us, unsigned srate);

/* Encode the 12-byte RTP header of the next packet into p (advances seq
 * and the counters). */
void rtp_tx_header(struct rtp_tx *tx, uint8_t p[12], bool marker, uint8_t pt, uint32_t ts,
                   size_t payload_len, int64_t now_us);

/* The wall clock as a 64-bit NTP timestamp (seconds since 1900 << 32). */
uint64_t ntp_now(void);

/* A compound RTCP packet into buf: a sender report if we sent since the
 * last one, else a receiver report, with a report block on the peer's
 * source if rx has one (rx may be NULL); then SDES with cname; then BYE
 * when bye. Updates the "since the last report" figures. Returns the
 * length, or 0 if buf is too small. */
size_t rtcp_build_report(uint8_t *buf, size_t size, struct rtp_rx *rx, struct rtp_tx *tx,
                         const char *cname, bool bye, uint64_t ntp, int64_t now_us, unsigned srate);

/* What a compound RTCP packet from the peer says that matters to us. */
struct rtcp_seen {
    bool sr;          /* it held a sender report */
    uint32_t sr_ssrc; /* whose */
    uint32_t sr_ntp_mid;
    bool block;       /* a report block about our source */
    uint8_t fraction; /* its figures */
    int32_t lost;
    uint32_t jitter;
    uint32_t lsr, dlsr;
    bool bye;
};

/* Read a compound packet. 0, or EBADMSG when it is not RTCP version 2 or
 * a length runs past the end (what was read before stays in *seen). */
int rtcp_parse_report(const uint8_t *p, size_t len, uint32_t our_ssrc, struct rtcp_seen *seen);

/* Round trip in µs from a report block (RFC 3550 6.4.1: arrival - LSR -
 * DLSR, 1/65536 s units), or -1 when the block has no LSR or the figure is
 * not plausible. */
int64_t rtcp_rtt_us(const struct rtcp_seen *seen, uint64_t ntp_arrival);

#endif
