/*
 * leg.c - one RTP/RTCP port pair facing one peer, on its worker thread:
 * receiving (latching, counters, loss, jitter), sending, and what the leg
 * does with what it receives (nothing, echo, relay to a bridged leg, mix in
 * a conference) and who listens to it (taps: recorders, conferences,
 * silence detection, in-band DTMF).
 *
 * A leg is built on the main thread (its sockets bound there so a busy
 * port is known at once, then detached from the main loop) and handed to
 * its worker in CMD_OPEN; from then on only the worker touches it.
 */
#include "media/media_internal.h"
#include "media/rtpstat.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

enum leg_mode { MODE_IDLE, MODE_ECHO, MODE_PLAY, MODE_BRIDGE, MODE_CONF };

struct leg {
    struct le le;
    uint32_t id;
    struct worker *w;
    struct udp_sock *rtp_us, *rtcp_us; /* the port pair */
    struct remote r;

    /* symmetric RTP and RTCP: where the peer's packets come from */
    struct sa peer, rtcp_peer;
    bool latched, rtcp_latched;

    /* figures and reports (rtpstat.h) */
    struct rtp_rx rx;
    struct rtp_tx tx;
    struct tmr rtcp_tmr;
    bool rtcp_started;
    int64_t rtt_us;                  /* the last round trip from the peer's reports; -1 none */
    uint64_t rx_before, lost_before; /* from the peer's earlier sources */

    uint64_t last_rx_ms;
    bool timeout_sent;
    struct tmr timeout_tmr;

    /* transmission */
    uint32_t tx_ts;
    bool marker;

    enum leg_mode mode;
    struct player *player;
    struct leg *bridged;
    struct conf_part *part; /* MODE_CONF */
    struct dtmf *dtmf;
    struct recorder *rec;
    struct vad *vad;
    struct vad *listener; /* listening for an utterance */
    struct list taps;     /* struct tap: decoded audio for listeners */
};

static void leg_destructor(void *arg)
{
    struct leg *leg = arg;

    tmr_cancel(&leg->timeout_tmr);
    tmr_cancel(&leg->rtcp_tmr);
    if (leg->player)
        player_stop(leg->player, false);
    /* other legs' recorders listening to us hear silence from now on */
    taps_detach(&leg->taps);
    mem_deref(leg->dtmf);
    /* closes the sockets: on the worker whose loop they are attached to */
    mem_deref(leg->rtp_us);
    mem_deref(leg->rtcp_us);
}

uint32_t leg_id(const struct leg *leg)
{
    return leg->id;
}

struct worker *leg_worker(const struct leg *leg)
{
    return leg->w;
}

int leg_pt(const struct leg *leg)
{
    return leg->r.pt;
}

struct leg *leg_bridged(const struct leg *leg)
{
    return leg->bridged;
}

bool leg_in_conf(const struct leg *leg)
{
    return leg->part != NULL;
}

struct list *leg_taps(struct leg *leg)
{
    return &leg->taps;
}

static bool leg_match(struct le *le, void *arg)
{
    return ((struct leg *)le->data)->id == *(uint32_t *)arg;
}

struct leg *leg_find(struct worker *w, uint32_t id)
{
    struct le *le = hash_lookup(w->legs, id, leg_match, &id);

    return le ? le->data : NULL;
}

/* ---- sending ---- */

static int64_t now_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const struct sa *leg_dst(const struct leg *leg)
{
    if (leg->latched)
        return &leg->peer;
    if (sa_isset(&leg->r.rtp, SA_ALL))
        return &leg->r.rtp;
    return NULL;
}

/* One send buffer per worker thread, used for every packet it sends (an
 * mbuf per packet was a malloc and a free each, 150 times a prompt). */
static __thread struct mbuf *txbuf;

void leg_send_free(void)
{
    txbuf = mem_deref(txbuf);
}

static struct mbuf *txbuf_get(void)
{
    if (!txbuf)
        txbuf = mbuf_alloc(RTP_HEADER_SIZE + 2 * MEDIA_FRAME);
    return txbuf;
}

