/*
 * test_yaml_load.c - unit tests for the YAML loader and dumper: scalar
 * typing, positions (marks), every refusal (syntax, duplicates, aliases,
 * depth, merge keys, several documents) and the dump round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/yaml_load.h"

/* Load `text`; fail the test if it does not load. */
static json_t *load_ok(const char *text, json_t **marks)
{
    json_t *root = NULL;
    struct yaml_error err;
    int rc = yaml_load_buffer(text, strlen(text), &root, marks, &err);
    if (rc)
        print_error("unexpected error %d at %d:%d: %s\n", rc, err.line, err.column, err.message);
    assert_int_equal(rc, 0);
    assert_non_null(root);
    return root;
}

/* Load `text`, expect EBADMSG at line:column with `words` in the message. */
static void load_fails(const char *text, int line, int column, const char *words)
{
    json_t *root = (json_t *)1, *marks = (json_t *)1;
    struct yaml_error err;
    int rc = yaml_load_buffer(text, strlen(text), &root, &marks, &err);
    assert_int_equal(rc, EBADMSG);
    assert_null(root);
    assert_null(marks);
    if (!strstr(err.message, words))
        print_error("message \"%s\" lacks \"%s\"\n", err.message, words);
    assert_non_null(strstr(err.message, words));
    assert_int_equal(err.line, line);
    assert_int_equal(err.column, column);
}

