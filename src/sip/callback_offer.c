/*
 * callback_offer.c - a call queue's callback, on the caller's side
 * (docs/voice.md, Callbacks): while the caller waits, once they have
 * waited callback.afterSeconds or the router estimates their wait over
 * callback.estimatedWaitOver, they hear every everySeconds "to be called
 * back ..., press 1". The key leads to the number: "press 1 to be called
 * back at <their caller ID, read out>, or enter another number followed
 * by the pound key" (an entered number is read back the same way). A
 * number is taken only when a trunk's allow-list has it (for the agent
 * role): the callback rings out through that trunk. Confirmed, the
 * callback is stored (its router job labelled callback, keeping its place
 * in line), the caller hears goodbye and is hung up; the job passes to
 * callback.c when the call ends. An agent who answers meanwhile gets the
 * caller as usual, and the callback counts as connected.
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/principal.h"
#include "media/media.h"
#include "router/router.h"
#include "routing/service.h"
#include "sip/call.h"
#include "sip/dialplan.h"
#include "sip/sip_internal.h"
#include "sip/trunks.h"
#include "sip/voice_kinds.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum {
    OP_OFFER = 70,
    OP_ASK = 71,
    OP_SORRY = 72,
    OP_BYE = 73,
    OP_KEEP = 74,
    CHECK_EVERY_S = 5, /* the estimated wait is looked at this often */
    DEFAULT_EVERY_S = 60,
    LONE_ONE_MS = 2000, /* a lone 1 confirms after this pause */
    NEXT_DIGIT_MS = 5000,
    INPUT_MS = 10000, /* after the question */
    MAX_TRIES = 3,    /* questions unanswered or numbers refused */
    MAX_DIGITS = 20,
};

/* ---- the configuration (a call queue's "callback") ---- */

static const struct schema s_after = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 0, .has_max = true, .max = 86400};
static const struct schema s_over = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 10, .has_max = true, .max = 86400};
static const struct schema s_every = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 15, .has_max = true, .max = 3600};
static const struct schema s_retries = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 0, .has_max = true, .max = 10};
static const struct schema s_retry_s = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 10, .has_max = true, .max = 86400};
static const struct schema s_ring_s = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 10, .has_max = true, .max = 120};
static const char *const keys[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "#", NULL};
static const struct schema s_key = {.type = SCHEMA_STRING, .enum_values = keys};
static const struct schema_field callback_fields[] = {
    {"afterSeconds", &s_after, false},
    {"estimatedWaitOver", &s_over, false},
    {"everySeconds", &s_every, false},
    {"key", &s_key, false},
    {"retries", &s_retries, false},
    {"retrySeconds", &s_retry_s, false},
    {"ringSeconds", &s_ring_s, false},
    {"prompt", &voice_audio, false},
    {0},
};
const struct schema callback_schema = {.type = SCHEMA_OBJECT, .fields = callback_fields};

const char *callback_config_problem(const json_t *cb)
{
    if (!cb)
        return NULL;
    if (!json_object_get(cb, "afterSeconds") && !json_object_get(cb, "estimatedWaitOver"))
        return "callback: needs \"afterSeconds\" or \"estimatedWaitOver\" (when to offer it)";
    const char *why = voice_audio_problem(json_object_get(cb, "prompt"));
    return why ? "callback.prompt: give \"text\" or \"file\"" : NULL;
}

json_int_t callback_setting(const json_t *queue, const char *name)
{
    static const struct {
        const char *name;
        json_int_t def;
    } defaults[] = {{"everySeconds", DEFAULT_EVERY_S},
                    {"retries", 2},
                    {"retrySeconds", 120},
                    {"ringSeconds", 30}};
    const json_t *v = json_object_get(json_object_get(queue, "callback"), name);
    if (json_is_integer(v))
        return json_integer_value(v);
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
        if (strcmp(defaults[i].name, name) == 0)
            return defaults[i].def;
    return 0;
}

/* ---- numbers ---- */

