/*
 * labels.c - interning of label keys and values, compact label arrays,
 * and worker selectors (parsing, matching, JSON).
 *
 * Keys, channel ids and worker/selector string values are interned once
 * (when a policy, worker or job is set) to uint32 symbols, so matching a
 * selector is a binary search over a worker's few labels and an integer
 * compare. Job label values are not interned (a customer id would grow
 * the table forever); they are copied with the job and compare by text.
 */
#include "router/router_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int symtab_init(struct symtab *t)
{
    int err = rmap_alloc(&t->map, 1024);
    if (err)
        return err;
    t->cap = 1024;
    t->names = calloc(t->cap, sizeof(*t->names));
    t->json = calloc(t->cap, sizeof(*t->json));
    t->kidx = calloc(t->cap, sizeof(*t->kidx));
    t->n = 1; /* 0 is SYM_NONE */
    return t->names && t->json && t->kidx ? 0 : ENOMEM;
}

void symtab_free(struct symtab *t)
{
    for (uint32_t i = 1; i < t->n; i++) {
        free(t->names[i]);
        json_decref(t->json[i]);
    }
    free(t->names);
    free(t->json);
    free(t->kidx);
    rmap_free(t->map);
    memset(t, 0, sizeof(*t));
}

uint32_t sym_find(const struct router *r, const char *s)
{
    return (uint32_t)(uintptr_t)rmap_get(r->syms.map, s);
}

uint32_t sym_intern(struct router *r, const char *s)
{
    struct symtab *t = &r->syms;
    uint32_t sym = sym_find(r, s);
    if (sym)
        return sym;
    if (t->n == t->cap) {
        char **names = realloc(t->names, t->cap * 2 * sizeof(*names));
        if (names)
            t->names = names;
        json_t **json = names ? realloc(t->json, t->cap * 2 * sizeof(*json)) : NULL;
        if (json)
            t->json = json;
        uint32_t *kidx = json ? realloc(t->kidx, t->cap * 2 * sizeof(*kidx)) : NULL;
        if (!kidx)
            abort();
        t->kidx = kidx;
        memset(json + t->cap, 0, t->cap * sizeof(*json));
        memset(kidx + t->cap, 0, t->cap * sizeof(*kidx));
        t->cap *= 2;
    }
    sym = t->n++;
    t->names[sym] = xstrdup(s);
    if (rmap_put(t->map, t->names[sym], (void *)(uintptr_t)sym))
        abort();
    return sym;
}

static unsigned recent_slot(const char *s, size_t len)
{
    unsigned h = (unsigned)len * 31u + (uint8_t)s[0];
    if (len > 1)
        h = h * 31u + (uint8_t)s[len - 1];
    if (len > 2)
        h = h * 31u + (uint8_t)s[len / 2];
    return h & 255;
}

uint32_t sym_intern_n(struct router *r, const char *s, size_t len)
{
    struct symtab *t = &r->syms;
    unsigned at = recent_slot(s, len);
    uint32_t sym = t->recent[at].sym;
    /* names[sym] is exactly recent.len long: an equal compare of len
     * bytes means the same string */
    if (sym && t->recent[at].len == len && !memcmp(t->names[sym], s, len))
        return sym;
    sym = sym_intern(r, s);
    t->recent[at].sym = sym;
    t->recent[at].len = (uint32_t)strlen(t->names[sym]);
    return sym;
}

const char *sym_name(const struct router *r, uint32_t sym)
{
    return sym && sym < r->syms.n ? r->syms.names[sym] : "";
}

uint32_t label_key_index(struct router *r, uint32_t key)
{
    struct symtab *t = &r->syms;
    if (!t->kidx[key])
        t->kidx[key] = ++t->nkeys;
    return t->kidx[key];
}

json_t *sym_json(struct router *r, uint32_t sym)
{
    struct symtab *t = &r->syms;
    if (!sym || sym >= t->n)
        return json_null();
    if (!t->json[sym])
        t->json[sym] = json_string(t->names[sym]);
    return t->json[sym] ? t->json[sym] : json_null();
}

