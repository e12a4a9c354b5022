/*
 * test_report.c - the reporting engine's pure core on a scripted day.
 *
 * Monday 7 December 2026 (UTC): two agents (w1 = user u1, w2 = user u2),
 * queue "support" answering calls and chats, an auto attendant "main" and
 * a bot "assistant". Every event below is what the router, the calls and
 * the chat append in the server (same types and fields). Each figure the
 * reports give is worked out by hand in the comments and checked, for
 * 1-day, hourly and 15-minute intervals, in UTC and in Europe/Paris, and
 * as CSV; then the live view at 09:20:30; and the fold's rebuild mode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/events.h"
#include "core/schedule.h"
#include "report/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-12-07T00:00:00Z */
#define DAY         1796601600000LL
#define AT(h, m, s) (DAY + ((h)*3600LL + (m)*60LL + (s)) * 1000LL)

struct ev {
    int64_t time;
    const char *topic, *type, *subject, *data;
};

/* The day, in order. Router events carry workerUserId as the server adds. */
static const struct ev day[] = {
    /* Both agents sign in available at 08:00. */
    {AT(8, 0, 0), "router", "workerRegistered", "w1",
     "{\"workerId\":\"w1\",\"workerUserId\":\"u1\",\"available\":true}"},
    {AT(8, 0, 0), "router", "workerRegistered", "w2",
     "{\"workerId\":\"w2\",\"workerUserId\":\"u2\",\"available\":true}"},

    /* The attendant. a1 presses 1 and goes to the queue; a2 says nothing,
     * then says "two" (an announcement) and hangs up there; a3 presses a
     * wrong key, then dials extension 1234; a4 hangs up in the greeting. */
    {AT(8, 30, 0), "calls", "attendantEntered", "a1", "{\"attendant\":\"main\"}"},
    {AT(8, 30, 5), "calls", "attendantOption", "a1",
     "{\"attendant\":\"main\",\"key\":\"1\",\"input\":\"dtmf\",\"target\":\"callQueue\"}"},
    {AT(8, 30, 5), "calls", "callRedirected", "a1",
     "{\"from\":\"attendant\",\"target\":{\"kind\":\"callQueue\",\"callQueue\":\"support\"}}"},
    {AT(8, 31, 0), "calls", "attendantEntered", "a2", "{\"attendant\":\"main\"}"},
    {AT(8, 31, 10), "calls", "attendantNoInput", "a2", "{\"attendant\":\"main\",\"try\":1}"},
    {AT(8, 31, 15), "calls", "attendantNotRecognised", "a2",
     "{\"attendant\":\"main\",\"via\":\"speech\",\"confidence\":20}"},
    {AT(8, 31, 20), "calls", "attendantOption", "a2",
     "{\"attendant\":\"main\",\"key\":\"2\",\"input\":\"speech\",\"target\":\"announcement\"}"},
    {AT(8, 32, 0), "calls", "callEnded", "a2", "{\"endedBy\":\"caller\"}"},
    {AT(8, 33, 0), "calls", "attendantEntered", "a3", "{\"attendant\":\"main\"}"},
    {AT(8, 33, 5), "calls", "attendantInvalid", "a3", "{\"attendant\":\"main\",\"input\":\"9\"}"},
    {AT(8, 33, 10), "calls", "attendantOption", "a3",
     "{\"attendant\":\"main\",\"key\":\"1234\",\"input\":\"dtmf\",\"target\":\"extension\"}"},
    {AT(8, 33, 10), "calls", "callRedirected", "a3",
     "{\"from\":\"attendant\",\"target\":{\"kind\":\"extension\",\"extension\":\"1234\"}}"},
    {AT(8, 35, 0), "calls", "callEnded", "a3", "{}"},
    /* a5 says a name: dial by name connects it (an option, then the
     * directory's result, then the redirect to the person). */
    {AT(8, 36, 0), "calls", "attendantEntered", "a5", "{\"attendant\":\"main\"}"},
    {AT(8, 36, 5), "calls", "attendantOption", "a5",
     "{\"attendant\":\"main\",\"key\":\"9\",\"input\":\"speech\",\"target\":\"directory\"}"},
    {AT(8, 36, 20), "calls", "attendantDirectory", "a5",
     "{\"attendant\":\"main\",\"method\":\"speech\",\"result\":\"connected\",\"userId\":\"u1\"}"},
    {AT(8, 36, 20), "calls", "callRedirected", "a5",
     "{\"from\":\"attendant\",\"target\":{\"kind\":\"person\",\"user\":\"alice\"}}"},
    {AT(8, 40, 0), "calls", "attendantEntered", "a4", "{\"attendant\":\"main\"}"},
    {AT(8, 40, 30), "calls", "callEnded", "a4", "{}"},

    /* C1 (job j1, call c1): queued 09:00:00, answered by w1 after 10 s,
     * talk 300 s, wrap-up 30 s. */
    {AT(9, 0, 0), "router", "jobReceived", "j1",
     "{\"jobId\":\"j1\",\"channelId\":\"voice\",\"labels\":{\"callId\":\"c1\"}}"},
    {AT(9, 0, 0), "router", "jobQueued", "j1", "{\"jobId\":\"j1\",\"queueId\":\"support\"}"},
    {AT(9, 0, 0), "router", "offerIssued", "j1",
     "{\"jobId\":\"j1\",\"workerId\":\"w1\",\"workerUserId\":\"u1\",\"offerId\":\"o1\"}"},
    /* The chat thread th1 opens with the bot at the same time. */
    {AT(9, 0, 0), "chat", "threadOpened", "th1", "{\"widget\":\"web\",\"bot\":\"assistant\"}"},
    {AT(9, 0, 5), "chat", "botIntent", "th1", "{\"intent\":\"hours\"}"},
    {AT(9, 0, 10), "router", "offerAccepted", "j1",
     "{\"jobId\":\"j1\",\"workerId\":\"w1\",\"workerUserId\":\"u1\",\"offerId\":\"o1\"}"},
    {AT(9, 0, 10), "router", "jobAssigned", "j1",
     "{\"jobId\":\"j1\",\"workerId\":\"w1\",\"workerUserId\":\"u1\",\"queueId\":\"support\"}"},
    {AT(9, 0, 10), "calls", "queueAnswered", "c1",
     "{\"callId\":\"c1\",\"jobId\":\"j1\",\"workerId\":\"w1\",\"queueId\":\"support\"}"},
    {AT(9, 0, 10), "chat", "botIntent", "th1", "{\"intent\":\"returns\"}"},
    {AT(9, 0, 20), "chat", "botFallback", "th1", "{\"misses\":1}"},
    /* th1 asks for a person at 09:01:00: job j6 (chat). w1 declines it,
     * w2 takes it after 20 s, and answers the consumer at 09:01:50:
     * first response 50 s after the handoff. */
    {AT(9, 1, 0), "chat", "handedOff", "th1", "{\"queue\":\"support\",\"jobId\":\"j6\"}"},
    {AT(9, 1, 0), "router", "jobReceived", "j6", "{\"jobId\":\"j6\",\"channelId\":\"chat\"}"},
    {AT(9, 1, 0), "router", "jobQueued", "j6", "{\"jobId\":\"j6\",\"queueId\":\"support\"}"},
    {AT(9, 1, 0), "router", "offerIssued", "j6",
     "{\"jobId\":\"j6\",\"workerId\":\"w1\",\"workerUserId\":\"u1\",\"offerId\":\"o6a\"}"},
    {AT(9, 1, 5), "router", "offerDeclined", "j6",
     "{\"jobId\":\"j6\",\"workerId\":\"w1\",\"workerUserId\":\"u1\",\"offerId\":\"o6a\"}"},
    {AT(9, 1, 5), "router", "offerIssued", "j6",
     "{\"jobId\":\"j6\",\"workerId\":\"w2\",\"workerUserId\":\"u2\",\"offerId\":\"o6b\"}"},
    {AT(9, 1, 20), "router", "jobAssigned", "j6",
     "{\"jobId\":\"j6\",\"workerId\":\"w2\",\"workerUserId\":\"u2\",\"queueId\":\"support\"}"},
    {AT(9, 1, 20), "chat", "agentJoined", "th1", "{\"userId\":\"u2\",\"workerId\":\"w2\"}"},
    {AT(9, 1, 30), "chat", "messageCreated", "th1", "{\"senderKind\":\"consumer\"}"},
    {AT(9, 1, 50), "chat", "messageCreated", "th1", "{\"senderKind\":\"agent\"}"},
    {AT(9, 2, 0), "chat", "messageCreated", "th1", "{\"senderKind\":\"agent\"}"},
    /* C2 (j2, c2): queued 09:02:00; w2 lets the first offer expire, takes
     * the second: answered after 30 s; transferred at 09:04:00; talk
     * 240 s, no wrap-up. */
    {AT(9, 2, 0), "router", "jobReceived", "j2",
     "{\"jobId\":\"j2\",\"channelId\":\"voice\",\"labels\":{\"callId\":\"c2\"}}"},
    {AT(9, 2, 0), "router", "jobQueued", "j2", "{\"jobId\":\"j2\",\"queueId\":\"support\"}"},
    {AT(9, 2, 0), "router", "offerIssued", "j2",
     "{\"jobId\":\"j2\",\"workerId\":\"w2\",\"workerUserId\":\"u2\",\"offerId\":\"o2a\"}"},
    {AT(9, 2, 15), "router", "offerExpired", "j2",
     "{\"jobId\":\"j2\",\"workerId\":\"w2\",\"workerUserId\":\"u2\",\"offerId\":\"o2a\"}"},
    {AT(9, 2, 20), "router", "offerIssued", "j2",
     "{\"jobId\":\"j2\",\"workerId\":\"w2\",\"workerUserId\":\"u2\",\"offerId\":\"o2b\"}"},
    {AT(9, 2, 30), "router", "jobAssigned", "j2",
     "{\"jobId\":\"j2\",\"workerId\":\"w2\",\"workerUserId\":\"u2\",\"queueId\":\"support\"}"},
    {AT(9, 2, 30), "calls", "queueAnswered", "c2",
     "{\"callId\":\"c2\",\"jobId\":\"j2\",\"workerId\":\"w2\",\"queueId\":\"support\"}"},
    /* w1 puts c1 on hold for 60 s. */
    {AT(9, 3, 0), "calls", "callHeld", "c1", "{\"callId\":\"c1\"}"},
    {AT(9, 4, 0), "calls", "callResumed", "c1", "{\"callId\":\"c1\"}"},
    {AT(9, 4, 0), "calls", "callTransferred", "c2", "{\"kind\":\"attended\"}"},
    /* Callbacks of the support call queue: three asked for; one reached,
     * one whose number never answered, one cancelled by a manager; one
     * without a router queue is not counted. */
    {AT(9, 4, 1), "calls", "callbackRequested", "cb1",
     "{\"callbackId\":\"cb1\",\"queueId\":\"support\",\"callQueue\":\"support\"}"},
    {AT(9, 4, 2), "calls", "callbackRequested", "cb2",
     "{\"callbackId\":\"cb2\",\"queueId\":\"support\"}"},
    {AT(9, 4, 3), "calls", "callbackRequested", "cb3",
     "{\"callbackId\":\"cb3\",\"queueId\":\"support\"}"},
    {AT(9, 4, 4), "calls", "callbackRequested", "cb4", "{\"callbackId\":\"cb4\"}"},
    {AT(9, 4, 10), "calls", "callbackConnected", "cb1",
     "{\"callbackId\":\"cb1\",\"queueId\":\"support\"}"},
    {AT(9, 4, 20), "calls", "callbackAttemptFailed", "cb2",
     "{\"callbackId\":\"cb2\",\"queueId\":\"support\"}"},
    {AT(9, 4, 30), "calls", "callbackFailed", "cb2",
     "{\"callbackId\":\"cb2\",\"queueId\":\"support\"}"},
    {AT(9, 4, 40), "calls", "callbackCancelled", "cb3",
     "{\"callbackId\":\"cb3\",\"queueId\":\"support\"}"},

    {AT(9, 5, 10), "router", "jobCompleted", "j1",
     "{\"jobId\":\"j1\",\"workerId\":\"w1\",\"workerUserId\":\"u1\"}"},
    {AT(9, 5, 40), "router", "jobClosed", "j1",
     "{\"jobId\":\"j1\",\"workerId\":\"w1\",\"workerUserId\":\"u1\",\"dispositionCode\":"
     "\"completed\"}"},
    {AT(9, 6, 30), "router", "jobCompleted", "j2",
     "{\"jobId\":\"j2\",\"workerId\":\"w2\",\"workerUserId\":\"u2\"}"},
    {AT(9, 6, 30), "router", "jobClosed", "j2",
     "{\"jobId\":\"j2\",\"workerId\":\"w2\",\"workerUserId\":\"u2\",\"dispositionCode\":"
     "\"completed\"}"},
    {AT(9, 6, 30), "calls", "callEnded", "c2", "{}"},
    /* Post-call surveys: 5 for w1 (c1), 2 for w2 (c2). */
    {AT(9, 7, 0), "reports", "surveyAnswered", "c1",
     "{\"channel\":\"voice\",\"queueId\":\"support\",\"workerId\":\"w1\",\"score\":5}"},
    {AT(9, 8, 0), "reports", "surveyAnswered", "c2",
     "{\"channel\":\"voice\",\"queueId\":\"support\",\"workerId\":\"w2\",\"score\":2}"},
    /* C3 (j3): abandoned after 8 s (a short abandon, within 20 s). */
    {AT(9, 10, 0), "router", "jobReceived", "j3", "{\"jobId\":\"j3\",\"channelId\":\"voice\"}"},
    {AT(9, 10, 0), "router", "jobQueued", "j3", "{\"jobId\":\"j3\",\"queueId\":\"support\"}"},
    {AT(9, 10, 8), "router", "jobCancelled", "j3",
     "{\"jobId\":\"j3\",\"queueId\":\"support\",\"dispositionCode\":\"abandoned\"}"},
    /* th1 ends at 09:10:00 (resolution 600 s); w2 completes j6 then and
     * closes it after 60 s of wrap-up; the consumer rates the chat 4. */
    {AT(9, 10, 0), "chat", "threadEnded", "th1", "{\"by\":\"consumer\"}"},
    {AT(9, 10, 0), "router", "jobCompleted", "j6",
     "{\"jobId\":\"j6\",\"workerId\":\"w2\",\"workerUserId\":\"u2\"}"},
    {AT(9, 11, 0), "router", "jobClosed", "j6",
     "{\"jobId\":\"j6\",\"workerId\":\"w2\",\"workerUserId\":\"u2\",\"dispositionCode\":"
     "\"resolved\"}"},
    {AT(9, 12, 0), "reports", "surveyAnswered", "th1",
     "{\"channel\":\"chat\",\"queueId\":\"support\",\"userId\":\"u2\",\"score\":4}"},
    /* C4 (j4): abandoned after 60 s. */
    {AT(9, 20, 0), "router", "jobReceived", "j4", "{\"jobId\":\"j4\",\"channelId\":\"voice\"}"},
    {AT(9, 20, 0), "router", "jobQueued", "j4", "{\"jobId\":\"j4\",\"queueId\":\"support\"}"},
    {AT(9, 21, 0), "router", "jobCancelled", "j4",
     "{\"jobId\":\"j4\",\"queueId\":\"support\",\"dispositionCode\":\"abandoned\"}"},
    /* C5 (j5): the call queue's timeout sends it on after 120 s. */
    {AT(9, 30, 0), "router", "jobReceived", "j5", "{\"jobId\":\"j5\",\"channelId\":\"voice\"}"},
    {AT(9, 30, 0), "router", "jobQueued", "j5", "{\"jobId\":\"j5\",\"queueId\":\"support\"}"},
    {AT(9, 32, 0), "calls", "queueRedirected", "c5",
     "{\"reason\":\"timeout\",\"jobId\":\"j5\",\"queueId\":\"support\",\"waitedMs\":120000}"},
    {AT(9, 32, 0), "router", "jobCancelled", "j5",
     "{\"jobId\":\"j5\",\"queueId\":\"support\",\"dispositionCode\":\"timeout\"}"},
    /* C6 overflows on arrival; C7 finds no agents on arrival (no job). */
    {AT(9, 40, 0), "calls", "queueRedirected", "c6",
     "{\"reason\":\"overflow\",\"queueId\":\"support\",\"waitedMs\":0}"},
    {AT(9, 50, 0), "calls", "queueRedirected", "c7",
     "{\"reason\":\"noAgents\",\"queueId\":\"support\",\"waitedMs\":0}"},
    /* th2: the bot answers and ends it (contained; resolution 60 s). */
    {AT(10, 0, 0), "chat", "threadOpened", "th2", "{\"widget\":\"web\",\"bot\":\"assistant\"}"},
    {AT(10, 0, 5), "chat", "botIntent", "th2", "{\"intent\":\"hours\"}"},
    {AT(10, 1, 0), "chat", "threadEnded", "th2", "{\"by\":\"bot\"}"},
    /* th3: handed off at 10:30:30, the consumer gives up after 120 s
     * (job j7 abandoned); resolution 150 s, never answered. */
    {AT(10, 30, 0), "chat", "threadOpened", "th3", "{\"widget\":\"web\",\"bot\":\"assistant\"}"},
    {AT(10, 30, 30), "chat", "handedOff", "th3", "{\"queue\":\"support\",\"jobId\":\"j7\"}"},
    {AT(10, 30, 30), "router", "jobReceived", "j7", "{\"jobId\":\"j7\",\"channelId\":\"chat\"}"},
    {AT(10, 30, 30), "router", "jobQueued", "j7", "{\"jobId\":\"j7\",\"queueId\":\"support\"}"},
    {AT(10, 32, 30), "router", "jobCancelled", "j7",
     "{\"jobId\":\"j7\",\"queueId\":\"support\",\"dispositionCode\":\"endedByConsumer\"}"},
    {AT(10, 32, 30), "chat", "threadEnded", "th3", "{\"by\":\"consumer\"}"},
    /* w1 goes to lunch at 12:00. */
    {AT(12, 0, 0), "router", "workerUpdated", "w1",
     "{\"workerId\":\"w1\",\"workerUserId\":\"u1\",\"available\":false,\"reason\":\"lunch\"}"},
};

