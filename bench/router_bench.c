/*
 * router_bench.c - the job router engine in process, under the load of
 * issue 3: 1,000 workers (random labels over 20 keys, voice + chat,
 * serving 3 of 20 queues each), 10,000 queued jobs over the 20 queues
 * with random selectors that usually match, then a run of random
 * arrivals, accepts, completions + closes and availability changes.
 *
 * What is counted. A trigger is a call that can make a match possible:
 * a job arriving (router_job_create), a worker freed by a close
 * (router_job_close releasing its capacity) or a worker back from a
 * break (router_worker_set_availability to available). In each, the
 * engine decides which worker gets the job's offer, which job(s) the
 * freed worker is offered, or that none can be made now. One trigger is
 * one decision, whether it ended in an offer (occasionally more than one
 * when a freed worker has room for several chats) or in none.
 * Accepts, completes, deletes and going on a break are not triggers:
 * they are timed and shown, but neither counted nor in the time below.
 *
 * The headline "decisions/s" is decisions divided by the time spent in
 * the triggering calls (clock_gettime around each: the whole call,
 * parsing a new job's spec, events to the handler and bookkeeping
 * included, not only the search); the median of ROUNDS rounds (this
 * machine is shared: single rounds vary by a fifth, or by half when
 * other work runs). Each round also
 * shows offers issued per second of that same time (the figure this
 * line printed before decisions were defined as above; it leaves out
 * the triggers that end in no offer) and offers per second of all
 * engine time. The p50/p99 "trigger-to-offer" times are those of the
 * triggering calls that issued an offer. The times are wall-clock: a call
 * during which another process had the CPU counts that time too, so each
 * round also says for how much of it the benchmark was on a CPU.
 *
 * Options (environment): OPS (per round, default 300000), ROUNDS (5), SEED.
 */
#include "router/router.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { WORKERS = 1000, QUEUES = 20, KEYS = 20, QUEUED = 10000, PENDING_MAX = 1 << 16 };
/* offers are answered at once, so a ring of recent offer numbers is enough */
#define OFFER_RING (1u << 16)

struct pending {
    char offer[32], worker[16];
};

