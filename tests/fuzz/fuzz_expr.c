/*
 * fuzz_expr.c - libFuzzer target for the router's expression language:
 * arbitrary text compiled with the scopes {"job", "worker"}, and when it
 * compiles, evaluated twice with a lookup whose values are derived from
 * the label's name.
 *
 * Must never crash. A refused text must come with a column inside the
 * text and a message that is valid UTF-8; a compiled one must keep its
 * text and give the same, well-formed result every time. The lookup hands
 * each string over in memory it frees at the next lookup, so an
 * evaluation that kept a looked-up string instead of copying it is caught
 * by AddressSanitizer.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const scopes[] = {"job", "worker", NULL};
static char *handed; /* the last string the lookup handed over */

static uint32_t hash(unsigned scope, const char *name)
{
    uint32_t h = 2166136261u ^ scope;
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 16777619u;
    return h;
}

static void hand_over(struct expr_value *out, const char *s, size_t len)
{
    free(handed);
    handed = malloc(len + 1);
    if (!handed)
        abort();
    memcpy(handed, s, len);
    handed[len] = '\0';
    *out = (struct expr_value){.type = EXPR_STRING, .str = handed, .len = len};
}

static bool lookup(unsigned scope, const char *name, struct expr_value *out, void *arg)
{
    static const double numbers[] = {0, 1, -1, 3.5, 1e308, -1e308, 0.1, 42};
    uint32_t h = hash(scope, name);
    char text[64];
    size_t n;
    (void)arg;
    if (scope > 1)
        abort();
    switch (h % 7) {
    case 0:
        return false;
    case 1:
        return true; /* present, left null */
    case 2:
        *out = (struct expr_value){.type = EXPR_BOOL, .b = h >> 8 & 1};
        return true;
    case 3:
        *out = (struct expr_value){.type = EXPR_NUMBER, .num = numbers[h >> 8 & 7]};
        if ((h >> 11 & 7) == 0)
            out->num = (h >> 14 & 1) ? NAN : INFINITY;
        return true;
    case 4:
        hand_over(out, name, strlen(name));
        return true;
    case 5:
        n = strnlen(name, 40);
        memcpy(text, name, n);
        text[n] = (h >> 8 & 1) ? '\0' : 'X'; /* sometimes a NUL inside */
        memcpy(text + n + 1, "tail", 4);
        hand_over(out, text, n + 5);
        return true;
    default:
        *out = (struct expr_value){.type = EXPR_STRING, .str = NULL, .len = 0};
        return true;
    }
}

static void check_error(const char *text, int rc, const struct expr *e,
                        const struct expr_error *err)
{
    int chars = 0;
    for (const char *p = text; *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    if ((rc != EINVAL && rc != ENOMEM) || e || !memchr(err->message, '\0', sizeof(err->message)))
        abort();
    if (rc == EINVAL &&
        (err->column < 1 || err->column > chars + 1 || strncmp(err->message, "column ", 7)))
        abort();
    json_t *s = json_string(err->message); /* NULL if not valid UTF-8 */
    if (!s) {
        fprintf(stderr, "message is not UTF-8: %s\n", err->message);
        abort();
    }
    json_decref(s);
}

/* A copy of the result that outlives the next evaluation. */
struct kept {
    struct expr_value v;
    char *str;
};

static void check_value(const struct expr_value *v, struct kept *k)
{
    if ((unsigned)v->type > EXPR_STRING)
        abort();
    (void)expr_truthy(v);
    k->v = *v;
    k->str = NULL;
    if (v->type != EXPR_STRING)
        return;
    if (!v->str || v->str[v->len] != '\0')
        abort();
    k->str = malloc(v->len + 1);
    if (!k->str)
        abort();
    memcpy(k->str, v->str, v->len + 1);
}

static bool same(const struct kept *a, const struct expr_value *b)
{
    if (a->v.type != b->type)
        return false;
    switch (b->type) {
    case EXPR_BOOL:
        return a->v.b == b->b;
    case EXPR_NUMBER:
        return a->v.num == b->num || (isnan(a->v.num) && isnan(b->num));
    case EXPR_STRING:
        return a->v.len == b->len && !memcmp(a->str, b->str, b->len);
    default:
        return true;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    struct expr *e = NULL;
    struct expr_error err;
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    int rc = expr_compile(&e, text, scopes, &err);
    if (rc) {
        check_error(text, rc, e, &err);
        free(text);
        return 0;
    }
    if (strcmp(expr_text(e), text))
        abort();
    struct expr_value v;
    struct kept first;
    expr_eval(e, lookup, NULL, &v);
    free(handed); /* the result must not be the lookup's memory */
    handed = NULL;
    check_value(&v, &first);
    expr_eval(e, lookup, NULL, &v);
    free(handed);
    handed = NULL;
    if (!same(&first, &v))
        abort();
    free(first.str);
    expr_free(e);
    free(text);
    return 0;
}
