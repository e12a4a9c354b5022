/*
 * media_peer.c - what the media engine's unit tests share: the events seen
 * on the main loop, a test-side RTP peer made of a plain UDP socket, and
 * engine, SDP and leg helpers (see media_peer.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "media_peer.h"

/* ---- events seen on the main loop ---- */

struct media_event events[MAX_EVENTS];
static char reasons[MAX_EVENTS][16];
unsigned nevents;

void on_event(const struct media_event *ev, void *arg)
{
    (void)arg;
    if (nevents >= MAX_EVENTS)
        return;
    mem_deref(events[nevents].pcm); /* a slot used before the last reset */
    events[nevents] = *ev;
    events[nevents].pcm = mem_ref(ev->pcm); /* the engine frees its own after us */
    snprintf(reasons[nevents], sizeof(reasons[0]), "%s", ev->reason ? ev->reason : "");
    events[nevents].reason = reasons[nevents];
    nevents++;
}

const struct media_event *find_event(enum media_event_type type, uint32_t leg)
{
    for (unsigned i = 0; i < nevents; i++) {
        if (events[i].type == type && events[i].leg == leg)
            return &events[i];
    }
    return NULL;
}

unsigned count_events(enum media_event_type type, uint32_t leg)
{
    unsigned n = 0;

    for (unsigned i = 0; i < nevents; i++)
        n += events[i].type == type && events[i].leg == leg;
    return n;
}

bool have_events(void *arg)
{
    const struct want *w = arg;

    return count_events(w->type, w->leg) >= w->n;
}

const struct media_event *wait_event(enum media_event_type type, uint32_t leg, unsigned ms)
{
    struct want w = {type, leg, 1};

    assert_true(run_until(have_events, &w, ms));
    return find_event(type, leg);
}

/* ---- the RTP peer: a plain UDP socket ---- */

void peer_open(struct peer *p)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof(a);

    memset(p, 0, sizeof(*p));
    p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(p->fd >= 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(p->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(p->fd, (struct sockaddr *)&a, &alen), 0);
    p->port = ntohs(a.sin_port);
    p->seq = 1000;
    p->ts = 5000;
}

void peer_close(struct peer *p)
{
    close(p->fd);
}

