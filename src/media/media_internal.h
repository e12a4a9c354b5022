/*
 * media_internal.h - what the files of the media engine share (not a public
 * interface: src/media/media.h is the contract).
 *
 * Threads: the main loop owns struct media, the leg table (struct leg_ref),
 * the port pool and each leg's SDP session; a worker owns its legs (struct
 * leg) and everything in them. They talk through mailboxes: a locked list
 * plus a libre mqueue that wakes the consumer's loop.
 */
#ifndef SB_MEDIA_INTERNAL_H
#define SB_MEDIA_INTERNAL_H

#include "core/libre.h"
#include "media/jitter.h"
#include "media/media.h"

#include <pthread.h>

enum {
    MEDIA_SRATE = 8000,
    MEDIA_PTIME = 20,
    MEDIA_FRAME = 160, /* samples (and G.711 bytes) per 20 ms packet */
};

/* ---- mailbox: many producers, one consumer loop ---- */

typedef void(mailbox_h)(struct le *le, void *arg);

struct mailbox {
    pthread_mutex_t lock;
    struct list items; /* each item: a mem object whose first member is a struct le */
    struct mqueue *wake;
    mailbox_h *h;
    void *arg;
};

/* On the consumer's thread: its loop is the one woken. */
int mailbox_init(struct mailbox *mb, mailbox_h *h, void *arg);
/* Any thread; the mailbox owns item (a mem object) from now on. */
void mailbox_post(struct mailbox *mb, struct le *le, void *item);
/* On the consumer's thread: undelivered items are dropped (mem_deref). */
void mailbox_close(struct mailbox *mb);

/* ---- the port pool (main thread) ---- */

struct port_pool;

int port_pool_alloc(struct port_pool **pp, uint16_t min, uint16_t max);
/* Take a free pair; *port is the even RTP port. ENOSPC when none is left. */
int port_pool_get(struct port_pool *pp, uint16_t *port);
void port_pool_put(struct port_pool *pp, uint16_t port);
unsigned port_pool_pairs(const struct port_pool *pp);

/* ---- SDP (main thread) ---- */

/* What the worker needs to know of the peer. */
struct remote {
    struct sa rtp, rtcp; /* from SDP; unset before an answer arrives */
    int pt;              /* our audio payload type: 0 or 8; -1 unknown */
    int telev_pt;        /* telephone-event payload type, -1 if none */
    bool send, recv;     /* what we may do (hold: recv only, or neither) */
};

int msdp_alloc(struct sdp_session **sessp, struct sdp_media **smp, const struct sa *laddr,
               uint16_t port);
/* Decode the peer's SDP (offer or answer) and fill *r.
 * EINVAL: not SDP; EPROTO: no usable audio stream. */
int msdp_decode(struct sdp_session *sess, struct sdp_media *sm, const char *sdp, size_t len,
                bool offer, struct remote *r);
/* Our SDP as a NUL-terminated mem string. */
int msdp_encode(char **sdpp, struct sdp_session *sess, bool offer);

/* ---- workers and legs ---- */

struct worker {
    struct media *m;
    unsigned idx;
    pthread_t thr;
    bool running;
    struct mailbox cmds; /* consumed by the worker */
    struct cmd *quit;    /* CMD_QUIT, ready for media_free() */
    struct hash *legs;   /* by id; worker thread only */
    struct list confs;   /* worker thread only */
    unsigned nlegs;      /* main thread only: legs placed here */
    pthread_mutex_t ready_lock;
    pthread_cond_t ready_cond;
    int ready; /* 0: starting; 1: running; <0: -errno */
};

struct media {
    struct media_opts opts;
    char ip[64];
    struct sa laddr;
    media_event_h *eh;
    void *arg;
    struct worker *workers;
    unsigned nworkers;
    struct mailbox events; /* consumed by the main loop */
    bool events_ready;
    struct hash *refs; /* struct leg_ref by id, main thread only */
    struct port_pool *ports;
    struct writer *writer; /* the recordings' disk writer */
    struct hash *confs;    /* struct conf_ref by id, main thread only */
    uint32_t next_id;
};

/* The main thread's record of a conference. */
struct conf_ref {
    struct le he;
    uint32_t id;
    struct worker *w;
};

/* The main thread's record of a leg. */
struct leg_ref {
    struct le he;
    uint32_t id;
    struct worker *w;
    uint16_t port;
    struct sdp_session *sdp;
    struct sdp_media *sm;
    bool closing;
};

enum cmd_type {
    CMD_QUIT,
    CMD_OPEN,
    CMD_REMOTE,
    CMD_CLOSE,
    CMD_ECHO,
    CMD_PLAY,
    CMD_TONE,
    CMD_STOP,
    CMD_COLLECT,
    CMD_BRIDGE,
    CMD_UNBRIDGE,
    CMD_STATS,
    CMD_RECORD,
    CMD_RECORD_STOP,
    CMD_CONF_ALLOC,
    CMD_CONF_JOIN,
    CMD_CONF_LEAVE,
    CMD_CONF_FREE,
    CMD_SILENCE,
    CMD_SILENCE_STOP,
    CMD_LISTEN,
    CMD_LISTEN_STOP,
};

