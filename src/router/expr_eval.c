/*
 * expr_eval.c - the router's expression language, evaluating: walks the
 * compiled node array (see expr.c) without allocating once the scratch
 * buffer has grown to what the expression needs.
 */
#include "router/expr_internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

bool expr_truthy(const struct expr_value *v)
{
    if (!v)
        return false;
    switch (v->type) {
    case EXPR_BOOL:
        return v->b;
    case EXPR_NUMBER:
        return v->num != 0 && !isnan(v->num);
    case EXPR_STRING:
        return v->len > 0;
    default:
        return false;
    }
}

/* ---- the scratch space ------------------------------------------------- */

/* Start an evaluation: drop the buffers the last one retired and, if it
 * needed more than one buffer, make one that holds it all. */
static void scratch_reset(struct scratch *s)
{
    if (s->n_old) {
        for (unsigned i = 0; i < s->n_old; i++)
            free(s->old[i]);
        s->n_old = 0;
        if (s->total > s->cap) {
            size_t cap = s->cap ? s->cap : SCRATCH_MIN;
            while (cap < s->total)
                cap *= 2;
            free(s->buf);
            s->buf = malloc(cap);
            s->cap = s->buf ? cap : 0;
        }
    }
    s->used = s->total = s->made = 0;
}

/* Account for a string of n bytes (with its NUL) about to be made. */
static bool scratch_budget(struct scratch *s, size_t n)
{
    if (n > STRING_MAX - s->made)
        return false;
    s->made += n;
    return true;
}

static char *scratch_alloc(struct scratch *s, size_t n)
{
    if (n > s->cap - s->used) {
        size_t cap = s->cap ? s->cap * 2 : SCRATCH_MIN;
        while (cap < n)
            cap *= 2;
        char *buf = s->n_old < SCRATCH_OLD ? malloc(cap) : NULL;
        if (!buf)
            return NULL;
        if (s->buf)
            s->old[s->n_old++] = s->buf;
        s->buf = buf;
        s->cap = cap;
        s->used = 0;
    }
    char *p = s->buf + s->used;
    s->used += n;
    s->total += n;
    return p;
}

static bool in_buffer(const struct scratch *s, const char *str)
{
    uintptr_t p = (uintptr_t)str, b = (uintptr_t)s->buf;
    return p >= b && p < b + s->used;
}

/* Whether `v` is the newest string in the current buffer, which may then
 * grow or change in place (every string there has one owner). */
static bool scratch_last(const struct scratch *s, const struct expr_value *v)
{
    return in_buffer(s, v->str) && v->str + v->len + 1 == s->buf + s->used;
}

static void string_copy(struct scratch *s, const char *src, size_t len, struct expr_value *out)
{
    char *d = scratch_alloc(s, len + 1);
    if (!d) {
        set_null(out);
        return;
    }
    if (len)
        memcpy(d, src, len);
    d[len] = '\0';
    set_string(out, d, len);
}

/* Concatenation, in place when the left string is the newest one or the
 * right one follows it directly, as in a chain "a + b + c". */
static void string_concat(struct scratch *s, const struct expr_value *l, const struct expr_value *r,
                          struct expr_value *out)
{
    size_t len = l->len + r->len;
    if (!scratch_budget(s, len + 1)) {
        set_null(out);
        return;
    }
    if (scratch_last(s, l) && r->len <= s->cap - s->used) {
        memmove((char *)l->str + l->len, r->str, r->len);
        ((char *)l->str)[len] = '\0';
        s->used += r->len;
        s->total += r->len;
        set_string(out, l->str, len);
        return;
    }
    if (scratch_last(s, r) && in_buffer(s, l->str) && r->str == l->str + l->len + 1) {
        memmove((char *)r->str - 1, r->str, r->len + 1);
        s->used--;
        set_string(out, l->str, len);
        return;
    }
    char *d = scratch_alloc(s, len + 1);
    if (!d) {
        set_null(out);
        return;
    }
    memcpy(d, l->str, l->len);
    memcpy(d + l->len, r->str, r->len);
    d[len] = '\0';
    set_string(out, d, len);
}

