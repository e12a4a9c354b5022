/*
 * test_router_exceptions.c - exception policies: the queueLength and
 * waitTime triggers, and each action (cancel with a disposition,
 * reclassify with new labels and policy, manualReclassify to a queue,
 * priority and selectors), fired once per job per queue.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_router_harness.h"

static void setup(const char *rules)
{
    h_new();
    DP("{\"id\":\"dp\",\"mode\":{\"kind\":\"longest-idle\"}}");
    QUEUE("{\"id\":\"overflow\",\"distributionPolicyId\":\"dp\"}");
    /* main exists before the policy that falls back to it; its exception
     * policy (which names that policy) is attached after. */
    QUEUE("{\"id\":\"main\",\"distributionPolicyId\":\"dp\"}");
    CP("{\"id\":\"cp-overflow\",\"fallbackQueueId\":\"main\",\"queueSelectors\":[{\"kind\":"
       "\"conditional\",\"condition\":\"job.overflow == true\",\"queueId\":\"overflow\"}],"
       "\"prioritizationRule\":{\"kind\":\"expression\",\"expression\":\"job.overflow ? 8 : 1\"}}");
    char ep[2048];
    snprintf(ep, sizeof(ep), "{\"id\":\"ep\",\"rules\":[%s]}", rules);
    EP(ep);
    QUEUE("{\"id\":\"main\",\"distributionPolicyId\":\"dp\",\"exceptionPolicyId\":\"ep\"}");
}

static void queue_length_moves_to_overflow(void **state)
{
    (void)state;
    h_new();
    DP("{\"id\":\"dp\",\"mode\":{\"kind\":\"longest-idle\"}}");
    QUEUE("{\"id\":\"overflow\",\"distributionPolicyId\":\"dp\"}");
    EP("{\"id\":\"ep\",\"rules\":[{\"id\":\"too-many\",\"trigger\":{\"kind\":\"queueLength\","
       "\"threshold\":2},\"actions\":[{\"kind\":\"manualReclassify\",\"queueId\":\"overflow\","
       "\"priority\":3}]}]}");
    QUEUE("{\"id\":\"main\",\"distributionPolicyId\":\"dp\",\"exceptionPolicyId\":\"ep\"}");
    JOB("{\"id\":\"a\",\"channelId\":\"voice\",\"queueId\":\"main\"}", 1);
    JOB("{\"id\":\"b\",\"channelId\":\"voice\",\"queueId\":\"main\"}", 2);
    unsigned from = H.n;
    JOB("{\"id\":\"c\",\"channelId\":\"voice\",\"queueId\":\"main\"}", 3);
    assert_string_equal(h_sequence(from), "jobReceived jobQueued jobExceptionTriggered jobQueued");
    const struct rec *e = h_last(ROUTER_JOB_EXCEPTION_TRIGGERED, "c", NULL);
    assert_string_equal(e->queue, "main");
    assert_non_null(strstr(e->data, "\"ruleId\":\"too-many\""));
    assert_non_null(strstr(e->data, "\"kind\":\"queueLength\""));
    assert_string_equal(h_last(ROUTER_JOB_QUEUED, "c", NULL)->queue, "overflow");
    json_t *j = router_job_get(H.r, "c", 4);
    assert_int_equal(json_integer_value(json_object_get(j, "priority")), 3);
    assert_int_equal(json_array_size(json_object_get(j, "exceptionsTriggered")), 1);
    json_decref(j);
    /* The offer made later says which rule moved the job. */
    WORKER("{\"id\":\"w\",\"available\":true,\"queues\":[\"overflow\"]," STANDARD_VOICE_CHAT "}",
           5);
    j = router_job_get(H.r, "c", 5);
    json_t *ex = json_array_get(json_object_get(j, "explanations"), 0);
    assert_string_equal(json_string_value(json_object_get(ex, "exceptionRule")), "too-many");
    json_decref(j);
    h_free();
}

static void wait_time_cancels_with_disposition(void **state)
{
    (void)state;
    setup("{\"id\":\"give-up\",\"trigger\":{\"kind\":\"waitTime\",\"thresholdSeconds\":60},"
          "\"actions\":[{\"kind\":\"cancel\",\"dispositionCode\":\"abandoned\"}]}");
    JOB("{\"id\":\"a\",\"channelId\":\"voice\",\"queueId\":\"main\"}", 1000);
    assert_int_equal(router_next_deadline(H.r), 61000);
    router_advance(H.r, 60999);
    assert_string_equal(h_state("a"), "queued");
    unsigned from = H.n;
    router_advance(H.r, 61000);
    assert_string_equal(h_sequence(from), "jobExceptionTriggered jobCancelled");
    assert_non_null(strstr(h_last(ROUTER_JOB_CANCELLED, "a", NULL)->data, "abandoned"));
    json_t *j = router_job_get(H.r, "a", 61000);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "cancelled");
    assert_string_equal(json_string_value(json_object_get(j, "disposition")), "abandoned");
    json_decref(j);
    assert_int_equal(router_next_deadline(H.r), INT64_MAX);
    assert_int_equal(router_job_delete(H.r, "a"), 0);
    h_free();
}

