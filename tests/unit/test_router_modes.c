/*
 * test_router_modes.c - distribution modes other than longest-idle:
 * round-robin, serial, best-worker with a scoring expression and with the
 * default score, and ties.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_router_harness.h"

static void workers(const char *q, int n, const char *labels[])
{
    for (int i = 0; i < n; i++) {
        char spec[512];
        snprintf(spec, sizeof(spec),
                 "{\"id\":\"w%d\",\"available\":true,\"queues\":[\"%s\"],\"labels\":%"
                 "s," STANDARD_VOICE_CHAT "}",
                 i + 1, q, labels ? labels[i] : "{}");
        WORKER(spec, 100 * (i + 1));
    }
}

/* Offer a voice job at `now`, take who got it, and close it at once. */
static const char *route_one(int i, int64_t now)
{
    static char who[64];
    char spec[128];
    snprintf(spec, sizeof(spec), "{\"id\":\"j%d\",\"channelId\":\"voice\",\"queueId\":\"q\"}", i);
    snprintf(spec + strlen(spec) - 1, 64, ",\"labels\":{\"language\":\"es\",\"tier\":1}}");
    JOB(spec, now);
    char job[16];
    snprintf(job, sizeof(job), "j%d", i);
    snprintf(who, sizeof(who), "%s", h_offered_to(job));
    if (who[0]) {
        h_accept(job, who, now + 1);
        assert_int_equal(router_job_close(H.r, job, NULL, 0, now + 2), 0);
    }
    return who;
}

