/*
 * test_router_restore.c - recovery after a restart: a new router with the
 * same configuration takes back the snapshots router_job_get() gave;
 * queued jobs keep their order, live offers stand (and can be accepted by
 * their ids), expired ones move on at the next advance, assignments keep
 * their worker's capacity; nothing is emitted for the restored state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_router_harness.h"

static void configure(bool w3_available)
{
    DP("{\"id\":\"dp\",\"offerExpiresAfterSeconds\":30,\"mode\":{\"kind\":\"longest-idle\"}}");
    QUEUE("{\"id\":\"q\",\"distributionPolicyId\":\"dp\"}");
    WORKER("{\"id\":\"w1\",\"available\":true,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}", 0);
    WORKER("{\"id\":\"w2\",\"available\":false,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}", 0);
    char w3[512];
    snprintf(w3, sizeof(w3),
             "{\"id\":\"w3\",\"available\":%s,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}",
             w3_available ? "true" : "false");
    WORKER(w3, 0);
}

static const char *const ids[] = {"j1", "j2", "j3", "j4", "j5", "j6"};

static void restart_keeps_state(void **state)
{
    (void)state;
    h_new();
    configure(false);
    JOB("{\"id\":\"j1\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000); /* -> w1 */
    h_accept("j1", "w1", 1500);
    JOB("{\"id\":\"j2\",\"channelId\":\"voice\",\"queueId\":\"q\",\"priority\":3}", 2000);
    JOB("{\"id\":\"j3\",\"channelId\":\"voice\",\"queueId\":\"q\",\"priority\":2}", 3000);
    JOB("{\"id\":\"j4\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 4000);
    JOB("{\"id\":\"j5\",\"channelId\":\"voice\",\"queueId\":\"q\",\"priority\":2}", 4000);
    JOB("{\"id\":\"j6\",\"channelId\":\"voice\",\"queueId\":\"q\",\"requestedWorkerSelectors\":"
        "[{\"key\":\"language\",\"operator\":\"equal\",\"value\":\"es\",\"expiresAfterSeconds\":"
        "100}]}",
        4000);
    assert_int_equal(router_worker_set_availability(H.r, "w3", true, NULL, 5000), 0);
    assert_string_equal(h_offered_to("j2"), "w3"); /* expires at 35000 */
    assert_int_equal(router_worker_set_availability(H.r, "w2", true, NULL, 10000), 0);
    assert_string_equal(h_offered_to("j3"), "w2"); /* expires at 40000 */
    char live_offer[64];
    snprintf(live_offer, sizeof(live_offer), "%s", h_offer_id("j3", "w2"));
    json_t *before = router_job_list(H.r, "queued", "q", NULL, 10000);

    json_t *snaps[6];
    for (int i = 0; i < 6; i++)
        snaps[i] = router_job_get(H.r, ids[i], 10000);
    h_free();

    /* The restart: same configuration, then the jobs, then time. */
    h_new();
    configure(true);
    unsigned from = H.n;
    for (int i = 0; i < 6; i++) {
        const char *why = NULL;
        int err = router_job_restore(H.r, snaps[i], 36000, &why);
        if (err)
            fprintf(stderr, "restore %s: %s\n", ids[i], why);
        assert_int_equal(err, 0);
        json_decref(snaps[i]);
    }
    assert_int_equal(H.n, from); /* nothing emitted for restored state */
    json_t *after = router_job_list(H.r, "queued", "q", NULL, 36000);
    assert_true(json_equal(before, after));
    json_decref(before);
    json_decref(after);
    assert_string_equal(h_state("j1"), "assigned");
    json_t *w1 = router_worker_get(H.r, "w1", 36000);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(w1, "load"), "capacityUsed")), 100);
    json_decref(w1);
    json_t *j6 = router_job_get(H.r, "j6", 36000);
    assert_int_equal(json_integer_value(json_object_get(j6, "enqueuedAt")), 4000);
    json_decref(j6);

    /* The offer to w3 expired during the restart: it moves on now. */
    assert_true(router_next_deadline(H.r) <= 36000);
    router_advance(H.r, 36000);
    const struct rec *e = h_last(ROUTER_OFFER_EXPIRED, "j2", "w3");
    assert_non_null(e);
    /* w3 is free again: j2 cannot go back to w3 while others are untried,
     * but nobody else is free, so it returns to w3. */
    assert_string_equal(h_offered_to("j2"), "w3");
    /* The live offer stands and is accepted by its old id. */
    assert_int_equal(router_offer_accept(H.r, live_offer, "w2", 37000, NULL), 0);
    assert_string_equal(h_state("j3"), "assigned");
    /* New ids do not collide with restored ones. */
    assert_string_not_equal(h_offer_id("j2", "w3"), live_offer);
    /* The restored assignment closes and frees w1 for the next in line. */
    assert_int_equal(router_job_close(H.r, "j1", NULL, 0, 38000), 0);
    assert_string_equal(h_offered_to("j5"), "w1");
    h_free();
}

static void restore_refuses_bad_snapshots(void **state)
{
    (void)state;
    h_new();
    configure(true);
    const char *why = NULL;
    json_t *s =
        J("{\"id\":\"x\",\"channelId\":\"voice\",\"queueId\":\"ghost\",\"state\":\"queued\","
          "\"enqueuedAt\":5}");
    assert_int_equal(router_job_restore(H.r, s, 10, &why), EINVAL);
    assert_non_null(strstr(why, "unknown queue 'ghost'"));
    json_decref(s);
    s = J("{\"id\":\"x\",\"channelId\":\"voice\",\"queueId\":\"q\",\"state\":\"assigned\","
          "\"assignment\":{\"assignmentId\":\"asg-1\",\"workerId\":\"gone\"}}");
    assert_int_equal(router_job_restore(H.r, s, 10, &why), EINVAL);
    assert_non_null(strstr(why, "unknown worker 'gone'"));
    json_decref(s);
    s = J("{\"id\":\"x\",\"channelId\":\"voice\",\"queueId\":\"q\",\"state\":\"dancing\"}");
    assert_int_equal(router_job_restore(H.r, s, 10, &why), EINVAL);
    json_decref(s);
    s = J("{\"id\":\"x\",\"channelId\":\"voice\",\"queueId\":\"q\",\"state\":\"queued\","
          "\"enqueuedAt\":5}");
    assert_int_equal(router_job_restore(H.r, s, 10, &why), 0);
    assert_int_equal(router_job_restore(H.r, s, 10, &why), EEXIST);
    json_decref(s);
    router_advance(H.r, 10);
    assert_string_equal(h_offered_to("x"), "w1");
    h_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(restart_keeps_state),
        cmocka_unit_test(restore_refuses_bad_snapshots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
