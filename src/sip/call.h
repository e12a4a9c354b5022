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

struct app;
struct sipsvc;
struct media_event;
struct vm_call;
struct survey;
struct schema;
struct schema_result;
struct cb_offer;
struct callback;

enum call_app {
    APP_ECHO,       /* *43: you hear yourself */
    APP_DIGITS,     /* *44: a prompt, digits until #, read back */
    APP_EXTENSION,  /* a person: every registered phone rings, the first answer wins */
    APP_ANNOUNCE,   /* a number's announcement: a prompt, optionally digits, hang up */
    APP_OUTBOUND,   /* an external number, through a trunk */
    APP_QUEUE,      /* a call queue: music on hold until an agent answers (queues.c) */
    APP_ATTENDANT,  /* an auto attendant's menus (attendant.c) */
    APP_DISCONNECT, /* a target that hangs up */
    APP_PARK,       /* *7: park (as a transfer target) */
    APP_PARKED,     /* waiting in a park orbit (park.c) */
    APP_UNPARK,     /* dialling an orbit: takes the parked call over */
    APP_VOICEMAIL,  /* leave a message in a voicemail box (voicemail.c) */
    APP_VM_MENU,    /* *98: listen to one's voicemail (vm_menu.c) */
    APP_SURVEY,     /* a queue's caller rating the call after the agent left (survey.c) */
    APP_CALLBACK,   /* a call queue's callback: the agent, then the number (callback.c) */
};

/* The op ids of media commands (MEDIA_EV_PLAY_DONE says which finished):
 * apps.c 1-9, queues.c 20-29, attendant.c 30-39, park.c, survey.c and
 * voicemail 40-59 (each only on its own calls' legs), recording.c 60-69,
 * callback_offer.c 70-79. */

/* One far end of a call: a SIP session (the caller's, accepted, or one
 * we placed) and who it is. The same session handlers serve both kinds
 * (party.c); a call holds its parties. */
struct party {
    struct le le; /* in call.forks while it rings */
    struct call *c;
    struct sipsess *sess;
    char contact[256];     /* the URI we rang (parties we called) */
    char aor[256];         /* who it is, as a From for calls made for it */
    uint32_t relink_leg;   /* a new leg offered by re-INVITE (party_relink) */
    uint32_t leg_to_close; /* closed when the party goes (a parker hearing the orbit) */
    char user_id[ID_SIZE]; /* the person, when known */
    struct sipnot * not ;  /* NOTIFYs about a transfer it asked for (REFER) */
    struct tmr release;    /* hangs up a party transferred away */
    bool leaving;          /* transferred away: its hang-up ends nothing */
    uint64_t star_at;      /* when it pressed * (a feature code may follow; recording.c) */
};