/* lower() and upper(): ASCII letters only, so UTF-8 text stays valid. */
static void string_case(struct scratch *s, const struct expr_value *v, bool upper,
                        struct expr_value *out)
{
    if (v->type != EXPR_STRING || !scratch_budget(s, v->len + 1)) {
        set_null(out);
        return;
    }
    if (scratch_last(s, v))
        *out = *v;
    else
        string_copy(s, v->str, v->len, out);
    char *d = (char *)out->str;
    for (size_t i = 0; out->type == EXPR_STRING && i < out->len; i++) {
        if (upper && d[i] >= 'a' && d[i] <= 'z')
            d[i] = (char)(d[i] - 'a' + 'A');
        else if (!upper && d[i] >= 'A' && d[i] <= 'Z')
            d[i] = (char)(d[i] - 'A' + 'a');
    }
}

/* ---- evaluation -------------------------------------------------------- */

struct run {
    const struct node *nodes;
    struct scratch *scratch;
    expr_lookup_h *lookup;
    void *arg;
};

static void eval(struct run *r, uint32_t i, struct expr_value *out);

/* The lookup's value, checked, its string copied at once: the engine may
 * reuse the memory for the next lookup. */
static void eval_lookup(struct run *r, const struct node *n, struct expr_value *out)
{
    struct expr_value v = {.type = EXPR_NULL};
    if (!r->lookup || !r->lookup(n->scope, n->val.str, &v, r->arg)) {
        set_null(out);
        return;
    }
    switch (v.type) {
    case EXPR_BOOL:
        set_bool(out, v.b);
        break;
    case EXPR_NUMBER:
        *out = (struct expr_value){.type = EXPR_NUMBER, .num = v.num};
        break;
    case EXPR_STRING:
        if (v.str && scratch_budget(r->scratch, v.len < STRING_MAX ? v.len + 1 : STRING_MAX + 1))
            string_copy(r->scratch, v.str, v.len, out);
        else
            v.str ? set_null(out) : set_string(out, "", 0);
        break;
    default:
        set_null(out);
    }
}

static bool values_equal(const struct expr_value *l, const struct expr_value *r)
{
    if (l->type != r->type)
        return false;
    switch (l->type) {
    case EXPR_BOOL:
        return l->b == r->b;
    case EXPR_NUMBER:
        return l->num == r->num;
    case EXPR_STRING:
        return l->len == r->len && !memcmp(l->str, r->str, l->len);
    default:
        return true;
    }
}

/* Byte order, a prefix first. */
static int string_order(const struct expr_value *l, const struct expr_value *r)
{
    int c = memcmp(l->str, r->str, l->len < r->len ? l->len : r->len);
    return c ? c : (l->len > r->len) - (l->len < r->len);
}

static bool values_ordered(enum op op, const struct expr_value *l, const struct expr_value *r)
{
    double a, b;
    if (l->type != r->type || (l->type != EXPR_NUMBER && l->type != EXPR_STRING))
        return false;
    a = l->type == EXPR_NUMBER ? l->num : string_order(l, r);
    b = l->type == EXPR_NUMBER ? r->num : 0;
    switch (op) {
    case OP_LT:
        return a < b;
    case OP_LE:
        return a <= b;
    case OP_GT:
        return a > b;
    default:
        return a >= b;
    }
}

static void eval_compare(struct run *r, const struct node *n, struct expr_value *out)
{
    struct expr_value l, v;
    eval(r, n->a, &l);
    eval(r, n->b, &v);
    if (n->op == OP_EQ)
        set_bool(out, values_equal(&l, &v));
    else if (n->op == OP_NE)
        set_bool(out, !values_equal(&l, &v));
    else
        set_bool(out, values_ordered((enum op)n->op, &l, &v));
}

