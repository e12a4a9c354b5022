/*
 * sip.c - /v1/sip/registrations: the registered contacts of SIP phones
 * (docs/voice.md). Leads see all; agents and experts their own.
 */
#include "api/api_modules.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "http/api.h"
#include "store/store.h"

#include <errno.h>
#include <string.h>

static void list_registrations(struct api_req *req)
{
    bool lead = (req->who.role & ROLES_LEADS) != 0;
    json_t *rows = NULL;
    struct store_val v[] = {sv_int(lead), sv_text(req->who.id), sv_int(clock_now_ms())};
    int err = store_query_json(req->app->store,
                               "SELECT r.id, r.user_id AS userId, u.name AS user, u.extension,"
                               " r.contact, r.source, r.transport, r.user_agent AS userAgent,"
                               " r.registered_at AS registeredAt, r.expires_at AS expiresAt"
                               " FROM sip_registrations r JOIN users u ON u.id = r.user_id"
                               " WHERE (? = 1 OR r.user_id = ?) AND r.expires_at > ?"
                               " ORDER BY u.name, r.registered_at",
                               v, 3, &rows);
    if (err) {
        api_reply_store_error(req, err, "the registrations");
        return;
    }
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *keys[] = {"registeredAt", "expiresAt"};
        for (size_t k = 0; k < 2; k++)
            json_object_set_new(r, keys[k],
                                clock_time_json(json_integer_value(json_object_get(r, keys[k]))));
    }
    api_reply_json(req, 200, json_pack("{s:o, s:n}", "items", rows, "nextCursor"));
}

static void delete_registration(struct api_req *req)
{
    json_t *row = NULL;
    struct store_val v[] = {sv_text(req->params[0])};
    int err = store_query_one(req->app->store,
                              "SELECT r.user_id AS userId, u.name AS user, u.extension, r.contact,"
                              " r.source FROM sip_registrations r JOIN users u ON u.id = r.user_id"
                              " WHERE r.id = ?",
                              v, 1, &row);
    if (err == ENOENT) {
        api_reply_error(req, 404, "not_found", "no registration has the id \"%s\"", req->params[0]);
        return;
    }
    bool own;
    if (!err)
        err = store_begin_own(req->app->store, &own);
    if (!err) {
        err = store_exec(req->app->store, "DELETE FROM sip_registrations WHERE id = ?", v, 1, NULL);
        json_object_set_new(row, "reason", json_string("admin"));
        if (!err)
            err = events_append(req->app->events, "sip", "unregistered",
                                json_string_value(json_object_get(row, "userId")), req->who.id,
                                json_incref(row));
        err = store_end_own(req->app->store, own, err);
    }
    json_decref(row);
    if (err)
        api_reply_store_error(req, err, "the registration");
    else
        api_reply_empty(req, 204);
}

static const struct api_route routes[] = {
    {"GET", "/v1/sip/registrations", ROLES_STAFF, 0, list_registrations},
    {"DELETE", "/v1/sip/registrations/{id}", ROLE_ADMIN, 0, delete_registration},
    {0},
};

int api_sip_register(void)
{
    return api_routes_register(routes);
}
