/*
 * service.c - the router engine inside the server: durability, events and
 * its timer (see service.h).
 */
#include "routing/service.h"
#include "routing/kinds.h"
#include "routing/scoring.h"
#include "auth/users.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/ids.h"
#include "core/libre.h"
#include "core/log.h"
#include "router/router.h"
#include "store/store.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct routing {
    struct app *app;
    struct router *engine;
    struct scorer *scorer; /* the scoring webhook's HTTP side */
    struct tmr tmr;
    bool live;
    bool own_tx;
    unsigned depth;  /* nested routing_begin calls */
    json_t *jobs;    /* ids of jobs touched by the current change */
    json_t *workers; /* ids of workers whose state the engine changed */
    json_t *idle;    /* ids of workers an event named (idle time, expiries) */
    json_t *users;   /* worker id -> user id */
    int event_err;   /* first error while appending events */
    char why[512];   /* the engine's explanation, kept past routing_end */
};

static const char *const kind_keys[ROUTING_KINDS] = {
    "distributionPolicies", "classificationPolicies", "exceptionPolicies", "queues", "workers",
};

const char *routing_kind_key(enum routing_kind kind)
{
    return kind < ROUTING_KINDS ? kind_keys[kind] : "";
}

int64_t routing_now(void)
{
    return clock_now_ms();
}

static struct routing *state(struct app *app)
{
    return app->routing;
}

struct router *routing_engine(struct app *app)
{
    return state(app) ? state(app)->engine : NULL;
}

const char *routing_worker_user(struct app *app, const char *worker_id)
{
    const char *user = json_string_value(json_object_get(state(app)->users, worker_id));
    return user ? user : "";
}

/* ---- engine callbacks ---- */

static void make_id(char *out, size_t size, const char *prefix, void *arg)
{
    (void)arg;
    char id[ID_SIZE];
    id_new(id, prefix);
    snprintf(out, size, "%s", id);
}

static double random_unit(void *arg)
{
    (void)arg;
    return randombytes_uniform(1u << 30) / (double)(1u << 30);
}

static void on_event(const struct router_event *ev, void *arg)
{
    struct routing *rs = arg;
    json_t *data = json_is_object(ev->data) ? json_deep_copy(ev->data) : json_object();
    const char *pairs[][2] = {{"jobId", ev->job_id},
                              {"workerId", ev->worker_id},
                              {"queueId", ev->queue_id},
                              {"offerId", ev->offer_id}};
    for (size_t i = 0; i < 4; i++) {
        if (pairs[i][1])
            json_object_set_new(data, pairs[i][0], json_string(pairs[i][1]));
    }
    if (ev->worker_id) {
        const char *user = routing_worker_user(rs->app, ev->worker_id);
        if (user[0])
            json_object_set_new(data, "workerUserId", json_string(user));
        if (ev->type == ROUTER_WORKER_UPDATED)
            json_object_set_new(rs->workers, ev->worker_id, json_true());
    }
    if (ev->job_id)
        json_object_set_new(rs->jobs, ev->job_id, json_true());
    if (ev->worker_id)
        json_object_set_new(rs->idle, ev->worker_id, json_true());
    int err = events_append(rs->app->events, "router", router_event_name(ev->type),
                            ev->job_id ? ev->job_id : ev->worker_id, NULL, data);
    if (err && !rs->event_err)
        rs->event_err = err;
}

/* A webhook scoring rule wants scores: sent without blocking, answered
 * later in a change of its own. */
static void on_score(const char *request_id, const char *job_id, const json_t *request,
                     const char *url, void *arg)
{
    struct routing *rs = arg;
    (void)job_id;
    scorer_request(rs->scorer, request_id, request, url);
}

/* Managers and admins see the whole router; agents and experts see what
 * concerns their own workers. */
static bool router_event_visible(const struct principal *who, const struct event *e)
{
    if (who->role & (ROLE_ADMIN | ROLE_MANAGER))
        return true;
    const char *user = json_string_value(json_object_get(e->data, "workerUserId"));
    return who->kind == PRINCIPAL_USER && user && strcmp(user, who->id) == 0;
}

/* ---- the store ---- */

