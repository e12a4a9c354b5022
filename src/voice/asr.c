/*
 * asr.c - the recogniser (see asr.h): one pocketsphinx decoder holding two
 * searches, the phrases' grammar and a free phone loop; an utterance is
 * doubled to 16 kHz, decoded by both, and the grammar's result kept when
 * its score is close enough to the loop's. Noise removal and the
 * decoder's own silence detection are off: they carry state from one
 * utterance to the next, which made the same audio decode differently.
 */
#include "voice/asr.h"
#include "voice/asr_internal.h"
#include "voice/resample.h"
#include "voice/wav.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sphinxbase/err.h>
#include <sphinxbase/jsgf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SB_ASR_MODELDIR
#define SB_ASR_MODELDIR "/usr/share/pocketsphinx/model"
#endif
#define MODEL SB_ASR_MODELDIR "/en-us/en-us"
#define DICT  SB_ASR_MODELDIR "/en-us/cmudict-en-us.dict"

#define SEARCH_PHRASES "phrases"
#define SEARCH_PHONES  "phones"

/* Confidence from the score gap per speech frame between the phone loop
 * and the grammar (in pocketsphinx's scaled log units; positive: the loop
 * explains the audio better): 50 at GAP_MID, a logistic of width
 * GAP_SCALE. Set from test_asr's measurements: phrases said in the grammar
 * gave gaps from -20 to +20 (short words like "support" the highest), other
 * speech +9 to +28. */
static const double GAP_MID = 20.0, GAP_SCALE = 4.0;

struct asr {
    pthread_mutex_t lock; /* one utterance at a time */
    cmd_ln_t *config;
    ps_decoder_t *ps;
    char **phrases;
    size_t n;
};

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static void quiet(void)
{
    err_set_logfp(NULL); /* pocketsphinx logs every step on stderr */
}

void asr_free(struct asr *a)
{
    if (!a)
        return;
    if (a->ps)
        ps_free(a->ps);
    if (a->config)
        cmd_ln_free_r(a->config);
    for (size_t i = 0; i < a->n; i++)
        free(a->phrases[i]);
    free(a->phrases);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

static int model_check(char *err, size_t errsize)
{
    const char *files[] = {MODEL "/mdef", DICT};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (access(files[i], R_OK) != 0) {
            snprintf(err, errsize, "speech model file missing: %s (package pocketsphinx-en-us)",
                     files[i]);
            return EIO;
        }
    }
    return 0;
}

/* ps_set_jsgf_string of pocketsphinx 5prealpha leaks the parsed grammar:
 * the same steps, with the grammar freed. */
static int set_jsgf(ps_decoder_t *ps, const char *name, const char *text)
{
    jsgf_t *jsgf = jsgf_parse_string(text, NULL);
    if (!jsgf)
        return -1;
    jsgf_rule_t *rule = jsgf_get_public_rule(jsgf);
    float32 lw = cmd_ln_float32_r(ps_get_config(ps), "-lw");
    fsg_model_t *fsg = rule ? jsgf_build_fsg(jsgf, rule, ps_get_logmath(ps), lw) : NULL;
    int r = fsg ? ps_set_fsg(ps, name, fsg) : -1;
    if (fsg)
        fsg_model_free(fsg); /* the search holds its own reference */
    jsgf_grammar_free(jsgf);
    return r;
}

static int phone_loop_init(ps_decoder_t *ps, char *err, size_t errsize)
{
    for (size_t i = 0; i < ASR_PHONES; i++) {
        char w[8];
        asr_phone_word(i, w);
        if (ps_add_word(ps, w, asr_phones[i], 0) < 0) {
            snprintf(err, errsize, "the model lacks the phone %s", asr_phones[i]);
            return EIO;
        }
    }
    char *jsgf = asr_grammar_phone_loop();
    if (!jsgf)
        return ENOMEM;
    int e = set_jsgf(ps, SEARCH_PHONES, jsgf) < 0 ? EIO : 0;
    free(jsgf);
    if (e)
        snprintf(err, errsize, "the phone loop was refused");
    return e;
}

static int decoder_init(struct asr *a, const char *const *phrases, size_t n, char *err,
                        size_t errsize)
{
    a->config = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", MODEL, "-samprate", "16000", "-dither",
                            "no", "-remove_noise", "no", "-remove_silence", "no", NULL);
    a->ps = a->config ? ps_init(a->config) : NULL;
    if (!a->ps) {
        snprintf(err, errsize, "the speech decoder did not start (model %s)", MODEL);
        return EIO;
    }
    char **words = NULL;
    size_t nw = 0;
    int e = asr_grammar_words(phrases, n, &words, &nw);
    if (!e)
        e = asr_lexicon_load(a->ps, DICT, words, nw, err, errsize);
    asr_words_free(words, nw);
    if (e)
        return e;
    char *jsgf = asr_grammar_jsgf(phrases, n);
    if (!jsgf)
        return ENOMEM;
    e = set_jsgf(a->ps, SEARCH_PHRASES, jsgf) < 0 ? EINVAL : 0;
    free(jsgf);
    if (e) {
        snprintf(err, errsize, "the phrases' grammar was refused");
        return e;
    }
    return phone_loop_init(a->ps, err, errsize);
}