/* The value of "v: <text>", compared with the JSON `want`. */
static void scalar_is(const char *text, const char *want)
{
    char doc[256];
    snprintf(doc, sizeof(doc), "v: %s\n", text);
    json_t *root = load_ok(doc, NULL);
    json_t *expected = json_loads(want, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    assert_non_null(expected);
    json_t *got = json_object_get(root, "v");
    if (!json_equal(got, expected)) {
        char *s = json_dumps(got, JSON_ENCODE_ANY);
        print_error("v: %s gave %s, want %s\n", text, s, want);
        free(s);
    }
    assert_true(json_equal(got, expected));
    /* An integer must not come back as a real of the same value. */
    assert_int_equal(json_typeof(got), json_typeof(expected));
    json_decref(expected);
    json_decref(root);
}

static void test_null_and_booleans(void **state)
{
    (void)state;
    scalar_is("~", "null");
    scalar_is("null", "null");
    scalar_is("Null", "null");
    scalar_is("NULL", "null");
    scalar_is("", "null");
    scalar_is("true", "true");
    scalar_is("True", "true");
    scalar_is("TRUE", "true");
    scalar_is("false", "false");
    scalar_is("FALSE", "false");
    /* YAML 1.1 booleans are plain strings in 1.2 */
    scalar_is("yes", "\"yes\"");
    scalar_is("no", "\"no\"");
    scalar_is("on", "\"on\"");
    scalar_is("off", "\"off\"");
    scalar_is("y", "\"y\"");
    scalar_is("nULL", "\"nULL\"");
    scalar_is("tRUE", "\"tRUE\"");
}

static void test_numbers(void **state)
{
    (void)state;
    scalar_is("12", "12");
    scalar_is("-7", "-7");
    scalar_is("+5", "5");
    scalar_is("0", "0");
    scalar_is("0012", "12"); /* decimal, not octal, in 1.2 */
    scalar_is("0x1F", "31");
    scalar_is("0xff", "255");
    scalar_is("0o17", "15");
    scalar_is("9223372036854775807", "9223372036854775807");
    scalar_is("-9223372036854775808", "-9223372036854775808");
    scalar_is("1.5", "1.5");
    scalar_is("-0.25", "-0.25");
    scalar_is(".5", "0.5");
    scalar_is("1.", "1.0");
    scalar_is("1e3", "1000.0");
    scalar_is("1E-2", "0.01");
    scalar_is("+1.5e+2", "150.0");
    /* not numbers in the core schema */
    scalar_is("0X1F", "\"0X1F\"");
    scalar_is("0b101", "\"0b101\"");
    scalar_is("1_000", "\"1_000\"");
    scalar_is("1:30", "\"1:30\"");
    scalar_is("0o8", "\"0o8\"");
    scalar_is("-0x1", "\"-0x1\"");
    scalar_is("1e", "\"1e\"");
    scalar_is(".", "\".\"");
    scalar_is("+", "\"+\"");
    scalar_is("2024-12-25", "\"2024-12-25\"");
    scalar_is("1.2.3", "\"1.2.3\"");
}

static void test_strings(void **state)
{
    (void)state;
    scalar_is("hello world", "\"hello world\"");
    scalar_is("'123'", "\"123\"");
    scalar_is("\"true\"", "\"true\"");
    scalar_is("\"~\"", "\"~\"");
    scalar_is("''", "\"\"");
    scalar_is("!!str 123", "\"123\"");
    scalar_is("! 12", "\"12\"");
    scalar_is("!!str", "\"\"");
    scalar_is("|\n  12\n", "\"12\\n\"");
    scalar_is(">-\n  a\n  b\n", "\"a b\"");
    scalar_is("\"caf\\u00e9 \\x41\"", "\"caf\\u00e9 A\"");
    scalar_is("\"nul\\0byte\"", "\"nul\\u0000byte\"");
}

static void test_number_errors(void **state)
{
    (void)state;
    load_fails("a: 1\nv: 9223372036854775808\n", 2, 4, "too large");
    load_fails("v: -9223372036854775809\n", 1, 4, "too large");
    load_fails("v: 0xffffffffffffffffff\n", 1, 4, "too large");
    load_fails("v: 1e999\n", 1, 4, "too large");
    load_fails("v: .inf\n", 1, 4, "infinity and NaN");
    load_fails("v: -.Inf\n", 1, 4, "infinity and NaN");
    load_fails("v: .nan\n", 1, 4, "infinity and NaN");
    load_fails("v: !!int 12\n", 1, 4, "the tag !!int is not supported");
    load_fails("v: !custom x\n", 1, 4, "the tag \"!custom\" is not supported");
    load_fails("v: !!str [1]\n", 1, 4, "the tag !!str is not supported");
}

static void assert_mark(const json_t *marks, const char *pointer, int line, int column)
{
    json_t *pos = json_object_get(marks, pointer);
    if (!pos)
        print_error("no mark for \"%s\"\n", pointer);
    assert_non_null(pos);
    if (json_integer_value(json_array_get(pos, 0)) != line ||
        json_integer_value(json_array_get(pos, 1)) != column)
        print_error("mark \"%s\" is [%d, %d], want [%d, %d]\n", pointer,
                    (int)json_integer_value(json_array_get(pos, 0)),
                    (int)json_integer_value(json_array_get(pos, 1)), line, column);
    assert_int_equal(json_integer_value(json_array_get(pos, 0)), line);
    assert_int_equal(json_integer_value(json_array_get(pos, 1)), column);
}

static const char marks_doc[] = "server:\n"
                                "  http:\n"
                                "    listen: \"127.0.0.1:8080\"\n"
                                "users:\n"
                                "  - name: alice\n"
                                "    roles: [admin, agent]\n"
                                "  - {name: bob}\n"
                                "\"a/b~c\": 1\n";

static void test_marks(void **state)
{
    (void)state;
    json_t *marks = NULL;
    json_t *root = load_ok(marks_doc, &marks);
    assert_mark(marks, "", 1, 1);
    assert_mark(marks, "/server#key", 1, 1);
    assert_mark(marks, "/server", 2, 3);
    assert_mark(marks, "/server/http#key", 2, 3);
    assert_mark(marks, "/server/http/listen#key", 3, 5);
    assert_mark(marks, "/server/http/listen", 3, 13);
    assert_mark(marks, "/users#key", 4, 1);
    assert_mark(marks, "/users", 5, 3);
    assert_mark(marks, "/users/0", 5, 5);
    assert_mark(marks, "/users/0/name#key", 5, 5);
    assert_mark(marks, "/users/0/name", 5, 11);
    assert_mark(marks, "/users/0/roles", 6, 12);
    assert_mark(marks, "/users/0/roles/0", 6, 13);
    assert_mark(marks, "/users/0/roles/1", 6, 20);
    assert_mark(marks, "/users/1", 7, 5);
    assert_mark(marks, "/users/1/name#key", 7, 6);
    assert_mark(marks, "/users/1/name", 7, 12);
    /* RFC 6901: "~" is "~0" and "/" is "~1" */
    assert_mark(marks, "/a~1b~0c#key", 8, 1);
    assert_mark(marks, "/a~1b~0c", 8, 10);
    assert_int_equal(json_object_size(marks), 21);
    json_decref(root);
    json_decref(marks);
}

/* Positions count characters, not bytes. */
static void test_marks_unicode(void **state)
{
    (void)state;
    json_t *marks = NULL;
    json_t *root = load_ok("caf\xc3\xa9: [\xc3\xa9t\xc3\xa9, x]\n", &marks);
    assert_mark(marks, "/caf\xc3\xa9", 1, 7);
    assert_mark(marks, "/caf\xc3\xa9/1", 1, 13);
    json_decref(root);
    json_decref(marks);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    load_fails("a: 1\n  b: 2\n", 2, 4, "mapping values are not allowed");
    load_fails("a:\n\tb: 1\n", 2, 1, "cannot start any token");
    load_fails("a: [1, 2\nb: 3\n", 2, 2,
               "while parsing a flow sequence that started at line 1, column 4");
    load_fails("a: \"open\n", 2, 1, "unexpected end of stream");
    load_fails("ok: 1\nbad: \xff\n", 2, 6, "invalid leading UTF-8 octet");
}

static void test_duplicate_key(void **state)
{
    (void)state;
    load_fails("name: a\nrole: x\nname: b\n", 3, 1, "duplicate key \"name\"");
    load_fails("users:\n  - {id: 1, id: 2}\n", 2, 13, "duplicate key \"id\"");
    /* a plain and a quoted key with the same text are the same key */
    load_fails("1: a\n\"1\": b\n", 2, 1, "duplicate key \"1\"");
    /* long keys are shortened in messages; escapes (\x01) take four bytes */
    char line[700] = "\"", doc[1400];
    for (int i = 0; i < 150; i++)
        strcat(line, "\\x01");
    strcat(line, "\": 1\n");
    snprintf(doc, sizeof(doc), "%s%s", line, line);
    load_fails(doc, 2, 1, "duplicate key \"\\x01\\x01");
}

static void test_bad_keys(void **state)
{
    (void)state;
    load_fails("? [a]\n: 1\n", 1, 3, "expected a mapping key to be a scalar, found a list");
    load_fails("? {a: 1}\n: 1\n", 1, 3, "expected a mapping key to be a scalar, found a mapping");
    load_fails("a: &x 1\n*x : 2\n", 2, 1, "expected a mapping key to be a scalar, found an alias");
    load_fails("&k a: 1\n", 1, 1, "anchors on mapping keys are not supported");
    load_fails("ok: 1\n\"a\\0b\": 1\n", 2, 1, "cannot contain a NUL character");
    /* keys are text, whatever they look like */
    json_t *root = load_ok("1: a\ntrue: b\nnull: c\n", NULL);
    assert_string_equal(json_string_value(json_object_get(root, "1")), "a");
    assert_string_equal(json_string_value(json_object_get(root, "true")), "b");
    assert_string_equal(json_string_value(json_object_get(root, "null")), "c");
    json_decref(root);
}

static void test_alias_copy(void **state)
{
    (void)state;
    json_t *marks = NULL;
    json_t *root =
        load_ok("base: &b\n  x: 1\n  y: [1, 2]\ncopy: *b\nnum: &n 5\nagain: *n\n", &marks);
    json_t *base = json_object_get(root, "base"), *copy = json_object_get(root, "copy");
    assert_true(json_equal(base, copy));
    assert_ptr_not_equal(base, copy);
    /* a deep copy: changing one leaves the other */
    json_array_append_new(json_object_get(copy, "y"), json_integer(3));
    assert_int_equal(json_array_size(json_object_get(base, "y")), 2);
    assert_int_equal(json_integer_value(json_object_get(root, "again")), 5);
    /* the alias itself is where it is used; inside, where the text is */
    assert_mark(marks, "/copy", 4, 7);
    assert_mark(marks, "/copy/x#key", 2, 3);
    assert_mark(marks, "/copy/x", 2, 6);
    assert_mark(marks, "/copy/y/1", 3, 10);
    json_decref(root);
    json_decref(marks);
}

static void test_alias_errors(void **state)
{
    (void)state;
    load_fails("a: *nope\n", 1, 4, "the alias *nope has no anchor &nope before it");
    load_fails("a: &x [1, *x]\n", 1, 11, "the alias *x is inside the node it refers to");
    load_fails("a: *x\nb: &x 1\n", 1, 4, "no anchor");
    /* the latest anchor of a name wins */
    json_t *root = load_ok("a: &x 1\nb: &x 2\nc: *x\n", NULL);
    assert_int_equal(json_integer_value(json_object_get(root, "c")), 2);
    json_decref(root);
}

/* "Billion laughs": nine levels of ten aliases each. */
static void test_alias_bomb(void **state)
{
    (void)state;
    const char *bomb =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    json_t *root = NULL;
    struct yaml_error err;
    assert_int_equal(yaml_load_buffer(bomb, strlen(bomb), &root, NULL, &err), EBADMSG);
    assert_null(root);
    assert_non_null(strstr(err.message, "more than 1000000 values"));
    assert_int_equal(err.line, 7);

    /* Few nodes, many bytes: a 100 KB string copied 1000 times. */
    enum { big = 100 * 1024 };
    static char text[big + 200];
    strcpy(text, "a: &a ");
    memset(text + 6, 'x', big);
    strcpy(text + 6 + big, "\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                           "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                           "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n");
    assert_int_equal(yaml_load_buffer(text, strlen(text), &root, NULL, &err), EBADMSG);
    assert_non_null(strstr(err.message, "more than 64 MiB"));
    assert_int_equal(err.line, 4);
}

static char *nested(int levels)
{
    char *s = malloc((size_t)levels * 2 + 8);
    strcpy(s, "v: ");
    memset(s + 3, '[', (size_t)levels);
    memset(s + 3 + levels, ']', (size_t)levels);
    s[3 + 2 * levels] = '\0';
    return s;
}

static void test_depth_limit(void **state)
{
    (void)state;
    /* the root mapping is level 1, so 63 lists reach 64 */
    char *ok = nested(63), *bad = nested(64);
    json_t *root = load_ok(ok, NULL);
    json_decref(root);
    load_fails(bad, 1, 67, "nesting is deeper than 64 levels");
    free(ok);
    free(bad);

    /* an alias that lands too deep is refused too */
    char *deep = nested(40);
    char doc[512];
    snprintf(doc, sizeof(doc),
             "a: &x %s\nb: [[[[[[[[[[[[[[[[[[[[[[[[[*x]]]]]]]]]]]]]]]]]]]]]]]]]\n", deep + 3);
    load_fails(doc, 2, 29, "the alias *x nests deeper than 64 levels");
    free(deep);
}

static void test_merge_key_refused(void **state)
{
    (void)state;
    load_fails("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n", 3, 3, "merge keys (<<)");
    /* a quoted "<<" is an ordinary key */
    json_t *root = load_ok("\"<<\": 1\n", NULL);
    assert_int_equal(json_integer_value(json_object_get(root, "<<")), 1);
    json_decref(root);
}

static void test_one_document(void **state)
{
    (void)state;
    load_fails("a: 1\n---\nb: 2\n", 2, 1, "only one document");
    load_fails("--- a\n--- b\n", 2, 1, "only one document");
    json_t *root = load_ok("---\na: 1\n...\n", NULL);
    assert_int_equal(json_integer_value(json_object_get(root, "a")), 1);
    json_decref(root);
}

static void test_empty_document(void **state)
{
    (void)state;
    const char *empties[] = {"", "# only a comment\n", "---\n", "---\n...\n", "\n\n"};
    for (size_t i = 0; i < sizeof(empties) / sizeof(*empties); i++) {
        json_t *marks = NULL;
        json_t *root = load_ok(empties[i], &marks);
        assert_true(json_is_object(root));
        assert_int_equal(json_object_size(root), 0);
        assert_non_null(json_object_get(marks, ""));
        json_decref(root);
        json_decref(marks);
    }
    /* an explicit null is not empty */
    json_t *root = load_ok("~\n", NULL);
    assert_true(json_is_null(root));
    root = load_ok("just text\n", NULL);
    assert_string_equal(json_string_value(root), "just text");
    json_decref(root);
    /* NULL buffer of length 0 is an empty stream */
    assert_int_equal(yaml_load_buffer(NULL, 0, &root, NULL, NULL), 0);
    assert_int_equal(json_object_size(root), 0);
    json_decref(root);
}

static void test_input_limit(void **state)
{
    (void)state;
    size_t len = (16u << 20) + 1;
    char *text = malloc(len);
    json_t *root = NULL;
    struct yaml_error err;
    memset(text, ' ', len);
    assert_int_equal(yaml_load_buffer(text, len, &root, NULL, &err), EBADMSG);
    assert_non_null(strstr(err.message, "larger than 16 MiB"));
    free(text);
}

static void test_load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/test_yaml_load_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, marks_doc, strlen(marks_doc)), (ssize_t)strlen(marks_doc));
    close(fd);
    json_t *root = NULL, *marks = NULL;
    struct yaml_error err;
    assert_int_equal(yaml_load_file(path, &root, &marks, &err), 0);
    assert_int_equal(json_array_size(json_object_get(root, "users")), 2);
    assert_mark(marks, "/users/1/name", 7, 12);
    json_decref(root);
    json_decref(marks);
    unlink(path);

    assert_int_equal(yaml_load_file(path, &root, NULL, &err), ENOENT);
    assert_non_null(strstr(err.message, path));
    assert_int_equal(yaml_load_file("/tmp", &root, NULL, &err), EISDIR);
}

