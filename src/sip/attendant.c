/*
 * attendant.c - a caller in an auto attendant (the kind is
 * attendant_kind.c; docs/voice.md): the flow for the moment (business
 * hours, after hours, or a holiday's own flow, by the attendant's schedule
 * in the organisation's time zone): a greeting, then either a target or a
 * menu. A menu's options are keys (0-9, * and #), each also on spoken
 * words, that lead to a target, an announcement (then the menu again), the
 * menu again, or dial by name (directory.c); 0 (or "operator") reaches the
 * operator when no option takes it; with dial by extension, digits that
 * begin an extension are collected (# or a pause ends them) and that
 * person is rung. No input, a wrong key or words not recognised repeat the
 * menu up to `retries` times, then the default target (disconnect unless
 * configured). Pressing a key or starting to speak stops the prompt.
 *
 * Speech: while the menu plays and waits, the caller's audio is listened
 * to (media_listen); an utterance is decoded on the work pool against the
 * menu's words (voice/speech.h). A key pressed meanwhile wins: the older
 * result is dropped.
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/log.h"
#include "core/schedule.h"
#include "core/settings.h"
#include "media/media.h"
#include "sip/att_internal.h"
#include "sip/call.h"
#include "sip/sip_internal.h"
#include "sip/voice_kinds.h"
#include "store/store.h"
#include "voice/asr.h"
#include "voice/speech.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum {
    OP_GREETING = 30,
    OP_PROMPT = 31,
    OP_ANNOUNCE = 32,
    OP_SORRY = 33,
    OP_LISTEN = 0x10000, /* | a count: each listener its own op */
    DEFAULT_INPUT_S = 5,
    DEFAULT_RETRIES = 2,
    NEXT_DIGIT_MS = 2000,
};

static void state_destructor(void *arg)
{
    struct attendant_state *st = arg;
    mem_deref(st->dir);
    json_decref(st->spec);
}

static const json_t *menu_of(const struct call *c)
{
    return json_object_get(c->att->flow, "menu");
}

void att_event(struct call *c, const char *type, json_t *data)
{
    json_object_set_new(data, "callId", json_string(c->id));
    json_object_set_new(data, "attendant", json_copy(json_object_get(c->att->spec, "id")));
    json_object_set_new(data, "flow", json_string(c->att->which));
    if (events_append(c->s->app->events, "calls", type, c->id, NULL, data) != 0)
        log_error("sip", "attendant event not stored", "call=%s type=%s", c->id, type);
}

int att_play(struct call *c, const json_t *audio, uint32_t op)
{
    return app_play(c, audio, op);
}

int att_say(struct call *c, const char *text, uint32_t op)
{
    return app_speak(c, text, op);
}

unsigned att_input_ms(const struct call *c)
{
    json_t *s = json_object_get(menu_of(c), "inputSeconds");
    return (unsigned)(json_is_integer(s) ? json_integer_value(s) : DEFAULT_INPUT_S) * 1000;
}

bool att_phrase_add(struct att_phrases *ph, const char *display)
{
    char phrase[ATT_PHRASE_SIZE];
    if (!display || ph->n >= ATT_MAX_PHRASES ||
        asr_name_phrase(display, phrase, sizeof(phrase)) != 0)
        return false;
    for (size_t i = 0; i < ph->n; i++)
        if (strcmp(ph->text[i], phrase) == 0)
            return true;
    memcpy(ph->text[ph->n], phrase, sizeof(phrase));
    ph->p[ph->n] = ph->text[ph->n];
    ph->n++;
    return true;
}

/* ---- listening ---- */

struct heard {
    struct call *c;
    unsigned gen; /* st->heard when the utterance came */
    att_heard_h *h;
};

static void heard_destructor(void *arg)
{
    struct heard *hd = arg;
    mem_deref(hd->c);
}

static void on_recognised(int err, const char *phrase, int confidence, void *arg)
{
    struct heard *hd = arg;
    struct call *c = hd->c;
    if (c->ended || !c->att || hd->gen != c->att->heard)
        return; /* hung up, left, or a key or another utterance came since */
    if (err)
        log_warn("sip", "speech not recognised", "call=%s err=%d", c->id, err);
    hd->h(c, err ? "" : phrase, err ? 0 : confidence);
}

