/*
 * test_expr.c - the router's expression language: every operator and its
 * precedence, values and their types, functions, escapes, each compile
 * error with its column, the limits, the scratch space, and a printed
 * micro-benchmark of evaluation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "router/expr.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const scopes[] = {"job", "worker", NULL};

/* ---- a lookup over a small table of labels ---- */

struct label {
    unsigned scope;
    const char *name;
    struct expr_value value;
};

#define NUM(x)                                                                                     \
    {                                                                                              \
        .type = EXPR_NUMBER, .num = (x)                                                            \
    }
#define STR(s)                                                                                     \
    {                                                                                              \
        .type = EXPR_STRING, .str = (s), .len = sizeof(s) - 1                                      \
    }
#define BOOL(x)                                                                                    \
    {                                                                                              \
        .type = EXPR_BOOL, .b = (x)                                                                \
    }

static const struct label labels[] = {
    {0, "skill", NUM(4)},
    {0, "zero", NUM(0)},
    {0, "topic", STR("sales")},
    {0, "name", STR("Ana")},
    {0, "empty", STR("")},
    {0, "vip", BOOL(true)},
    {0, "nothing", {.type = EXPR_NULL}},
    {0, "nan", NUM(NAN)},
    {1, "language", STR("es")},
    {1, "name", STR("Bo")},
    {1, "skill", NUM(3)},
};

struct env {
    unsigned calls;  /* lookups made */
    bool volatile_s; /* hand strings over in one buffer reused by each lookup */
    char buf[64];
    const char *big; /* worker.big, when set */
};

static bool lookup(unsigned scope, const char *name, struct expr_value *out, void *arg)
{
    struct env *env = arg;
    if (env)
        env->calls++;
    if (env && env->big && scope == 1 && !strcmp(name, "big")) {
        *out = (struct expr_value){.type = EXPR_STRING, .str = env->big, .len = strlen(env->big)};
        return true;
    }
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
        if (labels[i].scope != scope || strcmp(labels[i].name, name))
            continue;
        *out = labels[i].value;
        if (env && env->volatile_s && out->type == EXPR_STRING) {
            memcpy(env->buf, out->str, out->len);
            memset(env->buf + out->len, 'X', sizeof(env->buf) - out->len);
            out->str = env->buf;
        }
        return true;
    }
    return false;
}

/* A lookup that says "present" but fills nothing, and one with a NULL string. */
static bool lookup_lazy(unsigned scope, const char *name, struct expr_value *out, void *arg)
{
    (void)scope;
    (void)arg;
    if (!strcmp(name, "nullstr"))
        *out = (struct expr_value){.type = EXPR_STRING, .str = NULL, .len = 0};
    return true;
}

/* ---- helpers ---- */

static struct expr *compile_ok(const char *text)
{
    struct expr *e = NULL;
    struct expr_error err;
    int rc = expr_compile(&e, text, scopes, &err);
    if (rc)
        fail_msg("compiling %s: %s", text, err.message);
    return e;
}

static struct expr_value eval_env(const char *text, struct env *env, struct expr **keep)
{
    struct expr *e = compile_ok(text);
    struct expr_value v;
    expr_eval(e, lookup, env, &v);
    if (v.type == EXPR_STRING)
        assert_int_equal(v.str[v.len], '\0');
    *keep = e;
    return v;
}

static double num(const char *text)
{
    struct expr *e;
    struct expr_value v = eval_env(text, NULL, &e);
    expr_free(e);
    if (v.type != EXPR_NUMBER)
        fail_msg("%s: type %d, not a number", text, v.type);
    return v.num;
}

static bool boolean(const char *text)
{
    struct expr *e;
    struct expr_value v = eval_env(text, NULL, &e);
    expr_free(e);
    if (v.type != EXPR_BOOL)
        fail_msg("%s: type %d, not a bool", text, v.type);
    return v.b;
}

static enum expr_type type_of(const char *text)
{
    struct expr *e;
    struct expr_value v = eval_env(text, NULL, &e);
    expr_free(e);
    return v.type;
}

static void assert_str(const char *text, const char *want)
{
    struct expr *e;
    struct expr_value v = eval_env(text, NULL, &e);
    if (v.type != EXPR_STRING)
        fail_msg("%s: type %d, not a string", text, v.type);
    assert_int_equal(v.len, strlen(want));
    assert_memory_equal(v.str, want, v.len);
    expr_free(e);
}

