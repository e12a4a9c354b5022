/*
 * router_jobs.c - /v1/router/jobs: create (admins, managers and servers
 * with those roles), read, list, and the lifecycle: cancel, complete,
 * close, unassign, reclassify, resume; and offers: accept and decline, only
 * by the worker offered.
 *
 * An agent or expert reads and acts on jobs offered or assigned to their
 * own worker; admins and managers on all.
 */
#include "api/api_modules.h"
#include "api/router_util.h"
#include "core/app.h"
#include "core/ids.h"
#include "http/api.h"
#include "router/router.h"
#include "routing/schemas.h"
#include "routing/service.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool valid(struct api_req *req, const struct schema *schema)
{
    struct schema_result res;
    memset(&res, 0, sizeof(res));
    if (schema_validate(schema, req->body, "", "", &res))
        return true;
    api_reply_problems(req, &res);
    return false;
}

/* A job from the engine, or (finished) from the store. */
static json_t *job_get(struct app *app, const char *id)
{
    json_t *job = router_job_get(routing_engine(app), id, routing_now());
    return job ? job : routing_stored_job(app, id);
}

static bool worker_is_users(struct api_req *req, const json_t *worker_id)
{
    const char *owner = routing_worker_user(req->app, json_string_value(worker_id));
    return req->who.kind == PRINCIPAL_USER && strcmp(owner, req->who.id) == 0;
}

/* Is the job offered or assigned to a worker of the requester? */
static bool job_concerns_requester(struct api_req *req, const json_t *job)
{
    if (req->who.role & ROLES_LEADS)
        return true;
    if (worker_is_users(req, json_object_get(json_object_get(job, "assignment"), "workerId")))
        return true;
    size_t i;
    json_t *offer;
    json_array_foreach(json_object_get(job, "offers"), i, offer)
    {
        if (worker_is_users(req, json_object_get(offer, "workerId")))
            return true;
    }
    return false;
}

/* Load the job and check the requester may see it; replies otherwise. */
static json_t *job_for_request(struct api_req *req)
{
    json_t *job = job_get(req->app, req->params[0]);
    if (!job) {
        api_reply_error(req, 404, "not_found", "no job with id %s", req->params[0]);
        return NULL;
    }
    if (!job_concerns_requester(req, job)) {
        json_decref(job);
        api_reply_error(req, 403, "forbidden", "this job is not offered or assigned to you");
        return NULL;
    }
    return job;
}

static void reply_job(struct api_req *req, int err, const char *why, uint16_t status)
{
    if (err) {
        router_api_reply_error(req, err, why, "the job");
        return;
    }
    api_reply_json(req, status, job_get(req->app, req->params[0]));
}

static void create_job(struct api_req *req)
{
    if (!valid(req, &routing_job_schema))
        return;
    char id[ID_SIZE];
    const char *given = json_string_value(json_object_get(req->body, "id"));
    if (!given) {
        id_new(id, "job");
        json_object_set_new(req->body, "id", json_string(id));
    }
    snprintf(req->params[0], sizeof(req->params[0]), "%s",
             json_string_value(json_object_get(req->body, "id")));
    const char *why = NULL;
    int err = routing_begin(req->app);
    if (!err)
        err = routing_end_why(
            req->app, router_job_create(routing_engine(req->app), req->body, routing_now(), &why),
            &why);
    reply_job(req, err, why, 201);
}

/* Jobs in the engine's order (queue order for queued jobs), a page at a
 * time: the cursor is the position where the next page starts. */
static void list_jobs(struct api_req *req)
{
    const char *worker = api_query(req, "workerId");
    if (!(req->who.role & ROLES_LEADS)) {
        /* Agents list only their own worker's jobs. */
        if (!worker) {
            api_reply_error(req, 403, "forbidden", "give workerId=<your worker>");
            return;
        }
        if (!router_api_may_act_for_worker(req, worker))
            return;
    }
    int limit = api_query_limit(req, 100, 1000);
    if (limit < 0)
        return;
    const char *cursor = api_query(req, "cursor");
    char *end = NULL;
    long start = cursor ? strtol(cursor, &end, 10) : 0;
    if (cursor && (*end || end == cursor || start < 0)) {
        api_reply_error(req, 400, "bad_query", "cursor must be a nextCursor from a previous page");
        return;
    }
    json_t *ids = router_job_list(routing_engine(req->app), api_query(req, "state"),
                                  api_query(req, "queueId"), worker, routing_now());
    json_t *items = json_array();
    size_t total = json_array_size(ids);
    for (size_t i = (size_t)start; i < total && i < (size_t)start + (size_t)limit; i++) {
        json_t *job = router_job_get(routing_engine(req->app),
                                     json_string_value(json_array_get(ids, i)), routing_now());
        if (job)
            json_array_append_new(items, job);
    }
    json_decref(ids);
    json_t *next = json_null();
    if ((size_t)start + (size_t)limit < total) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%zu", (size_t)start + (size_t)limit);
        next = json_string(buf);
    }
    api_reply_json(req, 200, json_pack("{s:o, s:o}", "items", items, "nextCursor", next));
}

static void get_job(struct api_req *req)
{
    json_t *job = job_for_request(req);
    if (job)
        api_reply_json(req, 200, job);
}

/* Run one engine call on the job as a change, then answer with the job. */
typedef int(job_op_h)(struct api_req *req, struct router *r, const char **why);

