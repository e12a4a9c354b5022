/*
 * survey.c - a call queue's post-call survey (docs/voice.md): when the
 * agent hangs up first, the caller stays on the line, is asked to rate the
 * call with a key from 1 to 5, is thanked and hung up. The answer goes to
 * the reports (report_call_survey), which count it for the queue and the
 * agent who answered.
 *
 * The agent is released at once (the router job is closed when they hang
 * up, not when the survey ends), so the survey costs the agent nothing. A
 * key that is not 1-5, or no key in time, gets the question again, once;
 * then the call ends without an answer.
 */
#include "core/app.h"
#include "core/events.h"
#include "core/log.h"
#include "media/media.h"
#include "report/service.h"
#include "sip/call.h"
#include "sip/sip_internal.h"
#include "sip/voice_kinds.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum {
    OP_ASK = 40,
    OP_THANKS = 41,
    DEFAULT_WAIT_S = 8,
    TRIES = 2, /* the question is asked at most twice */
};

static const char default_prompt[] =
    "Before you go, please rate this call. Press a key from 1 to 5, where 5 is best.";
static const char default_invalid[] = "Please press a key from 1 to 5.";
static const char default_thanks[] = "Thank you for your feedback. Goodbye.";

/* ---- configuration: callQueues[].survey ---- */

static const struct schema s_wait = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 3, .has_max = true, .max = 60};
static const struct schema_field survey_fields[] = {
    {"prompt", &voice_audio, false},
    {"invalid", &voice_audio, false},
    {"thanks", &voice_audio, false},
    {"seconds", &s_wait, false},
    {0},
};
const struct schema survey_schema = {.type = SCHEMA_OBJECT, .fields = survey_fields};

void survey_check(const json_t *queue, const char *path, const char *pointer,
                  struct schema_result *res)
{
    static const char *const audios[] = {"prompt", "invalid", "thanks"};
    const json_t *survey = json_object_get(queue, "survey");
    for (size_t i = 0; survey && i < sizeof(audios) / sizeof(audios[0]); i++) {
        const char *why = voice_audio_problem(json_object_get(survey, audios[i]));
        if (why) {
            char msg[200];
            snprintf(msg, sizeof(msg), "survey.%s: %s", audios[i], why);
            schema_add_problem(res, path, pointer, false, msg);
        }
    }
}

/* ---- a caller answering ---- */

struct survey {
    struct call *c; /* not a reference: the call owns this state */
    const json_t *spec;
    struct tmr tmr; /* waiting for a key */
    unsigned asked;
    bool answered;
};

static void survey_destructor(void *arg)
{
    struct survey *sv = arg;
    tmr_cancel(&sv->tmr);
}

/* The queue's audio, or the words said without one. */
static int say(struct call *c, const char *field, const char *dflt, uint32_t op)
{
    const json_t *audio = json_object_get(c->survey->spec, field);
    return audio ? app_play(c, audio, op) : app_speak(c, dflt, op);
}

/* Hang up (the call's BYE goes when the call is freed). */
static void done(struct call *c, const char *reason)
{
    log_info("sip", "survey over", "call=%s reason=\"%s\"", c->id, reason);
    call_finish(c, "system", reason);
    mem_deref(c);
}

static void ask(struct call *c, bool again)
{
    struct survey *sv = c->survey;
    tmr_cancel(&sv->tmr);
    if (sv->asked >= TRIES) {
        done(c, "survey not answered");
        return;
    }
    sv->asked++;
    int err = again ? say(c, "invalid", default_invalid, OP_ASK)
                    : say(c, "prompt", default_prompt, OP_ASK);
    if (err)
        done(c, "prompt not available");
}

static void on_wait(void *arg)
{
    struct call *c = arg;
    if (!c->ended)
        ask(c, false);
}

bool survey_start(struct call *c)
{
    const json_t *spec = c->queue ? json_object_get(c->queue, "survey") : NULL;
    if (!spec || c->app != APP_QUEUE || c->ended || !c->a || !c->answered)
        return false;
    struct survey *sv = mem_zalloc(sizeof(*sv), survey_destructor);
    if (!sv)
        return false;
    sv->c = c;
    tmr_init(&sv->tmr);
    /* The agent is done: their job closes now, and their leg goes. */
    queue_call_ended(c);
    call_close_leg(c, c->leg_b);
    c->leg_b = 0;
    c->survey = sv;
    c->app = APP_SURVEY;
    sv->spec = json_object_get(c->queue, "survey"); /* c->queue outlives sv */
    if (events_append(c->s->app->events, "calls", "surveyStarted", c->id, NULL,
                      json_pack("{s:s, s:O}", "callId", c->id, "queueId",
                                json_object_get(c->queue, "queue"))) != 0)
        log_error("sip", "survey event not stored", "call=%s", c->id);
    log_info("sip", "survey started", "call=%s", c->id);
    ask(c, false);
    return true;
}

void survey_digit(struct call *c, char digit)
{
    struct survey *sv = c->survey;
    if (c->ended || !sv || sv->answered)
        return;
    tmr_cancel(&sv->tmr);
    app_barge(c);
    if (digit < '1' || digit > '5') {
        log_info("sip", "survey key not from 1 to 5", "call=%s key=%c", c->id, digit);
        ask(c, true);
        return;
    }
    sv->answered = true;
    int err = report_call_survey(c->s->app, c->id, digit - '0');
    if (err && err != EALREADY)
        log_error("sip", "survey answer not stored", "call=%s err=%d", c->id, err);
    if (say(c, "thanks", default_thanks, OP_THANKS) != 0)
        done(c, "survey answered");
}

void survey_media_event(struct call *c, const struct media_event *ev)
{
    struct survey *sv = c->survey;
    if (!sv)
        return;
    if (ev->type == MEDIA_EV_DTMF) {
        survey_digit(c, ev->digit);
        return;
    }
    if (ev->type != MEDIA_EV_PLAY_DONE || strcmp(ev->reason, "stopped") == 0)
        return;
    if (ev->op_id == OP_THANKS) {
        done(c, "survey answered");
    } else if (ev->op_id == OP_ASK && !sv->answered) {
        json_int_t wait = json_integer_value(json_object_get(sv->spec, "seconds"));
        tmr_start(&sv->tmr, (uint64_t)(wait > 0 ? wait : DEFAULT_WAIT_S) * 1000, on_wait, c);
    }
}
