/*
 * test_router_offers.c - offers: expiry moving on (driven by
 * router_next_deadline/router_advance), decline with and without a retry
 * time, several offers at once with the first accept winning, the errors
 * for late, foreign and repeated answers, and missed offers making a
 * worker unavailable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_router_harness.h"

static void setup(const char *mode_extra, const char *policy_extra)
{
    h_new();
    char dp[512];
    snprintf(dp, sizeof(dp),
             "{\"id\":\"dp\",\"offerExpiresAfterSeconds\":10,%s"
             "\"mode\":{\"kind\":\"longest-idle\"%s}}",
             policy_extra, mode_extra);
    DP(dp);
    QUEUE("{\"id\":\"q\",\"distributionPolicyId\":\"dp\"}");
    WORKER("{\"id\":\"w1\",\"available\":true,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}", 100);
    WORKER("{\"id\":\"w2\",\"available\":true,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}", 200);
    WORKER("{\"id\":\"w3\",\"available\":true,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}", 300);
}

static void expiry_moves_on(void **state)
{
    (void)state;
    setup("", "");
    JOB("{\"id\":\"j\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000);
    assert_string_equal(h_offered_to("j"), "w1");
    char first[64];
    snprintf(first, sizeof(first), "%s", h_offer_id("j", "w1"));
    assert_int_equal(router_next_deadline(H.r), 11000);
    router_advance(H.r, 10999);
    assert_int_equal(h_count(ROUTER_OFFER_EXPIRED), 0);
    unsigned from = H.n;
    router_advance(H.r, 11000);
    assert_string_equal(h_sequence(from), "offerExpired offerIssued");
    assert_string_equal(h_last(ROUTER_OFFER_EXPIRED, "j", NULL)->worker, "w1");
    assert_string_equal(h_offered_to("j"), "w2"); /* moved on */
    assert_int_equal(router_offer_accept(H.r, first, "w1", 11001, NULL), ETIMEDOUT);
    assert_int_equal(router_next_deadline(H.r), 21000);
    /* An expiry is also noticed by any call at or after its time. */
    assert_int_equal(router_offer_accept(H.r, h_offer_id("j", "w2"), "w2", 21000, NULL), ETIMEDOUT);
    assert_string_equal(h_offered_to("j"), "w3");
    json_t *w = router_worker_get(H.r, "w1", 21000);
    assert_int_equal(json_integer_value(json_object_get(w, "consecutiveExpiries")), 1);
    json_decref(w);
    h_free();
}

static void decline_with_retry_after(void **state)
{
    (void)state;
    setup("", "");
    WORKER("{\"id\":\"w2\",\"available\":false,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}", 200);
    WORKER("{\"id\":\"w3\",\"available\":false,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}", 300);
    JOB("{\"id\":\"j\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000);
    const char *offer = h_offer_id("j", "w1");
    char id[64];
    snprintf(id, sizeof(id), "%s", offer);
    assert_int_equal(router_offer_decline(H.r, id, "w2", 0, 2000), EPERM);
    unsigned from = H.n;
    assert_int_equal(router_offer_decline(H.r, id, "w1", 60, 2000), 0);
    assert_string_equal(h_sequence(from), "offerDeclined");
    assert_non_null(strstr(h_last(ROUTER_OFFER_DECLINED, "j", "w1")->data, "\"retryAt\":62000"));
    assert_int_equal(router_offer_decline(H.r, id, "w1", 0, 2001), EALREADY);
    assert_int_equal(router_offer_accept(H.r, id, "w1", 2001, NULL), EALREADY);
    assert_string_equal(h_state("j"), "queued");
    /* Another job is offered to w1 meanwhile; the declined one is not. */
    JOB("{\"id\":\"k\",\"channelId\":\"chat\",\"queueId\":\"q\"}", 3000);
    assert_string_equal(h_offered_to("k"), "w1");
    /* When the retry time comes, w1 is eligible again. */
    assert_int_equal(router_next_deadline(H.r), 13000); /* k's offer expiry first */
    assert_int_equal(router_offer_accept(H.r, h_offer_id("k", "w1"), "w1", 4000, NULL), 0);
    assert_int_equal(router_job_close(H.r, "k", NULL, 0, 5000), 0);
    assert_int_equal(router_next_deadline(H.r), 62000);
    from = H.n;
    router_advance(H.r, 62000);
    assert_string_equal(h_sequence(from), "offerIssued");
    assert_string_equal(h_offered_to("j"), "w1");
    h_free();
}

static void decline_moves_on_to_another_worker(void **state)
{
    (void)state;
    setup("", "");
    JOB("{\"id\":\"j\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000);
    unsigned from = H.n;
    assert_int_equal(router_offer_decline(H.r, h_offer_id("j", "w1"), "w1", 0, 2000), 0);
    assert_string_equal(h_sequence(from), "offerDeclined offerIssued");
    assert_string_equal(h_offered_to("j"), "w2");
    h_free();
}

static void several_offers_first_accept_wins(void **state)
{
    (void)state;
    setup(",\"minConcurrentOffers\":1,\"maxConcurrentOffers\":3", "");
    unsigned from = H.n;
    JOB("{\"id\":\"j\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000);
    assert_string_equal(h_sequence(from),
                        "jobReceived jobQueued offerIssued offerIssued offerIssued");
    char o1[64], o2[64], o3[64];
    snprintf(o1, sizeof(o1), "%s", h_offer_id("j", "w1"));
    snprintf(o2, sizeof(o2), "%s", h_offer_id("j", "w2"));
    snprintf(o3, sizeof(o3), "%s", h_offer_id("j", "w3"));
    assert_string_equal(h_state("j"), "offered");
    json_t *j = router_job_get(H.r, "j", 1000);
    assert_int_equal(json_array_size(json_object_get(j, "offers")), 3);
    assert_int_equal(json_array_size(json_object_get(j, "explanations")), 3);
    json_decref(j);
    assert_int_equal(router_offer_accept(H.r, o2, "w1", 2000, NULL), EPERM);
    from = H.n;
    const char *asg = NULL;
    assert_int_equal(router_offer_accept(H.r, o2, "w2", 2000, &asg), 0);
    assert_non_null(asg);
    assert_string_equal(h_sequence(from), "offerAccepted jobAssigned offerRevoked offerRevoked");
    assert_int_equal(router_offer_accept(H.r, o1, "w1", 2001, NULL), EALREADY);
    assert_int_equal(router_offer_accept(H.r, o2, "w2", 2001, NULL), EALREADY);
    assert_int_equal(router_offer_accept(H.r, o3, NULL, 2001, NULL), EALREADY);
    assert_int_equal(router_offer_accept(H.r, "offer-999", "w1", 2001, NULL), ENOENT);
    json_t *w1 = router_worker_get(H.r, "w1", 2001);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(w1, "load"), "capacityUsed")), 0);
    json_decref(w1);
    h_free();
}

