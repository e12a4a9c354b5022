/*
 * digest.c - SIP digest authentication, server side: stateless nonces
 * (a time and an HMAC of it under a key made at start, so no table of
 * nonces is kept and a restart only makes phones authenticate again) and
 * checking a response against the stored HA1.
 */
#include "sip/sip_internal.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void nonce_mac(const struct sipsvc *s, uint64_t t, char out[33])
{
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    uint8_t msg[8];
    for (int i = 0; i < 8; i++)
        msg[i] = (uint8_t)(t >> (56 - 8 * i));
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, s->nonce_key, sizeof(s->nonce_key));
    crypto_auth_hmacsha256_update(&st, msg, sizeof(msg));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, 33, mac, 16);
}

void digest_nonce(const struct sipsvc *s, int64_t now_s, char out[NONCE_SIZE])
{
    char mac[33];
    nonce_mac(s, (uint64_t)now_s, mac);
    snprintf(out, NONCE_SIZE, "%016llx%s", (unsigned long long)now_s, mac);
}

int digest_nonce_check(const struct sipsvc *s, const struct pl *nonce, int64_t now_s)
{
    if (nonce->l != 48)
        return EINVAL;
    char t_hex[17];
    memcpy(t_hex, nonce->p, 16);
    t_hex[16] = '\0';
    char *end;
    unsigned long long t = strtoull(t_hex, &end, 16);
    if (*end)
        return EINVAL;
    char mac[33];
    nonce_mac(s, t, mac);
    if (sodium_memcmp(mac, nonce->p + 16, 32) != 0)
        return EINVAL;
    if ((int64_t)t > now_s + 5 || now_s - (int64_t)t > NONCE_TTL_S)
        return ETIMEDOUT;
    return 0;
}

static void md5_hex(const char *text, size_t len, char out[33])
{
    uint8_t md[MD5_SIZE];
    md5((const uint8_t *)text, len, md);
    sodium_bin2hex(out, 33, md, MD5_SIZE);
}

bool digest_response_ok(const struct httpauth_digest_resp *resp, const struct pl *method,
                        const char *ha1_hex)
{
    char buf[1024], ha2[33], want[33];
    int n = re_snprintf(buf, sizeof(buf), "%r:%r", method, &resp->uri);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return false;
    md5_hex(buf, (size_t)n, ha2);
    if (pl_isset(&resp->qop))
        n = re_snprintf(buf, sizeof(buf), "%s:%r:%r:%r:%r:%s", ha1_hex, &resp->nonce, &resp->nc,
                        &resp->cnonce, &resp->qop, ha2);
    else
        n = re_snprintf(buf, sizeof(buf), "%s:%r:%s", ha1_hex, &resp->nonce, ha2);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return false;
    md5_hex(buf, (size_t)n, want);
    if (resp->response.l != 32)
        return false;
    /* Hex digits may come in either case. */
    char got[33];
    for (size_t i = 0; i < 32; i++) {
        char ch = resp->response.p[i];
        got[i] = (ch >= 'A' && ch <= 'F') ? (char)(ch - 'A' + 'a') : ch;
    }
    got[32] = '\0';
    return sodium_memcmp(got, want, 32) == 0;
}
