/*
 * attendant.c - auto attendants (config kind "attendants", docs/voice.md):
 * a caller hears the flow for the moment (business hours, after hours, or
 * a holiday's own flow, by the attendant's schedule in the organisation's
 * time zone): a greeting, then either a target or a menu. A menu's options
 * are keys (0-9, * and #) that lead to a target, an announcement (then the
 * menu again) or the menu again; 0 reaches the operator when no option
 * takes it; with dial by extension, digits that begin an extension are
 * collected (# or a pause ends them) and that person is rung. No input or
 * a wrong key repeats the menu up to `retries` times, then the default
 * target (disconnect unless configured). Pressing a key stops the prompt.
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/events.h"
#include "core/log.h"
#include "core/schedule.h"
#include "core/schema.h"
#include "core/settings.h"
#include "media/media.h"
#include "sip/call.h"
#include "sip/sip_internal.h"
#include "sip/trunks.h"
#include "sip/voice_kinds.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char kind[] = "attendants";

enum {
    OP_GREETING = 30,
    OP_PROMPT = 31,
    OP_ANNOUNCE = 32,
    OP_SORRY = 33,
    DEFAULT_INPUT_S = 5,
    DEFAULT_RETRIES = 2,
    NEXT_DIGIT_MS = 2000,
    MAX_INPUT = 12,
};

/* ---- the configuration kind ---- */

static const struct schema s_id = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 64};
static const struct schema s_text = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 1000};
static const struct schema s_bool = {.type = SCHEMA_BOOLEAN};
static const char *const keys[] = {"0", "1", "2", "3", "4", "5", "6",
                                   "7", "8", "9", "*", "#", NULL};
static const struct schema s_key = {.type = SCHEMA_STRING, .enum_values = keys};
static const struct schema s_word = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 64};
static const struct schema s_words = {.type = SCHEMA_ARRAY, .items = &s_word, .max_items = 10};
static const struct schema s_retries = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 0, .has_max = true, .max = 10};
static const struct schema s_seconds = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 60};
static const struct schema s_any_object = {.type = SCHEMA_OBJECT, .allow_unknown = true};

static const struct schema_field option_fields[] = {
    {"key", &s_key, true},
    {"say", &s_words, false},
    {"target", &s_any_object, false},
    {"announcement", &voice_audio, false},
    {"repeat", &s_bool, false},
    {0},
};
static const struct schema s_option = {.type = SCHEMA_OBJECT, .fields = option_fields};
static const struct schema s_options = {
    .type = SCHEMA_ARRAY, .items = &s_option, .max_items = 12, .unique_key = "key"};

static const struct schema_field menu_fields[] = {
    {"prompt", &voice_audio, true},
    {"options", &s_options, false},
    {"operator", &s_any_object, false},
    {"dialByExtension", &s_bool, false},
    {"retries", &s_retries, false},
    {"inputSeconds", &s_seconds, false},
    {"invalid", &voice_audio, false},
    {"default", &s_any_object, false},
    {0},
};
static const struct schema s_menu = {.type = SCHEMA_OBJECT, .fields = menu_fields};

static const struct schema_field flow_fields[] = {
    {"greeting", &voice_audio, false},
    {"menu", &s_menu, false},
    {"target", &s_any_object, false},
    {0},
};
static const struct schema s_flow = {.type = SCHEMA_OBJECT, .fields = flow_fields};

static const struct schema_field holiday_fields[] = {
    {"name", &s_text, true},
    {"flow", &s_flow, true},
    {0},
};
static const struct schema s_holiday = {.type = SCHEMA_OBJECT, .fields = holiday_fields};
static const struct schema s_holidays = {
    .type = SCHEMA_ARRAY, .items = &s_holiday, .max_items = 100, .unique_key = "name"};

static const struct schema_field attendant_fields[] = {
    {"id", &s_id, true},
    {"name", &s_text, false},
    {"hours", &s_any_object, false},
    {"open", &s_flow, true},
    {"closed", &s_flow, false},
    {"holidays", &s_holidays, false},
    {0},
};
static const struct schema attendant_schema = {.type = SCHEMA_OBJECT, .fields = attendant_fields};

static void problem(struct schema_result *res, const char *path, const char *pointer,
                    const char *where, const char *what)
{
    char msg[256];
    int n = snprintf(msg, sizeof(msg), "%.100s: %.150s", where, what);
    (void)n;
    schema_add_problem(res, path, pointer, false, msg);
}

