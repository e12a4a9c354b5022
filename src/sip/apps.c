/*
 * apps.c - the voice applications reached by a feature code:
 *   *43  echo test: what you say comes back;
 *   *44  digits test: a spoken prompt, digits until # (RFC 4733, in-band
 *        or SIP INFO; pressing a key stops the prompt), then the digits
 *        read back, then Switchboard hangs up.
 * Prompts are rendered from text (voice/tts.c) and cached.
 */
#include "core/app.h"
#include "core/events.h"
#include "core/log.h"
#include "media/media.h"
#include "sip/call.h"
#include "sip/sip_internal.h"
#include "voice/tts.h"
#include "voice/voicemail.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum {
    FIRST_DIGIT_MS = 15000,
    NEXT_DIGIT_MS = 5000,
    ANNOUNCE_WAIT_S = 5,
    OP_PROMPT = 1,
    OP_READBACK = 2,
    OP_ANNOUNCE = 3,
};

static const char ask[] = "Please enter some digits, then press the pound key.";

int app_for(const char *target, enum call_app *app)
{
    if (strcmp(target, "*43") == 0)
        *app = APP_ECHO;
    else if (strcmp(target, "*44") == 0)
        *app = APP_DIGITS;
    else if (strcmp(target, "*7") == 0)
        *app = APP_PARK;
    else if (strcmp(target, "*98") == 0)
        *app = APP_VM_MENU;
    else
        return ENOENT;
    return 0;
}

int app_for_target(struct sipsvc *s, const json_t *target, enum call_app *app, char callee[ID_SIZE])
{
    const char *kind = json_string_value(json_object_get(target, "kind"));
    if (kind && strcmp(kind, "application") == 0) {
        const char *name = json_string_value(json_object_get(target, "application"));
        *app = name && strcmp(name, "echo") == 0 ? APP_ECHO : APP_DIGITS;
        return 0;
    }
    if (kind && strcmp(kind, "announcement") == 0) {
        *app = APP_ANNOUNCE;
        return 0;
    }
    if (kind && strcmp(kind, "voicemail") == 0) {
        *app = APP_VOICEMAIL;
        return vm_target_problem(s->app, target) ? ENOENT : 0;
    }
    if (kind && strcmp(kind, "callQueue") == 0) {
        *app = APP_QUEUE;
        return queue_exists(s, json_string_value(json_object_get(target, "callQueue"))) ? 0
                                                                                        : ENOENT;
    }
    *app = APP_EXTENSION;
    return ring_target(s, json_string_value(json_object_get(target, "extension")), callee);
}

const char *app_name(enum call_app app)
{
    static const char *const names[] = {
        [APP_ECHO] = "echo",
        [APP_DIGITS] = "digits",
        [APP_EXTENSION] = "extension",
        [APP_ANNOUNCE] = "announcement",
        [APP_OUTBOUND] = "outbound",
        [APP_QUEUE] = "queue",
        [APP_ATTENDANT] = "attendant",
        [APP_DISCONNECT] = "disconnect",
        [APP_PARK] = "park",
        [APP_PARKED] = "parked",
        [APP_UNPARK] = "unpark",
        [APP_VOICEMAIL] = "voicemail",
        [APP_VM_MENU] = "voicemailMenu",
        [APP_SURVEY] = "survey",
        [APP_CALLBACK] = "callback",
    };
    return names[app];
}

struct speak {
    struct le le;   /* in sipsvc.speaking until rendered */
    struct call *c; /* NULL once the service stopped */
    uint32_t leg;   /* 0: the caller's */
    uint32_t op;
    unsigned gen; /* c->prompt_gen when asked for */
};

static void speak_destructor(void *arg)
{
    struct speak *sp = arg;
    list_unlink(&sp->le);
    mem_deref(sp->c);
}

void app_speak_cancel_all(struct sipsvc *s)
{
    for (struct le *le = s->speaking.head; le; le = le->next) {
        struct speak *sp = le->data;
        sp->c = mem_deref(sp->c);
    }
    list_clear(&s->speaking);
}

