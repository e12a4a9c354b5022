/*
 * test_router_harness.h - shared helpers for the router engine's unit
 * tests: a router with a recording event handler, JSON-literal setters
 * that fail the test on error, and lookups into the recorded events.
 *
 * Included by each tests/unit/test_router_*.c after cmocka.h.
 */
#ifndef SB_TEST_ROUTER_HARNESS_H
#define SB_TEST_ROUTER_HARNESS_H

#include "router/router.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVENTS 4096

struct rec {
    enum router_event_type type;
    int64_t time;
    char job[64], worker[64], queue[64], offer[64];
    char *data; /* compact JSON or NULL */
};

struct harness {
    struct router *r;
    struct rec ev[MAX_EVENTS];
    unsigned n;
    double (*random)(void);
    const char *why;
};

static struct harness H;

static __attribute__((unused)) void copy_id(char *dst, const char *src)
{
    snprintf(dst, 64, "%s", src ? src : "");
}

static __attribute__((unused)) void on_event(const struct router_event *ev, void *arg)
{
    struct harness *h = arg;
    if (h->n == MAX_EVENTS)
        return;
    struct rec *e = &h->ev[h->n++];
    e->type = ev->type;
    e->time = ev->time;
    copy_id(e->job, ev->job_id);
    copy_id(e->worker, ev->worker_id);
    copy_id(e->queue, ev->queue_id);
    copy_id(e->offer, ev->offer_id);
    e->data = ev->data ? json_dumps(ev->data, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
}

static __attribute__((unused)) double harness_random(void *arg)
{
    struct harness *h = arg;
    return h->random ? h->random() : 0.5;
}

static __attribute__((unused)) void h_clear_events(void)
{
    for (unsigned i = 0; i < H.n; i++)
        free(H.ev[i].data);
    H.n = 0;
}

static __attribute__((unused)) struct router *h_new(void)
{
    h_clear_events();
    H.random = NULL;
    struct router_opts opts = {.eventh = on_event, .randomh = harness_random, .arg = &H};
    assert_int_equal(router_alloc(&H.r, &opts), 0);
    return H.r;
}

static __attribute__((unused)) void h_free(void)
{
    router_free(H.r);
    H.r = NULL;
    h_clear_events();
}

static __attribute__((unused)) json_t *J(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j) {
        fprintf(stderr, "bad JSON in test: %s: %s\n", err.text, text);
        fail();
    }
    return j;
}

typedef int(setter_fn)(struct router *, const json_t *, int64_t, const char **);

static __attribute__((unused)) int h_try(setter_fn *fn, const char *text, int64_t now)
{
    json_t *j = J(text);
    H.why = NULL;
    int err = fn(H.r, j, now, &H.why);
    json_decref(j);
    return err;
}

static __attribute__((unused)) void h_set(setter_fn *fn, const char *text, int64_t now)
{
    int err = h_try(fn, text, now);
    if (err)
        fprintf(stderr, "set failed (%d): %s\n  %s\n", err, H.why ? H.why : "", text);
    assert_int_equal(err, 0);
}

#define DP(text)          h_set(router_distribution_policy_set, text, 0)
#define CP(text)          h_set(router_classification_policy_set, text, 0)
#define EP(text)          h_set(router_exception_policy_set, text, 0)
#define QUEUE(text)       h_set(router_queue_set, text, 0)
#define WORKER(text, now) h_set(router_worker_set, text, now)
#define JOB(text, now)    h_set(router_job_create, text, now)

static __attribute__((unused)) unsigned h_count(enum router_event_type type)
{
    unsigned n = 0;
    for (unsigned i = 0; i < H.n; i++)
        n += H.ev[i].type == type;
    return n;
}

/* The last event of a type for a job (and worker, if given), or NULL. */
static __attribute__((unused)) const struct rec *h_last(enum router_event_type type,
                                                        const char *job, const char *worker)
{
    for (unsigned i = H.n; i-- > 0;) {
        const struct rec *e = &H.ev[i];
        if (e->type == type && (!job || !strcmp(e->job, job)) &&
            (!worker || !strcmp(e->worker, worker)))
            return e;
    }
    return NULL;
}

/* The worker a job's last offer went to ("" if none). */
static __attribute__((unused)) const char *h_offered_to(const char *job)
{
    const struct rec *e = h_last(ROUTER_OFFER_ISSUED, job, NULL);
    return e ? e->worker : "";
}

static __attribute__((unused)) const char *h_offer_id(const char *job, const char *worker)
{
    const struct rec *e = h_last(ROUTER_OFFER_ISSUED, job, worker);
    return e ? e->offer : "";
}

/* Accept the last offer of job to worker. */
static __attribute__((unused)) void h_accept(const char *job, const char *worker, int64_t now)
{
    char id[64];
    copy_id(id, h_offer_id(job, worker));
    assert_true(id[0]);
    assert_int_equal(router_offer_accept(H.r, id, worker, now, NULL), 0);
}

static __attribute__((unused)) const char *h_state(const char *job)
{
    static char state[64];
    json_t *j = router_job_get(H.r, job, 0);
    assert_non_null(j);
    copy_id(state, json_string_value(json_object_get(j, "state")));
    json_decref(j);
    return state;
}

/* Event types since index `from`, as "jobQueued offerIssued ...". */
static __attribute__((unused)) const char *h_sequence(unsigned from)
{
    static char buf[4096];
    buf[0] = 0;
    for (unsigned i = from; i < H.n; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? " " : "",
                 router_event_name(H.ev[i].type));
    }
    return buf;
}

#define STANDARD_VOICE_CHAT                                                                        \
    "\"capacity\":100,\"channels\":[{\"channelId\":\"voice\",\"capacityCostPerJob\":100,"          \
    "\"maxNumberOfJobs\":1},{\"channelId\":\"chat\",\"capacityCostPerJob\":30,"                    \
    "\"maxNumberOfJobs\":3}]"

#endif