int callback_number(struct app *app, const char *in, char out[CALLBACK_NUMBER_SIZE])
{
    char n[CALLBACK_NUMBER_SIZE], plus[CALLBACK_NUMBER_SIZE + 1];
    if (!in || !dial_normalise(in, n, sizeof(n)) || !n[0] || strpbrk(n, "*#"))
        return EINVAL;
    /* Keys have no '+': 15550123 may be +15550123 on the allow-list. */
    snprintf(plus, sizeof(plus), "+%s", n);
    const char *tries[] = {n, n[0] == '+' ? NULL : plus};
    int err = ENOENT;
    for (size_t i = 0; i < 2 && err; i++) {
        json_t *trunk = NULL;
        if (tries[i] && (err = trunk_route_out(app, tries[i], ROLE_AGENT, &trunk)) == 0)
            snprintf(out, CALLBACK_NUMBER_SIZE, "%s", tries[i]);
        json_decref(trunk);
    }
    return err;
}

void callback_number_words(const char *number, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = number; *p && n + 8 < size; p++) {
        int w = *p == '+' ? snprintf(out + n, size - n, "plus ")
                          : snprintf(out + n, size - n, "%c ", *p);
        n += w > 0 ? (size_t)w : 0;
    }
    if (n)
        out[n - 1] = '\0';
}

/* ---- the caller's side ---- */

enum step { STEP_WAITING, STEP_ASKING, STEP_DONE };

struct cb_offer {
    uint64_t next_at; /* the next look at whether to offer (tmr_jiffies) */
    bool offered;     /* the key works once the offer has been heard */
    enum step step;
    char digits[MAX_DIGITS + 1];
    unsigned ndigits;
    char number[CALLBACK_NUMBER_SIZE]; /* the number proposed */
    unsigned tries;
    struct tmr tmr;   /* the pause after a lone 1; the wait for input */
    char id[ID_SIZE]; /* the callback asked for, once confirmed */
};

static void offer_destructor(void *arg)
{
    struct cb_offer *o = arg;
    tmr_cancel(&o->tmr);
}

static const json_t *config(const struct call *c)
{
    return json_object_get(c->queue, "callback");
}

void callback_offer_start(struct call *c)
{
    c->cbo = mem_deref(c->cbo);
    const json_t *cb = config(c);
    if (!cb)
        return;
    c->cbo = mem_zalloc(sizeof(*c->cbo), offer_destructor);
    if (!c->cbo)
        return;
    tmr_init(&c->cbo->tmr);
    json_int_t after = json_integer_value(json_object_get(cb, "afterSeconds"));
    int64_t waited = clock_now_ms() - c->queued_at; /* a caller back in line has waited already */
    int64_t first = after * 1000 - waited;
    c->cbo->next_at = tmr_jiffies() + (uint64_t)(first > 0 ? first : 0);
}

bool callback_offer_busy(const struct call *c)
{
    return c->cbo && c->cbo->step != STEP_WAITING;
}

const char *callback_offer_requested(const struct call *c)
{
    return c->cbo && c->cbo->id[0] ? c->cbo->id : NULL;
}

void callback_offer_forget(struct call *c)
{
    if (c->cbo)
        c->cbo->id[0] = '\0';
}

static bool due(struct call *c)
{
    const json_t *cb = config(c);
    const json_t *after = json_object_get(cb, "afterSeconds");
    if (json_is_integer(after) && clock_now_ms() - c->queued_at >= json_integer_value(after) * 1000)
        return true;
    const json_t *over = json_object_get(cb, "estimatedWaitOver");
    if (!json_is_integer(over))
        return false;
    json_t *job = router_job_get(routing_engine(c->s->app), c->job_id, clock_now_ms());
    const json_t *est = json_object_get(job, "estimatedWaitSeconds");
    bool long_wait = json_is_number(est) && json_number_value(est) > json_integer_value(over);
    json_decref(job);
    return long_wait;
}

void callback_offer_tick(struct call *c, uint64_t now)
{
    struct cb_offer *o = c->cbo;
    if (!o || o->step != STEP_WAITING || o->id[0] || now < o->next_at || c->b || !c->job_id[0])
        return;
    o->next_at = now + CHECK_EVERY_S * 1000;
    if (c->offer_id[0] || !due(c))
        return; /* an agent's phone is ringing, or not yet */
    char text[200];
    const char *key = json_string_value(json_object_get(config(c), "key"));
    snprintf(text, sizeof(text),
             "To be called back when it is your turn, without losing your place in line, "
             "press %s.",
             key && strcmp(key, "#") == 0 ? "the pound key"
             : key                        ? key
                                          : "1");
    app_barge(c);
    if (app_play_on(c, 0, json_object_get(config(c), "prompt"), text, OP_OFFER) != 0) {
        log_warn("sip", "callback offer not played", "call=%s", c->id);
        return;
    }
    if (!o->offered &&
        events_append(c->s->app->events, "calls", "callbackOffered", c->id, NULL,
                      json_pack("{s:s, s:s, s:s, s:O}", "callId", c->id, "callQueue",
                                json_string_value(json_object_get(c->queue, "id")), "jobId",
                                c->job_id, "queueId", json_object_get(c->queue, "queue"))) != 0)
        log_warn("sip", "callback offer event not stored", "call=%s", c->id);
    o->offered = true;
    o->next_at = now + (uint64_t)callback_setting(c->queue, "everySeconds") * 1000;
}

