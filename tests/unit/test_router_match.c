/*
 * test_router_match.c - the router's matching: longest-idle (capacity
 * share, then idle time), priorities and enqueue order, a worker serving
 * several queues, capacity per channel with mixed chat and voice, and the
 * order of events with their ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_router_harness.h"

static void setup_two_queues(void)
{
    h_new();
    DP("{\"id\":\"dp\",\"offerExpiresAfterSeconds\":30,\"mode\":{\"kind\":\"longest-idle\"}}");
    QUEUE("{\"id\":\"q1\",\"distributionPolicyId\":\"dp\"}");
    QUEUE("{\"id\":\"q2\",\"distributionPolicyId\":\"dp\"}");
}

static void longest_idle_picks_the_longest_idle(void **state)
{
    (void)state;
    setup_two_queues();
    WORKER("{\"id\":\"w1\",\"available\":true,\"queues\":[\"q1\"]," STANDARD_VOICE_CHAT "}", 2000);
    WORKER("{\"id\":\"w2\",\"available\":true,\"queues\":[\"q1\"]," STANDARD_VOICE_CHAT "}", 1000);
    WORKER("{\"id\":\"w3\",\"available\":true,\"queues\":[\"q1\"]," STANDARD_VOICE_CHAT "}", 3000);
    unsigned from = H.n;
    JOB("{\"id\":\"j1\",\"channelId\":\"voice\",\"queueId\":\"q1\"}", 5000);
    assert_string_equal(h_sequence(from), "jobReceived jobQueued offerIssued");
    assert_string_equal(h_offered_to("j1"), "w2");
    const struct rec *e = h_last(ROUTER_OFFER_ISSUED, "j1", "w2");
    assert_string_equal(e->queue, "q1");
    assert_string_equal(e->offer, "offer-1");
    assert_int_equal(e->time, 5000);
    assert_non_null(strstr(e->data, "\"expiresAt\":35000"));
    assert_string_equal(h_state("j1"), "offered");

    /* Why w2: the explanation lists the candidates, w2 chosen. */
    json_t *j = router_job_get(H.r, "j1", 5000);
    json_t *ex = json_array_get(json_object_get(j, "explanations"), 0);
    assert_string_equal(json_string_value(json_object_get(ex, "mode")), "longest-idle");
    assert_string_equal(json_string_value(json_object_get(ex, "workerId")), "w2");
    json_t *cands = json_object_get(ex, "candidates");
    assert_int_equal(json_array_size(cands), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(cands, 0), "workerId")),
                        "w2");
    assert_true(json_is_true(json_object_get(json_array_get(cands, 0), "chosen")));
    assert_true(json_is_false(json_object_get(json_array_get(cands, 1), "chosen")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(cands, 1), "workerId")),
                        "w1");
    json_decref(j);

    from = H.n;
    h_accept("j1", "w2", 6000);
    assert_string_equal(h_sequence(from), "offerAccepted jobAssigned");
    e = h_last(ROUTER_JOB_ASSIGNED, "j1", "w2");
    assert_non_null(strstr(e->data, "\"assignmentId\":\"asg-1\""));
    assert_string_equal(h_state("j1"), "assigned");
    h_free();
}

static void capacity_share_comes_before_idle_time(void **state)
{
    (void)state;
    setup_two_queues();
    WORKER("{\"id\":\"w1\",\"available\":true,\"queues\":[\"q1\"]," STANDARD_VOICE_CHAT "}", 1000);
    JOB("{\"id\":\"c1\",\"channelId\":\"chat\",\"queueId\":\"q1\"}", 2000);
    h_accept("c1", "w1", 2000);
    /* w2 became idle later, but w1 already carries a chat (share 0.3). */
    WORKER("{\"id\":\"w2\",\"available\":true,\"queues\":[\"q1\"]," STANDARD_VOICE_CHAT "}", 3000);
    JOB("{\"id\":\"c2\",\"channelId\":\"chat\",\"queueId\":\"q1\"}", 4000);
    assert_string_equal(h_offered_to("c2"), "w2");
    h_accept("c2", "w2", 4000);
    /* Equal shares now: the longer idle (w1 since 1000) wins. */
    JOB("{\"id\":\"c3\",\"channelId\":\"chat\",\"queueId\":\"q1\"}", 5000);
    assert_string_equal(h_offered_to("c3"), "w1");
    h_free();
}

