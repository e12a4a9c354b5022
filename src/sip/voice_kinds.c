/*
 * voice_kinds.c - the shared storage and checks of the voice
 * configuration kinds (see voice_kinds.h).
 */
#include "sip/voice_kinds.h"
#include "core/app.h"
#include "core/config.h"
#include "core/events.h"
#include "core/schema.h"
#include "store/store.h"

#include <stdio.h>

static const char table[] = "voice_objects";

int voice_put(struct app *app, const char *kind, const char *id, const json_t *obj)
{
    if (config_spec_unchanged(app, table, kind, id, obj))
        return 0;
    int err = config_spec_put(app, table, kind, id, obj);
    if (!err)
        err = events_append(app->events, "calls", "configUpdated", id, NULL,
                            json_pack("{s:s, s:s}", "kind", kind, "id", id));
    return err;
}

int voice_delete(struct app *app, const char *kind, const char *id)
{
    int err = config_spec_delete(app, table, kind, id);
    if (!err)
        err = events_append(app->events, "calls", "configDeleted", id, NULL,
                            json_pack("{s:s, s:s}", "kind", kind, "id", id));
    return err;
}

json_t *voice_get(struct app *app, const char *kind, const char *id)
{
    return id ? config_spec_get(app, table, kind, id) : NULL;
}

int voice_export(struct app *app, const char *kind, json_t **out)
{
    return config_export_specs(app, table, kind, out);
}

bool voice_referenced(struct app *app, const char *field, const char *id, const char *only_kind)
{
    /* Specs are stored compact with sorted keys: "field":"id" as text. */
    char like[200];
    snprintf(like, sizeof(like), "%%\"%s\":\"%s\"%%", field, id);
    json_t *row = NULL;
    struct store_val v[] = {sv_text(like), sv_text(only_kind), sv_text(only_kind)};
    int err = store_query_one(app->store,
                              "SELECT id FROM voice_objects WHERE spec LIKE ? AND"
                              " (? IS NULL OR kind = ?) LIMIT 1",
                              v, 3, &row);
    json_decref(row);
    return err == 0;
}

static const struct schema s_text = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 1000};
static const struct schema s_path = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 1024};
static const struct schema_field audio_fields[] = {
    {"text", &s_text, false},
    {"file", &s_path, false},
    {0},
};
const struct schema voice_audio = {.type = SCHEMA_OBJECT, .fields = audio_fields};

const char *voice_audio_problem(const json_t *audio)
{
    if (audio && !json_object_get(audio, "text") == !json_object_get(audio, "file"))
        return "give \"text\" (spoken) or \"file\" (a WAV), one of them";
    return NULL;
}
