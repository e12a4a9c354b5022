/*
 * speech.c - recognisers kept by phrase list, built and run on the work
 * pool (see speech.h).
 *
 * Ownership: the cache holds each entry once; every job on the pool holds
 * its entry too, so an entry dropped from the cache (least recently used,
 * or speech_free) lives on until its last decoding is done, and its
 * recogniser is freed with it. Jobs are listed in the cache until they
 * complete, so speech_free() can detach their handlers.
 */
#include "voice/speech.h"
#include "voice/asr.h"
#include "core/libre.h"
#include "core/log.h"
#include "core/workpool.h"

#include <errno.h>
#include <string.h>

enum { DEFAULT_MAX = 8, PHRASE_SIZE = 128 };

struct speech {
    struct workpool *pool;
    struct list entries; /* struct entry, most recently used first */
    struct list jobs;    /* struct job not yet completed */
    unsigned max;
};

struct entry {
    struct le le;     /* in speech.entries while cached */
    char *key;        /* the phrases joined by '\n' */
    char **phrases;   /* pointers into words */
    char *words;      /* a copy of key, split */
    size_t n;         /* phrases */
    bool building;    /* a build job is on the pool: the next three are its own */
    struct asr *asr;  /* built; NULL after a failure */
    int err;          /* the build failed */
    char why[200];    /* and why */
    struct list wait; /* struct job waiting for the build */
};

struct job {
    struct le le;  /* in speech.jobs */
    struct le wle; /* in entry.wait while the recogniser is built */
    struct speech *sp;
    struct entry *e;
    int16_t *pcm;
    size_t samples;
    speech_h *h;
    void *arg;
    char phrase[PHRASE_SIZE];
    int confidence;
    int err;
};

static void entry_destructor(void *arg)
{
    struct entry *e = arg;

    list_unlink(&e->le);
    asr_free(e->asr);
    mem_deref(e->key);
    mem_deref(e->words);
    mem_deref(e->phrases);
}

static void job_destructor(void *arg)
{
    struct job *j = arg;

    list_unlink(&j->le);
    list_unlink(&j->wle);
    mem_deref(j->e);
    mem_deref(j->pcm);
    mem_deref(j->arg);
}

int speech_alloc(struct speech **spp, struct workpool *pool, unsigned max)
{
    struct speech *sp = mem_zalloc(sizeof(*sp), NULL);

    if (!sp)
        return ENOMEM;
    sp->pool = pool;
    sp->max = max ? max : DEFAULT_MAX;
    *spp = sp;
    return 0;
}

void speech_free(struct speech *sp)
{
    struct le *le;

    if (!sp)
        return;
    /* jobs on the pool finish on their own; their handlers are not called */
    while ((le = list_head(&sp->jobs))) {
        struct job *j = le->data;

        list_unlink(&j->le);
        j->h = NULL;
        j->sp = NULL;
        j->arg = mem_deref(j->arg);
    }
    while ((le = list_head(&sp->entries))) {
        list_unlink(le);
        mem_deref(le->data); /* lives on while a job holds it */
    }
    mem_deref(sp);
}

unsigned speech_count(const struct speech *sp)
{
    return sp ? list_count(&sp->entries) : 0;
}

static char *join(const char *const *phrases, size_t n)
{
    size_t len = 0;

    for (size_t i = 0; i < n; i++)
        len += strlen(phrases[i]) + 1;
    char *key = mem_alloc(len ? len : 1, NULL);
    if (!key)
        return NULL;
    char *p = key;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(phrases[i]);
        memcpy(p, phrases[i], l);
        p += l;
        *p++ = i + 1 < n ? '\n' : '\0';
    }
    if (!n)
        *key = '\0';
    return key;
}

static struct entry *entry_find(struct speech *sp, const char *key)
{
    for (struct le *le = list_head(&sp->entries); le; le = le->next) {
        struct entry *e = le->data;

        if (strcmp(e->key, key) == 0) {
            list_unlink(&e->le); /* most recently used first */
            list_prepend(&sp->entries, &e->le, e);
            return e;
        }
    }
    return NULL;
}

/* Drop the least recently used entries past the limit (one being built
 * stays: its waiting jobs hold it anyway). */