static const size_t nday = sizeof(day) / sizeof(day[0]);

static void feed(struct report_fold *f, const struct ev *e)
{
    json_error_t jerr;
    json_t *data = json_loads(e->data, 0, &jerr);
    assert_non_null(data);
    struct event ev = {.seq = 1,
                       .time = e->time,
                       .topic = e->topic,
                       .type = e->type,
                       .subject = e->subject,
                       .data = data};
    report_fold_event(f, &ev);
    json_decref(data);
}

struct world {
    struct report_fold *fold;
    struct report_table *table;
    struct tz *utc, *paris;
};

/* Feed the day up to 13:00, where agents' state time is counted. */
static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    assert_int_equal(report_table_alloc(&w->table), 0);
    struct report_fold_opts o = {.inch = report_table_inc, .arg = w->table};
    assert_int_equal(report_fold_alloc(&w->fold, &o), 0);
    assert_int_equal(tz_load(&w->utc, "UTC"), 0);
    assert_int_equal(tz_load(&w->paris, "Europe/Paris"), 0);
    for (size_t i = 0; i < nday; i++)
        feed(w->fold, &day[i]);
    report_fold_advance(w->fold, AT(13, 0, 0));
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    report_fold_free(w->fold);
    report_table_free(w->table);
    tz_free(w->utc);
    tz_free(w->paris);
    free(w);
    return 0;
}

