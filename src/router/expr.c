/*
 * expr.c - the router's expression language, compiling: a tokenizer and a
 * recursive-descent parser that turn text into a flat array of nodes (the
 * evaluator that walks it is expr_eval.c).
 *
 * Compiling does all the checking (syntax, scopes, functions, argument
 * counts, limits), so evaluation cannot fail: it only turns values into
 * values. Strings that evaluation makes (concatenation, lower, upper) and
 * strings the lookup hands over live in a scratch buffer owned by the
 * expression, reset at the start of every evaluation; once it has grown to
 * what the expression needs, evaluation allocates nothing.
 */
#include "router/expr_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (printable ASCII included), or 0
 * for a control character or a byte that starts no valid sequence. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0x20 && c < 0x7F)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F; /* no surrogates */
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* A short piece of source text for a message, always valid UTF-8: other
 * bytes become '?', and a long piece ends with "...". buf holds 40 bytes. */
static const char *show(char *buf, const char *s, size_t n)
{
    size_t o = 0, i = 0;
    while (i < n && o < 24) {
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);
        if (k == 0) {
            buf[o++] = '?';
            i++;
            continue;
        }
        memcpy(buf + o, s + i, k);
        o += k;
        i += k;
    }
    if (i < n) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

/* Cut an incomplete UTF-8 sequence that snprintf left at the end. */
static void clip_utf8(char *s)
{
    size_t len = strlen(s), i = len;
    while (i > 0 && len - i < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i > 0 && (unsigned char)s[i - 1] >= 0xC0 &&
        utf8_seq((unsigned char *)s + i - 1, len - i + 1) == 0)
        s[i - 1] = '\0';
}

/* ---- the tokenizer ----------------------------------------------------- */

/* Token kinds; an operator's kind is T_OP + its op ("-" is OP_SUB). */
enum tok_kind {
    T_END,
    T_ERROR,
    T_NUMBER,
    T_STRING,
    T_IDENT,
    T_PATH, /* scope.name */
    T_QUESTION,
    T_COLON,
    T_LPAREN,
    T_RPAREN,
    T_COMMA,
    T_OP,
};

struct token {
    unsigned kind;
    size_t start, len; /* source span */
    size_t name;       /* T_PATH: where the label name starts */
    double num;
    uint32_t off, slen; /* T_STRING: the decoded text in the pool */
};

struct parser {
    const char *text;
    size_t pos;
    struct token tok;
    struct node *nodes;
    uint32_t count, cap;
    char *pool;
    size_t pool_len, pool_cap;
    const char *const *scopes;
    unsigned depth;
    bool failed, nomem;
    struct expr_error *err;
};

/* Record the first problem only: later ones are consequences of it. */
static uint32_t fail(struct parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static uint32_t fail(struct parser *p, size_t at, const char *fmt, ...)
{
    if (p->failed)
        return NONE;
    p->failed = true;
    p->tok.kind = T_ERROR;
    int column = 1;
    for (size_t i = 0; i < at; i++)
        column += ((unsigned char)p->text[i] & 0xC0) != 0x80;
    p->err->column = column;
    int n = snprintf(p->err->message, sizeof(p->err->message), "column %d: ", column);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->message + n, sizeof(p->err->message) - (size_t)n, fmt, ap);
    va_end(ap);
    clip_utf8(p->err->message);
    return NONE;
}

static bool out_of_memory(struct parser *p)
{
    if (!p->failed) {
        p->failed = p->nomem = true;
        p->tok.kind = T_ERROR;
        p->err->column = 0;
        snprintf(p->err->message, sizeof(p->err->message), "out of memory");
    }
    return false;
}