struct call {
    struct le le;     /* in sipsvc.calls */
    struct le leg_le; /* in sipsvc.by_leg, by c->leg */
    struct sipsvc *s;
    struct party *a; /* the caller's side: the session the call began with */
    struct party *b; /* the far end talking with a (once answered) */
    char id[ID_SIZE];
    char user_id[ID_SIZE];
    uint32_t leg;   /* a's media leg */
    uint32_t leg_b; /* b's, or the one offered to the parties ringing */
    enum call_app app;
    const char *direction; /* "internal", "inbound" (from a trunk), "outbound" */
    json_t *trunk;         /* the trunk spec of an inbound or outbound call */
    json_t *target;        /* APP_ANNOUNCE: the number's target spec */
    char host[128];        /* our host as the caller addressed us */
    uint64_t limit_at;     /* when sip.maxCallSeconds ends it (tmr_jiffies) */
    struct tmr end_tmr;
    bool ended;
    /* APP_DIGITS, APP_ANNOUNCE */
    struct tmr digit_tmr;
    bool collecting;
    char digits[32];
    unsigned ndigits;
    unsigned want;       /* APP_ANNOUNCE: digits to collect (0: none) */
    bool prompt_done;    /* APP_ANNOUNCE: the prompt has been played */
    unsigned prompt_gen; /* app_barge() counts: older prompts are not played */
    /* APP_EXTENSION, APP_OUTBOUND (ring.c) */
    char callee_id[ID_SIZE];
    struct list forks;     /* struct party: far ends still ringing */
    struct party *early;   /* the ringing party whose early media a hears */
    struct list leaving;   /* struct party: transferred away, hanging up */
    struct mbuf *a_answer; /* our SDP answer to the caller, sent with the 200 */
    uint64_t ring_until;   /* when ringing gives up (0: not ringing) */
    /* APP_QUEUE (queues.c) */
    json_t *queue;          /* the call queue's spec */
    char job_id[ID_SIZE];   /* its router job */
    char offer_id[ID_SIZE]; /* the offer whose agent is ringing */
    char offer_worker[64];
    int64_t queued_at;         /* when its stay began (ms), or its first stay in this queue */
    json_t *queue_places;      /* router queue id -> when the call first joined it (ms) */
    struct tmr queue_tmr;      /* the next position announcement */
    json_t *queue_pending;     /* a redirect waiting for its announcement to end */
    const char *queue_leave;   /* why it left the queue: "overflow", "timeout", "noAgents" */
    uint64_t queue_timeout_at; /* the timeout redirect (tmr_jiffies), 0: none */
    uint64_t queue_check_at;   /* the next check for agents */
    struct cb_offer *cbo;      /* the callback offered, asked for (callback_offer.c) */
    /* APP_CALLBACK (callback.c) */
    struct callback *cb; /* the callback this call is an attempt of (a reference) */
    char from_name[16];  /* the display name of the calls we place for it ("Callback") */
    bool unrecorded;     /* no call record (yet): an attempt ringing its agent */
    /* APP_PARKED, APP_UNPARK (park.c) */
    unsigned orbit;
    char parked_by[ID_SIZE];
    uint64_t park_until; /* rings the parker back (tmr_jiffies), 0: not */
    /* APP_ATTENDANT (attendant.c) */
    struct attendant_state *att;
    bool answered; /* a has had our 200 */
    bool on_hold;  /* a party's last re-INVITE put the call on hold */
    /* APP_VOICEMAIL, APP_VM_MENU (voicemail.c, vm_menu.c) */
    char vm_box[72];    /* the box to leave a message in, when not c->target's */
    struct vm_call *vm; /* their state, freed with the call */
    /* APP_SURVEY (survey.c) */
    struct survey *survey; /* freed with the call */
    /* recording (recording.c) */
    char rec_id[48];        /* the recording going on, "" none */
    uint32_t rec_leg;       /* the leg it records */
    uint32_t aside_leg;     /* a leg hearing something aside; the bridge is made again after */
    bool aside_record;      /* ... and then recording starts */
    char aside_by[ID_SIZE]; /* who asked for it (*1) */
};

/* The Allow header of every answer and request we send. */
extern const char sip_allow[];

/* ---- party.c ---- */
/* A party of call c; its session is set by the caller. */
struct party *party_alloc(struct call *c);
/* The session handlers, for sipsess_accept/connect with the party as arg. */
sipsess_offer_h party_offer;
sipsess_answer_h party_answer;
sipsess_progr_h party_progress;
sipsess_estab_h party_estab;
sipsess_info_h party_info;
sipsess_refer_h party_refer;
sipsess_close_h party_close;
/* p stops being part of the call (its leg is closed by the caller); its
 * session is hung up soon, outside any handler of it. */
void party_leave(struct party *p);
/* Hang up a party that left (its release timer's handler). */
void party_release(void *arg);
/* The user part of who a party is: "+15550199" of "sip:+15550199@host"
 * ("" for none). */
void party_user(const struct party *p, char *out, size_t size);
/* Bridge b's leg (c->leg_b) with c->leg; when they are on different media
 * threads, offer b a new leg beside c->leg by re-INVITE first. */
