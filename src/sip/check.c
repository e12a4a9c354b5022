/*
 * check.c - what every request must pass before a handler sees it: the
 * malformed requests of RFC 4475 that libre's parser lets through (a
 * Content-Length longer than the datagram or not a number, headers that
 * may appear once given twice, CSeq and Max-Forwards out of range, a CSeq
 * method other than the request's, unbalanced quotes or spaces inside
 * From and To, empty Via values, a Request-URI in <> or with headers),
 * a Request-URI that is not sip/sips (416) and a Require we do not
 * support (420, RFC 3261 section 8.2.2.3). Pure: tests/fuzz/fuzz_sip.c
 * runs it on every input.
 */
#include "sip/sip_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool lws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A number of at most `digits` digits (leading zeros allowed) after
 * optional LWS; *end is past it. */
static bool number(const char *p, const char *e, uint64_t *v, const char **end)
{
    while (p < e && lws(*p))
        p++;
    const char *start = p;
    *v = 0;
    for (; p < e && isdigit((unsigned char)*p); p++) {
        *v = *v * 10 + (uint64_t)(*p - '0');
        if (*v > UINT32_MAX)
            return false;
    }
    *end = p;
    return p > start;
}

static bool only_lws(const char *p, const char *e)
{
    for (; p < e; p++) {
        if (!lws(*p))
            return false;
    }
    return true;
}

static bool token_char(char c)
{
    return isalnum((unsigned char)c) || (c && strchr("-.!%*_+`'~", c));
}

/* name-addr or addr-spec (RFC 3261 section 25.1), as far as libre does
 * not check it: a quoted display name is closed, an unquoted one is
 * tokens, the URI in <> holds no whitespace and the > is there. */
static bool name_addr_ok(const struct pl *v)
{
    const char *p = v->p, *e = v->p + v->l;
    while (p < e && lws(*p))
        p++;
    if (p < e && *p == '"') {
        for (p++; p < e && *p != '"'; p++) {
            if (*p == '\\' && ++p == e)
                return false;
        }
        if (p == e)
            return false;
        for (p++; p < e && lws(*p); p++)
            ;
        if (p == e || *p != '<')
            return false;
    } else {
        const char *lt = memchr(p, '<', (size_t)(e - p));
        if (!lt)
            return !memchr(p, '"', (size_t)(e - p));
        for (; p < lt; p++) { /* tokens; UTF-8 let through, as phones send it */
            if (!lws(*p) && !token_char(*p) && (unsigned char)*p < 0x80)
                return false;
        }
    }
    for (p++; p < e && *p != '>'; p++) {
        if (lws(*p) || *p == '<' || *p == '"')
            return false;
    }
    return p < e;
}

static bool scheme_syntax(const struct pl *s)
{
    if (!s->l || !isalpha((unsigned char)s->p[0]))
        return false;
    for (size_t i = 1; i < s->l; i++) {
        if (!isalnum((unsigned char)s->p[i]) && (!s->p[i] || !strchr("+-.", s->p[i])))
            return false;
    }
    return true;
}

static bool bad_via(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
    (void)msg;
    (void)arg;
    const char *p = hdr->val.p, *e = hdr->val.p + hdr->val.l;
    while (p < e && lws(*p))
        p++;
    return e - p < 3 || strncasecmp(p, "SIP", 3) != 0;
}

struct unsupported {
    char *buf;
    size_t size, len;
    bool bad;
};

static bool each_require(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
    (void)msg;
    struct unsupported *u = arg;
    struct pl tag = hdr->val;
    while (tag.l && lws(tag.p[0]))
        pl_advance(&tag, 1);
    while (tag.l && lws(tag.p[tag.l - 1]))
        tag.l--;
    if (!tag.l || !pl_strcasecmp(&tag, "path"))
        return false;
    for (size_t i = 0; i < tag.l; i++) {
        if (!token_char(tag.p[i])) {
            u->bad = true; /* not an option tag: nothing to echo */
            return true;
        }
    }
    int n = re_snprintf(u->buf + u->len, u->size - u->len, "%s%r", u->len ? ", " : "", &tag);
    if (n > 0 && (size_t)n < u->size - u->len)
        u->len += (size_t)n;
    return false;
}

static int verdict(struct sip_verdict *v, uint16_t scode, const char *reason)
{
    v->scode = scode;
    v->reason = reason;
    return scode;
}

int sip_request_check(const struct sip_msg *msg, struct sip_verdict *v)
{
    static const enum sip_hdrid once[] = {
        SIP_HDR_CALL_ID,      SIP_HDR_FROM,           SIP_HDR_TO,          SIP_HDR_CSEQ,
        SIP_HDR_MAX_FORWARDS, SIP_HDR_CONTENT_LENGTH, SIP_HDR_CONTENT_TYPE};
    uint64_t n;
    const char *end;

    memset(v, 0, sizeof(*v));
    if (!pl_isset(&msg->callid) || !pl_isset(&msg->from.auri) || !pl_isset(&msg->to.auri) ||
        !pl_isset(&msg->cseq.met) || !pl_isset(&msg->via.sentby))
        return verdict(v, 400, "Missing Call-ID, From, To, CSeq or Via");
    for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
        if (sip_msg_hdr_count(msg, once[i]) > 1)
            return verdict(v, 400, "Header Field Given More Than Once");
    }
    if (msg->clen.p) {
        const char *e = msg->clen.p + msg->clen.l;
        if (!number(msg->clen.p, e, &n, &end) || !only_lws(end, e) || n > mbuf_get_left(msg->mb))
            return verdict(v, 400, "Bad Content-Length");
    }
    const struct sip_hdr *cseq = sip_msg_hdr(msg, SIP_HDR_CSEQ);
    if (!cseq || !number(cseq->val.p, cseq->val.p + cseq->val.l, &n, &end) || n >= 1u << 31)
        return verdict(v, 400, "Bad CSeq");
    if (pl_cmp(&msg->cseq.met, &msg->met) != 0)
        return verdict(v, 400, "CSeq Method Does Not Match The Request");
    if (pl_isset(&msg->maxfwd)) {
        const char *e = msg->maxfwd.p + msg->maxfwd.l;
        if (!number(msg->maxfwd.p, e, &n, &end) || !only_lws(end, e) || n > 255)
            return verdict(v, 400, "Bad Max-Forwards");
    }
    if (!name_addr_ok(&msg->from.val) || !name_addr_ok(&msg->to.val))
        return verdict(v, 400, "Bad From or To");
    if (sip_msg_hdr_apply(msg, true, SIP_HDR_VIA, bad_via, NULL))
        return verdict(v, 400, "Bad Via");
    struct pl scheme = {msg->ruri.p, 0};
    while (scheme.l < msg->ruri.l && scheme.p[scheme.l] != ':')
        scheme.l++;
    if (pl_strcasecmp(&scheme, "sip") && pl_strcasecmp(&scheme, "sips"))
        return scheme_syntax(&scheme) ? verdict(v, 416, "Unsupported URI Scheme")
                                      : verdict(v, 400, "Bad Request-URI");
    if (pl_isset(&msg->uri.headers))
        return verdict(v, 400, "Headers In The Request-URI");
    if (pl_strcmp(&msg->met, "ACK") && pl_strcmp(&msg->met, "CANCEL")) {
        struct unsupported u = {v->unsupported, sizeof(v->unsupported), 0, false};
        sip_msg_hdr_apply(msg, true, SIP_HDR_REQUIRE, each_require, &u);
        if (u.bad)
            return verdict(v, 400, "Bad Require");
        if (u.len)
            return verdict(v, 420, "Bad Extension");
    }
    return 0;
}
