/*
 * test_router_random.c - thousands of random operations (arrivals with
 * random selectors, some expiring; accepts, declines, expiries, completes,
 * timed and immediate closes, unassigns, cancels, reclassifies,
 * availability changes, worker updates) across several queues and modes,
 * checking after each that the router is consistent: capacity adds up,
 * candidate sets are right, and no available worker with room is left
 * beside a queued job it could take (matching happened at every trigger).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "router/router_internal.h"
#include "test_router_harness.h"

static uint64_t seed = 0x1234567;

static unsigned rnd(unsigned n)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (unsigned)(seed % n);
}

static void configure(void)
{
    DP("{\"id\":\"idle\",\"offerExpiresAfterSeconds\":20,\"unavailableAfterExpiries\":3,"
       "\"mode\":{\"kind\":\"longest-idle\"}}");
    DP("{\"id\":\"rr\",\"offerExpiresAfterSeconds\":15,\"mode\":{\"kind\":\"round-robin\"}}");
    DP("{\"id\":\"best\",\"offerExpiresAfterSeconds\":10,\"mode\":{\"kind\":\"best-worker\","
       "\"minConcurrentOffers\":1,\"maxConcurrentOffers\":2,\"scoringRule\":{\"kind\":"
       "\"expression\",\"expression\":\"worker.level * 2 + (worker.lang == job.lang ? 3 : 0)\"}}}");
    DP("{\"id\":\"ring\",\"offerExpiresAfterSeconds\":10,\"mode\":{\"kind\":\"serial\","
       "\"minConcurrentOffers\":2,\"maxConcurrentOffers\":3,\"workerOrder\":[\"w3\",\"w1\"]}}");
    QUEUE("{\"id\":\"a\",\"distributionPolicyId\":\"idle\"}");
    QUEUE("{\"id\":\"b\",\"distributionPolicyId\":\"rr\"}");
    QUEUE("{\"id\":\"c\",\"distributionPolicyId\":\"best\"}");
    QUEUE("{\"id\":\"d\",\"distributionPolicyId\":\"ring\"}");
    EP("{\"id\":\"ep\",\"rules\":[{\"id\":\"long\",\"trigger\":{\"kind\":\"queueLength\","
       "\"threshold\":6},\"actions\":[{\"kind\":\"manualReclassify\",\"queueId\":\"a\"}]},"
       "{\"id\":\"old\",\"trigger\":{\"kind\":\"waitTime\",\"thresholdSeconds\":40},"
       "\"actions\":[{\"kind\":\"manualReclassify\",\"priority\":9}]}]}");
    QUEUE("{\"id\":\"b\",\"distributionPolicyId\":\"rr\",\"exceptionPolicyId\":\"ep\"}");
}

static const char *const queues[] = {"a", "b", "c", "d"};
static const char *const langs[] = {"en", "es", "fr"};

static void set_worker(int i, int64_t now)
{
    char spec[1024];
    snprintf(spec, sizeof(spec),
             "{\"id\":\"w%d\",\"available\":%s,\"queues\":[\"%s\",\"%s\"],"
             "\"labels\":{\"lang\":\"%s\",\"level\":%u}," STANDARD_VOICE_CHAT "}",
             i, rnd(5) ? "true" : "false", queues[rnd(4)], queues[rnd(4)], langs[rnd(3)], rnd(5));
    WORKER(spec, now);
}

static void new_job(int n, int64_t now)
{
    char spec[1024], sel[256] = "";
    if (rnd(3) == 0)
        snprintf(sel, sizeof(sel),
                 ",\"requestedWorkerSelectors\":[{\"key\":\"lang\",\"operator\":\"equal\","
                 "\"value\":\"%s\"%s}]",
                 langs[rnd(3)], rnd(2) ? ",\"expiresAfterSeconds\":25" : "");
    else if (rnd(4) == 0)
        snprintf(sel, sizeof(sel),
                 ",\"requestedWorkerSelectors\":[{\"key\":\"level\",\"operator\":"
                 "\"greaterThan\",\"value\":%u}]",
                 rnd(4));
    snprintf(spec, sizeof(spec),
             "{\"id\":\"j%d\",\"channelId\":\"%s\",\"queueId\":\"%s\",\"priority\":%u,"
             "\"labels\":{\"lang\":\"%s\"}%s}",
             n, rnd(2) ? "chat" : "voice", queues[rnd(4)], rnd(3), langs[rnd(3)], sel);
    JOB(spec, now);
}

/* Answer one of the latest offers (most are still live). */
static void random_offer_answer(int64_t now)
{
    unsigned skip = rnd(4);
    const struct rec *e = NULL;
    for (unsigned i = H.n; i-- > 0 && !e;)
        if (H.ev[i].type == ROUTER_OFFER_ISSUED && !skip--)
            e = &H.ev[i];
    if (!e)
        return;
    char offer[64], worker[64];
    snprintf(offer, sizeof(offer), "%s", e->offer);
    snprintf(worker, sizeof(worker), "%s", e->worker);
    if (rnd(4))
        router_offer_accept(H.r, offer, worker, now, NULL);
    else
        router_offer_decline(H.r, offer, worker, rnd(2) ? 0 : 30, now);
}