void att_heard_more(struct call *c)
{
    c->att->heard++;
}

void att_listen(struct call *c, bool on)
{
    struct attendant_state *st = c->att;
    if (on == st->hearing)
        return;
    st->hearing = on;
    st->listen_op = OP_LISTEN | (++st->listens & 0xffff);
    if (on)
        media_listen(c->s->media, c->leg, ATT_UTTERANCE_SILENCE_MS, 0, ATT_UTTERANCE_MAX_MS,
                     st->listen_op);
    else
        media_listen_stop(c->s->media, c->leg);
}

bool att_listen_event(struct call *c, const struct media_event *ev)
{
    struct attendant_state *st = c->att;
    if (ev->type != MEDIA_EV_SPEECH || ev->op_id != st->listen_op || !st->hearing)
        return false; /* a listener stopped or replaced since */
    if (strcmp(ev->reason, "started") != 0)
        st->hearing = false; /* it has ended */
    return true;
}

int att_recognise(struct call *c, const struct att_phrases *ph, const struct media_event *ev,
                  att_heard_h *h)
{
    struct heard *hd = mem_zalloc(sizeof(*hd), heard_destructor);
    if (!hd)
        return ENOMEM;
    att_heard_more(c);
    hd->c = mem_ref(c);
    hd->gen = c->att->heard;
    hd->h = h;
    int err = speech_recognize(c->s->speech, ph->p, ph->n, ev->pcm, ev->samples, on_recognised, hd);
    mem_deref(hd);
    return err;
}

/* The menu's spoken words: every option's, and the operator's. */
static bool menu_speaks(const json_t *menu)
{
    const json_t *sp = json_object_get(menu, "speech");
    if (json_is_boolean(sp))
        return json_is_true(sp);
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(menu, "options"), i, o)
    {
        if (json_array_size(json_object_get(o, "say")))
            return true;
    }
    return false;
}

static void operator_words(const json_t *menu, struct att_phrases *ph)
{
    const json_t *words = json_object_get(menu, "operatorSay");
    if (!json_object_get(menu, "operator"))
        return;
    if (!words) {
        att_phrase_add(ph, "operator");
        return;
    }
    size_t i;
    json_t *w;
    json_array_foreach(words, i, w) att_phrase_add(ph, json_string_value(w));
}

static void menu_phrases(const json_t *menu, struct att_phrases *ph)
{
    size_t i, j;
    json_t *o, *w;
    ph->n = 0;
    json_array_foreach(json_object_get(menu, "options"), i, o)
    {
        json_array_foreach(json_object_get(o, "say"), j, w)
            att_phrase_add(ph, json_string_value(w));
    }
    operator_words(menu, ph);
}

/* Does one of these words say phrase? */
static bool says(const json_t *words, const char *phrase)
{
    struct att_phrases one;
    size_t i;
    json_t *w;
    json_array_foreach(words, i, w)
    {
        one.n = 0;
        if (att_phrase_add(&one, json_string_value(w)) && strcmp(one.text[0], phrase) == 0)
            return true;
    }
    return false;
}

/* ---- the menu ---- */

static void on_input_timeout(void *arg);

static void clear_input(struct attendant_state *st)
{
    st->n = 0;
    st->input[0] = '\0';
}

static void prompt(struct call *c)
{
    clear_input(c->att);
    c->att->listening = true;
    c->att->phase = PH_PROMPT;
    att_listen(c, menu_speaks(menu_of(c)));
    if (att_play(c, json_object_get(menu_of(c), "prompt"), OP_PROMPT) != 0)
        call_end_soon(c, "system", "prompt not available");
}

void att_go(struct call *c, const json_t *target, const char *why)
{
    tmr_cancel(&c->digit_tmr);
    c->att->listening = false;
    c->att->phase = PH_DONE;
    att_listen(c, false);
    att_heard_more(c);
    if (!target) {
        call_end_soon(c, "system", why);
        return;
    }
    json_t *t = json_incref((json_t *)target); /* the spec goes with the attendant */
    call_redirect(c, t);
    json_decref(t);
}