static int cmp_label(const void *a, const void *b)
{
    const struct label *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* A JSON scalar as a label value; false if it has no label type. Not
 * interned, a string is copied to *arena (advanced past it). */
static bool lval_from_json(struct router *r, const json_t *v, bool intern, char **arena,
                           struct lval *out)
{
    memset(out, 0, sizeof(*out));
    if (json_is_string(v)) {
        out->type = LAB_STR;
        if (intern) {
            out->sym = sym_intern_n(r, json_string_value(v), json_string_length(v));
            out->str = sym_name(r, out->sym);
        } else {
            /* no symbol (compared by text): looking one up cost more than
             * the few compares it would save */
            size_t len = json_string_length(v);
            memcpy(*arena, json_string_value(v), len + 1);
            out->str = *arena;
            *arena += len + 1;
        }
    } else if (json_is_number(v)) {
        out->type = LAB_NUM;
        out->num = json_number_value(v);
    } else if (json_is_boolean(v)) {
        out->type = LAB_BOOL;
        out->b = json_is_true(v);
    } else {
        return false;
    }
    return true;
}

/* Room for the string values, when they are copied. */
static size_t strings_size(const json_t *obj)
{
    size_t n = 0;
    for (void *it = json_object_iter((json_t *)obj); it;
         it = json_object_iter_next((json_t *)obj, it)) {
        const json_t *v = json_object_iter_value(it);
        if (json_is_string(v))
            n += json_string_length(v) + 1;
    }
    return n;
}

size_t labels_room(const json_t *obj, bool intern_values)
{
    if (!json_is_object(obj))
        return 0;
    size_t n = json_object_size(obj) * sizeof(struct label);
    return n + (intern_values || !n ? 0 : strings_size(obj));
}

int labels_parse(struct router *r, const json_t *obj, bool intern_values, struct labels *out,
                 const char *ctx)
{
    return labels_parse_in(r, obj, intern_values, out, ctx, NULL);
}

int labels_parse_in(struct router *r, const json_t *obj, bool intern_values, struct labels *out,
                    const char *ctx, void *room)
{
    memset(out, 0, sizeof(*out));
    if (!obj || json_is_null(obj))
        return 0;
    if (!json_is_object(obj))
        return bad(r, "%s: labels must be an object", ctx);
    size_t n = json_object_size(obj);
    if (!n)
        return 0;
    /* one block: the sorted array, then the copied strings */
    out->v = room ? room : xcalloc(1, labels_room(obj, intern_values));
    out->borrowed = room != NULL;
    char *arena = (char *)(out->v + n);
    const char *key;
    json_t *v;
    OBJECT_EACH(obj, it, key, v)
    {
        if (json_is_null(v))
            continue; /* null reads as absent */
        struct label *l = &out->v[out->n];
        if (!lval_from_json(r, v, intern_values, &arena, &l->v)) {
            labels_free(out);
            return bad(r, "%s: label '%s' must be a string, number or boolean", ctx, key);
        }
        l->key = sym_intern_n(r, key, json_object_iter_key_len(it));
        out->n++;
    }
    if (out->n > 8) {
        qsort(out->v, out->n, sizeof(*out->v), cmp_label);
        return 0;
    }
    for (unsigned i = 1; i < out->n; i++) { /* few labels: insertion sort */
        struct label l = out->v[i];
        unsigned k = i;
        for (; k > 0 && out->v[k - 1].key > l.key; k--)
            out->v[k] = out->v[k - 1];
        out->v[k] = l;
    }
    return 0;
}

void labels_free(struct labels *l)
{
    if (!l->borrowed)
        free(l->v);
    memset(l, 0, sizeof(*l));
}

const struct lval *labels_find(const struct labels *l, uint32_t key)
{
    unsigned lo = 0, hi = l->n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (l->v[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->n && l->v[lo].key == key ? &l->v[lo].v : NULL;
}

bool lval_equal(const struct router *r, const struct lval *a, const struct lval *b)
{
    (void)r;
    return lval_same(a, b);
}

static const char *const op_names[] = {"equal",         "notEqual",    "lessThan",
                                       "lessThanEqual", "greaterThan", "greaterThanEqual"};

/* "ctx: field" (or ctx), made only when there is an error to report. */
static const char *place(char *buf, size_t size, const char *ctx, const char *field)
{
    if (field)
        snprintf(buf, size, "%s: %s", ctx, field);
    else
        snprintf(buf, size, "%s", ctx);
    return buf;
}

/* The operator's index in op_names, or 6: by its first letters, then one
 * compare. */
static unsigned op_index(const char *op)
{
    unsigned k;
    switch (op[0]) {
    case 'e':
        k = OP_EQ;
        break;
    case 'n':
        k = OP_NE;
        break;
    case 'l':
        k = strlen(op) == 8 ? OP_LT : OP_LE;
        break;
    case 'g':
        k = strlen(op) == 11 ? OP_GT : OP_GE;
        break;
    default:
        return 6;
    }
    return strcmp(op, op_names[k]) ? 6 : k;
}

static int parse_one(struct router *r, const json_t *o, struct selector *s, const char *owner,
                     const char *field, unsigned i)
{
    char ctx[400];
#define WHERE place(ctx, sizeof(ctx), owner, field)
    /* One pass over the members: a lookup per field hashes every name,
     * and every job brings its selectors. */
    const char *key = NULL, *op = NULL, *name;
    const json_t *keyv = NULL, *value = NULL, *exp = NULL;
    json_t *v;
    OBJECT_EACH(o, it, name, v)
    {
        size_t len = json_object_iter_key_len(it);
        if (KEY_IS(name, len, "key"))
            key = json_string_value(keyv = v);
        else if (KEY_IS(name, len, "operator"))
            op = json_string_value(v);
        else if (KEY_IS(name, len, "value"))
            value = v;
        else if (KEY_IS(name, len, "expiresAfterSeconds"))
            exp = v;
    }
    if (!json_is_object(o) || !key || !*key)
        return bad(r, "%s[%u]: a selector needs a \"key\"", WHERE, i);
    if (!op)
        return bad(r, "%s[%u]: a selector needs an \"operator\"", WHERE, i);
    unsigned k = op_index(op);
    if (k == 6)
        return bad(r,
                   "%s[%u]: unknown operator '%s' (expected equal, notEqual, lessThan, "
                   "lessThanEqual, greaterThan or greaterThanEqual)",
                   WHERE, i, op);
    s->key = sym_intern_n(r, key, json_string_length(keyv));
    s->op = (uint8_t)k;
    if (!value || !lval_from_json(r, value, true, NULL, &s->v))
        return bad(r, "%s[%u]: selector '%s' needs a string, number or boolean \"value\"", WHERE, i,
                   key);
    if (k >= OP_LT && s->v.type != LAB_NUM)
        return bad(r, "%s[%u]: operator '%s' compares numbers; the value of '%s' is not a number",
                   WHERE, i, op, key);
    if (exp && !json_is_null(exp)) {
        if (!json_is_number(exp) || json_number_value(exp) <= 0)
            return bad(r, "%s[%u]: expiresAfterSeconds must be a positive number", WHERE, i);
        s->expires_after = seconds_to_ms(json_number_value(exp));
        if (s->expires_after < 1)
            s->expires_after = 1;
    }
    return 0;
#undef WHERE
}

size_t selectors_room(const json_t *arr)
{
    size_t n = json_array_size(arr);
    return n <= MAX_SELECTORS ? n * sizeof(struct selector) : 0;
}

int selectors_parse(struct router *r, const json_t *arr, struct selset *out, const char *ctx,
                    const char *field)
{
    return selectors_parse_in(r, arr, out, ctx, field, NULL);
}

int selectors_parse_in(struct router *r, const json_t *arr, struct selset *out, const char *ctx,
                       const char *field, void *room)
{
    char buf[400];
    memset(out, 0, sizeof(*out));
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return bad(r, "%s: must be an array of selectors", place(buf, sizeof(buf), ctx, field));
    size_t n = json_array_size(arr);
    if (n > MAX_SELECTORS)
        return bad(r, "%s: at most %d selectors", place(buf, sizeof(buf), ctx, field),
                   MAX_SELECTORS);
    if (!n)
        return 0;
    out->v = room ? room : xcalloc(n, sizeof(*out->v));
    out->borrowed = room != NULL;
    for (size_t i = 0; i < n; i++) {
        int err = parse_one(r, json_array_get(arr, i), &out->v[i], ctx, field, (unsigned)i);
        if (err) {
            selset_free(out);
            return err;
        }
        out->n++;
    }
    return 0;
}

void selset_free(struct selset *s)
{
    if (!s->borrowed)
        free(s->v);
    memset(s, 0, sizeof(*s));
}

static json_t *lval_json(const struct lval *v)
{
    switch (v->type) {
    case LAB_STR:
        return json_string(v->str);
    case LAB_NUM:
        if (v->num == (double)(json_int_t)v->num)
            return json_integer((json_int_t)v->num);
        return json_real(v->num);
    case LAB_BOOL:
        return json_boolean(v->b);
    default:
        return json_null();
    }
}

json_t *labels_json(const struct router *r, const struct labels *l)
{
    json_t *o = json_object();
    for (unsigned i = 0; i < l->n; i++)
        json_object_set_new(o, sym_name(r, l->v[i].key), lval_json(&l->v[i].v));
    return o;
}

json_t *selector_json(const struct router *r, const struct selector *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "key", json_string(sym_name(r, s->key)));
    json_object_set_new(o, "operator", json_string(op_names[s->op]));
    json_object_set_new(o, "value", lval_json(&s->v));
    if (s->expires_after)
        json_object_set_new(o, "expiresAfterSeconds", json_real(s->expires_after / 1000.0));
    return o;
}

json_t *selset_json(const struct router *r, const struct selset *s, int64_t enqueued_at)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < s->n; i++) {
        json_t *o = selector_json(r, &s->v[i]);
        if (s->v[i].expires_after && enqueued_at)
            json_object_set_new(o, "expiresAt", json_integer(enqueued_at + s->v[i].expires_after));
        json_array_append_new(a, o);
    }
    return a;
}

bool labels_lookup(const struct router *r, const struct labels *l, const char *name,
                   struct expr_value *out)
{
    uint32_t key = sym_find(r, name);
    const struct lval *v = key ? labels_find(l, key) : NULL;
    if (!v)
        return false;
    switch (v->type) {
    case LAB_STR:
        out->type = EXPR_STRING;
        out->str = v->str;
        out->len = strlen(v->str);
        return true;
    case LAB_NUM:
        out->type = EXPR_NUMBER;
        out->num = v->num;
        return true;
    case LAB_BOOL:
        out->type = EXPR_BOOL;
        out->b = v->b;
        return true;
    default:
        return false;
    }
}

int expr_build(struct router *r, struct expr **e, const char *text, const char *const *scopes,
               const char *ctx)
{
    struct expr_error err = {0};
    if (!text)
        return bad(r, "%s: an expression is needed", ctx);
    int rc = expr_compile(e, text, scopes, &err);
    if (rc == EINVAL)
        return bad(r, "%s: %s", ctx, err.message);
    return rc;
}