static void random_job_call(int jobs, int64_t now)
{
    char id[32];
    snprintf(id, sizeof(id), "j%u", rnd((unsigned)jobs + 1));
    /* mostly a recently assigned job, so work gets done */
    unsigned skip = rnd(6);
    for (unsigned i = rnd(5) ? H.n : 0; i-- > 0;) {
        if (H.ev[i].type == ROUTER_JOB_ASSIGNED && !skip--) {
            snprintf(id, sizeof(id), "%s", H.ev[i].job);
            break;
        }
    }
    json_t *spec;
    switch (rnd(7)) {
    case 0:
        router_job_complete(H.r, id, now);
        break;
    case 1:
        router_job_close(H.r, id, NULL, rnd(2) ? 0 : now + 5000, now);
        break;
    case 2:
        router_job_unassign(H.r, id, rnd(4) == 0, (int)rnd(3), now);
        break;
    case 3:
        router_job_cancel(H.r, id, "random", now);
        break;
    case 4:
        router_job_resume(H.r, id, now);
        break;
    case 5:
        spec = J(rnd(2) ? "{\"queueId\":\"c\",\"priority\":4}"
                        : "{\"workerSelectors\":[{\"key\":\"level\",\"operator\":"
                          "\"lessThan\",\"value\":3}]}");
        router_job_reclassify(H.r, id, spec, now, NULL);
        json_decref(spec);
        break;
    default:
        router_job_close(H.r, id, NULL, 0, now);
        break;
    }
}

static void run(uint64_t start)
{
    seed = start;
    h_new();
    configure();
    int64_t now = 1000;
    for (int i = 0; i < 8; i++)
        set_worker(i, now);
    int jobs = 0;
    char why[256] = "";
    for (int step = 0; step < 20000; step++) {
        now += rnd(3) ? rnd(700) : 0;
        if (H.n > MAX_EVENTS - 64)
            h_clear_events();
        switch (rnd(10)) {
        case 0:
            new_job(jobs++, now);
            break;
        case 1:
            if (rnd(2))
                new_job(jobs++, now);
            break;
        case 2:
        case 3:
        case 4:
            random_offer_answer(now);
            break;
        case 5:
        case 6:
            random_job_call(jobs, now);
            break;
        case 7: {
            char w[16];
            snprintf(w, sizeof(w), "w%u", rnd(8));
            router_worker_set_availability(H.r, w, rnd(3) != 0, "random", now);
            break;
        }
        case 8:
            if (rnd(10) == 0)
                set_worker((int)rnd(8), now);
            break;
        default:
            router_advance(H.r, now);
            break;
        }
        unsigned bad = router_audit(H.r, why, sizeof(why));
        if (bad)
            fprintf(stderr, "step %d: %u broken: %s\n", step, bad, why);
        assert_int_equal(bad, 0);
    }
    h_free();
}

static void random_operations_keep_the_router_sound(void **state)
{
    (void)state;
    const uint64_t seeds[] = {0x1234567, 42, 0xdeadbeef, 7, 99991};
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
        run(seeds[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_operations_keep_the_router_sound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
