/*
 * router.c - the router object: allocation, the id maps, event emission,
 * ids, randomness, listing, and the time driver (router_advance) that
 * dispatches due deadlines to the files that own them.
 */
#include "router/router_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const event_names[] = {
    [ROUTER_JOB_RECEIVED] = "jobReceived",
    [ROUTER_JOB_CLASSIFIED] = "jobClassified",
    [ROUTER_JOB_CLASSIFICATION_FAILED] = "jobClassificationFailed",
    [ROUTER_JOB_QUEUED] = "jobQueued",
    [ROUTER_JOB_WAITING_FOR_ACTIVATION] = "jobWaitingForActivation",
    [ROUTER_OFFER_ISSUED] = "offerIssued",
    [ROUTER_OFFER_ACCEPTED] = "offerAccepted",
    [ROUTER_OFFER_DECLINED] = "offerDeclined",
    [ROUTER_OFFER_EXPIRED] = "offerExpired",
    [ROUTER_OFFER_REVOKED] = "offerRevoked",
    [ROUTER_JOB_ASSIGNED] = "jobAssigned",
    [ROUTER_JOB_UNASSIGNED] = "jobUnassigned",
    [ROUTER_JOB_COMPLETED] = "jobCompleted",
    [ROUTER_JOB_CLOSED] = "jobClosed",
    [ROUTER_JOB_CANCELLED] = "jobCancelled",
    [ROUTER_JOB_EXCEPTION_TRIGGERED] = "jobExceptionTriggered",
    [ROUTER_WORKER_REGISTERED] = "workerRegistered",
    [ROUTER_WORKER_DEREGISTERED] = "workerDeregistered",
    [ROUTER_WORKER_UPDATED] = "workerUpdated",
};

const char *router_event_name(enum router_event_type type)
{
    if ((unsigned)type >= sizeof(event_names) / sizeof(event_names[0]))
        return "unknown";
    return event_names[type];
}

/* malloc and zeroing rather than calloc: glibc's calloc skips the
 * per-thread cache malloc serves small blocks from (a job, an offer) and
 * cost ten times as much. explicit_bzero, because the compiler turns
 * malloc + memset back into calloc. */
void *xcalloc(size_t n, size_t size)
{
    if (!n)
        n = 1;
    if (size && n > SIZE_MAX / size)
        abort();
    void *p = malloc(n * size);
    if (!p)
        abort(); /* the engine has no partial-failure paths for tiny allocations */
    explicit_bzero(p, n * size);
    return p;
}

void *pool_get(struct pool *p, size_t size)
{
    void *obj = p->free;
    if (!obj)
        return xcalloc(1, size);
    memcpy(&p->free, obj, sizeof(p->free));
    memset(obj, 0, size);
    return obj;
}

void pool_put(struct pool *p, void *obj)
{
    memcpy(obj, &p->free, sizeof(p->free));
    p->free = obj;
}

static void pool_drain(struct pool *p)
{
    while (p->free) {
        void *obj = p->free;
        memcpy(&p->free, obj, sizeof(p->free));
        free(obj);
    }
}

char *xstrdup(const char *s)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

int64_t seconds_to_ms(double s)
{
    return (int64_t)llround(s * 1000.0);
}

int bad(struct router *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof(r->why), fmt, ap);
    va_end(ap);
    return EINVAL;
}

void emit(struct router *r, enum router_event_type type, const struct job *j, const char *worker_id,
          const char *queue_id, const char *offer_id, json_t *data)
{
    if (!queue_id && j && j->queue)
        queue_id = j->queue->id;
    if (r->opts.eventh) {
        struct router_event ev = {
            .type = type,
            .time = r->now,
            .job_id = j ? j->id : NULL,
            .worker_id = worker_id,
            .queue_id = queue_id,
            .offer_id = offer_id,
            .data = data,
        };
        r->opts.eventh(&ev, r->opts.arg);
    }
    json_decref(data);
}

void make_id(struct router *r, char *out, size_t size, const char *prefix, uint64_t *counter)
{
    if (r->opts.idh) {
        r->opts.idh(out, size, prefix, r->opts.arg);
        return;
    }
    /* "prefix-N" without printf (ids are made on every offer): the
     * digits two at a time from the end of a buffer, then one copy. */
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233"
        "34353637383940414243444546474849505152535455565758596061626364656667"
        "6869707172737475767778798081828384858687888990919293949596979899";
    char buf[48], *p = buf + sizeof(buf);
    uint64_t v = ++*counter;
    while (v >= 100) {
        p -= 2;
        memcpy(p, &pairs[(v % 100) * 2], 2);
        v /= 100;
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, &pairs[v * 2], 2);
    } else {
        *--p = (char)('0' + v);
    }
    *--p = '-';
    size_t len = strlen(prefix), n = (size_t)(buf + sizeof(buf) - p);
    if (len > (size_t)(p - buf) || len + n + 1 > size) {
        snprintf(out, size, "%s-%llu", prefix, (unsigned long long)*counter);
        return;
    }
    p -= len;
    memcpy(p, prefix, len);
    memcpy(out, p, len + n);
    out[len + n] = 0;
}