int party_relink(struct party *b, uint32_t near);

/* A new call of s (id, timers, lists; in s->calls), with no parties. */
struct call *call_alloc(struct sipsvc *s);
/* Its row in the calls table and its callRinging/callAnswered event
 * (calls_store.c): group-committed, or at once inside a transaction (then
 * its error is returned). */
int call_record_insert(struct call *c, const char *from, const char *to, const char *sip_call_id,
                       const char *target, bool ringing);
/* End the call once (media closed, record updated); the caller then drops
 * its reference (the session's BYE goes when the call is freed). */
void call_finish(struct call *c, const char *by, const char *reason);
/* Let a call that never became one go (no record, no event): its legs
 * close and it is freed from the main loop. */
void call_discard(struct call *c);
/* Is the trunk carrying its maxCalls already? */
bool call_trunk_full(struct sipsvc *s, const json_t *trunk);
/* Calls' deadlines (maximum duration, ringing) are checked by one timer a
 * second, not a timer each: libre inserts a timer by walking the thread's
 * sorted timer list, which long timers by the thousand make slow. */
void calls_sweep(struct sipsvc *s);

/* call_finish, then the reference is dropped from the main loop: for use
 * inside a handler of one of the call's own sessions. */
void call_end_soon(struct call *c, const char *by, const char *reason);

/* Answer a re-INVITE's offer on one of the call's legs (hold with
 * sendonly/inactive, resume, a new address): *descp is our answer. */
int call_reoffer(struct call *c, uint32_t leg, const struct sip_msg *msg, struct mbuf **descp);

/* The caller's side's media leg from now on (the one the applications
 * play to and hear digits from). */
void call_set_leg(struct call *c, uint32_t leg);
/* The trunk the call uses from now on (stolen; NULL: none), counted
 * against the trunk's maxCalls. */
void call_set_trunk(struct call *c, json_t *trunk);
/* Ring c->callee_id's phones, or c's number through c->trunk, as from
 * (the caller's address) towards target (what was dialled). */
int call_ring(struct call *c, const char *from, const char *target);

/* ---- calls_store.c: the calls table and "calls" events, group-committed ---- */
/* call_record_insert() from the INVITE that starts the call. */
int record_start(struct call *c, const struct sip_msg *msg, const char *target, bool ring);
/* callDigits with c->digits. */
void record_digits(struct call *c, const char *reason);
/* The row ended, and callEnded (none for a call not recorded). */
void record_end(struct call *c, const char *by, const char *reason);

/* ---- route.c: where a call goes ---- */
struct route {
    char target[64]; /* what was dialled, normalised */
    char user_id[ID_SIZE];
    char callee[ID_SIZE];
    enum call_app app;
    const char *direction;
    json_t *trunk; /* inbound from it, or outbound through it */
    json_t *target_spec;
    unsigned orbit;     /* APP_UNPARK */
    uint16_t scode;     /* refused: the answer to give */
    const char *reason; /* and its reason phrase */
};
void route_clear(struct route *r);
/* Refuse with scode and reason; returns EPERM. */
int route_refuse(struct route *r, uint16_t scode, const char *reason);
/* r->target from what was dialled (normalised when it is a number). */
int route_set_target(struct route *r, const char *dialled);
/* A person (r->user_id) dialling r->target: a feature code, an
 * extension, one of our numbers, or an external number through a trunk
 * that allows it for their role. 0, or refused with r->scode. */
int route_person(struct sipsvc *s, struct route *r);
/* An INVITE: a trunk delivering one of our numbers, or an authenticated
 * person. 0; EACCES when the challenge or refusal has been answered;
 * another error with r->scode to answer. */
int route_invite(struct sipsvc *s, const struct sip_msg *msg, struct route *r);

/* Stop the call's media leg (its figures are kept with the call). */
void call_close_leg(struct call *c, uint32_t leg);

