/*
 * figures.c - a table's buckets grouped into intervals of the
 * organisation's time zone, and the figures of docs/reporting.md derived
 * from their sums: one JSON row per interval, object and channel.
 */
#include "core/schedule.h"
#include "report/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const scope_names[REPORT_SCOPES] = {
    [REPORT_QUEUES] = "queues", [REPORT_ATTENDANTS] = "attendants",
    [REPORT_AGENTS] = "agents", [REPORT_BOTS] = "bots",
    [REPORT_CHAT] = "chat",     [REPORT_SATISFACTION] = "satisfaction",
};

int report_scope_parse(const char *name)
{
    for (int s = 0; name && s < REPORT_SCOPES; s++)
        if (strcmp(name, scope_names[s]) == 0)
            return s;
    return -1;
}

const char *report_scope_name(enum report_scope s)
{
    return (unsigned)s < REPORT_SCOPES ? scope_names[s] : "";
}

/* The fold's scope behind a report, and the name of a row's id. */
static const char *table_scope(const struct report_query *q)
{
    static const char *const t[REPORT_SCOPES] = {"queue", "attendant", "agent",
                                                 "bot",   "chat",      "satisfaction"};
    return q->scope == REPORT_SATISFACTION && q->by_agent ? "agentSatisfaction" : t[q->scope];
}

static const char *id_name(const struct report_query *q)
{
    static const char *const t[REPORT_SCOPES] = {"queueId", "attendantId", "workerId",
                                                 "botId",   "queueId",     "queueId"};
    return q->scope == REPORT_SATISFACTION && q->by_agent ? "workerId" : t[q->scope];
}

/* ---- intervals in the time zone ---- */

int64_t report_day_start(const struct tz *tz, int64_t t)
{
    struct local_time lt;
    tz_local(tz, t / 1000, &lt);
    int64_t guess = t - ((int64_t)lt.hour * 3600 + lt.minute * 60 + lt.second) * 1000 - t % 1000;
    return guess + ((int64_t)lt.offset - tz_offset(tz, guess / 1000)) * 1000;
}

static int64_t interval_start(const struct report_query *q, int64_t bucket)
{
    if (q->interval_min == 15)
        return bucket;
    if (q->interval_min == 60) {
        struct local_time lt;
        tz_local(q->tz, bucket / 1000, &lt);
        return bucket - (int64_t)lt.minute * 60000;
    }
    return report_day_start(q->tz, bucket);
}

static int64_t interval_end(const struct report_query *q, int64_t start)
{
    if (q->interval_min < 1440)
        return start + (int64_t)q->interval_min * 60000;
    return report_day_start(q->tz, start + 26 * 3600 * 1000LL); /* 23 to 25 hours on */
}

static json_t *local_json(const struct tz *tz, int64_t t)
{
    struct local_time lt;
    tz_local(tz, t / 1000, &lt);
    int off = lt.offset < 0 ? -lt.offset : lt.offset;
    char buf[40];
    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", lt.year, lt.month,
             lt.day, lt.hour, lt.minute, lt.second, lt.offset < 0 ? '-' : '+', off / 3600,
             off / 60 % 60);
    return json_string(buf);
}

void report_scope_sources(const struct report_query *q, const char **s1, const char **s2)
{
    *s1 = *s2 = table_scope(q);
}

void report_grouping(const struct tz *tz, const struct report_query *q, int64_t *group_ms,
                     int64_t *offset_ms)
{
    *group_ms = *offset_ms = 0;
    int32_t off = tz_offset(tz, q->from / 1000);
    for (int64_t t = q->from; t < q->to; t += 86400000LL)
        if (tz_offset(tz, t / 1000) != off)
            return;
    if (tz_offset(tz, (q->to - 1) / 1000) != off)
        return;
    *group_ms = (int64_t)q->interval_min * 60000;
    *offset_ms = (int64_t)off * 1000;
}

/* ---- grouping ---- */

struct group {
    int64_t start;
    char *id, *chan;
    json_t *raw; /* figure -> summed value */
};

struct grouping {
    const struct report_query *q;
    const char *scope;
    json_t *index; /* "start\tid\tchan" -> position in groups */
    struct group *groups;
    size_t n, cap;
};

