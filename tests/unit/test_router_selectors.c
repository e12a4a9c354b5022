/*
 * test_router_selectors.c - worker selectors: each operator, type
 * mismatches, absent labels, selectors that expire so a requirement
 * relaxes over time, bypassSelectors, and bad selectors refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_router_harness.h"

#define WORKER_LABELS "{\"level\":3,\"language\":\"es\",\"senior\":true,\"code\":\"3\"}"

/* Does a worker with WORKER_LABELS get a job with this one selector? */
static bool matches(const char *key, const char *op, const char *value)
{
    h_new();
    DP("{\"id\":\"dp\",\"mode\":{\"kind\":\"longest-idle\"}}");
    QUEUE("{\"id\":\"q\",\"distributionPolicyId\":\"dp\"}");
    WORKER("{\"id\":\"w\",\"available\":true,\"queues\":[\"q\"],\"labels\":" WORKER_LABELS
           "," STANDARD_VOICE_CHAT "}",
           0);
    char spec[512];
    snprintf(spec, sizeof(spec),
             "{\"id\":\"j\",\"channelId\":\"voice\",\"queueId\":\"q\","
             "\"requestedWorkerSelectors\":[{\"key\":\"%s\",\"operator\":\"%s\",\"value\":%s}]}",
             key, op, value);
    JOB(spec, 1000);
    bool offered = h_offered_to("j")[0] != 0;
    h_free();
    return offered;
}

static void each_operator(void **state)
{
    (void)state;
    assert_true(matches("language", "equal", "\"es\""));
    assert_false(matches("language", "equal", "\"en\""));
    assert_true(matches("language", "notEqual", "\"en\""));
    assert_false(matches("language", "notEqual", "\"es\""));
    assert_true(matches("senior", "equal", "true"));
    assert_false(matches("senior", "equal", "false"));
    assert_true(matches("level", "equal", "3"));
    assert_true(matches("level", "lessThan", "4"));
    assert_false(matches("level", "lessThan", "3"));
    assert_true(matches("level", "lessThanEqual", "3"));
    assert_false(matches("level", "lessThanEqual", "2.5"));
    assert_true(matches("level", "greaterThan", "2"));
    assert_false(matches("level", "greaterThan", "3"));
    assert_true(matches("level", "greaterThanEqual", "3"));
    assert_false(matches("level", "greaterThanEqual", "3.5"));
}

static void type_mismatches_and_absent_labels(void **state)
{
    (void)state;
    /* "code" is the string "3": numbers never equal or order it. */
    assert_false(matches("code", "equal", "3"));
    assert_true(matches("code", "notEqual", "3"));
    assert_false(matches("code", "greaterThan", "2"));
    assert_false(matches("code", "lessThan", "4"));
    assert_false(matches("level", "equal", "\"3\""));
    assert_false(matches("senior", "equal", "1"));
    /* Absent: equal and ordering fail, notEqual holds. */
    assert_false(matches("missing", "equal", "\"x\""));
    assert_true(matches("missing", "notEqual", "\"x\""));
    assert_false(matches("missing", "greaterThan", "0"));
}

static void setup_relaxing(const char *mode_extra)
{
    h_new();
    char dp[256];
    snprintf(
        dp, sizeof(dp),
        "{\"id\":\"dp\",\"offerExpiresAfterSeconds\":60,\"mode\":{\"kind\":\"longest-idle\"%s}}",
        mode_extra);
    DP(dp);
    QUEUE("{\"id\":\"q\",\"distributionPolicyId\":\"dp\"}");
    WORKER("{\"id\":\"en\",\"available\":true,\"queues\":[\"q\"],\"labels\":{\"language\":\"en\","
           "\"level\":1}," STANDARD_VOICE_CHAT "}",
           0);
}

static void expiring_selector_relaxes(void **state)
{
    (void)state;
    setup_relaxing("");
    /* "Spanish speaker for 30 s, then anyone"; level >= 1 always. */
    JOB("{\"id\":\"j\",\"channelId\":\"voice\",\"queueId\":\"q\",\"requestedWorkerSelectors\":["
        "{\"key\":\"language\",\"operator\":\"equal\",\"value\":\"es\",\"expiresAfterSeconds\":30},"
        "{\"key\":\"level\",\"operator\":\"greaterThanEqual\",\"value\":1}]}",
        1000);
    assert_string_equal(h_offered_to("j"), "");
    assert_int_equal(router_next_deadline(H.r), 31000);
    router_advance(H.r, 30999);
    assert_string_equal(h_offered_to("j"), "");
    unsigned from = H.n;
    router_advance(H.r, 31000);
    assert_string_equal(h_sequence(from), "offerIssued");
    assert_string_equal(h_offered_to("j"), "en");
    json_t *j = router_job_get(H.r, "j", 31000);
    json_t *ex = json_array_get(json_object_get(j, "explanations"), 0);
    assert_string_equal(json_string_value(json_object_get(ex, "trigger")), "selectorExpired");
    json_t *sel = json_object_get(ex, "selectors");
    assert_int_equal(json_array_size(json_object_get(sel, "expired")), 1);
    assert_int_equal(json_array_size(json_object_get(sel, "applied")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(sel, "expired"), 0), "key")),
                        "language");
    json_decref(j);
    h_free();
}

