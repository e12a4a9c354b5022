/*
 * recordings.c - the recordings kept (docs/voice.md, Recording): one row
 * per recording in call_recordings saying what it is of (the call queue,
 * the agent, the caller, its channels, who started it, when, how long),
 * its file DATA/recordings/ID.wav, the list the API serves, deleting one
 * recording or all of a call's, and deleting those past
 * sip.recordingRetentionDays. A call's first recording has the call's id;
 * later ones CALL-2, CALL-3, ... The call record's "recording" is its
 * latest recording. Starting and stopping them is recording.c's.
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/log.h"
#include "core/settings.h"
#include "sip/call.h"
#include "sip/sip.h"
#include "sip/sip_internal.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sipsvc_recording_path(const struct app *app, const char *id, char *out, size_t size)
{
    /* ids are ours (call_xxx or call_xxx-N): nothing that climbs out */
    if (!id[0] || strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(id))
        return EINVAL;
    int n = snprintf(out, size, "%s/recordings/%s.wav", app->data_dir, id);
    return n > 0 && (size_t)n < size ? 0 : ENAMETOOLONG;
}

int recordings_next_id(struct app *app, const char *call_id, char id[REC_ID_SIZE])
{
    json_t *row = NULL;
    struct store_val v[] = {sv_text(call_id)};
    int err = store_query_one(
        app->store, "SELECT COUNT(*) AS n FROM call_recordings WHERE call_id = ?", v, 1, &row);
    json_int_t n = err ? 0 : json_integer_value(json_object_get(row, "n"));
    json_decref(row);
    if (err)
        return err;
    int w = n ? snprintf(id, REC_ID_SIZE, "%s-%lld", call_id, (long long)n + 1)
              : snprintf(id, REC_ID_SIZE, "%s", call_id);
    return w > 0 && w < REC_ID_SIZE ? 0 : ENAMETOOLONG;
}

static const char items_sql[] =
    "SELECT r.id, r.call_id AS callId, c.from_uri AS \"from\", c.target, c.application,"
    " r.state, r.started_at AS startedAt, r.duration_ms AS durationMs, r.reason, r.channels,"
    " r.left_side AS leftSide, r.right_side AS rightSide, r.call_queue AS callQueue,"
    " r.agent_user_id AS agentUserId, u.name AS agent, r.caller, r.started_by AS startedBy,"
    " r.started_by_user_id AS startedByUserId, r.deleted_at AS deletedAt"
    " FROM call_recordings r LEFT JOIN calls c ON c.id = r.call_id"
    " LEFT JOIN users u ON u.id = r.agent_user_id";

/* Rows of items_sql as the API shows them. */
static void shape(json_t *rows)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *times[] = {"startedAt", "deletedAt"};
        for (size_t k = 0; k < 2; k++) {
            json_t *t = json_object_get(r, times[k]);
            if (json_is_integer(t))
                json_object_set_new(r, times[k], clock_time_json(json_integer_value(t)));
            else
                json_object_del(r, times[k]);
        }
        json_t *n = json_object_get(r, "channels");
        json_t *ch = json_is_integer(n) ? json_pack("{s:O, s:O}", "count", n, "left",
                                                    json_object_get(r, "leftSide"))
                                        : json_null();
        if (json_integer_value(n) == 2)
            json_object_set(ch, "right", json_object_get(r, "rightSide"));
        json_object_set_new(r, "channels", ch);
        json_object_del(r, "leftSide");
        json_object_del(r, "rightSide");
    }
}

json_t *recordings_item(struct app *app, const char *id)
{
    char sql[sizeof(items_sql) + 32];
    snprintf(sql, sizeof(sql), "%s WHERE r.id = ?", items_sql);
    json_t *rows = NULL;
    struct store_val v[] = {sv_text(id)};
    if (store_query_json(app->store, sql, v, 1, &rows) != 0)
        return NULL;
    shape(rows);
    json_t *item = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return item;
}