/* ---- dump ---- */

static void assert_round_trip(const json_t *tree)
{
    char *text = NULL;
    json_t *back = NULL;
    struct yaml_error err;
    assert_int_equal(yaml_dump(tree, &text), 0);
    int rc = yaml_load_buffer(text, strlen(text), &back, NULL, &err);
    if (rc || !json_equal(tree, back)) {
        char *want = json_dumps(tree, JSON_ENCODE_ANY);
        char *got = back ? json_dumps(back, JSON_ENCODE_ANY) : NULL;
        print_error("round trip failed (%s)\nyaml:\n%s\nwant %s\ngot  %s\n", err.message, text,
                    want, got ? got : "-");
        free(want);
        free(got);
    }
    assert_int_equal(rc, 0);
    assert_true(json_equal(tree, back));
    json_decref(back);
    free(text);
}

static const char *const tricky[] = {
    "true",
    "false",
    "True",
    "yes",
    "no",
    "null",
    "Null",
    "~",
    "",
    "123",
    "-1",
    "+1",
    "0x10",
    "0o7",
    "1.5",
    ".5",
    "1e3",
    "1.",
    ".inf",
    "-.inf",
    ".nan",
    "<<",
    "a: b",
    "a:b",
    "- x",
    "-",
    "--",
    "---",
    "...",
    "#c",
    "a #b",
    "a# b",
    " lead",
    "trail ",
    "  ",
    "multi\nline",
    "multi\nline\n",
    "trailing\n\n",
    "\n",
    "\nlead",
    " \n x",
    "\ttab",
    "quote\"s",
    "'single'",
    "it's",
    "[x]",
    "{y}",
    "*alias",
    "&anchor",
    "!tag",
    "%percent",
    "@at",
    "`back",
    "|pipe",
    ">gt",
    "?q",
    "? q",
    ",comma",
    "caf\xc3\xa9",
    "emoji \xf0\x9f\x98\x80",
    "\x01"
    "ctl",
    "line\r\nCRLF",
    "\xe2\x80\xa8"
    "sep",
    "\xc2\xa0nbsp",
    "\xef\xbb\xbf"
    "bom",
    "a\\b",
    "\"",
    "'",
    "key: value # comment",
    "x\t",
    "2024-12-25",
    "12:30:00",
    "1_000",
    "0b1",
    "=",
    "<",
};

