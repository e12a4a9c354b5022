/*
 * test_dialplan.c - dialled numbers: normalising, allow-list patterns,
 * pattern validation, numbers compared with and without '+'.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sip/dialplan.h"

static void normalises_what_people_write(void **state)
{
    (void)state;
    char out[32];
    assert_true(dial_normalise("+1 (555) 010-0199", out, sizeof(out)));
    assert_string_equal(out, "+15550100199");
    assert_true(dial_normalise("*43", out, sizeof(out)));
    assert_string_equal(out, "*43");
    assert_true(dial_normalise("1002", out, sizeof(out)));
    assert_string_equal(out, "1002");
    assert_false(dial_normalise("alice", out, sizeof(out)));
    assert_false(dial_normalise("12+34", out, sizeof(out))); /* '+' only first */
    assert_false(dial_normalise(" - ", out, sizeof(out)));   /* nothing left */
    assert_false(dial_normalise("123456", out, 4));          /* does not fit */
}

static void matches_pbx_patterns(void **state)
{
    (void)state;
    assert_true(dial_match("+1NXXNXXXXXX", "+12125550123"));
    assert_false(dial_match("+1NXXNXXXXXX", "+11125550123")); /* N: 2-9 */
    assert_false(dial_match("+1NXXNXXXXXX", "+1212555012"));  /* too short */
    assert_false(dial_match("+1NXXNXXXXXX", "+121255501234"));
    assert_true(dial_match("+1555XXXXXXX", "+15550100199"));
    assert_false(dial_match("+1555XXXXXXX", "+19005550199"));
    assert_true(dial_match("+44Z.", "+442071234567"));
    assert_false(dial_match("+44Z.", "+44"));
    assert_false(dial_match("+44Z.", "+440"));
    assert_true(dial_match("+44!", "+44"));
    assert_true(dial_match("9[1-3,7]X", "927"));
    assert_true(dial_match("9[1-3,7]X", "970"));
    assert_false(dial_match("9[1-3,7]X", "950"));
    assert_true(dial_match("911", "911"));
    assert_false(dial_match("911", "9110"));
}

static void validates_patterns(void **state)
{
    (void)state;
    assert_null(dial_pattern_problem("+1NXXNXXXXXX"));
    assert_null(dial_pattern_problem("+44Z."));
    assert_null(dial_pattern_problem("9[1-3,7]X!"));
    assert_non_null(dial_pattern_problem(""));
    assert_non_null(dial_pattern_problem("+44.X"));
    assert_non_null(dial_pattern_problem("9[1-3"));
    assert_non_null(dial_pattern_problem("9[]"));
    assert_non_null(dial_pattern_problem("9[a]"));
    assert_non_null(dial_pattern_problem("+1-555"));
}

static void compares_numbers(void **state)
{
    (void)state;
    assert_true(dial_same_number("+15550100", "15550100"));
    assert_true(dial_same_number("15550100", "+15550100"));
    assert_false(dial_same_number("+15550100", "+15550101"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalises_what_people_write),
        cmocka_unit_test(matches_pbx_patterns),
        cmocka_unit_test(validates_patterns),
        cmocka_unit_test(compares_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
