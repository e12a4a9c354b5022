/*
 * chat_config.c - /v1/chat/bots and /v1/chat/widgets: the chat's
 * configuration through the API, validated and applied exactly as a
 * configuration file's "bots" and "chatWidgets" are.
 */
#include "api/api_modules.h"
#include "chat/chat_internal.h"
#include "core/app.h"
#include "core/config.h"
#include "http/api.h"
#include "store/store.h"

#include <errno.h>
#include <string.h>

/* /v1/chat/bots... -> "bots"; /v1/chat/widgets... -> "chatWidgets" */
static const char *kind_of(const struct api_req *req)
{
    return strncmp(req->path, "/v1/chat/bots", 13) == 0 ? "bots" : "chatWidgets";
}

static void list_objects(struct api_req *req)
{
    const struct config_kind *k = config_kind_find(kind_of(req));
    json_t *list = NULL;
    int err = k->export(req->app, &list);
    if (err) {
        api_reply_store_error(req, err, "the configuration");
        return;
    }
    api_reply_json(req, 200, json_pack("{s:o}", "items", list ? list : json_array()));
}

static void get_object(struct api_req *req)
{
    json_t *spec = chat_object_get(req->app, kind_of(req), req->params[0]);
    if (!spec)
        api_reply_error(req, 404, "not_found", "nothing has the id \"%s\"", req->params[0]);
    else
        api_reply_json(req, 200, spec);
}

static void put_object(struct api_req *req)
{
    const struct config_kind *k = config_kind_find(kind_of(req));
    json_t *id = json_object_get(req->body, "id");
    if (id && (!json_is_string(id) || strcmp(json_string_value(id), req->params[0]) != 0)) {
        api_reply_error(req, 422, "validation_failed", "id: the body's id must match the URL's");
        return;
    }
    json_object_set_new(req->body, "id", json_string(req->params[0]));
    struct schema_result res;
    memset(&res, 0, sizeof(res));
    if (!config_validate_object(k, req->body, "", "", &res)) {
        api_reply_problems(req, &res);
        return;
    }
    json_t *before = chat_object_get(req->app, k->key, req->params[0]);
    json_decref(before);
    const char *why = NULL;
    bool own;
    int err = store_begin_own(req->app->store, &own);
    if (!err)
        err = k->apply(req->app, req->body, &why);
    err = store_end_own(req->app->store, own, err);
    if (err == EINVAL) {
        api_reply_error(req, 422, "validation_failed", "%s", why ? why : "not valid");
        return;
    }
    if (err) {
        api_reply_store_error(req, err, "the configuration");
        return;
    }
    api_reply_json(req, before ? 200 : 201, chat_object_get(req->app, k->key, req->params[0]));
}

static void delete_object(struct api_req *req)
{
    const char *why = NULL;
    int err = chat_object_delete(req->app, kind_of(req), req->params[0], &why);
    if (err == EBUSY)
        api_reply_error(req, 409, "in_use", "%s", why);
    else if (err == ENOENT)
        api_reply_error(req, 404, "not_found", "nothing has the id \"%s\"", req->params[0]);
    else if (err)
        api_reply_store_error(req, err, "the configuration");
    else
        api_reply_empty(req, 204);
}

#define CONFIG_ROUTES(path)                                                                        \
    {"GET", path, ROLES_LEADS, 0, list_objects},                                                   \
        {"GET", path "/{id}", ROLES_LEADS, 0, get_object},                                         \
        {"PUT", path "/{id}", ROLE_ADMIN, ROUTE_JSON_BODY, put_object},                            \
    {                                                                                              \
        "DELETE", path "/{id}", ROLE_ADMIN, 0, delete_object                                       \
    }

static const struct api_route routes[] = {
    CONFIG_ROUTES("/v1/chat/bots"),
    CONFIG_ROUTES("/v1/chat/widgets"),
    {0},
};

int api_chat_config_register(void)
{
    return api_routes_register(routes);
}
