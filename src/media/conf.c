/*
 * conf.c - conferences on a worker: N legs mixed on a 20 ms clock.
 *
 * Each participant listens to its leg through a tap (a jitter buffer, so a
 * participant with nothing arriving, or a lost packet, is silence). Every
 * tick the mixer takes one frame from each, sums them, and sends each
 * participant the sum minus its own frame (no echo of one's own voice),
 * saturated to 16 bits, encoded in the participant's codec. A leg that
 * records while in the conference gets its frame and the mix it was sent.
 */
#include "media/media_internal.h"

#include <errno.h>
#include <string.h>

#include <rem_dsp.h>

struct conf {
    struct le le;
    uint32_t id;
    struct worker *w;
    struct list parts;
    struct ticker tk;
    bool ticking;
};

struct conf_part {
    struct le le;
    struct conf *conf;
    struct leg *leg;
    struct tap *tap;
    int16_t in[MEDIA_FRAME]; /* this tick's frame from the leg */
};

static void part_destructor(void *arg)
{
    struct conf_part *p = arg;

    list_unlink(&p->le);
    mem_deref(p->tap);
}

static void conf_destructor(void *arg)
{
    struct conf *c = arg;
    struct le *le;

    ticker_stop(&c->tk);
    list_unlink(&c->le);
    while ((le = list_head(&c->parts))) {
        struct conf_part *p = le->data;

        leg_conf_gone(p->leg);
        mem_deref(p);
    }
}

static bool mix(void *arg)
{
    struct conf *c = arg;
    int32_t sum[MEDIA_FRAME] = {0};
    int16_t out[MEDIA_FRAME];
    uint8_t g711[MEDIA_FRAME];
    struct le *le;

    LIST_FOREACH(&c->parts, le)
    {
        struct conf_part *p = le->data;

        (void)tap_get(p->tap, p->in);
        for (size_t i = 0; i < MEDIA_FRAME; i++)
            sum[i] += p->in[i];
    }
    LIST_FOREACH(&c->parts, le)
    {
        struct conf_part *p = le->data;
        int pt = leg_pt(p->leg) == 8 ? 8 : 0;

        for (size_t i = 0; i < MEDIA_FRAME; i++)
            out[i] = saturate_s16(sum[i] - p->in[i]);
        pcm_encode(pt, out, MEDIA_FRAME, g711);
        leg_send(p->leg, (uint8_t)pt, g711, sizeof(g711), MEDIA_FRAME);
        leg_record_feed(p->leg, p->in, out);
    }
    return true;
}

int conf_alloc(struct conf **cp, struct worker *w, uint32_t id)
{
    struct conf *c = mem_zalloc(sizeof(*c), conf_destructor);

    if (!c)
        return ENOMEM;
    c->id = id;
    c->w = w;
    list_init(&c->parts);
    list_append(&w->confs, &c->le, c);
    *cp = c;
    return 0;
}

static bool conf_match(struct le *le, void *arg)
{
    return ((struct conf *)le->data)->id == *(uint32_t *)arg;
}

struct conf *conf_find(struct worker *w, uint32_t id)
{
    struct le *le = list_apply(&w->confs, true, conf_match, &id);

    return le ? le->data : NULL;
}

int conf_add(struct conf *c, struct leg *leg, struct conf_part **pp)
{
    struct conf_part *p = mem_zalloc(sizeof(*p), part_destructor);
    int err;

    if (!p)
        return ENOMEM;
    p->conf = c;
    p->leg = leg;
    err = tap_alloc(&p->tap, leg, NULL, NULL);
    if (err) {
        mem_deref(p);
        return err;
    }
    list_append(&c->parts, &p->le, p);
    if (!c->ticking) {
        ticker_start(&c->tk, mix, c);
        c->ticking = true;
    }
    *pp = p;
    return 0;
}

void conf_remove(struct conf_part *p)
{
    struct conf *c = p->conf;

    mem_deref(p);
    if (list_isempty(&c->parts)) {
        ticker_stop(&c->tk);
        c->ticking = false;
    }
}