static void on_prompt(int err, const char *path, void *arg)
{
    struct speak *sp = arg;
    struct call *c = sp->c;
    if (!c || c->ended)
        return;
    if (err) {
        call_finish(c, "system", "prompt not available");
        mem_deref(c); /* hangs up */
        return;
    }
    /* A digit pressed while the prompt was being made: it is barged in. */
    if ((sp->op == OP_PROMPT || sp->op == OP_ANNOUNCE) && c->ndigits)
        return;
    if (sp->leg) {
        media_play(c->s->media, sp->leg, path, false, sp->op);
        return;
    }
    if (sp->gen != c->prompt_gen)
        return; /* stopped (a key, a redirect) before it was ready */
    if (c->b)
        return; /* someone answered meanwhile: the caller talks to them */
    media_play(c->s->media, c->leg, path, false, sp->op);
}

void app_barge(struct call *c)
{
    c->prompt_gen++;
    media_stop(c->s->media, c->leg);
}

int app_speak_on(struct call *c, uint32_t leg, const char *text, uint32_t op)
{
    struct speak *sp = mem_zalloc(sizeof(*sp), speak_destructor);
    if (!sp)
        return ENOMEM;
    sp->c = mem_ref(c);
    list_append(&c->s->speaking, &sp->le, sp);
    sp->op = op;
    sp->leg = leg;
    sp->gen = c->prompt_gen;
    int err = tts_prompt(c->s->app, text, on_prompt, sp);
    mem_deref(sp);
    return err;
}

int app_speak(struct call *c, const char *text, uint32_t op)
{
    return app_speak_on(c, 0, text, op);
}

int app_play_on(struct call *c, uint32_t leg, const json_t *audio, const char *text, uint32_t op)
{
    const char *file = json_string_value(json_object_get(audio, "file"));
    if (file)
        return media_play(c->s->media, leg ? leg : c->leg, file, false, op);
    const char *t = json_string_value(json_object_get(audio, "text"));
    return app_speak_on(c, leg, t ? t : text ? text : "", op);
}

int app_play(struct call *c, const json_t *audio, uint32_t op)
{
    return app_play_on(c, 0, audio, NULL, op);
}

static void collected(struct call *c, const char *reason)
{
    c->collecting = false;
    tmr_cancel(&c->digit_tmr);
    c->digits[c->ndigits] = '\0';
    record_digits(c, reason);
    log_info("sip", "digits collected", "call=%s digits=%s reason=%s", c->id, c->digits, reason);
    if (c->app == APP_ANNOUNCE) {
        call_finish(c, "system", "application done");
        mem_deref(c); /* the session's BYE */
        return;
    }
    char text[160] = "No digits were entered.";
    if (c->ndigits) {
        int n = snprintf(text, sizeof(text), "You entered");
        for (unsigned i = 0; i < c->ndigits && n > 0 && (size_t)n < sizeof(text) - 4; i++) {
            char d = c->digits[i];
            const char *word = d == '*' ? "star" : d == '#' ? "pound" : NULL;
            n += word ? snprintf(text + n, sizeof(text) - (size_t)n, " %s,", word)
                      : snprintf(text + n, sizeof(text) - (size_t)n, " %c,", d);
        }
        if (n > 0 && (size_t)n < sizeof(text))
            text[n - 1] = '.';
    }
    if (app_speak(c, text, OP_READBACK) != 0) {
        call_finish(c, "system", "prompt not available");
        mem_deref(c);
    }
}

static void on_digit_timeout(void *arg)
{
    collected(arg, "timeout");
}

