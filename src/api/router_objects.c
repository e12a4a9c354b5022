/*
 * router_objects.c - /v1/router/{distributionPolicies, classificationPolicies,
 * exceptionPolicies, queues, workers}: list, read, create or replace (PUT),
 * delete; queue statistics; a worker's availability.
 *
 * Admins change objects; admins and managers read them and staff the
 * queues (a worker's queues, PUT .../queues); an agent or expert reads and
 * sets the availability of their own worker only.
 */
#include "api/api_modules.h"
#include "api/router_util.h"
#include "core/app.h"
#include "core/config.h"
#include "http/api.h"
#include "router/router.h"
#include "routing/schemas.h"
#include "routing/service.h"

#include <string.h>

static const struct schema *const kind_schema[ROUTING_KINDS] = {
    &routing_distribution_policy_schema,
    &routing_classification_policy_schema,
    &routing_exception_policy_schema,
    &routing_queue_schema,
    &routing_worker_schema,
};

/* The kind is the third path segment: /v1/router/<kind>/... */
static enum routing_kind kind_of(const struct api_req *req)
{
    const char *seg = req->path + strlen("/v1/router/");
    for (int k = 0; k < ROUTING_KINDS; k++) {
        size_t n = strlen(routing_kind_key(k));
        if (strncmp(seg, routing_kind_key(k), n) == 0 && (seg[n] == '\0' || seg[n] == '/'))
            return (enum routing_kind)k;
    }
    return ROUTING_KINDS;
}

static json_t *object_get(struct app *app, enum routing_kind kind, const char *id)
{
    struct router *r = routing_engine(app);
    switch (kind) {
    case ROUTING_DISTRIBUTION_POLICIES:
        return router_distribution_policy_get(r, id);
    case ROUTING_CLASSIFICATION_POLICIES:
        return router_classification_policy_get(r, id);
    case ROUTING_EXCEPTION_POLICIES:
        return router_exception_policy_get(r, id);
    case ROUTING_QUEUES:
        return router_queue_get(r, id);
    case ROUTING_WORKERS:
        return router_worker_get(r, id, routing_now());
    default:
        return NULL;
    }
}

static void list_objects(struct api_req *req)
{
    enum routing_kind kind = kind_of(req);
    json_t *ids = router_list(routing_engine(req->app), routing_kind_key(kind));
    json_t *items = json_array();
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        json_t *obj = object_get(req->app, kind, json_string_value(id));
        if (obj)
            json_array_append_new(items, obj);
    }
    json_decref(ids);
    api_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

static void get_object(struct api_req *req)
{
    enum routing_kind kind = kind_of(req);
    if (kind == ROUTING_WORKERS && !router_api_may_act_for_worker(req, req->params[0]))
        return;
    json_t *obj = object_get(req->app, kind, req->params[0]);
    if (!obj) {
        api_reply_error(req, 404, "not_found", "no %s with id %s", routing_kind_key(kind),
                        req->params[0]);
        return;
    }
    api_reply_json(req, 200, obj);
}

/* A change the rest of the configuration must still agree with (a call
 * queue needs a voice worker who could answer it, ...): checked in the
 * change's own transaction, so a refusal keeps nothing. */
static int verified(struct app *app, int err, const char **why)
{
    return err ? err : config_verify(app, why);
}

/* Set spec (valid) in one transaction with the whole configuration's
 * check, and answer with the object: 200, or 201 when it is new. */
static void store_object(struct api_req *req, enum routing_kind kind, const json_t *spec)
{
    json_t *before = object_get(req->app, kind, req->params[0]);
    bool existed = before != NULL;
    json_decref(before);
    const char *why = NULL;
    int err = routing_begin(req->app);
    if (!err)
        err = routing_end_why(
            req->app, verified(req->app, routing_set(req->app, kind, spec, &why), &why), &why);
    if (err) {
        router_api_reply_error(req, err, why, routing_kind_key(kind));
        return;
    }
    api_reply_json(req, existed ? 200 : 201, object_get(req->app, kind, req->params[0]));
}

static void put_object(struct api_req *req)
{
    enum routing_kind kind = kind_of(req);
    json_t *id = json_object_get(req->body, "id");
    if (id && (!json_is_string(id) || strcmp(json_string_value(id), req->params[0]) != 0)) {
        api_reply_error(req, 422, "validation_failed", "id: the body's id must match the URL's");
        return;
    }
    json_object_set_new(req->body, "id", json_string(req->params[0]));
    struct schema_result res;
    memset(&res, 0, sizeof(res));
    if (!schema_validate(kind_schema[kind], req->body, "", "", &res)) {
        api_reply_problems(req, &res);
        return;
    }
    store_object(req, kind, req->body);
}

