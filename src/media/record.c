/*
 * record.c - recording a leg to a WAV file (8 kHz, 16-bit PCM), on its
 * worker: mono (what the leg's peer sends) or, when the leg was bridged or
 * in a conference as the recording started, stereo (left: what the leg's
 * peer sends; right: what the leg sends it, i.e. the other side of the
 * bridge, or the conference's mix for this leg).
 *
 * On its own, a recorder takes one frame a side every 20 ms from its taps
 * (their jitter buffers place each side's audio by timestamp, so a side
 * that says nothing or loses packets becomes silence in its place and
 * never shifts the other channel). In a conference the mixer feeds it the
 * frames it mixed, on the mixer's clock. Filled chunks go to the writer
 * thread: the worker never waits on the disk.
 */
#include "media/media_internal.h"

#include <errno.h>
#include <string.h>

enum { CHUNK_FRAMES = 25 }; /* 500 ms a write */

struct recorder {
    struct leg *leg; /* not touched once stopping: the leg may be gone */
    uint32_t id;     /* the leg's */
    uint32_t op_id;
    struct wavout *out;
    unsigned channels;
    struct tap *left, *right;
    bool ticking;
    struct ticker tk;
    uint8_t *chunk; /* a mem buffer of CHUNK_FRAMES frames */
    size_t used;    /* bytes */
    uint64_t frames;
};

static void recorder_destructor(void *arg)
{
    struct recorder *r = arg;

    ticker_stop(&r->tk);
    mem_deref(r->left);
    mem_deref(r->right);
    mem_deref(r->chunk);
}

static size_t chunk_size(const struct recorder *r)
{
    return CHUNK_FRAMES * MEDIA_FRAME * r->channels * 2;
}

static void flush(struct recorder *r)
{
    if (r->chunk && r->used)
        writer_write(r->out, r->chunk, r->used);
    else
        mem_deref(r->chunk);
    r->chunk = NULL;
    r->used = 0;
}

/* One 20 ms frame (right ignored when mono), little-endian. */
static void add_frame(struct recorder *r, const int16_t *left, const int16_t *right)
{
    uint8_t *p;

    if (!r->chunk) {
        r->chunk = mem_alloc(chunk_size(r), NULL);
        if (!r->chunk)
            return; /* the frame is lost, the file goes on */
    }
    p = r->chunk + r->used;
    for (size_t i = 0; i < MEDIA_FRAME; i++) {
        *p++ = (uint8_t)((uint16_t)left[i] & 0xff);
        *p++ = (uint8_t)((uint16_t)left[i] >> 8);
        if (r->channels == 2) {
            *p++ = (uint8_t)((uint16_t)right[i] & 0xff);
            *p++ = (uint8_t)((uint16_t)right[i] >> 8);
        }
    }
    r->used = (size_t)(p - r->chunk);
    r->frames++;
    if (r->used >= chunk_size(r))
        flush(r);
}

static bool rec_tick(void *arg)
{
    struct recorder *r = arg;
    int16_t left[MEDIA_FRAME], right[MEDIA_FRAME];

    (void)tap_get(r->left, left);
    if (r->right)
        (void)tap_get(r->right, right);
    add_frame(r, left, right);
    return true;
}

int recorder_alloc(struct recorder **rp, struct leg *leg, const char *path, unsigned channels,
                   uint32_t op_id)
{
    struct recorder *r = mem_zalloc(sizeof(*r), recorder_destructor);
    int err;

    if (!r)
        return ENOMEM;
    r->leg = leg;
    r->id = leg_id(leg);
    r->op_id = op_id;
    r->channels = channels == 2 ? 2 : 1;
    err = tap_alloc(&r->left, NULL, NULL, NULL);
    if (!err && r->channels == 2)
        err = tap_alloc(&r->right, NULL, NULL, NULL);
    if (!err) {
        r->out = writer_open(leg_worker(leg)->m->writer, path, r->channels);
        err = r->out ? 0 : ENOMEM;
    }
    if (err) {
        mem_deref(r);
        return err;
    }
    *rp = r;
    recorder_update(r);
    return 0;
}

void recorder_update(struct recorder *r)
{
    if (!r)
        return;
    if (leg_in_conf(r->leg)) {
        /* the mixer feeds us: no taps, no clock of our own */
        tap_move(r->left, NULL);
        if (r->right)
            tap_move(r->right, NULL);
        ticker_stop(&r->tk);
        r->ticking = false;
        return;
    }
    tap_move(r->left, r->leg);
    if (r->right)
        tap_move(r->right, leg_bridged(r->leg)); /* none: silence */
    if (!r->ticking) {
        ticker_start(&r->tk, rec_tick, r);
        r->ticking = true;
    }
}

void recorder_feed(struct recorder *r, const int16_t *left, const int16_t *right)
{
    if (r && !r->ticking)
        add_frame(r, left, right);
}

void recorder_stop(struct recorder *r, const char *reason, bool events,
                   const struct media_event *after)
{
    struct media_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.type = MEDIA_EV_RECORD_DONE;
    ev.leg = r->id;
    ev.op_id = r->op_id;
    ev.reason = reason;
    ev.duration_ms = (uint32_t)(r->frames * MEDIA_PTIME);
    ev.channels = (uint8_t)r->channels;
    ticker_stop(&r->tk);
    flush(r);
    writer_close(r->out, events ? &ev : NULL, after);
    mem_deref(r);
}