static json_t *rows(struct world *w, enum report_scope s, int interval, const struct tz *tz, int sl)
{
    struct report_query q = {.scope = s,
                             .from = DAY,
                             .to = DAY + 86400000LL,
                             .interval_min = interval,
                             .tz = tz,
                             .sl_seconds = sl};
    return report_rows(w->table, &q);
}

static const json_t *row_for(const json_t *rows, const char *key, const char *id, const char *chan)
{
    size_t i;
    const json_t *r;
    json_array_foreach(rows, i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, key)), id) == 0 &&
            (!chan || strcmp(json_string_value(json_object_get(r, "channel")), chan) == 0))
            return r;
    }
    fail_msg("no row for %s %s", id, chan ? chan : "");
    return NULL;
}

static json_int_t num(const json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    const json_t *v = o;
    for (char *k = strtok(buf, "/"); k; k = strtok(NULL, "/"))
        v = json_object_get(v, k);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static void near(const json_t *o, const char *path, double want)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    const json_t *v = o;
    for (char *k = strtok(buf, "/"); k; k = strtok(NULL, "/"))
        v = json_object_get(v, k);
    if (!json_is_number(v))
        fail_msg("%s is not a number", path);
    if (fabs(json_number_value(v) - want) > 1e-9)
        fail_msg("%s: want %.9f, got %.9f", path, want, json_number_value(v));
}

