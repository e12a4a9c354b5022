/*
 * schema.h - the one validation path for configuration files and API
 * bodies. A schema is a static C table; validation walks a jansson value
 * and collects every problem with its key path and what was expected.
 *
 * Paths are printed the way a person reads them: "users[2].role",
 * "server.http.listen"; the root is "". JSON Pointers ("/users/2/role") are
 * also produced so the YAML loader's marks can give line and column.
 */
#ifndef SB_CORE_SCHEMA_H
#define SB_CORE_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum schema_type {
    SCHEMA_ANY = 0,
    SCHEMA_STRING,
    SCHEMA_INTEGER,
    SCHEMA_NUMBER, /* integer or real */
    SCHEMA_BOOLEAN,
    SCHEMA_OBJECT,
    SCHEMA_ARRAY,
};

struct schema;

struct schema_field {
    const char *name;
    const struct schema *schema;
    bool required;
};

/* Extra check for a value whose type already matched. Returns NULL if the
 * value is fine, else a phrase saying what was expected (static string). */
typedef const char *(schema_check_h)(const json_t *value);

struct schema {
    enum schema_type type;
    /* What is expected, in words, used in messages when nothing more
     * precise applies: e.g. "an address like 127.0.0.1:8080". */
    const char *expect;
    /* strings */
    size_t min_len, max_len;        /* max_len 0 means no limit */
    const char *const *enum_values; /* NULL-terminated list, or NULL */
    /* integers and numbers */
    bool has_min, has_max;
    double min, max;
    /* objects: fields, ended by {NULL}; unknown keys are errors unless
     * allow_unknown; map_values makes it a map (any key) of that schema */
    const struct schema_field *fields;
    bool allow_unknown;
    const struct schema *map_values;
    /* arrays */
    const struct schema *items;
    size_t min_items, max_items; /* max_items 0 means no limit */
    /* for arrays of objects: a field whose value must be unique, e.g. "name" */
    const char *unique_key;
    schema_check_h *check;
};

struct schema_problem {
    char path[256];    /* "users[2].role" */
    char pointer[256]; /* "/users/2/role" */
    bool at_key;       /* an unknown key: position is the key, not the value */
    char message[256]; /* "expected one of admin, manager, agent, expert; got \"boss\"" */
};

struct schema_result {
    struct schema_problem problems[16]; /* the first 16 */
    size_t count;                       /* all problems found, may exceed 16 */
};

/* Validate `value` against `schema`; `base_path`/`base_pointer` prefix the
 * reported paths (NULL or "" for the root). Problems are appended to
 * `result`, so zero it before the first call; several calls can collect
 * into one result. Returns true when this call found no problem. */
bool schema_validate(const struct schema *schema, const json_t *value, const char *base_path,
                     const char *base_pointer, struct schema_result *result);

/* Add a problem found by a check the schema cannot express (a kind's
 * cross-field rules). */
void schema_add_problem(struct schema_result *result, const char *path, const char *pointer,
                        bool at_key, const char *message);

/* The problems as a JSON array of {"path","message"} for API error details.
 * New reference. */
json_t *schema_result_json(const struct schema_result *result);

#endif