static bool pool_put(struct parser *p, const void *src, size_t n)
{
    if (p->pool_cap - p->pool_len < n) {
        size_t cap = p->pool_cap ? p->pool_cap : 64;
        while (cap - p->pool_len < n)
            cap *= 2;
        char *pool = realloc(p->pool, cap);
        if (!pool)
            return out_of_memory(p);
        p->pool = pool;
        p->pool_cap = cap;
    }
    memcpy(p->pool + p->pool_len, src, n);
    p->pool_len += n;
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || is_digit(c);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_digits(const char *s, size_t i)
{
    while (is_digit(s[i]))
        i++;
    return i;
}

/* Digits, an optional fraction, an optional exponent; strtod converts what
 * this accepted (and nothing else, so no hex, inf or nan). */
static void lex_number(struct parser *p, size_t i)
{
    const char *s = p->text;
    size_t j = skip_digits(s, i);
    bool ok = true;
    if (s[j] == '.') {
        ok = is_digit(s[j + 1]);
        j = skip_digits(s, j + 1);
    }
    if (ok && (s[j] == 'e' || s[j] == 'E')) {
        size_t k = j + 1 + (s[j + 1] == '+' || s[j + 1] == '-');
        ok = is_digit(s[k]);
        j = skip_digits(s, k);
    }
    char *end, b[40];
    double v = ok ? strtod(s + i, &end) : 0;
    if (!ok || end != s + j || is_name_char(s[j]) || s[j] == '.') {
        while (is_name_char(s[j]) || s[j] == '.')
            j++;
        fail(p, i, "malformed number \"%s\"", show(b, s + i, j - i));
    } else if (isinf(v)) {
        fail(p, i, "number too large");
    } else {
        p->tok = (struct token){.kind = T_NUMBER, .start = i, .len = j - i, .num = v};
        p->pos = j;
    }
}

/* A quoted string, decoded into the pool (NUL-terminated). Escapes: \\ \'
 * \" \n \r \t; other characters, UTF-8 included, stand for themselves. */
static void lex_string(struct parser *p, size_t i)
{
    static const char from[] = "\\'\"nrt", to[] = "\\'\"\n\r\t";
    const char *s = p->text, *hit = NULL;
    size_t j = i + 1, off = p->pool_len;
    char b[40];
    for (; s[j] != s[i]; j++) {
        if (!s[j] || (s[j] == '\\' && !s[j + 1])) {
            fail(p, i, "unterminated string");
            return;
        }
        if (s[j] == '\\' && !(hit = strchr(from, s[j + 1]))) {
            size_t k = utf8_seq((const unsigned char *)s + j + 1, strlen(s + j + 1));
            fail(p, j, "unknown escape \"\\%s\"", show(b, s + j + 1, k ? k : 1));
            return;
        }
        if (!pool_put(p, s[j] == '\\' ? &to[hit - from] : &s[j], 1))
            return;
        j += s[j] == '\\';
    }
    if (!pool_put(p, "", 1))
        return;
    p->tok = (struct token){.kind = T_STRING,
                            .start = i,
                            .len = j + 1 - i,
                            .off = (uint32_t)off,
                            .slen = (uint32_t)(p->pool_len - 1 - off)};
    p->pos = j + 1;
}

/* A name: a keyword, a function or a scope; "scope.label" is one token. */
static void lex_name(struct parser *p, size_t i)
{
    const char *s = p->text;
    size_t j = i;
    char b[40];
    while (is_name_char(s[j]))
        j++;
    p->tok = (struct token){.kind = T_IDENT, .start = i, .len = j - i};
    if (s[j] == '.') {
        if (!is_name_char(s[j + 1])) {
            fail(p, j + 1, "expected a label name after \"%s.\"", show(b, s + i, j - i));
            return;
        }
        p->tok.kind = T_PATH;
        p->tok.name = j + 1;
        for (j++; is_name_char(s[j]); j++)
            ;
        p->tok.len = j - i;
    }
    p->pos = j;
}

static const struct {
    char text[3];
    unsigned kind;
} operators[] = {
    {"==", T_OP + OP_EQ},  {"!=", T_OP + OP_NE}, {"<=", T_OP + OP_LE}, {">=", T_OP + OP_GE},
    {"&&", T_OP + OP_AND}, {"||", T_OP + OP_OR}, {"<", T_OP + OP_LT},  {">", T_OP + OP_GT},
    {"+", T_OP + OP_ADD},  {"-", T_OP + OP_SUB}, {"*", T_OP + OP_MUL}, {"/", T_OP + OP_DIV},
    {"%", T_OP + OP_MOD},  {"!", T_OP + OP_NOT}, {"?", T_QUESTION},    {":", T_COLON},
    {"(", T_LPAREN},       {")", T_RPAREN},      {",", T_COMMA},
};

static void lex_operator(struct parser *p, size_t i)
{
    const char *s = p->text;
    char b[40];
    for (size_t k = 0; k < sizeof(operators) / sizeof(operators[0]); k++) {
        size_t n = strlen(operators[k].text);
        if (!strncmp(s + i, operators[k].text, n)) {
            p->tok = (struct token){.kind = operators[k].kind, .start = i, .len = n};
            p->pos = i + n;
            return;
        }
    }
    if (s[i] == '=')
        fail(p, i, "unexpected \"=\" (use \"==\" to compare)");
    else if (s[i] == '&' || s[i] == '|')
        fail(p, i, "unexpected \"%c\" (use \"%c%c\")", s[i], s[i], s[i]);
    else {
        size_t k = utf8_seq((const unsigned char *)s + i, strlen(s + i));
        fail(p, i, "unexpected character \"%s\"", show(b, s + i, k ? k : 1));
    }
}

/* Read the next token into p->tok. After an error the token stays T_ERROR,
 * which no rule accepts, so the parser unwinds. */
static void advance(struct parser *p)
{
    const char *s = p->text;
    size_t i = p->pos;
    if (p->failed)
        return;
    while (is_space(s[i]))
        i++;
    if (!s[i])
        p->tok = (struct token){.kind = T_END, .start = i};
    else if (is_digit(s[i]) || (s[i] == '.' && is_digit(s[i + 1])))
        lex_number(p, i);
    else if (s[i] == '\'' || s[i] == '"')
        lex_string(p, i);
    else if (is_name_char(s[i]))
        lex_name(p, i);
    else
        lex_operator(p, i);
}

/* The op of an operator token, if it is one of first..last. */
static bool token_op(const struct parser *p, enum op first, enum op last, enum op *op)
{
    if (p->tok.kind < T_OP + first || p->tok.kind > T_OP + last)
        return false;
    *op = (enum op)(p->tok.kind - T_OP);
    return true;
}

/* ---- the parser -------------------------------------------------------- */

static uint32_t node_new(struct parser *p, size_t at, enum op op)
{
    if (p->failed)
        return NONE;
    if (p->count == MAX_NODES)
        return fail(p, at, "expression too large (at most %d values and operators)", MAX_NODES);
    if (p->count == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 16;
        struct node *nodes = realloc(p->nodes, cap * sizeof(*nodes));
        if (!nodes)
            return out_of_memory(p), NONE;
        p->nodes = nodes;
        p->cap = cap;
    }
    p->nodes[p->count] = (struct node){
        .op = op, .height = 1, .a = NONE, .b = NONE, .c = NONE, .next = NONE, .off = NONE};
    return p->count++;
}

static unsigned height_of(const struct parser *p, uint32_t i)
{
    return i == NONE ? 0 : p->nodes[i].height;
}

/* Fix the node's height from its operands, refusing a tree too tall for
 * the evaluator's recursion. Returns the node, or NONE. */
static uint32_t node_done(struct parser *p, uint32_t i, size_t at)
{
    struct node *n = &p->nodes[i];
    unsigned h = 0, k;
    bool list = n->op == OP_AND || n->op == OP_OR || n->op >= OP_MIN;
    for (uint32_t c = n->a; list && c != NONE; c = p->nodes[c].next)
        if ((k = height_of(p, c)) > h)
            h = k;
    if (!list) {
        h = height_of(p, n->a);
        if ((k = height_of(p, n->b)) > h)
            h = k;
        if ((k = height_of(p, n->c)) > h)
            h = k;
    }
    if (h + 1 > MAX_DEPTH)
        return fail(p, at, "expression nested too deeply (at most %d levels)", MAX_DEPTH);
    n->height = (uint8_t)(h + 1);
    return i;
}

static uint32_t node_op(struct parser *p, size_t at, enum op op, uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t i = node_new(p, at, op);
    if (i == NONE)
        return NONE;
    p->nodes[i].a = a;
    p->nodes[i].b = b;
    p->nodes[i].c = c;
    return node_done(p, i, at);
}

static bool enter(struct parser *p)
{
    if (++p->depth <= MAX_DEPTH)
        return true;
    fail(p, p->tok.start, "expression nested too deeply (at most %d levels)", MAX_DEPTH);
    return false;
}

static bool expect(struct parser *p, unsigned kind, const char *what)
{
    if (p->tok.kind != kind) {
        fail(p, p->tok.start, "expected %s", what);
        return false;
    }
    advance(p);
    return true;
}

static uint32_t parse_cond(struct parser *p);

static const struct func {
    const char *name;
    enum op op;
    unsigned min_args, max_args;
} funcs[] = {
    {"min", OP_MIN, 1, MAX_NODES},   {"max", OP_MAX, 1, MAX_NODES}, {"abs", OP_ABS, 1, 1},
    {"contains", OP_CONTAINS, 2, 2}, {"lower", OP_LOWER, 1, 1},     {"upper", OP_UPPER, 1, 1},
    {"exists", OP_EXISTS, 1, 1},
};

static bool token_is(const struct parser *p, const char *word)
{
    size_t n = strlen(word);
    return p->tok.len == n && !memcmp(p->text + p->tok.start, word, n);
}

static uint32_t check_args(struct parser *p, const struct func *f, size_t at, unsigned argc)
{
    if (f->min_args == f->max_args && argc != f->min_args)
        return fail(p, at, "%s takes %u argument%s, not %u", f->name, f->min_args,
                    f->min_args == 1 ? "" : "s", argc);
    if (argc < f->min_args)
        return fail(p, at, "%s takes at least %u argument%s", f->name, f->min_args,
                    f->min_args == 1 ? "" : "s");
    return 0;
}

/* name "(" [cond ("," cond)*] ")" with the arguments linked in order. */
static uint32_t parse_call(struct parser *p, const struct func *f)
{
    size_t at = p->tok.start;
    uint32_t call = node_new(p, at, f->op), last = NONE;
    unsigned argc = 0;
    advance(p);
    if (p->tok.kind != T_LPAREN)
        return fail(p, p->tok.start, "expected \"(\" after \"%s\"", f->name);
    advance(p);
    while (p->tok.kind != T_RPAREN && call != NONE) {
        if (argc && !expect(p, T_COMMA, "\",\" or \")\""))
            return NONE;
        uint32_t arg = parse_cond(p);
        if (arg == NONE)
            return NONE;
        *(last == NONE ? &p->nodes[call].a : &p->nodes[last].next) = arg;
        last = arg;
        argc++;
    }
    if (call == NONE || !expect(p, T_RPAREN, "\")\"") || check_args(p, f, at, argc) == NONE)
        return NONE;
    return node_done(p, call, at);
}

static uint32_t parse_const(struct parser *p, struct expr_value val, uint32_t off)
{
    uint32_t i = node_new(p, p->tok.start, OP_CONST);
    if (i == NONE)
        return NONE;
    p->nodes[i].val = val;
    p->nodes[i].off = off;
    advance(p);
    return i;
}

/* "scope.label": the scope's index and the label name, in the pool. */
static uint32_t parse_path(struct parser *p)
{
    const char *s = p->text;
    size_t len = p->tok.name - 1 - p->tok.start, name_len = p->tok.len - (len + 1);
    char b[40], known[64] = "";
    for (unsigned k = 0; p->scopes[k] && k <= UINT16_MAX; k++) {
        if (strlen(p->scopes[k]) != len || memcmp(p->scopes[k], s + p->tok.start, len))
            continue;
        uint32_t i = node_new(p, p->tok.start, OP_LOOKUP), off = (uint32_t)p->pool_len;
        if (i == NONE || !pool_put(p, s + p->tok.name, name_len) || !pool_put(p, "", 1))
            return NONE;
        p->nodes[i].scope = (uint16_t)k;
        p->nodes[i].off = off;
        advance(p);
        return i;
    }
    for (unsigned k = 0; p->scopes[k] && strlen(known) + strlen(p->scopes[k]) + 5 < 64; k++)
        snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s", k ? ", " : "",
                 p->scopes[k]);
    return fail(p, p->tok.start, "unknown scope \"%s\" (known: %s)", show(b, s + p->tok.start, len),
                known[0] ? known : "none");
}