void leg_send(struct leg *leg, uint8_t pt, const uint8_t *payload, size_t len, size_t samples)
{
    const struct sa *dst = leg_dst(leg);
    struct mbuf *mb;

    if (dst && leg->r.send) {
        mb = txbuf_get();
        if (mb) {
            mb->pos = mb->end = RTP_HEADER_SIZE;
            (void)mbuf_write_mem(mb, payload, len);
            mb->pos = 0;
            rtp_tx_header(&leg->tx, mb->buf, leg->marker, pt, leg->tx_ts, len, now_usec());
            if (!udp_send(leg->rtp_us, dst, mb)) {
                leg->marker = false;
            } else {
                leg->tx.packets--;
                leg->tx.octets -= len;
            }
        }
    }
    leg->tx_ts += (uint32_t)samples;
}

/* Relay a G.711 payload to the bridged leg, transcoding if it uses the
 * other law. */
static void relay(struct leg *to, uint8_t pt, const uint8_t *p, size_t len)
{
    int16_t pcm[1024];
    uint8_t buf[1024];

    if (to->r.pt < 0 || to->r.pt == pt) {
        leg_send(to, pt, p, len, len);
        return;
    }
    if (len > sizeof(buf))
        return;
    pcm_decode(pt, p, len, pcm);
    pcm_encode(to->r.pt, pcm, len, buf);
    leg_send(to, (uint8_t)to->r.pt, buf, len, len);
}

/* ---- receiving ---- */

static void rtp_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
    struct leg *leg = arg;
    struct rtp_header h;
    const struct rtp_header *hdr = &h;
    const uint8_t *p;
    size_t len;

    if (!leg->w || !leg->r.recv)
        return;
    if (rtp_hdr_decode(&h, mb) || h.ver != RTP_VERSION)
        return;
    if (h.pad) { /* the last byte counts the padding */
        size_t pad = mbuf_get_left(mb) ? mb->buf[mb->end - 1] : 0;
        if (!pad || pad > mbuf_get_left(mb))
            return;
        mb->end -= pad;
    }
    p = mbuf_buf(mb);
    len = mbuf_get_left(mb);
    /* latch on the first packet, and again when the source restarts */
    if (!leg->latched || hdr->ssrc != leg->rx.ssrc) {
        leg->rx_before += leg->rx.received;
        leg->lost_before += leg->rx.gaps;
        rtp_rx_reset(&leg->rx, hdr->ssrc);
        leg->peer = *src;
        leg->latched = true;
    }
    rtp_rx_seq(&leg->rx, hdr->seq);
    leg->last_rx_ms = tmr_jiffies();
    leg->timeout_sent = false;

    if (leg->r.telev_pt >= 0 && hdr->pt == leg->r.telev_pt) {
        dtmf_recv(leg->dtmf, mb);
        return;
    }
    if (hdr->pt != 0 && hdr->pt != 8)
        return;
    rtp_rx_jitter(&leg->rx, hdr->ts, now_usec(), MEDIA_SRATE);
    /* listeners (none: nothing is decoded) */
    taps_feed(&leg->taps, hdr, p, len);

    if (leg->mode == MODE_ECHO)
        leg_send(leg, hdr->pt, p, len, len);
    else if (leg->mode == MODE_BRIDGE && leg->bridged)
        relay(leg->bridged, hdr->pt, p, len);
}

/* ---- RTCP ---- */

static const char CNAME[] = "switchboard";

/* A report every 2.5-7.5 s (RFC 3550's 5 s, spread so that legs set up
 * together do not report together); the first after half that. */
static uint32_t rtcp_interval(void)
{
    return 2500 + rand_u32() % 5001;
}