static void assert_error(const char *text, int column, const char *message)
{
    struct expr *e = (struct expr *)1;
    struct expr_error err;
    assert_int_equal(expr_compile(&e, text, scopes, &err), EINVAL);
    assert_null(e);
    if (err.column != column || strcmp(err.message, message))
        fail_msg("%s\n  got:  %d %s\n  want: %d %s", text, err.column, err.message, column,
                 message);
}

/* ---- tests ---- */

static void literals(void **state)
{
    (void)state;
    assert_true(num("3") == 3);
    assert_true(num("2.5") == 2.5);
    assert_true(num(".5") == 0.5);
    assert_true(num("1e3") == 1000);
    assert_true(num("1E-2") == 0.01);
    assert_true(num("  42  ") == 42);
    assert_str("'single'", "single");
    assert_str("\"double\"", "double");
    assert_str("''", "");
    assert_true(boolean("true"));
    assert_false(boolean("false"));
    assert_int_equal(type_of("null"), EXPR_NULL);
}

static void arithmetic_and_precedence(void **state)
{
    (void)state;
    assert_true(num("1 + 2 * 3") == 7);
    assert_true(num("(1 + 2) * 3") == 9);
    assert_true(num("10 - 4 - 3") == 3);
    assert_true(num("2 * 3 % 4") == 2);
    assert_true(num("7 % 3") == 1);
    assert_true(num("-7 % 3") == -1);
    assert_true(num("5.5 % 2") == 1.5);
    assert_true(num("1 / 4") == 0.25);
    assert_true(num("8 / 2 / 2") == 2);
    assert_true(num("-2 * -3") == 6);
    assert_true(num("-(2 + 3)") == -5);
    assert_true(num("--3") == 3);
    assert_true(num("2 - -3") == 5);
    assert_true(num("-job.skill") == -4);
    assert_true(num("job.skill * 2 + worker.skill") == 11);
    assert_int_equal(type_of("1 / 0"), EXPR_NULL);
    assert_int_equal(type_of("1 % 0"), EXPR_NULL);
    assert_int_equal(type_of("1 / job.zero"), EXPR_NULL);
    assert_int_equal(type_of("1e308 * 10"), EXPR_NULL);
}

static void comparisons(void **state)
{
    (void)state;
    assert_true(boolean("1 < 2"));
    assert_false(boolean("2 < 2"));
    assert_true(boolean("2 <= 2"));
    assert_true(boolean("3 > 2"));
    assert_false(boolean("2 >= 3"));
    assert_true(boolean("1 == 1.0"));
    assert_true(boolean("1 != 2"));
    assert_true(boolean("'abc' < 'abd'"));
    assert_true(boolean("'ab' < 'abc'"));
    assert_true(boolean("'b' > 'abc'"));
    assert_true(boolean("'a' <= 'a' && 'a' >= 'a'"));
    assert_true(boolean("'a' == 'a'"));
    assert_false(boolean("'a' == 'A'"));
    assert_true(boolean("true == true"));
    assert_true(boolean("false != true"));
    assert_true(boolean("null == null"));
    assert_false(boolean("null != null"));
    /* comparisons bind looser than arithmetic, tighter than && */
    assert_true(boolean("1 + 1 == 2 && 3 > 2"));
    assert_true(boolean("2 * 3 > 5"));
    assert_true(boolean("(1 < 2) == true"));
}

static void type_mismatches(void **state)
{
    (void)state;
    assert_false(boolean("'1' == 1"));
    assert_true(boolean("'1' != 1"));
    assert_false(boolean("1 < '2'"));
    assert_false(boolean("1 >= '0'"));
    assert_false(boolean("true == 1"));
    assert_false(boolean("null == 0"));
    assert_true(boolean("null != ''"));
    assert_false(boolean("false < true")); /* no order on booleans */
    assert_false(boolean("null <= null"));
    assert_int_equal(type_of("'a' - 1"), EXPR_NULL);
    assert_int_equal(type_of("'a' + 1"), EXPR_NULL);
    assert_int_equal(type_of("1 + 'a'"), EXPR_NULL);
    assert_int_equal(type_of("true + 1"), EXPR_NULL);
    assert_int_equal(type_of("null * 2"), EXPR_NULL);
    assert_int_equal(type_of("-'a'"), EXPR_NULL);
    assert_int_equal(type_of("-true"), EXPR_NULL);
}

