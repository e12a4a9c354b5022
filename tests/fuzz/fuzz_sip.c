/*
 * fuzz_sip.c - libFuzzer target for SIP requests: bytes decoded by libre's
 * sip_msg_decode, as the UDP and TCP transports do, then what the SIP
 * service does with a request before it needs a socket or the store:
 * the checks every request must pass (check.c), the digest header of
 * Authorization and Proxy-Authorization as auth.c reads it (decode, the
 * digest URI against the Request-URI, the user name, the nonce, the
 * response; digest.c), and the registrar's Expires and Contact values
 * (registrar.c).
 *
 * Nothing may crash; a verdict is one of the answers on_request sends;
 * a Contact URI always fits its buffer; a nonce we made always checks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/libre.h"
#include "sip/sip_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sipsvc svc;
/* HA1 of some user: any 32 hex digits do for the check's code paths. */
static const char ha1[] = "0123456789abcdef0123456789abcdef";

static void init(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    if (sodium_init() < 0)
        abort();
    memset(svc.nonce_key, 0x5a, sizeof(svc.nonce_key));
    char nonce[NONCE_SIZE];
    digest_nonce(&svc, 1700000000, nonce);
    struct pl pl;
    pl_set_str(&pl, nonce);
    if (digest_nonce_check(&svc, &pl, 1700000000 + 10) != 0 ||
        digest_nonce_check(&svc, &pl, 1700000000 + NONCE_TTL_S + 10) != ETIMEDOUT)
        abort();
}

/* sipauth_check() up to the store: what it reads of the header. */
static void check_digest(const struct sip_msg *msg, enum sip_hdrid id)
{
    const struct sip_hdr *h = sip_msg_hdr(msg, id);
    struct httpauth_digest_resp resp;
    if (!h || httpauth_digest_response_decode(&resp, &h->val) != 0)
        return;
    (void)pl_cmp(&resp.uri, &msg->ruri);
    (void)pl_strcmp(&resp.realm, "switchboard");
    int err = digest_nonce_check(&svc, &resp.nonce, 1700000000);
    if (err && err != EINVAL && err != ETIMEDOUT)
        abort();
    char user[72];
    if (resp.username.l < sizeof(user) && pl_strcpy(&resp.username, user, sizeof(user)) == 0 &&
        strlen(user) > resp.username.l)
        abort();
    (void)digest_response_ok(&resp, &msg->met, ha1);
}

static bool each_contact(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
    (void)msg;
    uint32_t *default_expires = arg;
    char uri[REG_URI_SIZE];
    uint32_t expires = 0;
    enum reg_contact r = registrar_contact(&hdr->val, *default_expires, uri, &expires);
    if (r == REG_CONTACT_OK && !memchr(uri, '\0', sizeof(uri)))
        abort();
    return r == REG_CONTACT_BAD;
}

static void check_request(const struct sip_msg *msg)
{
    struct sip_verdict v;
    int scode = sip_request_check(msg, &v);
    if (scode != v.scode || (scode && scode != 400 && scode != 416 && scode != 420) ||
        (scode && !v.reason) || !memchr(v.unsupported, '\0', sizeof(v.unsupported)) ||
        (scode == 420 && !v.unsupported[0]))
        abort();
    check_digest(msg, SIP_HDR_AUTHORIZATION);
    check_digest(msg, SIP_HDR_PROXY_AUTHORIZATION);
    uint32_t default_expires = 3600;
    if (pl_isset(&msg->expires) && !registrar_delta_seconds(&msg->expires, &default_expires))
        return;
    sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, each_contact, &default_expires);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init();
    struct mbuf *mb = mbuf_alloc(size ? size : 1);
    if (!mb)
        return 0;
    (void)mbuf_write_mem(mb, data, size);
    mb->pos = 0;
    struct sip_msg *msg = NULL;
    if (sip_msg_decode(&msg, mb) == 0) {
        if (msg->req)
            check_request(msg);
        mem_deref(msg);
    }
    mem_deref(mb);
    return 0;
}
