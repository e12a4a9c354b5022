/*
 * vm_audio.c - is there a message in a voicemail recording? Speech is
 * what the media engine's silence detection calls it: 60 ms in a row
 * louder than -40 dBov, by 20 ms frames. A recording with none is no
 * message; one with trailing silence (the caller stopped talking, then
 * the silence timeout ended it) is trimmed to keep_ms after the last loud
 * frame. Runs on the work pool: file work only.
 */
#include "voice/voicemail.h"
#include "voice/wav.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    FRAME = 160, /* 20 ms at 8 kHz */
    SPEECH_FRAMES = 3,
    MAX_SAMPLES = 8000 * 3600,
};

/* -40 dBov: an RMS of 32768 * 10^(-40/20). */
static const double loud_rms = 327.68;

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The samples of an 8 kHz 16-bit mono WAV file (malloc'ed). */
static int read_wav(const char *path, int16_t **out, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno;
    unsigned char hdr[12], chunk[8];
    int err =
        fread(hdr, 1, 12, f) == 12 && memcmp(hdr, "RIFF", 4) == 0 && memcmp(hdr + 8, "WAVE", 4) == 0
            ? ENODATA
            : EINVAL;
    unsigned channels = 0;
    while (err == ENODATA && fread(chunk, 1, 8, f) == 8) {
        uint32_t len = le32(chunk + 4);
        if (memcmp(chunk, "fmt ", 4) == 0) {
            unsigned char fmt[16];
            if (len < 16 || fread(fmt, 1, 16, f) != 16 ||
                fseek(f, (long)(len - 16 + (len & 1)), SEEK_CUR) != 0) {
                err = EINVAL;
                break;
            }
            channels = (unsigned)(fmt[2] | fmt[3] << 8);
            continue;
        }
        if (memcmp(chunk, "data", 4) != 0) {
            if (fseek(f, (long)(len + (len & 1)), SEEK_CUR) != 0)
                err = EINVAL;
            continue;
        }
        if (channels != 1) {
            err = EINVAL;
            break;
        }
        size_t count = len / 2 < MAX_SAMPLES ? len / 2 : MAX_SAMPLES;
        unsigned char *raw = malloc(count * 2 + 1);
        int16_t *s = malloc(count * sizeof(*s) + 1);
        if (!raw || !s) {
            free(raw);
            free(s);
            err = ENOMEM;
            break;
        }
        count = fread(raw, 2, count, f);
        for (size_t i = 0; i < count; i++)
            s[i] = (int16_t)(uint16_t)(raw[2 * i] | raw[2 * i + 1] << 8);
        free(raw);
        *out = s;
        *n = count;
        err = 0;
    }
    fclose(f);
    return err;
}

static bool loud(const int16_t *s)
{
    double sum = 0;
    for (size_t i = 0; i < FRAME; i++)
        sum += (double)s[i] * s[i];
    return sum / FRAME > loud_rms * loud_rms;
}

int vm_audio_check(const char *path, uint32_t keep_ms, uint32_t *duration_ms)
{
    int16_t *s = NULL;
    size_t n = 0;
    int err = read_wav(path, &s, &n);
    if (err)
        return err;
    size_t frames = n / FRAME, run = 0, last_loud = 0;
    bool speech = false;
    for (size_t f = 0; f < frames; f++) {
        if (!loud(s + f * FRAME)) {
            run = 0;
            continue;
        }
        last_loud = f + 1;
        if (++run >= SPEECH_FRAMES)
            speech = true;
    }
    if (!speech) {
        free(s);
        return ENODATA;
    }
    size_t keep = last_loud * FRAME + (size_t)keep_ms * 8;
    if (keep < n)
        err = voice_write_wav(path, s, keep);
    else
        keep = n;
    free(s);
    *duration_ms = (uint32_t)(keep / 8);
    return err;
}
