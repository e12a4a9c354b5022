/*
 * wav.c - writing 8 kHz 16-bit mono WAV files (prompts, music on hold):
 * to PATH.tmp, then renamed, so a reader never sees half a file; reading
 * them (recordings, for speech recognition) through librem's aufile.
 */
#include "voice/wav.h"
#include "core/libre.h"

#include <errno.h>
#include <stdint.h>
#include <rem_au.h>
#include <rem_aufile.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void put16(FILE *f, uint16_t v)
{
    fputc(v & 0xff, f);
    fputc(v >> 8, f);
}

static void put32(FILE *f, uint32_t v)
{
    put16(f, v & 0xffff);
    put16(f, v >> 16);
}

int voice_write_wav(const char *path, const int16_t *s, size_t n)
{
    char tmp[560];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return errno;
    uint32_t bytes = (uint32_t)(n * 2);
    fwrite("RIFF", 1, 4, f);
    put32(f, 36 + bytes);
    fwrite("WAVEfmt ", 1, 8, f);
    put32(f, 16);
    put16(f, 1);     /* PCM */
    put16(f, 1);     /* mono */
    put32(f, 8000);  /* rate */
    put32(f, 16000); /* bytes per second */
    put16(f, 2);     /* block align */
    put16(f, 16);    /* bits */
    fwrite("data", 1, 4, f);
    put32(f, bytes);
    for (size_t i = 0; i < n; i++)
        put16(f, (uint16_t)s[i]);
    int err = ferror(f) ? EIO : 0;
    if (fclose(f) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err)
        unlink(tmp);
    return err;
}

int voice_read_wav(const char *path, int16_t **s, size_t *n)
{
    struct aufile_prm prm;
    struct aufile *af = NULL;
    int err = aufile_open(&af, &prm, path, AUFILE_READ);
    if (err)
        return err;
    if (prm.srate != 8000 || prm.channels != 1 || prm.fmt != AUFMT_S16LE) {
        mem_deref(af);
        return ENOTSUP;
    }
    size_t cap = 8000, len = 0; /* samples */
    int16_t *buf = malloc(cap * sizeof(int16_t));
    for (;;) {
        if (buf && len == cap) {
            int16_t *more = realloc(buf, 2 * cap * sizeof(int16_t));
            if (!more)
                free(buf);
            buf = more, cap *= 2;
        }
        if (!buf) {
            err = ENOMEM;
            break;
        }
        size_t sz = (cap - len) * sizeof(int16_t);
        err = aufile_read(af, (uint8_t *)(buf + len), &sz);
        if (err || sz == 0)
            break;
        len += sz / sizeof(int16_t);
    }
    mem_deref(af);
    if (err) {
        free(buf);
        return err;
    }
    *s = buf, *n = len;
    return 0;
}