static struct group *group_of(struct grouping *g, int64_t start, const char *id, const char *chan)
{
    char key[400];
    snprintf(key, sizeof(key), "%" PRId64 "\t%s\t%s", start, id, chan);
    json_t *pos = json_object_get(g->index, key);
    if (pos)
        return &g->groups[json_integer_value(pos)];
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        struct group *n = realloc(g->groups, cap * sizeof(*n));
        if (!n)
            return NULL;
        g->groups = n;
        g->cap = cap;
    }
    struct group *gr = &g->groups[g->n];
    *gr = (struct group){start, strdup(id), strdup(chan), json_object()};
    if (!gr->id || !gr->chan || !gr->raw) {
        free(gr->id);
        free(gr->chan);
        json_decref(gr->raw);
        return NULL;
    }
    json_object_set_new(g->index, key, json_integer((json_int_t)g->n++));
    return gr;
}

static void collect(const struct report_inc *inc, void *arg)
{
    struct grouping *g = arg;
    const struct report_query *q = g->q;
    if (inc->bucket < q->from || inc->bucket >= q->to || strcmp(inc->scope, g->scope) != 0 ||
        (q->id && strcmp(inc->id, q->id) != 0) ||
        (q->channel && strcmp(inc->channel, q->channel) != 0))
        return;
    struct group *gr = group_of(g, interval_start(q, inc->bucket), inc->id, inc->channel);
    if (!gr)
        return;
    json_int_t old = json_integer_value(json_object_get(gr->raw, inc->figure));
    json_int_t v = report_figure_is_max(inc->figure) ? (inc->value > old ? inc->value : old)
                                                     : old + inc->value;
    json_object_set_new(gr->raw, inc->figure, json_integer(v));
}

static int group_cmp(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    int c = strcmp(x->id, y->id);
    return c ? c : strcmp(x->chan, y->chan);
}

/* ---- derived figures ---- */

static int64_t raw(const json_t *r, const char *fig)
{
    return json_integer_value(json_object_get(r, fig));
}

/* ms / n in seconds, or null when n is 0. */
static json_t *avg_s(int64_t ms, int64_t n)
{
    return n > 0 ? json_real((double)ms / 1000.0 / (double)n) : json_null();
}

static json_t *ratio(int64_t a, int64_t b)
{
    return b > 0 ? json_real((double)a / (double)b) : json_null();
}

/* Contacts in the bins up to the threshold ("answered" or "abandoned"). */
static int64_t within(const json_t *r, const char *prefix, int seconds)
{
    int64_t n = 0;
    char fig[48];
    for (size_t i = 0; i < report_sl_count && report_sl_thresholds[i] <= seconds; i++) {
        snprintf(fig, sizeof(fig), "%sBin.%d", prefix, report_sl_thresholds[i]);
        n += raw(r, fig);
    }
    return n;
}

static void queue_figures(json_t *row, const json_t *r, int sl)
{
    int64_t ans = raw(r, "answered"), ab = raw(r, "abandoned"), ov = raw(r, "redirectedOverflow"),
            to = raw(r, "redirectedTimeout"), na = raw(r, "redirectedNoAgents"),
            tw = raw(r, "transferredWaiting"), handled = raw(r, "handled");
    int64_t ans_in = within(r, "answered", sl), ab_in = within(r, "abandoned", sl);
    int64_t left = ans + ab + ov + to + na + tw;
    int64_t waits = raw(r, "answerWaitMs") + raw(r, "abandonWaitMs") + raw(r, "redirectWaitMs");
    /* talkMs runs from the answer to completion, hold included */
    int64_t handle = raw(r, "talkMs") + raw(r, "wrapMs");
    json_object_set_new(row, "offered", json_integer(raw(r, "offered")));
    json_object_set_new(row, "answered", json_integer(ans));
    json_object_set_new(row, "abandoned", json_integer(ab));
    json_object_set_new(row, "redirects",
                        json_pack("{s:I, s:I, s:I}", "overflow", (json_int_t)ov, "timeout",
                                  (json_int_t)to, "noAgents", (json_int_t)na));
    json_object_set_new(row, "transfers", json_integer(raw(r, "transfers") + tw));
    json_object_set_new(row, "endedOther", json_integer(raw(r, "endedOther")));
    json_object_set_new(row, "callbacks",
                        json_pack("{s:I, s:I, s:I, s:I}", "requested",
                                  (json_int_t)raw(r, "callbacksRequested"), "connected",
                                  (json_int_t)raw(r, "callbacksConnected"), "failed",
                                  (json_int_t)raw(r, "callbacksFailed"), "cancelled",
                                  (json_int_t)raw(r, "callbacksCancelled")));
    json_object_set_new(row, "serviceLevelSeconds", json_integer(sl));
    json_object_set_new(row, "answeredWithinThreshold", json_integer(ans_in));
    json_object_set_new(row, "abandonedWithinThreshold", json_integer(ab_in));
    json_object_set_new(row, "serviceLevel", ratio(ans_in, ans + ab - ab_in + to));
    json_object_set_new(row, "avgSpeedOfAnswerSeconds", avg_s(raw(r, "answerWaitMs"), ans));
    json_object_set_new(row, "avgWaitSeconds", avg_s(waits, left));
    json_object_set_new(row, "longestWaitSeconds", avg_s(raw(r, "maxWaitMs"), left ? 1 : 0));
    json_object_set_new(row, "avgAbandonSeconds", avg_s(raw(r, "abandonWaitMs"), ab));
    json_object_set_new(row, "longestAbandonSeconds",
                        avg_s(raw(r, "maxAbandonWaitMs"), ab ? 1 : 0));
    json_object_set_new(row, "handled", json_integer(handled));
    json_object_set_new(row, "avgHandleSeconds", avg_s(handle, handled));
    json_object_set_new(row, "avgTalkSeconds", avg_s(raw(r, "talkMs") - raw(r, "holdMs"), handled));
    json_object_set_new(row, "avgHoldSeconds", avg_s(raw(r, "holdMs"), handled));
    json_object_set_new(row, "avgWrapUpSeconds", avg_s(raw(r, "wrapMs"), handled));
}