static void logic_and_truthiness(void **state)
{
    (void)state;
    assert_false(boolean("true && false"));
    assert_true(boolean("false || true"));
    assert_true(boolean("!false"));
    assert_true(boolean("!0"));
    assert_true(boolean("!''"));
    assert_true(boolean("!null"));
    assert_false(boolean("!'a'"));
    assert_false(boolean("!-1"));
    assert_true(boolean("1 && 'x'")); /* a boolean, not the operand */
    assert_false(boolean("0 || null || ''"));
    assert_true(boolean("true || false && false")); /* && binds tighter */
    assert_false(boolean("(true || false) && false"));
    assert_true(boolean("!true || true"));
    assert_true(boolean("!!'x'"));
    assert_true(boolean("1 && 2 && 3 && 4"));
    assert_true(boolean("!job.nan")); /* NaN is falsy */
}

static void truthy_values(void **state)
{
    (void)state;
    struct expr_value v = {.type = EXPR_NUMBER, .num = NAN};
    assert_false(expr_truthy(&v));
    v.num = -0.0;
    assert_false(expr_truthy(&v));
    v.num = 0.1;
    assert_true(expr_truthy(&v));
    v = (struct expr_value){.type = EXPR_STRING, .str = "0", .len = 1};
    assert_true(expr_truthy(&v));
    v = (struct expr_value){.type = EXPR_NULL};
    assert_false(expr_truthy(&v));
    assert_false(expr_truthy(NULL));
}

static void short_circuit(void **state)
{
    (void)state;
    struct env env = {0};
    struct expr *e;
    struct expr_value v = eval_env("false && job.skill > 1", &env, &e);
    assert_false(v.b);
    assert_int_equal(env.calls, 0);
    expr_free(e);
    v = eval_env("true || job.skill > 1", &env, &e);
    assert_true(v.b);
    assert_int_equal(env.calls, 0);
    expr_free(e);
    v = eval_env("job.vip ? job.skill : worker.skill", &env, &e);
    assert_true(v.num == 4);
    assert_int_equal(env.calls, 2); /* the condition and one branch */
    expr_free(e);
}

static void ternary(void **state)
{
    (void)state;
    assert_true(num("true ? 1 : 2") == 1);
    assert_true(num("0 ? 1 : 2") == 2);
    assert_true(num("false ? 1 : true ? 2 : 3") == 2); /* right-associative */
    assert_true(num("true ? false ? 1 : 2 : 3") == 2);
    assert_str("1 < 2 ? 'a' : 'b'", "a");
    assert_str("false || true ? 'y' : 'n'", "y"); /* lowest precedence */
    assert_str("job.topic == 'sales' ? 'sales' : 'support'", "sales");
    assert_true(num("job.vip ? 10 : 1") == 10);
    assert_true(num("(job.vip ? 2 : 1) * 3") == 6);
}

static void strings(void **state)
{
    (void)state;
    assert_str("'a' + 'b'", "ab");
    assert_str("job.name + '-' + worker.name", "Ana-Bo");
    assert_str("'x' + ('y' + 'z')", "xyz");
    assert_str("(job.name + worker.name) + (job.topic + worker.language)", "AnaBosaleses");
    assert_str("lower(job.name) + upper(worker.name)", "anaBO");
    assert_str("job.empty + job.empty", "");
    assert_str("'' + job.name", "Ana");
    assert_str("job.topic", "sales");
    assert_str("job.vip ? job.name : 'none'", "Ana");
}

static void escapes(void **state)
{
    (void)state;
    assert_str("'it\\'s'", "it's");
    assert_str("\"say \\\"hi\\\"\"", "say \"hi\"");
    assert_str("'a\\\\b'", "a\\b");
    assert_str("'\\n\\t\\r'", "\n\t\r");
    assert_str("\"'\" + '\"'", "'\"");
    assert_str("'caf\xc3\xa9'", "caf\xc3\xa9");
    assert_true(boolean("'\\'' == \"'\""));
}