static int store_spec(struct app *app, enum routing_kind kind, const char *id, const json_t *spec)
{
    char *text = json_dumps(spec, JSON_COMPACT);
    if (!text)
        return ENOMEM;
    struct store_val v[] = {sv_text(kind_keys[kind]), sv_text(id), sv_text(text),
                            sv_int(clock_now_ms())};
    int err =
        store_exec(app->store,
                   "INSERT INTO router_objects (kind, id, spec, updated_at) VALUES (?, ?, ?, ?)"
                   " ON CONFLICT (kind, id) DO UPDATE SET spec = excluded.spec,"
                   " updated_at = excluded.updated_at",
                   v, 4, NULL);
    free(text);
    return err;
}

json_t *routing_stored_spec(struct app *app, enum routing_kind kind, const char *id)
{
    json_t *row = NULL;
    struct store_val v[] = {sv_text(kind_keys[kind]), sv_text(id)};
    if (store_query_one(app->store, "SELECT spec FROM router_objects WHERE kind = ? AND id = ?", v,
                        2, &row) != 0)
        return NULL;
    json_t *spec = json_loads(json_string_value(json_object_get(row, "spec")), 0, NULL);
    json_decref(row);
    return spec;
}

json_t *routing_stored_job(struct app *app, const char *job_id)
{
    json_t *row = NULL;
    struct store_val v[] = {sv_text(job_id)};
    if (store_query_one(app->store, "SELECT snapshot FROM router_jobs WHERE id = ?", v, 1, &row) !=
        0)
        return NULL;
    json_t *snap = json_loads(json_string_value(json_object_get(row, "snapshot")), 0, NULL);
    json_decref(row);
    return snap;
}

static bool job_finished(const char *state_name)
{
    return state_name &&
           (strcmp(state_name, "closed") == 0 || strcmp(state_name, "cancelled") == 0 ||
            strcmp(state_name, "classificationFailed") == 0);
}

static int store_job(struct routing *rs, const char *job_id, bool *finished)
{
    json_t *snap = router_job_get(rs->engine, job_id, clock_now_ms());
    if (!snap)
        return 0; /* deleted within the change */
    const char *st = json_string_value(json_object_get(snap, "state"));
    *finished = job_finished(st);
    char *text = json_dumps(snap, JSON_COMPACT);
    int64_t now = clock_now_ms();
    struct store_val v[] = {sv_text(job_id),
                            sv_text(st ? st : "unknown"),
                            sv_text(json_string_value(json_object_get(snap, "queueId"))),
                            sv_text(text),
                            sv_int(now),
                            sv_int(now)};
    int err = text
                  ? store_exec(rs->app->store,
                               "INSERT INTO router_jobs (id, state, queue_id, snapshot, created_at,"
                               " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE"
                               " SET state = excluded.state, queue_id = excluded.queue_id,"
                               " snapshot = excluded.snapshot, updated_at = excluded.updated_at",
                               v, 6, NULL)
                  : ENOMEM;
    free(text);
    json_decref(snap);
    return err;
}

json_t *routing_worker_spec_now(struct app *app, const char *worker_id)
{
    struct routing *rs = state(app);
    json_t *spec = routing_stored_spec(app, ROUTING_WORKERS, worker_id);
    json_t *now = router_worker_get(rs->engine, worker_id, clock_now_ms());
    if (spec && now) {
        json_object_set(spec, "available", json_object_get(now, "available"));
        json_t *reason = json_object_get(now, "unavailableReason");
        if (json_is_string(reason))
            json_object_set(spec, "unavailableReason", reason);
        else
            json_object_del(spec, "unavailableReason");
    } else {
        json_decref(spec);
        spec = NULL;
    }
    json_decref(now);
    return spec;
}

/* The engine changed a worker's availability (e.g. missed offers): keep
 * the stored spec in step so a restart keeps it. */
static int store_worker_state(struct routing *rs, const char *worker_id)
{
    json_t *spec = routing_worker_spec_now(rs->app, worker_id);
    int err = spec ? store_spec(rs->app, ROUTING_WORKERS, worker_id, spec) : 0;
    json_decref(spec);
    return err;
}