static void agent_figures(json_t *row, const json_t *r)
{
    int64_t av = raw(r, "stateMs.available"), busy = raw(r, "stateMs.busy"),
            wrap = raw(r, "stateMs.wrapUp"), un = raw(r, "stateMs.unavailable");
    int64_t handled = raw(r, "handled");
    json_object_set_new(row, "stateSeconds",
                        json_pack("{s:f, s:f, s:f, s:f}", "available", av / 1000.0, "busy",
                                  busy / 1000.0, "wrapUp", wrap / 1000.0, "unavailable",
                                  un / 1000.0));
    json_object_set_new(row, "occupancy", ratio(busy + wrap, av + busy + wrap));
    json_object_set_new(row, "answered", json_integer(raw(r, "answered")));
    json_object_set_new(row, "handled", json_integer(handled));
    json_object_set_new(row, "avgHandleSeconds",
                        avg_s(raw(r, "talkMs") + raw(r, "wrapMs"), handled));
    json_object_set_new(row, "avgTalkSeconds", avg_s(raw(r, "talkMs") - raw(r, "holdMs"), handled));
    json_object_set_new(row, "avgHoldSeconds", avg_s(raw(r, "holdMs"), handled));
    json_object_set_new(row, "avgWrapUpSeconds", avg_s(raw(r, "wrapMs"), handled));
    json_object_set_new(row, "offers", json_integer(raw(r, "offers")));
    json_object_set_new(row, "declined", json_integer(raw(r, "declined")));
    json_object_set_new(row, "expired", json_integer(raw(r, "expired")));
}

/* {"<suffix>": n} of the figures "<prefix>.<suffix>". */
static json_t *by_prefix(const json_t *r, const char *prefix)
{
    json_t *o = json_object();
    size_t len = strlen(prefix);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)r, k, v)
    {
        if (strncmp(k, prefix, len) == 0 && k[len] == '.')
            json_object_set(o, k + len + 1, v);
    }
    return o;
}

static void attendant_figures(json_t *row, const json_t *r)
{
    int64_t calls = raw(r, "calls"), inv = raw(r, "invalid"), none = raw(r, "noInput"),
            unrec = raw(r, "notRecognised");
    json_object_set_new(row, "calls", json_integer(calls));
    json_object_set_new(row, "options", by_prefix(r, "option"));
    json_object_set_new(row, "byKey", json_integer(raw(r, "byKey")));
    json_object_set_new(row, "bySpeech", json_integer(raw(r, "bySpeech")));
    json_object_set_new(row, "invalid", json_integer(inv));
    json_object_set_new(row, "noInput", json_integer(none));
    json_object_set_new(row, "notRecognised", json_integer(unrec));
    json_object_set_new(row, "recognitionFailures", json_integer(inv + none + unrec));
    json_object_set_new(row, "directory", by_prefix(r, "directory"));
    json_object_set_new(row, "redirects", json_integer(raw(r, "redirects")));
    json_object_set_new(row, "redirectTargets", by_prefix(r, "redirect"));
    json_object_set_new(row, "contained", json_integer(raw(r, "contained")));
    json_object_set_new(row, "containment", ratio(raw(r, "contained"), calls));
}