/* Event data objects are reused from one event to the next (building
 * fresh JSON for every event was the largest cost of a decision). A
 * handler that keeps a reference is noticed by the reference count, and
 * the object is then left to it and a new one made. Handlers get the data
 * const, so between events only these functions change the object, and
 * the members remembered in the slot stay its members. */
json_t *evdata(struct router *r, enum ev_slot slot)
{
    struct evslot *e = &r->evd[slot];
    if (e->o && e->o->refcount != 1) {
        json_decref(e->o);
        e->o = NULL;
    }
    if (!e->o) {
        memset(e, 0, sizeof(*e));
        e->o = json_object();
    }
    return json_incref(e->o);
}

/* After a member was added or removed: iterators are only promised while
 * the object's keys stay as they are, so look every remembered one up
 * again (rare: a member comes or goes, e.g. a reason). */
static void evslot_rescan(struct evslot *e)
{
    for (unsigned i = 0; i < EVD_FIELDS && e->f[i].key; i++) {
        e->f[i].iter = json_object_iter_at(e->o, e->f[i].key);
        e->f[i].v = e->f[i].iter ? json_object_iter_value(e->f[i].iter) : NULL;
    }
}

/* The remembered member for key (its value NULL when the object has
 * none); NULL when the slot remembers EVD_FIELDS others. Keys are
 * compared by address first, and by text so that the same key from two
 * literals is one member. */
static unsigned evfield(struct evslot *e, const char *key)
{
    unsigned i;
    for (i = 0; i < EVD_FIELDS && e->f[i].key; i++)
        if (e->f[i].key == key)
            return i;
    for (i = 0; i < EVD_FIELDS && e->f[i].key; i++)
        if (!strcmp(e->f[i].key, key))
            return i;
    if (i < EVD_FIELDS) {
        e->f[i].key = key;
        e->f[i].iter = json_object_iter_at(e->o, key);
        e->f[i].v = e->f[i].iter ? json_object_iter_value(e->f[i].iter) : NULL;
    }
    return i;
}

/* The member's current value, or NULL. */
static json_t *evfield_value(struct evslot *e, unsigned i, const char *key)
{
    return i < EVD_FIELDS ? e->f[i].v : json_object_get(e->o, key);
}

void evdata_set(struct router *r, enum ev_slot slot, const char *key, json_t *v)
{
    struct evslot *e = &r->evd[slot];
    unsigned i = evfield(e, key);
    if (i < EVD_FIELDS && e->f[i].iter) { /* replaced in place: the keys stay */
        json_object_iter_set_new(e->o, e->f[i].iter, v);
        e->f[i].v = v;
        return;
    }
    json_object_set_new(e->o, key, v);
    evslot_rescan(e);
}

void evdata_int(struct router *r, enum ev_slot slot, const char *key, json_int_t v)
{
    struct evslot *e = &r->evd[slot];
    json_t *old = evfield_value(e, evfield(e, key), key);
    if (old && json_is_integer(old) && old->refcount == 1)
        json_integer_set(old, v);
    else
        evdata_set(r, slot, key, json_integer(v));
}

void evdata_str(struct router *r, enum ev_slot slot, const char *key, const char *s)
{
    struct evslot *e = &r->evd[slot];
    json_t *old = evfield_value(e, evfield(e, key), key);
    if (!s) {
        if (old) {
            json_object_del(e->o, key);
            evslot_rescan(e);
        }
        return;
    }
    if (old && json_is_string(old) && !strcmp(json_string_value(old), s))
        return;
    evdata_set(r, slot, key, json_string(s));
}

void evdata_sym(struct router *r, enum ev_slot slot, const char *key, uint32_t sym)
{
    struct evslot *e = &r->evd[slot];
    json_t *v = sym_json(r, sym);
    if (evfield_value(e, evfield(e, key), key) != v)
        evdata_set(r, slot, key, json_incref(v));
}