static void rtcp_send_report(struct leg *leg, bool bye)
{
    const struct sa *dst = leg->rtcp_latched ? &leg->rtcp_peer : &leg->r.rtcp;
    uint8_t buf[128];
    size_t n;

    if (!sa_isset(dst, SA_ALL) || !txbuf_get())
        return;
    n = rtcp_build_report(buf, sizeof(buf), leg->latched ? &leg->rx : NULL, &leg->tx, CNAME, bye,
                          ntp_now(), now_usec(), MEDIA_SRATE);
    mbuf_rewind(txbuf);
    if (n && !mbuf_write_mem(txbuf, buf, n)) {
        txbuf->pos = 0;
        (void)udp_send(leg->rtcp_us, dst, txbuf);
    }
}

static void rtcp_tick(void *arg)
{
    struct leg *leg = arg;

    rtcp_send_report(leg, false);
    tmr_start(&leg->rtcp_tmr, rtcp_interval(), rtcp_tick, leg);
}

static void rtcp_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
    struct leg *leg = arg;
    struct rtcp_seen seen;
    uint64_t ntp = ntp_now();
    int64_t rtt;

    if (!leg->w || rtcp_parse_report(mbuf_buf(mb), mbuf_get_left(mb), leg->tx.ssrc, &seen))
        return;
    /* report back to where the reports come from, if that is the peer */
    if (leg->latched && sa_cmp(src, &leg->peer, SA_ADDR)) {
        leg->rtcp_peer = *src;
        leg->rtcp_latched = true;
    }
    if (seen.sr && leg->latched && seen.sr_ssrc == leg->rx.ssrc) {
        leg->rx.lsr = seen.sr_ntp_mid;
        leg->rx.lsr_at_us = now_usec();
    }
    rtt = rtcp_rtt_us(&seen, ntp);
    if (rtt >= 0)
        leg->rtt_us = rtt;
}

static void timeout_check(void *arg)
{
    struct leg *leg = arg;
    unsigned ms = leg->w->m->opts.rtp_timeout_ms;

    /* only when the peer should be sending: answered, and not inactive
     * or holding us with recvonly */
    if (leg->r.recv && sa_isset(&leg->r.rtp, SA_ADDR) && !leg->timeout_sent &&
        tmr_jiffies() - leg->last_rx_ms >= ms) {
        leg->timeout_sent = true;
        media_post_simple(leg, MEDIA_EV_RTP_TIMEOUT, 0, NULL);
    }
    tmr_start(&leg->timeout_tmr, ms < 400 ? ms / 4 + 1 : 100, timeout_check, leg);
}

/* ---- life ---- */

int leg_alloc(struct leg **lp, uint32_t id, const struct sa *laddr, uint16_t port)
{
    struct leg *leg = mem_zalloc(sizeof(*leg), leg_destructor);
    struct sa a;
    int err;

    if (!leg)
        return ENOMEM;
    leg->id = id;
    list_init(&leg->taps);
    leg->r.pt = -1;
    leg->r.telev_pt = -1;
    tmr_init(&leg->timeout_tmr);
    tmr_init(&leg->rtcp_tmr);
    leg->rtt_us = -1;
    a = *laddr;
    sa_set_port(&a, port);
    err = udp_listen(&leg->rtp_us, &a, rtp_recv, leg);
    sa_set_port(&a, (uint16_t)(port + 1));
    err = err ? err : udp_listen(&leg->rtcp_us, &a, rtcp_recv, leg);
    if (err) {
        mem_deref(leg);
        return err;
    }
    /* bound here; polled by the worker's loop once it has the leg */
    udp_thread_detach(leg->rtp_us);
    udp_thread_detach(leg->rtcp_us);
    *lp = leg;
    return 0;
}

void leg_set_remote(struct leg *leg, const struct remote *r)
{
    bool moved = !sa_cmp(&leg->r.rtp, &r->rtp, SA_ALL);

    leg->r = *r;
    leg->last_rx_ms = tmr_jiffies();
    if (moved)
        leg->latched = false; /* a new address: send there until RTP comes */
    /* in-band digits only from a peer that cannot send RFC 4733 events */
    if (leg->dtmf)
        (void)dtmf_inband(leg->dtmf, r->telev_pt < 0);
    if (!leg->rtcp_started && sa_isset(&r->rtcp, SA_ALL)) {
        tmr_start(&leg->rtcp_tmr, rtcp_interval() / 2, rtcp_tick, leg);
        leg->rtcp_started = true;
    }
}

