/*
 * moh.c - Switchboard's own music on hold, made here rather than shipped
 * as a recording: a slow, quiet progression of four chords (C major 7,
 * A minor 7, F major 7, G 7), each arpeggiated in eighth notes over a soft
 * pad, 32 s that loop seamlessly (every note ends before the loop does).
 * Written once to DATA/media/moh-default.wav (8 kHz, 16-bit mono).
 */
#include "voice/moh.h"
#include "core/app.h"
#include "voice/wav.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

enum { RATE = 8000, BARS = 8, BAR_S = 4 };

/* MIDI note numbers of each chord, low to high. */
static const int chords[4][4] = {
    {48, 52, 55, 59}, /* Cmaj7 */
    {45, 48, 52, 55}, /* Am7 */
    {41, 45, 48, 52}, /* Fmaj7 */
    {43, 47, 50, 53}, /* G7 */
};

static double hz(int note)
{
    return 440.0 * pow(2.0, (note - 69) / 12.0);
}

/* A soft plucked tone: a sine with its octave, decaying. */
static double pluck(double f, double t)
{
    double env = exp(-3.0 * t) * (t < 0.01 ? t / 0.01 : 1.0);
    return env * (sin(2 * M_PI * f * t) + 0.3 * sin(4 * M_PI * f * t));
}

static void render(int16_t *out, size_t n)
{
    const double eighth = BAR_S / 8.0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / RATE;
        int bar = (int)(t / BAR_S) % BARS;
        const int *ch = chords[bar % 4];
        double in_bar = t - bar * BAR_S;
        /* the pad: the chord's lower three notes, swelling in each bar */
        double swell = sin(M_PI * in_bar / BAR_S);
        double x = 0;
        for (int k = 0; k < 3; k++)
            x += 0.12 * swell * sin(2 * M_PI * hz(ch[k]) * t);
        /* the arpeggio: up and down the chord, an octave higher */
        int step = (int)(in_bar / eighth);
        static const int order[8] = {0, 1, 2, 3, 2, 1, 2, 1};
        double since = in_bar - step * eighth;
        x += 0.35 * pluck(hz(ch[order[step]] + 12), since);
        out[i] = (int16_t)lrint(6000.0 * x);
    }
}

int moh_default(struct app *app, char *path, size_t size)
{
    int len = snprintf(path, size, "%s/media/moh-default.wav", app->data_dir);
    if (len < 0 || (size_t)len >= size)
        return ENAMETOOLONG;
    if (access(path, R_OK) == 0)
        return 0;
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/media", app->data_dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return errno;
    size_t n = (size_t)RATE * BAR_S * BARS;
    int16_t *pcm = malloc(n * sizeof(*pcm));
    if (!pcm)
        return ENOMEM;
    render(pcm, n);
    int err = voice_write_wav(path, pcm, n);
    free(pcm);
    return err;
}
