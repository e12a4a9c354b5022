/*
 * worker.c - workers: registration and replacement, availability,
 * capacity per channel, membership in the queues they serve, and the
 * worker view.
 *
 * Capacity: a job of a channel fits when the worker has that channel, has
 * fewer than its maxNumberOfJobs there (offers count), and its total
 * capacity minus what its assignments and live offers cost covers the
 * channel's cost. A worker is "open" while it is available and some
 * channel fits; only open workers sit in their queues' candidate sets, so
 * a new job looks at the few workers that could take work, not at all.
 */
#include "router/router_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct worker *worker_find(struct router *r, const char *id)
{
    return id ? rmap_get(r->workers, id) : NULL;
}

/* Keep the worker in the candidate sets of its queues, per channel it
 * has room for and overall. */
static void update_open(struct worker *w)
{
    bool open = false;
    for (unsigned i = 0; i < w->nchans; i++) {
        const struct wchan *c = &w->chans[i];
        bool fits = w->available && c->jobs < c->max && w->capacity - w->used >= c->cost;
        open = open || fits;
        if (fits == (bool)(w->chan_open >> i & 1))
            continue;
        w->chan_open ^= 1u << i;
        for (unsigned k = 0; k < w->nslots; k++) {
            struct chanset *cs = &w->slots[k].q->csets[w->slots[k].csi[i]];
            if (fits)
                chanset_add(cs, &w->slots[k], i);
            else
                chanset_remove(cs, &w->slots[k], i);
        }
    }
    if (open == w->open)
        return;
    w->open = open;
    for (unsigned i = 0; i < w->nslots; i++) {
        if (open)
            queue_open_add(&w->slots[i]);
        else
            queue_open_remove(&w->slots[i]);
    }
}

void worker_charge(struct router *r, struct worker *w, uint32_t chan, int cost)
{
    (void)r;
    struct wchan *c = worker_chan(w, chan);
    w->used += cost;
    if (c)
        c->jobs++;
    update_open(w);
}

void worker_release(struct router *r, struct worker *w, uint32_t chan, int cost)
{
    (void)r;
    struct wchan *c = worker_chan(w, chan);
    w->used -= cost;
    if (c && c->jobs > 0)
        c->jobs--;
    update_open(w);
}

static void drop_slots(struct worker *w)
{
    for (unsigned i = 0; i < w->nslots; i++) {
        queue_open_remove(&w->slots[i]);
        for (unsigned c = 0; c < w->nchans; c++)
            if (w->chan_open >> c & 1)
                chanset_remove(&w->slots[i].q->csets[w->slots[i].csi[c]], &w->slots[i], c);
        w->slots[i].q->nworkers--;
    }
    w->chan_open = 0;
    free(w->slots);
    w->slots = NULL;
    w->nslots = 0;
    w->open = false;
}

void worker_free(struct router *r, struct worker *w)
{
    (void)r;
    if (!w)
        return;
    drop_slots(w);
    labels_free(&w->labels);
    free(w->kv);
    json_decref(w->spec);
    free(w->reason);
    free(w->id);
    free(w);
}

/* What a spec sets, parsed before anything changes. */
struct wspec {
    int capacity;
    struct wchan *chans;
    unsigned nchans;
    struct labels labels;
    struct queue **queues;
    unsigned nqueues;
    bool available;
    const char *reason;
};

static void wspec_free(struct wspec *s)
{
    free(s->chans);
    labels_free(&s->labels);
    free(s->queues);
}

static int int_field(struct router *r, const json_t *o, const char *name, int dflt, int *out,
                     const char *ctx)
{
    const json_t *v = json_object_get(o, name);
    if (!v || json_is_null(v)) {
        *out = dflt;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) > 1000000000)
        return bad(r, "%s: %s must be an integer", ctx, name);
    if (json_integer_value(v) < 0)
        return bad(r, "%s: %s must not be negative", ctx, name);
    *out = (int)json_integer_value(v);
    return 0;
}