static void on_input_timeout(void *arg);

/* Back to the music, keeping the place in line. */
static void keep_waiting(struct call *c, const char *text)
{
    struct cb_offer *o = c->cbo;
    tmr_cancel(&o->tmr);
    o->step = STEP_WAITING;
    o->next_at = tmr_jiffies() + (uint64_t)callback_setting(c->queue, "everySeconds") * 1000;
    app_barge(c);
    if (!text || app_speak(c, text, OP_KEEP) != 0)
        queue_music(c);
}

/* The question: the number proposed, or one to enter. */
static void ask(struct call *c)
{
    struct cb_offer *o = c->cbo;
    if (++o->tries > MAX_TRIES) {
        keep_waiting(c, "You keep your place in line.");
        return;
    }
    o->step = STEP_ASKING;
    o->ndigits = 0;
    tmr_cancel(&o->tmr);
    char words[120], text[400];
    callback_number_words(o->number, words, sizeof(words));
    if (o->number[0])
        snprintf(text, sizeof(text),
                 "To be called back at %s, press 1. To be called back at another number, enter "
                 "it now, followed by the pound key. To keep waiting, press star.",
                 words);
    else
        snprintf(text, sizeof(text),
                 "Please enter the number to call you back at, followed by the pound key. To "
                 "keep waiting, press star.");
    app_barge(c);
    if (app_speak(c, text, OP_ASK) != 0)
        keep_waiting(c, NULL);
}

static void start_asking(struct call *c)
{
    struct cb_offer *o = c->cbo;
    char caller[64] = "";
    party_user(c->a, caller, sizeof(caller));
    if (callback_number(c->s->app, caller, o->number) != 0)
        o->number[0] = '\0'; /* no caller ID we could call back */
    o->tries = 0;
    log_info("sip", "callback asked for", "call=%s caller_id_usable=%s", c->id,
             o->number[0] ? "yes" : "no");
    ask(c);
}

/* Store the callback: its row, its job labelled (the place in line
 * kept), its event; all or nothing. */
static int request(struct call *c)
{
    struct cb_offer *o = c->cbo;
    struct app *app = c->s->app;
    char id[ID_SIZE], caller[64] = "";
    id_new(id, "cb");
    party_user(c->a, caller, sizeof(caller));
    const char *cq = json_string_value(json_object_get(c->queue, "id"));
    const char *rq = json_string_value(json_object_get(c->queue, "queue"));
    int64_t now = clock_now_ms();
    json_t *mark = json_pack("{s:{s:b, s:s}}", "labelsToUpsert", "callback", 1, "callbackId", id);
    struct store_val v[] = {sv_text(id),        sv_text(cq),          sv_text(rq),
                            sv_text(c->job_id), sv_text(c->id),       sv_text(o->number),
                            sv_text(caller),    sv_int(c->queued_at), sv_int(now),
                            sv_int(now)};
    const char *why = NULL;
    int err = routing_begin(app);
    if (!err)
        err = router_job_reclassify(routing_engine(app), c->job_id, mark, now, &why);
    if (!err)
        err = store_exec(app->store,
                         "INSERT INTO callbacks (id, call_queue, queue_id, job_id, call_id, number,"
                         " caller, state, enqueued_at, requested_at, updated_at)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?)",
                         v, 10, NULL);
    if (!err)
        err = events_append(app->events, "calls", "callbackRequested", id, NULL,
                            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "callbackId", id,
                                      "callId", c->id, "callQueue", cq, "queueId", rq, "jobId",
                                      c->job_id, "number", o->number, "caller", caller));
    err = routing_end_why(app, err, &why);
    json_decref(mark);
    if (err) {
        log_error("sip", "callback not stored", "call=%s err=%d why=\"%s\"", c->id, err,
                  why ? why : "");
        return err;
    }
    snprintf(o->id, sizeof(o->id), "%s", id);
    log_info("sip", "callback requested", "call=%s callback=%s job=%s", c->id, id, c->job_id);
    return 0;
}

