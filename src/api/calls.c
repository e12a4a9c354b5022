/*
 * calls.c - /v1/calls: call records, newest first (docs/voice.md).
 * Leads see every call; agents and experts the calls they placed.
 * /v1/calls/{id}/recording: leads start and stop recording a call going
 * on, and download its latest recording's WAV. /v1/recordings: every
 * recording with what it is of, each one's WAV, deleting them.
 * /v1/voice/callbacks: the callbacks callers asked for in call queues
 * (leads: all; agents: those they took), cancelling one that waits.
 */
#include "api/api_modules.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/principal.h"
#include "http/api.h"
#include "sip/sip.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void list_calls(struct api_req *req)
{
    int limit = api_query_limit(req, 50, 500);
    if (limit < 0)
        return;
    bool lead = (req->who.role & ROLES_LEADS) != 0;
    json_t *rows = NULL;
    struct store_val v[] = {sv_int(lead), sv_text(req->who.id), sv_int(limit)};
    int err = store_query_json(req->app->store,
                               "SELECT id, direction, from_uri AS \"from\", to_uri AS \"to\","
                               " caller_user_id AS callerUserId, target, application, state,"
                               " started_at AS startedAt, answered_at AS answeredAt,"
                               " ended_at AS endedAt, ended_by AS endedBy, end_reason AS endReason,"
                               " trunk, recording, legs FROM calls WHERE (? = 1 OR"
                               " caller_user_id = ?)"
                               " ORDER BY started_at DESC, id DESC LIMIT ?",
                               v, 3, &rows);
    if (err) {
        api_reply_store_error(req, err, "the calls");
        return;
    }
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *keys[] = {"startedAt", "answeredAt", "endedAt"};
        for (size_t k = 0; k < 3; k++) {
            json_t *t = json_object_get(r, keys[k]);
            if (json_is_integer(t))
                json_object_set_new(r, keys[k], clock_time_json(json_integer_value(t)));
        }
        json_t *legs = json_loads(json_string_value(json_object_get(r, "legs")), 0, NULL);
        json_object_set_new(r, "legs", legs ? legs : json_array());
        json_t *rec = json_loads(json_string_value(json_object_get(r, "recording")), 0, NULL);
        json_object_set_new(r, "recording", rec ? rec : json_null());
    }
    api_reply_json(req, 200, json_pack("{s:o, s:n}", "items", rows, "nextCursor"));
}

static void recording(struct api_req *req, bool start)
{
    int err = sipsvc_record(req->app, req->params[0], start, "api",
                            req->who.kind == PRINCIPAL_USER ? req->who.id : NULL);
    if (err == ENOENT)
        api_reply_error(req, 404, "not_found",
                        "no call \"%s\" is going on (only calls in progress are recorded)",
                        req->params[0]);
    else if (err == EPERM)
        api_reply_error(req, 409, "recording_off",
                        "the call queue of call \"%s\" never records its calls", req->params[0]);
    else if (err)
        api_reply_error(req, 500, "internal", "the recording could not be %s: %s",
                        start ? "started" : "stopped", strerror(err));
    else
        api_reply_json(req, 202,
                       json_pack("{s:s, s:s}", "callId", req->params[0], "recording",
                                 start ? "started" : "stopping"));
}

static void start_recording(struct api_req *req)
{
    recording(req, true);
}

static void stop_recording(struct api_req *req)
{
    recording(req, false);
}

/* The WAV of a recording, or of a call's latest one. */
static void send_wav(struct api_req *req, bool of_call)
{
    char path[1100];
    int err = sipsvc_recording_file(req->app, req->params[0], of_call, path, sizeof(path));
    if (err == ENOENT || err == EINVAL)
        api_reply_error(req, 404, "not_found", "no recording of \"%s\"", req->params[0]);
    else if (err)
        api_reply_store_error(req, err, "the recording");
    else
        api_reply_file(req, path, "audio/wav", "Cache-Control: no-store\r\n");
}

static void get_recording(struct api_req *req)
{
    send_wav(req, true);
}

static void recording_audio(struct api_req *req)
{
    send_wav(req, false);
}

