/*
 * ids.c - random ids and tokens from libsodium's CSPRNG (see ids.h).
 */
#include "core/ids.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

int ids_init(void)
{
    return sodium_init() < 0 ? EIO : 0;
}

static const char id_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

void id_new(char out[ID_SIZE], const char *prefix)
{
    unsigned char raw[20];
    randombytes_buf(raw, sizeof(raw));
    int n = snprintf(out, ID_SIZE, "%s_", prefix);
    for (size_t i = 0; i < sizeof(raw) && (size_t)n + 1 < ID_SIZE; i++)
        out[n++] = id_alphabet[raw[i] & 31];
    out[n] = '\0';
}

void id_new_ordered(char out[ID_SIZE], const char *prefix, int64_t time_ms)
{
    enum { TIME_CHARS = 9 }; /* 45 bits of milliseconds: past the year 3000 */
    unsigned char raw[20 - TIME_CHARS];
    randombytes_buf(raw, sizeof(raw));
    int n = snprintf(out, ID_SIZE, "%s_", prefix);
    uint64_t t = time_ms < 0 ? 0 : (uint64_t)time_ms;
    for (int i = TIME_CHARS - 1; i >= 0 && n + i + 1 < ID_SIZE; i--, t >>= 5)
        out[n + i] = id_alphabet[t & 31];
    n += TIME_CHARS;
    for (size_t i = 0; i < sizeof(raw) && (size_t)n + 1 < ID_SIZE; i++)
        out[n++] = id_alphabet[raw[i] & 31];
    out[n] = '\0';
}

void token_new(char out[TOKEN_SIZE], const char *prefix)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    int n = snprintf(out, TOKEN_SIZE, "%s_", prefix);
    sodium_bin2base64(out + n, TOKEN_SIZE - (size_t)n, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

void token_hash(char out[TOKEN_HASH_SIZE], const char *token, size_t len)
{
    unsigned char digest[32];
    crypto_generichash(digest, sizeof(digest), (const unsigned char *)token, len, NULL, 0);
    sodium_bin2hex(out, TOKEN_HASH_SIZE, digest, sizeof(digest));
}

bool secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return false;
    return sodium_memcmp(a, b, la) == 0;
}
