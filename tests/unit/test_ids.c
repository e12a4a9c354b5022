/*
 * test_ids.c - unit tests for ids (src/core/ids.c): the shape of ids, and
 * that time-ordered ids sort by their time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/ids.h"

static void assert_shape(const char *id, const char *prefix)
{
    size_t p = strlen(prefix);
    assert_int_equal(strlen(id), p + 1 + 20);
    assert_memory_equal(id, prefix, p);
    assert_int_equal(id[p], '_');
    for (const char *c = id + p + 1; *c; c++)
        assert_non_null(strchr("0123456789abcdefghjkmnpqrstvwxyz", *c));
}

static void test_random(void **state)
{
    (void)state;
    char a[ID_SIZE], b[ID_SIZE];
    id_new(a, "usr");
    id_new(b, "usr");
    assert_shape(a, "usr");
    assert_string_not_equal(a, b);
}

static void test_ordered(void **state)
{
    (void)state;
    char prev[ID_SIZE], id[ID_SIZE];
    int64_t t = 1765000000000; /* December 2025 */
    id_new_ordered(prev, "msg", t);
    assert_shape(prev, "msg");
    for (int i = 1; i < 2000; i++) {
        id_new_ordered(id, "msg", t + i * 37);
        assert_shape(id, "msg");
        assert_true(strcmp(prev, id) < 0); /* later: sorts later */
        memcpy(prev, id, sizeof(id));
    }
    /* the same millisecond: same time part, random rest */
    char a[ID_SIZE], b[ID_SIZE];
    id_new_ordered(a, "msg", t);
    id_new_ordered(b, "msg", t);
    assert_memory_equal(a, b, 4 + 9);
    assert_string_not_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_ordered),
    };
    int err = ids_init();
    return err ? err : cmocka_run_group_tests(tests, NULL, NULL);
}