static void list_recordings(struct api_req *req)
{
    int limit = api_query_limit(req, 50, 500);
    if (limit < 0)
        return;
    struct recordings_filter f = {.call_id = api_query(req, "callId"),
                                  .call_queue = api_query(req, "callQueue"),
                                  .agent_user_id = api_query(req, "agentUserId"),
                                  .limit = limit};
    json_t *items = NULL;
    int err = sipsvc_recordings_list(req->app, &f, &items);
    if (err)
        api_reply_store_error(req, err, "the recordings");
    else
        api_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

static void delete_recording(struct api_req *req)
{
    int err = sipsvc_recording_delete(req->app, req->params[0]);
    if (err == ENOENT)
        api_reply_error(req, 404, "not_found", "no recording \"%s\" (or of call \"%s\")",
                        req->params[0], req->params[0]);
    else if (err == EBUSY)
        api_reply_error(req, 409, "recording",
                        "\"%s\" is still being recorded: stop the recording first", req->params[0]);
    else if (err)
        api_reply_store_error(req, err, "the recording");
    else
        api_reply_empty(req, 204);
}

/* Agents and experts see the callbacks they took; leads every one. */
static bool lead(const struct api_req *req)
{
    return (req->who.role & ROLES_LEADS) != 0;
}

static void list_callbacks(struct api_req *req)
{
    int limit = api_query_limit(req, 50, 500);
    if (limit < 0)
        return;
    static const char *const states[] = {"waiting", "calling", "connected", "failed", "cancelled"};
    const char *state = api_query(req, "state");
    bool known = !state || !state[0];
    for (size_t i = 0; !known && i < sizeof(states) / sizeof(states[0]); i++)
        known = strcmp(state, states[i]) == 0;
    if (!known) {
        api_reply_error(req, 400, "bad_query",
                        "state must be waiting, calling, connected, failed or cancelled");
        return;
    }
    struct callbacks_filter f = {
        .state = state,
        .call_queue = api_query(req, "callQueue"),
        .agent_user_id = lead(req) ? api_query(req, "agentUserId") : req->who.id,
        .limit = limit,
    };
    json_t *items = NULL;
    int err = sipsvc_callbacks_list(req->app, &f, &items);
    if (err)
        api_reply_store_error(req, err, "the callbacks");
    else
        api_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

static void get_callback(struct api_req *req)
{
    json_t *item = NULL;
    int err = sipsvc_callback_get(req->app, req->params[0], &item);
    const char *agent = json_string_value(json_object_get(item, "agentUserId"));
    if (!err && !lead(req) && (!agent || strcmp(agent, req->who.id) != 0))
        err = ENOENT;
    if (err == ENOENT)
        api_reply_error(req, 404, "not_found", "no callback \"%s\"", req->params[0]);
    else if (err)
        api_reply_store_error(req, err, "the callback");
    else
        api_reply_json(req, 200, json_incref(item));
    json_decref(item);
}

static void cancel_callback(struct api_req *req)
{
    int err = sipsvc_callback_cancel(req->app, req->params[0],
                                     req->who.name[0] ? req->who.name : req->who.id);
    if (err == ENOENT)
        api_reply_error(req, 404, "not_found", "no callback \"%s\"", req->params[0]);
    else if (err == EBUSY)
        api_reply_error(req, 409, "busy",
                        "callback \"%s\" cannot be cancelled now: its number is being called, or"
                        " its caller is still on the line",
                        req->params[0]);
    else if (err == EALREADY)
        api_reply_error(req, 409, "finished", "callback \"%s\" is over", req->params[0]);
    else if (err)
        api_reply_store_error(req, err, "the callback");
    else
        api_reply_empty(req, 204);
}

static void park(struct api_req *req)
{
    unsigned orbit = 0;
    int err = sipsvc_park(req->app, req->params[0], req->who.id, (req->who.role & ROLES_LEADS) != 0,
                          &orbit);
    if (err == ENOENT)
        api_reply_error(req, 404, "not_found", "no call \"%s\" is going on", req->params[0]);
    else if (err == EALREADY)
        api_reply_error(req, 409, "not_talking", "call \"%s\" has nobody talking to park",
                        req->params[0]);
    else if (err == EPERM)
        api_reply_error(req, 403, "forbidden", "you are not on call \"%s\"", req->params[0]);
    else if (err == ENOSPC)
        api_reply_error(req, 503, "no_orbit", "every park orbit is taken");
    else if (err)
        api_reply_error(req, 500, "internal", "the call could not be parked");
    else
        api_reply_json(req, 200,
                       json_pack("{s:s, s:i}", "callId", req->params[0], "orbit", (int)orbit));
}

static const struct api_route routes[] = {
    {"POST", "/v1/calls/{id}/park", ROLES_STAFF, ROUTE_JSON_OPTIONAL, park},
    {"GET", "/v1/voice/callbacks", ROLES_STAFF, 0, list_callbacks},
    {"GET", "/v1/voice/callbacks/{id}", ROLES_STAFF, 0, get_callback},
    {"DELETE", "/v1/voice/callbacks/{id}", ROLES_LEADS, 0, cancel_callback},
    {"GET", "/v1/recordings", ROLES_LEADS, 0, list_recordings},
    {"GET", "/v1/recordings/{id}/audio", ROLES_LEADS, 0, recording_audio},
    {"DELETE", "/v1/recordings/{id}", ROLES_LEADS, 0, delete_recording},
    {"GET", "/v1/calls", ROLES_STAFF, 0, list_calls},
    {"POST", "/v1/calls/{id}/recording", ROLES_LEADS, ROUTE_JSON_OPTIONAL, start_recording},
    {"DELETE", "/v1/calls/{id}/recording", ROLES_LEADS, 0, stop_recording},
    {"GET", "/v1/calls/{id}/recording", ROLES_LEADS, 0, get_recording},
    {0},
};

int api_calls_register(void)
{
    return api_routes_register(routes);
}
