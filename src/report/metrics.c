/*
 * metrics.c - Prometheus text exposition (format 0.0.4) of the live
 * figures and the counters since start. Label values are ids of
 * configured queues and workers and fixed words (channel, state,
 * outcome): never free text, so every label set is bounded.
 */
#include "core/app.h"
#include "http/api.h"
#include "report/report_internal.h"
#include "report/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void label(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fputc('\\', f);
        if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void live_metrics(FILE *f, const json_t *live)
{
    const json_t *queues = json_object_get(live, "queues"), *q;
    size_t i;
    head(f, "switchboard_queue_waiting", "gauge", "Contacts waiting in the queue now.");
    json_array_foreach(queues, i, q)
    {
        fputs("switchboard_queue_waiting{queue=\"", f);
        label(f, json_string_value(json_object_get(q, "queueId")));
        fprintf(f, "\",channel=\"%s\"} %lld\n", json_string_value(json_object_get(q, "channel")),
                (long long)json_integer_value(json_object_get(q, "waiting")));
    }
    head(f, "switchboard_queue_longest_wait_seconds", "gauge",
         "How long the longest-waiting contact has waited.");
    json_array_foreach(queues, i, q)
    {
        fputs("switchboard_queue_longest_wait_seconds{queue=\"", f);
        label(f, json_string_value(json_object_get(q, "queueId")));
        fprintf(f, "\",channel=\"%s\"} %.3f\n", json_string_value(json_object_get(q, "channel")),
                json_number_value(json_object_get(q, "longestWaitSeconds")));
    }
    head(f, "switchboard_queue_service_level_today", "gauge",
         "Share of today's contacts answered within the threshold (docs/reporting.md).");
    json_array_foreach(queues, i, q)
    {
        const json_t *sl = json_object_get(json_object_get(q, "today"), "serviceLevel");
        if (!json_is_number(sl))
            continue;
        fputs("switchboard_queue_service_level_today{queue=\"", f);
        label(f, json_string_value(json_object_get(q, "queueId")));
        fprintf(f, "\",channel=\"%s\"} %.6f\n", json_string_value(json_object_get(q, "channel")),
                json_number_value(sl));
    }
    head(f, "switchboard_agents", "gauge", "Agents in each state now.");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(live, "agentsByState"), k, v)
        fprintf(f, "switchboard_agents{state=\"%s\"} %lld\n", k, (long long)json_integer_value(v));
    head(f, "switchboard_agent_state", "gauge", "1 for each agent's current state.");
    const json_t *a;
    json_array_foreach(json_object_get(live, "agents"), i, a)
    {
        fputs("switchboard_agent_state{agent=\"", f);
        label(f, json_string_value(json_object_get(a, "workerId")));
        fprintf(f, "\",state=\"%s\"} 1\n", json_string_value(json_object_get(a, "state")));
    }
}

/* Counters since start: figures of the queue and agent scopes. */
struct counter {
    const char *scope, *figure, *name, *label, *help;
};

static const struct counter counters[] = {
    {"queue", "offered", "switchboard_queue_contacts_total", "offered", "Contacts by outcome."},
    {"queue", "answered", NULL, "answered", NULL},
    {"queue", "abandoned", NULL, "abandoned", NULL},
    {"queue", "redirectedOverflow", NULL, "overflow", NULL},
    {"queue", "redirectedTimeout", NULL, "timeout", NULL},
    {"queue", "redirectedNoAgents", NULL, "noAgents", NULL},
    {"queue", "transfers", NULL, "transferred", NULL},
    {"agent", "handled", "switchboard_agent_contacts_handled_total", NULL,
     "Contacts handled (closed) by the agent."},
    {"agent", "declined", "switchboard_agent_offers_declined_total", NULL, "Offers declined."},
    {"agent", "expired", "switchboard_agent_offers_expired_total", NULL,
     "Offers the agent let expire."},
};

struct emit_arg {
    FILE *f;
    const struct counter *c;
    const char *name;
};

static void counter_cell(const struct report_inc *inc, void *arg)
{
    struct emit_arg *ea = arg;
    if (strcmp(inc->scope, ea->c->scope) != 0 || strcmp(inc->figure, ea->c->figure) != 0)
        return;
    fprintf(ea->f, "%s{%s=\"", ea->name, ea->c->label ? "queue" : "agent");
    label(ea->f, inc->id);
    if (ea->c->label)
        fprintf(ea->f, "\",channel=\"%s\",outcome=\"%s", inc->channel, ea->c->label);
    fprintf(ea->f, "\"} %lld\n", (long long)inc->value);
}

char *report_metrics(struct app *app)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    json_t *live = report_live(app);
    live_metrics(f, live);
    json_decref(live);
    const char *name = NULL;
    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
        const struct counter *c = &counters[i];
        if (c->name) {
            name = c->name;
            head(f, name, "counter", c->help);
        }
        struct emit_arg ea = {f, c, name};
        report_table_each(app->report->totals, counter_cell, &ea);
    }
    const struct api_stats *st = api_stats();
    head(f, "switchboard_http_requests_total", "counter", "HTTP requests by status class.");
    for (int c = 1; c <= 5; c++)
        fprintf(f, "switchboard_http_requests_total{class=\"%dxx\"} %llu\n", c,
                (unsigned long long)st->by_class[c]);
    fclose(f);
    return buf;
}
