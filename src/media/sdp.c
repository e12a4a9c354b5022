/*
 * sdp.c - SDP offer/answer for a leg, on the main thread, with libre's sdp
 * module: one audio stream offering PCMU, PCMA and telephone-event.
 *
 * libre matches the peer's formats against ours (and takes the peer's
 * payload type for telephone-event); here we only pick the peer's first
 * G.711 format and read its address and direction.
 */
#include "media/media_internal.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

enum { TELEV_PT = 101 };

int msdp_alloc(struct sdp_session **sessp, struct sdp_media **smp, const struct sa *laddr,
               uint16_t port)
{
    struct sdp_session *sess = NULL;
    struct sdp_media *sm = NULL;
    int err;

    err = sdp_session_alloc(&sess, laddr);
    if (err)
        return err;
    err = sdp_media_add(&sm, sess, sdp_media_audio, port, sdp_proto_rtpavp);
    err |=
        sdp_format_add(NULL, sm, false, "0", "PCMU", MEDIA_SRATE, 1, NULL, NULL, NULL, false, NULL);
    err |=
        sdp_format_add(NULL, sm, false, "8", "PCMA", MEDIA_SRATE, 1, NULL, NULL, NULL, false, NULL);
    err |= sdp_format_add(NULL, sm, false, "101", telev_rtpfmt, MEDIA_SRATE, 1, NULL, NULL, NULL,
                          false, "0-15");
    err |= sdp_media_set_lattr(sm, true, sdp_attr_ptime, "%u", (unsigned)MEDIA_PTIME);
    if (err) {
        mem_deref(sess);
        return ENOMEM;
    }
    *sessp = sess;
    *smp = sm;
    return 0;
}

/* The first of the peer's formats that we support, in the peer's order. */
static void pick_formats(const struct sdp_media *sm, struct remote *r)
{
    struct le *le;

    r->pt = -1;
    r->telev_pt = -1;
    LIST_FOREACH(sdp_media_format_lst(sm, false), le)
    {
        const struct sdp_format *f = le->data;

        const char *name = f->name ? f->name : "";

        if (!f->sup)
            continue;
        /* static types need no rtpmap: no name, no rate */
        if (r->pt < 0 && (f->pt == 0 || f->pt == 8) &&
            (!*name || !strcasecmp(name, f->pt ? "PCMA" : "PCMU")))
            r->pt = f->pt;
        else if (r->telev_pt < 0 && f->srate == MEDIA_SRATE && !strcasecmp(name, telev_rtpfmt))
            r->telev_pt = f->pt;
    }
}

int msdp_decode(struct sdp_session *sess, struct sdp_media *sm, const char *sdp, size_t len,
                bool offer, struct remote *r)
{
    struct mbuf *mb;
    enum sdp_dir dir;
    int err;

    if (!sdp || len < 4 || strncmp(sdp, "v=", 2))
        return EINVAL;
    /* SDP is text: a NUL or another control byte would come back in our
     * answer (libre copies a rejected stream's m= line) */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)sdp[i];
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
            return EINVAL;
    }
    mb = mbuf_alloc(len);
    if (!mb)
        return ENOMEM;
    err = mbuf_write_mem(mb, (const uint8_t *)sdp, len);
    mb->pos = 0;
    if (!err)
        err = sdp_decode(sess, mb, offer);
    mem_deref(mb);
    if (err)
        return err == ENOMEM ? ENOMEM : EINVAL;

    memset(r, 0, sizeof(*r));
    if (!sdp_media_rport(sm) || sdp_media_disabled((struct sdp_media *)sm))
        return EPROTO;
    pick_formats(sm, r);
    if (r->pt < 0)
        return EPROTO;
    r->rtp = *sdp_media_raddr(sm);
    sdp_media_raddr_rtcp(sm, &r->rtcp);
    dir = sdp_media_dir(sm);
    r->send = (dir & SDP_SENDONLY) != 0;
    r->recv = (dir & SDP_RECVONLY) != 0;
    /* c=0.0.0.0 is the old way of putting a call on hold */
    if (!sa_isset(&r->rtp, SA_ADDR))
        r->send = false;
    return 0;
}

int msdp_encode(char **sdpp, struct sdp_session *sess, bool offer)
{
    struct mbuf *mb = NULL;
    char *s;
    int err;

    err = sdp_encode(&mb, sess, offer);
    if (err)
        return err;
    s = mem_alloc(mb->end + 1, NULL);
    if (!s) {
        mem_deref(mb);
        return ENOMEM;
    }
    memcpy(s, mb->buf, mb->end);
    s[mb->end] = '\0';
    mem_deref(mb);
    *sdpp = s;
    return 0;
}
