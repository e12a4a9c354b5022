/*
 * callback_list.c - the callbacks as the API shows them (GET
 * /v1/voice/callbacks): each with its state, attempts, the agent of the
 * last attempt, the call it was asked for in and its attempts' calls,
 * newest first, filtered by state, call queue or agent.
 */
#include "core/app.h"
#include "core/clock.h"
#include "sip/sip.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char list_sql[] =
    "SELECT b.id, b.call_queue AS callQueue, b.queue_id AS queueId, b.job_id AS jobId,"
    " b.call_id AS callId, b.number, b.caller, b.state, b.attempts,"
    " b.next_attempt_at AS nextAttemptAt, b.enqueued_at AS enqueuedAt,"
    " b.requested_at AS requestedAt, b.updated_at AS updatedAt,"
    " b.agent_user_id AS agentUserId, u.name AS agent, b.calls, b.reason"
    " FROM callbacks b LEFT JOIN users u ON u.id = b.agent_user_id";

static void shape(json_t *rows)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *times[] = {"nextAttemptAt", "enqueuedAt", "requestedAt", "updatedAt"};
        for (size_t k = 0; k < sizeof(times) / sizeof(times[0]); k++) {
            json_t *t = json_object_get(r, times[k]);
            if (json_is_integer(t))
                json_object_set_new(r, times[k], clock_time_json(json_integer_value(t)));
        }
        json_t *calls = json_loads(json_string_value(json_object_get(r, "calls")), 0, NULL);
        json_object_set_new(r, "calls", json_is_array(calls) ? calls : json_array());
        if (!json_is_array(calls))
            json_decref(calls);
    }
}

int sipsvc_callbacks_list(struct app *app, const struct callbacks_filter *f, json_t **items)
{
    char sql[sizeof(list_sql) + 300];
    snprintf(sql, sizeof(sql),
             "%s WHERE (? = '' OR b.state = ?) AND (? = '' OR b.call_queue = ?)"
             " AND (? = '' OR b.agent_user_id = ?)"
             " ORDER BY b.requested_at DESC, b.id DESC LIMIT ?",
             list_sql);
    const char *state = f->state ? f->state : "";
    const char *queue = f->call_queue ? f->call_queue : "";
    const char *agent = f->agent_user_id ? f->agent_user_id : "";
    struct store_val v[] = {sv_text(state), sv_text(state), sv_text(queue),  sv_text(queue),
                            sv_text(agent), sv_text(agent), sv_int(f->limit)};
    int err = store_query_json(app->store, sql, v, 7, items);
    if (!err)
        shape(*items);
    return err;
}

int sipsvc_callback_get(struct app *app, const char *id, json_t **item)
{
    char sql[sizeof(list_sql) + 32];
    snprintf(sql, sizeof(sql), "%s WHERE b.id = ?", list_sql);
    json_t *rows = NULL;
    struct store_val v[] = {sv_text(id)};
    int err = store_query_json(app->store, sql, v, 1, &rows);
    if (!err && !json_array_size(rows))
        err = ENOENT;
    if (!err) {
        shape(rows);
        *item = json_incref(json_array_get(rows, 0));
    }
    json_decref(rows);
    return err;
}