int asr_alloc(struct asr **ap, const char *const *phrases, size_t n, char *err, size_t errsize)
{
    if (!n) {
        snprintf(err, errsize, "no phrases to recognise");
        return EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        int e = asr_phrase_check(phrases[i], i, err, errsize);
        if (e)
            return e;
    }
    int e = model_check(err, errsize);
    if (e)
        return e;
    pthread_once(&quiet_once, quiet);
    struct asr *a = calloc(1, sizeof(*a));
    if (!a || !(a->phrases = calloc(n, sizeof(char *)))) {
        free(a);
        return ENOMEM;
    }
    pthread_mutex_init(&a->lock, NULL);
    for (a->n = 0; a->n < n; a->n++) {
        if (!(a->phrases[a->n] = strdup(phrases[a->n]))) {
            asr_free(a);
            return ENOMEM;
        }
    }
    e = decoder_init(a, phrases, n, err, errsize);
    if (e) {
        if (e == ENOMEM)
            snprintf(err, errsize, "out of memory");
        asr_free(a);
        return e;
    }
    *ap = a;
    return 0;
}

/* Decode pcm (16 kHz) with one search: its best score, and the number of
 * frames of words (not silence or noise) in its result. NULL: nothing. */
static const char *decode(ps_decoder_t *ps, const char *search, const int16_t *pcm, size_t n,
                          int32 *score, int *speech)
{
    if (ps_set_search(ps, search) < 0 || ps_start_utt(ps) < 0)
        return NULL;
    int r = ps_process_raw(ps, pcm, n, FALSE, TRUE);
    if (ps_end_utt(ps) < 0 || r < 0)
        return NULL;
    const char *hyp = ps_get_hyp(ps, score);
    if (speech) {
        *speech = 0;
        for (ps_seg_t *s = hyp ? ps_seg_iter(ps) : NULL; s; s = ps_seg_next(s)) {
            const char *w = ps_seg_word(s);
            int sf, ef;
            ps_seg_frames(s, &sf, &ef);
            if (w[0] != '<' && w[0] != '[')
                *speech += ef - sf + 1;
        }
    }
    return hyp;
}

static int confidence_of(int32 phrase_score, int32 loop_score, int speech)
{
    double gap = (double)(loop_score - phrase_score) / (speech > 0 ? speech : 1);
    return (int)lrint(100.0 / (1.0 + exp((gap - GAP_MID) / GAP_SCALE)));
}

/* The stored phrase equal to text, or NULL. */
static const char *phrase_of(const struct asr *a, const char *text)
{
    for (size_t i = 0; i < a->n; i++) {
        if (!strcmp(a->phrases[i], text))
            return a->phrases[i];
    }
    return NULL;
}

static int recognize_locked(struct asr *a, const int16_t *pcm16, size_t n16, char *out, size_t size,
                            int *confidence)
{
    int32 phrase_score = 0, loop_score = 0;
    int speech = 0;
    char text[512];
    const char *hyp = decode(a->ps, SEARCH_PHRASES, pcm16, n16, &phrase_score, &speech);
    if (!hyp || asr_strip_carriers(hyp, text, sizeof(text)) || !phrase_of(a, text) || !speech)
        return 0; /* nothing heard: out stays "" */
    if (!decode(a->ps, SEARCH_PHONES, pcm16, n16, &loop_score, NULL))
        return EIO;
    int conf = confidence_of(phrase_score, loop_score, speech);
    if (confidence)
        *confidence = conf;
    if (conf < ASR_ACCEPT_CONFIDENCE)
        return 0;
    if (strlen(text) >= size)
        return ENOSPC;
    strcpy(out, text);
    return 0;
}

int asr_recognize(struct asr *a, const int16_t *pcm, size_t n, char *out, size_t size,
                  int *confidence)
{
    if (!a || (!pcm && n) || !out || !size)
        return EINVAL;
    out[0] = '\0';
    if (confidence)
        *confidence = 0;
    int16_t *pcm16 = malloc(2 * n * sizeof(int16_t) + 1);
    if (!pcm16)
        return ENOMEM;
    size_t n16 = resample_up2(pcm, n, pcm16);
    pthread_mutex_lock(&a->lock);
    int err = recognize_locked(a, pcm16, n16, out, size, confidence);
    pthread_mutex_unlock(&a->lock);
    free(pcm16);
    return err;
}

int asr_recognize_wav(struct asr *a, const char *path, char *out, size_t size, int *confidence)
{
    if (!out || !size)
        return EINVAL;
    out[0] = '\0';
    int16_t *pcm = NULL;
    size_t n = 0;
    int err = voice_read_wav(path, &pcm, &n);
    if (!err)
        err = asr_recognize(a, pcm, n, out, size, confidence);
    free(pcm);
    return err;
}
