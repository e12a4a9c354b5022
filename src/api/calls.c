/*
 * calls.c - /v1/calls: call records, newest first (docs/voice.md).
 * Leads see every call; agents and experts the calls they placed.
 */
#include "api/api_modules.h"
#include "core/app.h"
#include "core/clock.h"
#include "http/api.h"
#include "store/store.h"

#include <stdlib.h>

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
                               " trunk, legs FROM calls WHERE (? = 1 OR caller_user_id = ?)"
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
    }
    api_reply_json(req, 200, json_pack("{s:o, s:n}", "items", rows, "nextCursor"));
}

static const struct api_route routes[] = {
    {"GET", "/v1/calls", ROLES_STAFF, 0, list_calls},
    {0},
};

int api_calls_register(void)
{
    return api_routes_register(routes);
}