static struct {
    struct pending pending[PENDING_MAX];
    unsigned head, tail;
    unsigned long offers;
} B;

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned pick(unsigned n)
{
    return (unsigned)(next_rand() % n);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* CPU time of the process: against the wall time of a round, how much of
 * it the benchmark actually ran (the machine is shared; the time of a
 * call it was descheduled in counts in full). */
static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The handler runs inside the timed calls, so it copies without printf. */
static void copy_id(char *dst, const char *src, size_t size)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void on_event(const struct router_event *ev, void *arg)
{
    (void)arg;
    if (ev->type != ROUTER_OFFER_ISSUED)
        return;
    B.offers++;
    struct pending *p = &B.pending[B.tail++ % PENDING_MAX];
    copy_id(p->offer, ev->offer_id, sizeof(p->offer));
    copy_id(p->worker, ev->worker_id, sizeof(p->worker));
}

static void must(int err, const char *what, const char *why)
{
    if (err) {
        fprintf(stderr, "router-bench: %s: %s (%s)\n", what, strerror(err), why ? why : "");
        exit(1);
    }
}

static void configure(struct router *r)
{
    const char *why = NULL;
    json_t *dp = json_pack("{s:s, s:i, s:{s:s}}", "id", "dp", "offerExpiresAfterSeconds", 30,
                           "mode", "kind", "longest-idle");
    must(router_distribution_policy_set(r, dp, 0, &why), "policy", why);
    json_decref(dp);
    for (int q = 0; q < QUEUES; q++) {
        char id[16];
        snprintf(id, sizeof(id), "q%d", q);
        json_t *spec = json_pack("{s:s, s:s}", "id", id, "distributionPolicyId", "dp");
        must(router_queue_set(r, spec, 0, &why), "queue", why);
        json_decref(spec);
    }
}

/* Even keys hold one of 5 strings, odd keys a number 0..9. */
static json_t *random_labels(void)
{
    json_t *labels = json_object();
    for (int k = 0; k < KEYS; k++) {
        char key[8], val[8];
        snprintf(key, sizeof(key), "k%d", k);
        if (k % 2 == 0) {
            snprintf(val, sizeof(val), "v%u", pick(5));
            json_object_set_new(labels, key, json_string(val));
        } else {
            json_object_set_new(labels, key, json_integer(pick(10)));
        }
    }
    return labels;
}

static void add_workers(struct router *r)
{
    const char *why = NULL;
    for (int w = 0; w < WORKERS; w++) {
        char id[16];
        snprintf(id, sizeof(id), "w%d", w);
        json_t *queues = json_array();
        unsigned a = pick(QUEUES), b = (a + 1 + pick(QUEUES - 1)) % QUEUES, c;
        do
            c = pick(QUEUES);
        while (c == a || c == b);
        unsigned qs[3] = {a, b, c};
        for (int i = 0; i < 3; i++) {
            char q[16];
            snprintf(q, sizeof(q), "q%u", qs[i]);
            json_array_append_new(queues, json_string(q));
        }
        json_t *spec = json_pack("{s:s, s:b, s:i, s:[{s:s,s:i,s:i},{s:s,s:i,s:i}], s:o, s:o}", "id",
                                 id, "available", 1, "capacity", 100, "channels", "channelId",
                                 "voice", "capacityCostPerJob", 100, "maxNumberOfJobs", 1,
                                 "channelId", "chat", "capacityCostPerJob", 30, "maxNumberOfJobs",
                                 3, "labels", random_labels(), "queues", queues);
        must(router_worker_set(r, spec, 0, &why), "worker", why);
        json_decref(spec);
    }
}

/* Most jobs ask for something 80-100% of workers have. */
static json_t *random_selectors(void)
{
    json_t *sels = json_array();
    unsigned n = pick(3);
    for (unsigned i = 0; i < n; i++) {
        char key[8], val[8];
        unsigned k = pick(KEYS);
        snprintf(key, sizeof(key), "k%u", k);
        if (k % 2 == 0) {
            snprintf(val, sizeof(val), "v%u", pick(5));
            json_array_append_new(
                sels, json_pack("{s:s,s:s,s:s}", "key", key, "operator", "notEqual", "value", val));
        } else {
            json_array_append_new(sels, json_pack("{s:s,s:s,s:i}", "key", key, "operator",
                                                  "greaterThanEqual", "value", pick(3)));
        }
    }
    return sels;
}

static unsigned long job_seq;

static json_t *random_job(char *id, size_t size)
{
    snprintf(id, size, "job-%lu", ++job_seq);
    char q[16];
    snprintf(q, sizeof(q), "q%u", pick(QUEUES));
    return json_pack("{s:s, s:s, s:s, s:i, s:{s:s,s:i}, s:o}", "id", id, "channelId",
                     pick(10) < 6 ? "chat" : "voice", "queueId", q, "priority", 1 + pick(3),
                     "labels", "k0", pick(2) ? "v1" : "v2", "k1", pick(10),
                     "requestedWorkerSelectors", random_selectors());
}

/* Assigned jobs, to complete and close at random. */
static struct {
    char (*ids)[24];
    unsigned n, cap;
} A;

static void assigned_add(const char *job)
{
    if (A.n == A.cap) {
        A.cap = A.cap ? A.cap * 2 : 4096;
        A.ids = realloc(A.ids, A.cap * sizeof(*A.ids));
        if (!A.ids)
            exit(1);
    }
    snprintf(A.ids[A.n++], sizeof(A.ids[0]), "%s", job);
}

enum call { C_CREATE, C_ACCEPT, C_COMPLETE, C_CLOSE, C_DELETE, C_BREAK, C_BACK, C_COUNT };
static const char *const call_names[] = {"create", "accept", "complete", "close",
                                         "delete", "break",  "back"};
/* the triggering calls: each is one decision */
static const bool is_trigger[C_COUNT] = {[C_CREATE] = true, [C_CLOSE] = true, [C_BACK] = true};

struct timing {
    double engine_ns, trigger_ns;
    unsigned long decisions;      /* triggering calls */
    unsigned long trigger_offers; /* offers they issued */
    double call_ns[C_COUNT];
    unsigned long calls[C_COUNT];
    double *lat;
    size_t nlat, cap;
    double *klat[C_COUNT];
    size_t nk[C_COUNT];
    bool measure;
};

static struct timing T;

static void note_latency(enum call kind, double ns)
{
    if (!T.measure)
        return;
    if (!T.klat[kind])
        T.klat[kind] = calloc(1 << 21, sizeof(double));
    if (T.nk[kind] < 1 << 21)
        T.klat[kind][T.nk[kind]++] = ns;
    if (T.nlat == T.cap) {
        T.cap = T.cap ? T.cap * 2 : 1 << 16;
        T.lat = realloc(T.lat, T.cap * sizeof(*T.lat));
        if (!T.lat)
            exit(1);
    }
    T.lat[T.nlat++] = ns;
}

static void charge(enum call kind, double ns)
{
    T.engine_ns += ns;
    if (is_trigger[kind]) {
        T.trigger_ns += ns;
        T.decisions++;
    }
    T.call_ns[kind] += ns;
    T.calls[kind]++;
}

/* The N of "offer-N" (the engine's default ids), by hand: this runs in
 * the event handler, inside the timed calls, where strtoul was a tenth of
 * an offer's cost. */
static unsigned long offer_number(const char *id)
{
    unsigned long n = 0;
    for (const char *p = id + 6; *p >= '0' && *p <= '9'; p++)
        n = n * 10 + (unsigned long)(*p - '0');
    return n;
}

/* Offer number -> job id, filled from the offerIssued events. */
static char (*offer_job)[24];

/* Answer every offer issued so far: accept, and remember the job as
 * assigned. */
static void answer_offers(struct router *r, int64_t now)
{
    while (B.head != B.tail) {
        struct pending *p = &B.pending[B.head++ % PENDING_MAX];
        double t0 = now_ns();
        int err = router_offer_accept(r, p->offer, p->worker, now, NULL);
        charge(C_ACCEPT, now_ns() - t0);
        if (err == 0) {
            unsigned long n = offer_number(p->offer);
            assigned_add(offer_job[n % OFFER_RING]);
        }
    }
}

/* A call that may issue offers: time it; note its latency when it did. */
#define TRIGGER(kind, call)                                                                        \
    do {                                                                                           \
        unsigned long before_ = B.offers;                                                          \
        double t0_ = now_ns();                                                                     \
        call;                                                                                      \
        double dt_ = now_ns() - t0_;                                                               \
        charge(kind, dt_);                                                                         \
        if (is_trigger[kind])                                                                      \
            T.trigger_offers += B.offers - before_;                                                \
        if (B.offers > before_)                                                                    \
            note_latency(kind, dt_);                                                               \
    } while (0)

static void arrival(struct router *r, int64_t now)
{
    char id[24];
    const char *why = NULL;
    json_t *spec = random_job(id, sizeof(id));
    int err = 0;
    TRIGGER(C_CREATE, err = router_job_create(r, spec, now, &why));
    must(err, "job", why);
    json_decref(spec);
}

static void close_one(struct router *r, int64_t now)
{
    if (!A.n)
        return;
    unsigned i = pick(A.n);
    char id[24];
    snprintf(id, sizeof(id), "%s", A.ids[i]);
    memcpy(A.ids[i], A.ids[--A.n], sizeof(A.ids[0]));
    double t0 = now_ns();
    must(router_job_complete(r, id, now), "complete", id);
    charge(C_COMPLETE, now_ns() - t0);
    TRIGGER(C_CLOSE, must(router_job_close(r, id, "done", 0, now), "close", id));
    t0 = now_ns();
    router_job_delete(r, id);
    charge(C_DELETE, now_ns() - t0);
}

/* About 5 % of workers are on a break at any time: one goes on a break,
 * or one comes back when enough are away. */
static void flip_availability(struct router *r, int64_t now, bool *away)
{
    static unsigned naway;
    unsigned w = pick(WORKERS);
    bool back = naway >= WORKERS / 20;
    while (away[w] != back)
        w = pick(WORKERS);
    char id[16];
    snprintf(id, sizeof(id), "w%u", w);
    away[w] = !back;
    naway += back ? -1u : 1u;
    TRIGGER(back ? C_BACK : C_BREAK,
            router_worker_set_availability(r, id, back, back ? NULL : "break", now));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void on_event_with_job(const struct router_event *ev, void *arg)
{
    if (ev->type == ROUTER_OFFER_ISSUED) {
        unsigned long n = offer_number(ev->offer_id);
        copy_id(offer_job[n % OFFER_RING], ev->job_id, 24);
    }
    on_event(ev, arg);
}

/* One measured round of random operations; returns its decisions/s
 * (triggering calls per second of time in them). Not inlined, so that
 * callgrind can collect the rounds alone (--toggle-collect=run_round). */
static __attribute__((noinline)) double run_round(struct router *r, long ops, int64_t *now,
                                                  bool *away, int round)
{
    double trig0 = T.trigger_ns, engine0 = T.engine_ns, wall0 = now_ns(), cpu0 = cpu_ns();
    unsigned long dec0 = T.decisions, toff0 = T.trigger_offers, offers0 = B.offers;
    for (long i = 0; i < ops; i++) {
        *now += 1;
        unsigned dice = pick(100);
        if (dice < 48)
            close_one(r, *now);
        else if (dice < 96)
            arrival(r, *now);
        else
            flip_availability(r, *now, away);
        answer_offers(r, *now);
    }
    double trig_s = (T.trigger_ns - trig0) / 1e9, engine_s = (T.engine_ns - engine0) / 1e9;
    unsigned long decisions = T.decisions - dec0, offers = B.offers - offers0;
    double rate = decisions / trig_s, cpu = (cpu_ns() - cpu0) / (now_ns() - wall0);
    printf("round %d: %ld operations, %lu decisions (%lu with an offer), %.0f decisions/s; "
           "%.0f offers/s of the same time, %.0f offers/s of all engine time; "
           "on a CPU %.0f %% of the round\n",
           round, ops, decisions, T.trigger_offers - toff0, rate,
           (T.trigger_offers - toff0) / trig_s, offers / engine_s, 100 * cpu);
    return rate;
}

static void print_latencies(void)
{
    for (int k = 0; k < C_COUNT; k++) {
        if (!T.nk[k])
            continue;
        qsort(T.klat[k], T.nk[k], sizeof(double), cmp_double);
        printf("  %-12s trigger-to-offer p50 %.1f us, p99 %.1f us (%zu)\n", call_names[k],
               T.klat[k][T.nk[k] / 2] / 1000, T.klat[k][(size_t)(T.nk[k] * 0.99)] / 1000, T.nk[k]);
        free(T.klat[k]);
    }
}

int main(void)
{
    const char *ops_env = getenv("OPS"), *seed = getenv("SEED"), *rounds_env = getenv("ROUNDS");
    long ops = ops_env ? atol(ops_env) : 300000;
    int rounds = rounds_env ? atoi(rounds_env) : 5;
    if (rounds < 1 || rounds > 50)
        rounds = 5;
    if (seed)
        rng = strtoull(seed, NULL, 10) | 1;
    offer_job = calloc(OFFER_RING, sizeof(*offer_job));
    struct router *r;
    struct router_opts opts = {.eventh = on_event_with_job};
    must(router_alloc(&r, &opts), "alloc", NULL);
    configure(r);
    add_workers(r);
    int64_t now = 1000;
    /* Fill: workers take what they can, the rest queues up to 10,000. */
    double fill0 = now_ns();
    unsigned queued = 0;
    while (queued < QUEUED) {
        arrival(r, now);
        answer_offers(r, now);
        if (job_seq % 1000 == 0) {
            json_t *list = router_job_list(r, "queued", NULL, NULL, now);
            queued = (unsigned)json_array_size(list);
            json_decref(list);
        }
    }
    double fill_s = (now_ns() - fill0) / 1e9;
    printf("setup: %d workers, %d queues, %u queued jobs, %zu assigned (%.2f s)\n", WORKERS, QUEUES,
           queued, (size_t)A.n, fill_s);

    bool *away = calloc(WORKERS, sizeof(bool));
    T = (struct timing){.measure = true}; /* the setup's calls are not counted */
    double rates[50];
    unsigned long offers0 = B.offers;
    for (int i = 0; i < rounds; i++)
        rates[i] = run_round(r, ops, &now, away, i + 1);
    unsigned long offers = B.offers - offers0;
    json_t *list = router_job_list(r, "queued", NULL, NULL, now);
    printf("after %d rounds: %zu jobs queued, %zu assigned\n", rounds, json_array_size(list),
           (size_t)A.n);
    json_decref(list);
    for (int k = 0; k < C_COUNT; k++)
        printf("  %-12s %8lu calls, %6.2f us each, %5.1f %% of engine time\n", call_names[k],
               T.calls[k], T.calls[k] ? T.call_ns[k] / T.calls[k] / 1000 : 0,
               100 * T.call_ns[k] / T.engine_ns);
    print_latencies();
    qsort(T.lat, T.nlat, sizeof(*T.lat), cmp_double);
    double p50 = T.nlat ? T.lat[T.nlat / 2] / 1000 : 0;
    double p99 = T.nlat ? T.lat[(size_t)(T.nlat * 0.99)] / 1000 : 0;
    double max = T.nlat ? T.lat[T.nlat - 1] / 1000 : 0;
    printf("trigger-to-offer: %zu samples, p50 %.1f us, p99 %.1f us, max %.1f us\n", T.nlat, p50,
           p99, max);
    printf("all rounds: %lu decisions (create, close, back), %.0f/s of their time; %lu offers, "
           "%.0f/s of the same time, %.0f/s of all engine time\n",
           T.decisions, T.decisions / (T.trigger_ns / 1e9), T.trigger_offers,
           T.trigger_offers / (T.trigger_ns / 1e9), offers / (T.engine_ns / 1e9));
    qsort(rates, (size_t)rounds, sizeof(double), cmp_double);
    printf("router: %.0f decisions/s, p50 %.1f us, p99 %.1f us\n", rates[rounds / 2], p50, p99);
    router_free(r);
    free(away);
    free(offer_job);
    free(A.ids);
    free(T.lat);
    return 0;
}