/* ---- ring.c ---- */
/* The enabled user with this extension and a registered phone: 0 and
 * *user_id; ENOENT no such extension; EAGAIN nobody registered. */
int ring_target(struct sipsvc *s, const char *extension, char user_id[ID_SIZE]);
/* The same for a user by login name (by_name) or by extension. */
int ring_user(struct sipsvc *s, bool by_name, const char *who, char user_id[ID_SIZE]);
/* The registered contacts of a user (a JSON array of URIs). */
int ring_contacts(struct sipsvc *s, const char *user_id, json_t **contacts);
/* Ring every contact (SIP URIs) with an offer from a new leg beside
 * c->leg, as `from`; the caller's session has had 180 (or, when a
 * transfer rings someone new, is answered already). Calls through a
 * trunk answer the carrier's challenges with its outbound credentials. */
int ring_start(struct call *c, const char *from, const json_t *contacts, const char *target);
void ring_stop(struct call *c);
/* p answered: it alone is kept (out of c->forks), the others cancelled. */
void ring_won(struct call *c, struct party *p);
/* Ringing for too long: the caller hears 480 (or, after a transfer, is
 * hung up). */
void ring_timeout(struct call *c);
/* Handlers of a ringing party (from party.c). */
int ring_answered(struct party *p, const struct sip_msg *msg);
void ring_progress(struct party *p, const struct sip_msg *msg);
/* A ringing party refused or failed (msg: its final answer, if any). */
void ring_failed(struct party *p, int err, const struct sip_msg *msg);

/* ---- queues.c: call queues (config kind "callQueues") ---- */
int queues_register(void);
bool queue_exists(struct sipsvc *s, const char *id);
/* The caller is answered: greeting, music on hold, a router job. */
int queue_start(struct call *c);
void queue_media_event(struct call *c, const struct media_event *ev);
/* The router's events: offers ring the agent's phones. */
void queue_router_event(struct sipsvc *s, const char *type, const json_t *data);
/* The ringing agent answered: the offer is accepted (0), or it could
 * not be (the agent is not connected). */
int queue_agent_answered(struct call *c);
/* Every phone of the ringing agent refused or failed: the offer is
 * declined and the caller keeps waiting. */
void queue_agent_missed(struct call *c);
/* The call ends: its job is cancelled (abandoned) or closed. */
void queue_call_ended(struct call *c);
/* The agent is bridged with the caller: recording starts if the queue
 * records every call. */
void queue_connected(struct call *c);
/* May this call be recorded (a queue may say never)? */
bool queue_recording_allowed(const struct call *c);
/* Once a second (calls_sweep): the timeout and no-agents redirects. */
void queue_tick(struct call *c, uint64_t now);
/* The music on hold again (after something else was played). */
void queue_music(struct call *c);
/* At start: the router jobs of queued calls that a restart ended (not
 * callbacks') are cancelled or closed ("serverRestarted"), so agents are
 * not offered callers who are gone. */
void queue_jobs_left(struct sipsvc *s);

/* ---- callback_offer.c: a call queue's callback, the caller's side ---- */
enum { CALLBACK_NUMBER_SIZE = 32 };
/* The "callback" of a call queue's spec, and what its fields lack. */
extern const struct schema callback_schema;
const char *callback_config_problem(const json_t *callback);
/* A callback setting of the queue's spec, or its default (everySeconds,
 * retries, retrySeconds, ringSeconds). */
json_int_t callback_setting(const json_t *queue, const char *name);
/* A number that may be called back (a trunk's allow-list has it, for the
 * agent role; tried with a '+' too): 0 and out; EINVAL not a number;
 * ENOENT/EPERM not allowed. */
int callback_number(struct app *app, const char *in, char out[CALLBACK_NUMBER_SIZE]);
/* "plus 1 5 5 5 ..." for reading a number out. */
void callback_number_words(const char *number, char *out, size_t size);
/* The caller joined the queue: the offer's clock starts (queues with a
 * callback). */
