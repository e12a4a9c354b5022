/*
 * player.c - WAV files and tones sent on a leg, on its worker: one 20 ms
 * frame of G.711 per tick of a ticker (paced against the start time, so a
 * late tick does not slow the stream down), MEDIA_EV_PLAY_DONE at the end.
 *
 * Files (8 kHz, 16-bit mono PCM WAV) come from the worker's cache of
 * encoded prompts (prompts.c), or, too long to keep, are read a frame at
 * a time with librem's aufile; tones are generated as pairs of sines with
 * their cadence.
 */
#include "media/media_internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <rem_au.h>
#include <rem_aufile.h>

struct tone {
    const char *name;
    double f1, f2;    /* Hz; f2 0: a single frequency */
    unsigned on, off; /* ms */
    bool once;
};

static const struct tone tones[] = {
    {"ringback", 440, 480, 2000, 4000, false},
    {"busy", 480, 620, 500, 500, false},
    {"beep", 1000, 0, 200, 0, true},
};

struct player {
    struct leg *leg;
    struct player **ref; /* the leg's pointer to us, cleared when we finish */
    struct ticker tk;
    uint32_t op_id;
    bool loop;
    /* file: cached in memory (prompts.c), else read from disk */
    struct prompt *prompt;
    size_t frame;
    struct aufile *af;
    char *path;
    /* tone */
    const struct tone *tone;
    uint64_t pos; /* samples generated */
};

static void player_destructor(void *arg)
{
    struct player *p = arg;

    ticker_stop(&p->tk);
    mem_deref(p->prompt);
    mem_deref(p->af);
    mem_deref(p->path);
}

static int file_open(struct player *p)
{
    struct aufile_prm prm;
    int err;

    p->af = mem_deref(p->af);
    err = aufile_open(&p->af, &prm, p->path, AUFILE_READ);
    if (err)
        return err;
    if (prm.srate != MEDIA_SRATE || prm.channels != 1 || prm.fmt != AUFMT_S16LE) {
        p->af = mem_deref(p->af);
        return ENOTSUP;
    }
    return 0;
}

/* One frame of the file; false at its end. */
static bool file_frame(struct player *p, int16_t *pcm)
{
    uint8_t buf[MEDIA_FRAME * 2];
    size_t sz = sizeof(buf);

    if (aufile_read(p->af, buf, &sz) || sz == 0) {
        if (!p->loop || file_open(p))
            return false;
        sz = sizeof(buf);
        if (aufile_read(p->af, buf, &sz) || sz == 0)
            return false;
    }
    memset(buf + sz, 0, sizeof(buf) - sz);
    for (size_t i = 0; i < MEDIA_FRAME; i++)
        pcm[i] = (int16_t)(buf[2 * i] | buf[2 * i + 1] << 8);
    return true;
}

/* One frame of the tone; false once a single tone has played. */
static bool tone_frame(struct player *p, int16_t *pcm)
{
    const struct tone *t = p->tone;
    uint64_t on = (uint64_t)t->on * MEDIA_SRATE / 1000;
    uint64_t cycle = on + (uint64_t)t->off * MEDIA_SRATE / 1000;
    const double amp = t->f2 > 0 ? 6000.0 : 9000.0;

    if (t->once && p->pos >= on)
        return false;
    for (size_t i = 0; i < MEDIA_FRAME; i++, p->pos++) {
        double x = 0;

        if (p->pos % cycle < on && !(t->once && p->pos >= on)) {
            double tm = (double)p->pos / MEDIA_SRATE;

            x = sin(2 * M_PI * t->f1 * tm);
            if (t->f2 > 0)
                x += sin(2 * M_PI * t->f2 * tm);
        }
        pcm[i] = (int16_t)lrint(amp * x);
    }
    return true;
}

static void finish(struct player *p, const char *reason, bool events)
{
    struct leg *leg = p->leg;
    uint32_t op_id = p->op_id;

    if (p->ref && *p->ref == p)
        *p->ref = NULL;
    mem_deref(p);
    if (events)
        media_post_simple(leg, MEDIA_EV_PLAY_DONE, op_id, reason);
}

/* One frame is due: send it, or finish. */
static bool play_frame(void *arg)
{
    struct player *p = arg;
    int pt = leg_pt(p->leg) == 8 ? 8 : 0;
    int16_t pcm[MEDIA_FRAME];
    uint8_t g711[MEDIA_FRAME];

    if (p->prompt) {
        if (p->frame >= prompt_frames(p->prompt) && p->loop)
            p->frame = 0;
        if (p->frame >= prompt_frames(p->prompt)) {
            finish(p, "done", true);
            return false;
        }
        leg_send(p->leg, (uint8_t)pt, prompt_frame(p->prompt, p->frame++, pt), MEDIA_FRAME,
                 MEDIA_FRAME);
        return true;
    }
    if (!(p->tone ? tone_frame(p, pcm) : file_frame(p, pcm))) {
        finish(p, "done", true);
        return false;
    }
    pcm_encode(pt, pcm, MEDIA_FRAME, g711);
    leg_send(p->leg, (uint8_t)pt, g711, sizeof(g711), MEDIA_FRAME);
    return true;
}

static struct player *player_new(struct player **pp, struct leg *leg, uint32_t op_id)
{
    struct player *p = mem_zalloc(sizeof(*p), player_destructor);

    if (!p)
        return NULL;
    p->leg = leg;
    p->ref = pp;
    p->op_id = op_id;
    return p;
}

static void player_go(struct player **pp, struct player *p)
{
    *pp = p;
    ticker_start(&p->tk, play_frame, p);
}

int player_file(struct player **pp, struct leg *leg, const char *path, bool loop, uint32_t op_id)
{
    struct player *p = player_new(pp, leg, op_id);
    int err;

    if (!p)
        return ENOMEM;
    p->loop = loop;
    err = prompt_get(path, &p->prompt);
    if (err == EFBIG)
        err = str_dup(&p->path, path);
    err = err || p->prompt ? err : file_open(p);
    if (err) {
        mem_deref(p);
        return err;
    }
    player_go(pp, p);
    return 0;
}

int player_tone(struct player **pp, struct leg *leg, const char *name, uint32_t op_id)
{
    struct player *p;

    for (size_t i = 0; i < ARRAY_SIZE(tones); i++) {
        if (str_cmp(tones[i].name, name))
            continue;
        p = player_new(pp, leg, op_id);
        if (!p)
            return ENOMEM;
        p->tone = &tones[i];
        p->loop = !tones[i].once;
        player_go(pp, p);
        return 0;
    }
    return EINVAL;
}

void player_stop(struct player *p, bool events)
{
    finish(p, "stopped", events);
}
