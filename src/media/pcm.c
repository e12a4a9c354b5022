/*
 * pcm.c - G.711 payloads to and from 16-bit linear PCM (librem's tables),
 * and the level of a frame, for every path that decodes or mixes audio.
 */
#include "media/media_internal.h"

#include <math.h>

#include <rem_g711.h>

void pcm_decode(int pt, const uint8_t *p, size_t n, int16_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = pt == 8 ? g711_alaw2pcm(p[i]) : g711_ulaw2pcm(p[i]);
}

void pcm_encode(int pt, const int16_t *in, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = pt == 8 ? g711_pcm2alaw(in[i]) : g711_pcm2ulaw(in[i]);
}

double pcm_level(const int16_t *s, size_t n)
{
    double sum = 0;

    for (size_t i = 0; i < n; i++)
        sum += (double)s[i] * s[i];
    if (!n || sum < 1.0)
        return -96.0;
    return 20.0 * log10(sqrt(sum / (double)n) / 32768.0);
}
