/*
 * auth.c - digest authentication of SIP requests against the users' SIP
 * secrets: REGISTER is challenged with 401/WWW-Authenticate, INVITE and
 * others with 407/Proxy-Authenticate (RFC 3261 section 22). Every failure
 * counts against the sending address, which is banned after too many.
 */
#include "auth/ratelimit.h"
#include "auth/sipsecret.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/settings.h"
#include "sip/sip_internal.h"
#include "sip/trunks.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void challenge(struct sipsvc *s, const struct sip_msg *msg, bool proxy, bool stale)
{
    char nonce[NONCE_SIZE];
    digest_nonce(s, clock_now_ms() / 1000, nonce);
    sip_replyf(s->sip, msg, proxy ? 407 : 401,
               proxy ? "Proxy Authentication Required" : "Unauthorized",
               "%s: Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, qop=\"auth\"%s\r\n"
               "Content-Length: 0\r\n\r\n",
               proxy ? "Proxy-Authenticate" : "WWW-Authenticate", settings_str(s->app, "sip.realm"),
               nonce, stale ? ", stale=true" : "");
}

void sipauth_failed(struct sipsvc *s, const struct sip_msg *msg, const char *why, bool quiet)
{
    char addr[64];
    re_snprintf(addr, sizeof(addr), "%j", &msg->src);
    int64_t lock = ratelimit_fail(s->failures, addr, clock_mono_ms());
    log_warn("sip", "authentication failed", "src=%s why=\"%s\"", addr, why);
    if (lock)
        log_warn("sip", "address banned after repeated failures", "addr=%s seconds=%lld", addr,
                 (long long)(lock / 1000));
    if (!quiet)
        sip_reply(s->sip, msg, 403, "Forbidden");
}

/* A trunk that authenticates with a digest user name and password of its
 * own: its spec (new reference) and HA1, or NULL. */
static json_t *trunk_secret(struct sipsvc *s, const char *user, const char *realm,
                            char ha1[SIPSECRET_HEX])
{
    json_t *t = trunk_by_auth_user(s->app, user);
    const char *pass =
        json_string_value(json_object_get(json_object_get(t, "inbound"), "password"));
    if (!pass) {
        json_decref(t);
        return NULL;
    }
    sipsecret_ha1(ha1, user, realm, pass);
    return t;
}

int sipauth_check(struct sipsvc *s, const struct sip_msg *msg, bool proxy, char user_id[ID_SIZE],
                  json_t **trunk)
{
    const struct sip_hdr *h =
        sip_msg_hdr(msg, proxy ? SIP_HDR_PROXY_AUTHORIZATION : SIP_HDR_AUTHORIZATION);
    struct httpauth_digest_resp resp;
    if (!h) {
        challenge(s, msg, proxy, false);
        return EACCES;
    }
    if (httpauth_digest_response_decode(&resp, &h->val) != 0) {
        /* Another scheme than Digest: offer ours (RFC 4475, regaut01). */
        if (h->val.l < 6 || strncasecmp(h->val.p, "Digest", 6) != 0) {
            challenge(s, msg, proxy, false);
            return EACCES;
        }
        sip_reply(s->sip, msg, 400, "Bad Authorization Header");
        return EINVAL;
    }
    /* The response covers the digest's uri: it must be this request's. */
    if (pl_cmp(&resp.uri, &msg->ruri) != 0) {
        sip_reply(s->sip, msg, 400, "Digest URI Does Not Match The Request-URI");
        return EINVAL;
    }
    const char *realm = settings_str(s->app, "sip.realm");
    if (pl_strcmp(&resp.realm, realm) != 0) {
        challenge(s, msg, proxy, false);
        return EACCES;
    }
    int err = digest_nonce_check(s, &resp.nonce, clock_now_ms() / 1000);
    if (err) {
        challenge(s, msg, proxy, err == ETIMEDOUT);
        return EACCES;
    }
    char user[72], ha1[SIPSECRET_HEX];
    json_t *t = NULL;
    bool known = resp.username.l < sizeof(user) &&
                 pl_strcpy(&resp.username, user, sizeof(user)) == 0 &&
                 (sipsecret_find(s->app, user, realm, user_id, ha1) == 0 ||
                  (trunk && (t = trunk_secret(s, user, realm, ha1)) != NULL));
    if (!known) {
        sipauth_failed(s, msg, "unknown user name or no SIP password", false);
        return EPERM;
    }
    if (!digest_response_ok(&resp, &msg->met, ha1)) {
        json_decref(t);
        sipauth_failed(s, msg, "wrong password", false);
        return EPERM;
    }
    if (t) {
        user_id[0] = '\0';
        *trunk = t;
    }
    return 0;
}