void att_retry(struct call *c, bool invalid)
{
    const json_t *menu = menu_of(c);
    json_t *r = json_object_get(menu, "retries");
    unsigned retries = json_is_integer(r) ? (unsigned)json_integer_value(r) : DEFAULT_RETRIES;
    c->att->dir = mem_deref(c->att->dir);
    if (c->att->tries++ >= retries) {
        att_go(c, json_object_get(menu, "default"), "no choice made in the attendant");
        return;
    }
    tmr_cancel(&c->digit_tmr);
    clear_input(c->att);
    if (invalid) {
        const json_t *sorry = json_object_get(menu, "invalid");
        json_t *dflt = sorry ? NULL : json_pack("{s:s}", "text", "Sorry, that is not an option.");
        c->att->phase = PH_SORRY;
        int err = att_play(c, sorry ? sorry : dflt, OP_SORRY);
        json_decref(dflt);
        if (!err)
            return; /* the prompt follows the apology */
    }
    prompt(c);
}

static void retry_event(struct call *c, bool invalid)
{
    att_event(c, invalid ? "attendantInvalid" : "attendantNoInput",
              json_pack("{s:s, s:s, s:i}", "input", c->att->input, "via", "dtmf", "try",
                        (int)c->att->tries + 1));
    att_retry(c, invalid);
}

static void on_input_timeout(void *arg)
{
    struct call *c = arg;
    if (c->ended || !c->att || c->att->phase == PH_DONE)
        return;
    if (c->att->dir) {
        directory_digit(c, 0); /* 0: the wait is over */
        return;
    }
    if (c->att->n) {
        attendant_digit(c, '#'); /* a pause ends the digits */
        return;
    }
    retry_event(c, false);
}

void att_wait(struct call *c, unsigned ms)
{
    tmr_start(&c->digit_tmr, ms, on_input_timeout, c);
}

void att_menu(struct call *c)
{
    prompt(c);
}

static const json_t *option_for(const json_t *menu, const char *key)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(menu, "options"), i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "key")), key) == 0)
            return o;
    }
    return NULL;
}

/* Does an enabled user's extension begin with (or equal) these digits? */
static int extension_match(struct call *c, const char *digits, bool exact)
{
    char like[40];
    snprintf(like, sizeof(like), "%s%s", digits, exact ? "" : "%");
    json_t *row = NULL;
    struct store_val v[] = {sv_text(like)};
    int err = store_query_one(c->s->app->store,
                              "SELECT extension FROM users WHERE extension LIKE ? AND disabled = 0"
                              " LIMIT 1",
                              v, 1, &row);
    json_decref(row);
    return err;
}

static json_t *choice_event(const char *key, const char *via, const char *target)
{
    return json_pack("{s:s, s:s, s:s}", "key", key, "input", via, "target", target);
}

static void choose(struct call *c, const json_t *o, json_t *data)
{
    const char *what = json_string_value(json_object_get(json_object_get(o, "target"), "kind"));
    if (!what)
        what = json_object_get(o, "announcement")               ? "announcement"
               : json_is_true(json_object_get(o, "dialByName")) ? "dialByName"
                                                                : "repeat";
    json_object_set_new(data, "target", json_string(what));
    att_event(c, "attendantOption", data);
    if (json_object_get(o, "target")) {
        att_go(c, json_object_get(o, "target"), "option without a target");
    } else if (json_object_get(o, "announcement")) {
        c->att->phase = PH_ANNOUNCE; /* a key may cut it short */
        clear_input(c->att);
        att_listen(c, false);
        if (att_play(c, json_object_get(o, "announcement"), OP_ANNOUNCE) != 0)
            prompt(c);
    } else if (json_is_true(json_object_get(o, "dialByName"))) {
        c->att->phase = PH_DIRECTORY;
        att_listen(c, false);
        if (directory_start(c) != 0)
            att_retry(c, true);
    } else {
        prompt(c);
    }
}

