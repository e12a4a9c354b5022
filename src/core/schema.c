/*
 * schema.c - validation of configuration trees and API bodies against the
 * static schema tables of schema.h.
 *
 * The walk never stops at the first problem: a person fixing a file wants
 * the whole list. Each problem carries the path the way people read it
 * ("users[2].role") and as a JSON Pointer ("/users/2/role") so the YAML
 * loader's marks can turn it into a line and column.
 */
#include "core/schema.h"
#include "core/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROBLEMS (sizeof(((struct schema_result *)0)->problems) / sizeof(struct schema_problem))
/* Schemas may refer to themselves (trees); values from outside may be
 * deep. Beyond this, the value is refused rather than walked. */
#define MAX_DEPTH 128

struct walk {
    struct schema_result *res;
    struct strbuf path, pointer;
    int depth;
};

static void copy_clipped(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
    text_utf8_clip(dst);
}

static void add_problem(struct walk *w, bool at_key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_problem(struct walk *w, bool at_key, const char *fmt, ...)
{
    size_t i = w->res->count++;
    if (i >= MAX_PROBLEMS)
        return;
    struct schema_problem *p = &w->res->problems[i];
    va_list ap;
    copy_clipped(p->path, sizeof(p->path), w->path.s);
    copy_clipped(p->pointer, sizeof(p->pointer), w->pointer.s);
    p->at_key = at_key;
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof(p->message), fmt, ap);
    va_end(ap);
    text_utf8_clip(p->message);
}

void schema_add_problem(struct schema_result *res, const char *path, const char *pointer,
                        bool at_key, const char *message)
{
    size_t i = res->count++;
    if (i >= MAX_PROBLEMS)
        return;
    struct schema_problem *p = &res->problems[i];
    copy_clipped(p->path, sizeof(p->path), path);
    copy_clipped(p->pointer, sizeof(p->pointer), pointer);
    p->at_key = at_key;
    copy_clipped(p->message, sizeof(p->message), message);
}

/* ---- paths ---- */

/* Keys made of these characters read well after a dot; others are shown
 * as ["a.b"] so the path stays unambiguous. */
static bool is_plain_key(const char *key, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

static void push_key_path(struct strbuf *path, const char *key, size_t len)
{
    if (is_plain_key(key, len)) {
        if (path->len)
            strbuf_append(path, ".", 1);
        strbuf_append(path, key, len);
        return;
    }
    strbuf_append(path, "[\"", 2);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)key[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            strbuf_append(path, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            strbuf_append(path, esc, 6);
        } else {
            strbuf_append(path, key + i, 1);
        }
    }
    strbuf_append(path, "\"]", 2);
}

static void push_key_pointer(struct strbuf *ptr, const char *key, size_t len)
{
    strbuf_append(ptr, "/", 1);
    for (size_t i = 0; i < len; i++) {
        if (key[i] == '~')
            strbuf_append(ptr, "~0", 2);
        else if (key[i] == '/')
            strbuf_append(ptr, "~1", 2);
        else
            strbuf_append(ptr, key + i, 1);
    }
}

struct saved {
    size_t path, pointer;
};

static struct saved push_key(struct walk *w, const char *key, size_t len)
{
    struct saved s = {w->path.len, w->pointer.len};
    push_key_path(&w->path, key, len);
    push_key_pointer(&w->pointer, key, len);
    return s;
}

static struct saved push_index(struct walk *w, size_t index)
{
    struct saved s = {w->path.len, w->pointer.len};
    char seg[32];
    snprintf(seg, sizeof(seg), "[%zu]", index);
    strbuf_puts(&w->path, seg);
    snprintf(seg, sizeof(seg), "/%zu", index);
    strbuf_puts(&w->pointer, seg);
    return s;
}

static void pop(struct walk *w, struct saved s)
{
    strbuf_truncate(&w->path, s.path);
    strbuf_truncate(&w->pointer, s.pointer);
}

/* ---- describing values ---- */

static const char *type_noun(enum schema_type type)
{
    switch (type) {
    case SCHEMA_STRING:
        return "a string";
    case SCHEMA_INTEGER:
        return "an integer";
    case SCHEMA_NUMBER:
        return "a number";
    case SCHEMA_BOOLEAN:
        return "true or false";
    case SCHEMA_OBJECT:
        return "an object";
    case SCHEMA_ARRAY:
        return "an array";
    case SCHEMA_ANY:
        break;
    }
    return "anything";
}

static const char *kind_noun(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_NULL:
        return "null";
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    }
    return "something else";
}

