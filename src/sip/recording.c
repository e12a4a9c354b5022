/*
 * recording.c - recording a call on demand (the API's
 * /v1/calls/{id}/recording): the caller's side of the call, in stereo
 * once it is bridged (left: the caller, right: what the caller hears), to
 * DATA/recordings/CALL.wav, written by the media engine's writer thread.
 * The call record's "recording" says how it went.
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/log.h"
#include "core/settings.h"
#include "media/media.h"
#include "sip/call.h"
#include "sip/sip.h"
#include "sip/sip_internal.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int sipsvc_recording_path(const struct app *app, const char *call_id, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/recordings/%s.wav", app->data_dir, call_id);
    return n > 0 && (size_t)n < size ? 0 : ENAMETOOLONG;
}

static int set_state(struct sipsvc *s, const char *call_id, json_t *state, const char *type)
{
    char *text = json_dumps(state, JSON_COMPACT);
    struct store_val v[] = {sv_text(text), sv_text(call_id)};
    bool own;
    int err = text ? store_begin_own(s->app->store, &own) : ENOMEM;
    if (text) {
        if (!err)
            err = store_exec(s->app->store, "UPDATE calls SET recording = ? WHERE id = ?", v, 2,
                             NULL);
        if (!err)
            err = events_append(s->app->events, "calls", type, call_id, NULL, json_incref(state));
        err = store_end_own(s->app->store, own, err);
    }
    free(text);
    json_decref(state);
    return err;
}

int sipsvc_record(struct app *app, const char *call_id, bool start)
{
    struct sipsvc *s = app->sip;
    struct call *c = NULL;
    for (struct le *le = s ? s->calls.head : NULL; le; le = le->next) {
        struct call *x = le->data;
        if (!x->ended && strcmp(x->id, call_id) == 0)
            c = x;
    }
    if (!c || !c->leg)
        return ENOENT;
    if (start && !queue_recording_allowed(c))
        return EPERM;
    if (!start)
        return media_record_stop(s->media, c->leg);
    char dir[1024], path[1100];
    snprintf(dir, sizeof(dir), "%s/recordings", app->data_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return errno;
    int err = sipsvc_recording_path(app, c->id, path, sizeof(path));
    uint32_t op = ++s->record_ops;
    char key[16];
    snprintf(key, sizeof(key), "%u", op);
    if (!err)
        err = media_record_start(s->media, c->leg, path, op);
    if (err)
        return err;
    json_object_set_new(s->recordings, key, json_string(c->id));
    log_info("sip", "recording", "call=%s file=%s", c->id, path);
    return set_state(
        s, c->id,
        json_pack("{s:s, s:o}", "state", "recording", "startedAt", clock_time_json(clock_now_ms())),
        "callRecordingStarted");
}

void recording_done(struct sipsvc *s, const struct media_event *ev)
{
    char key[16];
    snprintf(key, sizeof(key), "%u", ev->op_id);
    const char *call_id = json_string_value(json_object_get(s->recordings, key));
    if (!call_id)
        return;
    bool ok = strcmp(ev->reason, "error") != 0;
    json_t *state = NULL;
    json_t *row = NULL;
    struct store_val v[] = {sv_text(call_id)};
    if (store_query_one(s->app->store, "SELECT recording FROM calls WHERE id = ?", v, 1, &row) == 0)
        state = json_loads(json_string_value(json_object_get(row, "recording")), 0, NULL);
    json_decref(row);
    if (!json_is_object(state)) {
        json_decref(state);
        state = json_object();
    }
    json_object_set_new(state, "state", json_string(ok ? "done" : "error"));
    json_object_set_new(state, "durationMs", json_integer(ev->duration_ms));
    json_object_set_new(state, "reason", json_string(ev->reason));
    json_object_set_new(state, "callId", json_string(call_id));
    log_info("sip", "recording done", "call=%s ms=%u reason=%s", call_id, ev->duration_ms,
             ev->reason);
    if (set_state(s, call_id, state, "callRecorded") != 0)
        log_error("sip", "recording state not stored", "call=%s", call_id);
    json_object_del(s->recordings, key);
}

int sipsvc_recording_delete(struct app *app, const char *call_id)
{
    json_t *row = NULL;
    struct store_val v[] = {sv_text(call_id)};
    int err = store_query_one(app->store, "SELECT recording FROM calls WHERE id = ?", v, 1, &row);
    json_t *state =
        err ? NULL : json_loads(json_string_value(json_object_get(row, "recording")), 0, NULL);
    json_decref(row);
    const char *st = json_string_value(json_object_get(state, "state"));
    if (!st || strcmp(st, "deleted") == 0)
        err = ENOENT;
    else if (strcmp(st, "recording") == 0)
        err = EBUSY;
    char path[1100];
    if (!err)
        err = sipsvc_recording_path(app, call_id, path, sizeof(path));
    if (!err && unlink(path) != 0 && errno != ENOENT)
        err = errno;
    if (!err) {
        json_object_set_new(state, "state", json_string("deleted"));
        json_object_set_new(state, "deletedAt", clock_time_json(clock_now_ms()));
        char *text = json_dumps(state, JSON_COMPACT);
        struct store_val u[] = {sv_text(text), sv_text(call_id)};
        err =
            text ? store_exec(app->store, "UPDATE calls SET recording = ? WHERE id = ?", u, 2, NULL)
                 : ENOMEM;
        free(text);
    }
    if (!err)
        err = events_append(app->events, "calls", "callRecordingDeleted", call_id, NULL,
                            json_pack("{s:s}", "callId", call_id));
    json_decref(state);
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
                         "SELECT id FROM calls WHERE recording IS NOT NULL AND ended_at < ?"
                         " AND recording NOT LIKE '%\"deleted\"%' LIMIT 500",
                         v, 1, &rows) != 0)
        return;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *id = json_string_value(json_object_get(r, "id"));
        if (sipsvc_recording_delete(s->app, id) == 0)
            log_info("sip", "recording past its retention deleted", "call=%s", id);
    }
    json_decref(rows);
}
