/*
 * password.h - password hashing with argon2id (libsodium).
 *
 * Why argon2id: it is the winner of the Password Hashing Competition and
 * the first choice of OWASP's password storage guidance; being memory-hard
 * (64 MiB per hash here) it makes GPU and ASIC guessing far costlier than
 * PBKDF2, and libsodium ships it in Debian with a stable string format
 * ("$argon2id$v=19$m=65536,t=2,p=1$...") that records its own parameters,
 * so the cost can be raised later without breaking stored hashes.
 *
 * Each hash or verification takes tens of milliseconds: the server runs
 * them on its work pool, never on the main loop.
 */
#ifndef SB_AUTH_PASSWORD_H
#define SB_AUTH_PASSWORD_H

#include <stdbool.h>

enum { PASSWORD_HASH_SIZE = 128, PASSWORD_MIN_LEN = 8, PASSWORD_MAX_LEN = 256 };

/* Returns 0, or ENOMEM when the memory for the hash cannot be had. */
int password_hash(char out[PASSWORD_HASH_SIZE], const char *password);
bool password_verify(const char *hash, const char *password);
/* Does the string look like a hash this module can verify? */
bool password_hash_valid(const char *hash);
/* A hash of a random password: verifying against it costs the same as a
 * real one, so unknown accounts take as long to refuse as known ones. */
const char *password_dummy_hash(void);

#endif
