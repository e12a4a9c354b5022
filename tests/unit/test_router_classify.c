/*
 * test_router_classify.c - classification policies: static, conditional
 * and expression queue selection, a weighted 30/70 split (checked over
 * many jobs with an injected generator), fallback, classification
 * failure, prioritization (static and expression), attached worker
 * selectors (static and conditional), and bad policies refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_router_harness.h"

static void setup(void)
{
    h_new();
    DP("{\"id\":\"dp\",\"mode\":{\"kind\":\"longest-idle\"}}");
    QUEUE("{\"id\":\"sales\",\"distributionPolicyId\":\"dp\"}");
    QUEUE("{\"id\":\"support\",\"distributionPolicyId\":\"dp\"}");
}

static const char *queue_of(const char *job)
{
    static char q[64];
    json_t *j = router_job_get(H.r, job, 0);
    assert_non_null(j);
    const char *s = json_string_value(json_object_get(j, "queueId"));
    snprintf(q, sizeof(q), "%s", s ? s : "");
    json_decref(j);
    return q;
}

static int priority_of(const char *job)
{
    json_t *j = router_job_get(H.r, job, 0);
    int p = (int)json_integer_value(json_object_get(j, "priority"));
    json_decref(j);
    return p;
}

static void static_conditional_expression_and_fallback(void **state)
{
    (void)state;
    setup();
    CP("{\"id\":\"static\",\"queueSelectors\":[{\"kind\":\"static\",\"queueId\":\"sales\"}]}");
    CP("{\"id\":\"cond\",\"fallbackQueueId\":\"support\",\"queueSelectors\":[{\"kind\":"
       "\"conditional\",\"condition\":\"job.topic == 'sales'\",\"queueId\":\"sales\"}]}");
    CP("{\"id\":\"expr\",\"queueSelectors\":[{\"kind\":\"expression\",\"expression\":"
       "\"job.topic == 'sales' ? 'sales' : 'support'\"}]}");
    unsigned from = H.n;
    JOB("{\"id\":\"a\",\"channelId\":\"chat\",\"classificationPolicyId\":\"static\"}", 1);
    assert_string_equal(h_sequence(from), "jobReceived jobClassified jobQueued");
    assert_string_equal(h_last(ROUTER_JOB_QUEUED, "a", NULL)->queue, "sales");
    assert_non_null(
        strstr(h_last(ROUTER_JOB_CLASSIFIED, "a", NULL)->data, "\"queueId\":\"sales\""));
    JOB("{\"id\":\"b\",\"channelId\":\"chat\",\"classificationPolicyId\":\"cond\","
        "\"labels\":{\"topic\":\"sales\"}}",
        2);
    JOB("{\"id\":\"c\",\"channelId\":\"chat\",\"classificationPolicyId\":\"cond\","
        "\"labels\":{\"topic\":\"billing\"}}",
        3);
    JOB("{\"id\":\"d\",\"channelId\":\"chat\",\"classificationPolicyId\":\"expr\","
        "\"labels\":{\"topic\":\"sales\"}}",
        4);
    JOB("{\"id\":\"e\",\"channelId\":\"chat\",\"classificationPolicyId\":\"expr\"}", 5);
    assert_string_equal(queue_of("a"), "sales");
    assert_string_equal(queue_of("b"), "sales");
    assert_string_equal(queue_of("c"), "support"); /* fallback */
    assert_string_equal(queue_of("d"), "sales");
    assert_string_equal(queue_of("e"), "support");
    h_free();
}

static void classification_failure(void **state)
{
    (void)state;
    setup();
    CP("{\"id\":\"cp\",\"queueSelectors\":[{\"kind\":\"expression\",\"expression\":"
       "\"job.team\"}]}");
    /* The expression names a queue that does not exist, no fallback. */
    unsigned from = H.n;
    JOB("{\"id\":\"x\",\"channelId\":\"chat\",\"classificationPolicyId\":\"cp\","
        "\"labels\":{\"team\":\"nowhere\"}}",
        1);
    assert_string_equal(h_sequence(from), "jobReceived jobClassificationFailed");
    assert_string_equal(h_state("x"), "classificationFailed");
    /* The job's own queueId is the last resort. */
    JOB("{\"id\":\"y\",\"channelId\":\"chat\",\"classificationPolicyId\":\"cp\","
        "\"queueId\":\"support\",\"labels\":{\"team\":\"nowhere\"}}",
        2);
    assert_string_equal(queue_of("y"), "support");
    JOB("{\"id\":\"z\",\"channelId\":\"chat\",\"classificationPolicyId\":\"cp\","
        "\"labels\":{\"team\":\"sales\"}}",
        3);
    assert_string_equal(queue_of("z"), "sales");
    /* A failed job can be reclassified into a queue. */
    json_t *spec = json_object();
    assert_int_equal(router_job_reclassify(H.r, "x", spec, 4, NULL), EINVAL);
    json_decref(spec);
    spec = J("{\"queueId\":\"support\"}");
    assert_int_equal(router_job_reclassify(H.r, "x", spec, 4, NULL), 0);
    json_decref(spec);
    assert_string_equal(h_state("x"), "queued");
    assert_int_equal(router_job_delete(H.r, "y"), EBUSY);
    h_free();
}

