/*
 * wav.h - writing the WAV files the voice applications play, and reading
 * the ones the media engine records.
 */
#ifndef SB_VOICE_WAV_H
#define SB_VOICE_WAV_H

#include <stddef.h>
#include <stdint.h>

/* n samples as an 8 kHz 16-bit mono WAV file at path, written whole
 * (PATH.tmp, then renamed). 0 or an errno value. */
int voice_write_wav(const char *path, const int16_t *s, size_t n);

/* Read an 8 kHz 16-bit mono WAV file whole (librem's aufile): *s is
 * malloc'ed (the caller frees it), *n samples. 0, an errno value, or
 * ENOTSUP for another rate, width or channel count. */
int voice_read_wav(const char *path, int16_t **s, size_t *n);

#endif
