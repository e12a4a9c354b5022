/*
 * test_urlcode.c - percent-decoding of paths and query strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/urlcode.h"

#include <errno.h>
#include <string.h>

static void decodes(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(url_decode(out, sizeof(out), "a%20b+c", 7, false), 0);
    assert_string_equal(out, "a b+c");
    assert_int_equal(url_decode(out, sizeof(out), "a%20b+c", 7, true), 0);
    assert_string_equal(out, "a b c");
    assert_int_equal(url_decode(out, sizeof(out), "%2e%2E", 6, false), 0);
    assert_string_equal(out, "..");
}

static void refuses_bad_escapes(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(url_decode(out, sizeof(out), "%", 1, false), EINVAL);
    assert_int_equal(url_decode(out, sizeof(out), "%4", 2, false), EINVAL);
    assert_int_equal(url_decode(out, sizeof(out), "%zz", 3, false), EINVAL);
    assert_int_equal(url_decode(out, sizeof(out), "%00", 3, false), EINVAL);
    assert_int_equal(url_decode(out, sizeof(out), "abcdefghij", 10, false), ENAMETOOLONG);
}

static void parses_queries(void **state)
{
    (void)state;
    json_t *q;
    const char *s = "limit=5&cursor=a%2Fb&limit=9&flag&=x";
    assert_int_equal(url_query_parse(s, strlen(s), &q), 0);
    assert_string_equal(json_string_value(json_object_get(q, "limit")), "5");
    assert_string_equal(json_string_value(json_object_get(q, "cursor")), "a/b");
    assert_string_equal(json_string_value(json_object_get(q, "flag")), "");
    json_decref(q);
    assert_int_equal(url_query_parse("a=%ff", 5, &q), EINVAL); /* not UTF-8 */
    assert_int_equal(url_query_parse("a=%", 3, &q), EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes),
        cmocka_unit_test(refuses_bad_escapes),
        cmocka_unit_test(parses_queries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