/* A bare name: a keyword, a function call, or a mistake worth explaining. */
static uint32_t parse_ident(struct parser *p)
{
    const char *s = p->text;
    char b[40];
    size_t at = p->tok.start, after = p->pos;
    if (token_is(p, "true") || token_is(p, "false"))
        return parse_const(p, (struct expr_value){.type = EXPR_BOOL, .b = token_is(p, "true")},
                           NONE);
    if (token_is(p, "null"))
        return parse_const(p, (struct expr_value){.type = EXPR_NULL}, NONE);
    for (size_t k = 0; k < sizeof(funcs) / sizeof(funcs[0]); k++)
        if (token_is(p, funcs[k].name))
            return parse_call(p, &funcs[k]);
    show(b, s + at, p->tok.len);
    for (unsigned k = 0; p->scopes[k]; k++)
        if (token_is(p, p->scopes[k]))
            return fail(p, at, "expected \".\" and a label name after \"%s\"", b);
    while (s[after] == ' ' || s[after] == '\t' || s[after] == '\n' || s[after] == '\r')
        after++;
    if (s[after] == '(')
        return fail(p, at, "unknown function \"%s\"", b);
    if (p->scopes[0])
        return fail(p, at, "unknown name \"%s\" (labels are written like %s.%s)", b, p->scopes[0],
                    b);
    return fail(p, at, "unknown name \"%s\"", b);
}

