/*
 * vad.c - silence detection on a leg, on its worker: the level of the
 * peer's audio, one 20 ms frame per tick from a tap (so comfort noise, lost
 * packets and a peer that sends nothing all count as silence), reported as
 * MEDIA_EV_SILENCE once speech has been followed by enough silence, or when
 * no speech came at all in time. Used to end voicemail recordings.
 */
#include "media/media_internal.h"

#include <errno.h>
#include <string.h>

enum {
    DEFAULT_DBOV = -40,
    SPEECH_FRAMES = 3, /* 60 ms above the threshold in a row is speech */
};

struct vad {
    struct leg *leg;
    struct vad **ref; /* the leg's pointer to us, cleared when we end */
    struct tap *tap;
    struct ticker tk;
    double threshold;
    unsigned silence_ms, first_ms;
    uint32_t op_id;
    unsigned loud_run;
    bool speech;
    uint64_t frames, quiet; /* frames seen; frames since the last loud one */
};

static void vad_destructor(void *arg)
{
    struct vad *v = arg;

    ticker_stop(&v->tk);
    mem_deref(v->tap);
}

static void finish(struct vad *v, const char *reason, uint32_t duration_ms, bool events)
{
    struct media_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.type = MEDIA_EV_SILENCE;
    ev.leg = leg_id(v->leg);
    ev.op_id = v->op_id;
    ev.reason = reason;
    ev.duration_ms = duration_ms;
    if (*v->ref == v)
        *v->ref = NULL;
    if (events)
        media_post(leg_worker(v->leg), &ev);
    mem_deref(v);
}

static bool vad_frame(void *arg)
{
    struct vad *v = arg;
    int16_t pcm[MEDIA_FRAME];

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
    if (v->speech && v->quiet * MEDIA_PTIME >= v->silence_ms) {
        finish(v, "silence", (uint32_t)(v->quiet * MEDIA_PTIME), true);
        return false;
    }
    if (!v->speech && v->first_ms && v->frames * MEDIA_PTIME >= v->first_ms) {
        finish(v, "timeout", (uint32_t)(v->frames * MEDIA_PTIME), true);
        return false;
    }
    return true;
}

int vad_alloc(struct vad **vp, struct leg *leg, int threshold_dbov, unsigned silence_ms,
              unsigned first_ms, uint32_t op_id)
{
    struct vad *v = mem_zalloc(sizeof(*v), vad_destructor);
    int err;

    if (!v)
        return ENOMEM;
    v->leg = leg;
    v->ref = vp;
    v->threshold = threshold_dbov ? threshold_dbov : DEFAULT_DBOV;
    v->silence_ms = silence_ms;
    v->first_ms = first_ms;
    v->op_id = op_id;
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
