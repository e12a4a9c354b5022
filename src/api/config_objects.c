/*
 * config_objects.c - configuration kinds edited one object at a time
 * through the API (/v1/chat/bots, /v1/chat/widgets, /v1/voice/trunks,
 * /v1/voice/numbers): each object is validated and applied exactly as the
 * same object in a configuration file is. A kind served here provides
 * get and remove (core/config.h).
 */
#include "api/api_modules.h"
#include "core/app.h"
#include "core/config.h"
#include "http/api.h"
#include "store/store.h"

#include <errno.h>
#include <string.h>

static const struct {
    const char *path;
    const char *kind;
} collections[] = {
    {"/v1/chat/bots", "bots"},
    {"/v1/chat/widgets", "chatWidgets"},
    {"/v1/voice/trunks", "trunks"},
    {"/v1/voice/numbers", "numbers"},
    {"/v1/voice/queues", "callQueues"},
    {"/v1/voice/attendants", "attendants"},
    {"/v1/voice/voicemail-boxes", "voicemailBoxes"},
};

static const struct config_kind *kind_of(const struct api_req *req)
{
    for (size_t i = 0; i < sizeof(collections) / sizeof(collections[0]); i++) {
        size_t n = strlen(collections[i].path);
        if (strncmp(req->path, collections[i].path, n) == 0 &&
            (req->path[n] == '\0' || req->path[n] == '/'))
            return config_kind_find(collections[i].kind);
    }
    return NULL;
}

static void list_objects(struct api_req *req)
{
    const struct config_kind *k = kind_of(req);
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
    json_t *spec = kind_of(req)->get(req->app, req->params[0]);
    if (!spec)
        api_reply_error(req, 404, "not_found", "nothing has the id \"%s\"", req->params[0]);
    else
        api_reply_json(req, 200, spec);
}

static void put_object(struct api_req *req)
{
    const struct config_kind *k = kind_of(req);
    const char *key = k->id_key ? k->id_key : "name";
    json_t *id = json_object_get(req->body, key);
    if (id && (!json_is_string(id) || strcmp(json_string_value(id), req->params[0]) != 0)) {
        api_reply_error(req, 422, "validation_failed", "%s: the body's %s must match the URL's",
                        key, key);
        return;
    }
    json_object_set_new(req->body, key, json_string(req->params[0]));
    struct schema_result res;
    memset(&res, 0, sizeof(res));
    if (!config_validate_object(k, req->body, "", "", &res)) {
        api_reply_problems(req, &res);
        return;
    }
    json_t *before = k->get(req->app, req->params[0]);
    json_decref(before);
    const char *why = NULL;
    bool own;
    int err = store_begin_own(req->app->store, &own);
    if (!err)
        err = k->apply(req->app, req->body, &why);
    if (!err)
        err = config_verify(req->app, &why);
    err = store_end_own(req->app->store, own, err);
    if (err == EINVAL) {
        api_reply_error(req, 422, "validation_failed", "%s", why ? why : "not valid");
        return;
    }
    if (err) {
        api_reply_store_error(req, err, "the configuration");
        return;
    }
    api_reply_json(req, before ? 200 : 201, k->get(req->app, req->params[0]));
}

static void delete_object(struct api_req *req)
{
    const char *why = NULL;
    bool own;
    int err = store_begin_own(req->app->store, &own);
    if (!err)
        err = kind_of(req)->remove(req->app, req->params[0], &why);
    /* what is left must still hold together (an external target needs a
     * trunk that allows it, ...): refused whole otherwise */
    if (!err && config_verify(req->app, &why) != 0)
        err = EBUSY;
    err = store_end_own(req->app->store, own, err);
    if (err == EBUSY)
        api_reply_error(req, 409, "in_use", "%s", why);
    else if (err == ENOENT)
        api_reply_error(req, 404, "not_found", "nothing has the id \"%s\"", req->params[0]);
    else if (err)
        api_reply_store_error(req, err, "the configuration");
    else
        api_reply_empty(req, 204);
}

/* Readers: leads, except for trunks, whose specs hold the carrier's
 * credentials (admins only). */
#define CONFIG_ROUTES(path, readers)                                                               \
    {"GET", path, readers, 0, list_objects}, {"GET", path "/{id}", readers, 0, get_object},        \
        {"PUT", path "/{id}", ROLE_ADMIN, ROUTE_JSON_BODY, put_object},                            \
    {                                                                                              \
        "DELETE", path "/{id}", ROLE_ADMIN, 0, delete_object                                       \
    }

static const struct api_route routes[] = {
    CONFIG_ROUTES("/v1/chat/bots", ROLES_LEADS),
    CONFIG_ROUTES("/v1/chat/widgets", ROLES_LEADS),
    CONFIG_ROUTES("/v1/voice/trunks", ROLE_ADMIN),
    CONFIG_ROUTES("/v1/voice/numbers", ROLES_LEADS),
    CONFIG_ROUTES("/v1/voice/queues", ROLES_LEADS),
    CONFIG_ROUTES("/v1/voice/attendants", ROLES_LEADS),
    CONFIG_ROUTES("/v1/voice/voicemail-boxes", ROLES_LEADS),
    {0},
};

int api_config_objects_register(void)
{
    return api_routes_register(routes);
}
