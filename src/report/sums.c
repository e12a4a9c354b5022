/*
 * sums.c - the reports' sums in the store (report_buckets): reading a
 * range of buckets into a table, and adding a table to them together with
 * the cursor (the last event folded) in one transaction.
 */
#include "report/report.h"
#include "report/sums.h"
#include "store/store.h"

/* Columns: bucket, scope, id, channel, figure, sum, max. */
static int load_cell(const struct store_row *row, void *arg)
{
    const char *figure = store_row_text(row, 4);
    struct report_inc inc = {store_row_int(row, 0),
                             store_row_text(row, 1),
                             store_row_text(row, 2),
                             store_row_text(row, 3),
                             figure,
                             store_row_int(row, report_figure_is_max(figure) ? 6 : 5)};
    report_table_add(arg, &inc);
    return 0;
}

int report_sums_load(struct store *st, struct report_table *t, const char *scope1,
                     const char *scope2, int64_t from, int64_t to, int64_t group_ms,
                     int64_t offset_ms)
{
    if (group_ms <= 0) {
        struct store_val v[] = {sv_text(scope1), sv_text(scope2), sv_int(from), sv_int(to)};
        return store_query(st,
                           "SELECT bucket, scope, id, channel, figure, value, value"
                           " FROM report_buckets"
                           " WHERE scope IN (?, ?) AND bucket >= ? AND bucket < ?",
                           v, 4, load_cell, t);
    }
    /* Buckets are >= 0, so integer division floors. */
    struct store_val v[] = {sv_text(scope1), sv_text(scope2),   sv_int(from),
                            sv_int(to),      sv_int(offset_ms), sv_int(group_ms)};
    return store_query(st,
                       "SELECT MIN(bucket), scope, id, channel, figure, SUM(value), MAX(value)"
                       " FROM report_buckets"
                       " WHERE scope IN (?, ?) AND bucket >= ? AND bucket < ?"
                       " GROUP BY (bucket + ?) / ?, scope, id, channel, figure",
                       v, 6, load_cell, t);
}

struct writer {
    struct store *st;
    int err;
};

static void write_cell(const struct report_inc *inc, void *arg)
{
    struct writer *w = arg;
    if (w->err)
        return;
    struct store_val v[] = {sv_int(inc->bucket),   sv_text(inc->scope),  sv_text(inc->id),
                            sv_text(inc->channel), sv_text(inc->figure), sv_int(inc->value)};
    w->err = store_exec(
        w->st,
        report_figure_is_max(inc->figure)
            ? "INSERT INTO report_buckets (bucket, scope, id, channel, figure, value)"
              " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, bucket, id, channel, figure)"
              " DO UPDATE SET value = CASE WHEN excluded.value > report_buckets.value"
              " THEN excluded.value ELSE report_buckets.value END"
            : "INSERT INTO report_buckets (bucket, scope, id, channel, figure, value)"
              " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, bucket, id, channel, figure)"
              " DO UPDATE SET value = report_buckets.value + excluded.value",
        v, 6, NULL);
}

static int set_state(struct store *st, const char *name, int64_t value)
{
    struct store_val v[] = {sv_text(name), sv_int(value)};
    return store_exec(st,
                      "INSERT INTO report_state (name, value) VALUES (?, ?)"
                      " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                      v, 2, NULL);
}

static int state_row(const struct store_row *row, void *arg)
{
    *(int64_t *)arg = store_row_int(row, 0);
    return 0;
}

int64_t report_sums_state(struct store *st, const char *name)
{
    int64_t value = 0;
    struct store_val v[] = {sv_text(name)};
    store_query(st, "SELECT value FROM report_state WHERE name = ?", v, 1, state_row, &value);
    return value;
}

int report_sums_add(struct store *st, const struct report_table *t, int64_t cursor,
                    int64_t accrued_at)
{
    int err = store_begin(st);
    if (err)
        return err;
    struct writer w = {st, 0};
    report_table_each(t, write_cell, &w);
    err = w.err;
    if (!err)
        err = set_state(st, "cursor", cursor);
    if (!err && accrued_at)
        err = set_state(st, "accruedAt", accrued_at);
    if (!err)
        return store_commit(st);
    store_rollback(st);
    return err;
}