static void min_concurrent_offers_waits_for_enough_workers(void **state)
{
    (void)state;
    setup(",\"minConcurrentOffers\":4,\"maxConcurrentOffers\":4", "");
    JOB("{\"id\":\"j\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000);
    assert_int_equal(h_count(ROUTER_OFFER_ISSUED), 0); /* 3 eligible < 4 */
    WORKER("{\"id\":\"w4\",\"available\":true,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}", 2000);
    assert_int_equal(h_count(ROUTER_OFFER_ISSUED), 4);
    h_free();
}

static void missed_offers_make_worker_unavailable(void **state)
{
    (void)state;
    setup("", "\"unavailableAfterExpiries\":2,\"unavailableReason\":\"missed 2 offers\",");
    WORKER("{\"id\":\"w2\",\"available\":false,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}", 200);
    WORKER("{\"id\":\"w3\",\"available\":false,\"queues\":[\"q\"]," STANDARD_VOICE_CHAT "}", 300);
    JOB("{\"id\":\"j\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000);
    router_advance(H.r, 11000); /* first expiry: offered again (nobody else) */
    assert_int_equal(h_count(ROUTER_OFFER_EXPIRED), 1);
    assert_string_equal(h_offered_to("j"), "w1");
    unsigned from = H.n;
    router_advance(H.r, 21000);
    assert_string_equal(h_sequence(from), "offerExpired workerUpdated");
    const struct rec *e = h_last(ROUTER_WORKER_UPDATED, NULL, "w1");
    assert_non_null(strstr(e->data, "\"available\":false"));
    assert_non_null(strstr(e->data, "missed 2 offers"));
    json_t *w = router_worker_get(H.r, "w1", 21000);
    assert_string_equal(json_string_value(json_object_get(w, "unavailableReason")),
                        "missed 2 offers");
    json_decref(w);
    /* Not logged out for good: available again, it gets the job. */
    assert_int_equal(router_worker_set_availability(H.r, "w1", true, NULL, 22000), 0);
    assert_string_equal(h_offered_to("j"), "w1");
    h_free();
}

static void unavailable_worker_loses_its_live_offers(void **state)
{
    (void)state;
    setup("", "");
    JOB("{\"id\":\"j\",\"channelId\":\"voice\",\"queueId\":\"q\"}", 1000);
    unsigned from = H.n;
    assert_int_equal(router_worker_set_availability(H.r, "w1", false, "break", 2000), 0);
    assert_string_equal(h_sequence(from), "workerUpdated offerRevoked offerIssued");
    assert_string_equal(h_offered_to("j"), "w2");
    /* Deleting a worker with a live offer revokes it too. */
    from = H.n;
    assert_int_equal(router_worker_delete(H.r, "w2", 3000, NULL), 0);
    assert_string_equal(h_sequence(from), "offerRevoked offerIssued workerDeregistered");
    assert_string_equal(h_offered_to("j"), "w3");
    h_accept("j", "w3", 3500);
    assert_int_equal(router_worker_delete(H.r, "w3", 4000, NULL), EBUSY);
    h_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(expiry_moves_on),
        cmocka_unit_test(decline_with_retry_after),
        cmocka_unit_test(decline_moves_on_to_another_worker),
        cmocka_unit_test(several_offers_first_accept_wins),
        cmocka_unit_test(min_concurrent_offers_waits_for_enough_workers),
        cmocka_unit_test(missed_offers_make_worker_unavailable),
        cmocka_unit_test(unavailable_worker_loses_its_live_offers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