static void to_operator(struct call *c, json_t *data)
{
    att_event(c, "attendantOption", data);
    att_go(c, json_object_get(menu_of(c), "operator"), "no operator");
}

/* The caller's keys are complete: an option, the operator, an extension,
 * or nothing valid. */
static void decide(struct call *c)
{
    struct attendant_state *st = c->att;
    const json_t *menu = menu_of(c);
    const json_t *o = st->n == 1 ? option_for(menu, st->input) : NULL;
    if (o) {
        choose(c, o, choice_event(st->input, "dtmf", ""));
        return;
    }
    if (st->n == 1 && st->input[0] == '0' && json_object_get(menu, "operator")) {
        to_operator(c, choice_event("0", "dtmf", "operator"));
        return;
    }
    if (st->n > 1 && json_is_true(json_object_get(menu, "dialByExtension")) &&
        extension_match(c, st->input, true) == 0) {
        att_event(c, "attendantOption", choice_event(st->input, "dtmf", "extension"));
        json_t *t = json_pack("{s:s, s:s}", "kind", "extension", "extension", st->input);
        att_go(c, t, "no such extension");
        json_decref(t);
        return;
    }
    retry_event(c, true);
}

void attendant_digit(struct call *c, char digit)
{
    struct attendant_state *st = c->att;
    if (!st || !menu_of(c))
        return;
    if (st->dir) {
        directory_digit(c, digit);
        return;
    }
    if (!st->listening)
        return;
    if (!st->n) {
        app_barge(c); /* a key stops the greeting or the prompt */
        att_listen(c, false);
        att_heard_more(c); /* a key beats words still being recognised */
    }
    tmr_cancel(&c->digit_tmr);
    if (digit == '#' && st->n) {
        decide(c);
        return;
    }
    if (st->n < ATT_MAX_INPUT) {
        st->input[st->n++] = digit;
        st->input[st->n] = '\0';
    }
    /* Digits that may begin an extension wait for more; anything else is
     * decided now. */
    bool may_dial = json_is_true(json_object_get(menu_of(c), "dialByExtension")) && digit != '*' &&
                    digit != '#' && extension_match(c, st->input, false) == 0 &&
                    extension_match(c, st->input, true) != 0;
    if (may_dial)
        att_wait(c, NEXT_DIGIT_MS);
    else
        decide(c);
}

/* Words heard at the menu: the option that has them, the operator, or a
 * retry. */
static void menu_heard(struct call *c, const char *phrase, int confidence)
{
    const json_t *menu = menu_of(c);
    if (!*phrase) {
        att_event(c, "attendantNotRecognised",
                  json_pack("{s:s, s:i, s:i}", "via", "speech", "confidence", confidence, "try",
                            (int)c->att->tries + 1));
        att_retry(c, true);
        return;
    }
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(menu, "options"), i, o)
    {
        if (!says(json_object_get(o, "say"), phrase))
            continue;
        json_t *data = choice_event(json_string_value(json_object_get(o, "key")), "speech", "");
        json_object_set_new(data, "phrase", json_string(phrase));
        json_object_set_new(data, "confidence", json_integer(confidence));
        choose(c, o, data);
        return;
    }
    json_t *data = choice_event("0", "speech", "operator");
    json_object_set_new(data, "phrase", json_string(phrase));
    json_object_set_new(data, "confidence", json_integer(confidence));
    to_operator(c, data); /* the only other words in the grammar */
}

static void menu_speech(struct call *c, const struct media_event *ev)
{
    struct attendant_state *st = c->att;
    if (strcmp(ev->reason, "started") == 0) {
        if (st->n)
            return; /* keys first: the words do not count */
        app_barge(c);
        tmr_cancel(&c->digit_tmr); /* no "no input" while the caller talks */
        return;
    }
    if (!ev->pcm || st->n || st->phase == PH_DONE)
        return;
    struct att_phrases ph;
    menu_phrases(menu_of(c), &ph);
    if (att_recognise(c, &ph, ev, menu_heard) != 0)
        att_retry(c, true);
}