int sipsvc_recordings_list(struct app *app, const struct recordings_filter *f, json_t **items)
{
    char sql[sizeof(items_sql) + 400];
    snprintf(sql, sizeof(sql),
             "%s WHERE r.state <> 'deleted' AND (? = '' OR r.call_id = ?)"
             " AND (? = '' OR r.call_queue = ?) AND (? = '' OR r.agent_user_id = ?)"
             " ORDER BY r.started_at DESC, r.id DESC LIMIT ?",
             items_sql);
    const char *call = f->call_id ? f->call_id : "";
    const char *queue = f->call_queue ? f->call_queue : "";
    const char *agent = f->agent_user_id ? f->agent_user_id : "";
    struct store_val v[] = {sv_text(call),  sv_text(call),  sv_text(queue),  sv_text(queue),
                            sv_text(agent), sv_text(agent), sv_int(f->limit)};
    int err = store_query_json(app->store, sql, v, 7, items);
    if (!err)
        shape(*items);
    return err;
}

int sipsvc_recording_file(struct app *app, const char *id, bool of_call, char *path, size_t size)
{
    json_t *row = NULL;
    struct store_val v[] = {sv_text(id)};
    int err = store_query_one(app->store,
                              of_call ? "SELECT id FROM call_recordings WHERE call_id = ? AND"
                                        " state IN ('done', 'recording', 'error')"
                                        " ORDER BY started_at DESC, id DESC LIMIT 1"
                                      : "SELECT id FROM call_recordings WHERE id = ? AND"
                                        " state IN ('done', 'recording', 'error')",
                              v, 1, &row);
    if (!err)
        err = sipsvc_recording_path(app, json_string_value(json_object_get(row, "id")), path, size);
    json_decref(row);
    return err;
}

int recordings_refresh_call(struct app *app, const char *call_id)
{
    json_t *row = NULL, *state = NULL;
    struct store_val v[] = {sv_text(call_id)};
    int err = store_query_one(app->store,
                              "SELECT id FROM call_recordings WHERE call_id = ? AND"
                              " state <> 'deleted' ORDER BY started_at DESC, id DESC LIMIT 1",
                              v, 1, &row);
    if (!err)
        state = recordings_item(app, json_string_value(json_object_get(row, "id")));
    else if (err == ENOENT)
        state = json_pack("{s:s, s:o}", "state", "deleted", "deletedAt",
                          clock_time_json(clock_now_ms()));
    json_decref(row);
    char *text = state ? json_dumps(state, JSON_COMPACT) : NULL;
    json_decref(state);
    struct store_val u[] = {sv_text(text), sv_text(call_id)};
    err = text ? store_exec(app->store, "UPDATE calls SET recording = ? WHERE id = ?", u, 2, NULL)
               : ENOMEM;
    free(text);
    return err;
}