static void is_null(const json_t *o, const char *key)
{
    assert_true(json_is_null(json_object_get(o, key)));
}

/* ---- queues ---- */

static void voice_queue_day(void **state)
{
    struct world *w = *state;
    json_t *rs = rows(w, REPORT_QUEUES, 1440, w->utc, 20);
    assert_int_equal(json_array_size(rs), 2); /* support voice, support chat */
    const json_t *r = row_for(rs, "queueId", "support", "voice");
    /* Offered: j1..j5 entered the queue, c6 and c7 came and were sent on. */
    assert_int_equal(num(r, "offered"), 7);
    assert_int_equal(num(r, "answered"), 2);  /* j1 after 10 s, j2 after 30 s */
    assert_int_equal(num(r, "abandoned"), 2); /* j3 after 8 s, j4 after 60 s */
    assert_int_equal(num(r, "redirects/overflow"), 1);
    assert_int_equal(num(r, "redirects/timeout"),
                     1); /* j5 (its queueRedirected is not counted twice) */
    assert_int_equal(num(r, "redirects/noAgents"), 1);
    assert_int_equal(num(r, "transfers"), 1); /* c2 */
    assert_int_equal(num(r, "callbacks/requested"), 3);
    assert_int_equal(num(r, "callbacks/connected"), 1);
    assert_int_equal(num(r, "callbacks/failed"), 1);
    assert_int_equal(num(r, "callbacks/cancelled"), 1);
    /* Service level at 20 s: answered within 20 s = 1 (j1); abandoned
     * within 20 s = 1 (j3) is left out; timeouts count against:
     * 1 / (2 answered + 2 abandoned - 1 short abandon + 1 timeout) = 1/4. */
    assert_int_equal(num(r, "answeredWithinThreshold"), 1);
    assert_int_equal(num(r, "abandonedWithinThreshold"), 1);
    near(r, "serviceLevel", 0.25);
    assert_int_equal(num(r, "serviceLevelSeconds"), 20);
    near(r, "avgSpeedOfAnswerSeconds", 20.0); /* (10 + 30) / 2 */
    /* Waits of all 7 that left: 10 + 30 + 8 + 60 + 120 + 0 + 0 = 228. */
    near(r, "avgWaitSeconds", 228.0 / 7.0);
    near(r, "longestWaitSeconds", 120.0);
    near(r, "avgAbandonSeconds", 34.0); /* (8 + 60) / 2 */
    near(r, "longestAbandonSeconds", 60.0);
    /* Handled: j1 (answer to completion 300 s, of which 60 s on hold;
     * wrap 30), j2 (talk 240, wrap 0). Handle = talk + hold + wrap. */
    assert_int_equal(num(r, "handled"), 2);
    near(r, "avgHandleSeconds", 285.0); /* (240 + 60 + 30 + 240) / 2 */
    near(r, "avgTalkSeconds", 240.0);   /* (240 + 240) / 2 */
    near(r, "avgHoldSeconds", 30.0);    /* 60 / 2 */
    near(r, "avgWrapUpSeconds", 15.0);
    json_decref(rs);
}

