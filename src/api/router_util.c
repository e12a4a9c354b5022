/*
 * router_util.c - shared pieces of the router's endpoints (router_util.h).
 */
#include "api/router_util.h"
#include "core/app.h"
#include "router/router.h"
#include "routing/service.h"

#include <errno.h>
#include <string.h>

bool router_api_may_act_for_worker(struct api_req *req, const char *worker_id)
{
    if (req->who.role & ROLES_LEADS)
        return true;
    json_t *w = router_worker_get(routing_engine(req->app), worker_id, routing_now());
    json_decref(w);
    if (!w) {
        api_reply_error(req, 404, "not_found", "no worker with id %s", worker_id);
        return false;
    }
    const char *owner = routing_worker_user(req->app, worker_id);
    if (req->who.kind == PRINCIPAL_USER && strcmp(owner, req->who.id) == 0)
        return true;
    api_reply_error(req, 403, "forbidden", "you may act only for your own worker");
    return false;
}

void router_api_reply_error(struct api_req *req, int err, const char *why, const char *what)
{
    if (why && !why[0])
        why = NULL;
    switch (err) {
    case EINVAL:
        api_reply_error(req, 422, "validation_failed", "%s",
                        why ? why : "the request is not valid");
        break;
    case ENOENT:
        api_reply_error(req, 404, "not_found", "%s", why ? why : "no such object");
        break;
    case EEXIST:
        api_reply_error(req, 409, "conflict", "%s", why ? why : "the id is taken");
        break;
    case EBUSY:
        api_reply_error(req, 409, "in_use", "%s", why ? why : "the object is in use");
        break;
    case EALREADY:
        api_reply_error(req, 409, "wrong_state", "%s",
                        why ? why : "this was already done or the job is not in that state");
        break;
    case ETIMEDOUT:
        api_reply_error(req, 409, "offer_expired", "%s", why ? why : "the offer has expired");
        break;
    case EPERM:
        api_reply_error(req, 403, "forbidden", "%s",
                        why ? why : "this offer was made to another worker");
        break;
    case ENOSPC:
        api_reply_error(req, 409, "queue_full", "%s", why ? why : "the queue is full");
        break;
    default:
        api_reply_store_error(req, err, what);
        break;
    }
}