static int parse_channel(struct router *r, struct wspec *s, const json_t *c, unsigned i,
                         const char *ctx)
{
    const char *id = json_string_value(json_object_get(c, "channelId"));
    if (!json_is_object(c) || !id || !*id)
        return bad(r, "%s: channels[%u] needs a \"channelId\"", ctx, i);
    struct wchan *ch = &s->chans[s->nchans];
    ch->chan = sym_intern(r, id);
    for (unsigned k = 0; k < s->nchans; k++)
        if (s->chans[k].chan == ch->chan)
            return bad(r, "%s: channel '%s' is listed twice", ctx, id);
    char c2[200];
    snprintf(c2, sizeof(c2), "%.120s: channel '%.40s'", ctx, id);
    int err = int_field(r, c, "capacityCostPerJob", 0, &ch->cost, c2);
    if (err)
        return err;
    int dflt = ch->cost > 0 ? s->capacity / ch->cost : 1;
    err = int_field(r, c, "maxNumberOfJobs", dflt, &ch->max, c2);
    if (err)
        return err;
    ch->jobs = 0;
    s->nchans++;
    return 0;
}

static int parse_queues(struct router *r, struct wspec *s, const json_t *qs, const char *ctx)
{
    if (qs && !json_is_null(qs) && !json_is_array(qs))
        return bad(r, "%s: queues must be an array of queue ids", ctx);
    s->queues = xcalloc(json_array_size(qs), sizeof(*s->queues));
    size_t i;
    json_t *v;
    json_array_foreach(qs, i, v)
    {
        struct queue *q = queue_find(r, json_string_value(v));
        if (!q)
            return bad(r, "%s: unknown queue '%s'", ctx,
                       json_string_value(v) ? json_string_value(v) : "(not a string)");
        bool dup = false;
        for (unsigned k = 0; k < s->nqueues; k++)
            dup = dup || s->queues[k] == q;
        if (!dup)
            s->queues[s->nqueues++] = q;
    }
    return 0;
}

static int wspec_parse(struct router *r, const json_t *spec, struct wspec *s, const char *ctx)
{
    memset(s, 0, sizeof(*s));
    int err = int_field(r, spec, "capacity", 100, &s->capacity, ctx);
    if (err)
        return err;
    const json_t *chans = json_object_get(spec, "channels");
    if (chans && !json_is_null(chans) && !json_is_array(chans))
        return bad(r, "%s: channels must be an array", ctx);
    if (json_array_size(chans) > MAX_CHANNELS)
        return bad(r, "%s: at most %d channels", ctx, MAX_CHANNELS);
    s->chans = xcalloc(json_array_size(chans), sizeof(*s->chans));
    for (size_t i = 0; i < json_array_size(chans); i++)
        if ((err = parse_channel(r, s, json_array_get(chans, i), (unsigned)i, ctx)))
            return err;
    if ((err = labels_parse(r, json_object_get(spec, "labels"), true, &s->labels, ctx)))
        return err;
    const json_t *tags = json_object_get(spec, "tags");
    if (tags && !json_is_null(tags) && !json_is_object(tags))
        return bad(r, "%s: tags must be an object", ctx);
    if ((err = parse_queues(r, s, json_object_get(spec, "queues"), ctx)))
        return err;
    s->available = json_is_true(json_object_get(spec, "available"));
    s->reason = json_string_value(json_object_get(spec, "unavailableReason"));
    return 0;
}

/* Jobs held on a channel the new spec drops keep a hidden entry (no room)
 * so their release still balances. */
static void carry_channels(struct worker *w, struct wspec *s)
{
    struct wchan v[2 * MAX_CHANNELS];
    memcpy(v, s->chans, s->nchans * sizeof(*v));
    unsigned n = s->nchans;
    for (unsigned i = 0; i < w->nchans; i++) {
        if (!w->chans[i].jobs || n == 2 * MAX_CHANNELS)
            continue;
        struct wchan *c = NULL;
        for (unsigned k = 0; k < s->nchans && !c; k++)
            if (v[k].chan == w->chans[i].chan)
                c = &v[k];
        if (!c) {
            c = &v[n++];
            *c = w->chans[i];
            c->max = 0;
        } else {
            c->jobs = w->chans[i].jobs;
        }
    }
    memcpy(w->chans, v, n * sizeof(*v));
    w->nchans = n;
}

/* The table by key index that selectors read (selector_matches_at): as
 * long as the highest index among the worker's own keys, so a key
 * indexed later is simply beyond it, i.e. absent. */