/* The value itself for scalars ("boss" quoted, 42), its kind otherwise. */
static void describe(char *dst, size_t size, const json_t *v)
{
    if (json_is_string(v))
        text_quote(dst, size, json_string_value(v), json_string_length(v), true);
    else if (json_is_integer(v))
        snprintf(dst, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(dst, size, "%.15g", json_real_value(v));
    else
        snprintf(dst, size, "%s", kind_noun(v));
}

static bool type_matches(enum schema_type type, const json_t *v)
{
    switch (type) {
    case SCHEMA_STRING:
        return json_is_string(v);
    case SCHEMA_INTEGER:
        return json_is_integer(v); /* 2.0 is a real, not an integer */
    case SCHEMA_NUMBER:
        return json_is_number(v);
    case SCHEMA_BOOLEAN:
        return json_is_boolean(v);
    case SCHEMA_OBJECT:
        return json_is_object(v);
    case SCHEMA_ARRAY:
        return json_is_array(v);
    case SCHEMA_ANY:
        break;
    }
    return true;
}

/* ---- scalars ---- */

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += !TEXT_IS_CONT(s[i]);
    return n;
}

static bool check_enum(struct walk *w, const struct schema *s, const json_t *v)
{
    char list[200] = "", got[80];
    size_t used = 0;
    for (const char *const *e = s->enum_values; *e; e++)
        if (strcmp(*e, json_string_value(v)) == 0 && strlen(*e) == json_string_length(v))
            return true;
    for (const char *const *e = s->enum_values; *e && used < sizeof(list); e++)
        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
                                 e == s->enum_values ? "" : ", ", *e);
    text_utf8_clip(list);
    describe(got, sizeof(got), v);
    add_problem(w, false, "expected one of %s; got %s", list, got);
    return false;
}

static bool check_string(struct walk *w, const struct schema *s, const json_t *v)
{
    size_t chars = utf8_chars(json_string_value(v), json_string_length(v));
    if (s->enum_values)
        return check_enum(w, s, v);
    if (chars < s->min_len) {
        add_problem(w, false, "expected at least %zu character%s, got %zu", s->min_len,
                    s->min_len == 1 ? "" : "s", chars);
        return false;
    }
    if (s->max_len && chars > s->max_len) {
        add_problem(w, false, "expected at most %zu character%s, got %zu", s->max_len,
                    s->max_len == 1 ? "" : "s", chars);
        return false;
    }
    return true;
}

static bool check_range(struct walk *w, const struct schema *s, const json_t *v)
{
    double d = json_number_value(v);
    char got[80];
    const char *noun = s->type == SCHEMA_INTEGER ? "an integer" : "a number";
    describe(got, sizeof(got), v);
    if (s->has_min && d < s->min) {
        add_problem(w, false, "expected %s >= %.15g, got %s", noun, s->min, got);
        return false;
    }
    if (s->has_max && d > s->max) {
        add_problem(w, false, "expected %s <= %.15g, got %s", noun, s->max, got);
        return false;
    }
    return true;
}

static void check_custom(struct walk *w, const struct schema *s, const json_t *v)
{
    char got[80];
    const char *phrase = s->check ? s->check(v) : NULL;
    if (!phrase)
        return;
    describe(got, sizeof(got), v);
    add_problem(w, false, "expected %s, got %s", phrase, got);
}

/* ---- objects ---- */

static void walk_value(struct walk *w, const struct schema *s, const json_t *v);

static const struct schema_field *find_field(const struct schema *s, const char *key, size_t len)
{
    for (const struct schema_field *f = s->fields; f && f->name; f++)
        if (strlen(f->name) == len && memcmp(f->name, key, len) == 0)
            return f;
    return NULL;
}

/* Edit distance, to suggest the key that was probably meant. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t row[65], prev_diag;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        prev_diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = prev_diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            prev_diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

static const char *suggest_field(const struct schema *s, const char *key, size_t len)
{
    const char *best = NULL;
    size_t best_d = 3; /* at most two edits away */
    if (len > 64)
        return NULL;
    for (const struct schema_field *f = s->fields; f && f->name; f++) {
        size_t flen = strlen(f->name);
        if (flen > 64)
            continue;
        size_t d = edit_distance(key, len, f->name, flen);
        if (d < best_d && d < flen) {
            best = f->name;
            best_d = d;
        }
    }
    return best;
}

static void unknown_key(struct walk *w, const struct schema *s, const char *key, size_t len)
{
    char shown[96];
    const char *hint = suggest_field(s, key, len);
    text_quote(shown, sizeof(shown), key, len, true);
    if (hint)
        add_problem(w, true, "unknown key %s (did you mean \"%s\"?)", shown, hint);
    else
        add_problem(w, true, "unknown key %s", shown);
}

static void walk_member(struct walk *w, const struct schema *s, const char *key, size_t len,
                        const json_t *v)
{
    const struct schema_field *f = find_field(s, key, len);
    struct saved at = push_key(w, key, len);
    if (f)
        walk_value(w, f->schema, v);
    else if (s->map_values)
        walk_value(w, s->map_values, v);
    else if (!s->allow_unknown)
        unknown_key(w, s, key, len);
    pop(w, at);
}

