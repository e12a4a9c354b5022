/*
 * auth.c - turns the credential a request carries into a principal.
 *
 * Accepted, in order: "Authorization: Bearer TOKEN", "X-API-Key: KEY", and
 * for WebSocket upgrades (browsers cannot set headers there) the query
 * parameter access_token. Session tokens start "sbs_", API keys "sbk_".
 */
#include "auth/credential.h"
#include "core/libre.h"
#include "http/api.h"
#include "http/api_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char challenge[] = "WWW-Authenticate: Bearer realm=\"switchboard\"\r\n";

static bool credential(struct api_req *req)
{
    const struct http_msg *msg = req->hreq->msg;
    const struct http_hdr *h = http_msg_hdr(msg, HTTP_HDR_AUTHORIZATION);
    if (h && h->val.l > 7 && strncasecmp(h->val.p, "Bearer ", 7) == 0) {
        struct pl tok = {h->val.p + 7, h->val.l - 7};
        while (tok.l && tok.p[0] == ' ')
            tok.p++, tok.l--;
        return pl_strcpy(&tok, req->token, sizeof(req->token)) == 0 && tok.l < sizeof(req->token);
    }
    h = http_msg_xhdr(msg, "X-API-Key");
    if (h)
        return pl_strcpy(&h->val, req->token, sizeof(req->token)) == 0 &&
               h->val.l < sizeof(req->token);
    /* Only an upgrade may carry the token in its URL: elsewhere a header
     * works, and URLs end up in logs and browser history. */
    const char *q = api_query(req, "access_token");
    if (q && strlen(q) < sizeof(req->token) &&
        http_msg_hdr_has_value(msg, HTTP_HDR_UPGRADE, "websocket")) {
        snprintf(req->token, sizeof(req->token), "%s", q);
        return true;
    }
    return false;
}

int api_authenticate(struct api_req *req)
{
    if (!credential(req) || !req->token[0]) {
        api_reply_error_headers(req, 401, challenge, "unauthenticated",
                                "sign in: send \"Authorization: Bearer <token>\" (POST /v1/sessions"
                                " gives a token) or an API key");
        return EACCES;
    }
    int err = credential_authenticate(req->app, req->token, &req->who);
    switch (err) {
    case 0:
        return 0;
    case ETIMEDOUT:
        api_reply_error_headers(req, 401, challenge, "token_expired",
                                "the session has expired; sign in again");
        break;
    case EACCES:
        api_reply_error_headers(req, 401, challenge, "account_disabled",
                                "this account is disabled; ask an administrator");
        break;
    case ENOENT:
        api_reply_error_headers(req, 401, challenge, "invalid_token",
                                "the token or API key is not valid; sign in again");
        break;
    default:
        api_reply_store_error(req, err, "the session");
        break;
    }
    return err;
}