static void confirm(struct call *c)
{
    struct cb_offer *o = c->cbo;
    tmr_cancel(&o->tmr);
    if (request(c) != 0) {
        keep_waiting(c, "Sorry, we could not arrange a call back. You keep your place in line.");
        return;
    }
    o->step = STEP_DONE;
    char words[120], text[300];
    callback_number_words(o->number, words, sizeof(words));
    snprintf(text, sizeof(text),
             "Thank you. We will call you back at %s, when it is your turn. Goodbye.", words);
    app_barge(c);
    if (app_speak(c, text, OP_BYE) != 0) {
        call_finish(c, "system", "callback requested");
        mem_deref(c);
    }
}

/* What the caller entered (the digits so far, ended by # or a pause). */
static void entered(struct call *c)
{
    struct cb_offer *o = c->cbo;
    tmr_cancel(&o->tmr);
    o->digits[o->ndigits] = '\0';
    if (o->number[0] && (o->ndigits == 0 || strcmp(o->digits, "1") == 0)) {
        confirm(c);
        return;
    }
    char number[CALLBACK_NUMBER_SIZE];
    if (o->ndigits && callback_number(c->s->app, o->digits, number) == 0) {
        snprintf(o->number, sizeof(o->number), "%s", number);
        o->tries = 0;
        ask(c); /* read back, to be confirmed with 1 */
        return;
    }
    log_info("sip", "callback number refused", "call=%s digits=%s", c->id, o->digits);
    o->ndigits = 0;
    app_barge(c);
    if (app_speak(c, "Sorry, we cannot call that number.", OP_SORRY) != 0)
        ask(c);
}

static void on_input_timeout(void *arg)
{
    struct call *c = arg;
    if (c->ended || !c->cbo || c->cbo->step != STEP_ASKING)
        return;
    if (c->cbo->ndigits)
        entered(c);
    else
        ask(c); /* nothing: the question again */
}

void callback_offer_digit(struct call *c, char digit)
{
    struct cb_offer *o = c->cbo;
    if (!o || c->b || c->ended)
        return;
    if (o->step == STEP_WAITING) {
        const char *key = json_string_value(json_object_get(config(c), "key"));
        if (o->offered && !o->id[0] && !c->offer_id[0] && !c->queue_pending &&
            digit == (key ? key[0] : '1'))
            start_asking(c);
        return;
    }
    if (o->step != STEP_ASKING)
        return;
    if (!o->ndigits)
        app_barge(c); /* a key stops the question */
    if (digit == '*') {
        keep_waiting(c, "You keep your place in line.");
        return;
    }
    if (digit == '#') {
        entered(c);
        return;
    }
    if (o->ndigits < MAX_DIGITS)
        o->digits[o->ndigits++] = digit;
    /* A lone 1 is the answer once a short pause shows no number follows. */
    bool lone_one = o->number[0] && o->ndigits == 1 && digit == '1';
    tmr_start(&o->tmr, lone_one ? LONE_ONE_MS : NEXT_DIGIT_MS, on_input_timeout, c);
}

bool callback_offer_media_event(struct call *c, const struct media_event *ev)
{
    if (!c->cbo || c->b)
        return false;
    if (ev->type == MEDIA_EV_DTMF) {
        callback_offer_digit(c, ev->digit);
        return true;
    }
    if (ev->type != MEDIA_EV_PLAY_DONE || ev->op_id < OP_OFFER || ev->op_id > OP_KEEP)
        return false;
    if (strcmp(ev->reason, "stopped") == 0)
        return true;
    struct cb_offer *o = c->cbo;
    switch (ev->op_id) {
    case OP_ASK:
        if (o->step == STEP_ASKING && !o->ndigits)
            tmr_start(&o->tmr, INPUT_MS, on_input_timeout, c);
        break;
    case OP_SORRY:
        ask(c);
        break;
    case OP_BYE:
        call_finish(c, "system", "callback requested");
        mem_deref(c); /* the caller's BYE */
        break;
    default: /* the offer, "you keep your place" */
        if (o->step == STEP_WAITING)
            queue_music(c);
        break;
    }
    return true;
}
