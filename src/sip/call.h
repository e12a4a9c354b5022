/*
 * call.h - one call into Switchboard, shared by the session side
 * (calls.c) and the applications that answer it (apps.c).
 */
#ifndef SB_SIP_CALL_H
#define SB_SIP_CALL_H

#include "core/ids.h"
#include "core/libre.h"

#include <jansson.h>

#include <stdbool.h>
#include <stdint.h>

struct sipsvc;
struct media_event;

enum call_app {
    APP_ECHO,      /* *43: you hear yourself */
    APP_DIGITS,    /* *44: a prompt, digits until #, read back */
    APP_EXTENSION, /* a person: every registered phone rings, the first answer wins */
    APP_ANNOUNCE,  /* a number's announcement: a prompt, optionally digits, hang up */
    APP_OUTBOUND,  /* an external number, through a trunk */
};

struct call {
    struct le le; /* in sipsvc.calls */
    struct sipsvc *s;
    struct sipsess *sess;
    char id[ID_SIZE];
    char user_id[ID_SIZE];
    uint32_t leg;
    enum call_app app;
    const char *direction; /* "internal", "inbound" (from a trunk), "outbound" */
    json_t *trunk;         /* the trunk spec of an inbound or outbound call */
    json_t *target;        /* APP_ANNOUNCE: the number's target spec */
    struct tmr limit;
    bool ended;
    /* APP_DIGITS */
    struct tmr digit_tmr;
    bool collecting;
    char digits[32];
    unsigned ndigits;
    unsigned want;    /* APP_ANNOUNCE: digits to collect (0: none) */
    bool prompt_done; /* APP_ANNOUNCE: the prompt has been played */
    /* APP_EXTENSION (ring.c) */
    char callee_id[ID_SIZE];
    uint32_t leg_b;        /* our leg towards the callee */
    struct list forks;     /* struct fork: contacts still ringing */
    void *winner;          /* the answered contact (struct fork in ring.c) */
    struct mbuf *a_answer; /* our SDP answer to the caller, sent with the 200 */
    struct tmr ring_tmr;
    bool answered;
};

/* End the call once (media closed, record updated); the caller then drops
 * its reference (the session's BYE goes when the call is freed). */
void call_finish(struct call *c, const char *by, const char *reason);

/* Answer a re-INVITE's offer on one of the call's legs (hold with
 * sendonly/inactive, resume, a new address): *descp is our answer. */
int call_reoffer(struct call *c, uint32_t leg, const struct sip_msg *msg, struct mbuf **descp);

/* Stop the call's media leg (its figures are kept with the call). */
void call_close_leg(struct call *c, uint32_t leg);

/* ---- ring.c ---- */
/* The enabled user with this extension and a registered phone: 0 and
 * *user_id; ENOENT no such extension; EAGAIN nobody registered. */
int ring_target(struct sipsvc *s, const char *extension, char user_id[ID_SIZE]);
/* The registered contacts of a user (a JSON array of URIs). */
int ring_contacts(struct sipsvc *s, const char *user_id, json_t **contacts);
/* Ring every contact (SIP URIs) with an offer from a new leg beside
 * c->leg, as `from`; the caller's session has had 180. Calls through a
 * trunk answer the carrier's challenges with its outbound credentials. */
int ring_start(struct call *c, const char *from, const json_t *contacts);
void ring_stop(struct call *c);

/* ---- apps.c ---- */
/* The application a feature code reaches; ENOENT if none. */
int app_for(const char *target, enum call_app *app);
/* The application of a number's target spec (extension: *callee). 0;
 * ENOENT: no such extension; EAGAIN: nobody registered for it. */
int app_for_target(struct sipsvc *s, const json_t *target, enum call_app *app,
                   char callee[ID_SIZE]);
const char *app_name(enum call_app app);
int app_start(struct call *c);
void app_media_event(struct call *c, const struct media_event *ev);
/* A digit that came by SIP INFO. */
void app_digit(struct call *c, char digit);
void app_stop(struct call *c);

#endif