static void service_level_thresholds(void **state)
{
    struct world *w = *state;
    /* 10 s: j1 waited exactly 10 s (within); j3 abandoned within:
     * 1 / (2 + 2 - 1 + 1) = 0.25. */
    json_t *rs = rows(w, REPORT_QUEUES, 1440, w->utc, 10);
    near(row_for(rs, "queueId", "support", "voice"), "serviceLevel", 0.25);
    json_decref(rs);
    /* 30 s: j1 and j2 within; one short abandon: 2 / 4 = 0.5. */
    rs = rows(w, REPORT_QUEUES, 1440, w->utc, 30);
    near(row_for(rs, "queueId", "support", "voice"), "serviceLevel", 0.5);
    json_decref(rs);
    /* 60 s: both abandons within (60 s is within 60): 2 / (2 + 2 - 2 + 1). */
    rs = rows(w, REPORT_QUEUES, 1440, w->utc, 60);
    near(row_for(rs, "queueId", "support", "voice"), "serviceLevel", 2.0 / 3.0);
    json_decref(rs);
}

static void chat_queue_day(void **state)
{
    struct world *w = *state;
    json_t *rs = rows(w, REPORT_QUEUES, 1440, w->utc, 20);
    const json_t *r = row_for(rs, "queueId", "support", "chat");
    assert_int_equal(num(r, "offered"), 2);   /* j6, j7 */
    assert_int_equal(num(r, "answered"), 1);  /* j6 after 20 s: within 20 */
    assert_int_equal(num(r, "abandoned"), 1); /* j7 after 120 s */
    near(r, "serviceLevel", 0.5);             /* 1 / (1 + 1 - 0 + 0) */
    near(r, "avgSpeedOfAnswerSeconds", 20.0);
    near(r, "longestWaitSeconds", 120.0);
    assert_int_equal(num(r, "handled"), 1);
    near(r, "avgHandleSeconds", 580.0); /* talk 09:01:20-09:10:00 = 520, wrap 60 */
    near(r, "avgTalkSeconds", 520.0);
    near(r, "avgWrapUpSeconds", 60.0);
    assert_int_equal(num(r, "transfers"), 0);
    json_decref(rs);
}

static void intervals_in_a_time_zone(void **state)
{
    struct world *w = *state;
    /* 15 minutes: voice arrivals by bucket: 09:00 j1 j2 j3 (3), 09:15 j4,
     * 09:30 j5 + c6 (2), 09:45 c7. */
    json_t *rs = rows(w, REPORT_QUEUES, 15, w->utc, 20);
    int64_t want[][2] = {{0, 3}, {15, 1}, {30, 2}, {45, 1}};
    size_t found = 0, i;
    const json_t *r;
    json_array_foreach(rs, i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "channel")), "voice") != 0)
            continue;
        char start[40];
        snprintf(start, sizeof(start), "2026-12-07T09:%02d:00+00:00", (int)want[found][0]);
        assert_string_equal(json_string_value(json_object_get(r, "intervalStart")), start);
        assert_int_equal(num(r, "offered"), want[found][1]);
        found++;
    }
    assert_int_equal(found, 4);
    json_decref(rs);
    /* Hourly in Paris (UTC+1 in December): 09:00Z is 10:00 there. */
    rs = rows(w, REPORT_QUEUES, 60, w->paris, 20);
    r = row_for(rs, "queueId", "support", "voice");
    assert_string_equal(json_string_value(json_object_get(r, "intervalStart")),
                        "2026-12-07T10:00:00+01:00");
    assert_string_equal(json_string_value(json_object_get(r, "intervalEnd")),
                        "2026-12-07T11:00:00+01:00");
    assert_int_equal(num(r, "offered"), 7);
    json_decref(rs);
    /* Daily in Paris: the day from its local midnight (23:00Z before). */
    struct report_query q = {.scope = REPORT_QUEUES,
                             .from = DAY - 3600000LL,
                             .to = DAY + 23 * 3600000LL,
                             .interval_min = 1440,
                             .tz = w->paris,
                             .sl_seconds = 20};
    rs = report_rows(w->table, &q);
    r = row_for(rs, "queueId", "support", "voice");
    assert_string_equal(json_string_value(json_object_get(r, "intervalStart")),
                        "2026-12-07T00:00:00+01:00");
    assert_string_equal(json_string_value(json_object_get(r, "intervalEnd")),
                        "2026-12-08T00:00:00+01:00");
    json_decref(rs);
}

/* ---- agents ---- */

