/*
 * specs.c - configuration kinds kept as JSON specs in a table with
 * (kind, id, spec, updated_at) columns (chat_objects, voice_objects):
 * read one, write one, delete one. The table name always comes from the
 * caller's code, never from input.
 */
#include "core/clock.h"
#include "core/config.h"
#include "core/app.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

json_t *config_spec_get(struct app *app, const char *table, const char *kind, const char *id)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT spec FROM %s WHERE kind = ? AND id = ?", table);
    json_t *row = NULL;
    struct store_val v[] = {sv_text(kind), sv_text(id)};
    if (!id || store_query_one(app->store, sql, v, 2, &row) != 0)
        return NULL;
    json_t *spec = json_loads(json_string_value(json_object_get(row, "spec")), 0, NULL);
    json_decref(row);
    return spec;
}

bool config_spec_unchanged(struct app *app, const char *table, const char *kind, const char *id,
                           const json_t *spec)
{
    json_t *old = config_spec_get(app, table, kind, id);
    bool same = old && json_equal(old, spec);
    json_decref(old);
    return same;
}

int config_spec_put(struct app *app, const char *table, const char *kind, const char *id,
                    const json_t *spec)
{
    char sql[200];
    snprintf(sql, sizeof(sql),
             "INSERT INTO %s (kind, id, spec, updated_at) VALUES (?, ?, ?, ?)"
             " ON CONFLICT (kind, id) DO UPDATE SET spec = excluded.spec,"
             " updated_at = excluded.updated_at",
             table);
    char *text = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return ENOMEM;
    struct store_val v[] = {sv_text(kind), sv_text(id), sv_text(text), sv_int(clock_now_ms())};
    int err = store_exec(app->store, sql, v, 4, NULL);
    free(text);
    return err;
}

int config_spec_delete(struct app *app, const char *table, const char *kind, const char *id)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE kind = ? AND id = ?", table);
    int64_t changes = 0;
    struct store_val v[] = {sv_text(kind), sv_text(id)};
    int err = store_exec(app->store, sql, v, 2, &changes);
    return err ? err : changes ? 0 : ENOENT;
}
