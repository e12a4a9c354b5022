/*
 * route.c - where a call goes: a trunk delivering one of our numbers (by
 * source address, or by its own digest credentials), or a person dialling
 * a feature code, an extension, one of our numbers, or an external number
 * through a trunk that allows it for their role (the guard against toll
 * fraud). Transfers route their targets the same way.
 */
#include "core/app.h"
#include "core/log.h"
#include "core/principal.h"
#include "sip/call.h"
#include "sip/dialplan.h"
#include "sip/sip_internal.h"
#include "sip/trunks.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void route_clear(struct route *r)
{
    json_decref(r->trunk);
    json_decref(r->target_spec);
    r->trunk = r->target_spec = NULL;
}

static int refuse(struct route *r, uint16_t scode, const char *reason, int err)
{
    r->scode = scode;
    r->reason = reason;
    return err;
}

int route_refuse(struct route *r, uint16_t scode, const char *reason)
{
    return refuse(r, scode, reason, EPERM);
}

static unsigned user_role(struct sipsvc *s, const char *user_id)
{
    json_t *row = NULL;
    struct store_val v[] = {sv_text(user_id)};
    if (store_query_one(s->app->store, "SELECT role FROM users WHERE id = ?", v, 1, &row) != 0)
        return ROLE_NONE;
    unsigned role = role_parse(json_string_value(json_object_get(row, "role")));
    json_decref(row);
    return role;
}

/* A number of ours: what its target reaches (number is stolen). */
static int route_number(struct sipsvc *s, json_t *number, struct route *r)
{
    r->target_spec = json_incref(json_object_get(number, "target"));
    json_decref(number);
    json_t *out = NULL;
    int e = target_resolve(s, r->target_spec, &r->app, r->callee, &out);
    if (out) { /* an external number: the call goes out through this trunk */
        json_decref(r->trunk);
        r->trunk = out;
    }
    if (!e && r->app == APP_DISCONNECT)
        return refuse(r, 603, "Decline", EPERM);
    if (e == EAGAIN)
        return refuse(r, 480, "Temporarily Unavailable", e);
    if (e)
        return refuse(r, 404, "Not Found (the number's extension does not exist)", e);
    return 0;
}

int route_set_target(struct route *r, const char *dialled)
{
    if (!dialled || strlen(dialled) >= sizeof(r->target))
        return refuse(r, 404, "Not Found", ENOENT);
    if (!dial_normalise(dialled, r->target, sizeof(r->target)))
        snprintf(r->target, sizeof(r->target), "%s", dialled);
    return 0;
}

int route_person(struct sipsvc *s, struct route *r)
{
    r->direction = "internal";
    if (app_for(r->target, &r->app) == 0)
        return 0;
    if (park_orbit(s, r->target, &r->orbit)) {
        r->app = APP_UNPARK;
        return park_leg(s, r->orbit) ? 0
                                     : refuse(r, 404, "Not Found (nobody is parked there)", ENOENT);
    }
    int e = ring_target(s, r->target, r->callee);
    if (e == 0) {
        r->app = APP_EXTENSION;
        return 0;
    }
    if (e == EAGAIN)
        return refuse(r, 480, "Temporarily Unavailable", e);
    json_t *number = number_find(s->app, r->target);
    if (number)
        return route_number(s, number, r);
    e = trunk_route_out(s->app, r->target, user_role(s, r->user_id), &r->trunk);
    if (e == EPERM) {
        log_warn("sip", "dialling out refused", "user=%s number=%s why=role", r->user_id,
                 r->target);
        return refuse(r, 403, "Forbidden (your role may not dial this number)", e);
    }
    if (e)
        return refuse(r, 404, "Not Found", e);
    r->app = APP_OUTBOUND;
    r->direction = "outbound";
    return 0;
}

int route_invite(struct sipsvc *s, const struct sip_msg *msg, struct route *r)
{
    char dialled[sizeof(r->target)];
    if (!pl_isset(&msg->uri.user) || msg->uri.user.l >= sizeof(dialled))
        return refuse(r, 404, "Not Found", ENOENT);
    pl_strcpy(&msg->uri.user, dialled, sizeof(dialled));
    route_set_target(r, dialled);
    json_t *trunk = trunk_by_source(s->app, &msg->src);
    json_t *number = trunk ? number_find(s->app, r->target) : NULL;
    if (!number) {
        json_decref(trunk);
        trunk = NULL;
        if (sipauth_check(s, msg, true, r->user_id, &trunk) != 0)
            return EACCES; /* answered */
        if (!trunk)
            return route_person(s, r);
        number = number_find(s->app, r->target);
        if (!number) {
            json_decref(trunk);
            return refuse(r, 404, "Not Found (not one of our numbers)", ENOENT);
        }
    }
    r->trunk = trunk;
    r->direction = "inbound";
    return route_number(s, number, r);
}
