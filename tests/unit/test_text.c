/*
 * test_text.c - unit tests for the text helpers (src/core/text.c): JSON
 * strings written directly must read back as the same string, and be the
 * text jansson itself writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "core/text.h"

static void check_same_as_jansson(const char *s)
{
    struct strbuf b = {0};
    assert_int_equal(strbuf_json_string(&b, s), 0);
    json_t *str = json_string(s);
    char *want = json_dumps(str, JSON_ENCODE_ANY | JSON_COMPACT);
    assert_string_equal(b.s, want);
    json_t *back = json_loads(b.s, JSON_DECODE_ANY, NULL);
    assert_non_null(back);
    assert_string_equal(json_string_value(back), s);
    json_decref(back);
    json_decref(str);
    free(want);
    free(b.s);
}

static void test_json_string(void **state)
{
    (void)state;
    check_same_as_jansson("");
    check_same_as_jansson("hello");
    check_same_as_jansson("quote \" backslash \\ slash /");
    check_same_as_jansson("line\nfeed\rreturn\ttab\bback\fform");
    check_same_as_jansson("\x01\x02\x1f control \x7f del");
    check_same_as_jansson("Grüße, 你好, 🙂");
    char long_text[5000];
    for (size_t i = 0; i < sizeof(long_text) - 1; i++)
        long_text[i] = "a\"\n\x03"[i % 4]; /* escapes that grow the buffer as it goes */
    long_text[sizeof(long_text) - 1] = '\0';
    check_same_as_jansson(long_text);
}

static void test_json_string_appends(void **state)
{
    (void)state;
    struct strbuf b = {0};
    strbuf_puts(&b, "{\"a\":");
    strbuf_json_string(&b, "x\"y");
    strbuf_puts(&b, ",\"b\":");
    strbuf_json_string(&b, NULL); /* NULL writes "" */
    strbuf_puts(&b, "}");
    assert_false(b.oom);
    assert_string_equal(b.s, "{\"a\":\"x\\\"y\",\"b\":\"\"}");
    free(b.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_json_string_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
