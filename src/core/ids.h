/*
 * ids.h - random identifiers, secret tokens and their hashes.
 *
 * Ids name stored objects ("usr_3k9f..."); tokens are secrets handed to a
 * client once (session tokens "sbs_...", API keys "sbk_..."). Only a token's
 * hash is ever stored: BLAKE2b-256 is enough because tokens carry 256 bits
 * of randomness (a slow password hash is for low-entropy passwords).
 */
#ifndef SB_CORE_IDS_H
#define SB_CORE_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    ID_SIZE = 32,         /* "usr_" + 20 base32 chars + NUL fits */
    TOKEN_SIZE = 64,      /* "sbs_" + 43 base64url chars + NUL fits */
    TOKEN_HASH_SIZE = 65, /* 64 hex chars + NUL */
};

/* Must be called once before any other function (initialises libsodium). */
int ids_init(void);

/* prefix + "_" + 20 random base32 characters (100 bits). */
void id_new(char out[ID_SIZE], const char *prefix);
/* The same length, but the first 9 characters are the time (ms), so ids
 * made later sort later and a unique index on them grows at its end (one
 * page written per commit, not one page per new row); 55 random bits
 * follow. For rows written at a high rate (chat messages). */
void id_new_ordered(char out[ID_SIZE], const char *prefix, int64_t time_ms);

/* prefix + "_" + 43 base64url characters (256 bits). */
void token_new(char out[TOKEN_SIZE], const char *prefix);

/* Hex BLAKE2b-256 of a token. */
void token_hash(char out[TOKEN_HASH_SIZE], const char *token, size_t len);

/* Constant-time comparison of two NUL-terminated strings. */
bool secret_equal(const char *a, const char *b);

#endif
