/*
 * asr.h - speech recognition of a closed list of phrases (an attendant's
 * menu words, the directory's names, "yes"/"no"), with pocketsphinx and
 * its US English model. Pure: no sockets, no loop.
 *
 * Grammar: one of the phrases, optionally wrapped in a few carrier words
 * the caller may add: before it "i want", "i'd like", "i need", "give me",
 * "talk to", "speak to", "connect me to", "transfer me to" (each optionally
 * followed by "the"), or "the"; after it "please", "thanks", "thank you".
 * So "sales", "sales please", "i want the operator", "connect me to alice
 * brown" all give the bare phrase. Carrier words never appear in the
 * result.
 *
 * Words: a phrase is lowercase words of letters and apostrophes (see
 * asr_name_phrase() for turning display names into phrases). A word of the
 * CMU dictionary gets its pronunciations from it; any other word ("okafor")
 * is spelled by flite's letter-to-sound rules, so a name needs no manual
 * dictionary entry. Only a phrase with other characters (digits,
 * punctuation, capitals), an empty phrase, or a word that no rule can
 * spell is refused, with EINVAL and a message naming it.
 *
 * Audio: 8 kHz 16-bit mono (telephone). The model is trained on 16 kHz
 * speech and its filter bank reaches 6.8 kHz, so the decoder runs at 16 kHz
 * on the audio doubled by a clean interpolator (resample.h); the missing
 * upper band costs little, whereas running the model's features at 8 kHz
 * (samprate 8000, nfft 256, upperf 3500-3900) recognised 2 of 9 names in
 * our measurements.
 *
 * Confidence: the grammar's best path is compared with a free loop of
 * the model's 39 phones over the same audio (a second, cheap search):
 * speech that fits a phrase scores close to or better than the loop, other
 * speech and noise worse. The gap per frame of speech is mapped to 0..100
 * by a logistic (50 at the gap GAP_MID of asr.c); below
 * ASR_ACCEPT_CONFIDENCE the result is "" (not recognised). It is a coarse
 * guard: on flite's voice it turned away half of the sentences outside the
 * grammar ("cancel my account" may still come out as "operator") and all
 * noise and silence, while keeping 97 % of the phrases. An attendant
 * should confirm ("did you say sales?") or offer the keys as well.
 *
 * Cost (measured on this 2-core box, see test_asr): asr_alloc 40-70 ms
 * (model, a pass over the CMU dictionary for the grammar's words, the
 * grammars); a recogniser holds about 4 MB of heap (the acoustic model's
 * means, variances and tree, and only its own words), plus the model's
 * 2 MB senone file mapped read-only (shared through the page cache);
 * decoding takes 6-9 % of the audio's duration (both searches) on one
 * core. pocketsphinx cannot share an acoustic model between decoders, so
 * each recogniser pays its 4 MB: 20 menus, about 80 MB.
 *
 * Threads: asr_alloc, asr_recognize* and asr_free may run on any thread
 * (a work-pool thread; never the loop: decoding takes tens of ms). One
 * recogniser decodes one utterance at a time: concurrent calls on the same
 * recogniser wait for each other (a lock inside); different recognisers
 * decode in parallel. pocketsphinx's logging is switched off once for the
 * process.
 */
#ifndef SB_VOICE_ASR_H
#define SB_VOICE_ASR_H

#include <stddef.h>
#include <stdint.h>

struct asr;

enum {
    ASR_ACCEPT_CONFIDENCE = 50, /* results below are reported as "" */
};

/* A recogniser for exactly these n phrases (copied). 0, or EINVAL (no
 * phrases, a bad phrase or word: err says which), ENOMEM, EIO (model files
 * missing: err says which). */
int asr_alloc(struct asr **ap, const char *const *phrases, size_t n, char *err, size_t errsize);
void asr_free(struct asr *a);

/* Decode one utterance of n samples (8 kHz, 16-bit mono, a few hundred ms
 * of silence around the speech help). out gets the phrase recognised,
 * exactly as given to asr_alloc, or "" (nothing, or confidence below
 * ASR_ACCEPT_CONFIDENCE); *confidence (may be NULL) 0..100, 0 when
 * nothing was heard. 0, or EINVAL, ENOSPC (out too small), EIO (decoder
 * failure). */
int asr_recognize(struct asr *a, const int16_t *pcm, size_t n, char *out, size_t size,
                  int *confidence);

/* The same on an 8 kHz 16-bit mono WAV file (what the media engine
 * records); ENOTSUP for another format. */
int asr_recognize_wav(struct asr *a, const char *path, char *out, size_t size, int *confidence);

/* The phrase for a display name: ASCII letters lowercased, Latin-1 accented
 * letters (UTF-8) folded to their base letter, apostrophes inside words
 * kept ("O'Brien" -> "o'brien"), anything else a word break ("Mary-Jane
 * Smith, Jr." -> "mary jane smith jr"). 0, EINVAL (no letters at all) or
 * ENOSPC. */
int asr_name_phrase(const char *display, char *out, size_t size);

#endif
