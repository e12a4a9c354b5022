/*
 * report.h - the reporting engine's pure core: events in, figures out.
 *
 * Three parts, none of which does I/O or reads a clock (times are passed
 * in, so tests drive a whole day in microseconds):
 *
 *  - the fold (fold*.c) follows the event log one event at a time. It
 *    keeps only what is open now (jobs waiting or being handled, calls in
 *    an attendant, chats, each agent's state) and turns what happens into
 *    increments of named figures in 15-minute buckets: "queue support,
 *    voice, bucket 09:15, answered += 1". Its cost per event is constant.
 *  - the table (table.c) adds increments up: sums, or maxima for figures
 *    whose name starts with "max". The server keeps the same sums in the
 *    store (report_buckets); a table is what a query reads them into.
 *  - the figures (figures.c) group a table's buckets into 15-minute,
 *    hourly or daily intervals in the organisation's time zone and derive
 *    the figures of docs/reporting.md (averages, service level,
 *    occupancy, ...), one JSON row per interval, object and channel.
 *
 * Buckets are aligned to 15 minutes of UTC, which are also 15-minute
 * boundaries in every time zone in use (offsets are whole quarter hours).
 */
#ifndef SB_REPORT_REPORT_H
#define SB_REPORT_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event;
struct schedule;
struct tz;

enum { REPORT_BUCKET_MS = 15 * 60 * 1000 };

static inline int64_t report_bucket(int64_t t_ms)
{
    int64_t b = t_ms / REPORT_BUCKET_MS;
    if (t_ms < 0 && b * REPORT_BUCKET_MS != t_ms)
        b--;
    return b * REPORT_BUCKET_MS;
}

/* One increment: figure += value (or max(figure, value) for "max..."). */
struct report_inc {
    int64_t bucket;      /* start of the 15-minute bucket, ms since the epoch */
    const char *scope;   /* queue, agent, attendant, bot, chat, satisfaction, agentSatisfaction */
    const char *id;      /* the queue's, worker's, attendant's or bot's id ("" for none) */
    const char *channel; /* voice, chat, or "" */
    const char *figure;  /* e.g. "answered", "answerWaitMs", "maxWaitMs", "stateMs.busy" */
    int64_t value;
};

/* Is this figure a maximum (else a sum)? */
bool report_figure_is_max(const char *figure);

typedef void(report_inc_h)(const struct report_inc *inc, void *arg);

/* Waiting times above which answered and abandoned contacts are counted
 * apart, in seconds: the service-level thresholds a query may ask for. */
extern const int report_sl_thresholds[];
extern const size_t report_sl_count;
bool report_sl_threshold_ok(int seconds);

/* ---- the fold ---- */

struct report_fold;

struct report_fold_opts {
    report_inc_h *inch; /* each increment; NULL: none (state only) */
    void *arg;
    const struct schedule *hours; /* business hours for chat times; NULL: all hours */
};

int report_fold_alloc(struct report_fold **fp, const struct report_fold_opts *opts);
void report_fold_free(struct report_fold *f);
/* Replace the business hours (the fold does not own them). */
void report_fold_set_hours(struct report_fold *f, const struct schedule *hours);
/* Turn increments off (false) while rebuilding what is open from older
 * events, and back on. */
void report_fold_set_emitting(struct report_fold *f, bool on);
/* Follow one event (topics router, calls, chat, reports; others ignored). */
void report_fold_event(struct report_fold *f, const struct event *e);
/* Count every agent's time in its current state up to now (state time is
 * otherwise counted when the state changes). */
void report_fold_advance(struct report_fold *f, int64_t now);
/* Start every agent's state time no earlier than t (after a restart: the
 * time before it is in the stored sums, or was not worked). */
void report_fold_clamp_since(struct report_fold *f, int64_t t);
/* What is open now: {"queues":[{"queueId","channel","waiting",
 * "longestWaitSeconds"}], "agents":[{"workerId","userId","state",
 * "sinceSeconds"}], "agentsByState":{"available":n,..}}. */
json_t *report_fold_live(const struct report_fold *f, int64_t now);
/* The queue and worker of an open call or chat (for its survey); false
 * when the fold knows none. Strings live until the next event. */
bool report_fold_contact(const struct report_fold *f, const char *subject, const char **queue,
                         const char **worker);
/* What the router says of a worker now (after rebuilding from the log,
 * whose older events may not say whether it is available). */
void report_fold_worker(struct report_fold *f, const char *worker, const char *user, bool available,
                        int64_t now);
/* The worker of a user (from the router's events), or NULL. */
const char *report_fold_worker_of(const struct report_fold *f, const char *user_id);

/* ---- the table ---- */

struct report_table;

int report_table_alloc(struct report_table **tp);
void report_table_free(struct report_table *t);
void report_table_add(struct report_table *t, const struct report_inc *inc);
/* Drop every bucket before `bucket`. */
void report_table_drop_before(struct report_table *t, int64_t bucket);
/* The value of one figure in one bucket (0 when absent). */
int64_t report_table_get(const struct report_table *t, int64_t bucket, const char *scope,
                         const char *id, const char *channel, const char *figure);
typedef void(report_each_h)(const struct report_inc *inc, void *arg);
/* Every stored value (in no particular order). */
void report_table_each(const struct report_table *t, report_each_h *h, void *arg);
/* The report_inc_h that adds to a table (arg: the table). */
void report_table_inc(const struct report_inc *inc, void *arg);

/* ---- the figures ---- */

enum report_scope {
    REPORT_QUEUES,
    REPORT_ATTENDANTS,
    REPORT_AGENTS,
    REPORT_BOTS,
    REPORT_CHAT,
    REPORT_SATISFACTION,
    REPORT_SCOPES
};

/* "queues" -> REPORT_QUEUES; -1 unknown. */
int report_scope_parse(const char *name);
const char *report_scope_name(enum report_scope s);

struct report_query {
    enum report_scope scope;
    int64_t from, to;    /* [from, to) in ms, on 15-minute boundaries */
    int interval_min;    /* 15, 60 or 1440 */
    const struct tz *tz; /* the organisation's zone */
    int sl_seconds;      /* service-level threshold (one of report_sl_thresholds) */
    const char *id;      /* only this queue/agent/attendant/bot, or NULL */
    const char *channel; /* only this channel, or NULL */
    bool by_agent;       /* satisfaction per agent instead of per queue */
};

/* The UTC ms of the local midnight that begins t's day in tz. */
int64_t report_day_start(const struct tz *tz, int64_t t);
/* The fold's scopes a query reads (the same one twice when one). */
void report_scope_sources(const struct report_query *q, const char **s1, const char **s2);
/* How the store may add up a query's buckets before report_rows(): the
 * interval in ms and the zone's offset in ms when that offset is the same
 * over the whole range (checked at every local midnight: offsets change
 * at most twice a year), else 0 and 0 (the buckets one by one). */
void report_grouping(const struct tz *tz, const struct report_query *q, int64_t *group_ms,
                     int64_t *offset_ms);

/* Rows, ordered by interval start, id, channel:
 * [{"intervalStart":"2026-12-07T09:00:00+01:00","intervalEnd":..,
 *   "<idName>": id, "channel": .., figures...}]. New reference. */
json_t *report_rows(const struct report_table *t, const struct report_query *q);
/* The same rows as CSV (a header line, then one line per row; columns are
 * the union of the rows' flattened keys in first-seen order). Caller
 * frees; NULL when out of memory. */
char *report_rows_csv(const json_t *rows);

#endif