void app_digit(struct call *c, char digit)
{
    if (c->app == APP_ATTENDANT && !c->ended) {
        attendant_digit(c, digit);
        return;
    }
    if (c->app == APP_VOICEMAIL || c->app == APP_VM_MENU) {
        voicemail_digit(c, digit);
        return;
    }
    if (c->app == APP_SURVEY) {
        survey_digit(c, digit);
        return;
    }
    if (c->app == APP_QUEUE) {
        callback_offer_digit(c, digit);
        return;
    }
    if (c->ended || !c->collecting)
        return;
    if (!c->ndigits) {
        app_barge(c); /* barge-in: the prompt stops */
        c->prompt_done = true;
    }
    if (digit == '#') {
        collected(c, "terminator");
        return;
    }
    unsigned max = c->want ? c->want : sizeof(c->digits) - 1;
    if (c->ndigits < sizeof(c->digits) - 1)
        c->digits[c->ndigits++] = digit;
    if (c->ndigits >= max) {
        collected(c, "max");
        return;
    }
    tmr_start(&c->digit_tmr, NEXT_DIGIT_MS, on_digit_timeout, c);
}

static int announce(struct call *c)
{
    const json_t *t = c->target;
    c->want = (unsigned)json_integer_value(json_object_get(t, "digits"));
    c->collecting = c->want > 0;
    const char *file = json_string_value(json_object_get(t, "file"));
    if (file)
        return media_play(c->s->media, c->leg, file, false, OP_ANNOUNCE);
    return app_speak(c, json_string_value(json_object_get(t, "text")), OP_ANNOUNCE);
}

/* The announcement has been played: hang up, or wait for the digits. */
static void announced(struct call *c)
{
    c->prompt_done = true;
    if (!c->collecting) {
        call_finish(c, "system", "application done");
        mem_deref(c);
        return;
    }
    json_int_t wait = json_integer_value(json_object_get(c->target, "timeoutSeconds"));
    if (!c->ndigits)
        tmr_start(&c->digit_tmr, (uint64_t)(wait > 0 ? wait : ANNOUNCE_WAIT_S) * 1000,
                  on_digit_timeout, c);
}

int app_start(struct call *c)
{
    if (c->app == APP_EXTENSION || c->app == APP_OUTBOUND)
        return 0; /* ring.c does the work */
    if (c->app == APP_ANNOUNCE)
        return announce(c);
    if (c->app == APP_QUEUE)
        return queue_start(c);
    if (c->app == APP_ATTENDANT)
        return attendant_start(c);
    if (c->app == APP_UNPARK)
        return park_retrieve(c, c->orbit);
    if (c->app == APP_VOICEMAIL)
        return voicemail_start(c);
    if (c->app == APP_VM_MENU)
        return vm_menu_start(c);
    if (c->app == APP_ECHO)
        return media_echo(c->s->media, c->leg);
    c->collecting = true;
    tmr_start(&c->digit_tmr, FIRST_DIGIT_MS, on_digit_timeout, c);
    return app_speak(c, ask, OP_PROMPT);
}

void app_media_event(struct call *c, const struct media_event *ev)
{
    if (c->app == APP_QUEUE) {
        queue_media_event(c, ev);
        return;
    }
    if (c->app == APP_ATTENDANT) {
        attendant_media_event(c, ev);
        return;
    }
    if (c->app == APP_VOICEMAIL || c->app == APP_VM_MENU) {
        voicemail_media_event(c, ev);
        return;
    }
    if (c->app == APP_SURVEY) {
        survey_media_event(c, ev);
        return;
    }
    if (ev->type == MEDIA_EV_DTMF) {
        app_digit(c, ev->digit);
    } else if (ev->type == MEDIA_EV_PLAY_DONE && ev->op_id == OP_READBACK) {
        call_finish(c, "system", "application done");
        mem_deref(c); /* the session's BYE */
    } else if (ev->type == MEDIA_EV_PLAY_DONE && ev->op_id == OP_ANNOUNCE &&
               strcmp(ev->reason, "stopped") != 0) {
        announced(c);
    }
}

void app_stop(struct call *c)
{
    attendant_stop(c);
    c->collecting = false;
    tmr_cancel(&c->digit_tmr);
}