/* A target inside the flow, checked as a number's target is. */
static void check_target(const json_t *t, const char *where, const char *path, const char *pointer,
                         struct schema_result *res)
{
    char buf[256];
    const char *why = t ? target_invalid(t, buf, sizeof(buf)) : NULL;
    if (why)
        problem(res, path, pointer, where, why);
}

static void check_audio(const json_t *a, const char *where, const char *path, const char *pointer,
                        struct schema_result *res)
{
    const char *why = voice_audio_problem(a);
    if (why)
        problem(res, path, pointer, where, why);
}

static void check_flow(const json_t *f, const char *name, const char *path, const char *pointer,
                       struct schema_result *res)
{
    char where[160];
    if (!f)
        return;
    const json_t *menu = json_object_get(f, "menu");
    if (!menu == !json_object_get(f, "target")) {
        problem(res, path, pointer, name, "a flow needs a \"menu\" or a \"target\", one of them");
        return;
    }
    snprintf(where, sizeof(where), "%s.greeting", name);
    check_audio(json_object_get(f, "greeting"), where, path, pointer, res);
    snprintf(where, sizeof(where), "%s.target", name);
    check_target(json_object_get(f, "target"), where, path, pointer, res);
    if (!menu)
        return;
    snprintf(where, sizeof(where), "%s.menu.prompt", name);
    check_audio(json_object_get(menu, "prompt"), where, path, pointer, res);
    const char *more[] = {"operator", "default"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(where, sizeof(where), "%s.menu.%s", name, more[i]);
        check_target(json_object_get(menu, more[i]), where, path, pointer, res);
    }
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(menu, "options"), i, o)
    {
        snprintf(where, sizeof(where), "%s.menu.options[%zu]", name, i);
        int actions = !!json_object_get(o, "target") + !!json_object_get(o, "announcement") +
                      json_is_true(json_object_get(o, "repeat"));
        if (actions != 1)
            problem(res, path, pointer, where,
                    "an option needs one of \"target\", \"announcement\" or \"repeat: true\"");
        check_target(json_object_get(o, "target"), where, path, pointer, res);
        check_audio(json_object_get(o, "announcement"), where, path, pointer, res);
    }
}

static void attendant_check(const json_t *obj, const char *path, const char *pointer,
                            struct schema_result *res)
{
    const json_t *hours = json_object_get(obj, "hours");
    if (hours) {
        struct schedule *sch = NULL;
        char why[200];
        if (schedule_compile(&sch, hours, "UTC", why, sizeof(why)) != 0)
            problem(res, path, pointer, "hours", why);
        schedule_free(sch);
        if (!json_object_get(obj, "closed"))
            problem(res, path, pointer, "closed",
                    "an attendant with hours needs a \"closed\" flow for after hours");
    }
    check_flow(json_object_get(obj, "open"), "open", path, pointer, res);
    check_flow(json_object_get(obj, "closed"), "closed", path, pointer, res);
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(obj, "holidays"), i, h)
    {
        char name[64];
        snprintf(name, sizeof(name), "holidays[%zu].flow", i);
        check_flow(json_object_get(h, "flow"), name, path, pointer, res);
    }
}

static int attendant_apply(struct app *app, const json_t *obj, const char **message)
{
    (void)message;
    return voice_put(app, kind, json_string_value(json_object_get(obj, "id")), obj);
}

static int attendant_export(struct app *app, json_t **out)
{
    return voice_export(app, kind, out);
}

static json_t *attendant_get(struct app *app, const char *id)
{
    return voice_get(app, kind, id);
}

static int attendant_remove(struct app *app, const char *id, const char **why)
{
    if (voice_referenced(app, "attendant", id, NULL)) {
        *why = "a number or another attendant leads to this attendant: change it first";
        return EBUSY;
    }
    return voice_delete(app, kind, id);
}

int attendants_register(void)
{
    static const struct config_kind k = {
        .key = "attendants",
        .list = true,
        .id_key = "id",
        .order = 51, /* before numbers (53), which lead to attendants */
        .schema = &attendant_schema,
        .check = attendant_check,
        .apply = attendant_apply,
        .export = attendant_export,
        .get = attendant_get,
        .remove = attendant_remove,
    };
    return config_kind_register(&k);
}

