/*
 * tts.c - prompts from text with flite (see tts.h).
 *
 * Rendering (synth.c: flite, one render at a time) runs on a pool
 * thread. The file is written under a temporary name and renamed, so a
 * reader never sees half a prompt.
 */
#include "voice/tts.h"
#include "voice/synth.h"
#include "voice/wav.h"
#include "core/app.h"
#include "core/libre.h"
#include "core/log.h"
#include "core/workpool.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct render {
    char *text;
    char path[512];
    tts_h *h;
    void *arg;
    int err;
};

static void render_destructor(void *arg)
{
    struct render *r = arg;
    mem_deref(r->text);
    mem_deref(r->arg);
}

static void render_work(void *arg)
{
    struct render *r = arg;
    struct stat st;
    if (stat(r->path, &st) == 0)
        return; /* rendered before */
    int16_t *pcm = NULL;
    size_t n = 0;
    r->err = synth_render_8k(r->text, &pcm, &n);
    if (!r->err)
        r->err = voice_write_wav(r->path, pcm, n);
    free(pcm);
}

static void render_done(int err, void *arg)
{
    struct render *r = arg;
    err = err ? err : r->err;
    if (err)
        log_error("voice", "prompt not rendered", "text=\"%.60s\" err=%d", r->text, err);
    r->h(err, err ? NULL : r->path, r->arg);
    mem_deref(r);
}

static int ensure_dir(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return errno;
    return 0;
}

int tts_prompt(struct app *app, const char *text, tts_h *h, void *arg)
{
    if (!app->pool)
        return EINVAL;
    char dir[400];
    snprintf(dir, sizeof(dir), "%s/media", app->data_dir);
    int err = ensure_dir(dir);
    snprintf(dir, sizeof(dir), "%s/media/prompts", app->data_dir);
    err = err ? err : ensure_dir(dir);
    if (err)
        return err;
    struct render *r = mem_zalloc(sizeof(*r), render_destructor);
    if (!r)
        return ENOMEM;
    unsigned char hash[16];
    /* The key names the rendering: "slt8k-2" since the windowed-sinc
     * resampler (resample.c), so prompts cached before are made again. */
    crypto_generichash(hash, sizeof(hash), (const unsigned char *)text, strlen(text),
                       (const unsigned char *)"slt8k-2", 7);
    char hex[33];
    sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
    snprintf(r->path, sizeof(r->path), "%s/%s.wav", dir, hex);
    r->h = h;
    r->arg = mem_ref(arg);
    err = str_dup(&r->text, text);
    if (!err)
        err = workpool_submit(app->pool, render_work, render_done, r);
    if (err)
        mem_deref(r);
    return err;
}
