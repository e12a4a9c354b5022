/*
 * config.c - the kind registry, document validation and all-or-nothing
 * import/export (see config.h).
 */
#include "core/config.h"
#include "core/app.h"
#include "core/log.h"
#include "core/yaml_load.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_KINDS = 32 };

static const struct config_kind *kinds[MAX_KINDS];
static size_t nkinds;

int config_kind_register(const struct config_kind *kind)
{
    if (config_kind_find(kind->key))
        return 0;
    if (nkinds == MAX_KINDS)
        return ENOSPC;
    /* Keep the registry sorted by apply order (stable for equal orders). */
    size_t i = nkinds;
    while (i > 0 && kinds[i - 1]->order > kind->order) {
        kinds[i] = kinds[i - 1];
        i--;
    }
    kinds[i] = kind;
    nkinds++;
    return 0;
}

const struct config_kind *config_kind_find(const char *key)
{
    for (size_t i = 0; i < nkinds; i++) {
        if (strcmp(kinds[i]->key, key) == 0)
            return kinds[i];
    }
    return NULL;
}

bool config_validate_object(const struct config_kind *kind, const json_t *obj, const char *path,
                            const char *pointer, struct schema_result *res)
{
    size_t before = res->count;
    schema_validate(kind->schema, obj, path, pointer, res);
    if (res->count == before && kind->check)
        kind->check(obj, path, pointer, res);
    return res->count == before;
}

static void kind_names(char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < nkinds && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", kinds[i]->key);
}

static void validate_list(const struct config_kind *kind, const json_t *value,
                          struct schema_result *res)
{
    char pointer[128];
    snprintf(pointer, sizeof(pointer), "/%s", kind->key);
    const struct schema list = {
        .type = SCHEMA_ARRAY,
        .expect = "a list",
        .items = kind->schema,
        .unique_key = kind->id_key ? kind->id_key : "name",
    };
    size_t before = res->count;
    schema_validate(&list, value, kind->key, pointer, res);
    if (res->count != before || !kind->check)
        return;
    size_t i;
    const json_t *item;
    json_array_foreach(value, i, item)
    {
        char path[128], ptr[160];
        snprintf(path, sizeof(path), "%s[%zu]", kind->key, i);
        snprintf(ptr, sizeof(ptr), "%s/%zu", pointer, i);
        kind->check(item, path, ptr, res);
    }
}

bool config_validate(const json_t *doc, struct schema_result *res)
{
    memset(res, 0, sizeof(*res));
    char names[512];
    kind_names(names, sizeof(names));
    if (!json_is_object(doc)) {
        char msg[600];
        snprintf(msg, sizeof(msg), "expected a mapping with any of: %s", names);
        schema_add_problem(res, "", "", false, msg);
        return false;
    }
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)doc, key, value)
    {
        const struct config_kind *kind = config_kind_find(key);
        char pointer[300];
        snprintf(pointer, sizeof(pointer), "/%s", key);
        if (!kind) {
            char msg[700];
            snprintf(msg, sizeof(msg), "unknown key \"%.64s\"; expected one of %s", key, names);
            schema_add_problem(res, key, pointer, true, msg);
        } else if (kind->list) {
            validate_list(kind, value, res);
        } else {
            config_validate_object(kind, value, key, pointer, res);
        }
    }
    return res->count == 0;
}

/* Apply one kind's value; an object that cannot be applied is reported as
 * a problem at its own path, so a file's reader learns which one. */
static int apply_kind(struct app *app, const struct config_kind *kind, const json_t *value,
                      struct schema_result *res, const char **message)
{
    char path[128], pointer[128];
    int err = 0;
    if (!kind->list) {
        if ((err = kind->apply(app, value, message)) != 0) {
            snprintf(pointer, sizeof(pointer), "/%s", kind->key);
            schema_add_problem(res, kind->key, pointer, false, *message);
        }
        return err;
    }
    size_t i;
    const json_t *item;
    json_array_foreach(value, i, item)
    {
        if ((err = kind->apply(app, item, message)) != 0) {
            snprintf(path, sizeof(path), "%s[%zu]", kind->key, i);
            snprintf(pointer, sizeof(pointer), "/%s/%zu", kind->key, i);
            schema_add_problem(res, path, pointer, false, *message);
            return err;
        }
    }
    return 0;
}

int config_verify(struct app *app, const char **message)
{
    for (size_t k = 0; k < nkinds; k++) {
        int err = kinds[k]->verify ? kinds[k]->verify(app, message) : 0;
        if (err)
            return err;
    }
    return 0;
}

