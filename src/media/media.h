/*
 * media.h - the media engine: RTP legs on media threads.
 *
 * N worker threads (N = cores unless configured), each running its own
 * libre loop. A leg (one RTP/RTCP port pair facing one peer) lives on one
 * worker for its whole life; so do the legs it is bridged with. The main
 * loop never touches a leg: it sends commands (each returns at once) and
 * gets events back on the main loop through the event handler given to
 * media_alloc(). Nothing here blocks the main loop.
 *
 * SDP offer/answer is done on the calling (main) thread: creating a leg
 * takes an RTP port pair from the engine's own pool (even port for RTP,
 * next for RTCP, from [port_min, port_max]; never libre's random ports),
 * negotiates PCMU (0), PCMA (8) and telephone-event (RFC 4733, dynamic
 * type, usually 101) and returns our SDP at once; the worker opens the
 * sockets right after.
 *
 * RTP: symmetric RTP (latching): RTP is sent to where the peer's RTP
 * comes from once it arrives (phones behind NAT), else to the SDP
 * address. 20 ms packets of 160 samples at 8 kHz. RTCP sender/receiver
 * reports are sent every 5 s; received ones give the round-trip time.
 *
 * Leg ids are never 0 and never reused within a process.
 */
#ifndef SB_MEDIA_MEDIA_H
#define SB_MEDIA_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct media;

enum media_event_type {
    MEDIA_EV_DTMF,        /* a digit arrived (RFC 4733 or in-band): digit */
    MEDIA_EV_DIGITS,      /* a collect finished: digits, reason */
    MEDIA_EV_PLAY_DONE,   /* a play or tone finished (not for loops): op_id, reason */
    MEDIA_EV_RTP_TIMEOUT, /* no RTP from the peer for the configured time */
    MEDIA_EV_CLOSED,      /* the leg is gone: stats */
    MEDIA_EV_RECORD_DONE, /* a recording's file is complete: op_id, reason, duration_ms */
    MEDIA_EV_SILENCE,     /* silence detection fired or ended: op_id, reason, duration_ms */
    MEDIA_EV_SPEECH,      /* listening: speech "started", an "utterance" (pcm), or the end */
};

struct media_stats {
    uint64_t rx_packets, tx_packets;
    uint64_t rx_lost; /* from sequence gaps */
    double jitter_ms; /* RFC 3550 interarrival jitter, of received RTP */
    double rtt_ms;    /* from RTCP; -1 when unknown */
    char codec[8];    /* "PCMU" or "PCMA" */
};

struct media_event {
    enum media_event_type type;
    uint32_t leg;
    uint32_t op_id;           /* the id given to the command that finished */
    char digit;               /* MEDIA_EV_DTMF: 0-9 * # A-D */
    char digits[64];          /* MEDIA_EV_DIGITS: what was collected */
    const char *reason;       /* "done", "terminator", "max", "timeout", "stopped", "error",
                               * "closed" (RECORD_DONE), "silence" (SILENCE) */
    uint32_t duration_ms;     /* RECORD_DONE: audio recorded; SILENCE: the silence (or the
                               * wait, "timeout") that ended it */
    uint8_t channels;         /* RECORD_DONE: the file's channels (0: it never began) */
    struct media_stats stats; /* MEDIA_EV_CLOSED */
    int16_t *pcm;             /* MEDIA_EV_SPEECH "utterance"/"max": 8 kHz 16-bit mono audio, a
                               * mem object freed after the handler (mem_ref it to keep it) */
    size_t samples;
};

/* Called on the main loop for every event, in order per leg. */
typedef void(media_event_h)(const struct media_event *ev, void *arg);

struct media_opts {
    unsigned threads;  /* 0: one per core */
    uint16_t port_min; /* RTP port range, e.g. 20000..29999 */
    uint16_t port_max;
    const char *ip;          /* bind address and the address put in our SDP */
    unsigned rtp_timeout_ms; /* 0: never report MEDIA_EV_RTP_TIMEOUT */
};

