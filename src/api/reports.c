/*
 * reports.c - /v1/reports/...: live figures and history by interval (JSON,
 * or CSV with ?format=csv or Accept: text/csv), /metrics in Prometheus
 * text, and a consumer's post-chat survey (docs/reporting.md, docs/api.md).
 */
#include "api/api_modules.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/libre.h"
#include "core/schedule.h"
#include "http/api.h"
#include "http/api_internal.h"
#include "report/service.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- dates in the organisation's zone ---- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool valid_date(int y, int m, int d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/* Local wall-clock seconds to UTC ms. */
static int64_t local_to_utc(const struct tz *tz, int64_t local_s)
{
    int64_t guess = local_s - tz_offset(tz, local_s);
    return (local_s - tz_offset(tz, guess)) * 1000;
}

/* "2026-12-07" (its start; with end: the next day's start) or
 * "2026-12-07T09:30" (a quarter hour). 0 or a phrase saying what is wrong. */
static const char *parse_time(const struct tz *tz, const char *s, bool end, int64_t *out)
{
    int y, m, d, hh = 0, mm = 0, n = 0;
    size_t len = strlen(s);
    bool with_time = len == 16;
    if ((len != 10 && len != 16) ||
        (with_time ? sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &m, &d, &hh, &mm, &n)
                   : sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n)) < (with_time ? 5 : 3) ||
        (size_t)n != len)
        return "a date like 2026-12-07 or a local time like 2026-12-07T09:30";
    if (!valid_date(y, m, d) || hh > 23 || mm > 59)
        return "a real date (and time) from 1970 on";
    if (mm % 15)
        return "a quarter hour (minutes 00, 15, 30 or 45)";
    int64_t days = days_from_civil(y, m, d) + (end && !with_time ? 1 : 0);
    *out = local_to_utc(tz, days * 86400 + hh * 3600 + mm * 60);
    return NULL;
}

/* ---- history ---- */

static bool wants_csv(const struct api_req *req)
{
    const char *format = api_query(req, "format");
    if (format)
        return strcmp(format, "csv") == 0;
    const struct http_hdr *h = http_msg_hdr(req->hreq->msg, HTTP_HDR_ACCEPT);
    char accept[256];
    return h && pl_strcpy(&h->val, accept, sizeof(accept)) == 0 && strstr(accept, "text/csv");
}

static const char *const id_params[REPORT_SCOPES] = {"queueId", "attendantId", "workerId",
                                                     "botId",   "queueId",     "queueId"};

/* Fill q from the query string or reply 400/422 and return false. */
static bool parse_query(struct api_req *req, enum report_scope scope, struct report_query *q)
{
    const struct tz *tz = report_tz(req->app);
    const char *from = api_query(req, "from"), *to = api_query(req, "to"),
               *interval = api_query(req, "interval"), *sl = api_query(req, "serviceLevelSeconds"),
               *format = api_query(req, "format"), *by = api_query(req, "by"),
               *channel = api_query(req, "channel"), *why;
    *q = (struct report_query){
        .scope = scope, .interval_min = 1440, .sl_seconds = report_sl_seconds(req->app)};
    if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
        api_reply_error(req, 400, "bad_request", "format must be json or csv");
        return false;
    }
    if (interval) {
        q->interval_min = strcmp(interval, "15m") == 0  ? 15
                          : strcmp(interval, "1h") == 0 ? 60
                          : strcmp(interval, "1d") == 0 ? 1440
                                                        : 0;
        if (!q->interval_min) {
            api_reply_error(req, 400, "bad_request",
                            "interval must be 15m, 1h or 1d; got \"%.40s\"", interval);
            return false;
        }
    }
    int64_t now = clock_now_ms();
    q->from = report_day_start(tz, now);
    if (from && (why = parse_time(tz, from, false, &q->from)) != NULL) {
        api_reply_error(req, 400, "bad_request", "from must be %s; got \"%.40s\"", why, from);
        return false;
    }
    q->to = 0;
    if (to && (why = parse_time(tz, to, true, &q->to)) != NULL) {
        api_reply_error(req, 400, "bad_request", "to must be %s; got \"%.40s\"", why, to);
        return false;
    }
    if (!to) /* the end of the day `from` falls in */
        q->to = report_day_start(tz, q->from + 26 * 3600 * 1000LL);
    int64_t max_days = q->interval_min == 15 ? 31 : q->interval_min == 60 ? 92 : 731;
    if (q->to <= q->from) {
        api_reply_error(req, 422, "invalid", "to must be after from");
        return false;
    }
    if (q->to - q->from > max_days * 86400000LL + 3600000LL) {
        api_reply_error(
            req, 422, "invalid",
            "a report with interval %s covers at most %lld days; ask for a shorter range",
            interval ? interval : "1d", (long long)max_days);
        return false;
    }
    if (sl) {
        char *endp;
        long v = strtol(sl, &endp, 10);
        if (*endp || endp == sl || !report_sl_threshold_ok((int)v)) {
            api_reply_error(req, 422, "invalid",
                            "serviceLevelSeconds must be one of 5, 10, 15, 20, 30, 45, 60, 90, 120,"
                            " 180, 300, 600");
            return false;
        }
        q->sl_seconds = (int)v;
    }
    if (channel && strcmp(channel, "voice") != 0 && strcmp(channel, "chat") != 0) {
        api_reply_error(req, 400, "bad_request", "channel must be voice or chat");
        return false;
    }
    q->channel = channel;
    q->id = api_query(req, id_params[scope]);
    if (by && scope == REPORT_SATISFACTION && strcmp(by, "queue") != 0 &&
        strcmp(by, "agent") != 0) {
        api_reply_error(req, 400, "bad_request", "by must be queue or agent");
        return false;
    }
    q->by_agent = by && strcmp(by, "agent") == 0;
    if (q->by_agent)
        q->id = api_query(req, "workerId");
    return true;
}

