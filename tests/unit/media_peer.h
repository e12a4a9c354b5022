/*
 * media_peer.h - what the media engine's unit tests share: the events seen
 * on the main loop (the engine's handler is on_event), a test-side RTP peer
 * made of a plain UDP socket, and engine, SDP and leg helpers.
 */
#ifndef SB_TESTS_MEDIA_PEER_H
#define SB_TESTS_MEDIA_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/media.h"

#include "loop_client.h"

enum { MAX_EVENTS = 256 };
enum { PORT_MIN = 31000, PORT_MAX = 31099 };

extern struct media_event events[MAX_EVENTS];
extern unsigned nevents;

struct want {
    enum media_event_type type;
    uint32_t leg;
    unsigned n;
};

struct pkt {
    uint8_t pt;
    bool marker;
    uint16_t seq;
    uint32_t ts, ssrc;
    uint8_t payload[400];
    size_t len;
};

struct peer {
    int fd;
    uint16_t port;
    struct pkt rx[128];
    unsigned nrx;
    uint16_t seq;
    uint32_t ts;
};

struct peer_want {
    struct peer *p;
    unsigned n;
};

/* The engine's event handler: every event is kept in events[]. */
void on_event(const struct media_event *ev, void *arg);
const struct media_event *find_event(enum media_event_type type, uint32_t leg);
unsigned count_events(enum media_event_type type, uint32_t leg);
bool have_events(void *arg);
/* Run the loop until an event of type comes for leg (asserts it does). */
const struct media_event *wait_event(enum media_event_type type, uint32_t leg, unsigned ms);

void peer_open(struct peer *p);
void peer_close(struct peer *p);
void peer_send(struct peer *p, uint16_t to_port, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
               const uint8_t *payload, size_t len);
/* 20 ms of audio, the payload bytes all set to fill. */
void peer_audio(struct peer *p, uint16_t to_port, uint8_t fill);
/* An RFC 4733 digit: a start, a continuation and three end packets. */
void peer_digit(struct peer *p, uint16_t to_port, uint8_t pt, int event);
/* Keep what arrived (up to 128 packets) in p->rx. */
void peer_drain(struct peer *p);
bool peer_has(void *arg);
bool peer_wait(struct peer *p, unsigned n, unsigned ms);

/* An engine on 127.0.0.1 whose events go to events[] (emptied). */
struct media *engine(unsigned threads, uint16_t min, uint16_t max);
const char *offer_sdp(uint16_t port, const char *fmts, const char *extra);
uint16_t sdp_port(const char *sdp);
/* A leg answering an offer whose audio goes to the peer's port. */
uint32_t answer_leg(struct media *m, uint32_t near, uint16_t peer_port, const char *fmts,
                    uint16_t *leg_port);
/* A round trip to the leg's worker: every command sent before has run. */
struct media_stats sync_stats(struct media *m, uint32_t leg);
void close_leg(struct media *m, uint32_t leg);

/* Run the loop until tmr_jiffies() reaches t. */
void wait_until(uint64_t t);
/* A WAV file as the recorder writes it: the header is checked (PCM, 8 kHz,
 * 16 bits, channels, sizes); the samples (interleaved, malloc'd) and their
 * count per channel. */
int16_t *read_wav(const char *path, unsigned channels, size_t *frames);

#endif