/* Must be called on the main thread, with libre initialised there. */
int media_alloc(struct media **mp, const struct media_opts *opts, media_event_h *eh, void *arg);
/* Closes every leg (no events after this) and joins the threads. */
void media_free(struct media *m);

/* ---- legs ---- */
/* A leg for a peer's SDP offer: *answer is our SDP answer (mem-allocated,
 * NUL-terminated). near: a leg whose worker the new one joins (legs to be
 * bridged must share a worker), or 0 for the least loaded worker.
 * EPROTO: no common codec (answer 488); ENOSPC: no free port pair (answer
 * 503); EINVAL: the offer is not SDP. */
int media_leg_answer(struct media *m, uint32_t near, const char *offer, size_t len, uint32_t *leg,
                     char **answer);
/* A leg that makes the offer (calls we place): *offer is our SDP. */
int media_leg_offer(struct media *m, uint32_t near, uint32_t *leg, char **offer);
/* The peer's answer to media_leg_offer(). EPROTO/EINVAL as above. */
int media_leg_answered(struct media *m, uint32_t leg, const char *answer, size_t len);
/* A new offer from the peer on an existing leg (re-INVITE: hold with
 * sendonly/inactive, resume, a new address); *answer as above. */
int media_leg_reoffer(struct media *m, uint32_t leg, const char *offer, size_t len, char **answer);
/* Close a leg: its ports go back to the pool; MEDIA_EV_CLOSED follows
 * with its statistics. */
void media_leg_close(struct media *m, uint32_t leg);

/* ---- what a leg does (each replaces what it did before) ---- */
/* Send back to the peer what it sends (the echo test). */
int media_echo(struct media *m, uint32_t leg);
/* Play a WAV file (8 kHz, 16-bit mono PCM) once (MEDIA_EV_PLAY_DONE at
 * the end) or in a loop (until stopped). */
int media_play(struct media *m, uint32_t leg, const char *wav_path, bool loop, uint32_t op_id);
/* A tone: "ringback" (440+480 Hz, 2 s on 4 s off), "busy" (480+620 Hz,
 * 0.5 s on, 0.5 s off), "beep" (1000 Hz, 0.2 s once). */
int media_tone(struct media *m, uint32_t leg, const char *name, uint32_t op_id);
/* Stop playing (MEDIA_EV_PLAY_DONE with reason "stopped"); silence. */
int media_stop(struct media *m, uint32_t leg);
/* Collect digits (RFC 4733 events, and in-band tones): at most max,
 * ending at a terminator (e.g. "#", not included), or when first_ms
 * passes with no digit, or inter_ms between digits; MEDIA_EV_DIGITS.
 * Digits also come one by one as MEDIA_EV_DTMF meanwhile. */
int media_collect(struct media *m, uint32_t leg, unsigned max, const char *terminators,
                  unsigned first_ms, unsigned inter_ms, uint32_t op_id);
/* Relay RTP between two legs on the same worker (EXDEV otherwise): as
 * they are when their codecs match, transcoded between PCMU and PCMA
 * otherwise. */
int media_bridge(struct media *m, uint32_t a, uint32_t b);
int media_unbridge(struct media *m, uint32_t a);

/* ---- recording (independent of what the leg does; one per leg) ---- */
/* Record the leg to a WAV file at path (8 kHz, 16-bit PCM; created or
 * truncated). Mono, what the leg's peer sends, unless the leg is bridged
 * or in a conference when the recording starts: then stereo, left = what
 * the leg's peer sends, right = what is sent to it (the other side of the
 * bridge, or the conference's mix of the others). The channel count stays
 * as it started; a side with nothing to say is silence, and the two sides
 * stay aligned in time (each placed by its RTP timestamps behind a 60 ms
 * jitter buffer; lost packets are silence). Files are written by the
 * engine's writer thread, never on the main loop or a media thread.
 * MEDIA_EV_RECORD_DONE (op_id, duration_ms) comes once the file is
 * complete on disk (header sizes written): reason "stopped" (media_record_stop
 * or a new media_record_start), "closed" (the leg closed: its MEDIA_EV_CLOSED
 * follows the RECORD_DONE), "error" (the file could not be written).
 * Pure relaying in a bridge decodes nothing; a recording decodes only while
 * it runs. */