/* Idle time and consecutive expiries, which the spec does not hold. */
static int store_worker_idle(struct routing *rs, const char *worker_id)
{
    json_t *w = router_worker_get(rs->engine, worker_id, clock_now_ms());
    if (!w)
        return 0; /* deleted in this change */
    struct store_val v[] = {sv_text(worker_id),
                            sv_int(json_integer_value(json_object_get(w, "idleSince"))),
                            sv_int(json_integer_value(json_object_get(w, "consecutiveExpiries"))),
                            sv_int(clock_now_ms())};
    json_decref(w);
    return store_exec(rs->app->store,
                      "INSERT INTO router_worker_state (id, idle_since, expiries, updated_at)"
                      " VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                      " idle_since = excluded.idle_since, expiries = excluded.expiries,"
                      " updated_at = excluded.updated_at",
                      v, 4, NULL);
}

/* ---- changes ---- */

static void rearm(struct routing *rs);

int routing_begin(struct app *app)
{
    struct routing *rs = state(app);
    if (rs->depth++ > 0)
        return 0;
    rs->event_err = 0;
    json_object_clear(rs->jobs);
    json_object_clear(rs->workers);
    json_object_clear(rs->idle);
    int err = store_begin_own(app->store, &rs->own_tx);
    if (err)
        rs->depth = 0;
    return err;
}

static int flush(struct routing *rs, json_t *finished)
{
    int err = rs->event_err;
    const char *id;
    json_t *v;
    json_object_foreach(rs->jobs, id, v)
    {
        bool done = false;
        if (!err)
            err = store_job(rs, id, &done);
        if (done)
            json_array_append_new(finished, json_string(id));
    }
    json_object_foreach(rs->workers, id, v)
    {
        if (!err)
            err = store_worker_state(rs, id);
    }
    json_object_foreach(rs->idle, id, v)
    {
        if (!err)
            err = store_worker_idle(rs, id);
    }
    return err;
}

int routing_end(struct app *app, int err)
{
    struct routing *rs = state(app);
    if (rs->depth == 0 || --rs->depth > 0)
        return err;
    json_t *finished = json_array();
    if (!err)
        err = flush(rs, finished);
    /* A rollback (here or in the caller's transaction) reloads the engine
     * through tx_hook, so it never keeps what the store did not. */
    err = store_end_own(app->store, rs->own_tx, err);
    if (!err) {
        /* Finished jobs live on in the store only. */
        size_t i;
        json_t *id;
        json_array_foreach(finished, i, id) router_job_delete(rs->engine, json_string_value(id));
    }
    json_decref(finished);
    rearm(rs);
    return err;
}

int routing_end_why(struct app *app, int err, const char **why)
{
    struct routing *rs = state(app);
    /* The engine's text lives only until its next call, and ending a
     * change calls it (job snapshots): keep a copy. */
    if (why && *why) {
        snprintf(rs->why, sizeof(rs->why), "%s", *why);
        *why = rs->why;
    }
    return routing_end(app, err);
}

/* Resolve a worker's "user" (a user name) to "userId" for the engine. */
static int engine_spec(struct app *app, enum routing_kind kind, const json_t *spec, json_t **outp,
                       const char **why)
{
    json_t *out = json_deep_copy(spec);
    const char *user = json_string_value(json_object_get(spec, "user"));
    if (kind == ROUTING_WORKERS && user) {
        json_t *cred = NULL;
        if (users_credentials(app, user, &cred) != 0) {
            json_decref(out);
            *why = "user: no user has this name";
            return EINVAL;
        }
        json_object_set(out, "userId", json_object_get(cred, "id"));
        json_object_del(out, "user");
        json_decref(cred);
    }
    if (kind == ROUTING_WORKERS) {
        /* Implicit labels, so that a job can ask for one worker or one
         * person (a transfer to an agent): workerId, and userId if linked. */
        json_t *labels = json_object_get(out, "labels");
        if (!json_is_object(labels)) {
            labels = json_object();
            json_object_set_new(out, "labels", labels);
        }
        json_object_set(labels, "workerId", json_object_get(out, "id"));
        if (json_is_string(json_object_get(out, "userId")))
            json_object_set(labels, "userId", json_object_get(out, "userId"));
    }
    *outp = out;
    return 0;
}

static int engine_set(struct routing *rs, enum routing_kind kind, const json_t *spec,
                      const char **why)
{
    int64_t now = clock_now_ms();
    switch (kind) {
    case ROUTING_DISTRIBUTION_POLICIES:
        return router_distribution_policy_set(rs->engine, spec, now, why);
    case ROUTING_CLASSIFICATION_POLICIES:
        return router_classification_policy_set(rs->engine, spec, now, why);
    case ROUTING_EXCEPTION_POLICIES:
        return router_exception_policy_set(rs->engine, spec, now, why);
    case ROUTING_QUEUES:
        return router_queue_set(rs->engine, spec, now, why);
    case ROUTING_WORKERS:
        return router_worker_set(rs->engine, spec, now, why);
    default:
        return EINVAL;
    }
}