static void absent_labels(void **state)
{
    (void)state;
    struct expr *e;
    assert_int_equal(type_of("job.nope"), EXPR_NULL);
    assert_int_equal(type_of("job.nothing"), EXPR_NULL);
    assert_true(boolean("job.nope == null"));
    assert_false(boolean("job.nope == 0"));
    assert_true(boolean("!job.nope"));
    assert_false(boolean("job.nope > 1"));
    assert_int_equal(type_of("job.nope + 1"), EXPR_NULL);
    assert_int_equal(type_of("worker.topic"), EXPR_NULL); /* labels are per scope */
    /* no lookup at all */
    e = compile_ok("job.skill == null");
    struct expr_value v;
    expr_eval(e, NULL, NULL, &v);
    assert_true(v.type == EXPR_BOOL && v.b);
    expr_free(e);
    /* present, but left null; or a NULL string, which is "" */
    e = compile_ok("job.x == null && job.nullstr == ''");
    expr_eval(e, lookup_lazy, NULL, &v);
    assert_true(v.type == EXPR_BOOL && v.b);
    expr_free(e);
}

static void functions(void **state)
{
    (void)state;
    assert_true(num("min(3, 1, 2)") == 1);
    assert_true(num("max(3, 1, 2)") == 3);
    assert_true(num("max(7)") == 7);
    assert_true(num("min(job.skill, worker.skill)") == 3);
    assert_true(num("max(job.nope, 0)") == 0); /* non-numbers are skipped */
    assert_true(num("min('a', 5, null, true)") == 5);
    assert_int_equal(type_of("min('a', null)"), EXPR_NULL);
    assert_true(num("abs(-3)") == 3);
    assert_true(num("abs(2.5)") == 2.5);
    assert_int_equal(type_of("abs('x')"), EXPR_NULL);
    assert_true(boolean("contains('hello', 'ell')"));
    assert_true(boolean("contains('hello', '')"));
    assert_false(boolean("contains('hello', 'xyz')"));
    assert_false(boolean("contains('he', 'hello')"));
    assert_false(boolean("contains(123, '1')"));
    assert_false(boolean("contains('a1', 1)"));
    assert_true(boolean("contains(lower(job.name), 'an')"));
    assert_str("lower('MiXeD 1')", "mixed 1");
    assert_str("upper('MiXeD 1')", "MIXED 1");
    assert_str("lower('\xc3\x80' + 'BC')", "\xc3\x80"
                                           "bc"); /* ASCII only */
    assert_str("upper(lower(job.topic))", "SALES");
    assert_int_equal(type_of("lower(1)"), EXPR_NULL);
    assert_int_equal(type_of("upper(null)"), EXPR_NULL);
    assert_true(boolean("exists(0)"));
    assert_true(boolean("exists('')"));
    assert_true(boolean("exists(job.skill)"));
    assert_false(boolean("exists(job.nope)"));
    assert_false(boolean("exists(null)"));
    assert_false(boolean("exists(1 / 0)"));
    assert_true(num("max(1, 2) + min(4, 3) * abs(-2)") == 8);
}

