/*
 * prompts.c - WAV files kept in memory, encoded once as PCMU and PCMA, on
 * each worker (a thread-local cache: no locks). A prompt played to
 * thousands of callers is read and encoded once, not opened per call: an
 * open FILE per caller also costs glibc a walk of every open FILE at each
 * fclose. A file that changes (size or modification time) is read again;
 * files longer than PROMPT_MAX_S, or beyond the cache's budget, are
 * streamed from disk by the player instead.
 */
#include "media/media_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <rem_au.h>
#include <rem_aufile.h>

enum {
    PROMPT_MAX_S = 600,               /* ten minutes of music on hold */
    CACHE_BUDGET = 128 * 1024 * 1024, /* bytes per worker */
};

struct prompt {
    struct le le;
    char *path;
    struct timespec mtime;
    off_t size;
    size_t frames;
    uint8_t *pcmu, *pcma; /* frames * MEDIA_FRAME bytes each */
};

static __thread struct list cache;
static __thread size_t cached_bytes;

/* Players hold references of their own: the memory goes with the last. */
static void prompt_destructor(void *arg)
{
    struct prompt *p = arg;
    mem_deref(p->path);
    mem_deref(p->pcmu);
    mem_deref(p->pcma);
}

/* Drop the cache's reference. */
static void evict(struct prompt *p)
{
    list_unlink(&p->le);
    cached_bytes -= p->frames * MEDIA_FRAME * 2;
    mem_deref(p);
}

/* Read and encode the whole file. */
static int load(struct prompt *p, const struct stat *st)
{
    struct aufile_prm prm;
    struct aufile *af = NULL;
    int err = aufile_open(&af, &prm, p->path, AUFILE_READ);
    if (err)
        return err;
    if (prm.srate != MEDIA_SRATE || prm.channels != 1 || prm.fmt != AUFMT_S16LE) {
        mem_deref(af);
        return ENOTSUP;
    }
    size_t max = (size_t)st->st_size / (MEDIA_FRAME * 2) + 1;
    p->pcmu = mem_alloc(max * MEDIA_FRAME, NULL);
    p->pcma = mem_alloc(max * MEDIA_FRAME, NULL);
    if (!p->pcmu || !p->pcma) {
        mem_deref(af);
        return ENOMEM;
    }
    for (;;) {
        uint8_t buf[MEDIA_FRAME * 2];
        int16_t pcm[MEDIA_FRAME];
        size_t sz = sizeof(buf);
        if (p->frames >= max || aufile_read(af, buf, &sz) || sz == 0)
            break;
        memset(buf + sz, 0, sizeof(buf) - sz);
        for (size_t i = 0; i < MEDIA_FRAME; i++)
            pcm[i] = (int16_t)(buf[2 * i] | buf[2 * i + 1] << 8);
        pcm_encode(0, pcm, MEDIA_FRAME, p->pcmu + p->frames * MEDIA_FRAME);
        pcm_encode(8, pcm, MEDIA_FRAME, p->pcma + p->frames * MEDIA_FRAME);
        p->frames++;
    }
    mem_deref(af);
    return p->frames ? 0 : EINVAL;
}

int prompt_get(const char *path, struct prompt **out)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno;
    if (st.st_size > (off_t)PROMPT_MAX_S * MEDIA_SRATE * 2 + 4096)
        return EFBIG; /* stream it */
    for (struct le *le = cache.head; le; le = le->next) {
        struct prompt *p = le->data;
        if (strcmp(p->path, path) != 0)
            continue;
        if (p->size == st.st_size && p->mtime.tv_sec == st.st_mtim.tv_sec &&
            p->mtime.tv_nsec == st.st_mtim.tv_nsec) {
            list_unlink(&p->le); /* most recently used first */
            list_prepend(&cache, &p->le, p);
            *out = mem_ref(p);
            return 0;
        }
        evict(p); /* changed: read it again */
        break;
    }
    size_t bytes = (size_t)st.st_size; /* about what two G.711 copies take */
    while (cached_bytes + bytes > CACHE_BUDGET && cache.tail)
        evict(cache.tail->data); /* the least recently used */
    if (bytes > CACHE_BUDGET)
        return EFBIG;
    struct prompt *p = mem_zalloc(sizeof(*p), prompt_destructor);
    if (!p)
        return ENOMEM;
    p->size = st.st_size;
    p->mtime = st.st_mtim;
    int err = str_dup(&p->path, path);
    if (!err)
        err = load(p, &st);
    if (err) {
        mem_deref(p);
        return err;
    }
    cached_bytes += p->frames * MEDIA_FRAME * 2;
    list_prepend(&cache, &p->le, p);
    *out = mem_ref(p);
    return 0;
}

size_t prompt_frames(const struct prompt *p)
{
    return p->frames;
}

const uint8_t *prompt_frame(const struct prompt *p, size_t i, int pt)
{
    return (pt == 8 ? p->pcma : p->pcmu) + i * MEDIA_FRAME;
}

void prompts_flush(void)
{
    while (cache.head)
        evict(cache.head->data);
}