struct stats_reply {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    int err;
    struct media_stats st;
};

struct leg;

struct cmd {
    struct le le;
    enum cmd_type type;
    uint32_t leg;
    struct leg *newleg; /* CMD_OPEN: built on main, owned by the worker */
    struct remote remote;
    char *str; /* CMD_PLAY, CMD_RECORD: path; CMD_TONE: name; CMD_COLLECT: terminators */
    bool loop;
    unsigned max, first_ms, inter_ms;
    uint32_t op_id;
    int level;      /* CMD_SILENCE: threshold, dBov */
    uint32_t other; /* CMD_BRIDGE: the other leg; CMD_CONF_JOIN: the conference */
    struct stats_reply *reply;
};

/* main side (engine.c) */
struct leg_ref *ref_find(struct media *m, uint32_t id);
struct cmd *cmd_new(enum cmd_type type, uint32_t leg);
void cmd_send(struct worker *w, struct cmd *c);

/* worker side (leg.c) */
int leg_alloc(struct leg **lp, uint32_t id, const struct sa *laddr, uint16_t port);
void leg_start(struct leg *leg, struct worker *w, const struct remote *r);
void leg_set_remote(struct leg *leg, const struct remote *r);
struct leg *leg_find(struct worker *w, uint32_t id);
/* Close with MEDIA_EV_CLOSED (events) or silently (engine shutdown). */
void leg_close(struct leg *leg, bool events);
void leg_stats(struct leg *leg, struct media_stats *st);
void leg_echo(struct leg *leg);
/* A WAV file (tone false) or a named tone (tone true); replaces echo/play. */
void leg_play(struct leg *leg, const char *what, bool loop, uint32_t op_id, bool tone);
void leg_stop(struct leg *leg);
void leg_collect(struct leg *leg, unsigned max, const char *terms, unsigned first_ms,
                 unsigned inter_ms, uint32_t op_id);
int leg_bridge(struct leg *a, struct leg *b);
void leg_unbridge(struct leg *leg);
/* Send one packet of payload to the peer (ts advances by samples). */
void leg_send(struct leg *leg, uint8_t pt, const uint8_t *payload, size_t len, size_t samples);
int leg_pt(const struct leg *leg);
uint32_t leg_id(const struct leg *leg);
struct worker *leg_worker(const struct leg *leg);
struct leg *leg_bridged(const struct leg *leg);
bool leg_in_conf(const struct leg *leg);
struct list *leg_taps(struct leg *leg);
void leg_record(struct leg *leg, const char *path, uint32_t op_id);
void leg_record_stop(struct leg *leg);
/* The conference's mixer: what it took from the leg and sent it. */
void leg_record_feed(struct leg *leg, const int16_t *in, const int16_t *out);
struct conf;
void leg_conf_join(struct leg *leg, struct conf *conf);
void leg_conf_leave(struct leg *leg);
/* The conference is going: the leg is out of it, idle. */
void leg_conf_gone(struct leg *leg);
void leg_silence(struct leg *leg, int threshold_dbov, unsigned silence_ms, unsigned first_ms,
                 uint32_t op_id);
void leg_silence_stop(struct leg *leg);
void leg_listen(struct leg *leg, unsigned silence_ms, unsigned first_ms, unsigned max_ms,
                uint32_t op_id);
void leg_listen_stop(struct leg *leg);

/* G.711 and levels (pcm.c): pt 8 is PCMA, anything else PCMU */
void pcm_decode(int pt, const uint8_t *p, size_t n, int16_t *out);
void pcm_encode(int pt, const int16_t *in, size_t n, uint8_t *out);
/* RMS level in dB relative to full scale; -96 for digital silence. */
double pcm_level(const int16_t *s, size_t n);

/* WAV files cached in memory on the worker, encoded once (prompts.c).
 * *out is a new reference (mem_deref it when done). EFBIG: too long to
 * keep (stream it instead). */
struct prompt;
int prompt_get(const char *path, struct prompt **out);
size_t prompt_frames(const struct prompt *p);
const uint8_t *prompt_frame(const struct prompt *p, size_t i, int pt);
void prompts_flush(void);

/* The worker's 20 ms clock (ticker.c): h runs once per frame on the
 * worker's thread while the ticker is started. A ticker must be zeroed
 * (mem_zalloc) before its first start; stopping it inside its own h is
 * fine, and so is freeing it after. */