static void priority_then_enqueue_time(void **state)
{
    (void)state;
    setup_two_queues();
    JOB("{\"id\":\"a\",\"channelId\":\"voice\",\"queueId\":\"q1\",\"priority\":1}", 1000);
    JOB("{\"id\":\"b\",\"channelId\":\"voice\",\"queueId\":\"q1\",\"priority\":5}", 2000);
    JOB("{\"id\":\"c\",\"channelId\":\"voice\",\"queueId\":\"q1\",\"priority\":1}", 3000);
    JOB("{\"id\":\"d\",\"channelId\":\"voice\",\"queueId\":\"q1\",\"priority\":5}", 4000);
    json_t *list = router_job_list(H.r, "queued", "q1", NULL, 5000);
    assert_string_equal(json_string_value(json_array_get(list, 0)), "b");
    assert_string_equal(json_string_value(json_array_get(list, 1)), "d");
    assert_string_equal(json_string_value(json_array_get(list, 2)), "a");
    assert_string_equal(json_string_value(json_array_get(list, 3)), "c");
    json_decref(list);
    json_t *j = router_job_get(H.r, "a", 5000);
    assert_int_equal(json_integer_value(json_object_get(j, "position")), 3);
    json_decref(j);

    WORKER("{\"id\":\"w\",\"available\":true,\"queues\":[\"q1\"]," STANDARD_VOICE_CHAT "}", 5000);
    const char *order[] = {"b", "d", "a", "c"};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(h_offered_to(order[i]), "w");
        h_accept(order[i], "w", 6000 + i * 10);
        assert_int_equal(router_job_close(H.r, order[i], "done", 0, 6005 + i * 10), 0);
    }
    h_free();
}

static void worker_gets_best_job_across_queues(void **state)
{
    (void)state;
    setup_two_queues();
    JOB("{\"id\":\"q2-old\",\"channelId\":\"voice\",\"queueId\":\"q2\"}", 1000);
    JOB("{\"id\":\"q1-new\",\"channelId\":\"voice\",\"queueId\":\"q1\"}", 2000);
    JOB("{\"id\":\"q2-new\",\"channelId\":\"voice\",\"queueId\":\"q2\"}", 3000);
    JOB("{\"id\":\"q1-vip\",\"channelId\":\"voice\",\"queueId\":\"q1\",\"priority\":9}", 4000);
    WORKER("{\"id\":\"w\",\"available\":true,\"queues\":[\"q1\",\"q2\"]," STANDARD_VOICE_CHAT "}",
           5000);
    /* Highest priority first, then the longest wait across both queues:
     * q2 is not starved by q1 (nor the other way round). */
    const char *order[] = {"q1-vip", "q2-old", "q1-new", "q2-new"};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(h_offered_to(order[i]), "w");
        h_accept(order[i], "w", 6000 + i * 10);
        assert_int_equal(router_job_close(H.r, order[i], NULL, 0, 6005 + i * 10), 0);
    }
    json_t *ex = router_job_get(H.r, "q2-old", 7000);
    json_t *e0 = json_array_get(json_object_get(ex, "explanations"), 0);
    assert_string_equal(json_string_value(json_object_get(e0, "trigger")), "workerAvailable");
    json_decref(ex);
    h_free();
}

static void capacity_per_channel_mixed_chat_and_voice(void **state)
{
    (void)state;
    setup_two_queues();
    WORKER("{\"id\":\"w\",\"available\":true,\"queues\":[\"q1\"]," STANDARD_VOICE_CHAT "}", 0);
    JOB("{\"id\":\"c1\",\"channelId\":\"chat\",\"queueId\":\"q1\"}", 1000);
    JOB("{\"id\":\"v1\",\"channelId\":\"voice\",\"queueId\":\"q1\"}", 1001);
    JOB("{\"id\":\"c2\",\"channelId\":\"chat\",\"queueId\":\"q1\"}", 1002);
    JOB("{\"id\":\"c3\",\"channelId\":\"chat\",\"queueId\":\"q1\"}", 1003);
    JOB("{\"id\":\"c4\",\"channelId\":\"chat\",\"queueId\":\"q1\"}", 1004);
    /* Three chats (90 of 100) fit at once; the call (100) does not fit
     * beside them, and a fourth chat is over the channel maximum. */
    assert_string_equal(h_offered_to("c1"), "w");
    assert_string_equal(h_offered_to("c2"), "w");
    assert_string_equal(h_offered_to("c3"), "w");
    assert_string_equal(h_offered_to("v1"), "");
    assert_string_equal(h_offered_to("c4"), "");
    json_t *wj = router_worker_get(H.r, "w", 1005);
    json_t *load = json_object_get(wj, "load");
    assert_int_equal(json_integer_value(json_object_get(load, "capacityUsed")), 90);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(load, "channels"), "chat"), "jobs")),
                     3);
    json_decref(wj);
    h_accept("c1", "w", 1100);
    h_accept("c2", "w", 1100);
    h_accept("c3", "w", 1100);
    /* One chat closes: 60 used; the call (older than c4) still does not
     * fit, so the worker takes c4, the next job it can take. */
    assert_int_equal(router_job_close(H.r, "c1", NULL, 0, 2000), 0);
    assert_string_equal(h_offered_to("v1"), "");
    assert_string_equal(h_offered_to("c4"), "w");
    h_accept("c4", "w", 2001);
    assert_int_equal(router_job_close(H.r, "c2", NULL, 0, 2100), 0);
    assert_int_equal(router_job_close(H.r, "c3", NULL, 0, 2200), 0);
    assert_string_equal(h_offered_to("v1"), "");
    assert_int_equal(router_job_close(H.r, "c4", NULL, 0, 2300), 0);
    assert_string_equal(h_offered_to("v1"), "w");
    h_accept("v1", "w", 2400);
    JOB("{\"id\":\"c5\",\"channelId\":\"chat\",\"queueId\":\"q1\"}", 2500);
    assert_string_equal(h_offered_to("c5"), ""); /* a call takes the whole capacity */
    h_free();
}

