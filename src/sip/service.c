/*
 * service.c - the SIP stack in the server: libre's stack sized for load
 * (transaction and connection tables of 16384 buckets: a UDP call leaves
 * two server transactions behind for 32 s, 38,000 at 600 calls/s, and at
 * 1024 buckets every lookup compared dozens of branches; a UDP receive
 * buffer of 4 MiB), UDP and TCP on one port, one listener that sends each
 * request to its handler, banned addresses dropped first.
 */
#include "sip/sip.h"
#include "auth/ratelimit.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/log.h"
#include "core/settings.h"
#include "media/media.h"
#include "sip/call.h"
#include "sip/sip_internal.h"
#include "voice/speech.h"
#include "sip/trunks.h"
#include "voice/voicemail.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

enum {
    TABLE_SIZE = 16384,
    UDP_BUFFER = 4 << 20,
};

static struct sipsvc *svc_of(struct app *app)
{
    return app->sip;
}

static bool banned(struct sipsvc *s, const struct sip_msg *msg)
{
    char addr[64];
    re_snprintf(addr, sizeof(addr), "%j", &msg->src);
    return ratelimit_blocked(s->failures, addr, clock_mono_ms()) > 0;
}

/* The UDP socket (libre's, known from the first request over it) gets a
 * receive buffer of UDP_BUFFER: the default 208 KiB holds about 150 SIP
 * packets, a few tens of milliseconds at a thousand calls/s, so a short
 * stall of the loop (another process on the core) dropped requests. Past
 * net.core.rmem_max only with CAP_NET_ADMIN (SO_RCVBUFFORCE). */