static uint64_t lcg = 12345;
static double lcg_random(void)
{
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(lcg >> 11) / 9007199254740992.0;
}

static void weighted_30_70(void **state)
{
    (void)state;
    setup();
    H.random = lcg_random;
    CP("{\"id\":\"split\",\"queueSelectors\":[{\"kind\":\"weighted\",\"allocations\":["
       "{\"weight\":0.3,\"queueId\":\"sales\"},{\"weight\":0.7,\"queueId\":\"support\"}]}]}");
    for (int i = 0; i < 10000; i++) {
        char spec[128];
        snprintf(spec, sizeof(spec),
                 "{\"id\":\"j%d\",\"channelId\":\"chat\",\"classificationPolicyId\":\"split\"}", i);
        JOB(spec, i);
    }
    json_t *s = router_queue_stats(H.r, "sales", 10000);
    json_t *t = router_queue_stats(H.r, "support", 10000);
    int sales = (int)json_integer_value(json_object_get(s, "length"));
    int support = (int)json_integer_value(json_object_get(t, "length"));
    json_decref(s);
    json_decref(t);
    assert_int_equal(sales + support, 10000);
    assert_in_range(sales, 2850, 3150);
    /* The split follows the generator exactly: r < 0.3 goes to sales. */
    H.random = NULL; /* 0.5 */
    JOB("{\"id\":\"half\",\"channelId\":\"chat\",\"classificationPolicyId\":\"split\"}", 20000);
    assert_string_equal(queue_of("half"), "support");
    h_free();
}

static void prioritization_rules(void **state)
{
    (void)state;
    setup();
    CP("{\"id\":\"static\",\"fallbackQueueId\":\"sales\",\"prioritizationRule\":{\"kind\":"
       "\"static\",\"value\":5}}");
    CP("{\"id\":\"expr\",\"fallbackQueueId\":\"sales\",\"prioritizationRule\":{\"kind\":"
       "\"expression\",\"expression\":\"job.vip ? 10 : 1\"}}");
    CP("{\"id\":\"none\",\"fallbackQueueId\":\"sales\"}");
    JOB("{\"id\":\"a\",\"channelId\":\"chat\",\"classificationPolicyId\":\"static\"}", 1);
    JOB("{\"id\":\"b\",\"channelId\":\"chat\",\"classificationPolicyId\":\"expr\","
        "\"labels\":{\"vip\":true}}",
        2);
    JOB("{\"id\":\"c\",\"channelId\":\"chat\",\"classificationPolicyId\":\"expr\"}", 3);
    JOB("{\"id\":\"d\",\"channelId\":\"chat\",\"classificationPolicyId\":\"none\","
        "\"priority\":7}",
        4);
    assert_int_equal(priority_of("a"), 5);
    assert_int_equal(priority_of("b"), 10);
    assert_int_equal(priority_of("c"), 1);
    assert_int_equal(priority_of("d"), 7);
    json_t *list = router_job_list(H.r, NULL, "sales", NULL, 5);
    assert_string_equal(json_string_value(json_array_get(list, 0)), "b");
    assert_string_equal(json_string_value(json_array_get(list, 1)), "d");
    json_decref(list);
    h_free();
}