void leg_start(struct leg *leg, struct worker *w, const struct remote *r)
{
    struct media_event ev;
    int err;

    leg->w = w;
    hash_append(w->legs, leg->id, &leg->le, leg);
    leg->marker = true;
    leg->tx_ts = rand_u32();
    leg->tx.ssrc = rand_u32();
    leg->tx.seq = rand_u16();
    leg->last_rx_ms = tmr_jiffies();
    err = udp_thread_attach(leg->rtp_us);
    err = err ? err : udp_thread_attach(leg->rtcp_us);
    err = err ? err : dtmf_alloc(&leg->dtmf, leg);
    if (err) {
        memset(&ev, 0, sizeof(ev));
        ev.type = MEDIA_EV_CLOSED;
        ev.leg = leg->id;
        ev.reason = "error";
        ev.stats.rtt_ms = -1;
        list_unlink(&leg->le);
        mem_deref(leg);
        media_post(w, &ev);
        return;
    }
    leg_set_remote(leg, r);
    if (w->m->opts.rtp_timeout_ms)
        tmr_start(&leg->timeout_tmr, 100, timeout_check, leg);
}

void leg_stats(struct leg *leg, struct media_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->rx_packets = leg->rx_before + leg->rx.received;
    st->tx_packets = leg->tx.packets;
    st->rx_lost = leg->lost_before + leg->rx.gaps;
    st->jitter_ms = leg->rx.jitter * 1000.0 / MEDIA_SRATE;
    st->rtt_ms = leg->rtt_us >= 0 ? (double)leg->rtt_us / 1000.0 : -1;
    str_ncpy(st->codec, leg->r.pt == 8 ? "PCMA" : leg->r.pt == 0 ? "PCMU" : "", sizeof(st->codec));
}

void leg_close(struct leg *leg, bool events)
{
    struct media_event ev;
    struct worker *w = leg->w;
    struct recorder *rec;

    memset(&ev, 0, sizeof(ev));
    ev.type = MEDIA_EV_CLOSED;
    ev.leg = leg->id;
    ev.reason = "done";
    leg_stats(leg, &ev.stats);
    if (leg->rtcp_started)
        rtcp_send_report(leg, true); /* the last figures, and BYE */
    leg_unbridge(leg);
    leg_conf_leave(leg);
    list_unlink(&leg->le);
    if (leg->player) {
        player_stop(leg->player, events);
        leg->player = NULL;
    }
    dtmf_collect_end(leg->dtmf, events);
    if (leg->vad)
        vad_stop(leg->vad, events);
    if (leg->listener)
        vad_stop(leg->listener, events);
    rec = leg->rec;
    leg->rec = NULL;
    /* the sockets close before the main loop hears of it and reuses the ports */
    mem_deref(leg);
    /* a recording is finished first; CLOSED follows its RECORD_DONE */
    if (rec)
        recorder_stop(rec, "closed", events, events ? &ev : NULL);
    else if (events)
        media_post(w, &ev);
}

/* ---- what the leg does ---- */

/* Stop whatever the leg did (a play ends with PLAY_DONE "stopped"). */
static void leg_idle(struct leg *leg)
{
    if (leg->player) {
        player_stop(leg->player, true);
        leg->player = NULL;
    }
    leg_unbridge(leg);
    leg_conf_leave(leg);
    leg->mode = MODE_IDLE;
}

void leg_echo(struct leg *leg)
{
    leg_idle(leg);
    leg->mode = MODE_ECHO;
    leg->marker = true;
}

