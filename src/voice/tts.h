/*
 * tts.h - prompts spoken from text: rendered with flite (the cmu_us_slt
 * voice), resampled to 8 kHz, and kept as 16-bit mono WAV files under
 * DATA/media/prompts/ named by a hash of the text, so each text is
 * rendered once. Rendering runs on the work pool, never on the loop.
 */
#ifndef SB_VOICE_TTS_H
#define SB_VOICE_TTS_H

struct app;

/* Called on the loop: err 0 and the WAV file's path (valid during the
 * call), or an error. */
typedef void(tts_h)(int err, const char *path, void *arg);

/* Render (or find in the cache) text, then call h. arg, if not NULL, must
 * be mem-allocated: a reference is held until h has run. */
int tts_prompt(struct app *app, const char *text, tts_h *h, void *arg);

#endif