void callback_offer_start(struct call *c);
/* Once a second: the offer, when it is due. */
void callback_offer_tick(struct call *c, uint64_t now);
/* Is the caller answering the callback's questions (nothing else may
 * speak to them)? */
bool callback_offer_busy(const struct call *c);
/* The callback the caller asked for (NULL: none), and forgetting it (an
 * agent answered the caller after all). */
const char *callback_offer_requested(const struct call *c);
void callback_offer_forget(struct call *c);
void callback_offer_digit(struct call *c, char digit);
/* Digits and the end of its prompts: true when taken. */
bool callback_offer_media_event(struct call *c, const struct media_event *ev);

/* ---- callback.c: callbacks after the caller hung up ---- */
int callbacks_start(struct sipsvc *s);
void callbacks_stop(struct sipsvc *s);
/* Once a second: jobs waiting for a retry back in line. */
void callbacks_tick(struct sipsvc *s, int64_t now);
/* The caller hung up after asking for callback id: its job is ours now. */
int callback_adopt(struct sipsvc *s, const char *id);
/* Is this router job a callback's (after its caller hung up)? */
bool callback_job(struct sipsvc *s, const char *job_id);
/* A router event of a callback's job: the attempt call its offers ring
 * (made for a new offer), or NULL when there is none or it took the
 * event (the job cancelled). */
struct call *callback_router_event(struct sipsvc *s, const char *type, const json_t *data);
/* The From of an attempt's ringing: the number to call, as us. */
const char *callback_from(const struct call *c);
/* An attempt's ringing party answered: the agent (then the number is
 * dialled) or the number (bridged). */
int callback_answered(struct party *p, const struct sip_msg *msg);
/* An attempt ends (from call_finish). */
void callback_call_ended(struct call *c, const char *by, const char *reason);
/* An attempt whose agent did not answer goes (no call record). */
void callback_idle(struct call *c);
/* An agent answered the caller after they asked for a callback. */
void callback_served(struct call *c);

/* ---- recording.c ---- */
/* A digit from a party: *1 from a person of ours in a bridged call starts
 * or stops recording. True when the digit was taken for that (the
 * application never sees it). */
bool recording_digit(struct party *p, char digit);
/* Media events of a call's legs that recording takes: digits of either
 * party, the end of something played aside. True when taken. */
bool recording_media_event(struct call *c, const struct media_event *ev);

/* ---- survey.c: a call queue's post-call survey ---- */
/* The callQueues[].survey object, and its checks (queue_check's). */
extern const struct schema survey_schema;
void survey_check(const json_t *queue, const char *path, const char *pointer,
                  struct schema_result *res);
/* The agent hung up first (c->b is gone): if the queue asks, the caller
 * stays to rate the call (true); else false and the call ends as usual. */
bool survey_start(struct call *c);
void survey_media_event(struct call *c, const struct media_event *ev);
void survey_digit(struct call *c, char digit);

/* ---- voice_check.c ---- */
/* The voice configuration checked as a whole (config_kind.verify). */
int voice_verify(struct app *app, const char **message);

/* ---- redirect.c ---- */
/* What a target (trunks.h) reaches: the application, the person to ring
 * (callee), the trunk for an external number (new reference). 0; ENOENT
 * nothing there; EAGAIN a person with no phone; EPERM/ENOENT from the
 * trunks' allow-lists. */
int target_resolve(struct sipsvc *s, const json_t *target, enum call_app *app, char callee[ID_SIZE],
                   json_t **trunk);
/* The caller leaves a message in a person's voicemail (answered first if
 * need be): a person's phones unanswered, or none to ring. */
int call_to_voicemail(struct call *c, const char *user_id);
/* Send an answered call to a target; the call ends if it cannot go. */
int call_redirect(struct call *c, const json_t *target);