static void compile_errors(void **state)
{
    (void)state;
    assert_error("", 1, "column 1: expected a value");
    assert_error("   ", 4, "column 4: expected a value");
    assert_error("job.skill >=", 13, "column 13: expected a value");
    assert_error("(job.skill > 1", 15, "column 15: expected \")\"");
    assert_error("min(1, 2", 9, "column 9: expected \",\" or \")\"");
    assert_error("min(1 2)", 7, "column 7: expected \",\" or \")\"");
    assert_error("min(1,)", 7, "column 7: expected a value");
    assert_error("min + 1", 5, "column 5: expected \"(\" after \"min\"");
    assert_error("true ? 1", 9, "column 9: expected \":\"");
    assert_error("1 2", 3, "column 3: unexpected \"2\"");
    assert_error("(1))", 4, "column 4: unexpected \")\"");
    assert_error("job.a = 1", 7, "column 7: unexpected \"=\" (use \"==\" to compare)");
    assert_error("true & false", 6, "column 6: unexpected \"&\" (use \"&&\")");
    assert_error("true | false", 6, "column 6: unexpected \"|\" (use \"||\")");
    assert_error("1 # 2", 3, "column 3: unexpected character \"#\"");
    assert_error("'\xc3\xa9' == \xe2\x80\x9ex", 8,
                 "column 8: unexpected character \"\xe2\x80\x9e\"");
    assert_error("1 < 2 < 3", 7, "column 7: comparisons cannot be chained; join them with \"&&\"");
    assert_error("foo.bar == 1", 1, "column 1: unknown scope \"foo\" (known: job, worker)");
    assert_error("language == 'es'", 1,
                 "column 1: unknown name \"language\" (labels are written like job.language)");
    assert_error("1 + sqrt(4)", 5, "column 5: unknown function \"sqrt\"");
    assert_error("job == 1", 1, "column 1: expected \".\" and a label name after \"job\"");
    assert_error("job. == 1", 5, "column 5: expected a label name after \"job.\"");
    assert_error("job.a.b", 6, "column 6: unexpected character \".\"");
    assert_error("abs(1, 2)", 1, "column 1: abs takes 1 argument, not 2");
    assert_error("contains('a')", 1, "column 1: contains takes 2 arguments, not 1");
    assert_error("lower()", 1, "column 1: lower takes 1 argument, not 0");
    assert_error("1 + max()", 5, "column 5: max takes at least 1 argument");
    assert_error("exists()", 1, "column 1: exists takes 1 argument, not 0");
    assert_error("'open", 1, "column 1: unterminated string");
    assert_error("1 + \"open\\\"", 5, "column 5: unterminated string");
    assert_error("'a\\", 1, "column 1: unterminated string");
    assert_error("'a\\qb'", 3, "column 3: unknown escape \"\\q\"");
    assert_error("'\\u00e9'", 2, "column 2: unknown escape \"\\u\"");
    assert_error("'\\\xc3\xa9'", 2, "column 2: unknown escape \"\\\xc3\xa9\"");
    assert_error("1.", 1, "column 1: malformed number \"1.\"");
    assert_error("1.2.3", 1, "column 1: malformed number \"1.2.3\"");
    assert_error("3abc", 1, "column 1: malformed number \"3abc\"");
    assert_error("0x10", 1, "column 1: malformed number \"0x10\"");
    assert_error("2e+", 1, "column 1: malformed number \"2e+\"");
    assert_error("1e999", 1, "column 1: number too large");
    /* columns count characters, not bytes */
    assert_error("'\xc3\xa9\xc3\xa9' + )", 8, "column 8: expected a value");
}

static void error_details(void **state)
{
    (void)state;
    struct expr *e = NULL;
    struct expr_error err;
    const char *none[] = {NULL};
    assert_int_equal(expr_compile(&e, "job.x", none, &err), EINVAL);
    assert_string_equal(err.message, "column 1: unknown scope \"job\" (known: none)");
    assert_int_equal(expr_compile(&e, "x", NULL, &err), EINVAL);
    assert_string_equal(err.message, "column 1: unknown name \"x\"");
    assert_int_equal(expr_compile(&e, "((", scopes, NULL), EINVAL); /* err is optional */
    assert_int_equal(expr_compile(&e, NULL, scopes, &err), EINVAL);
    assert_int_equal(expr_compile(NULL, "1", scopes, &err), EINVAL);
    /* a long name is cut in the message, which stays valid UTF-8 */
    assert_int_equal(expr_compile(&e,
                                  "job.x + \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
                                  scopes, &err),
                     EINVAL);
    assert_string_equal(err.message, "column 9: unexpected character \"\xc3\xa9\"");
    assert_int_equal(
        expr_compile(&e, "averyveryverylongfunctionnamethatgoesonandon(1)", scopes, &err), EINVAL);
    assert_string_equal(err.message, "column 1: unknown function \"averyveryverylongfunctio...\"");
    assert_int_equal(expr_compile(&e, "'\xff'", scopes, &err), 0); /* strings are bytes */
    assert_string_equal(expr_text(e), "'\xff'");
    expr_free(e);
    expr_free(NULL);
    assert_string_equal(expr_text(NULL), "");
}

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t len = strlen(head) + strlen(unit) * n + strlen(tail);
    char *s = malloc(len + 1), *p = s;
    assert_non_null(s);
    p = stpcpy(p, head);
    for (size_t i = 0; i < n; i++)
        p = stpcpy(p, unit);
    strcpy(p, tail);
    return s;
}

/* open * n, then mid, then close * n */
static char *nest(const char *open, size_t n, const char *mid, const char *close)
{
    char *head = repeat("", open, n, mid);
    char *s = repeat(head, close, n, "");
    free(head);
    return s;
}

