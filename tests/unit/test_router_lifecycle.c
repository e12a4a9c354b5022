/*
 * test_router_lifecycle.c - a job's life after matching: complete, timed
 * wrap-up (capacity released at closeAt), ending wrap-up early, unassign
 * back to the queue (same enqueue time, optional priority bump) or to
 * suspended, resume (the place in line given back), cancel,
 * scheduleAndSuspend activation, suspend mode, a job created with the
 * enqueue time of an earlier stay, delete, and the errors for calls in
 * the wrong state.
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
    DP("{\"id\":\"dp\",\"offerExpiresAfterSeconds\":30,\"mode\":{\"kind\":\"longest-idle\"}}");
    QUEUE("{\"id\":\"q\",\"distributionPolicyId\":\"dp\"}");
    WORKER("{\"id\":\"w\",\"available\":true,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}", 0);
}

static int used(const char *worker)
{
    json_t *w = router_worker_get(H.r, worker, 0);
    int n = (int)json_integer_value(json_object_get(json_object_get(w, "load"), "capacityUsed"));
    json_decref(w);
    return n;
}

static void complete_and_timed_wrap_up(void **state)
{
    (void)state;
    setup();
    JOB("{\"id\":\"a\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000);
    JOB("{\"id\":\"b\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1001);
    h_accept("a", "w", 2000);
    unsigned from = H.n;
    assert_int_equal(router_job_complete(H.r, "a", 3000), 0);
    assert_string_equal(h_sequence(from), "jobCompleted");
    assert_int_equal(router_job_complete(H.r, "a", 3001), EALREADY);
    assert_string_equal(h_state("a"), "completed");
    assert_int_equal(used("w"), 100); /* wrap-up holds the capacity */
    assert_int_equal(router_job_close(H.r, "a", "sold", 13000, 4000), 0);
    assert_string_equal(h_state("a"), "completed");
    assert_int_equal(router_next_deadline(H.r), 13000);
    assert_string_equal(h_offered_to("b"), "");
    from = H.n;
    router_advance(H.r, 13000);
    assert_string_equal(h_sequence(from), "jobClosed offerIssued");
    assert_non_null(strstr(h_last(ROUTER_JOB_CLOSED, "a", "w")->data, "sold"));
    assert_string_equal(h_state("a"), "closed");
    assert_string_equal(h_offered_to("b"), "w");
    assert_int_equal(router_job_close(H.r, "a", NULL, 0, 13001), EALREADY);
    json_t *w = router_worker_get(H.r, "w", 13000);
    assert_int_equal(json_integer_value(json_object_get(w, "idleSince")), 13000);
    json_decref(w);
    h_free();
}

