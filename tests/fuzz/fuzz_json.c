/*
 * fuzz_json.c - libFuzzer target for API bodies: JSON text (jansson, as the
 * HTTP API reads it) validated against the server's own kinds and a wider
 * schema that uses every feature of the validator,
 * then written as YAML and read back, as `switchboard export` and `import`
 * would.
 *
 * The validator must never crash, must count what it stores, and its
 * problems must always make valid JSON. The YAML round trip must give an
 * equal tree whenever the tree is within the loader's limits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/modules.h"
#include "core/schema.h"
#include "core/yaml_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the schema: users, queues with steps, skills maps, a listen address ---- */

static const char *const roles[] = {"admin", "manager", "agent", "expert", NULL};
static const char *const actions[] = {"play", "menu", "queue", "voicemail", "hangup", NULL};

static const char *check_listen(const json_t *v)
{
    return strchr(json_string_value(v), ':') ? NULL : "an address like 127.0.0.1:8080";
}

static const struct schema name_s = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 64};
static const struct schema role_s = {.type = SCHEMA_STRING, .enum_values = roles};
static const struct schema capacity_s = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 10};
static const struct schema level_s = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 5};
static const struct schema skills_s = {.type = SCHEMA_OBJECT, .map_values = &level_s};
static const struct schema weight_s = {
    .type = SCHEMA_NUMBER, .has_min = true, .min = 0, .has_max = true, .max = 1};
static const struct schema bool_s = {.type = SCHEMA_BOOLEAN};
static const struct schema_field user_fields[] = {
    {"name", &name_s, true},      {"role", &role_s, true},      {"capacity", &capacity_s, false},
    {"skills", &skills_s, false}, {"weight", &weight_s, false}, {"enabled", &bool_s, false},
    {"password", &name_s, false}, {NULL, NULL, false},
};
static const struct schema user_s = {.type = SCHEMA_OBJECT, .fields = user_fields};
static const struct schema users_s = {
    .type = SCHEMA_ARRAY, .items = &user_s, .min_items = 1, .max_items = 100, .unique_key = "name"};

static const struct schema action_s = {.type = SCHEMA_STRING, .enum_values = actions};
static const struct schema timeout_s = {.type = SCHEMA_INTEGER, .has_min = true, .min = 0};
static const struct schema_field step_fields[] = {{"action", &action_s, true},
                                                  {"timeout", &timeout_s, false},
                                                  {"args", NULL, false},
                                                  {NULL, NULL, false}};
static const struct schema step_s = {.type = SCHEMA_OBJECT, .fields = step_fields};
static const struct schema steps_s = {.type = SCHEMA_ARRAY, .items = &step_s, .max_items = 8};
static const struct schema_field queue_fields[] = {
    {"name", &name_s, true}, {"steps", &steps_s, false}, {NULL, NULL, false}};
static const struct schema queue_s = {.type = SCHEMA_OBJECT, .fields = queue_fields};
static const struct schema queues_s = {
    .type = SCHEMA_ARRAY, .items = &queue_s, .unique_key = "name"};

static const struct schema listen_s = {
    .type = SCHEMA_STRING, .expect = "an address like 127.0.0.1:8080", .check = check_listen};
static const struct schema_field http_fields[] = {{"listen", &listen_s, true}, {NULL, NULL, false}};
static const struct schema http_s = {.type = SCHEMA_OBJECT, .fields = http_fields};
static const struct schema_field server_fields[] = {{"http", &http_s, false}, {NULL, NULL, false}};
static const struct schema server_s = {.type = SCHEMA_OBJECT, .fields = server_fields};
static const struct schema labels_s = {.type = SCHEMA_OBJECT, .map_values = &name_s};
static const struct schema extra_s = {.type = SCHEMA_OBJECT, .allow_unknown = true};

static const struct schema_field root_fields[] = {
    {"server", &server_s, false}, {"users", &users_s, true},  {"queues", &queues_s, false},
    {"labels", &labels_s, false}, {"extra", &extra_s, false}, {NULL, NULL, false},
};
static const struct schema root_s = {.type = SCHEMA_OBJECT, .fields = root_fields};

/* ---- checks ---- */

static void check_validation(const json_t *v)
{
    struct schema_result res = {0};
    bool ok = schema_validate(&root_s, v, NULL, NULL, &res);
    if (ok != (res.count == 0))
        abort();
    for (size_t i = 0; i < res.count && i < 16; i++) {
        const struct schema_problem *p = &res.problems[i];
        if (!memchr(p->path, '\0', sizeof(p->path)) ||
            !memchr(p->message, '\0', sizeof(p->message)) || !p->message[0] ||
            (p->pointer[0] && p->pointer[0] != '/'))
            abort();
    }
    json_t *list = schema_result_json(&res);
    if (!list || json_array_size(list) != (res.count < 16 ? res.count : 16))
        abort(); /* a message or path that is not valid UTF-8 */
    json_decref(list);
}

/* Container levels: the YAML loader takes at most 64. */
static size_t depth(const json_t *v)
{
    size_t d = 0, sub;
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, item) if ((sub = depth(item)) > d) d = sub;
        return d + 1;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, item) if ((sub = depth(item)) > d) d = sub;
        return d + 1;
    }
    return 0;
}

static void check_yaml_round_trip(const json_t *v)
{
    char *text = NULL;
    json_t *back = NULL;
    struct yaml_error err;
    if (depth(v) > 64)
        return;
    if (yaml_dump(v, &text))
        abort();
    if (yaml_load_buffer(text, strlen(text), &back, NULL, &err)) {
        fprintf(stderr, "reload failed at %d:%d: %s\n%s\n", err.line, err.column, err.message,
                text);
        abort();
    }
    if (!json_equal(v, back)) {
        char *a = json_dumps(v, JSON_ENCODE_ANY), *b = json_dumps(back, JSON_ENCODE_ANY);
        fprintf(stderr, "round trip changed the tree\n%s\n%s\n%s\n", text, a, b);
        abort();
    }
    json_decref(back);
    free(text);
}

/* The server's own kinds, as POST /v1/users and imports check them: each
 * whole document, and the value as one object of each kind. */
static void check_real_kinds(const json_t *v)
{
    static int registered;
    if (!registered++ && modules_register() != 0)
        abort();
    struct schema_result res;
    memset(&res, 0, sizeof(res));
    if (config_validate(v, &res) != (res.count == 0))
        abort();
    const char *kinds[] = {"server", "users", "apiKeys"};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        memset(&res, 0, sizeof(res));
        const struct config_kind *kind = config_kind_find(kinds[k]);
        if (!kind || config_validate_object(kind, v, "", "", &res) != (res.count == 0))
            abort();
        json_decref(schema_result_json(&res));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *v = json_loadb((const char *)data, size,
                           JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!v)
        return 0;
    check_validation(v);
    check_real_kinds(v);
    check_yaml_round_trip(v);
    json_decref(v);
    return 0;
}
