/*
 * router_util.h - what the router's endpoints share: who may act for a
 * worker, and engine errors as HTTP answers.
 */
#ifndef SB_API_ROUTER_UTIL_H
#define SB_API_ROUTER_UTIL_H

#include "http/api.h"

/* Admins and managers act for any worker; others only for their own.
 * Replies 403 or 404 and returns false otherwise. */
bool router_api_may_act_for_worker(struct api_req *req, const char *worker_id);

/* EINVAL 422 (with why), ENOENT 404, EEXIST/EBUSY/EALREADY 409,
 * ETIMEDOUT 409 offer_expired, EPERM 403, ENOSPC 409 queue_full. */
void router_api_reply_error(struct api_req *req, int err, const char *why, const char *what);

int api_router_objects_register(void);
int api_router_jobs_register(void);

#endif