static uint32_t parse_primary(struct parser *p)
{
    uint32_t i;
    switch (p->tok.kind) {
    case T_NUMBER:
        return parse_const(p, (struct expr_value){.type = EXPR_NUMBER, .num = p->tok.num}, NONE);
    case T_STRING:
        return parse_const(p, (struct expr_value){.type = EXPR_STRING, .len = p->tok.slen},
                           p->tok.off);
    case T_IDENT:
        return parse_ident(p);
    case T_PATH:
        return parse_path(p);
    case T_LPAREN:
        advance(p);
        i = parse_cond(p);
        return i != NONE && expect(p, T_RPAREN, "\")\"") ? i : NONE;
    default:
        return fail(p, p->tok.start, "expected a value");
    }
}

/* A minus before a number literal is folded into it: "-3" is one node. */
static uint32_t parse_unary(struct parser *p)
{
    enum op op;
    size_t at = p->tok.start;
    if (!token_op(p, OP_NOT, OP_NOT, &op) && !token_op(p, OP_SUB, OP_SUB, &op))
        return parse_primary(p);
    if (!enter(p))
        return NONE;
    advance(p);
    uint32_t k = parse_unary(p);
    p->depth--;
    if (k == NONE)
        return NONE;
    struct node *n = &p->nodes[k];
    if (op == OP_SUB && n->op == OP_CONST && n->val.type == EXPR_NUMBER) {
        n->val.num = -n->val.num;
        return k;
    }
    return node_op(p, at, op == OP_NOT ? OP_NOT : OP_NEG, k, NONE, NONE);
}