typedef bool(ticker_h)(void *arg); /* one frame is due; false: stopped (maybe freed) */
struct ticker {
    struct le le; /* in the thread's clock */
    ticker_h *h;
    void *arg;
    bool on;
};
void ticker_start(struct ticker *t, ticker_h *h, void *arg);
void ticker_stop(struct ticker *t);

/* Taps (tap.c): a listener's jitter buffer fed with a leg's decoded audio. */
typedef void(tap_h)(void *arg); /* after each packet put: arrival-paced listeners */
struct tap {
    struct le le;
    struct leg *leg; /* NULL: detached, silence */
    struct jitter *jb;
    tap_h *h;
    void *arg;
};
int tap_alloc(struct tap **tp, struct leg *leg, tap_h *h, void *arg);
/* Listen to another leg (or none); the jitter buffer starts afresh. */
void tap_move(struct tap *t, struct leg *leg);
size_t tap_get(struct tap *t, int16_t *frame);
/* A leg's received G.711 packet, decoded once for all its taps. */
void taps_feed(struct list *taps, const struct rtp_header *hdr, const uint8_t *p, size_t len);
/* The leg is going: its taps hear nothing more. */
void taps_detach(struct list *taps);

/* The disk writer thread (writer.c) */
struct writer;
struct wavout;
int writer_alloc(struct writer **wp, struct media *m);
/* A WAV file opened on the writer thread; NULL: no memory. */
struct wavout *writer_open(struct writer *w, const char *path, unsigned channels);
/* data: a mem buffer of interleaved 16-bit little-endian samples, now the writer's. */
void writer_write(struct wavout *f, uint8_t *data, size_t len);
/* Finish the file (header sizes), then post ev and after (each may be NULL). */
void writer_close(struct wavout *f, const struct media_event *ev, const struct media_event *after);

/* Recorders (record.c), on the worker */
struct recorder;
int recorder_alloc(struct recorder **rp, struct leg *leg, const char *path, unsigned channels,
                   uint32_t op_id);
/* The leg was bridged, unbridged, joined or left a conference. */
void recorder_update(struct recorder *r);
void recorder_feed(struct recorder *r, const int16_t *left, const int16_t *right);
/* RECORD_DONE (if events) then after (if not NULL) once the file is complete; frees r. */
void recorder_stop(struct recorder *r, const char *reason, bool events,
                   const struct media_event *after);

/* Conferences (conf.c), on the worker */
struct conf_part;
int conf_alloc(struct conf **cp, struct worker *w, uint32_t id);
struct conf *conf_find(struct worker *w, uint32_t id);
int conf_add(struct conf *c, struct leg *leg, struct conf_part **pp);
void conf_remove(struct conf_part *p);

/* Silence detection (vad.c), on the worker; *ref cleared when it ends */
struct vad;
struct vad_opts {
    int threshold_dbov; /* 0: -40 */
    unsigned silence_ms, first_ms;
    unsigned max_ms; /* listening for an utterance (MEDIA_EV_SPEECH) when > 0 */
    uint32_t op_id;
};
int vad_alloc(struct vad **vp, struct leg *leg, const struct vad_opts *o);
void vad_stop(struct vad *v, bool events);

/* DTMF and collecting (dtmf.c), on the worker */
struct dtmf;
int dtmf_alloc(struct dtmf **dp, struct leg *leg);
void dtmf_recv(struct dtmf *d, struct mbuf *mb);
/* The digit an RFC 4733 packet (the RTP payload) reports, 0 for none;
 * *pending is the event whose start was reported (-1: none). Pure. */
char dtmf_event(struct telev *tel, struct mbuf *mb, int *pending);
/* Look for in-band digits in the peer's audio (when it cannot send
 * RFC 4733 events), through a tap of the leg. */
int dtmf_inband(struct dtmf *d, bool on);
void dtmf_digit(struct dtmf *d, char digit);
void dtmf_collect(struct dtmf *d, unsigned max, const char *terms, unsigned first_ms,
                  unsigned inter_ms, uint32_t op_id);
/* End a collect under way (MEDIA_EV_DIGITS "stopped" if events). */
void dtmf_collect_end(struct dtmf *d, bool events);

/* Players (player.c), on the worker */
struct player;
/* The player calls leg_send() every 20 ms and posts PLAY_DONE. */
int player_file(struct player **pp, struct leg *leg, const char *path, bool loop, uint32_t op_id);
int player_tone(struct player **pp, struct leg *leg, const char *name, uint32_t op_id);
/* Stop it: PLAY_DONE "stopped" if events; then mem_deref it. */
void player_stop(struct player *p, bool events);

/* Events (engine.c): from a worker (or the writer) to the main loop. */
void media_post(struct worker *w, const struct media_event *ev);
void media_post_main(struct media *m, const struct media_event *ev);
void media_post_simple(struct leg *leg, enum media_event_type type, uint32_t op_id,
                       const char *reason);

#endif
