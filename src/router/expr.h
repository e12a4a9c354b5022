/*
 * expr.h - the router's small expression language, for classification
 * conditions and queue/priority expressions and best-worker scoring.
 *
 * Grammar (precedence low to high):
 *   cond     := or ( "?" cond ":" cond )?
 *   or       := and ( "||" and )*
 *   and      := cmp ( "&&" cmp )*
 *   cmp      := sum ( ("=="|"!="|"<"|"<="|">"|">=") sum )?
 *   sum      := prod ( ("+"|"-") prod )*
 *   prod     := unary ( ("*"|"/"|"%") unary )*
 *   unary    := ("!"|"-") unary | primary
 *   primary  := NUMBER | STRING ('...' or "...") | true | false | null
 *             | SCOPE "." NAME          e.g. job.language, worker.skill
 *             | FUNC "(" args ")"       min, max, abs, contains(text, part),
 *                                       lower(text), upper(text), exists(job.x)
 *             | "(" cond ")"
 * Scopes are given at compile time (e.g. {"job"} or {"job","worker"}); a
 * label that is absent reads as null. "+" on two strings concatenates.
 * Comparing values of different types is false for == and < ... (true for
 * !=); arithmetic on non-numbers gives null; "!" and "&&"/"||" use
 * truthiness (false, null, 0 and "" are false).
 *
 * In detail:
 *   - NUMBER is 3, 2.5, .5, 1e3 (a double); STRING takes the escapes \\ \'
 *     \" \n \r \t, and any other character (UTF-8) as itself; NAME is
 *     letters, digits and "_".
 *   - null == null is true. Ordering (< <= > >=) applies to two numbers or
 *     two strings (byte order); on anything else it is false.
 *   - "!", "&&" and "||" give true or false; "&&", "||" and "?:" evaluate
 *     only what they need.
 *   - Division or "%" (fmod) by zero, and any arithmetic result that is not
 *     finite, give null. NaN is falsy.
 *   - min(a, ...) and max(a, ...) take one or more arguments and skip those
 *     that are not numbers (null if none is); abs(x) is null unless x is a
 *     number; contains(text, part) is false unless both are strings;
 *     lower/upper change ASCII letters only, null unless given a string;
 *     exists(x) is true unless x is null.
 *
 * Compiling checks syntax, scopes, function names and argument counts and
 * reports the column of the first problem. Evaluation never fails: it has
 * no loops, a bounded depth (64) and bounded size (1024 nodes). Limits: the
 * text is at most 65536 bytes; parentheses, unary operators, "?:" and
 * function calls nest at most 64 deep, and the tree of operations is at
 * most 64 levels high (so a sum of more than 64 terms is refused; chains of
 * "&&" or "||" are not limited); the strings one evaluation looks up or
 * builds (each lookup, "+", lower and upper counting its whole result)
 * total at most 1 MiB: beyond that they read as null.
 *
 * A compiled expression is immutable except for its scratch space, so one
 * thread at a time may evaluate it.
 */
#ifndef SB_ROUTER_EXPR_H
#define SB_ROUTER_EXPR_H

#include <stdbool.h>
#include <stddef.h>

enum expr_type { EXPR_NULL = 0, EXPR_BOOL, EXPR_NUMBER, EXPR_STRING };

struct expr_value {
    enum expr_type type;
    bool b;
    double num;
    const char *str; /* valid until the next evaluation or lookup; a
                      * result's string is always NUL-terminated */
    size_t len;
};

struct expr;

/* Look up label `name` of scope index `scope` (index into the compile-time
 * scope list). Fill *out and return true, or return false for absent.
 * *out starts as null. A string filled in need only stay valid until the
 * lookup is called again or the evaluation returns: evaluation copies it
 * into the scratch space at once (str may be NULL for ""). */
typedef bool(expr_lookup_h)(unsigned scope, const char *name, struct expr_value *out, void *arg);

struct expr_error {
    int column;        /* 1-based, counted in characters; 0 if not about a place */
    char message[160]; /* complete, valid UTF-8: `column 12: expected ")"` */
};

/* Compile `text`; scopes is a NULL-terminated list such as {"job", NULL}
 * (the caller keeps it; the expression does not refer to it afterwards).
 * Returns 0, or EINVAL (or ENOMEM) with err filled if err is not NULL. */
int expr_compile(struct expr **exprp, const char *text, const char *const *scopes,
                 struct expr_error *err);
void expr_free(struct expr *expr);

/* Evaluate. The result's string (if any) lives in the expr's scratch space
 * until the next expr_eval on the same expr (or in the expr itself, for a
 * literal). Allocates nothing once the scratch space has grown to what the
 * expression needs. A NULL lookup reads every label as absent. */
void expr_eval(struct expr *expr, expr_lookup_h *lookup, void *arg, struct expr_value *out);

/* Truthiness used by conditions (false for NULL). */
bool expr_truthy(const struct expr_value *v);

/* The source text (for explanations and export). */
const char *expr_text(const struct expr *expr);

#endif
