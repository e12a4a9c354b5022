/*
 * test_ratelimit.c - failure counting, lockout, window reset, bounded size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth/ratelimit.h"

#include <stdio.h>

static void locks_after_max_failures(void **state)
{
    (void)state;
    struct ratelimit *rl;
    assert_int_equal(ratelimit_alloc(&rl, 3, 60000, 30000), 0);
    assert_int_equal(ratelimit_blocked(rl, "ann", 0), 0);
    assert_int_equal(ratelimit_fail(rl, "ann", 1000), 0);
    assert_int_equal(ratelimit_fail(rl, "ann", 2000), 0);
    assert_int_equal(ratelimit_fail(rl, "ann", 3000), 30000);
    assert_int_equal(ratelimit_blocked(rl, "ann", 3000), 30000);
    assert_int_equal(ratelimit_blocked(rl, "ann", 23000), 10000);
    assert_int_equal(ratelimit_blocked(rl, "bob", 23000), 0); /* per key */
    assert_int_equal(ratelimit_blocked(rl, "ann", 33000), 0); /* lockout over */
    ratelimit_free(rl);
}

static void window_expires_and_success_resets(void **state)
{
    (void)state;
    struct ratelimit *rl;
    assert_int_equal(ratelimit_alloc(&rl, 2, 10000, 5000), 0);
    assert_int_equal(ratelimit_fail(rl, "ann", 0), 0);
    /* The second failure falls outside the window: it starts a new one. */
    assert_int_equal(ratelimit_fail(rl, "ann", 20000), 0);
    assert_int_equal(ratelimit_blocked(rl, "ann", 20000), 0);
    ratelimit_reset(rl, "ann");
    assert_int_equal(ratelimit_fail(rl, "ann", 20001), 0);
    assert_int_equal(ratelimit_fail(rl, "ann", 20002), 5000);
    ratelimit_free(rl);
}

static void many_keys_stay_bounded(void **state)
{
    (void)state;
    struct ratelimit *rl;
    assert_int_equal(ratelimit_alloc(&rl, 5, 1000, 1000), 0);
    char key[32];
    for (int i = 0; i < 200000; i++) {
        snprintf(key, sizeof(key), "10.0.%d.%d", i / 256, i % 256);
        ratelimit_fail(rl, key, i);
    }
    /* Old entries were swept; a recent key is still counted. */
    snprintf(key, sizeof(key), "10.0.%d.%d", 199999 / 256, 199999 % 256);
    for (int k = 0; k < 4; k++)
        ratelimit_fail(rl, key, 200000);
    assert_int_not_equal(ratelimit_blocked(rl, key, 200000), 0);
    ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(locks_after_max_failures),
        cmocka_unit_test(window_expires_and_success_resets),
        cmocka_unit_test(many_keys_stay_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