void peer_send(struct peer *p, uint16_t to_port, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
               const uint8_t *payload, size_t len)
{
    uint8_t buf[512];
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(to_port)};

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    buf[0] = 0x80;
    buf[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    for (int i = 0; i < 4; i++) {
        buf[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
        buf[8 + i] = (uint8_t)(0x11223344u >> (24 - 8 * i));
    }
    memcpy(buf + 12, payload, len);
    assert_int_equal(sendto(p->fd, buf, 12 + len, 0, (struct sockaddr *)&a, sizeof(a)),
                     (ssize_t)(12 + len));
}

/* 20 ms of audio, the payload bytes all set to fill. */
void peer_audio(struct peer *p, uint16_t to_port, uint8_t fill)
{
    uint8_t payload[160];

    memset(payload, fill, sizeof(payload));
    peer_send(p, to_port, 0, false, p->seq++, p->ts, payload, sizeof(payload));
    p->ts += 160;
}

/* An RFC 4733 digit: a start, a continuation and three end packets. */
void peer_digit(struct peer *p, uint16_t to_port, uint8_t pt, int event)
{
    uint8_t ev[4] = {(uint8_t)event, 10, 0, 0};

    for (int i = 0; i < 5; i++) {
        uint16_t dur = (uint16_t)(160 * (i < 2 ? i + 1 : 3));

        ev[1] = (uint8_t)(10 | (i >= 2 ? 0x80 : 0));
        ev[2] = (uint8_t)(dur >> 8);
        ev[3] = (uint8_t)dur;
        peer_send(p, to_port, pt, i == 0, p->seq++, p->ts, ev, sizeof(ev));
    }
    p->ts += 480;
}

void peer_drain(struct peer *p)
{
    uint8_t buf[512];
    ssize_t n;

    while ((n = recv(p->fd, buf, sizeof(buf), 0)) >= 12) {
        struct pkt *k;

        if (p->nrx >= 128)
            continue;
        k = &p->rx[p->nrx++];
        k->marker = buf[1] >> 7;
        k->pt = buf[1] & 0x7f;
        k->seq = (uint16_t)(buf[2] << 8 | buf[3]);
        k->ts = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
        k->ssrc =
            (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 | (uint32_t)buf[10] << 8 | buf[11];
        k->len = (size_t)n - 12;
        memcpy(k->payload, buf + 12, k->len);
    }
}

bool peer_has(void *arg)
{
    struct peer_want *w = arg;

    peer_drain(w->p);
    return w->p->nrx >= w->n;
}

bool peer_wait(struct peer *p, unsigned n, unsigned ms)
{
    struct peer_want w = {p, n};

    return run_until(peer_has, &w, ms);
}

/* ---- the engine and SDP ---- */

struct media *engine(unsigned threads, uint16_t min, uint16_t max)
{
    struct media_opts o = {.threads = threads, .port_min = min, .port_max = max, .ip = "127.0.0.1"};
    struct media *m = NULL;

    nevents = 0;
    assert_int_equal(media_alloc(&m, &o, on_event, NULL), 0);
    return m;
}

static char sdp_buf[1024];

const char *offer_sdp(uint16_t port, const char *fmts, const char *extra)
{
    snprintf(sdp_buf, sizeof(sdp_buf),
             "v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
             "m=audio %u RTP/AVP %s\r\n"
             "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
             "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n%s",
             port, fmts, extra ? extra : "");
    return sdp_buf;
}

uint16_t sdp_port(const char *sdp)
{
    const char *m = strstr(sdp, "m=audio ");

    assert_non_null(m);
    return (uint16_t)atoi(m + 8);
}

/* A leg answering an offer whose audio goes to the peer's port. */
uint32_t answer_leg(struct media *m, uint32_t near, uint16_t peer_port, const char *fmts,
                    uint16_t *leg_port)
{
    const char *offer = offer_sdp(peer_port, fmts, NULL);
    char *answer = NULL;
    uint32_t leg = 0;

    assert_int_equal(media_leg_answer(m, near, offer, strlen(offer), &leg, &answer), 0);
    assert_non_null(answer);
    assert_true(leg != 0);
    *leg_port = sdp_port(answer);
    mem_deref(answer);
    return leg;
}

/* A round trip to the leg's worker: every command sent before has run. */
struct media_stats sync_stats(struct media *m, uint32_t leg)
{
    struct media_stats st;

    assert_int_equal(media_leg_stats(m, leg, &st), 0);
    return st;
}

void close_leg(struct media *m, uint32_t leg)
{
    media_leg_close(m, leg);
    (void)wait_event(MEDIA_EV_CLOSED, leg, 2000);
}

/* ---- time and files ---- */

void wait_until(uint64_t t)
{
    uint64_t now = tmr_jiffies();

    if (t > now)
        pause_ms((unsigned)(t - now));
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int16_t *read_wav(const char *path, unsigned channels, size_t *frames)
{
    FILE *f = fopen(path, "rb");
    uint8_t h[44];
    uint32_t data;
    int16_t *s;

    assert_non_null(f);
    assert_int_equal(fread(h, 1, sizeof(h), f), sizeof(h));
    assert_memory_equal(h, "RIFF", 4);
    assert_memory_equal(h + 8, "WAVEfmt ", 8);
    assert_int_equal(h[20] | h[21] << 8, 1); /* PCM */
    assert_int_equal(h[22] | h[23] << 8, channels);
    assert_int_equal(le32(h + 24), 8000);
    assert_int_equal(h[34] | h[35] << 8, 16);
    assert_memory_equal(h + 36, "data", 4);
    data = le32(h + 40);
    assert_int_equal(le32(h + 4), 36 + data);
    s = malloc(data + 2);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, data + 2, f), data); /* nothing after the data */
    fclose(f);
    *frames = data / 2 / channels;
    return s;
}