/* Left-associative binary levels: sum (+ -) over prod (* / %) over unary. */
static uint32_t parse_binary(struct parser *p, bool sum)
{
    uint32_t l = sum ? parse_binary(p, false) : parse_unary(p);
    enum op op;
    while (l != NONE && token_op(p, sum ? OP_ADD : OP_MUL, sum ? OP_SUB : OP_MOD, &op)) {
        size_t at = p->tok.start;
        advance(p);
        uint32_t r = sum ? parse_binary(p, false) : parse_unary(p);
        l = r == NONE ? NONE : node_op(p, at, op, l, r, NONE);
    }
    return l;
}

static uint32_t parse_cmp(struct parser *p)
{
    uint32_t l = parse_binary(p, true);
    enum op op, again;
    if (l == NONE || !token_op(p, OP_EQ, OP_GE, &op))
        return l;
    size_t at = p->tok.start;
    advance(p);
    uint32_t r = parse_binary(p, true);
    if (r == NONE)
        return NONE;
    if (token_op(p, OP_EQ, OP_GE, &again))
        return fail(p, p->tok.start, "comparisons cannot be chained; join them with \"&&\"");
    return node_op(p, at, op, l, r, NONE);
}

/* "&&" and "||" chains become one node with a list of operands, so they
 * add one level, however long. */