/* ---- attendant.c: auto attendants (config kind "attendants") ---- */
int attendants_register(void);
bool attendant_exists(struct sipsvc *s, const char *id);
int attendant_start(struct call *c);
void attendant_media_event(struct call *c, const struct media_event *ev);
void attendant_digit(struct call *c, char digit);
void attendant_stop(struct call *c);

/* ---- park.c ---- */
/* Park the party talking with parker in a free orbit (ENOSPC: none). */
int park_call(struct call *c, struct party *parker, unsigned *orbit);
/* Is this dialled number a park orbit? */
bool park_orbit(struct sipsvc *s, const char *dialled, unsigned *orbit);
/* The media leg of the call parked in an orbit (0: none). */
uint32_t park_leg(struct sipsvc *s, unsigned orbit);
/* The call c2 (dialling the orbit) takes the parked call over. */
int park_retrieve(struct call *c2, unsigned orbit);
/* Once a second: ring the parker back when the time is up. */
void park_tick(struct call *c, uint64_t now);

/* ---- voicemail.c, vm_menu.c, mwi.c: voicemail ---- */
/* Leave a message: the box of c->target ({kind: voicemail, box | user})
 * or c->vm_box; its greeting, a beep, the caller recorded until they hang
 * up, fall silent, press # or reach the box's limit. */
int voicemail_start(struct call *c);
/* *98: a box's messages by phone, after its PIN. */
int vm_menu_start(struct call *c);
/* Media events and digits of both applications. */
void voicemail_media_event(struct call *c, const struct media_event *ev);
void voicemail_digit(struct call *c, char digit);
/* MEDIA_EV_RECORD_DONE of a voicemail recording (its call may be gone):
 * true when it was one. */
bool voicemail_record_done(struct sipsvc *s, const struct media_event *ev);
/* SUBSCRIBE (Event: message-summary) outside a dialog: the handler given
 * to sipevent_listen. */
bool mwi_subscribe(const struct sip_msg *msg, void *arg);
/* The server stops: pending recordings and subscriptions go. */
void voicemail_stop(struct sipsvc *s);

/* ---- transfer.c ---- */
/* A REFER from a party: blind transfer (Refer-To a number) or attended
 * (Refer-To with Replaces naming another call's dialog). */
void transfer_refer(struct party *p, const struct sip_msg *msg);
/* How a transfer ended, for the transferor's NOTIFY (sipfrag). */
void transfer_notify(struct party *p, uint16_t scode, const char *reason);

/* ---- apps.c ---- */
/* The application a feature code reaches; ENOENT if none. */
int app_for(const char *target, enum call_app *app);
/* The application of a number's target spec (extension: *callee). 0;
 * ENOENT: no such extension; EAGAIN: nobody registered for it. */
int app_for_target(struct sipsvc *s, const json_t *target, enum call_app *app,
                   char callee[ID_SIZE]);
const char *app_name(enum call_app app);
int app_start(struct call *c);
/* Speak text to the caller (rendered by flite, cached); MEDIA_EV_PLAY_DONE
 * with op when it has played. Nothing plays once the caller talks to
 * someone. */
int app_speak(struct call *c, const char *text, uint32_t op);
/* The service stops: prompts still being rendered let go of their calls. */
void app_speak_cancel_all(struct sipsvc *s);
/* app_speak on another of the call's legs (no barge-in check). */
int app_speak_on(struct call *c, uint32_t leg, const char *text, uint32_t op);
/* Play {text | file} audio to the caller (MEDIA_EV_PLAY_DONE with op). */
int app_play(struct call *c, const json_t *audio, uint32_t op);
/* app_play on one of the call's legs (0: the caller's), or `text` when
 * there is no audio. */
int app_play_on(struct call *c, uint32_t leg, const json_t *audio, const char *text, uint32_t op);
/* Stop what the caller hears, including prompts still being rendered. */
void app_barge(struct call *c);
void app_media_event(struct call *c, const struct media_event *ev);
/* A digit that came by SIP INFO. */
void app_digit(struct call *c, char digit);
void app_stop(struct call *c);

#endif