static void check_limit(char *ok, char *bad, int column, const char *message)
{
    struct expr *e;
    struct expr_error err;
    if (expr_compile(&e, ok, scopes, &err))
        fail_msg("%.40s...: %s", ok, err.message);
    expr_free(e);
    assert_int_equal(expr_compile(&e, bad, scopes, &err), EINVAL);
    if (err.column != column || strcmp(err.message, message))
        fail_msg("got %d %s", err.column, err.message);
    free(ok);
    free(bad);
}

static void limits(void **state)
{
    (void)state;
    char deep[80];
    snprintf(deep, sizeof(deep), "expression nested too deeply (at most 64 levels)");
    char msg[120];
    /* parentheses: the whole expression is level 1 */
    snprintf(msg, sizeof(msg), "column 65: %s", deep);
    check_limit(nest("(", 63, "1", ")"), nest("(", 64, "1", ")"), 65, msg);
    char *s = nest("(", 63, "job.skill", ")"), *t;
    assert_true(num(s) == 4);
    free(s);
    /* unary operators */
    snprintf(msg, sizeof(msg), "column 64: %s", deep);
    check_limit(repeat("", "!", 63, "1"), repeat("", "!", 64, "1"), 64, msg);
    check_limit(repeat("", "-", 63, "1"), repeat("", "-", 64, "1"), 64, msg);
    /* a sum of 64 terms is 64 levels high; a 65th "+" is too many */
    snprintf(msg, sizeof(msg), "column 128: %s", deep);
    check_limit(repeat("1", "+1", 63, ""), repeat("1", "+1", 64, ""), 128, msg);
    assert_true(num(s = repeat("1", "+1", 63, "")) == 64);
    free(s);
    /* function arguments nest too */
    snprintf(msg, sizeof(msg), "column 257: %s", deep);
    check_limit(nest("abs(", 63, "1", ")"), nest("abs(", 64, "1", ")"), 257, msg);
    s = nest("abs(", 63, "1", ")");
    assert_true(num(s) == 1);
    free(s);
    /* and so does "?:" (right-associative) */
    snprintf(msg, sizeof(msg), "column 255: %s", deep);
    check_limit(repeat("", "0?1:", 63, "2"), repeat("", "0?1:", 64, "2"), 255, msg);
    /* "&&" and "||" chains are flat: 1023 operands and the chain node fit */
    check_limit(repeat("1", "||1", 1022, ""), repeat("1", "||1", 1023, ""), 3070,
                "column 3070: expression too large (at most 1024 values and operators)");
    s = repeat("0", "||0", 1021, "||1");
    assert_true(boolean(s));
    free(s);
    /* the text itself */
    s = repeat("", " ", 65535, "1");
    t = repeat("", " ", 65536, "1");
    check_limit(s, t, 1, "column 1: expression too long (at most 65536 bytes)");
}

static void volatile_lookup_strings(void **state)
{
    (void)state;
    struct env env = {.volatile_s = true};
    struct expr *e;
    struct expr_value v = eval_env("job.name + worker.name", &env, &e);
    assert_int_equal(v.len, 5);
    assert_memory_equal(v.str, "AnaBo", 5);
    expr_free(e);
    v = eval_env("job.name == worker.name", &env, &e);
    assert_false(v.b);
    expr_free(e);
    v = eval_env("job.name < worker.name && worker.language == 'es'", &env, &e);
    assert_true(v.b);
    expr_free(e);
    v = eval_env("job.topic", &env, &e);
    memset(env.buf, 'Z', sizeof(env.buf)); /* the engine reuses its buffer */
    assert_memory_equal(v.str, "sales", 6);
    expr_free(e);
}

