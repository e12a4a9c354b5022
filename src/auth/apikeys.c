/*
 * apikeys.c - the apiKeys kind and key lookup (see apikeys.h).
 */
#include "auth/apikeys.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/events.h"
#include "core/ids.h"
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *check_key(const json_t *value)
{
    const char *s = json_string_value(value);
    if (strncmp(s, "sbk_", 4) != 0 || strlen(s) < 4 + 32)
        return "a key of \"sbk_\" and at least 32 random characters";
    return NULL;
}

static const char *check_key_hash(const json_t *value)
{
    const char *s = json_string_value(value);
    size_t n = 0;
    for (; s[n]; n++) {
        if (!isxdigit((unsigned char)s[n]) || isupper((unsigned char)s[n]))
            return "64 lowercase hex characters (the key's BLAKE2b-256 hash)";
    }
    return n == 64 ? NULL : "64 lowercase hex characters (the key's BLAKE2b-256 hash)";
}

static const struct schema s_name = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 64};
static const struct schema s_role = {.type = SCHEMA_STRING, .enum_values = role_names};
static const struct schema s_key = {.type = SCHEMA_STRING, .max_len = 256, .check = check_key};
static const struct schema s_hash = {.type = SCHEMA_STRING, .check = check_key_hash};

static const struct schema_field key_fields[] = {
    {"name", &s_name, true},
    {"role", &s_role, true},
    {"key", &s_key, false},
    {"keyHash", &s_hash, false},
    {0},
};

static const struct schema key_schema = {.type = SCHEMA_OBJECT, .fields = key_fields};

static void key_check(const json_t *obj, const char *path, const char *pointer,
                      struct schema_result *res)
{
    bool key = json_object_get(obj, "key"), hash = json_object_get(obj, "keyHash");
    if (key == hash)
        schema_add_problem(res, path, pointer, false, "give exactly one of key or keyHash");
}

static int key_apply(struct app *app, const json_t *obj, const char **message)
{
    const char *name = json_string_value(json_object_get(obj, "name"));
    const char *role = json_string_value(json_object_get(obj, "role"));
    const char *key = json_string_value(json_object_get(obj, "key"));
    char hash[TOKEN_HASH_SIZE];
    if (key)
        token_hash(hash, key, strlen(key));
    else
        snprintf(hash, sizeof(hash), "%s", json_string_value(json_object_get(obj, "keyHash")));

    json_t *old = NULL;
    struct store_val k[] = {sv_text(name)};
    int err = store_query_one(app->store, "SELECT id, role, key_hash FROM api_keys WHERE name = ?",
                              k, 1, &old);
    if (err && err != ENOENT)
        return err;
    if (old && strcmp(json_string_value(json_object_get(old, "role")), role) == 0 &&
        strcmp(json_string_value(json_object_get(old, "key_hash")), hash) == 0) {
        json_decref(old);
        return 0; /* unchanged */
    }
    char id[ID_SIZE];
    if (old)
        snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(old, "id")));
    else
        id_new(id, "key");
    json_decref(old);
    int64_t now = clock_now_ms();
    struct store_val v[] = {sv_text(id),   sv_text(name), sv_text(role),
                            sv_text(hash), sv_int(now),   sv_int(now)};
    err = store_exec(app->store,
                     "INSERT INTO api_keys (id, name, role, key_hash, created_at, updated_at)"
                     " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                     " role = excluded.role, key_hash = excluded.key_hash,"
                     " updated_at = excluded.updated_at",
                     v, 6, NULL);
    if (err) {
        *message = err == EEXIST ? "two API keys have the same key" : "could not store an API key";
        return err;
    }
    return events_append(app->events, "apiKeys", old ? "apiKey.updated" : "apiKey.created", id,
                         NULL, json_pack("{s:s, s:s, s:s}", "id", id, "name", name, "role", role));
}

static int key_export(struct app *app, json_t **out)
{
    json_t *rows;
    int err = store_query_json(app->store,
                               "SELECT name, role, key_hash AS keyHash FROM api_keys ORDER BY name",
                               NULL, 0, &rows);
    if (err)
        return err;
    *out = json_array_size(rows) ? rows : (json_decref(rows), NULL);
    return 0;
}

static const struct config_kind apikeys_kind = {
    .key = "apiKeys",
    .list = true,
    .order = 20,
    .schema = &key_schema,
    .check = key_check,
    .apply = key_apply,
    .export = key_export,
};

int apikeys_register(void)
{
    return config_kind_register(&apikeys_kind) | events_topic_register("apiKeys", ROLE_ADMIN, NULL);
}

int apikeys_authenticate(struct app *app, const char *key, struct principal *who)
{
    char hash[TOKEN_HASH_SIZE];
    token_hash(hash, key, strlen(key));
    json_t *row;
    struct store_val v[] = {sv_text(hash)};
    int err = store_query_one(app->store, "SELECT id, name, role FROM api_keys WHERE key_hash = ?",
                              v, 1, &row);
    if (err)
        return err;
    memset(who, 0, sizeof(*who));
    who->kind = PRINCIPAL_API_KEY;
    snprintf(who->id, sizeof(who->id), "%s", json_string_value(json_object_get(row, "id")));
    snprintf(who->name, sizeof(who->name), "%s", json_string_value(json_object_get(row, "name")));
    who->role = role_parse(json_string_value(json_object_get(row, "role")));
    json_decref(row);
    return 0;
}