static void agents_day(void **state)
{
    struct world *w = *state;
    json_t *rs = rows(w, REPORT_AGENTS, 1440, w->utc, 20);
    assert_int_equal(json_array_size(rs), 2);
    /* w1: available 08:00:00-09:00:10 (3610 s) and 09:05:40-12:00:00
     * (10460 s); busy with j1 09:00:10-09:05:10 (300 s); wrap-up until
     * 09:05:40 (30 s); unavailable (lunch) 12:00-13:00 (3600 s).
     * Occupancy (300 + 30) / (14070 + 330) = 330 / 14400. */
    const json_t *r = row_for(rs, "workerId", "w1", NULL);
    near(r, "stateSeconds/available", 14070.0);
    near(r, "stateSeconds/busy", 300.0);
    near(r, "stateSeconds/wrapUp", 30.0);
    near(r, "stateSeconds/unavailable", 3600.0);
    near(r, "occupancy", 330.0 / 14400.0);
    assert_int_equal(num(r, "answered"), 1);
    assert_int_equal(num(r, "handled"), 1);
    near(r, "avgHandleSeconds", 330.0);
    near(r, "avgTalkSeconds", 240.0); /* 300 less 60 on hold */
    near(r, "avgHoldSeconds", 60.0);
    assert_int_equal(num(r, "offers"), 2);   /* j1, j6 */
    assert_int_equal(num(r, "declined"), 1); /* j6 */
    assert_int_equal(num(r, "expired"), 0);
    /* w2: available 08:00:00-09:01:20 (3680 s) and 09:11:00-13:00 (13740
     * s); busy 09:01:20-09:10:00 (j6, and j2 09:02:30-09:06:30 at the
     * same time: 520 s); wrap-up of j6 60 s. Occupancy 580 / 18000. */
    r = row_for(rs, "workerId", "w2", NULL);
    near(r, "stateSeconds/available", 17420.0);
    near(r, "stateSeconds/busy", 520.0);
    near(r, "stateSeconds/wrapUp", 60.0);
    near(r, "stateSeconds/unavailable", 0.0);
    near(r, "occupancy", 580.0 / 18000.0);
    assert_int_equal(num(r, "answered"), 2);
    assert_int_equal(num(r, "handled"), 2); /* j2 (240 + 0), j6 (520 + 60) */
    near(r, "avgHandleSeconds", 410.0);     /* 820 / 2 */
    near(r, "avgTalkSeconds", 380.0);
    near(r, "avgWrapUpSeconds", 30.0);
    assert_int_equal(num(r, "offers"), 3);  /* j6, j2 twice */
    assert_int_equal(num(r, "expired"), 1); /* j2's first */
    assert_int_equal(num(r, "declined"), 0);
    json_decref(rs);
    /* Hourly, w1's 09:00 hour: available 10 s + 09:05:40-10:00 (3260 s). */
    rs = rows(w, REPORT_AGENTS, 60, w->utc, 20);
    size_t i;
    json_array_foreach(rs, i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "workerId")), "w1") == 0 &&
            strcmp(json_string_value(json_object_get(r, "intervalStart")),
                   "2026-12-07T09:00:00+00:00") == 0) {
            near(r, "stateSeconds/available", 3270.0);
            near(r, "stateSeconds/busy", 300.0);
            near(r, "stateSeconds/wrapUp", 30.0);
        }
    }
    json_decref(rs);
}

/* ---- attendants, bots, chat, satisfaction ---- */

static void attendant_day(void **state)
{
    struct world *w = *state;
    json_t *rs = rows(w, REPORT_ATTENDANTS, 1440, w->utc, 20);
    const json_t *r = row_for(rs, "attendantId", "main", "voice");
    assert_int_equal(num(r, "calls"), 5);
    assert_int_equal(num(r, "options/1"), 1);
    assert_int_equal(num(r, "options/2"), 1);
    assert_int_equal(num(r, "options/9"), 1);
    assert_int_equal(num(r, "options/extension"), 1);
    assert_int_equal(num(r, "byKey"), 2);    /* a1's 1, a3's 1234 */
    assert_int_equal(num(r, "bySpeech"), 2); /* a2's "two", a5's name */
    assert_int_equal(num(r, "invalid"), 1);  /* a3's 9 */
    assert_int_equal(num(r, "noInput"), 1);  /* a2's silence */
    assert_int_equal(num(r, "notRecognised"), 1);
    assert_int_equal(num(r, "recognitionFailures"), 3);
    assert_int_equal(num(r, "directory/connected"), 1);
    assert_int_equal(num(r, "redirects"), 3);
    assert_int_equal(num(r, "redirectTargets/callQueue"), 1);
    assert_int_equal(num(r, "redirectTargets/extension"), 1);
    assert_int_equal(num(r, "redirectTargets/person"), 1);
    assert_int_equal(num(r, "contained"), 2); /* a2, a4 */
    near(r, "containment", 0.4);              /* 2 / 5 */
    json_decref(rs);
}

static void bot_day(void **state)
{
    struct world *w = *state;
    json_t *rs = rows(w, REPORT_BOTS, 1440, w->utc, 20);
    const json_t *r = row_for(rs, "botId", "assistant", "chat");
    assert_int_equal(num(r, "conversations"), 3);
    assert_int_equal(num(r, "handedOff"), 2); /* th1, th3 */
    assert_int_equal(num(r, "contained"), 1); /* th2 */
    near(r, "containment", 1.0 / 3.0);
    assert_int_equal(num(r, "fallbacks"), 1);
    const json_t *top = json_object_get(r, "topIntents");
    assert_int_equal(json_array_size(top), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(top, 0), "intent")),
                        "hours");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(top, 0), "count")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(top, 1), "intent")),
                        "returns");
    json_decref(rs);
}

static void chat_times(void **state)
{
    struct world *w = *state;
    json_t *rs = rows(w, REPORT_CHAT, 1440, w->utc, 20);
    /* support: th1 (600 s, first response 50 s), th3 (150 s, none). */
    const json_t *r = row_for(rs, "queueId", "support", "chat");
    assert_int_equal(num(r, "resolved"), 2);
    near(r, "avgResolutionSeconds", 375.0);
    near(r, "longestResolutionSeconds", 600.0);
    assert_int_equal(num(r, "responded"), 1);
    near(r, "avgFirstResponseSeconds", 50.0);
    near(r, "longestFirstResponseSeconds", 50.0);
    /* th2 never reached a queue: 60 s. */
    r = row_for(rs, "queueId", "", "chat");
    assert_int_equal(num(r, "resolved"), 1);
    near(r, "avgResolutionSeconds", 60.0);
    is_null(r, "avgFirstResponseSeconds");
    json_decref(rs);
}