static void test_dump_round_trip_strings(void **state)
{
    (void)state;
    json_t *obj = json_object(), *arr = json_array();
    for (size_t i = 0; i < sizeof(tricky) / sizeof(*tricky); i++) {
        json_array_append_new(arr, json_string(tricky[i]));
        json_object_set_new(obj, tricky[i], json_string(tricky[i]));
        /* each string alone as the whole document, too */
        json_t *alone = json_string(tricky[i]);
        assert_round_trip(alone);
        json_decref(alone);
    }
    json_array_append_new(arr, json_stringn("nul\0byte", 8));
    char long_text[600];
    memset(long_text, 'w', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    long_text[300] = ' ';
    json_array_append_new(arr, json_string(long_text));
    json_object_set_new(obj, long_text, json_string(long_text));
    json_object_set_new(obj, "list", arr);
    assert_round_trip(obj);
    json_decref(obj);
}

static void test_dump_round_trip_values(void **state)
{
    (void)state;
    const char *docs[] = {
        "{\"a\": {\"b\": [1, \"x\", null, true, false, 2.5]}, \"e\": {}, \"l\": []}",
        "[[[1]], [], {}, [{\"k\": [{}]}]]",
        "[0.1, -0.0, 1e300, 5e-324, 1000.0, 1.2345678901234567e+20, 3.0, -2.5e-10]",
        "[9223372036854775807, -9223372036854775808, 0]",
        "\"true\"",
        "null",
        "12",
        "1.0",
        "{}",
        "[]",
        "[null]",
        "{\"\": \"\"}",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(*docs); i++) {
        json_t *tree = json_loads(docs[i], JSON_DECODE_ANY, NULL);
        assert_non_null(tree);
        assert_round_trip(tree);
        json_decref(tree);
    }
}

static void test_dump_format(void **state)
{
    (void)state;
    json_t *tree = json_loads("{\"z\": {\"b\": [1, \"x\"]}, \"a\": \"123\", \"r\": 1000.0, "
                              "\"t\": \"two\\nlines\"}",
                              0, NULL);
    char *text = NULL;
    assert_int_equal(yaml_dump(tree, &text), 0);
    /* block style, key order kept, look-alike strings quoted */
    assert_string_equal(text, "z:\n"
                              "  b:\n"
                              "  - 1\n"
                              "  - x\n"
                              "a: \"123\"\n"
                              "r: 1000.0\n"
                              "t: |-\n"
                              "  two\n"
                              "  lines\n");
    free(text);
    json_decref(tree);
    assert_int_equal(yaml_dump(NULL, &text), EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_and_booleans),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_number_errors),
        cmocka_unit_test(test_marks),
        cmocka_unit_test(test_marks_unicode),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_bad_keys),
        cmocka_unit_test(test_alias_copy),
        cmocka_unit_test(test_alias_errors),
        cmocka_unit_test(test_alias_bomb),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_merge_key_refused),
        cmocka_unit_test(test_one_document),
        cmocka_unit_test(test_empty_document),
        cmocka_unit_test(test_input_limit),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_dump_round_trip_strings),
        cmocka_unit_test(test_dump_round_trip_values),
        cmocka_unit_test(test_dump_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