static void size_udp_buffer(struct sipsvc *s, const struct sip_msg *msg)
{
    if (s->udp_sized || msg->tp != SIP_TRANSP_UDP || !msg->sock)
        return;
    s->udp_sized = true;
    int size = UDP_BUFFER;
    if (udp_setsockopt(msg->sock, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
        (void)udp_setsockopt(msg->sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

static bool on_request(const struct sip_msg *msg, void *arg)
{
    struct sipsvc *s = arg;
    size_udp_buffer(s, msg);
    if (banned(s, msg))
        return true; /* no answer: a scanner learns nothing */
    struct sip_verdict v;
    if (sip_request_check(msg, &v) == 420) {
        sip_replyf(s->sip, msg, v.scode, v.reason, "Unsupported: %s\r\nContent-Length: 0\r\n\r\n",
                   v.unsupported);
        return true;
    }
    if (v.scode) {
        sip_reply(s->sip, msg, v.scode, v.reason); /* none for an ACK */
        return true;
    }
    if (!pl_strcmp(&msg->met, "REGISTER")) {
        registrar_request(s, msg);
    } else if (!pl_strcmp(&msg->met, "OPTIONS")) {
        sip_replyf(s->sip, msg, 200, "OK",
                   "%sAccept: application/sdp\r\nSupported: path\r\nContent-Length: 0\r\n\r\n",
                   sip_allow);
    } else {
        return false; /* calls and their in-dialog requests: the session layer */
    }
    return true;
}

static void on_media_event(const struct media_event *ev, void *arg)
{
    calls_media_event(arg, ev);
}

static void on_expiry(void *arg)
{
    struct sipsvc *s = arg;
    int64_t wait = registrar_expire(s, clock_now_ms());
    tmr_start(&s->expiry, (uint64_t)(wait < 50 ? 50 : wait), on_expiry, s);
}

/* SIP events: leads see every one; a person sees their own. */
static bool sip_event_visible(const struct principal *who, const struct event *e)
{
    if (who->role & ROLES_LEADS)
        return true;
    const char *user = json_string_value(json_object_get(e->data, "userId"));
    return who->kind == PRINCIPAL_USER && user && strcmp(user, who->id) == 0;
}

int sipsvc_register(void)
{
    return trunks_register() | queues_register() | attendants_register() | voicemail_register() |
           events_topic_register("sip", ROLES_STAFF, sip_event_visible) |
           events_topic_register("calls", ROLES_STAFF, sip_event_visible);
}

static int listen_on(struct sipsvc *s, const char *listen, struct sa *bound)
{
    struct sa laddr;
    int err = sa_decode(&laddr, listen, strlen(listen));
    if (err)
        return err;
    /* Port 0: TCP takes the port UDP was given; when something else holds
     * that TCP port, try another. */
    for (int attempt = 0; attempt < 20; attempt++) {
        err = sip_transp_add(s->sip, SIP_TRANSP_UDP, &laddr);
        if (!err)
            err = sip_transp_laddr(s->sip, bound, SIP_TRANSP_UDP, NULL);
        if (!err)
            err = sip_transp_add(s->sip, SIP_TRANSP_TCP, bound);
        if (!err || sa_port(&laddr) != 0 || err != EADDRINUSE)
            return err;
        sip_transp_flush(s->sip);
    }
    return err;
}

/* SIP over TLS: on sip.tlsListen, else the UDP/TCP host with the next
 * port (5061 beside 5060; a free port when that one is 0), with
 * sip.tlsCertificate or our own self-signed certificate. */
static int listen_tls(struct sipsvc *s, const char *listen)
{
    if (!settings_bool(s->app, "sip.tls"))
        return 0;
    const char *tls_listen = settings_str(s->app, "sip.tlsListen");
    struct sa laddr;
    int err = sa_decode(&laddr, tls_listen ? tls_listen : listen,
                        strlen(tls_listen ? tls_listen : listen));
    if (err)
        return err;
    if (!tls_listen && sa_port(&laddr))
        sa_set_port(&laddr, sa_port(&laddr) + 1);
    const char *cert = settings_str(s->app, "sip.tlsCertificate");
    char made[1024], host[64];
    re_snprintf(host, sizeof(host), "%j", &laddr);
    if (!cert) {
        err = sip_tls_selfsigned(s->app->data_dir, host, made, sizeof(made));
        if (err) {
            log_error("sip", "cannot make a TLS certificate", "dir=%s/tls error=\"%s\"",
                      s->app->data_dir, strerror(err));
            return err;
        }
        cert = made;
    }
    err = tls_alloc(&s->tls, TLS_METHOD_SSLV23, cert, NULL);
    if (err) {
        log_error("sip", "cannot load the TLS certificate", "file=%s error=\"%s\" hint=\"%s\"",
                  cert, strerror(err),
                  "sip.tlsCertificate must name a readable PEM file holding the certificate"
                  " chain and its private key");
        return err;
    }
    err = sip_transp_add(s->sip, SIP_TRANSP_TLS, &laddr, s->tls);
    if (!err)
        err = sip_transp_laddr(s->sip, &s->tls_bound, SIP_TRANSP_TLS, NULL);
    if (err) {
        char where[64];
        re_snprintf(where, sizeof(where), "%J", &laddr);
        log_error("sip", "cannot listen", "addr=%s transport=tls error=\"%s\"", where,
                  strerror(err));
        return err;
    }
    char where[64];
    re_snprintf(where, sizeof(where), "%J", &s->tls_bound);
    log_info("sip", "listening", "addr=%s transports=tls certificate=%s", where, cert);
    return 0;
}

int sipsvc_tls_bound(const struct app *app, struct sa *bound)
{
    const struct sipsvc *s = app->sip;
    if (!s || !s->tls)
        return ENOENT;
    *bound = s->tls_bound;
    return 0;
}

int sipsvc_start(struct app *app, const char *listen, struct sa *bound)
{
    struct sipsvc *s = mem_zalloc(sizeof(*s), NULL);
    if (!s)
        return ENOMEM;
    s->app = app;
    app->sip = s;
    tmr_init(&s->expiry);
    randombytes_buf(s->nonce_key, sizeof(s->nonce_key));
    struct sa srv[4];
    uint32_t n = 4;
    char domain[64];
    if (dns_srv_get(domain, sizeof(domain), srv, &n) != 0)
        n = 0;
    int err = dnsc_alloc(&s->dnsc, NULL, srv, n);
    if (!err)
        err = sip_alloc(&s->sip, s->dnsc, TABLE_SIZE, TABLE_SIZE, TABLE_SIZE,
                        "Switchboard/" SB_VERSION, NULL, NULL);
    if (!err)
        err = listen_on(s, listen, bound);
    /* Our listener first: banned addresses never reach the session layer. */
    if (!err)
        err = sip_listen(&s->lsnr, s->sip, true, on_request, s);
    if (!err) {
        struct media_opts mo = {.threads = (unsigned)settings_int(app, "media.threads"),
                                .port_min = (uint16_t)settings_int(app, "media.portMin"),
                                .port_max = (uint16_t)settings_int(app, "media.portMax"),
                                .rtp_timeout_ms = 0};
        char ip[64];
        re_snprintf(ip, sizeof(ip), "%j", bound);
        mo.ip = ip;
        snprintf(s->host, sizeof(s->host), "%s", ip);
        err = media_alloc(&s->media, &mo, on_media_event, s);
    }
    if (!err)
        err = speech_alloc(&s->speech, app->pool, 0);
    if (!err)
        err = calls_start(s);
    if (!err)
        err = ratelimit_alloc(&s->failures, (unsigned)settings_int(app, "sip.maxAuthFailures"),
                              settings_int(app, "sip.authWindowSeconds") * 1000,
                              settings_int(app, "sip.banSeconds") * 1000);
    if (err) {
        log_error("sip", "cannot listen", "addr=%s error=\"%s\"", listen, strerror(err));
        sipsvc_stop(app);
        return err;
    }
    char where[64];
    re_snprintf(where, sizeof(where), "%J", bound);
    log_info("sip", "listening", "addr=%s transports=udp,tcp", where);
    err = listen_tls(s, listen);
    if (err) {
        sipsvc_stop(app);
        return err;
    }
    tmr_start(&s->expiry, 0, on_expiry, s);
    return 0;
}

void sipsvc_stop(struct app *app)
{
    struct sipsvc *s = svc_of(app);
    if (!s)
        return;
    tmr_cancel(&s->expiry);
    calls_stop(s);
    speech_free(s->speech);
    s->speech = NULL;
    media_free(s->media);
    s->media = NULL;
    s->lsnr = mem_deref(s->lsnr);
    if (s->sip)
        sip_close(s->sip, true);
    s->sip = mem_deref(s->sip);
    s->dnsc = mem_deref(s->dnsc);
    s->tls = mem_deref(s->tls);
    ratelimit_free(s->failures);
    mem_deref(s);
    app->sip = NULL;
}
