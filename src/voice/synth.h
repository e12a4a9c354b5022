/*
 * synth.h - flite, shared by spoken prompts (tts.c) and the speech
 * recogniser's pronunciations (asr): the cmu_us_slt voice and the CMU
 * lexicon with its letter-to-sound rules. flite keeps global state, so
 * every call here takes one process-wide lock: call from work-pool
 * threads, never from the loop (a render takes tens of milliseconds).
 */
#ifndef SB_VOICE_SYNTH_H
#define SB_VOICE_SYNTH_H

#include <stddef.h>
#include <stdint.h>

/* Speak text as 8 kHz 16-bit mono samples: *pcm is malloc'ed (the caller
 * frees it), *n samples. 0, EIO (flite failed) or ENOMEM. */
int synth_render_8k(const char *text, int16_t **pcm, size_t *n);

/* flite's pronunciation of one lowercase word (from the lexicon, else
 * spelled by its letter-to-sound rules), as its phones separated by
 * spaces with stress digits, e.g. "ow0 k ax0 f er0" for "okafor".
 * 0, ENOENT (no phones), or ENOSPC (out too small). */
int synth_phones(const char *word, char *out, size_t size);

#endif