/* The worker's queues replaced, the rest of its configuration kept, and
 * its availability as it is now. */
static void put_worker_queues(struct api_req *req)
{
    struct schema_result res;
    memset(&res, 0, sizeof(res));
    if (!schema_validate(&routing_worker_queues_schema, req->body, "", "", &res)) {
        api_reply_problems(req, &res);
        return;
    }
    json_t *spec = routing_worker_spec_now(req->app, req->params[0]);
    if (!spec) {
        api_reply_error(req, 404, "not_found", "no worker with id %s", req->params[0]);
        return;
    }
    json_object_set(spec, "queues", json_object_get(req->body, "queues"));
    store_object(req, ROUTING_WORKERS, spec);
    json_decref(spec);
}

static void delete_object(struct api_req *req)
{
    enum routing_kind kind = kind_of(req);
    const char *why = NULL;
    int err = routing_begin(req->app);
    if (!err)
        err = routing_end_why(
            req->app,
            verified(req->app, routing_delete(req->app, kind, req->params[0], &why), &why), &why);
    if (err) {
        router_api_reply_error(req, err, why, routing_kind_key(kind));
        return;
    }
    api_reply_empty(req, 204);
}

static void queue_statistics(struct api_req *req)
{
    json_t *stats = router_queue_stats(routing_engine(req->app), req->params[0], routing_now());
    if (!stats) {
        api_reply_error(req, 404, "not_found", "no queue with id %s", req->params[0]);
        return;
    }
    api_reply_json(req, 200, stats);
}

static void set_availability(struct api_req *req)
{
    struct schema_result res;
    memset(&res, 0, sizeof(res));
    if (!schema_validate(&routing_availability_schema, req->body, "", "", &res)) {
        api_reply_problems(req, &res);
        return;
    }
    if (!router_api_may_act_for_worker(req, req->params[0]))
        return;
    int err = routing_begin(req->app);
    if (!err)
        err = routing_end(req->app, router_worker_set_availability(
                                        routing_engine(req->app), req->params[0],
                                        json_is_true(json_object_get(req->body, "available")),
                                        json_string_value(json_object_get(req->body, "reason")),
                                        routing_now()));
    if (err) {
        router_api_reply_error(req, err, NULL, "worker");
        return;
    }
    api_reply_json(req, 200,
                   router_worker_get(routing_engine(req->app), req->params[0], routing_now()));
}

#define OBJECT_ROUTES(path)                                                                        \
    {"GET", "/v1/router/" path, ROLES_LEADS, 0, list_objects},                                     \
        {"GET", "/v1/router/" path "/{id}", ROLES_LEADS, 0, get_object},                           \
        {"PUT", "/v1/router/" path "/{id}", ROLE_ADMIN, ROUTE_JSON_BODY, put_object},              \
    {                                                                                              \
        "DELETE", "/v1/router/" path "/{id}", ROLE_ADMIN, 0, delete_object                         \
    }

static const struct api_route routes[] = {
    OBJECT_ROUTES("distributionPolicies"),
    OBJECT_ROUTES("classificationPolicies"),
    OBJECT_ROUTES("exceptionPolicies"),
    OBJECT_ROUTES("queues"),
    {"GET", "/v1/router/queues/{id}/statistics", ROLES_STAFF, 0, queue_statistics},
    {"GET", "/v1/router/workers", ROLES_LEADS, 0, list_objects},
    {"GET", "/v1/router/workers/{id}", ROLES_STAFF, 0, get_object},
    {"PUT", "/v1/router/workers/{id}", ROLE_ADMIN, ROUTE_JSON_BODY, put_object},
    {"PUT", "/v1/router/workers/{id}/queues", ROLES_LEADS, ROUTE_JSON_BODY, put_worker_queues},
    {"DELETE", "/v1/router/workers/{id}", ROLE_ADMIN, 0, delete_object},
    {"POST", "/v1/router/workers/{id}/availability", ROLES_STAFF, ROUTE_JSON_BODY,
     set_availability},
    {0},
};

int api_router_objects_register(void)
{
    return api_routes_register(routes);
}