bool attendant_exists(struct sipsvc *s, const char *id)
{
    json_t *a = voice_get(s->app, kind, id);
    json_decref(a);
    return a != NULL;
}

/* ---- a caller in the attendant ---- */

enum phase { PH_GREETING, PH_PROMPT, PH_ANNOUNCE, PH_SORRY, PH_DONE };

struct attendant_state {
    enum phase phase;   /* what is playing: a stale play's end is ignored */
    json_t *spec;       /* the attendant */
    const json_t *flow; /* the flow for now (in spec) */
    const char *which;  /* "open", "closed", or the holiday's name */
    char input[MAX_INPUT + 1];
    unsigned n;
    unsigned tries;
    bool listening; /* keys count */
};

static void state_destructor(void *arg)
{
    struct attendant_state *st = arg;
    json_decref(st->spec);
}

static const json_t *menu_of(const struct call *c)
{
    return json_object_get(c->att->flow, "menu");
}

static void att_event(struct call *c, const char *type, json_t *data)
{
    json_object_set_new(data, "callId", json_string(c->id));
    json_object_set_new(data, "attendant", json_copy(json_object_get(c->att->spec, "id")));
    json_object_set_new(data, "flow", json_string(c->att->which));
    if (events_append(c->s->app->events, "calls", type, c->id, NULL, data) != 0)
        log_error("sip", "attendant event not stored", "call=%s type=%s", c->id, type);
}

static int play(struct call *c, const json_t *audio, uint32_t op)
{
    const char *text = json_string_value(json_object_get(audio, "text"));
    const char *file = json_string_value(json_object_get(audio, "file"));
    if (file)
        return media_play(c->s->media, c->leg, file, false, op);
    return app_speak(c, text ? text : "", op);
}

static void on_input_timeout(void *arg);

static void clear_input(struct attendant_state *st);

static void prompt(struct call *c)
{
    clear_input(c->att);
    c->att->listening = true;
    c->att->phase = PH_PROMPT;
    if (play(c, json_object_get(menu_of(c), "prompt"), OP_PROMPT) != 0)
        call_end_soon(c, "system", "prompt not available");
}

static void go(struct call *c, const json_t *target, const char *why)
{
    tmr_cancel(&c->digit_tmr);
    c->att->listening = false;
    c->att->phase = PH_DONE;
    if (!target) {
        call_end_soon(c, "system", why);
        return;
    }
    json_t *t = json_incref((json_t *)target); /* the spec goes with the attendant */
    call_redirect(c, t);
    json_decref(t);
}

/* No input, or a wrong one: the menu again, or the default at the end. */
static void retry(struct call *c, bool invalid)
{
    const json_t *menu = menu_of(c);
    json_t *r = json_object_get(menu, "retries");
    unsigned retries = json_is_integer(r) ? (unsigned)json_integer_value(r) : DEFAULT_RETRIES;
    att_event(c, invalid ? "attendantInvalid" : "attendantNoInput",
              json_pack("{s:s, s:i}", "input", c->att->input, "try", (int)c->att->tries + 1));
    if (c->att->tries++ >= retries) {
        go(c, json_object_get(menu, "default"), "no choice made in the attendant");
        return;
    }
    tmr_cancel(&c->digit_tmr);
    clear_input(c->att);
    if (invalid) {
        const json_t *sorry = json_object_get(menu, "invalid");
        json_t *dflt = sorry ? NULL : json_pack("{s:s}", "text", "Sorry, that is not an option.");
        c->att->phase = PH_SORRY;
        int err = play(c, sorry ? sorry : dflt, OP_SORRY);
        json_decref(dflt);
        if (!err)
            return; /* the prompt follows the apology */
    }
    prompt(c);
}

static void on_input_timeout(void *arg)
{
    struct call *c = arg;
    if (c->ended || !c->att)
        return;
    if (c->att->n) {
        attendant_digit(c, '#'); /* a pause ends the digits */
        return;
    }
    retry(c, false);
}

