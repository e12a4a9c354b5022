/*
 * resample.h - 16 kHz <-> 8 kHz by a factor of two, through a
 * windowed-sinc low-pass (129 taps, Blackman, cut at 3.7 kHz) so nothing
 * folds over. librem's auresamp has short filters whose aliasing (going
 * down) and images (going up) cost the speech recogniser most of its
 * accuracy (measured: 2 of 9 names right instead of 9 of 9); prompts are
 * cleaner too. Pure functions, safe on any thread.
 */
#ifndef SB_VOICE_RESAMPLE_H
#define SB_VOICE_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

/* n samples at 16 kHz into out (room for n / 2): returns n / 2. */
size_t resample_down2(const int16_t *in, size_t n, int16_t *out);

/* n samples at 8 kHz into out (room for 2 * n): returns 2 * n. */
size_t resample_up2(const int16_t *in, size_t n, int16_t *out);

#endif