int routing_set(struct app *app, enum routing_kind kind, const json_t *spec, const char **why)
{
    struct routing *rs = state(app);
    json_t *es = NULL;
    int err = engine_spec(app, kind, spec, &es, why);
    if (!err)
        err = engine_set(rs, kind, es, why);
    const char *id = json_string_value(json_object_get(spec, "id"));
    if (!err && kind == ROUTING_WORKERS) {
        json_t *uid = json_object_get(es, "userId");
        if (json_is_string(uid))
            json_object_set(rs->users, id, uid);
        else
            json_object_del(rs->users, id);
    }
    json_decref(es);
    if (!err)
        err = store_spec(app, kind, id, spec);
    return err;
}

int routing_delete(struct app *app, enum routing_kind kind, const char *id, const char **why)
{
    struct routing *rs = state(app);
    int err;
    switch (kind) {
    case ROUTING_DISTRIBUTION_POLICIES:
        err = router_distribution_policy_delete(rs->engine, id, why);
        break;
    case ROUTING_CLASSIFICATION_POLICIES:
        err = router_classification_policy_delete(rs->engine, id, why);
        break;
    case ROUTING_EXCEPTION_POLICIES:
        err = router_exception_policy_delete(rs->engine, id, why);
        break;
    case ROUTING_QUEUES:
        err = router_queue_delete(rs->engine, id, why);
        break;
    case ROUTING_WORKERS:
        err = router_worker_delete(rs->engine, id, clock_now_ms(), why);
        break;
    default:
        return EINVAL;
    }
    if (err)
        return err;
    struct store_val v[] = {sv_text(kind_keys[kind]), sv_text(id)};
    err =
        store_exec(app->store, "DELETE FROM router_objects WHERE kind = ? AND id = ?", v, 2, NULL);
    if (!err && kind == ROUTING_WORKERS)
        err =
            store_exec(app->store, "DELETE FROM router_worker_state WHERE id = ?", &v[1], 1, NULL);
    return err;
}

/* ---- the timer ---- */

static void timer_fired(void *arg)
{
    struct routing *rs = arg;
    if (routing_begin(rs->app) != 0) {
        tmr_start(&rs->tmr, 100, timer_fired, rs); /* store busy: soon again */
        return;
    }
    router_advance(rs->engine, clock_now_ms());
    routing_end(rs->app, 0);
}

static void rearm(struct routing *rs)
{
    if (!rs->live)
        return;
    int64_t next = router_next_deadline(rs->engine);
    if (next == INT64_MAX) {
        tmr_cancel(&rs->tmr);
        return;
    }
    int64_t delay = next - clock_now_ms();
    tmr_start(&rs->tmr, delay > 0 ? (uint64_t)delay : 0, timer_fired, rs);
}

/* ---- start and stop ---- */

struct loader {
    struct routing *rs;
    enum routing_kind kind;
    int failures;
};

static int load_object(const struct store_row *row, void *arg)
{
    struct loader *ld = arg;
    json_t *spec = json_loads(store_row_text(row, 0), 0, NULL);
    const char *why = "unreadable";
    json_t *es = NULL;
    int err = spec ? engine_spec(ld->rs->app, ld->kind, spec, &es, &why) : EINVAL;
    if (!err)
        err = engine_set(ld->rs, ld->kind, es, &why);
    if (!err && ld->kind == ROUTING_WORKERS && json_is_string(json_object_get(es, "userId")))
        json_object_set(ld->rs->users, json_string_value(json_object_get(spec, "id")),
                        json_object_get(es, "userId"));
    if (err) {
        ld->failures++;
        log_error("router", "stored object not loaded", "kind=%s id=%s why=\"%s\"",
                  kind_keys[ld->kind], store_row_text(row, 1), why ? why : "");
    }
    json_decref(es);
    json_decref(spec);
    return 0;
}

