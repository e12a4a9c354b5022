/*
 * service.c - the reporting engine in the server (see service.h).
 *
 * Every committed event goes through the fold once. Its increments are
 * added to three tables: `pending` (written to report_buckets with the
 * last folded seq, in one transaction, at most a second later), `today`
 * (the organisation's current day, for the live service level) and
 * `totals` (since start, for Prometheus counters). At start the fold
 * catches up from the stored cursor: events of the 24 hours before it
 * only rebuild what was open (no increments), events after it count.
 */
#include "report/service.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/libre.h"
#include "core/log.h"
#include "core/schedule.h"
#include "core/settings.h"
#include "report/report_internal.h"
#include "report/sums.h"
#include "router/router.h"
#include "routing/service.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { FLUSH_MS = 1000, REBUILD_MS = 24 * 3600 * 1000, REPLAY_BATCH = 5000 };

static const char *const topics[] = {"router", "calls", "chat", "reports", "settings"};

int report_register(void)
{
    return events_topic_register("reports", ROLE_ADMIN | ROLE_MANAGER, NULL);
}

static void on_inc(const struct report_inc *inc, void *arg)
{
    struct report *r = arg;
    report_table_add(r->pending, inc);
    r->npending++;
    if (inc->bucket >= r->today_start)
        report_table_add(r->today, inc);
    struct report_inc all = *inc;
    all.bucket = 0;
    report_table_add(r->totals, &all);
}

/* ---- settings ---- */

static void load_settings(struct report *r)
{
    struct app *app = r->app;
    const char *zone = settings_str(app, "organisation.timezone");
    struct tz *tz = NULL;
    if (tz_load(&tz, zone ? zone : "UTC") != 0) {
        log_warn("report", "unknown organisation time zone; using UTC", "zone=%s", zone);
        tz_load(&tz, "UTC");
    }
    tz_free(r->tz);
    r->tz = tz;
    struct schedule *hours = NULL;
    const json_t *spec =
        json_object_get(json_object_get(app->settings, "reports"), "businessHours");
    char why[200];
    if (spec && schedule_compile(&hours, spec, zone, why, sizeof(why)) != 0)
        log_warn("report", "business hours not usable; counting all hours", "why=\"%s\"", why);
    report_fold_set_hours(r->fold, hours);
    schedule_free(r->hours);
    r->hours = hours;
    int64_t sl = settings_int(app, "reports.serviceLevelSeconds");
    r->sl_seconds = report_sl_threshold_ok((int)sl) ? (int)sl : 20;
}

const struct tz *report_tz(struct app *app)
{
    return app->report->tz;
}

int report_sl_seconds(struct app *app)
{
    return app->report->sl_seconds;
}

const char *report_metrics_token(struct app *app)
{
    const char *t = settings_str(app, "reports.metricsToken");
    return t && *t ? t : NULL;
}

/* ---- today ---- */

/* A new day: today's table starts empty. */
static void roll_day(struct report *r, int64_t now)
{
    int64_t start = report_day_start(r->tz, now);
    if (start == r->today_start)
        return;
    r->today_start = start;
    report_table_drop_before(r->today, start);
}

/* ---- writing ---- */

/* Count every agent's state time up to now (stored with the next flush). */
static void advance(struct report *r)
{
    r->accrued_at = clock_now_ms();
    report_fold_advance(r->fold, r->accrued_at);
}

/* Write the pending sums and the cursor in one transaction. */
static int flush(struct report *r)
{
    if (r->cursor == r->stored_cursor && !r->npending)
        return 0;
    int err = report_sums_add(r->app->store, r->pending, r->cursor, r->accrued_at);
    if (err) {
        log_error("report", "report sums not stored; kept for the next try", "error=%d", err);
        return err;
    }
    report_table_drop_before(r->pending, INT64_MAX);
    r->npending = 0;
    r->stored_cursor = r->cursor;
    return 0;
}

/* ---- live ---- */

static void publish(struct report *r)
{
    json_t *live = report_live(r->app);
    json_t *agents = json_object_get(live, "agents");
    if (json_array_size(agents) > 100) /* the stream says how many; GET gives each */
        json_object_del(live, "agents");
    events_publish_volatile(r->app->events, "reports", "liveUpdated", live);
    json_decref(live);
    r->last_publish = clock_mono_ms();
    r->dirty = false;
}

static void on_timer(void *arg)
{
    struct report *r = arg;
    int64_t now = clock_now_ms();
    roll_day(r, now);
    flush(r);
    if (r->dirty)
        publish(r);
}

/* At most one publication a second, at most a second after a change. */
static void schedule_tick(struct report *r)
{
    if (tmr_isrunning(&r->tmr))
        return;
    int64_t due = r->last_publish + FLUSH_MS - clock_mono_ms();
    tmr_start(&r->tmr, due > 0 ? (uint64_t)due : 0, on_timer, r);
}