static void satisfaction_day(void **state)
{
    struct world *w = *state;
    json_t *rs = rows(w, REPORT_SATISFACTION, 1440, w->utc, 20);
    const json_t *r = row_for(rs, "queueId", "support", "voice");
    assert_int_equal(num(r, "responses"), 2);
    near(r, "avgScore", 3.5);
    assert_int_equal(num(r, "scores/5"), 1);
    assert_int_equal(num(r, "scores/2"), 1);
    assert_int_equal(num(r, "scores/3"), 0);
    r = row_for(rs, "queueId", "support", "chat");
    assert_int_equal(num(r, "responses"), 1);
    near(r, "avgScore", 4.0);
    json_decref(rs);
    /* Per agent: the chat's survey names user u2, which is worker w2. */
    struct report_query q = {.scope = REPORT_SATISFACTION,
                             .from = DAY,
                             .to = DAY + 86400000LL,
                             .interval_min = 1440,
                             .tz = w->utc,
                             .sl_seconds = 20,
                             .by_agent = true};
    rs = report_rows(w->table, &q);
    near(row_for(rs, "workerId", "w1", "voice"), "avgScore", 5.0);
    near(row_for(rs, "workerId", "w2", "voice"), "avgScore", 2.0);
    near(row_for(rs, "workerId", "w2", "chat"), "avgScore", 4.0);
    json_decref(rs);
}

static void csv_of_rows(void **state)
{
    struct world *w = *state;
    struct report_query q = {.scope = REPORT_QUEUES,
                             .from = DAY,
                             .to = DAY + 86400000LL,
                             .interval_min = 1440,
                             .tz = w->utc,
                             .sl_seconds = 20,
                             .channel = "voice"};
    json_t *rs = report_rows(w->table, &q);
    char *csv = report_rows_csv(rs);
    const char *want_head =
        "intervalStart,intervalEnd,queueId,channel,offered,answered,abandoned,redirects.overflow,"
        "redirects.timeout,redirects.noAgents,transfers,endedOther,callbacks.requested,"
        "callbacks.connected,"
        "callbacks.failed,callbacks.cancelled,serviceLevelSeconds,"
        "answeredWithinThreshold,abandonedWithinThreshold,serviceLevel,avgSpeedOfAnswerSeconds,"
        "avgWaitSeconds,longestWaitSeconds,avgAbandonSeconds,longestAbandonSeconds,handled,"
        "avgHandleSeconds,avgTalkSeconds,avgHoldSeconds,avgWrapUpSeconds\r\n"
        "2026-12-07T00:00:00+00:00,2026-12-08T00:00:00+00:00,support,voice,7,2,2,1,1,1,1,0,3,1,1,1,"
        "20,1,1,"
        "0.25,20.0,32.5714285714286,120.0,34.0,60.0,2,285.0,240.0,30.0,15.0\r\n";
    assert_string_equal(csv, want_head);
    free(csv);
    json_decref(rs);
}

/* ---- live, and rebuilding ---- */

static void live_view(void **state)
{
    (void)state;
    struct report_fold *f = NULL;
    struct report_fold_opts o = {0};
    assert_int_equal(report_fold_alloc(&f, &o), 0);
    for (size_t i = 0; i < nday && day[i].time <= AT(9, 20, 0); i++)
        feed(f, &day[i]);
    /* At 09:20:30: j4 waits (30 s); w1 available, w2 available. */
    json_t *live = report_fold_live(f, AT(9, 20, 30));
    const json_t *q = row_for(json_object_get(live, "queues"), "queueId", "support", "voice");
    assert_int_equal(num(q, "waiting"), 1);
    near(q, "longestWaitSeconds", 30.0);
    q = row_for(json_object_get(live, "queues"), "queueId", "support", "chat");
    assert_int_equal(num(q, "waiting"), 0);
    assert_int_equal(num(live, "agentsByState/available"), 2);
    assert_int_equal(num(live, "agentsByState/busy"), 0);
    /* Counting state time into the sums (every second, and before every
     * report) does not start an agent's time in its state again. */
    double w1 = json_number_value(json_object_get(
        row_for(json_object_get(live, "agents"), "workerId", "w1", NULL), "sinceSeconds"));
    assert_true(w1 > 10.0);
    json_decref(live);
    report_fold_advance(f, AT(9, 20, 30));
    live = report_fold_live(f, AT(9, 20, 40));
    near(row_for(json_object_get(live, "agents"), "workerId", "w1", NULL), "sinceSeconds",
         w1 + 10.0);
    json_decref(live);
    /* At 09:01:30: w2 busy with j6, w1 busy with j1; j1 answered, nothing waits. */
    report_fold_free(f);
    assert_int_equal(report_fold_alloc(&f, &o), 0);
    for (size_t i = 0; i < nday && day[i].time <= AT(9, 1, 30); i++)
        feed(f, &day[i]);
    live = report_fold_live(f, AT(9, 1, 30));
    assert_int_equal(num(live, "agentsByState/busy"), 2);
    json_decref(live);
    report_fold_free(f);
}

/* A fold that rebuilds from older events without counting them, then
 * counts the rest, counts what a fold that saw everything counted after
 * the same point. */
