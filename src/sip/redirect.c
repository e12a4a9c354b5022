/*
 * redirect.c - sending a call somewhere else: where a number leads, what
 * an auto attendant's option does, where a call queue sends its callers.
 * A target (trunks.h) is a person (their phones ring), a call queue, an
 * auto attendant, an external number (through a trunk that allows it),
 * an announcement, a test application, or disconnect. A caller already
 * answered by an application hears ringback while a person or a number is
 * rung; nobody answering ends the call.
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/log.h"
#include "core/principal.h"
#include "media/media.h"
#include "sip/call.h"
#include "sip/dialplan.h"
#include "sip/sip_internal.h"
#include "sip/trunks.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int target_resolve(struct sipsvc *s, const json_t *target, enum call_app *app, char callee[ID_SIZE],
                   json_t **trunk)
{
    const char *kind = json_string_value(json_object_get(target, "kind"));
    if (!kind)
        return EINVAL;
    if (strcmp(kind, "person") == 0) {
        *app = APP_EXTENSION;
        return ring_user(s, true, json_string_value(json_object_get(target, "user")), callee);
    }
    if (strcmp(kind, "external") == 0) {
        char number[64];
        const char *n = json_string_value(json_object_get(target, "number"));
        if (!n || !dial_normalise(n, number, sizeof(number)))
            return EINVAL;
        *app = APP_OUTBOUND;
        /* Configured by an admin, still only through a trunk's allow-list. */
        return trunk_route_out(s->app, number, ROLE_ADMIN, trunk);
    }
    if (strcmp(kind, "attendant") == 0) {
        *app = APP_ATTENDANT;
        return attendant_exists(s, json_string_value(json_object_get(target, "attendant")))
                   ? 0
                   : ENOENT;
    }
    if (strcmp(kind, "disconnect") == 0) {
        *app = APP_DISCONNECT;
        return 0;
    }
    return app_for_target(s, target, app, callee);
}

/* The number a ringing target dials: an extension, a number, a name. */
static const char *dialled(const json_t *target)
{
    const char *keys[] = {"extension", "number", "user"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = json_string_value(json_object_get(target, keys[i]));
        if (v)
            return v;
    }
    return "redirect";
}

int call_to_voicemail(struct call *c, const char *user_id)
{
    if (!user_id || !user_id[0] || !c->a)
        return ENOENT;
    ring_stop(c);
    if (!c->answered) {
        int err = sipsess_answer(c->a->sess, 200, "OK", c->a_answer, "%s", sip_allow);
        if (err)
            return err;
        c->answered = true;
    }
    app_stop(c);
    app_barge(c);
    if (c->leg_b) {
        call_close_leg(c, c->leg_b);
        c->leg_b = 0;
    }
    c->app = APP_VOICEMAIL;
    snprintf(c->vm_box, sizeof(c->vm_box), "%s", user_id);
    log_info("sip", "to voicemail", "call=%s box=%s", c->id, user_id);
    events_append(c->s->app->events, "calls", "callRedirected", c->id, NULL,
                  json_pack("{s:s, s:s, s:{s:s, s:s}}", "callId", c->id, "from", "person", "target",
                            "kind", "voicemail", "userId", user_id));
    return voicemail_start(c);
}

int call_redirect(struct call *c, const json_t *target)
{
    enum call_app app;
    char callee[ID_SIZE] = "";
    json_t *trunk = NULL;
    const char *kind = json_string_value(json_object_get(target, "kind"));
    int err = target_resolve(c->s, target, &app, callee, &trunk);
    log_info("sip", "call redirected", "call=%s from=%s to=%s err=%d", c->id, app_name(c->app),
             kind ? kind : "?", err);
    events_append(
        c->s->app->events, "calls", "callRedirected", c->id, NULL,
        json_pack("{s:s, s:s, s:O}", "callId", c->id, "from", app_name(c->app), "target", target));
    if (err == EAGAIN && app == APP_EXTENSION && call_to_voicemail(c, callee) == 0)
        return 0; /* a person with no phone: their voicemail */
    if (err) {
        json_decref(trunk);
        call_end_soon(c, "system", err == EAGAIN ? "nobody to ring" : "redirect target missing");
        return err;
    }
    /* Leave the application the caller was in. */
    if (c->app == APP_QUEUE)
        queue_call_ended(c);
    app_stop(c);
    app_barge(c);
    json_t *old = c->target;
    c->target = json_deep_copy(target);
    json_decref(old);
    c->app = app;
    if (trunk)
        call_set_trunk(c, trunk);
    switch (app) {
    case APP_DISCONNECT:
        call_end_soon(c, "system", "disconnected");
        return 0;
    case APP_EXTENSION:
    case APP_OUTBOUND: {
        snprintf(c->callee_id, sizeof(c->callee_id), "%s", callee);
        char from[256];
        snprintf(from, sizeof(from), "%s", c->a ? c->a->aor : "sip:anonymous@invalid");
        char number[64];
        const char *to = dialled(target);
        if (app == APP_OUTBOUND && dial_normalise(to, number, sizeof(number)))
            to = number;
        media_tone(c->s->media, c->leg, "ringback", 0);
        err = call_ring(c, from, to);
        break;
    }
    default:
        err = app_start(c);
        break;
    }
    if (err) {
        log_warn("sip", "redirect failed", "call=%s err=%d", c->id, err);
        call_end_soon(c, "system", "redirect failed");
    }
    return err;
}
