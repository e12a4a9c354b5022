/*
 * test_router_webhook.c - best-worker scoring by webhook in the engine:
 * the score request and its candidates, choosing by the answer (either
 * order, missing scores, failure, timeout), late answers, candidates who
 * became ineligible, and other jobs going on while one waits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "router/router_internal.h"
#include "test_router_harness.h"

#define MAX_REQS 16

/* Score requests the engine made, in order. */
static struct {
    char id[64], job[64], url[128];
    json_t *body;
} R[MAX_REQS];
static unsigned NR;

static void on_score(const char *request_id, const char *job_id, const json_t *request,
                     const char *url, void *arg)
{
    (void)arg;
    assert_true(NR < MAX_REQS);
    copy_id(R[NR].id, request_id);
    copy_id(R[NR].job, job_id);
    snprintf(R[NR].url, sizeof(R[NR].url), "%s", url);
    R[NR].body = json_deep_copy(request);
    NR++;
}

static void reqs_clear(void)
{
    for (unsigned i = 0; i < NR; i++)
        json_decref(R[i].body);
    NR = 0;
}

/* A router with the score handler, a webhook policy (extra: more mode
 * fields) and queue q; workers w1 (language en) and w2 (es) serve q. */
static void setup(const char *extra)
{
    h_clear_events();
    reqs_clear();
    struct router_opts opts = {.eventh = on_event, .scoreh = on_score, .arg = &H};
    assert_int_equal(router_alloc(&H.r, &opts), 0);
    char dp[512];
    snprintf(dp, sizeof(dp),
             "{\"id\":\"dp\",\"mode\":{\"kind\":\"best-worker\"%s,\"scoringRule\":{\"kind\":"
             "\"webhook\",\"url\":\"http://127.0.0.1:9/score\",\"timeoutSeconds\":2}}}",
             extra);
    DP(dp);
    QUEUE("{\"id\":\"q\",\"distributionPolicyId\":\"dp\"}");
    WORKER("{\"id\":\"w1\",\"available\":true,\"queues\":[\"q\"],\"labels\":{\"language\":\"en\"}"
           "," STANDARD_VOICE_CHAT "}",
           100);
    WORKER("{\"id\":\"w2\",\"available\":true,\"queues\":[\"q\"],\"labels\":{\"language\":\"es\"}"
           "," STANDARD_VOICE_CHAT "}",
           200);
}

static void teardown_check(void)
{
    char why[256];
    unsigned broken = router_audit(H.r, why, sizeof(why));
    if (broken)
        fprintf(stderr, "audit: %s\n", why);
    assert_int_equal(broken, 0);
    h_free();
    reqs_clear();
}

static void job(const char *id, int64_t now)
{
    char spec[256];
    snprintf(spec, sizeof(spec),
             "{\"id\":\"%s\",\"channelId\":\"voice\",\"queueId\":\"q\",\"labels\":{\"language\":"
             "\"es\"}}",
             id);
    JOB(spec, now);
}

static int answer(unsigned i, const char *scores, int64_t now)
{
    json_t *s = scores ? J(scores) : NULL;
    int err = router_scores_provided(H.r, R[i].id, s, now);
    json_decref(s);
    return err;
}

/* The first explanation of a job, as a new reference. */
static json_t *explanation(const char *job_id)
{
    json_t *j = router_job_get(H.r, job_id, 0);
    assert_non_null(j);
    json_t *ex = json_incref(json_array_get(json_object_get(j, "explanations"), 0));
    json_decref(j);
    assert_non_null(ex);
    return ex;
}

static bool has_candidate(const json_t *req, const char *worker)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(req, "candidates"), i, c)
    {
        if (!strcmp(json_string_value(json_object_get(c, "workerId")), worker))
            return true;
    }
    return false;
}

static void request_lists_eligible_candidates(void **state)
{
    (void)state;
    setup("");
    WORKER("{\"id\":\"w3\",\"available\":false,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}", 300);
    job("j1", 1000);
    assert_int_equal(h_count(ROUTER_OFFER_ISSUED), 0);
    assert_int_equal(NR, 1);
    assert_string_equal(R[0].job, "j1");
    assert_string_equal(R[0].url, "http://127.0.0.1:9/score");
    assert_string_equal(json_string_value(json_object_get(R[0].body, "queueId")), "q");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(R[0].body, "labels"), "language")), "es");
    assert_int_equal(json_array_size(json_object_get(R[0].body, "candidates")), 2);
    assert_true(has_candidate(R[0].body, "w1"));
    assert_true(has_candidate(R[0].body, "w2"));
    assert_false(has_candidate(R[0].body, "w3"));
    assert_string_equal(h_state("j1"), "queued");
    /* Waiting: another trigger does not decide or ask again. */
    router_advance(H.r, 1500);
    assert_int_equal(NR, 1);
    assert_int_equal(h_count(ROUTER_OFFER_ISSUED), 0);
    teardown_check();
}