int media_record_start(struct media *m, uint32_t leg, const char *path, uint32_t op_id);
/* Stop the leg's recording, if any (no event when there is none). */
int media_record_stop(struct media *m, uint32_t leg);

/* ---- conferences ---- */
/* A conference mixes any number of legs on one worker: every 20 ms each
 * participant's audio (decoded, behind a 60 ms jitter buffer; nothing
 * arriving is silence) is summed, and each participant is sent the sum
 * minus its own voice, saturated to 16 bits, in its own codec.
 * media_conf_alloc: a conference on the worker of leg `near` (0: the least
 * loaded one); *conf is its id (never 0, never a leg's id). */
int media_conf_alloc(struct media *m, uint32_t near, uint32_t *conf);
/* Add a leg: what it did stops (a play ends "stopped", a bridge is undone:
 * its other leg goes idle until joined too). EXDEV: the leg is on another
 * worker (create legs with `near`); ENOENT: no such leg or conference. A
 * leg is in one conference at most: joining another leaves the first. A
 * recording under way goes on, now recording the conference: left the
 * leg's voice, right the mix it hears. */
int media_conf_join(struct media *m, uint32_t conf, uint32_t leg);
/* Take a leg out of its conference (it goes idle). */
int media_conf_leave(struct media *m, uint32_t leg);
/* End a conference: its legs go idle (they stay open). */
void media_conf_free(struct media *m, uint32_t conf);

/* ---- silence detection (independent of what the leg does) ---- */
/* Watch the level of the peer's audio (decoded, RMS of 20 ms frames, in dB
 * below full scale; comfort noise and missing packets are silence):
 * speech is 60 ms above threshold_dbov (e.g. -40; 0 takes -40); then
 * silence_ms below it ends with MEDIA_EV_SILENCE reason "silence",
 * duration_ms the silence. first_ms (0: no limit) with no speech at all
 * ends with reason "timeout". Once only; a new call replaces the previous
 * one (which ends "stopped"), as does media_silence_stop or the leg closing. */
int media_silence_detect(struct media *m, uint32_t leg, int threshold_dbov, unsigned silence_ms,
                         unsigned first_ms, uint32_t op_id);
int media_silence_stop(struct media *m, uint32_t leg);

/* ---- listening for an utterance (speech recognition; independent of
 * what the leg does, and of silence detection) ---- */
/* Speech is detected as above (-40 dBov, 60 ms). MEDIA_EV_SPEECH reason
 * "started" comes as soon as the peer starts to speak (to stop a prompt:
 * barge-in); then "utterance" once silence_ms of silence follows the
 * speech, or "max" after max_ms of it, each with pcm/samples: the audio
 * from 300 ms before the speech began to at most 300 ms into the silence
 * that ended it. first_ms (0: no limit) with no speech at all ends with
 * "timeout". Once only: a new media_listen replaces it (the old one ends
 * "stopped"), as do media_listen_stop and the leg closing. EINVAL: no
 * silence_ms or max_ms, or max_ms over 60 s. */
int media_listen(struct media *m, uint32_t leg, unsigned silence_ms, unsigned first_ms,
                 unsigned max_ms, uint32_t op_id);
int media_listen_stop(struct media *m, uint32_t leg);

/* The statistics so far (a copy taken on the leg's thread; may block the
 * caller for a moment: for the API and tests, not for every packet). */
int media_leg_stats(struct media *m, uint32_t leg, struct media_stats *out);

#endif