static void index_labels(struct router *r, struct worker *w)
{
    uint32_t top = 0;
    free(w->kv);
    w->kv = NULL;
    w->nkv = 0;
    for (unsigned i = 0; i < w->labels.n; i++) {
        uint32_t k = label_key_index(r, w->labels.v[i].key);
        if (k <= KEYS_INDEXED && k > top)
            top = k;
    }
    if (!top)
        return;
    w->kv = xcalloc(top + 1, sizeof(*w->kv));
    w->nkv = top + 1;
    for (unsigned i = 0; i < w->labels.n; i++) {
        uint32_t k = r->syms.kidx[w->labels.v[i].key];
        const struct lval *l = &w->labels.v[i].v;
        if (k <= KEYS_INDEXED)
            w->kv[k] = (struct kval){.type = l->type, .b = l->b, .sym = l->sym, .num = l->num};
    }
}

bool selector_matches_beyond(const struct selector *s, uint32_t k, const struct worker *w)
{
    struct kval v = {0}; /* absent: a key indexed after the worker was set */
    if (k > KEYS_INDEXED) {
        const struct lval *l = labels_find(&w->labels, s->key);
        if (l)
            v = (struct kval){.type = l->type, .b = l->b, .sym = l->sym, .num = l->num};
    }
    return selector_test_kv(s, &v);
}

static void apply_spec(struct router *r, struct worker *w, struct wspec *s)
{
    drop_slots(w);
    w->capacity = s->capacity;
    carry_channels(w, s);
    labels_free(&w->labels);
    w->labels = s->labels;
    s->labels = (struct labels){0};
    index_labels(r, w);
    w->slots = xcalloc(s->nqueues, sizeof(*w->slots));
    for (unsigned i = 0; i < s->nqueues; i++) {
        struct queue *q = s->queues[i];
        w->slots[i] = (struct wslot){.w = w, .q = q, .open_idx = UINT_MAX};
        /* the candidate sets are made now, so that capacity changes find
         * theirs by index (a queue's sets are only ever added to) */
        for (unsigned c = 0; c < w->nchans; c++)
            w->slots[i].csi[c] = (unsigned)(queue_chanset(q, w->chans[c].chan, true) - q->csets);
        q->nworkers++;
    }
    w->nslots = s->nqueues;
    (void)r;
}

static json_t *availability_json(struct router *r, const struct worker *w)
{
    json_t *o = evdata(r, EVD_WORKER);
    evdata_set(r, EVD_WORKER, "available", json_boolean(w->available));
    evdata_str(r, EVD_WORKER, "reason", w->available ? NULL : w->reason);
    return o;
}

/* Set availability without events or matching; true if it changed. */
static bool set_available(struct worker *w, bool available, const char *reason, int64_t now)
{
    bool changed = w->available != available;
    if (available && changed) {
        w->idle_since = now;
        w->expiries = 0;
    }
    w->available = available;
    free(w->reason);
    w->reason = available ? NULL : xstrdup(reason);
    return changed;
}

static void revoke_worker_offers(struct router *r, struct worker *w, const char *reason)
{
    while (w->offers)
        offer_revoke(r, w->offers, reason, true);
}

int router_worker_set(struct router *r, const json_t *spec, int64_t now, const char **why)
{
    router_sync(r, now);
    if (why)
        *why = r->why;
    const char *id = json_string_value(json_object_get(spec, "id"));
    if (!json_is_object(spec) || !id || !*id)
        return bad(r, "worker: an \"id\" is needed");
    char ctx[160];
    snprintf(ctx, sizeof(ctx), "worker '%.100s'", id);
    struct wspec s;
    int err = wspec_parse(r, spec, &s, ctx);
    if (err) {
        wspec_free(&s);
        return err;
    }
    struct worker *w = worker_find(r, id);
    bool created = !w;
    if (created) {
        w = xcalloc(1, sizeof(*w));
        w->id = xstrdup(id);
        w->name = sym_intern(r, id);
        w->idle_since = now;
        rmap_put(r->workers, w->id, w);
    }
    json_decref(w->spec);
    w->spec = json_deep_copy(spec);
    apply_spec(r, w, &s);
    bool changed = set_available(w, s.available, s.reason, now);
    wspec_free(&s);
    update_open(w);
    emit(r, created ? ROUTER_WORKER_REGISTERED : ROUTER_WORKER_UPDATED, NULL, w->id, NULL, NULL,
         availability_json(r, w));
    if (!w->available && changed)
        revoke_worker_offers(r, w, "worker unavailable");
    match_worker(r, w, TR_WORKER_FREED);
    return 0;
}