static void get_report(struct api_req *req)
{
    int scope = report_scope_parse(req->params[0]);
    if (scope < 0) {
        api_reply_error(req, 404, "not_found",
                        "no report \"%s\": queues, attendants, agents, bots, chat, satisfaction"
                        " or live",
                        req->params[0]);
        return;
    }
    struct report_query q;
    if (!parse_query(req, scope, &q))
        return;
    json_t *rows = NULL;
    int err = report_history(req->app, &q, &rows);
    if (err) {
        api_reply_store_error(req, err, "the report");
        return;
    }
    if (wants_csv(req)) {
        char *csv = report_rows_csv(rows);
        char headers[200];
        snprintf(headers, sizeof(headers),
                 "Content-Disposition: attachment; filename=\"%s.csv\"\r\n", req->params[0]);
        if (csv)
            api_reply_raw(req, 200, "text/csv; charset=utf-8", headers, csv, strlen(csv));
        else
            api_reply_error(req, 500, "internal", "out of memory");
        free(csv);
        json_decref(rows);
        return;
    }
    json_t *body =
        json_pack("{s:s, s:s, s:o, s:o, s:o}", "report", req->params[0], "interval",
                  q.interval_min == 15   ? "15m"
                  : q.interval_min == 60 ? "1h"
                                         : "1d",
                  "from", clock_time_json(q.from), "to", clock_time_json(q.to), "rows", rows);
    api_reply_json(req, 200, body);
}

static void get_live(struct api_req *req)
{
    api_reply_json(req, 200, report_live(req->app));
}

/* ---- /metrics ---- */

static bool metrics_token_ok(struct api_req *req)
{
    const char *want = report_metrics_token(req->app);
    const struct http_hdr *h = http_msg_hdr(req->hreq->msg, HTTP_HDR_AUTHORIZATION);
    char got[160];
    if (!want || !h || h->val.l <= 7 || h->val.l - 7 >= sizeof(got) ||
        strncasecmp(h->val.p, "Bearer ", 7) != 0)
        return false;
    struct pl tok = {h->val.p + 7, h->val.l - 7};
    return pl_strcpy(&tok, got, sizeof(got)) == 0 && secret_equal(got, want);
}

static void get_metrics(struct api_req *req)
{
    if (!metrics_token_ok(req)) {
        if (api_authenticate(req) != 0)
            return;
        if (!(req->who.role & ROLE_ADMIN)) {
            api_reply_error(req, 403, "forbidden",
                            "metrics are for an admin API key or the metrics token");
            return;
        }
    }
    char *text = report_metrics(req->app);
    if (!text) {
        api_reply_error(req, 500, "internal", "out of memory");
        return;
    }
    api_reply_raw(req, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, text, strlen(text));
    free(text);
}

/* ---- surveys ---- */

static void post_survey(struct api_req *req)
{
    const char *thread = req->params[0];
    if (req->who.kind != PRINCIPAL_CONSUMER || strcmp(req->who.id, thread) != 0) {
        api_reply_error(req, 403, "forbidden", "only the chat's consumer answers its survey");
        return;
    }
    json_t *score = json_object_get(req->body, "score"),
           *comment = json_object_get(req->body, "comment");
    if (!json_is_integer(score) || json_integer_value(score) < 1 || json_integer_value(score) > 5) {
        api_reply_error(req, 422, "invalid", "score must be an integer from 1 to 5");
        return;
    }
    if (comment && !json_is_null(comment) &&
        (!json_is_string(comment) || json_string_length(comment) > 2000)) {
        api_reply_error(req, 422, "invalid", "comment must be a string of at most 2000 bytes");
        return;
    }
    int err = report_chat_survey(req->app, thread, (int)json_integer_value(score),
                                 json_string_value(comment));
    if (err == EALREADY) {
        api_reply_error(req, 409, "already_answered", "this chat's survey is already answered");
        return;
    }
    if (err) {
        api_reply_store_error(req, err, "the survey");
        return;
    }
    api_reply_json(req, 201,
                   json_pack("{s:s, s:I}", "threadId", thread, "score", json_integer_value(score)));
}

static const struct api_route routes[] = {
    {"GET", "/v1/reports/live", ROLES_LEADS, 0, get_live},
    {"GET", "/v1/reports/{report}", ROLES_LEADS, 0, get_report},
    {"GET", "/metrics", 0, 0, get_metrics},
    {"POST", "/v1/chat/threads/{id}/survey", ROLE_CONSUMER, ROUTE_JSON_BODY, post_survey},
    {0},
};

int api_reports_register(void)
{
    return api_routes_register(routes);
}