static void fold_one(struct report *r, const struct event *e)
{
    if (e->seq <= r->cursor)
        return;
    r->cursor = e->seq;
    if (strcmp(e->topic, "settings") == 0) {
        load_settings(r);
        return;
    }
    if (strcmp(e->topic, "reports") == 0 && strcmp(e->type, "liveUpdated") == 0)
        return;
    for (size_t i = 0; i < 4; i++) { /* the topics the fold follows */
        if (strcmp(e->topic, topics[i]) == 0) {
            report_fold_event(r->fold, e);
            r->dirty = true;
        }
    }
}

static void on_event(const struct event *e, void *arg)
{
    struct report *r = arg;
    fold_one(r, e);
    if (r->npending > 50000)
        flush(r); /* a burst: keep memory bounded */
    if (r->dirty)
        schedule_tick(r);
}

/* ---- start ---- */

struct replay_arg {
    struct report *r;
    int64_t until;
};

static void replay_h(const struct event *e, void *arg)
{
    struct replay_arg *ra = arg;
    if (e->seq <= ra->until) /* a batch may reach past it */
        fold_one(ra->r, e);
}

/* Fold the stored events after the cursor up to `until`, in batches. */
static int replay(struct report *r, int64_t until)
{
    struct replay_arg ra = {r, until};
    while (r->cursor < until) {
        int64_t before = r->cursor, last = before;
        int err =
            events_replay(r->app->events, before, topics, 5, REPLAY_BATCH, replay_h, &ra, &last);
        if (err)
            return err;
        if (last > r->cursor) /* nothing past `until` was folded */
            r->cursor = last < until ? last : until;
        if (r->cursor == before)
            break; /* no more events of our topics */
    }
    return 0;
}

static int64_t query_int(struct store *st, const char *sql, const struct store_val *v, size_t n)
{
    json_t *row = NULL;
    int64_t out = 0;
    if (store_query_one(st, sql, v, n, &row) == 0) {
        const char *k;
        json_t *x;
        json_object_foreach(row, k, x) out = json_integer_value(x);
    }
    json_decref(row);
    return out;
}

/* Rebuild what was open at the cursor from the day before it. */
static int rebuild(struct report *r, int64_t cursor)
{
    struct store_val v[] = {sv_int(cursor)};
    int64_t t = query_int(r->app->store, "SELECT time FROM events WHERE seq = ?", v, 1);
    struct store_val w[] = {sv_int(t - REBUILD_MS)};
    int64_t first = query_int(r->app->store, "SELECT MIN(seq) FROM events WHERE time >= ?", w, 1);
    r->cursor = first > 0 ? first - 1 : cursor;
    report_fold_set_emitting(r->fold, false);
    int err = replay(r, cursor);
    report_fold_set_emitting(r->fold, true);
    r->cursor = cursor;
    return err;
}

/* The router's word on each worker's availability now. */
static void seed_workers(struct report *r, int64_t now)
{
    struct router *eng = routing_engine(r->app);
    if (!eng)
        return;
    json_t *ids = router_list(eng, "workers");
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        const char *wid = json_string_value(json_is_object(id) ? json_object_get(id, "id") : id);
        json_t *w = wid ? router_worker_get(eng, wid, now) : NULL;
        if (w) {
            const char *user = routing_worker_user(r->app, wid);
            report_fold_worker(r->fold, wid, *user ? user : NULL,
                               json_is_true(json_object_get(w, "available")), now);
        }
        json_decref(w);
    }
    json_decref(ids);
}

static void report_destroy(struct report *r)
{
    tmr_cancel(&r->tmr);
    mem_deref(r->sub);
    report_fold_free(r->fold);
    report_table_free(r->pending);
    report_table_free(r->today);
    report_table_free(r->totals);
    schedule_free(r->hours);
    tz_free(r->tz);
    free(r);
}

int report_start(struct app *app)
{
    struct report *r = calloc(1, sizeof(*r));
    if (!r)
        return ENOMEM;
    r->app = app;
    tmr_init(&r->tmr);
    struct report_fold_opts fo = {.inch = on_inc, .arg = r};
    int err = report_fold_alloc(&r->fold, &fo) | report_table_alloc(&r->pending) |
              report_table_alloc(&r->today) | report_table_alloc(&r->totals);
    if (err) {
        report_destroy(r);
        return ENOMEM;
    }
    app->report = r;
    load_settings(r);
    int64_t now = clock_now_ms();
    r->today_start = report_day_start(r->tz, now);
    int64_t cursor = report_sums_state(app->store, "cursor");
    r->stored_cursor = cursor;
    err = report_sums_load(app->store, r->today, "queue", "agent", r->today_start, INT64_MAX, 0, 0);
    if (!err && cursor > 0)
        err = rebuild(r, cursor);
    /* Agents' time up to the last advance is in the sums already. */
    report_fold_clamp_since(r->fold, report_sums_state(app->store, "accruedAt"));
    if (!err)
        err = replay(r, events_last_seq(app->events));
    /* While the server was down nobody worked: state time starts again now. */
    report_fold_clamp_since(r->fold, now);
    if (!err)
        err = flush(r);
    if (!err)
        err = events_subscribe(app->events, &r->sub, on_event, r);
    if (err) {
        log_error("report", "cannot start the reports", "error=%d", err);
        app->report = NULL;
        report_destroy(r);
        return err;
    }
    seed_workers(r, now);
    r->dirty = false; /* a start alone changes nothing worth telling */
    return 0;
}