int worker_make_unavailable(struct router *r, struct worker *w, const char *reason)
{
    if (!set_available(w, false, reason, r->now))
        return EALREADY;
    update_open(w);
    emit(r, ROUTER_WORKER_UPDATED, NULL, w->id, NULL, NULL, availability_json(r, w));
    revoke_worker_offers(r, w, "worker unavailable");
    return 0;
}

int router_worker_set_availability(struct router *r, const char *worker_id, bool available,
                                   const char *reason, int64_t now)
{
    router_sync(r, now);
    struct worker *w = worker_find(r, worker_id);
    if (!w)
        return ENOENT;
    if (!available)
        return worker_make_unavailable(r, w, reason);
    if (!set_available(w, true, NULL, now))
        return EALREADY;
    update_open(w);
    emit(r, ROUTER_WORKER_UPDATED, NULL, w->id, NULL, NULL, availability_json(r, w));
    match_worker(r, w, TR_WORKER_FREED);
    return 0;
}

int router_worker_delete(struct router *r, const char *id, int64_t now, const char **why)
{
    router_sync(r, now);
    if (why)
        *why = r->why;
    struct worker *w = worker_find(r, id);
    if (!w) {
        bad(r, "no worker '%s'", id ? id : "");
        return ENOENT;
    }
    if (w->asgs) {
        bad(r, "worker '%s' holds assignments (e.g. job '%s')", id, w->asgs->job->id);
        return EBUSY;
    }
    set_available(w, false, "deregistered", now);
    update_open(w);
    revoke_worker_offers(r, w, "worker deregistered");
    rmap_del(r->workers, w->id);
    emit(r, ROUTER_WORKER_DEREGISTERED, NULL, w->id, NULL, NULL, NULL);
    worker_free(r, w);
    return 0;
}

static json_t *load_json(const struct router *r, const struct worker *w)
{
    json_t *load = json_object(), *chans = json_object();
    json_object_set_new(load, "capacity", json_integer(w->capacity));
    json_object_set_new(load, "capacityUsed", json_integer(w->used));
    for (unsigned i = 0; i < w->nchans; i++) {
        json_t *c = json_object();
        json_object_set_new(c, "jobs", json_integer(w->chans[i].jobs));
        json_object_set_new(chans, sym_name(r, w->chans[i].chan), c);
    }
    json_object_set_new(load, "channels", chans);
    return load;
}

json_t *router_worker_get(struct router *r, const char *id, int64_t now)
{
    (void)now;
    struct worker *w = worker_find(r, id);
    if (!w)
        return NULL;
    json_t *o = json_deep_copy(w->spec);
    json_object_set_new(o, "available", json_boolean(w->available));
    if (w->available)
        json_object_del(o, "unavailableReason");
    else if (w->reason)
        json_object_set_new(o, "unavailableReason", json_string(w->reason));
    json_object_set_new(o, "state", json_string(w->available ? "active" : "inactive"));
    json_object_set_new(o, "load", load_json(r, w));
    json_object_set_new(o, "idleSince", json_integer(w->idle_since));
    json_t *offers = json_array(), *asgs = json_array();
    for (const struct offer *of = w->offers; of; of = of->w_next) {
        json_t *e = json_object();
        json_object_set_new(e, "offerId", json_string(of->id));
        json_object_set_new(e, "jobId", json_string(of->job->id));
        json_object_set_new(e, "expiresAt", json_integer(of->expires_at));
        json_array_append_new(offers, e);
    }
    for (const struct assignment *a = w->asgs; a; a = a->next) {
        json_t *e = json_object();
        json_object_set_new(e, "assignmentId", json_string(a->id));
        json_object_set_new(e, "jobId", json_string(a->job->id));
        json_object_set_new(e, "assignedAt", json_integer(a->assigned_at));
        if (a->completed_at)
            json_object_set_new(e, "completedAt", json_integer(a->completed_at));
        if (a->close_at)
            json_object_set_new(e, "closeAt", json_integer(a->close_at));
        json_array_append_new(asgs, e);
    }
    json_object_set_new(o, "offers", offers);
    json_object_set_new(o, "assignments", asgs);
    json_object_set_new(o, "consecutiveExpiries", json_integer(w->expiries));
    return o;
}

int router_worker_restore_state(struct router *r, const char *worker_id, int64_t idle_since,
                                unsigned expiries)
{
    struct worker *w = worker_find(r, worker_id);
    if (!w)
        return ENOENT;
    w->idle_since = idle_since;
    w->expiries = expiries;
    return 0;
}