static void eval_arith(struct run *r, const struct node *n, struct expr_value *out)
{
    struct expr_value l, v;
    eval(r, n->a, &l);
    eval(r, n->b, &v);
    if (n->op == OP_ADD && l.type == EXPR_STRING && v.type == EXPR_STRING) {
        string_concat(r->scratch, &l, &v, out);
        return;
    }
    if (l.type != EXPR_NUMBER || v.type != EXPR_NUMBER) {
        set_null(out);
        return;
    }
    switch (n->op) {
    case OP_ADD:
        set_number(out, l.num + v.num);
        break;
    case OP_SUB:
        set_number(out, l.num - v.num);
        break;
    case OP_MUL:
        set_number(out, l.num * v.num);
        break;
    case OP_DIV:
        set_number(out, v.num == 0 ? NAN : l.num / v.num);
        break;
    default:
        set_number(out, v.num == 0 ? NAN : fmod(l.num, v.num));
    }
}

/* "&&" stops at the first falsy operand, "||" at the first truthy one. */
static void eval_logic(struct run *r, const struct node *n, struct expr_value *out)
{
    bool stop_on = n->op == OP_OR;
    struct expr_value v;
    for (uint32_t i = n->a; i != NONE; i = r->nodes[i].next) {
        eval(r, i, &v);
        if (expr_truthy(&v) == stop_on) {
            set_bool(out, stop_on);
            return;
        }
    }
    set_bool(out, !stop_on);
}

static void eval_min_max(struct run *r, const struct node *n, struct expr_value *out)
{
    struct expr_value v;
    set_null(out);
    for (uint32_t i = n->a; i != NONE; i = r->nodes[i].next) {
        eval(r, i, &v);
        if (v.type != EXPR_NUMBER)
            continue;
        if (out->type == EXPR_NULL || (n->op == OP_MIN ? v.num < out->num : v.num > out->num))
            *out = v;
    }
}

static void eval_contains(struct run *r, const struct node *n, struct expr_value *out)
{
    struct expr_value text, part;
    eval(r, n->a, &text);
    eval(r, r->nodes[n->a].next, &part);
    set_bool(out, text.type == EXPR_STRING && part.type == EXPR_STRING &&
                      (part.len == 0 || memmem(text.str, text.len, part.str, part.len)));
}

static void eval_call(struct run *r, const struct node *n, struct expr_value *out)
{
    struct expr_value v;
    if (n->op == OP_MIN || n->op == OP_MAX) {
        eval_min_max(r, n, out);
        return;
    }
    if (n->op == OP_CONTAINS) {
        eval_contains(r, n, out);
        return;
    }
    eval(r, n->a, &v);
    if (n->op == OP_EXISTS)
        set_bool(out, v.type != EXPR_NULL);
    else if (n->op == OP_ABS)
        v.type == EXPR_NUMBER ? set_number(out, fabs(v.num)) : set_null(out);
    else
        string_case(r->scratch, &v, n->op == OP_UPPER, out);
}

static void eval(struct run *r, uint32_t i, struct expr_value *out)
{
    const struct node *n = &r->nodes[i];
    struct expr_value v;
    switch (n->op) {
    case OP_CONST:
        *out = n->val;
        return;
    case OP_LOOKUP:
        eval_lookup(r, n, out);
        return;
    case OP_NOT:
        eval(r, n->a, &v);
        set_bool(out, !expr_truthy(&v));
        return;
    case OP_NEG:
        eval(r, n->a, &v);
        v.type == EXPR_NUMBER ? set_number(out, -v.num) : set_null(out);
        return;
    case OP_AND:
    case OP_OR:
        eval_logic(r, n, out);
        return;
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        eval_compare(r, n, out);
        return;
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_DIV:
    case OP_MOD:
        eval_arith(r, n, out);
        return;
    case OP_COND:
        eval(r, n->a, &v);
        eval(r, expr_truthy(&v) ? n->b : n->c, out);
        return;
    default:
        eval_call(r, n, out);
    }
}

void expr_eval(struct expr *expr, expr_lookup_h *lookup, void *arg, struct expr_value *out)
{
    if (!expr) {
        set_null(out);
        return;
    }
    struct run r = {.nodes = expr->nodes, .scratch = &expr->scratch, .lookup = lookup, .arg = arg};
    scratch_reset(&expr->scratch);
    eval(&r, expr->root, out);
}
