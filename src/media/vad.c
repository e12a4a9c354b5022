/*
 * vad.c - voice activity on a leg, on its worker: the level of the peer's
 * audio, one 20 ms frame per tick from a tap (so comfort noise, lost
 * packets and a peer that sends nothing all count as silence). Two uses:
 *
 *  - silence detection (voicemail): MEDIA_EV_SILENCE once speech has been
 *    followed by enough silence, or when no speech came at all in time;
 *  - listening for one utterance (speech recognition in attendants):
 *    MEDIA_EV_SPEECH "started" as soon as speech begins (the caller barges
 *    in), then "utterance" with the audio, from a short stretch before the
 *    speech began (the recogniser wants the onset and some silence) to the
 *    end of the silence that closed it.
 */
#include "media/media_internal.h"

#include <errno.h>
#include <string.h>

enum {
    DEFAULT_DBOV = -40,
    SPEECH_FRAMES = 3,     /* 60 ms above the threshold in a row is speech */
    PREROLL_FRAMES = 15,   /* 300 ms kept from before the speech began */
    TAIL_KEPT_FRAMES = 15, /* at most 300 ms of the closing silence kept */
};

struct vad {
    struct leg *leg;
    struct vad **ref; /* the leg's pointer to us, cleared when we end */
    struct tap *tap;
    struct ticker tk;
    double threshold;
    unsigned silence_ms, first_ms, max_ms;
    uint32_t op_id;
    unsigned loud_run;
    bool speech;
    uint64_t frames, quiet; /* frames seen; frames since the last loud one */
    /* listening only */
    bool listen;
    int16_t *pcm;     /* mem buffer: preroll ring, then the utterance */
    size_t cap;       /* frames pcm holds */
    size_t n;         /* frames in pcm (the utterance), or ring fill */
    size_t ring_head; /* before speech: the oldest frame of the ring */
    size_t spoken;    /* frames since the speech began */
    size_t longest;   /* frames of speech that end an utterance ("max") */
};

static void vad_destructor(void *arg)
{
    struct vad *v = arg;

    ticker_stop(&v->tk);
    mem_deref(v->tap);
    mem_deref(v->pcm);
}

static void post(struct vad *v, enum media_event_type type, const char *reason,
                 uint32_t duration_ms, int16_t *pcm, size_t samples)
{
    struct media_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.leg = leg_id(v->leg);
    ev.op_id = v->op_id;
    ev.reason = reason;
    ev.duration_ms = duration_ms;
    ev.pcm = pcm;
    ev.samples = samples;
    media_post(leg_worker(v->leg), &ev);
}

static void finish(struct vad *v, const char *reason, uint32_t duration_ms, bool events)
{
    if (*v->ref == v)
        *v->ref = NULL;
    if (events)
        post(v, v->listen ? MEDIA_EV_SPEECH : MEDIA_EV_SILENCE, reason, duration_ms, NULL, 0);
    mem_deref(v);
}

/* Speech began: the ring of frames before it becomes the utterance's
 * start, oldest first. */
static void unroll(struct vad *v)
{
    int16_t tmp[PREROLL_FRAMES * MEDIA_FRAME];
    size_t have = v->n;

    for (size_t i = 0; i < have; i++)
        memcpy(tmp + i * MEDIA_FRAME, v->pcm + ((v->ring_head + i) % PREROLL_FRAMES) * MEDIA_FRAME,
               MEDIA_FRAME * sizeof(int16_t));
    memcpy(v->pcm, tmp, have * MEDIA_FRAME * sizeof(int16_t));
}

/* Keep one frame: in the ring before speech, appended after. */
static void keep(struct vad *v, const int16_t *frame)
{
    if (!v->speech) {
        size_t slot = (v->ring_head + v->n) % PREROLL_FRAMES;

        memcpy(v->pcm + slot * MEDIA_FRAME, frame, MEDIA_FRAME * sizeof(int16_t));
        if (v->n < PREROLL_FRAMES)
            v->n++;
        else
            v->ring_head = (v->ring_head + 1) % PREROLL_FRAMES;
        return;
    }
    if (v->quiet > TAIL_KEPT_FRAMES || v->n >= v->cap)
        return;
    memcpy(v->pcm + v->n * MEDIA_FRAME, frame, MEDIA_FRAME * sizeof(int16_t));
    v->n++;
}

/* The utterance is complete: hand it over (the event owns the buffer). */
static void deliver(struct vad *v, const char *reason)
{
    int16_t *pcm = v->pcm;
    size_t samples = v->n * MEDIA_FRAME;

    v->pcm = NULL;
    if (*v->ref == v)
        *v->ref = NULL;
    post(v, MEDIA_EV_SPEECH, reason, (uint32_t)(samples / (MEDIA_SRATE / 1000)), pcm, samples);
    mem_deref(v);
}

static bool vad_frame(void *arg)
{
    struct vad *v = arg;
    int16_t pcm[MEDIA_FRAME];
    bool was_speech = v->speech;

    (void)tap_get(v->tap, pcm);
    v->frames++;
    if (pcm_level(pcm, MEDIA_FRAME) > v->threshold) {
        v->quiet = 0;
        if (++v->loud_run >= SPEECH_FRAMES)
            v->speech = true;
    } else {
        v->loud_run = 0;
        v->quiet++;
    }
    if (v->listen) {
        if (v->speech && !was_speech) {
            unroll(v);
            post(v, MEDIA_EV_SPEECH, "started", 0, NULL, 0);
        }
        keep(v, pcm);
        if (v->speech && ++v->spoken >= v->longest) {
            deliver(v, "max");
            return false;
        }
        if (v->speech && v->quiet * MEDIA_PTIME >= v->silence_ms) {
            deliver(v, "utterance");
            return false;
        }
    } else if (v->speech && v->quiet * MEDIA_PTIME >= v->silence_ms) {
        finish(v, "silence", (uint32_t)(v->quiet * MEDIA_PTIME), true);
        return false;
    }
    if (!v->speech && v->first_ms && v->frames * MEDIA_PTIME >= v->first_ms) {
        finish(v, "timeout", (uint32_t)(v->frames * MEDIA_PTIME), true);
        return false;
    }
    return true;
}

int vad_alloc(struct vad **vp, struct leg *leg, const struct vad_opts *o)
{
    struct vad *v = mem_zalloc(sizeof(*v), vad_destructor);
    int err;

    if (!v)
        return ENOMEM;
    v->leg = leg;
    v->ref = vp;
    v->threshold = o->threshold_dbov ? o->threshold_dbov : DEFAULT_DBOV;
    v->silence_ms = o->silence_ms;
    v->first_ms = o->first_ms;
    v->op_id = o->op_id;
    v->listen = o->max_ms > 0;
    if (v->listen) {
        /* the preroll, the longest speech, the silence kept after it */
        v->longest = o->max_ms / MEDIA_PTIME;
        v->cap = PREROLL_FRAMES + v->longest + TAIL_KEPT_FRAMES;
        v->pcm = mem_alloc(v->cap * MEDIA_FRAME * sizeof(int16_t), NULL);
        if (!v->pcm) {
            mem_deref(v);
            return ENOMEM;
        }
    }
    err = tap_alloc(&v->tap, leg, NULL, NULL);
    if (err) {
        mem_deref(v);
        return err;
    }
    *vp = v;
    ticker_start(&v->tk, vad_frame, v);
    return 0;
}

void vad_stop(struct vad *v, bool events)
{
    finish(v, "stopped", 0, events);
}