static void trim(struct speech *sp)
{
    struct le *le = list_tail(&sp->entries);

    while (le && list_count(&sp->entries) > sp->max) {
        struct entry *e = le->data;

        le = le->prev;
        if (!e->building) {
            list_unlink(&e->le);
            mem_deref(e); /* lives on while a decoding holds it */
        }
    }
}

static void decode_work(void *arg)
{
    struct job *j = arg;

    j->err =
        asr_recognize(j->e->asr, j->pcm, j->samples, j->phrase, sizeof(j->phrase), &j->confidence);
}

static void decode_done(int err, void *arg)
{
    struct job *j = arg;
    speech_h *h = j->h;

    list_unlink(&j->le);
    err = err ? err : j->err;
    if (h)
        h(err, err ? "" : j->phrase, err ? 0 : j->confidence, j->arg);
    mem_deref(j);
}

static void job_fail(struct job *j, int err)
{
    list_unlink(&j->le);
    if (j->h)
        j->h(err, "", 0, j->arg);
    mem_deref(j);
}

static void decode_submit(struct job *j)
{
    int err = j->sp ? workpool_submit(j->sp->pool, decode_work, decode_done, j) : ECANCELED;

    if (err)
        job_fail(j, err);
}

static void build_work(void *arg)
{
    struct entry *e = arg;

    e->err = asr_alloc(&e->asr, (const char *const *)e->phrases, e->n, e->why, sizeof(e->why));
}

static void build_done(int err, void *arg)
{
    struct entry *e = arg;
    struct le *le;

    e->building = false;
    if (err && !e->err)
        e->err = err;
    if (e->err)
        log_error("voice", "speech recogniser not built", "err=%d why=\"%s\" phrases=\"%.80s\"",
                  e->err, e->why, e->key);
    while ((le = list_head(&e->wait))) {
        struct job *j = le->data;

        list_unlink(&j->wle);
        if (e->err)
            job_fail(j, e->err);
        else
            decode_submit(j);
    }
    mem_deref(e); /* the build's own reference */
}

static int entry_get(struct speech *sp, const char *const *phrases, size_t n, struct entry **ep)
{
    if (!n)
        return EINVAL;
    char *key = join(phrases, n);
    if (!key)
        return ENOMEM;
    struct entry *e = entry_find(sp, key);
    if (e) {
        mem_deref(key);
        *ep = e;
        return 0;
    }
    e = mem_zalloc(sizeof(*e), entry_destructor);
    if (!e) {
        mem_deref(key);
        return ENOMEM;
    }
    e->key = key;
    e->n = n;
    e->words = join(phrases, n);
    e->phrases = mem_zalloc(n * sizeof(char *), NULL);
    if (!e->words || !e->phrases) {
        mem_deref(e);
        return ENOMEM;
    }
    char *p = e->words;
    for (size_t i = 0; i < n; i++) {
        e->phrases[i] = p;
        p += strlen(phrases[i]);
        *p++ = '\0';
    }
    e->building = true;
    int err = workpool_submit(sp->pool, build_work, build_done, mem_ref(e));
    if (err) {
        mem_deref(e); /* the build's reference */
        mem_deref(e);
        return err;
    }
    list_prepend(&sp->entries, &e->le, e);
    trim(sp);
    *ep = e;
    return 0;
}

int speech_prepare(struct speech *sp, const char *const *phrases, size_t n)
{
    struct entry *e;

    return entry_get(sp, phrases, n, &e);
}

int speech_recognize(struct speech *sp, const char *const *phrases, size_t n, int16_t *pcm,
                     size_t samples, speech_h *h, void *arg)
{
    struct entry *e;
    int err = entry_get(sp, phrases, n, &e);

    if (err)
        return err;
    /* e->err and e->asr belong to the pool thread while it builds */
    if (!e->building && e->err) {
        log_warn("voice", "speech recogniser unusable", "why=\"%s\"", e->why);
        return EINVAL;
    }
    struct job *j = mem_zalloc(sizeof(*j), job_destructor);
    if (!j)
        return ENOMEM;
    j->sp = sp;
    j->e = mem_ref(e);
    j->pcm = mem_ref(pcm);
    j->samples = samples;
    j->h = h;
    j->arg = mem_ref(arg);
    list_append(&sp->jobs, &j->le, j);
    if (e->building)
        list_append(&e->wait, &j->wle, j);
    else
        decode_submit(j);
    return 0;
}
