/*
 * attendant_kind.c - the "attendants" configuration kind (docs/voice.md):
 * its schema, the checks of a whole attendant (flows, targets, audio,
 * schedule, spoken words), storage through the voice kinds' shared table.
 * What a caller hears is attendant.c.
 */
#include "core/app.h"
#include "core/config.h"
#include "core/schedule.h"
#include "core/schema.h"
#include "sip/call.h"
#include "sip/sip_internal.h"
#include "sip/trunks.h"
#include "sip/voice_kinds.h"
#include "voice/asr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char kind[] = "attendants";

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
    {"dialByName", &s_bool, false},
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
    {"speech", &s_bool, false},
    {"operatorSay", &s_words, false},
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

/* Spoken words must be something the recogniser can be given: letters
 * (case and accents do not matter), apostrophes and spaces. */
static void check_words(const json_t *words, const char *where, const char *path,
                        const char *pointer, struct schema_result *res)
{
    size_t i;
    json_t *w;
    json_array_foreach(words, i, w)
    {
        char phrase[128], what[200];
        if (asr_name_phrase(json_string_value(w), phrase, sizeof(phrase)) == 0)
            continue;
        snprintf(what, sizeof(what), "\"%.60s\" cannot be spoken: use words of letters",
                 json_string_value(w));
        problem(res, path, pointer, where, what);
    }
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
    snprintf(where, sizeof(where), "%s.menu.operatorSay", name);
    check_words(json_object_get(menu, "operatorSay"), where, path, pointer, res);
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
                      json_is_true(json_object_get(o, "repeat")) +
                      json_is_true(json_object_get(o, "dialByName"));
        if (actions != 1)
            problem(res, path, pointer, where,
                    "an option needs one of \"target\", \"announcement\", \"repeat: true\" "
                    "or \"dialByName: true\"");
        check_words(json_object_get(o, "say"), where, path, pointer, res);
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
