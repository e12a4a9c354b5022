/*
 * kinds.c - configuration kinds for the router's objects. Applying one
 * goes through the router service, so the engine checks what the schema
 * cannot (references, expressions) and the store keeps the spec.
 */
#include "routing/kinds.h"
#include "core/app.h"
#include "core/config.h"
#include "routing/schemas.h"
#include "routing/service.h"
#include "store/store.h"

#include <errno.h>

static int apply(struct app *app, enum routing_kind kind, const json_t *obj, const char **message)
{
    if (!app->routing) {
        *message = "the router is not running";
        return EINVAL;
    }
    /* Unchanged objects are left alone, so importing twice changes nothing. */
    json_t *old = routing_stored_spec(app, kind, json_string_value(json_object_get(obj, "id")));
    bool same = old && json_equal(old, obj);
    json_decref(old);
    if (same)
        return 0;
    int err = routing_begin(app);
    if (err) {
        *message = "the store is busy";
        return err;
    }
    err = routing_set(app, kind, obj, message);
    return routing_end_why(app, err, message);
}

#define ROUTING_KIND(fn, kind_enum)                                                                \
    static int fn##_apply(struct app *app, const json_t *obj, const char **message)                \
    {                                                                                              \
        return apply(app, kind_enum, obj, message);                                                \
    }                                                                                              \
    static int fn##_export(struct app *app, json_t **out)                                          \
    {                                                                                              \
        return config_export_specs(app, "router_objects", routing_kind_key(kind_enum), out);       \
    }

ROUTING_KIND(distribution, ROUTING_DISTRIBUTION_POLICIES)
ROUTING_KIND(classification, ROUTING_CLASSIFICATION_POLICIES)
ROUTING_KIND(exception, ROUTING_EXCEPTION_POLICIES)
ROUTING_KIND(queue, ROUTING_QUEUES)
ROUTING_KIND(worker, ROUTING_WORKERS)

/* Apply order: what an object refers to comes first. Exception policies
 * and classification policies may refer to each other's queues, which the
 * engine resolves by id when it uses them. */
static const struct config_kind kinds[] = {
    {.key = "distributionPolicies",
     .list = true,
     .id_key = "id",
     .order = 30,
     .schema = &routing_distribution_policy_schema,
     .apply = distribution_apply,
     .export = distribution_export},
    {.key = "exceptionPolicies",
     .list = true,
     .id_key = "id",
     .order = 31,
     .schema = &routing_exception_policy_schema,
     .apply = exception_apply,
     .export = exception_export},
    {.key = "queues",
     .list = true,
     .id_key = "id",
     .order = 32,
     .schema = &routing_queue_schema,
     .apply = queue_apply,
     .export = queue_export},
    {.key = "classificationPolicies",
     .list = true,
     .id_key = "id",
     .order = 33,
     .schema = &routing_classification_policy_schema,
     .apply = classification_apply,
     .export = classification_export},
    {.key = "workers",
     .list = true,
     .id_key = "id",
     .order = 34,
     .schema = &routing_worker_schema,
     .apply = worker_apply,
     .export = worker_export},
};

int routing_kinds_register(void)
{
    int err = 0;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        err |= config_kind_register(&kinds[i]);
    return err;
}
