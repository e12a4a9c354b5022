/*
 * test_report_surveys.c - post-chat and post-call surveys against a real
 * store: each answer is stored once with its queue and agent and appended
 * as `surveyAnswered` in the same transaction; bad scores, unknown
 * threads or calls and second answers are refused and store nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/app.h"
#include "core/events.h"
#include "report/service.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct world {
    char dir[64];
    struct app app;
};

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    snprintf(w->dir, sizeof(w->dir), "/tmp/sb-surveys-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/switchboard.db", w->dir);
    struct store_opts opts = {.path = path};
    assert_int_equal(store_open_sqlite(&w->app.store, &opts), 0);
    assert_int_equal(events_alloc(&w->app.events, w->app.store), 0);
    /* A chat handed to "support" that agent u2 joined (after u1), and a call. */
    struct store *st = w->app.store;
    assert_int_equal(
        store_exec(st,
                   "INSERT INTO chat_threads (id, token_hash, widget_id, state, consumer_name,"
                   " queue_id, created_at, updated_at) VALUES"
                   " ('th1', 'h1', 'web', 'ended', 'Ann', 'support', 1, 1)",
                   NULL, 0, NULL),
        0);
    assert_int_equal(
        store_exec(st,
                   "INSERT INTO chat_participants (thread_id, id, kind, user_id, name, joined_at)"
                   " VALUES ('th1', 'u1', 'agent', 'u1', 'Alice', 10),"
                   " ('th1', 'u2', 'agent', 'u2', 'Bob', 20),"
                   " ('th1', 'consumer', 'consumer', NULL, 'Ann', 1)",
                   NULL, 0, NULL),
        0);
    assert_int_equal(store_exec(st,
                                "INSERT INTO calls (id, direction, from_uri, to_uri, target,"
                                " sip_call_id, state, started_at) VALUES"
                                " ('c1', 'inbound', 'sip:a', 'sip:b', '+1555', 'x', 'answered', 1)",
                                NULL, 0, NULL),
                     0);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    events_free(w->app.events);
    store_close(w->app.store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", w->dir);
    assert_int_equal(system(cmd), 0);
    free(w);
    return 0;
}

static json_t *all(struct store *st, const char *sql)
{
    json_t *rows = NULL;
    assert_int_equal(store_query_json(st, sql, NULL, 0, &rows), 0);
    return rows;
}

static void chat_survey(void **state)
{
    struct world *w = *state;
    assert_int_equal(report_chat_survey(&w->app, "th1", 0, NULL), EINVAL);
    assert_int_equal(report_chat_survey(&w->app, "th1", 6, NULL), EINVAL);
    assert_int_equal(report_chat_survey(&w->app, "nope", 3, NULL), ENOENT);
    assert_int_equal(report_chat_survey(&w->app, "th1", 4, "Kind and quick"), 0);
    assert_int_equal(report_chat_survey(&w->app, "th1", 5, NULL), EALREADY);

    json_t *rows = all(w->app.store, "SELECT channel, subject, queue_id, user_id, score, comment"
                                     " FROM report_surveys");
    assert_int_equal(json_array_size(rows), 1);
    json_t *r = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(r, "channel")), "chat");
    assert_string_equal(json_string_value(json_object_get(r, "queue_id")), "support");
    assert_string_equal(json_string_value(json_object_get(r, "user_id")),
                        "u2"); /* the last to join */
    assert_int_equal(json_integer_value(json_object_get(r, "score")), 4);
    assert_string_equal(json_string_value(json_object_get(r, "comment")), "Kind and quick");
    json_decref(rows);

    /* One event, without the comment. */
    rows = all(w->app.store, "SELECT topic, type, subject, data FROM events"
                             " WHERE type = 'surveyAnswered'");
    assert_int_equal(json_array_size(rows), 1);
    r = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(r, "topic")), "reports");
    assert_string_equal(json_string_value(json_object_get(r, "subject")), "th1");
    json_error_t jerr;
    json_t *data = json_loads(json_string_value(json_object_get(r, "data")), 0, &jerr);
    assert_string_equal(json_string_value(json_object_get(data, "queueId")), "support");
    assert_string_equal(json_string_value(json_object_get(data, "userId")), "u2");
    assert_int_equal(json_integer_value(json_object_get(data, "score")), 4);
    assert_true(json_is_true(json_object_get(data, "hasComment")));
    assert_null(json_object_get(data, "comment"));
    json_decref(data);
    json_decref(rows);
}

static void call_survey(void **state)
{
    struct world *w = *state;
    assert_int_equal(report_call_survey(&w->app, "c1", 9), EINVAL);
    assert_int_equal(report_call_survey(&w->app, "c404", 3), ENOENT);
    /* Without the reports service running nothing says which queue: kept without. */
    assert_int_equal(report_call_survey(&w->app, "c1", 2), 0);
    assert_int_equal(report_call_survey(&w->app, "c1", 5), EALREADY);
    json_t *rows = all(w->app.store, "SELECT channel, subject, queue_id, score FROM report_surveys"
                                     " WHERE channel = 'voice'");
    assert_int_equal(json_array_size(rows), 1);
    json_t *r = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(r, "subject")), "c1");
    assert_true(json_is_null(json_object_get(r, "queue_id")));
    assert_int_equal(json_integer_value(json_object_get(r, "score")), 2);
    json_decref(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chat_survey),
        cmocka_unit_test(call_survey),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
