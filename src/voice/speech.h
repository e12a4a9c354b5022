/*
 * speech.h - speech recognition for the voice applications, off the loop:
 * recognisers (asr.h) kept by their phrase list, built and run on the work
 * pool, so a caller's utterance is decoded without stalling the main loop.
 *
 * A recogniser costs 40-70 ms to build and about 4 MB to keep (asr.h), so
 * the few grammars in use (an attendant's menu words, the directory's
 * names, yes/no) are kept, the least recently used dropped past a limit,
 * and a list that changes (a new option word, a new person) simply gets a
 * recogniser of its own on its next use. Utterances for a recogniser still
 * being built wait for it.
 *
 * Everything here runs on the loop thread that made the pool; the handler
 * runs there too, once per accepted request, unless speech_free() came
 * first (it is then never called).
 */
#ifndef SB_VOICE_SPEECH_H
#define SB_VOICE_SPEECH_H

#include <stddef.h>
#include <stdint.h>

struct speech;
struct workpool;

/* err 0 and phrase: one of the list's phrases, or "" when nothing in it
 * was recognised with enough confidence (confidence 0..100); or an error
 * (the recogniser could not be built, EIO from the decoder, ECANCELED). */
typedef void(speech_h)(int err, const char *phrase, int confidence, void *arg);

/* At most max recognisers are kept (0: 8). */
int speech_alloc(struct speech **spp, struct workpool *pool, unsigned max);
/* Pending requests are dropped without their handlers. */
void speech_free(struct speech *sp);

/* Build the recogniser for this phrase list now, so the first caller
 * does not wait for it. */
int speech_prepare(struct speech *sp, const char *const *phrases, size_t n);

/* Recognise samples (8 kHz 16-bit mono, a mem object: a reference is
 * held until the decoding is done) against the phrase list. arg, if not
 * NULL, must be mem-allocated: a reference is held until h has run. 0, or
 * EINVAL (no phrases, or a list known not to build: err says why), ENOMEM. */
int speech_recognize(struct speech *sp, const char *const *phrases, size_t n, int16_t *pcm,
                     size_t samples, speech_h *h, void *arg);

/* Recognisers kept (built or being built); for tests and metrics. */
unsigned speech_count(const struct speech *sp);

#endif
