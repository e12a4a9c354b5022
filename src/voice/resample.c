/*
 * resample.c - halving and doubling the sample rate (see resample.h).
 *
 * One low-pass at the 16 kHz rate: going down it filters then keeps every
 * other sample; going up it filters the signal with zeros stuffed between
 * samples (so only every other tap meets a sample) and doubles the gain.
 */
#include "voice/resample.h"

#include <math.h>

enum { TAPS = 129, HALF = TAPS / 2 };

static void lowpass(double h[TAPS])
{
    const double fc = 3700.0 / 16000.0; /* cut-off as a fraction of the rate */
    double sum = 0;
    for (int i = 0; i < TAPS; i++) {
        double x = i - HALF;
        double sinc = x == 0 ? 2 * fc : sin(2 * M_PI * fc * x) / (M_PI * x);
        double w =
            0.42 - 0.5 * cos(2 * M_PI * i / (TAPS - 1)) + 0.08 * cos(4 * M_PI * i / (TAPS - 1));
        h[i] = sinc * w;
        sum += h[i];
    }
    for (int i = 0; i < TAPS; i++)
        h[i] /= sum; /* unity gain at 0 Hz */
}

static int16_t clip(double v)
{
    if (v > 32767.0)
        return 32767;
    if (v < -32768.0)
        return -32768;
    return (int16_t)lrint(v);
}

size_t resample_down2(const int16_t *in, size_t n, int16_t *out)
{
    double h[TAPS];
    lowpass(h);
    size_t m = n / 2;
    for (size_t o = 0; o < m; o++) {
        long c = (long)(2 * o); /* the centre tap sits on input sample c */
        double acc = 0;
        for (int j = 0; j < TAPS; j++) {
            long k = c + HALF - j;
            if (k >= 0 && k < (long)n)
                acc += h[j] * in[k];
        }
        out[o] = clip(acc);
    }
    return m;
}

size_t resample_up2(const int16_t *in, size_t n, int16_t *out)
{
    double h[TAPS];
    lowpass(h);
    size_t m = 2 * n;
    for (size_t o = 0; o < m; o++) {
        /* Stuffed signal z[2i] = in[i], z[odd] = 0: taps j with
         * o + HALF - j even meet a sample. */
        double acc = 0;
        for (int j = (int)((o + HALF) & 1); j < TAPS; j += 2) {
            long k = (long)o + HALF - j;
            if (k >= 0 && k < (long)m)
                acc += h[j] * in[k / 2];
        }
        out[o] = clip(2 * acc);
    }
    return m;
}