static uint64_t xorshift(struct router *r)
{
    uint64_t x = r->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

uint32_t router_rand32(struct router *r)
{
    return (uint32_t)(xorshift(r) >> 32);
}

double router_random(struct router *r)
{
    if (r->opts.randomh)
        return r->opts.randomh(r->opts.arg);
    return (double)(xorshift(r) >> 11) / 9007199254740992.0;
}

int router_alloc(struct router **rp, const struct router_opts *opts)
{
    struct router *r = calloc(1, sizeof(*r));
    if (!r)
        return ENOMEM;
    if (opts)
        r->opts = *opts;
    r->rng = 0x9E3779B97F4A7C15ULL;
    r->rematch_at = INT64_MAX;
    int err = rmap_alloc(&r->jobs, 1024);
    err = err ? err : rmap_alloc(&r->workers, 256);
    err = err ? err : rmap_alloc(&r->queues, 64);
    err = err ? err : rmap_alloc(&r->dps, 16);
    err = err ? err : rmap_alloc(&r->cps, 16);
    err = err ? err : rmap_alloc(&r->eps, 16);
    err = err ? err : rmap_alloc(&r->offers, 1024);
    err = err ? err : rmap_alloc(&r->scorings, 16);
    err = err ? err : symtab_init(&r->syms);
    if (err) {
        router_free(r);
        return err;
    }
    *rp = r;
    return 0;
}

/* Values of a map, for freeing (the map cannot be walked while changed). */
static void **map_values(struct rmap *m, size_t *n)
{
    *n = rmap_count(m);
    void **v = xcalloc(*n, sizeof(*v));
    size_t pos = 0, i = 0;
    void *val;
    while (rmap_next(m, &pos, NULL, &val))
        v[i++] = val;
    return v;
}

static void free_policies(struct router *r)
{
    size_t n;
    void **v = map_values(r->dps, &n);
    for (size_t i = 0; i < n; i++)
        dpolicy_free(v[i]);
    free(v);
    v = map_values(r->cps, &n);
    for (size_t i = 0; i < n; i++)
        cpolicy_free(v[i]);
    free(v);
    v = map_values(r->eps, &n);
    for (size_t i = 0; i < n; i++)
        epolicy_free(v[i]);
    free(v);
}

void router_free(struct router *r)
{
    if (!r)
        return;
    while (r->first)
        job_free(r, r->first);
    size_t n;
    void **v;
    if (r->workers) {
        v = map_values(r->workers, &n);
        for (size_t i = 0; i < n; i++)
            worker_free(r, v[i]);
        free(v);
    }
    if (r->queues) {
        v = map_values(r->queues, &n);
        for (size_t i = 0; i < n; i++)
            queue_free(r, v[i]);
        free(v);
    }
    if (r->dps && r->cps && r->eps)
        free_policies(r);
    rmap_free(r->jobs);
    rmap_free(r->workers);
    rmap_free(r->queues);
    rmap_free(r->dps);
    rmap_free(r->cps);
    rmap_free(r->eps);
    rmap_free(r->offers);
    rmap_free(r->scorings);
    symtab_free(&r->syms);
    for (int i = 0; i < EVD_COUNT; i++)
        json_decref(r->evd[i].o);
    dl_heap_free(&r->heap);
    pool_drain(&r->offer_pool);
    pool_drain(&r->asg_pool);
    free(r->cands);
    free(r);
}

static void dispatch(struct router *r, struct deadline *d)
{
    switch ((enum dl_kind)d->kind) {
    case DL_OFFER_EXPIRY:
        offer_expire(r, container_of(d, struct offer, dl));
        break;
    case DL_JOB_SELECTOR:
        job_selectors_due(r, container_of(d, struct job, dl_sel));
        break;
    case DL_JOB_WAIT:
        exception_wait_due(r, container_of(d, struct job, dl_wait));
        break;
    case DL_JOB_ACTIVATE:
        job_activate(r, container_of(d, struct job, dl_act));
        break;
    case DL_CLOSE:
        job_close_due(r, container_of(d, struct assignment, dl));
        break;
    case DL_DECLINE_RETRY:
        decline_due(r, container_of(d, struct decline, dl));
        break;
    case DL_SCORE_TIMEOUT:
        scoring_timeout(r, container_of(d, struct scoring, dl));
        break;
    }
}

void router_advance(struct router *r, int64_t now)
{
    r->now = now;
    for (;;) {
        struct deadline *d = dl_peek(r);
        if (d && d->at <= now) {
            dl_clear(r, d);
            dispatch(r, d);
            continue;
        }
        if (r->rematch_at <= now) {
            r->rematch_at = INT64_MAX;
            match_all(r);
            continue;
        }
        break;
    }
}

void router_sync(struct router *r, int64_t now)
{
    router_advance(r, now);
}

int64_t router_next_deadline(const struct router *r)
{
    const struct deadline *d = dl_peek(r);
    int64_t t = d ? d->at : INT64_MAX;
    return r->rematch_at < t ? r->rematch_at : t;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *router_list(struct router *r, const char *kind)
{
    struct rmap *m = NULL;
    if (!kind)
        return json_array();
    if (!strcmp(kind, "distributionPolicies"))
        m = r->dps;
    else if (!strcmp(kind, "classificationPolicies"))
        m = r->cps;
    else if (!strcmp(kind, "exceptionPolicies"))
        m = r->eps;
    else if (!strcmp(kind, "queues"))
        m = r->queues;
    else if (!strcmp(kind, "workers"))
        m = r->workers;
    else if (!strcmp(kind, "jobs"))
        m = r->jobs;
    json_t *out = json_array();
    if (!m)
        return out;
    size_t n = rmap_count(m), pos = 0, i = 0;
    const char **keys = xcalloc(n, sizeof(*keys));
    const char *key;
    while (rmap_next(m, &pos, &key, NULL))
        keys[i++] = key;
    qsort(keys, n, sizeof(*keys), cmp_str);
    for (i = 0; i < n; i++)
        json_array_append_new(out, json_string(keys[i]));
    free(keys);
    return out;
}