static int intent_cmp(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t cx = json_integer_value(json_object_get(x, "count")),
               cy = json_integer_value(json_object_get(y, "count"));
    if (cx != cy)
        return cx > cy ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "intent")),
                  json_string_value(json_object_get(y, "intent")));
}

static json_t *top_intents(const json_t *r)
{
    json_t *all = by_prefix(r, "intent"), *items[256];
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(all, k, v)
    {
        if (n < 256)
            items[n++] = json_pack("{s:s, s:O}", "intent", k, "count", v);
    }
    json_decref(all);
    qsort(items, n, sizeof(items[0]), intent_cmp);
    json_t *top = json_array();
    for (size_t i = 0; i < n; i++) {
        if (i < 10)
            json_array_append(top, items[i]);
        json_decref(items[i]);
    }
    return top;
}

static void bot_figures(json_t *row, const json_t *r)
{
    int64_t conv = raw(r, "conversations"), cont = raw(r, "contained");
    json_object_set_new(row, "conversations", json_integer(conv));
    json_object_set_new(row, "contained", json_integer(cont));
    json_object_set_new(row, "handedOff", json_integer(raw(r, "handedOff")));
    json_object_set_new(row, "containment", ratio(cont, conv));
    json_object_set_new(row, "fallbacks", json_integer(raw(r, "fallbacks")));
    json_object_set_new(row, "topIntents", top_intents(r));
}

static void chat_figures(json_t *row, const json_t *r)
{
    int64_t res = raw(r, "resolved"), resp = raw(r, "responded");
    json_object_set_new(row, "resolved", json_integer(res));
    json_object_set_new(row, "avgResolutionSeconds", avg_s(raw(r, "resolutionMs"), res));
    json_object_set_new(row, "longestResolutionSeconds",
                        avg_s(raw(r, "maxResolutionMs"), res ? 1 : 0));
    json_object_set_new(row, "responded", json_integer(resp));
    json_object_set_new(row, "avgFirstResponseSeconds", avg_s(raw(r, "firstResponseMs"), resp));
    json_object_set_new(row, "longestFirstResponseSeconds",
                        avg_s(raw(r, "maxFirstResponseMs"), resp ? 1 : 0));
}

static void satisfaction_figures(json_t *row, const json_t *r)
{
    int64_t n = raw(r, "responses");
    json_object_set_new(row, "responses", json_integer(n));
    json_object_set_new(row, "avgScore",
                        n ? json_real((double)raw(r, "scoreSum") / (double)n) : json_null());
    json_t *scores = json_object();
    char k[2] = "1", fig[16];
    for (int s = 1; s <= 5; s++) {
        k[0] = (char)('0' + s);
        snprintf(fig, sizeof(fig), "score.%d", s);
        json_object_set_new(scores, k, json_integer(raw(r, fig)));
    }
    json_object_set_new(row, "scores", scores);
}

static json_t *row_of(const struct report_query *q, const struct group *gr)
{
    json_t *row = json_object();
    json_object_set_new(row, "intervalStart", local_json(q->tz, gr->start));
    json_object_set_new(row, "intervalEnd", local_json(q->tz, interval_end(q, gr->start)));
    json_object_set_new(row, id_name(q), json_string(gr->id));
    if (q->scope != REPORT_AGENTS)
        json_object_set_new(row, "channel", json_string(gr->chan));
    switch (q->scope) {
    case REPORT_QUEUES:
        queue_figures(row, gr->raw, q->sl_seconds);
        break;
    case REPORT_AGENTS:
        agent_figures(row, gr->raw);
        break;
    case REPORT_ATTENDANTS:
        attendant_figures(row, gr->raw);
        break;
    case REPORT_BOTS:
        bot_figures(row, gr->raw);
        break;
    case REPORT_CHAT:
        chat_figures(row, gr->raw);
        break;
    default:
        satisfaction_figures(row, gr->raw);
        break;
    }
    return row;
}

json_t *report_rows(const struct report_table *t, const struct report_query *q)
{
    struct grouping g = {.q = q, .scope = table_scope(q), .index = json_object()};
    report_table_each(t, collect, &g);
    if (g.n)
        qsort(g.groups, g.n, sizeof(*g.groups), group_cmp);
    json_t *rows = json_array();
    for (size_t i = 0; i < g.n; i++) {
        json_array_append_new(rows, row_of(q, &g.groups[i]));
        free(g.groups[i].id);
        free(g.groups[i].chan);
        json_decref(g.groups[i].raw);
    }
    free(g.groups);
    json_decref(g.index);
    return rows;
}