static void scores_pick_highest(void **state)
{
    (void)state;
    setup("");
    job("j1", 1000);
    assert_int_equal(answer(0, "{\"w1\":9,\"w2\":1}", 1100), 0);
    assert_string_equal(h_offered_to("j1"), "w1");
    json_t *ex = explanation("j1");
    assert_string_equal(json_string_value(json_object_get(ex, "scoredBy")), "webhook");
    assert_null(json_object_get(ex, "webhookFailed"));
    json_t *c0 = json_array_get(json_object_get(ex, "candidates"), 0);
    assert_string_equal(json_string_value(json_object_get(c0, "workerId")), "w1");
    assert_true(json_number_value(json_object_get(c0, "score")) == 9);
    assert_string_equal(json_string_value(json_object_get(c0, "scoreSource")), "webhook");
    json_decref(ex);
    teardown_check();
}

static void scores_pick_lowest_when_ascending(void **state)
{
    (void)state;
    setup(",\"descendingOrder\":false");
    job("j1", 1000);
    assert_int_equal(answer(0, "{\"w1\":9,\"w2\":1}", 1100), 0);
    assert_string_equal(h_offered_to("j1"), "w2");
    teardown_check();
}

static void missing_scores_use_the_default(void **state)
{
    (void)state;
    setup("");
    job("j1", 1000);
    /* w2 has the job's language: default score 1, above w1's 0.5. */
    assert_int_equal(answer(0, "{\"w1\":0.5}", 1100), 0);
    assert_string_equal(h_offered_to("j1"), "w2");
    json_t *ex = explanation("j1");
    json_t *c0 = json_array_get(json_object_get(ex, "candidates"), 0);
    assert_string_equal(json_string_value(json_object_get(c0, "scoreSource")), "default");
    json_decref(ex);
    teardown_check();
}

static void failure_and_timeout_fall_back(void **state)
{
    (void)state;
    setup("");
    job("j1", 1000);
    assert_int_equal(answer(0, NULL, 1100), 0);
    assert_string_equal(h_offered_to("j1"), "w2"); /* default score: language */
    json_t *ex = explanation("j1");
    assert_true(json_is_true(json_object_get(ex, "webhookFailed")));
    assert_string_equal(json_string_value(json_object_get(ex, "scoringNote")), "webhook failed");
    json_decref(ex);
    /* No answer within timeoutSeconds (2): the same, at the deadline. */
    WORKER("{\"id\":\"w3\",\"available\":true,\"queues\":[\"q\"],\"labels\":{\"language\":\"es\"}"
           "," STANDARD_VOICE_CHAT "}",
           1200);
    job("j2", 2000);
    assert_int_equal(NR, 2);
    assert_int_equal(router_next_deadline(H.r), 4000);
    router_advance(H.r, 3999);
    assert_string_equal(h_offered_to("j2"), "");
    router_advance(H.r, 4000);
    assert_string_equal(h_offered_to("j2"), "w3");
    /* A late answer, or a second one, is refused. */
    assert_int_equal(answer(1, "{\"w1\":1}", 4100), EALREADY);
    assert_int_equal(answer(0, "{\"w1\":1}", 4100), EALREADY);
    teardown_check();
}

static void ineligible_candidate_is_skipped(void **state)
{
    (void)state;
    setup("");
    job("j1", 1000);
    assert_int_equal(router_worker_set_availability(H.r, "w1", false, "lunch", 1050), 0);
    assert_int_equal(answer(0, "{\"w1\":9,\"w2\":1}", 1100), 0);
    assert_string_equal(h_offered_to("j1"), "w2");
    /* Nobody eligible at the answer: the job waits, and is not lost. */
    job("j2", 2000);
    assert_int_equal(NR, 1); /* w1 away, w2 holds j1's offer */
    h_accept("j1", "w2", 2100);
    assert_int_equal(router_worker_set_availability(H.r, "w1", true, NULL, 2200), 0);
    assert_int_equal(NR, 2);
    assert_string_equal(R[1].job, "j2");
    assert_int_equal(router_worker_set_availability(H.r, "w1", false, "again", 2300), 0);
    assert_int_equal(answer(1, "{\"w1\":9}", 2400), 0);
    assert_string_equal(h_offered_to("j2"), "");
    assert_string_equal(h_state("j2"), "queued");
    assert_int_equal(router_worker_set_availability(H.r, "w1", true, NULL, 2500), 0);
    assert_int_equal(NR, 3);
    assert_int_equal(answer(2, "{\"w1\":9}", 2600), 0);
    assert_string_equal(h_offered_to("j2"), "w1");
    teardown_check();
}

