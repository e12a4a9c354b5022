/*
 * expr_internal.h - what the compiler (expr.c) and the evaluator
 * (expr_eval.c) of the router's expression language share: the node array,
 * the scratch space and value setters. Private to src/router/.
 */
#ifndef SB_ROUTER_EXPR_INTERNAL_H
#define SB_ROUTER_EXPR_INTERNAL_H

#include "router/expr.h"

#include <math.h>
#include <stdint.h>

#define MAX_NODES   1024
#define MAX_DEPTH   64
#define MAX_TEXT    65536
#define SCRATCH_MIN 256
#define STRING_MAX  (1024 * 1024) /* string bytes one evaluation may make */
#define SCRATCH_OLD 32            /* retired buffers one evaluation may hold */
#define NONE        UINT32_MAX

enum op {
    OP_CONST,  /* val */
    OP_LOOKUP, /* scope, val.str = label name */
    OP_NOT,
    OP_NEG,
    OP_AND, /* a = first operand, linked by next */
    OP_OR,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_MOD,
    OP_COND, /* a ? b : c */
    OP_MIN,  /* functions: a = first argument, linked by next */
    OP_MAX,
    OP_ABS,
    OP_CONTAINS,
    OP_LOWER,
    OP_UPPER,
    OP_EXISTS,
};

struct node {
    uint8_t op;
    uint8_t height; /* levels of the subtree, for the depth limit */
    uint16_t scope;
    uint32_t a, b, c; /* operands */
    uint32_t next;    /* the next operand of a list (&&, ||, arguments) */
    uint32_t off;     /* pool offset of a string literal or label name */
    struct expr_value val;
};

/* Strings of one evaluation. A full buffer is not moved (values point into
 * it) but retired, and replaced by a bigger one; the next evaluation frees
 * the retired ones and sizes the buffer for everything at once.
 *
 * `made` counts the full length of every string looked up or built, in
 * place or not, so whether a string is over the limit depends on the values
 * only, never on how the buffers happened to be laid out. */
struct scratch {
    char *buf;
    size_t cap, used, total, made;
    char *old[SCRATCH_OLD];
    unsigned n_old;
};

struct expr {
    const char *text;
    const char *pool;
    uint32_t root;
    struct scratch scratch;
    struct node nodes[]; /* then the pool, then the text */
};

static inline void set_null(struct expr_value *out)
{
    *out = (struct expr_value){.type = EXPR_NULL};
}

static inline void set_bool(struct expr_value *out, bool b)
{
    *out = (struct expr_value){.type = EXPR_BOOL, .b = b};
}

/* Arithmetic that overflows or makes NaN gives null, so results can always
 * be written as JSON. */
static inline void set_number(struct expr_value *out, double x)
{
    if (isfinite(x))
        *out = (struct expr_value){.type = EXPR_NUMBER, .num = x};
    else
        set_null(out);
}

static inline void set_string(struct expr_value *out, const char *s, size_t len)
{
    *out = (struct expr_value){.type = EXPR_STRING, .str = s, .len = len};
}

#endif
