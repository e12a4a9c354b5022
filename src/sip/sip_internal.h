/*
 * sip_internal.h - what the SIP service's files share.
 */
#ifndef SB_SIP_INTERNAL_H
#define SB_SIP_INTERNAL_H

#include "core/ids.h"
#include "core/libre.h"

#include <jansson.h>

#include <stdbool.h>
#include <stdint.h>

struct app;
struct media;
struct media_event;
struct ratelimit;

struct sipsvc {
    struct app *app;
    struct dnsc *dnsc;
    struct sip *sip;
    struct sip_lsnr *lsnr;
    bool udp_sized;             /* the UDP socket's receive buffer is set (service.c) */
    struct ratelimit *failures; /* authentication failures per address */
    struct tmr expiry;          /* removes registrations that lapsed */
    uint8_t nonce_key[32];      /* signs the nonces we hand out */
    struct sipsess_sock *sess_sock;
    struct sipevent_sock *evsock; /* NOTIFYs of transfers (REFER) */
    struct media *media;          /* the media engine (src/media/) */
    struct list calls;            /* struct call */
    json_t *leg_calls;            /* closing leg id -> call id */
    struct tls *tls;              /* SIP over TLS, when on */
    struct sa tls_bound;
    json_t *recordings;     /* recording op id -> call id */
    struct tmr sweep;       /* checks the calls' deadlines every second */
    struct tmr records_tmr; /* commits the call records waiting (calls_store.c) */
    uint64_t sweeps;
    json_t *trunk_load;            /* trunk name -> calls going on through it */
    struct hash *by_leg;           /* struct call by its caller's leg */
    struct events_sub *router_sub; /* offers for queued calls */
    struct list declines;          /* offers to decline on the next loop turn */
    struct list speaking;          /* prompts being rendered (apps.c) */
    uint32_t record_ops;
    struct vmsvc *vm;      /* voicemail recordings and MWI subscriptions (voicemail.c, mwi.c) */
    struct speech *speech; /* recognisers of spoken menu words and names (voice/speech.h) */
    struct list callbacks; /* struct callback: not finished (callback.c) */
    char host[64];         /* our SIP address, for calls we place on our own */
    json_t *voice_cache;   /* trunks and numbers read by calls (trunks.c) */
};

/* ---- tlscert.c ---- */
/* The self-signed certificate kept in DIR/tls/sip.pem (made the first
 * time, for host); *path names it. */
int sip_tls_selfsigned(const char *dir, const char *host, char *path, size_t size);

/* ---- digest.c: nonces and responses (RFC 2617 / RFC 8760, MD5) ---- */
enum { NONCE_SIZE = 64, NONCE_TTL_S = 300 };
void digest_nonce(const struct sipsvc *s, int64_t now_s, char out[NONCE_SIZE]);
/* 0 valid; ETIMEDOUT too old (stale); EINVAL not ours. */
int digest_nonce_check(const struct sipsvc *s, const struct pl *nonce, int64_t now_s);
/* Is the response right for HA1 (hex), the method and the header's
 * fields? */
bool digest_response_ok(const struct httpauth_digest_resp *resp, const struct pl *method,
                        const char *ha1_hex);

/* ---- auth.c ---- */
/* 0 and *user_id when the request carries a user's valid credentials;
 * when trunk is given, a trunk's inbound credentials are accepted too:
 * 0, user_id "" and *trunk (its spec, new reference). Otherwise the
 * answer (401/407 challenge, 403, 400) has been sent. */
int sipauth_check(struct sipsvc *s, const struct sip_msg *msg, bool proxy, char user_id[ID_SIZE],
                  json_t **trunk);
/* Count a failure against the sender (and answer 403 unless quiet). */
void sipauth_failed(struct sipsvc *s, const struct sip_msg *msg, const char *why, bool quiet);

/* ---- check.c: what every request must pass first ---- */
struct sip_verdict {
    uint16_t scode;        /* 0: the request may go on */
    const char *reason;    /* the reason phrase of the answer */
    char unsupported[128]; /* 420: the option tags we do not support */
};
/* 0, or the status the request is to be answered with (400, 416, 420).
 * Pure: no sockets, no state. */
int sip_request_check(const struct sip_msg *msg, struct sip_verdict *v);

/* ---- recording.c ---- */
/* MEDIA_EV_RECORD_DONE: the recording's row says how it went. */
void recording_done(struct sipsvc *s, const struct media_event *ev);

/* ---- recordings.c: the recordings kept ---- */
enum { REC_ID_SIZE = 48 };
/* What a recording is of, as it starts. */
struct recording_meta {
    const char *id, *call_id;
    int64_t started_at;
    unsigned channels;        /* 1 or 2, as expected when it starts */
    const char *left, *right; /* who each channel is: "caller" or "agent" (right: stereo) */
    const char *queue;        /* the call queue, or NULL */
    const char *agent_id;     /* the agent's user id, or NULL */
    const char *caller;       /* the other side: a number or an address */
    const char *started_by;   /* "queue", "api" or "phone" */
    const char *by_user;      /* who, for api and phone */
};
/* The id of a call's next recording: the call's own, then CALL-2, ... */
int recordings_next_id(struct app *app, const char *call_id, char id[REC_ID_SIZE]);
/* A recording as the API shows it (new reference), or NULL. */
json_t *recordings_item(struct app *app, const char *id);
/* Its row (state "recording"), the call record's "recording", and the
 * callRecordingStarted event, in one transaction; *item if asked for. */
int recordings_insert(struct app *app, const struct recording_meta *m, json_t **item);
/* The file is complete (ok) or failed: its row, the call record, and
 * callRecorded. channels 0: as expected. */
int recordings_finish(struct app *app, const char *id, const char *call_id, bool ok,
                      unsigned duration_ms, const char *reason, unsigned channels);
/* The call record's "recording": its latest recording (or deleted). */
int recordings_refresh_call(struct app *app, const char *call_id);
/* Delete recordings older than sip.recordingRetentionDays (0: keep). */
void recording_retention(struct sipsvc *s);

/* ---- trunks.c ---- */
/* The trunks and numbers kept for calls are read again (the configuration
 * changed). */
void trunks_forget(struct sipsvc *s);

/* ---- calls_store.c ---- */
/* MEDIA_EV_CLOSED: the leg's figures added to its call's record. */
void record_leg(struct sipsvc *s, const struct media_event *ev);
/* Commit the call records waiting (the service stops). */
void records_flush(struct sipsvc *s);

/* ---- calls.c ---- */
int calls_start(struct sipsvc *s);
void calls_stop(struct sipsvc *s);
void calls_media_event(struct sipsvc *s, const struct media_event *ev);

/* ---- registrar.c ---- */
enum { REG_URI_SIZE = 256 };
enum reg_contact { REG_CONTACT_OK, REG_CONTACT_STAR, REG_CONTACT_BAD };
/* A delta-seconds value (digits only, RFC 3261 section 25.1); more than
 * 2^32-1 counts as 2^32-1. */
bool registrar_delta_seconds(const struct pl *v, uint32_t *out);
/* What one Contact value asks for: "*", or a URI (*expires from its
 * expires parameter, else default_expires). Pure. */
enum reg_contact registrar_contact(const struct pl *val, uint32_t default_expires,
                                   char uri[REG_URI_SIZE], uint32_t *expires);
void registrar_request(struct sipsvc *s, const struct sip_msg *msg);
/* Remove registrations whose time is up; returns the ms to the next. */
int64_t registrar_expire(struct sipsvc *s, int64_t now_ms);

#endif