static void scratch_reuse(void **state)
{
    (void)state;
    struct env env = {0};
    struct expr *e = compile_ok("lower(job.name) + '/' + upper(worker.big)");
    struct expr_value v;
    char small[] = "Small", *big = malloc(5000);
    assert_non_null(big);
    memset(big, 'b', 4999);
    big[4999] = '\0';
    env.big = small;
    expr_eval(e, lookup, &env, &v);
    assert_string_equal(v.str, "ana/SMALL");
    const char *first = v.str;
    expr_eval(e, lookup, &env, &v);
    assert_ptr_equal(v.str, first); /* the same buffer, nothing allocated */
    /* a bigger string grows the space; from then on it stays put */
    env.big = big;
    expr_eval(e, lookup, &env, &v);
    assert_int_equal(v.len, 4 + 4999);
    assert_memory_equal(v.str, "ana/BBB", 7);
    assert_int_equal(v.str[v.len], '\0');
    expr_eval(e, lookup, &env, &v);
    const char *grown = v.str;
    for (int i = 0; i < 100; i++) {
        env.big = i % 2 ? small : big;
        expr_eval(e, lookup, &env, &v);
        assert_ptr_equal(v.str, grown);
        assert_int_equal(v.len, i % 2 ? 9 : 5003);
        assert_int_equal(v.str[v.len - 1], i % 2 ? 'L' : 'B');
    }
    /* a literal result lives in the expression itself */
    expr_free(e);
    e = compile_ok("job.vip ? 'yes' : 'no'");
    expr_eval(e, lookup, &env, &v);
    assert_string_equal(v.str, "yes");
    expr_free(e);
    free(big);
}

static bool exists_twice(const char *text, struct env *env)
{
    struct expr *e = compile_ok(text);
    struct expr_value v, again;
    expr_eval(e, lookup, env, &v);
    expr_eval(e, lookup, env, &again); /* the second time with the space sized */
    expr_free(e);
    assert_true(v.type == EXPR_BOOL && again.type == EXPR_BOOL && v.b == again.b);
    return v.b;
}

static void scratch_limit(void **state)
{
    (void)state;
    struct env env = {0};
    size_t n = 1024 * 1024;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'x', n);
    big[n] = '\0';
    env.big = big;
    assert_false(exists_twice("exists(worker.big)", &env)); /* 1 MiB and its NUL: too long */
    big[n - 1] = '\0';
    assert_true(exists_twice("exists(worker.big)", &env));
    /* each lookup and each "+" counts: 200 + 200 + 400 KiB fit, 600 more do not */
    big[200 * 1024] = '\0';
    assert_true(exists_twice("exists(worker.big + worker.big)", &env));
    assert_false(exists_twice("exists(worker.big + worker.big + worker.big)", &env));
    assert_true(exists_twice("exists(upper(worker.big) + worker.big)", &env));
    assert_false(exists_twice("exists(upper(worker.big + worker.big))", &env));
    free(big);
}

static void text_is_kept(void **state)
{
    (void)state;
    struct expr *e = compile_ok("job.skill >= 3");
    assert_string_equal(expr_text(e), "job.skill >= 3");
    expr_free(e);
}

/* ---- micro-benchmark: printed, not asserted ---- */

static double bench_one(const char *text, long n)
{
    struct expr *e = compile_ok(text);
    struct expr_value v;
    struct timespec a, b;
    volatile double sink = 0;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) {
        expr_eval(e, lookup, NULL, &v);
        sink += v.type;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    expr_free(e);
    (void)sink;
    return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)n;
}

static void benchmark(void **state)
{
    (void)state;
    const char *texts[] = {
        "job.skill >= 3 && worker.language == 'es'",
        "job.vip ? 10 : 1",
        "max(job.skill - worker.skill, 0) * 2 + (worker.language == 'es' ? 5 : 0)",
        "lower(job.name) + '-' + worker.name",
    };
    long n = getenv("EXPR_BENCH_N") ? atol(getenv("EXPR_BENCH_N")) : 2000000;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        printf("expr bench: %6.1f ns/eval  %s\n", bench_one(texts[i], n), texts[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(literals),
        cmocka_unit_test(arithmetic_and_precedence),
        cmocka_unit_test(comparisons),
        cmocka_unit_test(type_mismatches),
        cmocka_unit_test(logic_and_truthiness),
        cmocka_unit_test(truthy_values),
        cmocka_unit_test(short_circuit),
        cmocka_unit_test(ternary),
        cmocka_unit_test(strings),
        cmocka_unit_test(escapes),
        cmocka_unit_test(absent_labels),
        cmocka_unit_test(functions),
        cmocka_unit_test(compile_errors),
        cmocka_unit_test(error_details),
        cmocka_unit_test(limits),
        cmocka_unit_test(volatile_lookup_strings),
        cmocka_unit_test(scratch_reuse),
        cmocka_unit_test(scratch_limit),
        cmocka_unit_test(text_is_kept),
        cmocka_unit_test(benchmark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
