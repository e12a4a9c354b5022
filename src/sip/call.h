/*
 * call.h - one call into Switchboard, shared by the session side
 * (calls.c) and the applications that answer it (apps.c).
 */
#ifndef SB_SIP_CALL_H
#define SB_SIP_CALL_H

#include "core/ids.h"
#include "core/libre.h"

#include <stdbool.h>
#include <stdint.h>

struct sipsvc;
struct media_event;

enum call_app {
    APP_ECHO,   /* *43: you hear yourself */
    APP_DIGITS, /* *44: a prompt, digits until #, read back */
};

struct call {
    struct le le; /* in sipsvc.calls */
    struct sipsvc *s;
    struct sipsess *sess;
    char id[ID_SIZE];
    char user_id[ID_SIZE];
    uint32_t leg;
    enum call_app app;
    struct tmr limit;
    bool ended;
    /* APP_DIGITS */
    struct tmr digit_tmr;
    bool collecting;
    char digits[32];
    unsigned ndigits;
};

/* End the call once (media closed, record updated); the caller then drops
 * its reference (the session's BYE goes when the call is freed). */
void call_finish(struct call *c, const char *by, const char *reason);

/* ---- apps.c ---- */
/* The application a dialled number reaches; ENOENT if none. */
int app_for(const char *target, enum call_app *app);
const char *app_name(enum call_app app);
int app_start(struct call *c);
void app_media_event(struct call *c, const struct media_event *ev);
/* A digit that came by SIP INFO. */
void app_digit(struct call *c, char digit);
void app_stop(struct call *c);

#endif
