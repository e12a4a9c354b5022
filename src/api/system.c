/*
 * system.c - GET /healthz and GET /v1/version: liveness and what is
 * running. Both are public so that load balancers and installers can ask.
 */
#include "api/api_modules.h"
#include "core/app.h"
#include "core/events.h"
#include "http/api.h"
#include "store/store.h"

static void get_healthz(struct api_req *req)
{
    /* Healthy means the store answers. */
    json_t *row;
    int err = store_query_one(req->app->store, "SELECT 1 AS ok", NULL, 0, &row);
    json_decref(row);
    if (err) {
        api_reply_error(req, 503, "unhealthy", "the store does not answer");
        return;
    }
    api_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

static void get_version(struct api_req *req)
{
    api_reply_json(
        req, 200,
        json_pack("{s:s, s:s, s:s}", "name", "switchboard", "version", SB_VERSION, "api", "v1"));
}

static const struct api_route routes[] = {
    {"GET", "/healthz", 0, 0, get_healthz},
    {"GET", "/v1/version", 0, 0, get_version},
    {0},
};

int api_system_register(void)
{
    return api_routes_register(routes);
}
