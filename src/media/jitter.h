/*
 * jitter.h - the jitter buffer of every path that decodes a peer's audio
 * (recording, conferences, silence detection, in-band DTMF). Relaying RTP
 * between legs of the same codec never goes through it (latency).
 *
 * Decoded 8 kHz samples are placed in a ring by their RTP timestamp, so they
 * come out in order whatever order the packets arrived in, and a gap (a lost
 * packet, comfort noise, a sender that stopped) comes out as silence in its
 * own place: the stream keeps its timing, which is what keeps the two
 * channels of a recording aligned.
 *
 * Depth: fixed, JITTER_DEPTH_MS (60 ms, three 20 ms frames) unless given:
 * playout starts `depth` behind the first packet's timestamp, so a packet
 * up to `depth` late still finds its place; one later than that is dropped
 * (its time has been played as silence). Duplicates (by sequence number) are
 * dropped. A burst that puts more than depth + 20 + 200 ms ahead of the
 * playout point drops the oldest audio to get back to `depth` (so latency
 * does not stay high after a network stall). A new SSRC, a jump of the
 * timestamps past the ring (about 1 s), or a run of 5 late packets (a sender
 * whose clock went back) restart playout on the new timing.
 *
 * Two ways to take frames: on a 20 ms clock (jitter_get() once per tick:
 * recorders, mixers, silence detection), or as packets arrive (while
 * jitter_ready(), then jitter_pending() to drain when the stream pauses:
 * in-band DTMF). Not thread-safe: one worker thread uses it.
 */
#ifndef SB_MEDIA_JITTER_H
#define SB_MEDIA_JITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    JITTER_DEPTH_MS = 60,
    JITTER_FRAME = 160, /* samples taken by jitter_get(): 20 ms at 8 kHz */
};

struct jitter_stats {
    uint64_t put;       /* packets taken in */
    uint64_t dups;      /* duplicates dropped */
    uint64_t late;      /* packets dropped because their time had been played */
    uint64_t concealed; /* frames given out with nothing received in them */
    uint64_t trimmed;   /* bursts cut back to the depth */
    uint64_t resyncs;   /* playout restarted on a new timing */
};

struct jitter;

/* depth_ms: 0 for JITTER_DEPTH_MS; at most 500. */
int jitter_alloc(struct jitter **jp, unsigned depth_ms);
/* Forget everything: the next packet starts playout afresh. */
void jitter_reset(struct jitter *jb);
/* n decoded samples (n <= 2048) of one RTP packet. */
void jitter_put(struct jitter *jb, uint32_t ssrc, uint16_t seq, uint32_t ts, const int16_t *pcm,
                size_t n);
/* The next JITTER_FRAME samples, silence where nothing arrived (and before
 * the first packet). Returns how many of them were received. */
size_t jitter_get(struct jitter *jb, int16_t *frame);
/* True when the next frame is `depth` older than the newest sample. */
bool jitter_ready(const struct jitter *jb);
/* True while received samples wait ahead of the playout point. */
bool jitter_pending(const struct jitter *jb);
void jitter_stats(const struct jitter *jb, struct jitter_stats *st);

#endif