static void worker_without_the_channel_gets_nothing(void **state)
{
    (void)state;
    setup_two_queues();
    WORKER("{\"id\":\"w\",\"available\":true,\"queues\":[\"q1\"],\"capacity\":100,"
           "\"channels\":[{\"channelId\":\"chat\",\"capacityCostPerJob\":30}]}",
           0);
    JOB("{\"id\":\"v\",\"channelId\":\"voice\",\"queueId\":\"q1\"}", 1000);
    assert_string_equal(h_offered_to("v"), "");
    /* maxNumberOfJobs defaults to capacity / cost = 3 */
    for (int i = 0; i < 4; i++) {
        char spec[128];
        snprintf(spec, sizeof(spec), "{\"id\":\"c%d\",\"channelId\":\"chat\",\"queueId\":\"q1\"}",
                 i);
        JOB(spec, 1000 + i);
    }
    assert_int_equal(h_count(ROUTER_OFFER_ISSUED), 3);
    h_free();
}

static void availability_and_queue_stats(void **state)
{
    (void)state;
    setup_two_queues();
    WORKER("{\"id\":\"w\",\"available\":false,\"queues\":[\"q1\"]," STANDARD_VOICE_CHAT "}", 0);
    JOB("{\"id\":\"a\",\"channelId\":\"voice\",\"queueId\":\"q1\"}", 1000);
    JOB("{\"id\":\"b\",\"channelId\":\"voice\",\"queueId\":\"q1\"}", 4000);
    json_t *s = router_queue_stats(H.r, "q1", 11000);
    assert_int_equal(json_integer_value(json_object_get(s, "length")), 2);
    assert_int_equal((int)json_real_value(json_object_get(s, "longestWaitSeconds")), 10);
    assert_int_equal(json_integer_value(json_object_get(s, "availableWorkers")), 0);
    assert_int_equal(json_integer_value(json_object_get(s, "workers")), 1);
    assert_true(json_is_null(json_object_get(s, "estimatedWaitSeconds")));
    json_decref(s);
    unsigned from = H.n;
    assert_int_equal(router_worker_set_availability(H.r, "w", true, NULL, 12000), 0);
    assert_string_equal(h_sequence(from), "workerUpdated offerIssued");
    assert_string_equal(h_offered_to("a"), "w");
    h_accept("a", "w", 13000); /* waited 12 s */
    assert_int_equal(router_job_close(H.r, "a", NULL, 0, 20000), 0);
    h_accept("b", "w", 21000); /* 8 s after the first departure */
    JOB("{\"id\":\"c\",\"channelId\":\"voice\",\"queueId\":\"q1\"}", 22000);
    JOB("{\"id\":\"d\",\"channelId\":\"voice\",\"queueId\":\"q1\"}", 22000);
    json_t *j = router_job_get(H.r, "d", 22000);
    assert_int_equal(json_integer_value(json_object_get(j, "position")), 2);
    /* two departures 8 s apart: the second in line waits about 16 s */
    assert_int_equal((int)json_real_value(json_object_get(j, "estimatedWaitSeconds")), 16);
    json_decref(j);
    assert_int_equal(router_worker_set_availability(H.r, "w", false, "lunch", 23000), 0);
    json_t *w = router_worker_get(H.r, "w", 23000);
    assert_string_equal(json_string_value(json_object_get(w, "state")), "inactive");
    assert_string_equal(json_string_value(json_object_get(w, "unavailableReason")), "lunch");
    json_decref(w);
    h_free();
}

static void max_length_refuses_with_enospc(void **state)
{
    (void)state;
    h_new();
    DP("{\"id\":\"dp\",\"mode\":{\"kind\":\"longest-idle\"}}");
    QUEUE("{\"id\":\"small\",\"distributionPolicyId\":\"dp\",\"maxLength\":2}");
    JOB("{\"id\":\"a\",\"channelId\":\"voice\",\"queueId\":\"small\"}", 1);
    JOB("{\"id\":\"b\",\"channelId\":\"voice\",\"queueId\":\"small\"}", 2);
    unsigned from = H.n;
    assert_int_equal(
        h_try(router_job_create, "{\"id\":\"c\",\"channelId\":\"voice\",\"queueId\":\"small\"}", 3),
        ENOSPC);
    assert_non_null(strstr(H.why, "full"));
    assert_int_equal(H.n, from); /* nothing happened */
    assert_null(router_job_get(H.r, "c", 3));
    h_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(longest_idle_picks_the_longest_idle),
        cmocka_unit_test(capacity_share_comes_before_idle_time),
        cmocka_unit_test(priority_then_enqueue_time),
        cmocka_unit_test(worker_gets_best_job_across_queues),
        cmocka_unit_test(capacity_per_channel_mixed_chat_and_voice),
        cmocka_unit_test(worker_without_the_channel_gets_nothing),
        cmocka_unit_test(availability_and_queue_stats),
        cmocka_unit_test(max_length_refuses_with_enospc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