static int load_job(const struct store_row *row, void *arg)
{
    struct loader *ld = arg;
    json_t *snap = json_loads(store_row_text(row, 0), 0, NULL);
    const char *why = "unreadable";
    int err = snap ? router_job_restore(ld->rs->engine, snap, clock_now_ms(), &why) : EINVAL;
    if (err) {
        ld->failures++;
        log_error("router", "stored job not restored", "job=%s why=\"%s\"", store_row_text(row, 1),
                  why ? why : "");
    }
    json_decref(snap);
    return 0;
}

/* Policies and queues refer to each other, so every object kind is loaded
 * before anything checks a reference: the engine resolves them by id. */
static const enum routing_kind load_order[] = {
    ROUTING_DISTRIBUTION_POLICIES,
    ROUTING_EXCEPTION_POLICIES,
    ROUTING_QUEUES,
    ROUTING_CLASSIFICATION_POLICIES,
    ROUTING_WORKERS,
};

static int load_idle(const struct store_row *row, void *arg)
{
    struct loader *ld = arg;
    /* A worker deleted since is simply not there any more. */
    router_worker_restore_state(ld->rs->engine, store_row_text(row, 0), store_row_int(row, 1),
                                (unsigned)store_row_int(row, 2));
    return 0;
}

static int build(struct routing *rs)
{
    struct router_opts opts = {
        .eventh = on_event, .idh = make_id, .randomh = random_unit, .scoreh = on_score, .arg = rs};
    int err = router_alloc(&rs->engine, &opts);
    if (err)
        return err;
    json_object_clear(rs->users);
    struct loader ld = {.rs = rs};
    for (size_t i = 0; i < sizeof(load_order) / sizeof(load_order[0]) && !err; i++) {
        ld.kind = load_order[i];
        struct store_val v[] = {sv_text(kind_keys[ld.kind])};
        err = store_query(rs->app->store,
                          "SELECT spec, id FROM router_objects WHERE kind = ? ORDER BY id", v, 1,
                          load_object, &ld);
    }
    if (!err)
        err = store_query(rs->app->store,
                          "SELECT snapshot, id FROM router_jobs WHERE state NOT IN"
                          " ('closed', 'cancelled', 'classificationFailed') ORDER BY created_at",
                          NULL, 0, load_job, &ld);
    if (!err)
        err =
            store_query(rs->app->store, "SELECT id, idle_since, expiries FROM router_worker_state",
                        NULL, 0, load_idle, &ld);
    if (ld.failures)
        log_warn("router", "some stored router state could not be loaded", "count=%d", ld.failures);
    return err;
}

static void tx_hook(bool committed, void *arg)
{
    struct routing *rs = arg;
    if (committed || !rs->engine)
        return;
    log_warn("router", "change rolled back; rebuilding the engine from the store", "");
    if (routing_reload(rs->app) != 0)
        log_error("router", "could not rebuild the engine", "");
}

int routing_start(struct app *app, bool live)
{
    struct routing *rs = mem_zalloc(sizeof(*rs), NULL);
    if (!rs)
        return ENOMEM;
    rs->app = app;
    rs->live = live;
    rs->jobs = json_object();
    rs->workers = json_object();
    rs->idle = json_object();
    rs->users = json_object();
    tmr_init(&rs->tmr);
    app->routing = rs;
    int err = store_add_tx_hook(app->store, tx_hook, rs);
    if (!err)
        err = scorer_alloc(&rs->scorer, app, live);
    if (!err)
        err = build(rs);
    if (err) {
        routing_stop(app);
        return err;
    }
    /* Restored jobs and workers are matched at the first advance: do it
     * now, so waiting jobs meet available workers without a new trigger. */
    if (live && (err = routing_begin(app)) == 0) {
        router_advance(rs->engine, clock_now_ms());
        err = routing_end(app, 0);
    }
    rearm(rs);
    return err;
}

int routing_reload(struct app *app)
{
    struct routing *rs = state(app);
    router_free(rs->engine);
    rs->engine = NULL;
    return build(rs);
}

void routing_stop(struct app *app)
{
    struct routing *rs = state(app);
    if (!rs)
        return;
    tmr_cancel(&rs->tmr);
    scorer_free(rs->scorer);
    router_free(rs->engine);
    json_decref(rs->jobs);
    json_decref(rs->workers);
    json_decref(rs->idle);
    json_decref(rs->users);
    mem_deref(rs);
    app->routing = NULL;
}

int routing_register(void)
{
    return routing_kinds_register() |
           events_topic_register("router", ROLES_STAFF, router_event_visible);
}