static void spanish_speaker_first_while_selector_lives(void **state)
{
    (void)state;
    setup_relaxing("");
    WORKER("{\"id\":\"es\",\"available\":false,\"queues\":[\"q\"],\"labels\":{\"language\":"
           "\"es\"}," STANDARD_VOICE_CHAT "}",
           0);
    JOB("{\"id\":\"j\",\"channelId\":\"voice\",\"queueId\":\"q\",\"requestedWorkerSelectors\":["
        "{\"key\":\"language\",\"operator\":\"equal\",\"value\":\"es\",\"expiresAfterSeconds\":30}]"
        "}",
        1000);
    /* The Spanish speaker becomes available within the 30 s. */
    assert_int_equal(router_worker_set_availability(H.r, "es", true, NULL, 10000), 0);
    assert_string_equal(h_offered_to("j"), "es");
    h_free();
}

static void bypass_selectors(void **state)
{
    (void)state;
    setup_relaxing(",\"bypassSelectors\":true");
    JOB("{\"id\":\"j\",\"channelId\":\"voice\",\"queueId\":\"q\",\"requestedWorkerSelectors\":["
        "{\"key\":\"language\",\"operator\":\"equal\",\"value\":\"es\"}]}",
        1000);
    assert_string_equal(h_offered_to("j"), "en");
    json_t *j = router_job_get(H.r, "j", 1000);
    json_t *ex = json_array_get(json_object_get(j, "explanations"), 0);
    assert_true(json_is_true(json_object_get(json_object_get(ex, "selectors"), "bypassed")));
    json_decref(j);
    h_free();
}

static void bad_selectors_refused(void **state)
{
    (void)state;
    setup_relaxing("");
    assert_int_equal(h_try(router_job_create,
                           "{\"id\":\"j\",\"channelId\":\"voice\",\"queueId\":\"q\","
                           "\"requestedWorkerSelectors\":[{\"key\":\"level\",\"operator\":"
                           "\"approximately\",\"value\":3}]}",
                           1000),
                     EINVAL);
    assert_non_null(strstr(H.why, "unknown operator 'approximately'"));
    assert_non_null(strstr(H.why, "requestedWorkerSelectors[0]"));
    assert_int_equal(h_try(router_job_create,
                           "{\"id\":\"j\",\"channelId\":\"voice\",\"queueId\":\"q\","
                           "\"requestedWorkerSelectors\":[{\"key\":\"level\",\"operator\":"
                           "\"greaterThan\",\"value\":\"high\"}]}",
                           1000),
                     EINVAL);
    assert_non_null(strstr(H.why, "compares numbers"));
    assert_int_equal(h_try(router_job_create,
                           "{\"id\":\"j\",\"channelId\":\"voice\",\"queueId\":\"q\","
                           "\"requestedWorkerSelectors\":[{\"operator\":\"equal\",\"value\":1}]}",
                           1000),
                     EINVAL);
    assert_non_null(strstr(H.why, "needs a \"key\""));
    assert_int_equal(h_try(router_job_create,
                           "{\"id\":\"j\",\"channelId\":\"voice\",\"queueId\":\"q\","
                           "\"requestedWorkerSelectors\":[{\"key\":\"a\",\"operator\":\"equal\","
                           "\"value\":1,\"expiresAfterSeconds\":-5}]}",
                           1000),
                     EINVAL);
    assert_null(router_job_get(H.r, "j", 1000));
    assert_int_equal(h_count(ROUTER_JOB_RECEIVED), 0);
    h_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_operator),
        cmocka_unit_test(type_mismatches_and_absent_labels),
        cmocka_unit_test(expiring_selector_relaxes),
        cmocka_unit_test(spanish_speaker_first_while_selector_lives),
        cmocka_unit_test(bypass_selectors),
        cmocka_unit_test(bad_selectors_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