static void wrap_up_ended_early(void **state)
{
    (void)state;
    setup();
    JOB("{\"id\":\"a\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000);
    h_accept("a", "w", 2000);
    assert_int_equal(router_job_close(H.r, "a", NULL, 60000, 3000), 0);
    JOB("{\"id\":\"b\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 4000);
    assert_string_equal(h_offered_to("b"), "");
    unsigned from = H.n;
    assert_int_equal(router_job_close(H.r, "a", NULL, 0, 5000), 0); /* agent is ready */
    assert_string_equal(h_sequence(from), "jobClosed offerIssued");
    assert_string_equal(h_offered_to("b"), "w");
    router_advance(H.r, 60000); /* the old close time does nothing */
    assert_int_equal(h_count(ROUTER_JOB_CLOSED), 1);
    /* closing straight from assigned completes first */
    h_accept("b", "w", 61000);
    from = H.n;
    assert_int_equal(router_job_close(H.r, "b", "ok", 0, 62000), 0);
    assert_string_equal(h_sequence(from), "jobCompleted jobClosed");
    assert_int_equal(used("w"), 0);
    h_free();
}

static void unassign_back_to_queue(void **state)
{
    (void)state;
    setup();
    JOB("{\"id\":\"a\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000);
    h_accept("a", "w", 2000);
    JOB("{\"id\":\"b\",\"channelId\":\"voice\",\"queueId\":\"q\",\"priority\":2}", 3000);
    /* Back with the same enqueue time and a bump of 2: equal priority to
     * b, and earlier, so a is first again. */
    unsigned from = H.n;
    assert_int_equal(router_job_unassign(H.r, "a", false, 2, 4000), 0);
    assert_string_equal(h_sequence(from), "jobUnassigned jobQueued offerIssued");
    json_t *j = router_job_get(H.r, "a", 4000);
    assert_int_equal(json_integer_value(json_object_get(j, "enqueuedAt")), 1000);
    assert_int_equal(json_integer_value(json_object_get(j, "priority")), 3);
    json_decref(j);
    assert_string_equal(h_offered_to("a"), "w");
    assert_string_equal(h_offered_to("b"), "");
    assert_int_equal(router_job_unassign(H.r, "a", false, 0, 4001), EBUSY); /* only offered */
    h_free();
}

static void unassign_to_suspended_and_resume(void **state)
{
    (void)state;
    setup();
    JOB("{\"id\":\"a\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000);
    h_accept("a", "w", 2000);
    assert_int_equal(router_job_unassign(H.r, "a", true, 0, 3000), 0);
    assert_string_equal(h_state("a"), "suspended");
    assert_int_equal(used("w"), 0);
    assert_int_equal(router_job_resume(H.r, "a", 4000), 0);
    assert_string_equal(h_state("a"), "offered");
    assert_int_equal(router_job_resume(H.r, "a", 4001), EALREADY);
    /* resumed, it has its place of before: queued at 1000 */
    json_t *j = router_job_get(H.r, "a", 4001);
    assert_int_equal(json_integer_value(json_object_get(j, "enqueuedAt")), 1000);
    json_decref(j);
    h_free();
}

static int64_t enqueued(const char *job)
{
    json_t *j = router_job_get(H.r, job, 0);
    int64_t at = json_integer_value(json_object_get(j, "enqueuedAt"));
    json_decref(j);
    return at;
}

static void created_with_an_earlier_place(void **state)
{
    (void)state;
    setup();
    /* nobody available: the jobs wait in line */
    assert_int_equal(router_worker_set_availability(H.r, "w", false, NULL, 500), 0);
    JOB("{\"id\":\"first\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 2000);
    JOB("{\"id\":\"back\",\"channelId\":\"voice\",\"queueId\":\"q\",\"enqueuedAt\":1000}", 3000);
    assert_int_equal(enqueued("back"), 1000);
    json_t *list = router_job_list(H.r, "queued", "q", NULL, 3000);
    assert_string_equal(json_string_value(json_array_get(list, 0)), "back");
    assert_string_equal(json_string_value(json_array_get(list, 1)), "first");
    json_decref(list);
    json_t *j = router_job_get(H.r, "back", 3000);
    assert_int_equal(json_integer_value(json_object_get(j, "position")), 1);
    json_decref(j);
    /* not in the future, and a time */
    const char *why = NULL;
    json_t *bad = json_pack("{s:s, s:s, s:s, s:I}", "id", "later", "channelId", "voice", "queueId",
                            "q", "enqueuedAt", (json_int_t)9000);
    assert_int_equal(router_job_create(H.r, bad, 3000, &why), EINVAL);
    assert_non_null(strstr(why, "enqueuedAt"));
    json_object_set_new(bad, "enqueuedAt", json_string("yesterday"));
    assert_int_equal(router_job_create(H.r, bad, 3000, &why), EINVAL);
    json_decref(bad);
    h_free();
}

static void suspended_into_another_queue_starts_anew(void **state)
{
    (void)state;
    setup();
    QUEUE("{\"id\":\"q2\",\"distributionPolicyId\":\"dp\"}");
    JOB("{\"id\":\"a\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000);
    h_accept("a", "w", 2000);
    assert_int_equal(router_job_unassign(H.r, "a", true, 0, 3000), 0);
    json_t *spec = json_pack("{s:s}", "queueId", "q2");
    assert_int_equal(router_job_reclassify(H.r, "a", spec, 4000, NULL), 0);
    json_decref(spec);
    assert_int_equal(router_job_resume(H.r, "a", 5000), 0);
    assert_int_equal(enqueued("a"), 5000);
    h_free();
}

static void cancel_revokes_offers(void **state)
{
    (void)state;
    setup();
    JOB("{\"id\":\"a\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000);
    JOB("{\"id\":\"b\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1001);
    unsigned from = H.n;
    assert_int_equal(router_job_cancel(H.r, "a", "caller hung up", 2000), 0);
    assert_string_equal(h_sequence(from), "jobCancelled offerRevoked offerIssued");
    assert_string_equal(h_offered_to("b"), "w");
    assert_int_equal(router_job_cancel(H.r, "a", NULL, 2001), EALREADY);
    assert_int_equal(router_job_cancel(H.r, "nope", NULL, 2001), ENOENT);
    /* cancelling an assigned job releases the worker */
    h_accept("b", "w", 3000);
    assert_int_equal(router_job_cancel(H.r, "b", NULL, 4000), 0);
    assert_int_equal(used("w"), 0);
    assert_int_equal(router_job_delete(H.r, "b"), 0);
    assert_null(router_job_get(H.r, "b", 4000));
    h_free();
}

static void schedule_and_suspend(void **state)
{
    (void)state;
    setup();
    unsigned from = H.n;
    JOB("{\"id\":\"later\",\"channelId\":\"voice\",\"queueId\":\"q\",\"matchingMode\":"
        "{\"kind\":\"scheduleAndSuspend\",\"scheduleAt\":50000}}",
        1000);
    assert_string_equal(h_sequence(from), "jobReceived jobWaitingForActivation");
    assert_string_equal(h_state("later"), "waitingForActivation");
    assert_int_equal(router_next_deadline(H.r), 50000);
    from = H.n;
    router_advance(H.r, 50000);
    assert_string_equal(h_sequence(from), "jobQueued offerIssued");
    json_t *j = router_job_get(H.r, "later", 50000);
    assert_int_equal(json_integer_value(json_object_get(j, "enqueuedAt")), 50000);
    json_decref(j);

    JOB("{\"id\":\"held\",\"channelId\":\"chat\",\"queueId\":\"q\",\"matchingMode\":"
        "{\"kind\":\"suspend\"}}",
        51000);
    assert_string_equal(h_state("held"), "suspended");
    assert_int_equal(router_job_delete(H.r, "held"), EBUSY);
    assert_int_equal(router_job_complete(H.r, "held", 51000), EBUSY);
    h_accept("later", "w", 52000);
    assert_int_equal(router_job_close(H.r, "later", NULL, 0, 53000), 0);
    from = H.n;
    assert_int_equal(router_job_resume(H.r, "held", 54000), 0);
    assert_string_equal(h_sequence(from), "jobQueued offerIssued");
    h_free();
}

static void reclassify_api(void **state)
{
    (void)state;
    setup();
    QUEUE("{\"id\":\"q2\",\"distributionPolicyId\":\"dp\",\"maxLength\":1}");
    WORKER("{\"id\":\"w\",\"available\":false,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}", 0);
    JOB("{\"id\":\"a\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000);
    JOB("{\"id\":\"b\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1001);
    json_t *spec = J("{\"queueId\":\"q2\",\"priority\":4,\"labelsToUpsert\":{\"lang\":\"de\"}}");
    assert_int_equal(router_job_reclassify(H.r, "a", spec, 2000, NULL), 0);
    assert_int_equal(router_job_reclassify(H.r, "b", spec, 2000, &H.why), ENOSPC);
    json_decref(spec);
    json_t *j = router_job_get(H.r, "a", 2000);
    assert_string_equal(json_string_value(json_object_get(j, "queueId")), "q2");
    assert_int_equal(json_integer_value(json_object_get(j, "priority")), 4);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "labels"), "lang")),
                        "de");
    json_decref(j);
    spec = J("{\"queueId\":\"ghost\"}");
    assert_int_equal(router_job_reclassify(H.r, "b", spec, 2000, &H.why), EINVAL);
    assert_non_null(strstr(H.why, "unknown queue 'ghost'"));
    json_decref(spec);
    h_free();
}

static void negative_capacity_and_unknown_queue_refused(void **state)
{
    (void)state;
    setup();
    assert_int_equal(
        h_try(router_worker_set, "{\"id\":\"x\",\"capacity\":-1,\"queues\":[\"q\"]}", 0), EINVAL);
    assert_non_null(strstr(H.why, "capacity must not be negative"));
    assert_int_equal(h_try(router_worker_set,
                           "{\"id\":\"x\",\"channels\":[{\"channelId\":\"voice\","
                           "\"capacityCostPerJob\":-5}]}",
                           0),
                     EINVAL);
    assert_non_null(strstr(H.why, "capacityCostPerJob must not be negative"));
    assert_int_equal(h_try(router_worker_set, "{\"id\":\"x\",\"queues\":[\"ghost\"]}", 0), EINVAL);
    assert_non_null(strstr(H.why, "unknown queue 'ghost'"));
    assert_null(router_worker_get(H.r, "x", 0));
    assert_int_equal(
        h_try(router_queue_set, "{\"id\":\"q9\",\"distributionPolicyId\":\"ghost\"}", 0), EINVAL);
    assert_non_null(strstr(H.why, "unknown distribution policy 'ghost'"));
    json_t *list = router_list(H.r, "workers");
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    h_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(complete_and_timed_wrap_up),
        cmocka_unit_test(wrap_up_ended_early),
        cmocka_unit_test(unassign_back_to_queue),
        cmocka_unit_test(unassign_to_suspended_and_resume),
        cmocka_unit_test(created_with_an_earlier_place),
        cmocka_unit_test(suspended_into_another_queue_starts_anew),
        cmocka_unit_test(cancel_revokes_offers),
        cmocka_unit_test(schedule_and_suspend),
        cmocka_unit_test(reclassify_api),
        cmocka_unit_test(negative_capacity_and_unknown_queue_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