static void wait_input(struct call *c, unsigned ms)
{
    tmr_start(&c->digit_tmr, ms, on_input_timeout, c);
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

static void clear_input(struct attendant_state *st)
{
    st->n = 0;
    st->input[0] = '\0';
}

static void choose(struct call *c, const json_t *o, const char *key)
{
    const char *what = json_string_value(json_object_get(json_object_get(o, "target"), "kind"));
    if (!what)
        what = json_object_get(o, "announcement") ? "announcement" : "repeat";
    att_event(c, "attendantOption",
              json_pack("{s:s, s:s, s:s}", "key", key, "input", "dtmf", "target", what));
    if (json_object_get(o, "target")) {
        go(c, json_object_get(o, "target"), "option without a target");
    } else if (json_object_get(o, "announcement")) {
        c->att->phase = PH_ANNOUNCE; /* a key may cut it short */
        clear_input(c->att);
        if (play(c, json_object_get(o, "announcement"), OP_ANNOUNCE) != 0)
            prompt(c);
    } else {
        prompt(c);
    }
}

/* The caller's keys are complete: an option, the operator, an extension,
 * or nothing valid. */
static void decide(struct call *c)
{
    struct attendant_state *st = c->att;
    const json_t *menu = menu_of(c);
    const json_t *o = st->n == 1 ? option_for(menu, st->input) : NULL;
    if (o) {
        choose(c, o, st->input);
        return;
    }
    if (st->n == 1 && st->input[0] == '0' && json_object_get(menu, "operator")) {
        att_event(c, "attendantOption",
                  json_pack("{s:s, s:s, s:s}", "key", "0", "input", "dtmf", "target", "operator"));
        go(c, json_object_get(menu, "operator"), "no operator");
        return;
    }
    if (st->n > 1 && json_is_true(json_object_get(menu, "dialByExtension")) &&
        extension_match(c, st->input, true) == 0) {
        att_event(
            c, "attendantOption",
            json_pack("{s:s, s:s, s:s}", "key", st->input, "input", "dtmf", "target", "extension"));
        json_t *t = json_pack("{s:s, s:s}", "kind", "extension", "extension", st->input);
        go(c, t, "no such extension");
        json_decref(t);
        return;
    }
    retry(c, true);
}

void attendant_digit(struct call *c, char digit)
{
    struct attendant_state *st = c->att;
    if (!st || !st->listening || !menu_of(c))
        return;
    if (!st->n)
        app_barge(c); /* a key stops the greeting or the prompt */
    tmr_cancel(&c->digit_tmr);
    if (digit == '#' && st->n) {
        decide(c);
        return;
    }
    if (st->n < MAX_INPUT) {
        st->input[st->n++] = digit;
        st->input[st->n] = '\0';
    }
    /* Digits that may begin an extension wait for more; anything else is
     * decided now. */
    bool may_dial = json_is_true(json_object_get(menu_of(c), "dialByExtension")) && digit != '*' &&
                    digit != '#' && extension_match(c, st->input, false) == 0 &&
                    extension_match(c, st->input, true) != 0;
    if (may_dial)
        wait_input(c, NEXT_DIGIT_MS);
    else
        decide(c);
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
    json_t *spec = voice_get(c->s->app, kind, id);
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
    const json_t *greeting = json_object_get(c->att->flow, "greeting");
    c->att->listening = menu_of(c) != NULL; /* keys may cut the greeting short */
    c->att->phase = PH_GREETING;
    if (greeting)
        return play(c, greeting, OP_GREETING);
    if (menu_of(c)) {
        prompt(c);
        return 0;
    }
    go(c, json_object_get(c->att->flow, "target"), "attendant without a target");
    return 0;
}

void attendant_media_event(struct call *c, const struct media_event *ev)
{
    if (!c->att)
        return;
    if (ev->type == MEDIA_EV_DTMF) {
        attendant_digit(c, ev->digit);
        return;
    }
    if (ev->type != MEDIA_EV_PLAY_DONE || strcmp(ev->reason, "stopped") == 0)
        return;
    struct attendant_state *st = c->att;
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
            go(c, json_object_get(st->flow, "target"), "attendant without a target");
        break;
    case OP_PROMPT: {
        json_t *s = json_object_get(menu_of(c), "inputSeconds");
        wait_input(c,
                   (unsigned)(json_is_integer(s) ? json_integer_value(s) : DEFAULT_INPUT_S) * 1000);
        break;
    }
    default: /* an announcement or an apology: the menu again */
        prompt(c);
        break;
    }
}

void attendant_stop(struct call *c)
{
    c->att = mem_deref(c->att);
}
