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

/* How each engine error answers, with the text used when the engine gave
 * none. */
static const struct {
    int err;
    uint16_t status;
    const char *code;
    const char *fallback;
} answers[] = {
    {EINVAL, 422, "validation_failed", "the request is not valid"},
    {ENOENT, 404, "not_found", "no such object"},
    {EEXIST, 409, "conflict", "the id is taken"},
    {EBUSY, 409, "in_use", "the object is in use"},
    {EALREADY, 409, "wrong_state", "this was already done or the job is not in that state"},
    {ETIMEDOUT, 409, "offer_expired", "the offer has expired"},
    {EPERM, 403, "forbidden", "this offer was made to another worker"},
    {ENOSPC, 409, "queue_full", "the queue is full"},
};

void router_api_reply_error(struct api_req *req, int err, const char *why, const char *what)
{
    for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
        if (answers[i].err == err) {
            api_reply_error(req, answers[i].status, answers[i].code, "%s",
                            why && why[0] ? why : answers[i].fallback);
            return;
        }
    }
    api_reply_store_error(req, err, what);
}
