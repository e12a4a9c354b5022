/*
 * service.h - the reporting engine inside the server: the fold fed by the
 * event bus, its sums kept in the store (report_buckets, with the last
 * event folded, so a restart neither loses nor counts twice), the live
 * figures published on the event stream (topic "reports"), history
 * queries, Prometheus metrics and surveys. docs/reporting.md.
 */
#ifndef SB_REPORT_SERVICE_H
#define SB_REPORT_SERVICE_H

#include "report/report.h"

#include <jansson.h>
#include <stdint.h>

struct app;

/* The "reports" topic (managers and admins). */
int report_register(void);

/* Catch up with the event log, then follow it. */
int report_start(struct app *app);
void report_stop(struct app *app);

/* The organisation's time zone (never NULL while started). */
const struct tz *report_tz(struct app *app);
/* The configured service-level threshold in seconds. */
int report_sl_seconds(struct app *app);

/* Rows of a history query (q->tz is filled in). Flushes what was folded
 * first, so the rows include every event committed before the call. */
int report_history(struct app *app, struct report_query *q, json_t **rowsp);

/* The live figures: waiting contacts, longest waits, agents by state,
 * today's service level per queue. New reference. */
json_t *report_live(struct app *app);

/* Prometheus text exposition; caller frees. */
char *report_metrics(struct app *app);

/* The configured metrics token, or NULL. */
const char *report_metrics_token(struct app *app);

/* A consumer's post-chat survey: score 1-5, an optional comment (at most
 * 2000 bytes). EINVAL bad score, ENOENT no such thread, EALREADY
 * answered already; else a store error. */
int report_chat_survey(struct app *app, const char *thread_id, int score, const char *comment);
/* A caller's post-call survey (keys 1-5 on the phone), for the call
 * answered from a queue: same errors (ENOENT: a call the reports do
 * not know as answered from a queue is still recorded, without queue). */
int report_call_survey(struct app *app, const char *call_id, int score);

#endif