static void other_jobs_proceed_while_one_waits(void **state)
{
    (void)state;
    setup("");
    DP("{\"id\":\"plain\",\"mode\":{\"kind\":\"longest-idle\"}}");
    QUEUE("{\"id\":\"other\",\"distributionPolicyId\":\"plain\"}");
    WORKER("{\"id\":\"w1\",\"available\":true,\"queues\":[\"q\",\"other\"],"
           "\"labels\":{\"language\":\"en\"}," STANDARD_VOICE_CHAT "}",
           300);
    job("j1", 1000);
    assert_int_equal(NR, 1);
    JOB("{\"id\":\"o1\",\"channelId\":\"voice\",\"queueId\":\"other\"}", 1010);
    assert_string_equal(h_offered_to("o1"), "w1"); /* not reserved for j1 */
    /* A trigger meanwhile (w3 arrives) is remembered: after the answer,
     * with its candidates busy or passed over, j1 is matched again. */
    WORKER("{\"id\":\"w3\",\"available\":true,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}", 1020);
    assert_int_equal(NR, 1);
    assert_int_equal(answer(0, "{\"w1\":9,\"w2\":1}", 1100), 0);
    assert_string_equal(h_offered_to("j1"), "w2");
    teardown_check();
}

static void again_after_answer_when_nobody_fits(void **state)
{
    (void)state;
    setup("");
    job("j1", 1000);
    assert_int_equal(router_worker_set_availability(H.r, "w1", false, NULL, 1010), 0);
    assert_int_equal(router_worker_set_availability(H.r, "w2", false, NULL, 1020), 0);
    WORKER("{\"id\":\"w3\",\"available\":true,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}", 1030);
    assert_int_equal(answer(0, "{\"w1\":9}", 1100), 0);
    assert_int_equal(NR, 2); /* asked again, now about w3 */
    assert_true(has_candidate(R[1].body, "w3"));
    assert_int_equal(answer(1, "{}", 1200), 0);
    assert_string_equal(h_offered_to("j1"), "w3");
    teardown_check();
}

static void cancelled_job_drops_its_request(void **state)
{
    (void)state;
    setup("");
    job("j1", 1000);
    assert_int_equal(router_job_cancel(H.r, "j1", "gone", 1010), 0);
    assert_int_equal(router_next_deadline(H.r), INT64_MAX);
    assert_int_equal(answer(0, "{\"w1\":9}", 1100), EALREADY);
    teardown_check();
}

static void without_handler_default_score(void **state)
{
    (void)state;
    h_new();
    DP("{\"id\":\"dp\",\"mode\":{\"kind\":\"best-worker\",\"scoringRule\":{\"kind\":\"webhook\","
       "\"url\":\"http://127.0.0.1:9/\"}}}");
    QUEUE("{\"id\":\"q\",\"distributionPolicyId\":\"dp\"}");
    WORKER("{\"id\":\"w1\",\"available\":true,\"queues\":[\"q\"],\"labels\":{\"language\":\"en\"}"
           "," STANDARD_VOICE_CHAT "}",
           100);
    WORKER("{\"id\":\"w2\",\"available\":true,\"queues\":[\"q\"],\"labels\":{\"language\":\"es\"}"
           "," STANDARD_VOICE_CHAT "}",
           200);
    job("j1", 1000);
    assert_string_equal(h_offered_to("j1"), "w2");
    teardown_check();
}

static void bad_webhook_rules(void **state)
{
    (void)state;
    h_new();
    assert_int_equal(h_try(router_distribution_policy_set,
                           "{\"id\":\"d\",\"mode\":{\"kind\":\"best-worker\",\"scoringRule\":{"
                           "\"kind\":\"webhook\",\"url\":\"ftp://x\"}}}",
                           0),
                     EINVAL);
    assert_int_equal(h_try(router_distribution_policy_set,
                           "{\"id\":\"d\",\"mode\":{\"kind\":\"best-worker\",\"scoringRule\":{"
                           "\"kind\":\"webhook\",\"url\":\"http://x/\",\"timeoutSeconds\":61}}}",
                           0),
                     EINVAL);
    assert_non_null(strstr(H.why, "timeoutSeconds"));
    assert_int_equal(router_scores_provided(H.r, "nope", NULL, 0), EALREADY);
    h_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_lists_eligible_candidates),
        cmocka_unit_test(scores_pick_highest),
        cmocka_unit_test(scores_pick_lowest_when_ascending),
        cmocka_unit_test(missing_scores_use_the_default),
        cmocka_unit_test(failure_and_timeout_fall_back),
        cmocka_unit_test(ineligible_candidate_is_skipped),
        cmocka_unit_test(other_jobs_proceed_while_one_waits),
        cmocka_unit_test(again_after_answer_when_nobody_fits),
        cmocka_unit_test(cancelled_job_drops_its_request),
        cmocka_unit_test(without_handler_default_score),
        cmocka_unit_test(bad_webhook_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