int recordings_insert(struct app *app, const struct recording_meta *m, json_t **item)
{
    struct store_val v[] = {sv_text(m->id),         sv_text(m->call_id),  sv_int(m->started_at),
                            sv_int(m->channels),    sv_text(m->left),     sv_text(m->right),
                            sv_text(m->queue),      sv_text(m->agent_id), sv_text(m->caller),
                            sv_text(m->started_by), sv_text(m->by_user)};
    bool own;
    int err = store_begin_own(app->store, &own);
    if (!err)
        err =
            store_exec(app->store,
                       "INSERT INTO call_recordings (id, call_id, state, started_at, channels,"
                       " left_side, right_side, call_queue, agent_user_id, caller, started_by,"
                       " started_by_user_id) VALUES (?, ?, 'recording', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       v, 11, NULL);
    if (!err)
        err = recordings_refresh_call(app, m->call_id);
    json_t *it = err ? NULL : recordings_item(app, m->id);
    if (!err && !it)
        err = EIO;
    if (!err)
        err = events_append(app->events, "calls", "callRecordingStarted", m->call_id, NULL,
                            json_incref(it));
    err = store_end_own(app->store, own, err);
    if (!err && item)
        *item = json_incref(it);
    json_decref(it);
    return err;
}

int recordings_finish(struct app *app, const char *id, const char *call_id, bool ok,
                      unsigned duration_ms, const char *reason, unsigned channels)
{
    /* channels: as the recorder made the file (0: it never began) */
    struct store_val v[] = {sv_text(ok ? "done" : "error"),
                            sv_int(duration_ms),
                            sv_text(reason),
                            sv_int(channels),
                            sv_int(channels),
                            sv_int(channels),
                            sv_text(id)};
    bool own;
    int err = store_begin_own(app->store, &own);
    if (!err)
        err = store_exec(app->store,
                         "UPDATE call_recordings SET state = ?, duration_ms = ?, reason = ?,"
                         " channels = CASE WHEN ? > 0 THEN ? ELSE channels END,"
                         " right_side = CASE WHEN ? = 1 THEN NULL ELSE right_side END WHERE id = ?",
                         v, 7, NULL);
    if (!err)
        err = recordings_refresh_call(app, call_id);
    json_t *it = err ? NULL : recordings_item(app, id);
    if (!err)
        err = it ? events_append(app->events, "calls", "callRecorded", call_id, NULL, it) : EIO;
    return store_end_own(app->store, own, err);
}

/* Delete one recording (its file and its state), in the caller's
 * transaction. */
static int delete_one(struct app *app, const char *id, const char *call_id)
{
    char path[1100];
    int err = sipsvc_recording_path(app, id, path, sizeof(path));
    if (!err && unlink(path) != 0 && errno != ENOENT)
        err = errno;
    struct store_val v[] = {sv_int(clock_now_ms()), sv_text(id)};
    if (!err)
        err = store_exec(
            app->store, "UPDATE call_recordings SET state = 'deleted', deleted_at = ? WHERE id = ?",
            v, 2, NULL);
    if (!err)
        err = events_append(app->events, "calls", "callRecordingDeleted", call_id, NULL,
                            json_pack("{s:s, s:s}", "callId", call_id, "id", id));
    return err;
}

int sipsvc_recording_delete(struct app *app, const char *id)
{
    json_t *rows = NULL;
    struct store_val v[] = {sv_text(id), sv_text(id)};
    int err = store_query_json(app->store,
                               "SELECT id, call_id, state FROM call_recordings WHERE"
                               " (id = ? OR call_id = ?) AND state <> 'deleted'",
                               v, 2, &rows);
    if (!err && !json_array_size(rows))
        err = ENOENT;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *st = json_string_value(json_object_get(r, "state"));
        if (!err && st && strcmp(st, "recording") == 0)
            err = EBUSY;
    }
    bool own = false;
    if (!err)
        err = store_begin_own(app->store, &own);
    const char *call_id = NULL;
    json_array_foreach(rows, i, r)
    {
        call_id = json_string_value(json_object_get(r, "call_id"));
        if (!err)
            err = delete_one(app, json_string_value(json_object_get(r, "id")), call_id);
    }
    if (!err && call_id)
        err = recordings_refresh_call(app, call_id);
    err = store_end_own(app->store, own, err);
    json_decref(rows);
    return err;
}

void recording_retention(struct sipsvc *s)
{
    json_int_t days = settings_int(s->app, "sip.recordingRetentionDays");
    if (days <= 0)
        return;
    json_t *rows = NULL;
    struct store_val v[] = {sv_int(clock_now_ms() - days * 86400000LL)};
    if (store_query_json(s->app->store,
                         "SELECT r.id FROM call_recordings r JOIN calls c ON c.id = r.call_id"
                         " WHERE r.state IN ('done', 'error') AND c.ended_at < ? LIMIT 500",
                         v, 1, &rows) != 0)
        return;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *id = json_string_value(json_object_get(r, "id"));
        if (sipsvc_recording_delete(s->app, id) == 0)
            log_info("sip", "recording past its retention deleted", "recording=%s", id);
    }
    json_decref(rows);
}