int config_apply(struct app *app, const json_t *doc, struct schema_result *res,
                 const char **message)
{
    if (!config_validate(doc, res))
        return EBADMSG;
    int err = store_begin(app->store);
    if (err) {
        *message = "the store is busy; try again";
        return err;
    }
    /* Apply in the kinds' order so that later kinds may refer to earlier
     * ones (a queue to its users, say). */
    for (size_t k = 0; k < nkinds && !err; k++) {
        const json_t *value = json_object_get(doc, kinds[k]->key);
        if (value)
            err = apply_kind(app, kinds[k], value, res, message);
    }
    if (!err) {
        err = config_verify(app, message);
        if (err)
            schema_add_problem(res, "", "", false, *message);
    }
    if (err) {
        store_rollback(app->store);
        return err;
    }
    err = store_commit(app->store);
    if (err)
        *message = "could not commit the configuration";
    return err;
}

/* The position of a problem: its own mark, else the nearest parent's. */
static void problem_position(const json_t *marks, const struct schema_problem *p, int *line,
                             int *col)
{
    char ptr[300];
    snprintf(ptr, sizeof(ptr), "%s%s", p->pointer, p->at_key ? "#key" : "");
    *line = *col = 0;
    for (;;) {
        const json_t *mark = json_object_get(marks, ptr);
        if (json_is_array(mark)) {
            *line = (int)json_integer_value(json_array_get(mark, 0));
            *col = (int)json_integer_value(json_array_get(mark, 1));
            return;
        }
        char *hash = strchr(ptr, '#');
        if (hash) {
            *hash = '\0';
            continue;
        }
        char *slash = strrchr(ptr, '/');
        if (!slash)
            return;
        *slash = '\0';
    }
}

static char *format_problems(const char *path, const json_t *marks, const struct schema_result *res)
{
    size_t stored = res->count < 16 ? res->count : 16;
    size_t size = 512 * (stored + 2);
    char *text = malloc(size);
    if (!text)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < stored; i++) {
        int line, col;
        const struct schema_problem *p = &res->problems[i];
        problem_position(marks, p, &line, &col);
        n += (size_t)snprintf(text + n, size - n, "%s:%d:%d: %s%s%s\n", path, line, col, p->path,
                              p->path[0] ? ": " : "", p->message);
    }
    if (res->count > stored)
        snprintf(text + n, size - n, "%s: and %zu more problems\n", path, res->count - stored);
    return text;
}

static char *format_text(const char *fmt, const char *a, int b, int c, const char *d)
{
    char *text = malloc(1024);
    if (text)
        snprintf(text, 1024, fmt, a, b, c, d);
    return text;
}

int config_import_yaml(struct app *app, const char *path, const char *text, char **errtext)
{
    json_t *doc = NULL, *marks = NULL;
    struct yaml_error yerr = {0};
    int err = text ? yaml_load_buffer(text, strlen(text), &doc, &marks, &yerr)
                   : yaml_load_file(path, &doc, &marks, &yerr);
    if (err) {
        *errtext = format_text("%s:%d:%d: %s\n", path, yerr.line, yerr.column, yerr.message);
        return err;
    }
    struct schema_result *res = calloc(1, sizeof(*res));
    const char *message = "could not apply the configuration";
    err = res ? config_apply(app, doc, res, &message) : ENOMEM;
    if (err && res && res->count)
        *errtext = format_problems(path, marks, res);
    else if (err)
        *errtext = format_text("%s:%d:%d: %s\n", path, 0, 0, message);
    free(res);
    json_decref(doc);
    json_decref(marks);
    return err;
}

int config_export(struct app *app, json_t **docp)
{
    json_t *doc = json_object();
    if (!doc)
        return ENOMEM;
    for (size_t k = 0; k < nkinds; k++) {
        json_t *value = NULL;
        int err = kinds[k]->export(app, &value);
        if (err) {
            json_decref(doc);
            return err;
        }
        if (value)
            json_object_set_new(doc, kinds[k]->key, value);
    }
    *docp = doc;
    return 0;
}

int config_export_specs(struct app *app, const char *table, const char *kind, json_t **out)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT spec FROM %s WHERE kind = ? ORDER BY id", table);
    json_t *rows;
    struct store_val v[] = {sv_text(kind)};
    int err = store_query_json(app->store, sql, v, 1, &rows);
    if (err)
        return err;
    json_t *list = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        json_t *spec = json_loads(json_string_value(json_object_get(row, "spec")), 0, NULL);
        if (spec)
            json_array_append_new(list, spec);
    }
    json_decref(rows);
    *out = json_array_size(list) ? list : (json_decref(list), NULL);
    return 0;
}
