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

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

enum leg_mode { MODE_IDLE, MODE_ECHO, MODE_PLAY, MODE_BRIDGE, MODE_CONF };

struct leg {
    struct le le;
    uint32_t id;
    struct worker *w;
    struct rtp_sock *rtp;
    struct remote r;
    bool rtcp_started;

    /* symmetric RTP: where the peer's RTP comes from */
    struct sa peer;
    bool latched;
    uint32_t peer_ssrc;

    /* reception */
    uint64_t rx, tx, lost;
    uint16_t max_seq;
    bool have_seq;
    double jitter; /* RFC 3550, in timestamp units */
    uint32_t last_transit;
    bool have_transit;
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
    if (leg->player)
        player_stop(leg->player, false);
    /* other legs' recorders listening to us hear silence from now on */
    taps_detach(&leg->taps);
    mem_deref(leg->dtmf);
    /* closes the sockets: on the worker whose loop they are attached to */
    mem_deref(leg->rtp);
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

static const struct sa *leg_dst(const struct leg *leg)
{
    if (leg->latched)
        return &leg->peer;
    if (sa_isset(&leg->r.rtp, SA_ALL))
        return &leg->r.rtp;
    return NULL;
}

void leg_send(struct leg *leg, uint8_t pt, const uint8_t *payload, size_t len, size_t samples)
{
    const struct sa *dst = leg_dst(leg);
    struct mbuf *mb;

    if (dst && leg->r.send) {
        mb = mbuf_alloc(RTP_HEADER_SIZE + len);
        if (mb) {
            mb->pos = RTP_HEADER_SIZE;
            (void)mbuf_write_mem(mb, payload, len);
            mb->pos = RTP_HEADER_SIZE;
            if (!rtp_send(leg->rtp, dst, false, leg->marker, pt, leg->tx_ts, mb)) {
                leg->tx++;
                leg->marker = false;
            }
            mem_deref(mb);
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

static void count_rx(struct leg *leg, const struct rtp_header *hdr)
{
    int16_t d;

    leg->rx++;
    if (!leg->have_seq) {
        leg->have_seq = true;
        leg->max_seq = hdr->seq;
        return;
    }
    d = (int16_t)(uint16_t)(hdr->seq - leg->max_seq);
    if (d > 0) {
        leg->lost += (uint64_t)(d - 1);
        leg->max_seq = hdr->seq;
    } else if (d < 0 && leg->lost > 0) {
        leg->lost--; /* a late packet fills a gap counted before */
    }
}

static int64_t now_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* RFC 3550 A.8: J += (|D| - J) / 16, D in timestamp units. */
static void update_jitter(struct leg *leg, const struct rtp_header *hdr)
{
    /* modulo 2^32, like the timestamps */
    uint32_t arrival = (uint32_t)(now_usec() * MEDIA_SRATE / 1000000);
    uint32_t transit = arrival - hdr->ts;

    if (leg->have_transit) {
        int32_t d = (int32_t)(transit - leg->last_transit);
        double ad = d < 0 ? -(double)d : (double)d;

        leg->jitter += (ad - leg->jitter) / 16.0;
    }
    leg->last_transit = transit;
    leg->have_transit = true;
}

static void rtp_recv(const struct sa *src, const struct rtp_header *hdr, struct mbuf *mb, void *arg)
{
    struct leg *leg = arg;
    const uint8_t *p = mbuf_buf(mb);
    size_t len = mbuf_get_left(mb);

    if (!leg->w || !leg->r.recv)
        return;
    /* latch on the first packet, and again when the source restarts */
    if (!leg->latched || hdr->ssrc != leg->peer_ssrc) {
        if (leg->latched) {
            leg->have_seq = false;
            leg->have_transit = false;
        }
        leg->peer = *src;
        leg->latched = true;
        leg->peer_ssrc = hdr->ssrc;
    }
    count_rx(leg, hdr);
    leg->last_rx_ms = tmr_jiffies();
    leg->timeout_sent = false;

    if (leg->r.telev_pt >= 0 && hdr->pt == leg->r.telev_pt) {
        dtmf_recv(leg->dtmf, mb);
        return;
    }
    if (hdr->pt != 0 && hdr->pt != 8)
        return;
    update_jitter(leg, hdr);
    /* listeners (none: nothing is decoded) */
    taps_feed(&leg->taps, hdr, p, len);

    if (leg->mode == MODE_ECHO)
        leg_send(leg, hdr->pt, p, len, len);
    else if (leg->mode == MODE_BRIDGE && leg->bridged)
        relay(leg->bridged, hdr->pt, p, len);
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
    int err;

    if (!leg)
        return ENOMEM;
    leg->id = id;
    list_init(&leg->taps);
    leg->r.pt = -1;
    leg->r.telev_pt = -1;
    tmr_init(&leg->timeout_tmr);
    err = rtp_listen(&leg->rtp, IPPROTO_UDP, laddr, port, (uint16_t)(port + 1), true, rtp_recv,
                     NULL, leg);
    if (err) {
        mem_deref(leg);
        return err;
    }
    /* bound here; polled by the worker's loop once it has the leg */
    udp_thread_detach(rtp_sock(leg->rtp));
    udp_thread_detach(rtcp_sock(leg->rtp));
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
        rtcp_start(leg->rtp, "switchboard", &r->rtcp);
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
    leg->last_rx_ms = tmr_jiffies();
    err = udp_thread_attach(rtp_sock(leg->rtp));
    err = err ? err : udp_thread_attach(rtcp_sock(leg->rtp));
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
    rtcp_set_srate(leg->rtp, MEDIA_SRATE, MEDIA_SRATE);
    leg_set_remote(leg, r);
    if (w->m->opts.rtp_timeout_ms)
        tmr_start(&leg->timeout_tmr, 100, timeout_check, leg);
}

void leg_stats(struct leg *leg, struct media_stats *st)
{
    struct rtcp_stats rs;

    memset(st, 0, sizeof(*st));
    st->rx_packets = leg->rx;
    st->tx_packets = leg->tx;
    st->rx_lost = leg->lost;
    st->jitter_ms = leg->jitter * 1000.0 / MEDIA_SRATE;
    st->rtt_ms = -1;
    if (leg->latched && !rtcp_stats(leg->rtp, leg->peer_ssrc, &rs) && rs.rtt)
        st->rtt_ms = rs.rtt / 1000.0;
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