static void rebuild_counts_once(void **state)
{
    struct world *w = *state;
    struct report_table *t = NULL;
    assert_int_equal(report_table_alloc(&t), 0);
    struct report_fold *f = NULL;
    struct report_fold_opts o = {.inch = report_table_inc, .arg = t};
    assert_int_equal(report_fold_alloc(&f, &o), 0);
    report_fold_set_emitting(f, false);
    size_t i = 0;
    for (; day[i].time < AT(9, 2, 0); i++)
        feed(f, &day[i]);
    report_fold_set_emitting(f, true);
    for (; i < nday; i++)
        feed(f, &day[i]);
    /* j1 was offered before the cut: not counted; its answer neither
     * (counted in its arrival bucket, before the cut) but its handling
     * after the cut is. j2..j5, c6, c7 are counted in full. */
    struct report_query q = {.scope = REPORT_QUEUES,
                             .from = DAY,
                             .to = DAY + 86400000LL,
                             .interval_min = 1440,
                             .tz = w->utc,
                             .sl_seconds = 20};
    json_t *rs = report_rows(t, &q);
    const json_t *r = row_for(rs, "queueId", "support", "voice");
    assert_int_equal(num(r, "offered"), 6);
    assert_int_equal(num(r, "answered"), 1);
    assert_int_equal(num(r, "handled"), 2);
    json_decref(rs);
    report_fold_free(f);
    report_table_free(t);
}

static void business_hours(void **state)
{
    (void)state;
    /* Open 09:05-10:00 only: th1 (09:00-09:10) resolves in 300 s of
     * business time; its first response (09:01:00-09:01:50) in none. */
    json_error_t jerr;
    json_t *spec = json_loads("{\"weekly\":{\"mon\":[\"09:05-10:00\"]}}", 0, &jerr);
    struct schedule *hours = NULL;
    char why[200];
    assert_int_equal(schedule_compile(&hours, spec, "UTC", why, sizeof(why)), 0);
    struct report_table *t = NULL;
    assert_int_equal(report_table_alloc(&t), 0);
    struct report_fold *f = NULL;
    struct report_fold_opts o = {.inch = report_table_inc, .arg = t, .hours = hours};
    assert_int_equal(report_fold_alloc(&f, &o), 0);
    for (size_t i = 0; i < nday; i++)
        feed(f, &day[i]);
    assert_int_equal(report_table_get(t, AT(9, 0, 0), "chat", "support", "chat", "resolutionMs"),
                     300000);
    assert_int_equal(report_table_get(t, AT(9, 0, 0), "chat", "support", "chat", "firstResponseMs"),
                     0);
    /* th3 (10:30-10:32:30) is all outside. */
    assert_int_equal(report_table_get(t, AT(10, 30, 0), "chat", "support", "chat", "resolutionMs"),
                     0);
    report_fold_free(f);
    report_table_free(t);
    schedule_free(hours);
    json_decref(spec);
}

/* Jobs that end unanswered through no choice of the consumer's (a
 * callback that failed or was cancelled, a call cut off by a restart) are
 * neither abandons nor waits: 1 abandoned after 30 s, 3 ended otherwise. */
static void ended_other_not_abandoned(void **state)
{
    struct world *w = *state;
    static const struct ev evs[] = {
        {AT(14, 0, 0), "router", "jobReceived", "k1", "{\"jobId\":\"k1\",\"channelId\":\"voice\"}"},
        {AT(14, 0, 0), "router", "jobQueued", "k1", "{\"jobId\":\"k1\",\"queueId\":\"q2\"}"},
        {AT(14, 0, 0), "router", "jobReceived", "k2", "{\"jobId\":\"k2\",\"channelId\":\"voice\"}"},
        {AT(14, 0, 0), "router", "jobQueued", "k2", "{\"jobId\":\"k2\",\"queueId\":\"q2\"}"},
        {AT(14, 0, 0), "router", "jobReceived", "k3", "{\"jobId\":\"k3\",\"channelId\":\"voice\"}"},
        {AT(14, 0, 0), "router", "jobQueued", "k3", "{\"jobId\":\"k3\",\"queueId\":\"q2\"}"},
        {AT(14, 0, 0), "router", "jobReceived", "k4", "{\"jobId\":\"k4\",\"channelId\":\"voice\"}"},
        {AT(14, 0, 0), "router", "jobQueued", "k4", "{\"jobId\":\"k4\",\"queueId\":\"q2\"}"},
        {AT(14, 0, 30), "router", "jobCancelled", "k1",
         "{\"jobId\":\"k1\",\"queueId\":\"q2\",\"dispositionCode\":\"abandoned\"}"},
        {AT(14, 40, 0), "router", "jobCancelled", "k2",
         "{\"jobId\":\"k2\",\"queueId\":\"q2\",\"dispositionCode\":\"callbackFailed\"}"},
        {AT(14, 50, 0), "router", "jobCancelled", "k3",
         "{\"jobId\":\"k3\",\"queueId\":\"q2\",\"dispositionCode\":\"callbackCancelled\"}"},
        {AT(14, 55, 0), "router", "jobCancelled", "k4",
         "{\"jobId\":\"k4\",\"queueId\":\"q2\",\"dispositionCode\":\"serverRestarted\"}"},
    };
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
        feed(w->fold, &evs[i]);
    json_t *rs = rows(w, REPORT_QUEUES, 1440, w->utc, 20);
    const json_t *r = row_for(rs, "queueId", "q2", NULL);
    assert_int_equal(num(r, "offered"), 4);
    assert_int_equal(num(r, "abandoned"), 1);
    assert_int_equal(num(r, "endedOther"), 3);
    near(r, "avgWaitSeconds", 30);
    near(r, "longestWaitSeconds", 30);
    json_decref(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(voice_queue_day),
        cmocka_unit_test(service_level_thresholds),
        cmocka_unit_test(chat_queue_day),
        cmocka_unit_test(intervals_in_a_time_zone),
        cmocka_unit_test(agents_day),
        cmocka_unit_test(attendant_day),
        cmocka_unit_test(bot_day),
        cmocka_unit_test(chat_times),
        cmocka_unit_test(satisfaction_day),
        cmocka_unit_test(csv_of_rows),
        cmocka_unit_test(live_view),
        cmocka_unit_test(rebuild_counts_once),
        cmocka_unit_test(business_hours),
        cmocka_unit_test_setup_teardown(ended_other_not_abandoned, setup, teardown),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
