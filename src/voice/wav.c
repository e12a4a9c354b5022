/*
 * wav.c - writing 8 kHz 16-bit mono WAV files (prompts, music on hold):
 * to PATH.tmp, then renamed, so a reader never sees half a file.
 */
#include "voice/wav.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
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
