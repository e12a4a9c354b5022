/*
 * asr_internal.h - the parts of the recogniser (asr.h): the grammar's text
 * and words (asr_grammar.c) and their pronunciations (asr_lexicon.c).
 */
#ifndef SB_VOICE_ASR_INTERNAL_H
#define SB_VOICE_ASR_INTERNAL_H

#include <pocketsphinx.h>
#include <stddef.h>

/* Carrier words are entered in the decoder's dictionary with this mark
 * after them ("please_"), so a result can drop them. */
#define ASR_CARRIER_MARK '_'

/* 0, or EINVAL with err naming the phrase (number i) and what is wrong. */
int asr_phrase_check(const char *phrase, size_t i, char *err, size_t errsize);

/* The JSGF text for the phrases wrapped in the carrier words (asr.h),
 * malloc'ed; NULL when out of memory. */
char *asr_grammar_jsgf(const char *const *phrases, size_t n);

/* Every distinct word of the grammar (phrase words, and carrier words
 * with their mark), sorted; a malloc'ed array of malloc'ed strings, freed
 * by asr_words_free. 0 or ENOMEM. */
int asr_grammar_words(const char *const *phrases, size_t n, char ***words, size_t *count);
void asr_words_free(char **words, size_t count);

/* The competitor of a phrase grammar when judging confidence: any
 * sequence of the model's phones, each entered as a one-phone word
 * ("ph_aa"). asr_phone_word writes the i-th such word. */
enum { ASR_PHONES = 39 };
extern const char *const asr_phones[ASR_PHONES];
void asr_phone_word(size_t i, char out[8]);
char *asr_grammar_phone_loop(void); /* malloc'ed JSGF, or NULL */

/* hyp without its carrier words into out. 0 or ENOSPC. */
int asr_strip_carriers(const char *hyp, char *out, size_t size);

/* Enter the pronunciations of the words in the decoder: from the
 * dictionary file dictpath (the CMU dictionary; every variant), else from
 * flite's letter-to-sound rules. A carrier word is looked up without its
 * mark. 0, EIO (dictionary unreadable) or EINVAL (a word nobody can
 * spell), with err saying which. */
int asr_lexicon_load(ps_decoder_t *ps, const char *dictpath, char *const *words, size_t n,
                     char *err, size_t errsize);

#endif