static void walk_object(struct walk *w, const struct schema *s, const json_t *obj)
{
    const char *key;
    size_t len;
    json_t *v;
    /* In the object's order, so problems come in the order of the file. */
    json_object_keylen_foreach((json_t *)obj, key, len, v)
    {
        walk_member(w, s, key, len, v);
    }
    for (const struct schema_field *f = s->fields; f && f->name; f++)
        if (f->required && !json_object_get(obj, f->name))
            add_problem(w, false, "missing required key \"%s\"", f->name);
}

/* ---- arrays ---- */

/* Remember element i's unique_key value; report it if an earlier element
 * had the same. `seen` maps the value's JSON text to the first index. */
static void check_unique(struct walk *w, const struct schema *s, json_t *seen, const json_t *item,
                         size_t i, size_t array_path_len)
{
    const json_t *v = json_is_object(item) ? json_object_get(item, s->unique_key) : NULL;
    char *text = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_t *first = text ? json_object_get(seen, text) : NULL;
    char shown[96];

    if (text && !first)
        json_object_set_new(seen, text, json_integer((json_int_t)i));
    if (first) {
        struct saved at = push_key(w, s->unique_key, strlen(s->unique_key));
        char also[300];
        snprintf(also, sizeof(also), "%.*s[%" JSON_INTEGER_FORMAT "]", (int)array_path_len,
                 w->path.s ? w->path.s : "", json_integer_value(first));
        text_utf8_clip(also);
        describe(shown, sizeof(shown), v);
        add_problem(w, false, "duplicate \"%s\" value %s (also at %s)", s->unique_key, shown, also);
        pop(w, at);
    }
    free(text);
}

static void check_items(struct walk *w, const struct schema *s, const json_t *arr)
{
    size_t n = json_array_size(arr);
    if (n < s->min_items)
        add_problem(w, false, "expected at least %zu item%s, got %zu", s->min_items,
                    s->min_items == 1 ? "" : "s", n);
    else if (s->max_items && n > s->max_items)
        add_problem(w, false, "expected at most %zu item%s, got %zu", s->max_items,
                    s->max_items == 1 ? "" : "s", n);
}

static void walk_array(struct walk *w, const struct schema *s, const json_t *arr)
{
    json_t *seen = s->unique_key ? json_object() : NULL;
    size_t array_path_len = w->path.len;
    check_items(w, s, arr);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *item = json_array_get(arr, i);
        struct saved at = push_index(w, i);
        if (s->items)
            walk_value(w, s->items, item);
        if (seen)
            check_unique(w, s, seen, item, i, array_path_len);
        pop(w, at);
    }
    json_decref(seen);
}

/* ---- the walk ---- */

static void walk_value(struct walk *w, const struct schema *s, const json_t *v)
{
    bool ok = true;
    if (!s)
        return;
    if (!type_matches(s->type, v)) {
        add_problem(w, false, "expected %s, got %s", s->expect ? s->expect : type_noun(s->type),
                    kind_noun(v));
        return;
    }
    if (w->depth >= MAX_DEPTH) {
        add_problem(w, false, "expected at most %d levels of nesting", MAX_DEPTH);
        return;
    }
    w->depth++;
    if (json_is_string(v) && s->type == SCHEMA_STRING)
        ok = check_string(w, s, v);
    else if (json_is_number(v) && (s->type == SCHEMA_INTEGER || s->type == SCHEMA_NUMBER))
        ok = check_range(w, s, v);
    else if (json_is_object(v) && s->type == SCHEMA_OBJECT)
        walk_object(w, s, v);
    else if (json_is_array(v) && s->type == SCHEMA_ARRAY)
        walk_array(w, s, v);
    if (ok)
        check_custom(w, s, v);
    w->depth--;
}

bool schema_validate(const struct schema *schema, const json_t *value, const char *base_path,
                     const char *base_pointer, struct schema_result *result)
{
    struct walk w = {.res = result};
    size_t before = result->count;
    strbuf_puts(&w.path, base_path ? base_path : "");
    strbuf_puts(&w.pointer, base_pointer ? base_pointer : "");
    if (!value)
        add_problem(&w, false, "expected a value, got nothing");
    else
        walk_value(&w, schema, value);
    free(w.path.s);
    free(w.pointer.s);
    return result->count == before;
}

json_t *schema_result_json(const struct schema_result *result)
{
    json_t *arr = json_array();
    size_t n = result->count < MAX_PROBLEMS ? result->count : MAX_PROBLEMS;
    for (size_t i = 0; arr && i < n; i++) {
        const struct schema_problem *p = &result->problems[i];
        json_t *item = json_pack("{s:s,s:s}", "path", p->path, "message", p->message);
        if (!item || json_array_append_new(arr, item)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}
