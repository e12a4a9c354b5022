/*
 * vm_internal.h - what voicemail.c (leaving a message, recordings),
 * vm_menu.c (*98) and mwi.c (message-waiting NOTIFYs) share.
 */
#ifndef SB_SIP_VM_INTERNAL_H
#define SB_SIP_VM_INTERNAL_H

#include "core/libre.h"
#include "voice/voicemail.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct call;
struct events_sub;
struct sipsvc;

enum {
    /* media op ids (apps.c uses 1-3, queues.c 20-22) */
    VM_OP_GREETING = 40,
    VM_OP_BEEP = 41,
    VM_OP_SILENCE = 42,
    VM_OP_BYE = 43,
    VM_OP_MENU = 50, /* vm_menu.c: 50-59 */
};

/* The service's voicemail state (sipsvc.vm). */
struct vmsvc {
    struct list recs;         /* struct vm_rec: recordings not yet committed */
    struct list subs;         /* mwi.c: message-summary subscriptions */
    struct events_sub *evsub; /* mwi.c: voicemail events, for NOTIFYs */
};

/* A call's voicemail state (call.vm). */
struct vm_call {
    struct call *c; /* the call that owns this */
    struct vm_box box;
    int step;        /* where the application is */
    struct tmr tmr;  /* the message's maximum length; waiting for digits */
    char digits[16]; /* digits collected, until # */
    unsigned ndigits;
    bool collecting;
    unsigned attempts; /* wrong PINs, unknown boxes */
    uint32_t rec_op;   /* the recording under way (0: none) */
    json_t *messages;  /* vm_menu.c: the box's messages */
    size_t index;      /* vm_menu.c: the one at hand */
};

/* ---- voicemail.c ---- */
struct vmsvc *vmsvc_of(struct sipsvc *s);
/* c's voicemail state, made on first use (NULL: out of memory). */
struct vm_call *vm_call_of(struct call *c);
/* Speak text (op as app_speak), or play a file. */
int vm_say(struct call *c, const char *text, uint32_t op);
/* Say goodbye, then hang up. */
void vm_goodbye(struct call *c, const char *text);
/* Beep, then record the caller (greeting: the box's greeting, else a
 * message) until '#', silence, the maximum or the hang-up. */
int vm_beep_record(struct call *c);
void vm_record_stop(struct call *c);
/* The call with this id, if it has not ended. */
struct call *vm_call_find(struct sipsvc *s, const char *id);

/* ---- vm_menu.c ---- */
void vm_menu_event(struct call *c, const struct media_event *ev);
void vm_menu_digit(struct call *c, char digit);
/* The greeting recorded with 9 is kept (err 0), or not. */
void vm_menu_recorded(struct call *c, int err);

/* ---- mwi.c ---- */
int mwi_start(struct sipsvc *s);
void mwi_stop(struct sipsvc *s);

#endif
