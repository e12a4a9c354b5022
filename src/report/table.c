/*
 * table.c - increments added up per bucket, scope, id, channel and figure
 * (see report.h): sums, or maxima for "max..." figures.
 */
#include "report/report.h"
#include "router/rmap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One value; its key and the key's parts (split at the tabs) live in
 * text, allocated with the cell. */
struct cell {
    struct report_inc inc;
    char *key;
    char text[];
};

struct report_table {
    struct rmap *cells;
};

const int report_sl_thresholds[] = {5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600};
const size_t report_sl_count = sizeof(report_sl_thresholds) / sizeof(report_sl_thresholds[0]);

bool report_sl_threshold_ok(int seconds)
{
    for (size_t i = 0; i < report_sl_count; i++)
        if (report_sl_thresholds[i] == seconds)
            return true;
    return false;
}

bool report_figure_is_max(const char *figure)
{
    return strncmp(figure, "max", 3) == 0;
}

int report_table_alloc(struct report_table **tp)
{
    struct report_table *t = calloc(1, sizeof(*t));
    if (!t || rmap_alloc(&t->cells, 1024) != 0) {
        free(t);
        return ENOMEM;
    }
    *tp = t;
    return 0;
}

static void cell_free(struct cell *c)
{
    free(c);
}

void report_table_free(struct report_table *t)
{
    if (!t)
        return;
    size_t pos = 0;
    const char *key;
    void *v;
    while (rmap_next(t->cells, &pos, &key, &v))
        cell_free(v);
    rmap_free(t->cells);
    free(t);
}

/* "bucket\tscope\tid\tchannel\tfigure" into buf (ids hold no tab: they
 * come from configuration names and event fields checked by schemas). */
static int key_of(char *buf, size_t size, int64_t bucket, const char *scope, const char *id,
                  const char *chan, const char *figure)
{
    return snprintf(buf, size, "%" PRId64 "\t%s\t%s\t%s\t%s", bucket, scope, id, chan, figure);
}

void report_table_add(struct report_table *t, const struct report_inc *inc)
{
    char buf[512];
    int n = key_of(buf, sizeof(buf), inc->bucket, inc->scope, inc->id, inc->channel, inc->figure);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return; /* an id too long to be a configured one */
    struct cell *c = rmap_get(t->cells, buf);
    if (c) {
        if (!report_figure_is_max(inc->figure))
            c->inc.value += inc->value;
        else if (inc->value > c->inc.value)
            c->inc.value = inc->value;
        return;
    }
    size_t len = (size_t)n + 1;
    c = malloc(sizeof(*c) + 2 * len);
    if (!c)
        return;
    c->key = c->text;
    memcpy(c->key, buf, len);
    char *f[5] = {c->text + len};
    memcpy(f[0], buf, len);
    for (int i = 1; i < 5; i++) {
        f[i] = strchr(f[i - 1], '\t');
        *f[i]++ = '\0';
    }
    c->inc = (struct report_inc){inc->bucket, f[1], f[2], f[3], f[4], inc->value};
    if (rmap_put(t->cells, c->key, c) != 0)
        free(c);
}

void report_table_inc(const struct report_inc *inc, void *arg)
{
    report_table_add(arg, inc);
}

int64_t report_table_get(const struct report_table *t, int64_t bucket, const char *scope,
                         const char *id, const char *channel, const char *figure)
{
    char buf[512];
    int n = key_of(buf, sizeof(buf), bucket, scope, id, channel, figure);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return 0;
    const struct cell *c = rmap_get(t->cells, buf);
    return c ? c->inc.value : 0;
}

void report_table_each(const struct report_table *t, report_each_h *h, void *arg)
{
    size_t pos = 0;
    const char *key;
    void *v;
    while (rmap_next(t->cells, &pos, &key, &v))
        h(&((const struct cell *)v)->inc, arg);
}

void report_table_drop_before(struct report_table *t, int64_t bucket)
{
    size_t pos = 0;
    const char *key;
    void *v;
    while (rmap_next(t->cells, &pos, &key, &v)) {
        struct cell *c = v;
        if (c->inc.bucket >= bucket)
            continue;
        rmap_del(t->cells, c->key);
        free(c);
        pos = pos ? pos - 1 : 0; /* deletion shifted the next entry back here */
    }
}