/* The flow for now: a holiday's own, after hours, or open. */
static void pick_flow(struct call *c)
{
    struct attendant_state *st = c->att;
    const json_t *hours = json_object_get(st->spec, "hours");
    st->flow = json_object_get(st->spec, "open");
    st->which = "open";
    if (!hours)
        return;
    const char *tz = settings_str(c->s->app, "organisation.timezone");
    struct schedule *sch = NULL;
    char why[200];
    if (schedule_compile(&sch, hours, tz ? tz : "UTC", why, sizeof(why)) != 0) {
        log_warn("sip", "attendant hours not usable", "call=%s why=\"%s\"", c->id, why);
        return;
    }
    const char *holiday = NULL;
    if (!schedule_is_open(sch, clock_now_ms(), &holiday)) {
        st->flow = json_object_get(st->spec, "closed");
        st->which = "closed";
        size_t i;
        json_t *h;
        json_array_foreach(json_object_get(st->spec, "holidays"), i, h)
        {
            const char *name = json_string_value(json_object_get(h, "name"));
            if (holiday && name && strcmp(name, holiday) == 0) {
                st->flow = json_object_get(h, "flow");
                st->which = name;
            }
        }
    }
    schedule_free(sch);
}

int attendant_start(struct call *c)
{
    const char *id = json_string_value(json_object_get(c->target, "attendant"));
    json_t *spec = voice_get(c->s->app, "attendants", id);
    if (!spec)
        return ENOENT;
    attendant_stop(c);
    c->att = mem_zalloc(sizeof(*c->att), state_destructor);
    if (!c->att) {
        json_decref(spec);
        return ENOMEM;
    }
    c->att->spec = spec;
    pick_flow(c);
    att_event(c, "attendantEntered", json_object());
    log_info("sip", "attendant", "call=%s attendant=%s flow=%s", c->id, id, c->att->which);
    const json_t *menu = menu_of(c);
    if (menu && menu_speaks(menu)) {
        struct att_phrases ph;
        menu_phrases(menu, &ph);
        speech_prepare(c->s->speech, ph.p, ph.n); /* ready by the time the caller speaks */
    }
    const json_t *greeting = json_object_get(c->att->flow, "greeting");
    c->att->listening = menu != NULL; /* keys may cut the greeting short */
    c->att->phase = PH_GREETING;
    if (greeting)
        return att_play(c, greeting, OP_GREETING);
    if (menu) {
        prompt(c);
        return 0;
    }
    att_go(c, json_object_get(c->att->flow, "target"), "attendant without a target");
    return 0;
}

void attendant_media_event(struct call *c, const struct media_event *ev)
{
    struct attendant_state *st = c->att;
    if (!st)
        return;
    if (ev->type == MEDIA_EV_DTMF) {
        attendant_digit(c, ev->digit);
        return;
    }
    if (st->dir) {
        directory_media_event(c, ev);
        return;
    }
    if (ev->type == MEDIA_EV_SPEECH) {
        if (att_listen_event(c, ev))
            menu_speech(c, ev);
        return;
    }
    if (ev->type != MEDIA_EV_PLAY_DONE || strcmp(ev->reason, "stopped") == 0)
        return;
    bool current = (ev->op_id == OP_GREETING && st->phase == PH_GREETING) ||
                   (ev->op_id == OP_PROMPT && st->phase == PH_PROMPT) ||
                   (ev->op_id == OP_ANNOUNCE && st->phase == PH_ANNOUNCE) ||
                   (ev->op_id == OP_SORRY && st->phase == PH_SORRY);
    if (!current || st->n)
        return;
    switch (ev->op_id) {
    case OP_GREETING:
        if (menu_of(c))
            prompt(c);
        else
            att_go(c, json_object_get(st->flow, "target"), "attendant without a target");
        break;
    case OP_PROMPT:
        att_wait(c, att_input_ms(c));
        break;
    default: /* an announcement or an apology: the menu again */
        prompt(c);
        break;
    }
}

void attendant_stop(struct call *c)
{
    if (c->att && c->att->hearing && !c->ended)
        media_listen_stop(c->s->media, c->leg);
    c->att = mem_deref(c->att);
}