void report_stop(struct app *app)
{
    struct report *r = app->report;
    if (!r)
        return;
    advance(r);
    flush(r);
    app->report = NULL;
    report_destroy(r);
}

/* ---- queries ---- */

int report_history(struct app *app, struct report_query *q, json_t **rowsp)
{
    struct report *r = app->report;
    advance(r);
    int err = flush(r);
    struct report_table *t = NULL;
    q->tz = r->tz;
    if (!err)
        err = report_table_alloc(&t);
    const char *s1, *s2;
    report_scope_sources(q, &s1, &s2);
    int64_t group = 0, offset = 0;
    report_grouping(r->tz, q, &group, &offset);
    if (!err)
        err = report_sums_load(app->store, t, s1, s2, q->from, q->to, group, offset);
    if (!err)
        *rowsp = report_rows(t, q);
    report_table_free(t);
    return err;
}

/* Today's queue figures by "queue\nchannel". */
static json_t *today_rows(struct report *r)
{
    struct report_query q = {.scope = REPORT_QUEUES,
                             .from = r->today_start,
                             .to = r->today_start + 26 * 3600 * 1000LL,
                             .interval_min = 1440,
                             .tz = r->tz,
                             .sl_seconds = r->sl_seconds};
    json_t *rows = report_rows(r->today, &q), *by = json_object(), *row;
    size_t i;
    json_array_foreach(rows, i, row)
    {
        char key[300];
        snprintf(key, sizeof(key), "%s\n%s", json_string_value(json_object_get(row, "queueId")),
                 json_string_value(json_object_get(row, "channel")));
        json_object_set(by, key, row);
    }
    json_decref(rows);
    return by;
}

/* The live subset of a queue's figures today (zeros without a row). */
static json_t *today_of(const json_t *row)
{
    static const char *const keep[] = {"offered",
                                       "answered",
                                       "abandoned",
                                       "serviceLevel",
                                       "serviceLevelSeconds",
                                       "avgSpeedOfAnswerSeconds",
                                       "longestWaitSeconds"};
    json_t *t = json_object();
    for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
        json_t *v = row ? json_object_get(row, keep[k]) : NULL;
        json_object_set_new(t, keep[k], v ? json_incref(v) : k < 3 ? json_integer(0) : json_null());
    }
    return t;
}

json_t *report_live(struct app *app)
{
    struct report *r = app->report;
    int64_t now = clock_now_ms();
    roll_day(r, now);
    json_t *live = report_fold_live(r->fold, now), *today = today_rows(r);
    json_t *queues = json_object_get(live, "queues"), *q;
    size_t i;
    json_array_foreach(queues, i, q)
    {
        char key[300];
        snprintf(key, sizeof(key), "%s\n%s", json_string_value(json_object_get(q, "queueId")),
                 json_string_value(json_object_get(q, "channel")));
        json_object_set_new(q, "today", today_of(json_object_get(today, key)));
        json_object_del(today, key);
    }
    /* Queues with figures today and no one waiting now. */
    const char *key;
    json_t *row;
    json_object_foreach(today, key, row)
    {
        json_array_append_new(queues, json_pack("{s:O, s:O, s:i, s:f, s:o}", "queueId",
                                                json_object_get(row, "queueId"), "channel",
                                                json_object_get(row, "channel"), "waiting", 0,
                                                "longestWaitSeconds", 0.0, "today", today_of(row)));
    }
    json_decref(today);
    json_object_set_new(live, "time", clock_time_json(now));
    /* The zone of "today" and of the intervals, and what the wallboard
     * colours by (docs/reporting.md). */
    json_object_set_new(live, "timezone", json_string(settings_str(app, "organisation.timezone")));
    int64_t goal = settings_int(app, "reports.serviceLevelGoal"),
            amber = settings_int(app, "reports.serviceLevelAmberPoints");
    json_object_set_new(live, "serviceLevelGoal", json_real((double)goal / 100.0));
    json_object_set_new(live, "serviceLevelAmberFrom",
                        json_real((double)(goal > amber ? goal - amber : 0) / 100.0));
    return live;
}