static uint32_t parse_logic(struct parser *p, enum op logic)
{
    uint32_t first = logic == OP_OR ? parse_logic(p, OP_AND) : parse_cmp(p);
    enum op op;
    if (first == NONE || !token_op(p, logic, logic, &op))
        return first;
    size_t at = p->tok.start;
    uint32_t list = node_new(p, at, logic), last = first;
    if (list == NONE)
        return NONE;
    p->nodes[list].a = first;
    while (token_op(p, logic, logic, &op)) {
        advance(p);
        uint32_t k = logic == OP_OR ? parse_logic(p, OP_AND) : parse_cmp(p);
        if (k == NONE)
            return NONE;
        p->nodes[last].next = k;
        last = k;
    }
    return node_done(p, list, at);
}

static uint32_t parse_cond(struct parser *p)
{
    if (!enter(p))
        return NONE;
    uint32_t c = parse_logic(p, OP_OR), a = NONE, b = NONE;
    size_t at = p->tok.start;
    if (c != NONE && p->tok.kind == T_QUESTION) {
        advance(p);
        a = parse_cond(p);
        if (a != NONE && expect(p, T_COLON, "\":\""))
            b = parse_cond(p);
        c = b == NONE ? NONE : node_op(p, at, OP_COND, c, a, b);
    }
    p->depth--;
    return c;
}

/* ---- compiling --------------------------------------------------------- */

static int compile_fail(struct parser *p)
{
    free(p->nodes);
    free(p->pool);
    return p->nomem ? ENOMEM : EINVAL;
}

/* One block: the struct, the nodes, the pool, the text; then the string
 * pointers of the nodes are set, now that the pool has its final place. */
static struct expr *assemble(struct parser *p, uint32_t root, size_t text_len)
{
    size_t nodes_size = p->count * sizeof(struct node);
    struct expr *e = malloc(sizeof(*e) + nodes_size + p->pool_len + text_len + 1);
    char *scratch = malloc(SCRATCH_MIN);
    if (!e || !scratch) {
        free(e);
        free(scratch);
        return NULL;
    }
    memset(e, 0, sizeof(*e));
    memcpy(e->nodes, p->nodes, nodes_size);
    char *pool = (char *)e->nodes + nodes_size;
    if (p->pool_len)
        memcpy(pool, p->pool, p->pool_len);
    memcpy(pool + p->pool_len, p->text, text_len + 1);
    e->pool = pool;
    e->text = pool + p->pool_len;
    e->root = root;
    e->scratch.buf = scratch;
    e->scratch.cap = SCRATCH_MIN;
    for (uint32_t i = 0; i < p->count; i++)
        if (e->nodes[i].off != NONE)
            e->nodes[i].val.str = pool + e->nodes[i].off;
    return e;
}

int expr_compile(struct expr **exprp, const char *text, const char *const *scopes,
                 struct expr_error *err)
{
    static const char *const no_scopes[] = {NULL};
    struct expr_error spare;
    struct parser p = {
        .text = text, .scopes = scopes ? scopes : no_scopes, .err = err ? err : &spare};
    memset(p.err, 0, sizeof(*p.err));
    if (!exprp || !text) {
        snprintf(p.err->message, sizeof(p.err->message), "no expression");
        return EINVAL;
    }
    *exprp = NULL;
    size_t len = strnlen(text, MAX_TEXT + 1);
    if (len > MAX_TEXT)
        return fail(&p, 0, "expression too long (at most %d bytes)", MAX_TEXT), EINVAL;
    advance(&p);
    uint32_t root = parse_cond(&p);
    if (root != NONE && p.tok.kind != T_END) {
        char b[40];
        fail(&p, p.tok.start, "unexpected \"%s\"", show(b, text + p.tok.start, p.tok.len));
    }
    if (p.failed)
        return compile_fail(&p);
    *exprp = assemble(&p, root, len);
    free(p.nodes);
    free(p.pool);
    if (!*exprp) {
        snprintf(p.err->message, sizeof(p.err->message), "out of memory");
        return ENOMEM;
    }
    return 0;
}

void expr_free(struct expr *expr)
{
    if (!expr)
        return;
    for (unsigned i = 0; i < expr->scratch.n_old; i++)
        free(expr->scratch.old[i]);
    free(expr->scratch.buf);
    free(expr);
}

const char *expr_text(const struct expr *expr)
{
    return expr ? expr->text : "";
}