void leg_play(struct leg *leg, const char *what, bool loop, uint32_t op_id, bool tone)
{
    int err;

    leg_idle(leg);
    leg->mode = MODE_PLAY;
    leg->marker = true;
    err = tone ? player_tone(&leg->player, leg, what, op_id)
               : player_file(&leg->player, leg, what, loop, op_id);
    if (err) {
        leg->mode = MODE_IDLE;
        media_post_simple(leg, MEDIA_EV_PLAY_DONE, op_id, "error");
    }
}

void leg_stop(struct leg *leg)
{
    leg_idle(leg);
}

void leg_collect(struct leg *leg, unsigned max, const char *terms, unsigned first_ms,
                 unsigned inter_ms, uint32_t op_id)
{
    dtmf_collect(leg->dtmf, max, terms, first_ms, inter_ms, op_id);
}

int leg_bridge(struct leg *a, struct leg *b)
{
    if (a == b)
        return EINVAL;
    leg_idle(a);
    leg_idle(b);
    a->bridged = b;
    b->bridged = a;
    a->mode = b->mode = MODE_BRIDGE;
    a->marker = b->marker = true;
    recorder_update(a->rec);
    recorder_update(b->rec);
    return 0;
}

void leg_unbridge(struct leg *leg)
{
    struct leg *other = leg->bridged;

    if (!other)
        return;
    other->bridged = NULL;
    other->mode = MODE_IDLE;
    leg->bridged = NULL;
    leg->mode = MODE_IDLE;
    recorder_update(other->rec);
    recorder_update(leg->rec);
}

/* ---- conferences, recording, silence detection ---- */

void leg_conf_join(struct leg *leg, struct conf *conf)
{
    leg_idle(leg);
    if (conf_add(conf, leg, &leg->part))
        return;
    leg->mode = MODE_CONF;
    leg->marker = true;
    recorder_update(leg->rec);
}

void leg_conf_gone(struct leg *leg)
{
    leg->part = NULL;
    leg->mode = MODE_IDLE;
    recorder_update(leg->rec);
}

void leg_conf_leave(struct leg *leg)
{
    struct conf_part *p = leg->part;

    if (!p)
        return;
    leg_conf_gone(leg);
    conf_remove(p);
}

void leg_record(struct leg *leg, const char *path, uint32_t op_id)
{
    unsigned channels = leg->bridged || leg->part ? 2 : 1;

    leg_record_stop(leg);
    if (recorder_alloc(&leg->rec, leg, path, channels, op_id))
        media_post_simple(leg, MEDIA_EV_RECORD_DONE, op_id, "error");
}

void leg_record_stop(struct leg *leg)
{
    struct recorder *rec = leg->rec;

    leg->rec = NULL;
    if (rec)
        recorder_stop(rec, "stopped", true, NULL);
}

void leg_record_feed(struct leg *leg, const int16_t *in, const int16_t *out)
{
    recorder_feed(leg->rec, in, out);
}

void leg_silence(struct leg *leg, int threshold_dbov, unsigned silence_ms, unsigned first_ms,
                 uint32_t op_id)
{
    struct vad_opts o = {.threshold_dbov = threshold_dbov,
                         .silence_ms = silence_ms,
                         .first_ms = first_ms,
                         .op_id = op_id};

    leg_silence_stop(leg);
    if (vad_alloc(&leg->vad, leg, &o))
        media_post_simple(leg, MEDIA_EV_SILENCE, op_id, "error");
}

void leg_silence_stop(struct leg *leg)
{
    if (leg->vad)
        vad_stop(leg->vad, true);
}

void leg_listen(struct leg *leg, unsigned silence_ms, unsigned first_ms, unsigned max_ms,
                uint32_t op_id)
{
    struct vad_opts o = {
        .silence_ms = silence_ms, .first_ms = first_ms, .max_ms = max_ms, .op_id = op_id};

    leg_listen_stop(leg);
    if (vad_alloc(&leg->listener, leg, &o))
        media_post_simple(leg, MEDIA_EV_SPEECH, op_id, "error");
}

void leg_listen_stop(struct leg *leg)
{
    if (leg->listener)
        vad_stop(leg->listener, true);
}