static void job_change(struct api_req *req, const struct schema *schema, job_op_h *op)
{
    if (schema && !valid(req, schema))
        return;
    json_t *job = job_for_request(req);
    if (!job)
        return;
    json_decref(job);
    const char *why = NULL;
    int err = routing_begin(req->app);
    if (!err)
        err = routing_end_why(req->app, op(req, routing_engine(req->app), &why), &why);
    reply_job(req, err, why, 200);
}

static const char *body_str(const struct api_req *req, const char *key)
{
    return json_string_value(json_object_get(req->body, key));
}

static int op_cancel(struct api_req *req, struct router *r, const char **why)
{
    (void)why;
    const char *disposition = body_str(req, "dispositionCode");
    return router_job_cancel(r, req->params[0], disposition ? disposition : "cancelled",
                             routing_now());
}

static int op_complete(struct api_req *req, struct router *r, const char **why)
{
    (void)why;
    return router_job_complete(r, req->params[0], routing_now());
}

static int op_close(struct api_req *req, struct router *r, const char **why)
{
    (void)why;
    int64_t now = routing_now();
    int64_t close_at = json_integer_value(json_object_get(req->body, "closeAt"));
    json_t *wrap = json_object_get(req->body, "wrapUpSeconds");
    if (wrap)
        close_at = now + (int64_t)(json_number_value(wrap) * 1000);
    return router_job_close(r, req->params[0], body_str(req, "dispositionCode"), close_at, now);
}

static int op_unassign(struct api_req *req, struct router *r, const char **why)
{
    (void)why;
    return router_job_unassign(
        r, req->params[0], json_is_true(json_object_get(req->body, "suspend")),
        (int)json_integer_value(json_object_get(req->body, "priorityBump")), routing_now());
}

static int op_reclassify(struct api_req *req, struct router *r, const char **why)
{
    return router_job_reclassify(r, req->params[0], req->body, routing_now(), why);
}

static int op_resume(struct api_req *req, struct router *r, const char **why)
{
    (void)why;
    return router_job_resume(r, req->params[0], routing_now());
}

static void cancel_job(struct api_req *req)
{
    job_change(req, &routing_cancel_schema, op_cancel);
}
static void complete_job(struct api_req *req)
{
    job_change(req, NULL, op_complete);
}
static void close_job(struct api_req *req)
{
    job_change(req, &routing_close_schema, op_close);
}
static void unassign_job(struct api_req *req)
{
    job_change(req, &routing_unassign_schema, op_unassign);
}
static void reclassify_job(struct api_req *req)
{
    job_change(req, &routing_reclassify_schema, op_reclassify);
}
static void resume_job(struct api_req *req)
{
    job_change(req, NULL, op_resume);
}

static void accept_offer(struct api_req *req)
{
    if (!router_api_may_act_for_worker(req, req->params[0]))
        return;
    const char *assignment = NULL;
    int err = routing_begin(req->app);
    if (!err)
        err =
            routing_end(req->app, router_offer_accept(routing_engine(req->app), req->params[1],
                                                      req->params[0], routing_now(), &assignment));
    if (err) {
        router_api_reply_error(req, err, NULL, "the offer");
        return;
    }
    api_reply_json(req, 200,
                   json_pack("{s:s, s:s, s:s?}", "offerId", req->params[1], "workerId",
                             req->params[0], "assignmentId", assignment));
}

static void decline_offer(struct api_req *req)
{
    if (!valid(req, &routing_decline_schema) || !router_api_may_act_for_worker(req, req->params[0]))
        return;
    int retry = (int)json_integer_value(json_object_get(req->body, "retryAfterSeconds"));
    int err = routing_begin(req->app);
    if (!err)
        err = routing_end(req->app, router_offer_decline(routing_engine(req->app), req->params[1],
                                                         req->params[0], retry, routing_now()));
    if (err) {
        router_api_reply_error(req, err, NULL, "the offer");
        return;
    }
    api_reply_empty(req, 204);
}

static const struct api_route routes[] = {
    {"POST", "/v1/router/jobs", ROLES_LEADS, ROUTE_JSON_BODY | ROUTE_IDEMPOTENT, create_job},
    {"GET", "/v1/router/jobs", ROLES_STAFF, 0, list_jobs},
    {"GET", "/v1/router/jobs/{id}", ROLES_STAFF, 0, get_job},
    {"POST", "/v1/router/jobs/{id}/cancel", ROLES_LEADS, ROUTE_JSON_OPTIONAL, cancel_job},
    {"POST", "/v1/router/jobs/{id}/complete", ROLES_STAFF, ROUTE_JSON_OPTIONAL, complete_job},
    {"POST", "/v1/router/jobs/{id}/close", ROLES_STAFF, ROUTE_JSON_OPTIONAL, close_job},
    {"POST", "/v1/router/jobs/{id}/unassign", ROLES_STAFF, ROUTE_JSON_OPTIONAL, unassign_job},
    {"POST", "/v1/router/jobs/{id}/reclassify", ROLES_LEADS, ROUTE_JSON_BODY, reclassify_job},
    {"POST", "/v1/router/jobs/{id}/resume", ROLES_LEADS, ROUTE_JSON_OPTIONAL, resume_job},
    {"POST", "/v1/router/workers/{id}/offers/{offer}/accept", ROLES_STAFF, ROUTE_JSON_OPTIONAL,
     accept_offer},
    {"POST", "/v1/router/workers/{id}/offers/{offer}/decline", ROLES_STAFF, ROUTE_JSON_OPTIONAL,
     decline_offer},
    {0},
};

int api_router_jobs_register(void)
{
    return api_routes_register(routes);
}