static void attached_worker_selectors(void **state)
{
    (void)state;
    setup();
    CP("{\"id\":\"cp\",\"fallbackQueueId\":\"support\",\"workerSelectors\":["
       "{\"kind\":\"static\",\"key\":\"language\",\"operator\":\"equal\",\"value\":\"en\"},"
       "{\"kind\":\"conditional\",\"condition\":\"job.vip == true\",\"selectors\":["
       "{\"key\":\"level\",\"operator\":\"greaterThanEqual\",\"value\":3}]}]}");
    WORKER("{\"id\":\"junior\",\"available\":true,\"queues\":[\"support\"],\"labels\":"
           "{\"language\":\"en\",\"level\":1}," STANDARD_VOICE_CHAT "}",
           0);
    WORKER("{\"id\":\"senior\",\"available\":true,\"queues\":[\"support\"],\"labels\":"
           "{\"language\":\"en\",\"level\":4}," STANDARD_VOICE_CHAT "}",
           500);
    WORKER("{\"id\":\"french\",\"available\":true,\"queues\":[\"support\"],\"labels\":"
           "{\"language\":\"fr\",\"level\":9}," STANDARD_VOICE_CHAT "}",
           0);
    JOB("{\"id\":\"vip\",\"channelId\":\"voice\",\"classificationPolicyId\":\"cp\","
        "\"labels\":{\"vip\":true}}",
        1000);
    JOB("{\"id\":\"plain\",\"channelId\":\"voice\",\"classificationPolicyId\":\"cp\"}", 1001);
    assert_string_equal(h_offered_to("vip"), "senior");
    assert_string_equal(h_offered_to("plain"), "junior");
    json_t *j = router_job_get(H.r, "vip", 1001);
    assert_int_equal(json_array_size(json_object_get(j, "attachedWorkerSelectors")), 2);
    json_decref(j);
    j = router_job_get(H.r, "plain", 1001);
    assert_int_equal(json_array_size(json_object_get(j, "attachedWorkerSelectors")), 1);
    json_decref(j);
    h_free();
}

static void bad_policies_refused(void **state)
{
    (void)state;
    setup();
    assert_int_equal(h_try(router_classification_policy_set,
                           "{\"id\":\"x\",\"queueSelectors\":[{\"kind\":\"static\","
                           "\"queueId\":\"nope\"}]}",
                           0),
                     EINVAL);
    assert_non_null(strstr(H.why, "unknown queue 'nope'"));
    assert_int_equal(h_try(router_classification_policy_set,
                           "{\"id\":\"x\",\"queueSelectors\":[{\"kind\":\"conditional\","
                           "\"condition\":\"job.a ==\",\"queueId\":\"sales\"}]}",
                           0),
                     EINVAL);
    assert_non_null(strstr(H.why, "queueSelectors[0].condition"));
    assert_int_equal(h_try(router_classification_policy_set,
                           "{\"id\":\"x\",\"queueSelectors\":[{\"kind\":\"expression\","
                           "\"expression\":\"worker.skill\"}]}",
                           0),
                     EINVAL); /* no worker scope when classifying */
    assert_int_equal(h_try(router_classification_policy_set,
                           "{\"id\":\"x\",\"workerSelectors\":[{\"key\":\"a\","
                           "\"operator\":\"like\",\"value\":1}]}",
                           0),
                     EINVAL);
    assert_non_null(strstr(H.why, "unknown operator 'like'"));
    assert_int_equal(h_try(router_classification_policy_set,
                           "{\"id\":\"x\",\"queueSelectors\":[{\"kind\":\"weighted\","
                           "\"allocations\":[{\"weight\":-1,\"queueId\":\"sales\"}]}]}",
                           0),
                     EINVAL);
    assert_null(router_classification_policy_get(H.r, "x"));
    assert_int_equal(h_try(router_job_create,
                           "{\"id\":\"j\",\"channelId\":\"chat\",\"classificationPolicyId\":"
                           "\"ghost\"}",
                           0),
                     EINVAL);
    assert_non_null(strstr(H.why, "unknown classification policy 'ghost'"));
    assert_int_equal(
        h_try(router_job_create, "{\"id\":\"j\",\"channelId\":\"chat\",\"queueId\":\"ghost\"}", 0),
        EINVAL);
    assert_non_null(strstr(H.why, "unknown queue 'ghost'"));
    JOB("{\"id\":\"j\",\"channelId\":\"chat\",\"queueId\":\"sales\"}", 0);
    assert_int_equal(
        h_try(router_job_create, "{\"id\":\"j\",\"channelId\":\"chat\",\"queueId\":\"sales\"}", 0),
        EEXIST);
    assert_non_null(strstr(H.why, "already exists"));
    /* Queues in use cannot go. */
    CP("{\"id\":\"uses\",\"fallbackQueueId\":\"support\"}");
    assert_int_equal(router_queue_delete(H.r, "support", &H.why), EBUSY);
    assert_non_null(strstr(H.why, "classification policy 'uses'"));
    assert_int_equal(router_queue_delete(H.r, "sales", &H.why), EBUSY);
    assert_int_equal(router_distribution_policy_delete(H.r, "dp", &H.why), EBUSY);
    assert_int_equal(router_queue_delete(H.r, "ghost", &H.why), ENOENT);
    h_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(static_conditional_expression_and_fallback),
        cmocka_unit_test(classification_failure),
        cmocka_unit_test(weighted_30_70),
        cmocka_unit_test(prioritization_rules),
        cmocka_unit_test(attached_worker_selectors),
        cmocka_unit_test(bad_policies_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