static void round_robin_cycles_in_id_order(void **state)
{
    (void)state;
    h_new();
    DP("{\"id\":\"dp\",\"mode\":{\"kind\":\"round-robin\"}}");
    QUEUE("{\"id\":\"q\",\"distributionPolicyId\":\"dp\"}");
    workers("q", 3, NULL);
    const char *expect[] = {"w1", "w2", "w3", "w1", "w2"};
    for (int i = 0; i < 5; i++)
        assert_string_equal(route_one(i, 1000 + i * 10), expect[i]);
    /* A busy worker is skipped; the cycle continues after it. */
    JOB("{\"id\":\"hold\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 2000);
    assert_string_equal(h_offered_to("hold"), "w3");
    h_accept("hold", "w3", 2001);
    assert_string_equal(route_one(10, 2100), "w1");
    assert_string_equal(route_one(11, 2200), "w2");
    assert_string_equal(route_one(12, 2300), "w1");
    h_free();
}

static void serial_goes_top_down(void **state)
{
    (void)state;
    h_new();
    DP("{\"id\":\"dp\",\"mode\":{\"kind\":\"serial\",\"workerOrder\":[\"w3\",\"w1\"]}}");
    QUEUE("{\"id\":\"q\",\"distributionPolicyId\":\"dp\"}");
    workers("q", 4, NULL);
    JOB("{\"id\":\"a\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000);
    JOB("{\"id\":\"b\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1001);
    JOB("{\"id\":\"c\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1002);
    JOB("{\"id\":\"d\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1003);
    /* Listed workers first in their order, then the rest by id. */
    assert_string_equal(h_offered_to("a"), "w3");
    assert_string_equal(h_offered_to("b"), "w1");
    assert_string_equal(h_offered_to("c"), "w2");
    assert_string_equal(h_offered_to("d"), "w4");
    /* The first in order always comes first when free. */
    h_accept("a", "w3", 1100);
    assert_int_equal(router_job_close(H.r, "a", NULL, 0, 1200), 0);
    JOB("{\"id\":\"e\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1300);
    assert_string_equal(h_offered_to("e"), "w3");
    h_free();
}

static void best_worker_by_expression(void **state)
{
    (void)state;
    h_new();
    DP("{\"id\":\"dp\",\"mode\":{\"kind\":\"best-worker\",\"scoringRule\":{\"kind\":"
       "\"expression\",\"expression\":\"worker.skill * 10 + (worker.language == job.language "
       "? 5 : 0)\"}}}");
    QUEUE("{\"id\":\"q\",\"distributionPolicyId\":\"dp\"}");
    const char *labels[] = {"{\"skill\":3,\"language\":\"en\"}",
                            "{\"skill\":3,\"language\":\"es\"}",
                            "{\"skill\":2,\"language\":\"es\"}"};
    workers("q", 3, labels);
    assert_string_equal(route_one(1, 1000), "w2"); /* 35 > 30 > 25 */
    json_t *j = router_job_get(H.r, "j1", 2000);
    json_t *ex = json_array_get(json_object_get(j, "explanations"), 0);
    assert_string_equal(json_string_value(json_object_get(ex, "mode")), "best-worker");
    json_t *c0 = json_array_get(json_object_get(ex, "candidates"), 0);
    assert_int_equal((int)json_real_value(json_object_get(c0, "score")), 35);
    json_t *c2 = json_array_get(json_object_get(ex, "candidates"), 2);
    assert_string_equal(json_string_value(json_object_get(c2, "workerId")), "w3");
    assert_int_equal((int)json_real_value(json_object_get(c2, "score")), 25);
    json_decref(j);
    h_free();
}

static void best_worker_ascending_and_ties(void **state)
{
    (void)state;
    h_new();
    DP("{\"id\":\"dp\",\"mode\":{\"kind\":\"best-worker\",\"descendingOrder\":false,"
       "\"scoringRule\":{\"kind\":\"expression\",\"expression\":\"worker.cost\"}}}");
    QUEUE("{\"id\":\"q\",\"distributionPolicyId\":\"dp\"}");
    const char *labels[] = {"{\"cost\":5}", "{\"cost\":1}", "{\"cost\":1}"};
    workers("q", 3, labels);
    /* w2 and w3 tie at 1: the longer idle (w2, since 200) wins. */
    assert_string_equal(route_one(1, 1000), "w2");
    /* now w2 was idle last: the tie goes to w3 */
    assert_string_equal(route_one(2, 2000), "w3");
    h_free();
}

static void best_worker_default_score(void **state)
{
    (void)state;
    h_new();
    DP("{\"id\":\"dp\",\"mode\":{\"kind\":\"best-worker\"}}");
    QUEUE("{\"id\":\"q\",\"distributionPolicyId\":\"dp\"}");
    /* the job has language=es, tier=1 */
    const char *labels[] = {"{\"language\":\"en\",\"tier\":1}", "{\"language\":\"es\",\"tier\":1}",
                            "{\"language\":\"es\",\"tier\":2}"};
    workers("q", 3, labels);
    assert_string_equal(route_one(1, 1000), "w2"); /* 2 equal labels */
    /* A live selector matched adds one: both match language=es, and only
     * w3 has tier 2. */
    JOB("{\"id\":\"s\",\"channelId\":\"voice\",\"queueId\":\"q\",\"labels\":{\"tier\":2},"
        "\"requestedWorkerSelectors\":[{\"key\":\"language\",\"operator\":\"equal\","
        "\"value\":\"es\"}]}",
        3000);
    assert_string_equal(h_offered_to("s"), "w3"); /* 1 label + 1 selector vs 0 + 1 */
    h_free();
}

static void bad_mode_specs(void **state)
{
    (void)state;
    h_new();
    assert_int_equal(
        h_try(router_distribution_policy_set, "{\"id\":\"x\",\"mode\":{\"kind\":\"random\"}}", 0),
        EINVAL);
    assert_non_null(strstr(H.why, "unknown mode 'random'"));
    assert_int_equal(h_try(router_distribution_policy_set,
                           "{\"id\":\"x\",\"mode\":{\"kind\":\"best-worker\",\"scoringRule\":"
                           "{\"kind\":\"expression\",\"expression\":\"worker.skill +\"}}}",
                           0),
                     EINVAL);
    assert_non_null(strstr(H.why, "scoringRule.expression"));
    assert_non_null(strstr(H.why, "column"));
    assert_int_equal(h_try(router_distribution_policy_set,
                           "{\"id\":\"x\",\"mode\":{\"kind\":\"longest-idle\","
                           "\"minConcurrentOffers\":3,\"maxConcurrentOffers\":2}}",
                           0),
                     EINVAL);
    assert_non_null(strstr(H.why, "maxConcurrentOffers"));
    assert_int_equal(h_try(router_distribution_policy_set,
                           "{\"id\":\"x\",\"offerExpiresAfterSeconds\":-1,"
                           "\"mode\":{\"kind\":\"longest-idle\"}}",
                           0),
                     EINVAL);
    assert_null(router_distribution_policy_get(H.r, "x"));
    h_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_robin_cycles_in_id_order),
        cmocka_unit_test(serial_goes_top_down),
        cmocka_unit_test(best_worker_by_expression),
        cmocka_unit_test(best_worker_ascending_and_ties),
        cmocka_unit_test(best_worker_default_score),
        cmocka_unit_test(bad_mode_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
