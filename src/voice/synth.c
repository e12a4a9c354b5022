/*
 * synth.c - flite behind one lock (see synth.h).
 */
#include "voice/synth.h"
#include "voice/resample.h"

#include <errno.h>
#include <flite/flite.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cst_voice *register_cmu_us_slt(const char *voxdir);
cst_lexicon *cmu_lex_init(void);

static pthread_mutex_t flite_lock = PTHREAD_MUTEX_INITIALIZER;
static cst_voice *voice;     /* made once, under flite_lock */
static cst_lexicon *lexicon; /* likewise */

static void ensure_flite(void)
{
    if (!voice) {
        flite_init();
        voice = register_cmu_us_slt(NULL);
    }
    if (!lexicon)
        lexicon = cmu_lex_init();
}

/* flite's voice speaks at 16 kHz: halve it (or copy a wave already at 8). */
static int to_8k(const cst_wave *w, int16_t **outp, size_t *outc)
{
    size_t n = (size_t)w->num_samples;
    if (w->sample_rate != 8000 && w->sample_rate != 16000)
        return ENOTSUP;
    int16_t *out = malloc(n * sizeof(int16_t) + 16);
    if (!out)
        return ENOMEM;
    if (w->sample_rate == 8000) {
        memcpy(out, w->samples, n * sizeof(int16_t));
        *outc = n;
    } else {
        *outc = resample_down2(w->samples, n, out);
    }
    *outp = out;
    return 0;
}

int synth_render_8k(const char *text, int16_t **pcm, size_t *n)
{
    pthread_mutex_lock(&flite_lock);
    ensure_flite();
    cst_wave *w = voice ? flite_text_to_wave(text, voice) : NULL;
    int err = w ? to_8k(w, pcm, n) : EIO;
    if (w)
        delete_wave(w);
    pthread_mutex_unlock(&flite_lock);
    return err;
}

int synth_phones(const char *word, char *out, size_t size)
{
    if (!size)
        return ENOSPC;
    out[0] = '\0';
    pthread_mutex_lock(&flite_lock);
    ensure_flite();
    cst_val *phones = lexicon ? lex_lookup(lexicon, word, NULL, NULL) : NULL;
    size_t len = 0;
    int err = phones ? 0 : ENOENT;
    for (const cst_val *p = phones; p && !err; p = val_cdr(p)) {
        int w = snprintf(out + len, size - len, "%s%s", len ? " " : "", val_string(val_car(p)));
        if (w < 0 || (size_t)w >= size - len)
            err = ENOSPC;
        else
            len += (size_t)w;
    }
    if (phones)
        delete_val(phones);
    pthread_mutex_unlock(&flite_lock);
    if (!err && !len)
        err = ENOENT;
    return err;
}