static void wait_time_reclassifies_with_labels(void **state)
{
    (void)state;
    setup("{\"id\":\"escalate\",\"trigger\":{\"kind\":\"waitTime\",\"thresholdSeconds\":30},"
          "\"actions\":[{\"kind\":\"reclassify\",\"classificationPolicyId\":\"cp-overflow\","
          "\"labelsToUpsert\":{\"overflow\":true}}]}");
    JOB("{\"id\":\"a\",\"channelId\":\"voice\",\"queueId\":\"main\",\"labels\":{\"x\":1}}", 0);
    unsigned from = H.n;
    router_advance(H.r, 30000);
    assert_string_equal(h_sequence(from), "jobExceptionTriggered jobClassified jobQueued");
    json_t *j = router_job_get(H.r, "a", 30000);
    assert_string_equal(json_string_value(json_object_get(j, "queueId")), "overflow");
    assert_int_equal(json_integer_value(json_object_get(j, "priority")), 8);
    json_t *labels = json_object_get(j, "labels");
    assert_true(json_is_true(json_object_get(labels, "overflow")));
    assert_int_equal(json_integer_value(json_object_get(labels, "x")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "enqueuedAt")), 30000);
    json_decref(j);
    h_free();
}

static void manual_reclassify_bumps_priority_in_place(void **state)
{
    (void)state;
    /* Aging: after 60 s a job's priority rises, keeping its enqueue time. */
    setup("{\"id\":\"age\",\"trigger\":{\"kind\":\"waitTime\",\"thresholdSeconds\":60},"
          "\"actions\":[{\"kind\":\"manualReclassify\",\"priority\":5,\"workerSelectors\":["
          "{\"key\":\"senior\",\"operator\":\"equal\",\"value\":true}]}]}");
    JOB("{\"id\":\"old\",\"channelId\":\"voice\",\"queueId\":\"main\"}", 0);
    JOB("{\"id\":\"hot\",\"channelId\":\"voice\",\"queueId\":\"main\",\"priority\":4}", 50000);
    router_advance(H.r, 60000);
    json_t *list = router_job_list(H.r, "queued", "main", NULL, 60000);
    assert_string_equal(json_string_value(json_array_get(list, 0)), "old");
    json_decref(list);
    json_t *j = router_job_get(H.r, "old", 60000);
    assert_int_equal(json_integer_value(json_object_get(j, "enqueuedAt")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "priority")), 5);
    assert_int_equal(json_array_size(json_object_get(j, "requestedWorkerSelectors")), 1);
    json_decref(j);
    /* fired once: nothing more is due for it */
    router_advance(H.r, 200000);
    assert_int_equal(h_count(ROUTER_JOB_EXCEPTION_TRIGGERED), 2); /* old, then hot at 110 s */
    WORKER("{\"id\":\"w\",\"available\":true,\"queues\":[\"main\"],\"labels\":{\"senior\":true}"
           "," STANDARD_VOICE_CHAT "}",
           200000);
    assert_string_equal(h_offered_to("old"), "w");
    h_free();
}

static void bad_exception_policies(void **state)
{
    (void)state;
    setup("{\"id\":\"r\",\"trigger\":{\"kind\":\"waitTime\",\"thresholdSeconds\":1},"
          "\"actions\":[{\"kind\":\"cancel\"}]}");
    assert_int_equal(h_try(router_exception_policy_set,
                           "{\"id\":\"x\",\"rules\":[{\"id\":\"r\",\"trigger\":{\"kind\":"
                           "\"sometimes\"},\"actions\":[{\"kind\":\"cancel\"}]}]}",
                           0),
                     EINVAL);
    assert_non_null(strstr(H.why, "trigger kind"));
    assert_int_equal(h_try(router_exception_policy_set,
                           "{\"id\":\"x\",\"rules\":[{\"id\":\"r\",\"trigger\":{\"kind\":"
                           "\"queueLength\",\"threshold\":1},\"actions\":[{\"kind\":"
                           "\"manualReclassify\",\"queueId\":\"ghost\"}]}]}",
                           0),
                     EINVAL);
    assert_non_null(strstr(H.why, "unknown queue 'ghost'"));
    assert_int_equal(h_try(router_exception_policy_set,
                           "{\"id\":\"x\",\"rules\":[{\"id\":\"r\",\"trigger\":{\"kind\":"
                           "\"queueLength\",\"threshold\":1},\"actions\":[{\"kind\":"
                           "\"reclassify\",\"classificationPolicyId\":\"ghost\"}]}]}",
                           0),
                     EINVAL);
    assert_non_null(strstr(H.why, "unknown classification policy 'ghost'"));
    assert_int_equal(h_try(router_queue_set,
                           "{\"id\":\"q\",\"distributionPolicyId\":\"dp\","
                           "\"exceptionPolicyId\":\"ghost\"}",
                           0),
                     EINVAL);
    assert_non_null(strstr(H.why, "unknown exception policy 'ghost'"));
    assert_int_equal(router_exception_policy_delete(H.r, "ep", &H.why), EBUSY);
    h_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(queue_length_moves_to_overflow),
        cmocka_unit_test(wait_time_cancels_with_disposition),
        cmocka_unit_test(wait_time_reclassifies_with_labels),
        cmocka_unit_test(manual_reclassify_bumps_priority_in_place),
        cmocka_unit_test(bad_exception_policies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
