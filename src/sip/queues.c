/*
 * queues.c - call queues (config kind "callQueues", docs/voice.md): a
 * number's caller is answered with the queue's greeting, then hears music
 * on hold (the queue's WAV, or Switchboard's own piece) while a job on the
 * router's voice channel finds an agent. Each offer rings the agent's
 * phones; the agent answering accepts it and is bridged with the caller;
 * every phone refusing declines it, and the router's offer expiring (the
 * distribution policy's alert time) stops the ringing, so the router
 * moves on. Optionally the caller hears their position every N seconds.
 * A caller hanging up while waiting cancels the job ("abandoned"); a call
 * that ends after an agent answered closes it. A queue may offer callbacks
 * (callback_offer.c): the job of a caller who asked for one outlives
 * their call (callback.c).
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/events.h"
#include "core/log.h"
#include "core/schema.h"
#include "media/media.h"
#include "router/router.h"
#include "routing/service.h"
#include "sip/call.h"
#include "sip/sip.h"
#include "sip/sip_internal.h"
#include "sip/trunks.h"
#include "sip/voice_kinds.h"
#include "store/store.h"
#include "voice/moh.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char kind[] = "callQueues";

enum {
    OP_GREETING = 20,
    OP_MUSIC = 21,
    OP_POSITION = 22,
    OP_REDIRECT = 23,
    OP_NOTICE = 24, /* "this call may be recorded" */
    NO_AGENTS_EVERY_S = 5,
    DEFAULT_EVERY_S = 60,
    NO_PHONE_RETRY_S = 10, /* an agent who refused, or has no phone, is not offered it again soon */
};

/* ---- the configuration kind ---- */

static const struct schema s_id = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 64};
static const struct schema s_text = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 1000};
static const struct schema s_path = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 1024};
static const struct schema s_bool = {.type = SCHEMA_BOOLEAN};
static const struct schema s_every = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 15, .has_max = true, .max = 3600};
static const struct schema s_priority = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = -100, .has_max = true, .max = 100};
static const struct schema s_labels = {.type = SCHEMA_OBJECT, .allow_unknown = true};
static const struct schema s_any_object = {.type = SCHEMA_OBJECT, .allow_unknown = true};
static const struct schema s_callers = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 0, .has_max = true, .max = 10000};
static const struct schema s_wait = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 5, .has_max = true, .max = 86400};
/* overflow: {callers, target, announcement}; timeout: {seconds, ...};
 * noAgents: {target, announcement} */
static const struct schema_field rule_fields[] = {
    {"callers", &s_callers, false},
    {"seconds", &s_wait, false},
    {"target", &s_any_object, true},
    {"announcement", &voice_audio, false},
    {0},
};
static const struct schema s_rule = {.type = SCHEMA_OBJECT, .fields = rule_fields};
static const char *const recording_modes[] = {"always", "never", "onDemand", NULL};
static const struct schema s_recording = {.type = SCHEMA_STRING, .enum_values = recording_modes};

static const struct schema_field queue_fields[] = {
    {"id", &s_id, true},
    {"name", &s_text, false},
    {"queue", &s_id, true},
    {"greeting", &voice_audio, false},
    {"musicOnHold", &s_path, false},
    {"announcePosition", &s_bool, false},
    {"announceEverySeconds", &s_every, false},
    {"priority", &s_priority, false},
    {"labels", &s_labels, false},
    {"overflow", &s_rule, false},
    {"timeout", &s_rule, false},
    {"noAgents", &s_rule, false},
    {"recording", &s_recording, false},
    {"recordingAnnouncement", &voice_audio, false},
    {"survey", &survey_schema, false},
    {"callback", &callback_schema, false},
    {0},
};
static const struct schema queue_schema = {.type = SCHEMA_OBJECT, .fields = queue_fields};

static void queue_check(const json_t *obj, const char *path, const char *pointer,
                        struct schema_result *res)
{
    char msg[300], buf[256];
    const char *audios[] = {"greeting", "recordingAnnouncement"};
    for (size_t i = 0; i < 2; i++) {
        const char *why = voice_audio_problem(json_object_get(obj, audios[i]));
        if (why) {
            snprintf(msg, sizeof(msg), "%s: %s", audios[i], why);
            schema_add_problem(res, path, pointer, false, msg);
        }
    }
    survey_check(obj, path, pointer, res);
    const char *cb = callback_config_problem(json_object_get(obj, "callback"));
    if (cb)
        schema_add_problem(res, path, pointer, false, cb);
    static const struct {
        const char *rule, *needs;
    } rules[] = {{"overflow", "callers"}, {"timeout", "seconds"}, {"noAgents", NULL}};
    for (size_t i = 0; i < 3; i++) {
        const json_t *r = json_object_get(obj, rules[i].rule);
        if (!r)
            continue;
        if (rules[i].needs && !json_object_get(r, rules[i].needs)) {
            snprintf(msg, sizeof(msg), "%s: needs \"%s\"", rules[i].rule, rules[i].needs);
            schema_add_problem(res, path, pointer, false, msg);
        }
        const char *need = target_invalid(json_object_get(r, "target"), buf, sizeof(buf));
        if (need) {
            snprintf(msg, sizeof(msg), "%s.target: %.120s", rules[i].rule, need);
            schema_add_problem(res, path, pointer, false, msg);
        }
        need = voice_audio_problem(json_object_get(r, "announcement"));
        if (need) {
            snprintf(msg, sizeof(msg), "%s.announcement: %s", rules[i].rule, need);
            schema_add_problem(res, path, pointer, false, msg);
        }
    }
}

static int queue_apply(struct app *app, const json_t *obj, const char **message)
{
    const char *id = json_string_value(json_object_get(obj, "id"));
    const char *rq = json_string_value(json_object_get(obj, "queue"));
    json_t *q = routing_engine(app) ? router_queue_get(routing_engine(app), rq) : NULL;
    json_decref(q);
    if (!q) {
        *message = "queue: no router queue has this id (define it under queues)";
        return EINVAL;
    }
    return voice_put(app, kind, id, obj);
}

static int queue_export(struct app *app, json_t **out)
{
    return voice_export(app, kind, out);
}

static json_t *queue_get(struct app *app, const char *id)
{
    return voice_get(app, kind, id);
}

static int queue_remove(struct app *app, const char *id, const char **why)
{
    if (voice_referenced(app, "callQueue", id, NULL)) {
        *why = "a number, an attendant or a queue's redirect leads to this call queue: change it "
               "first";
        return EBUSY;
    }
    return voice_delete(app, kind, id);
}

int queues_register(void)
{
    static const struct config_kind k = {
        .key = "callQueues",
        .list = true,
        .id_key = "id",
        .order = 52,
        .schema = &queue_schema,
        .check = queue_check,
        .apply = queue_apply,
        .export = queue_export,
        .get = queue_get,
        .remove = queue_remove,
    };
    return config_kind_register(&k);
}

bool queue_exists(struct sipsvc *s, const char *id)
{
    json_t *q = voice_get(s->app, kind, id);
    json_decref(q);
    return q != NULL;
}

/* ---- a caller in the queue ---- */

static void queue_event(struct call *c, const char *type, json_t *data)
{
    json_object_set_new(data, "callId", json_string(c->id));
    json_object_set_new(
        data, "callQueue",
        json_string(c->target ? json_string_value(json_object_get(c->target, "callQueue")) : ""));
    if (c->job_id[0])
        json_object_set_new(data, "jobId", json_string(c->job_id));
    /* The router queue, by which reports count calls (docs/reporting.md). */
    json_t *rq = c->queue ? json_object_get(c->queue, "queue") : NULL;
    if (rq && !json_object_get(data, "queueId"))
        json_object_set(data, "queueId", rq);
    if (events_append(c->s->app->events, "calls", type, c->id, NULL, data) != 0)
        log_error("sip", "queue event not stored", "call=%s type=%s", c->id, type);
}

void queue_music(struct call *c)
{
    if (c->b || c->ended)
        return;
    char path[1100];
    const char *file = json_string_value(json_object_get(c->queue, "musicOnHold"));
    if (!file && moh_default(c->s->app, path, sizeof(path)) == 0)
        file = path;
    if (!file || media_play(c->s->media, c->leg, file, true, OP_MUSIC) != 0)
        media_tone(c->s->media, c->leg, "ringback", OP_MUSIC);
}

static void on_position(void *arg)
{
    struct call *c = arg;
    if (c->b || c->ended)
        return;
    json_int_t every = json_integer_value(json_object_get(c->queue, "announceEverySeconds"));
    tmr_start(&c->queue_tmr, (uint64_t)(every ? every : DEFAULT_EVERY_S) * 1000, on_position, c);
    if (callback_offer_busy(c))
        return; /* the caller is answering the callback's questions */
    json_t *job = router_job_get(routing_engine(c->s->app), c->job_id, clock_now_ms());
    const json_t *pos = json_object_get(job, "position");
    const json_t *est = json_object_get(job, "estimatedWaitSeconds");
    char text[160] = "";
    int n = json_is_integer(pos) ? snprintf(text, sizeof(text), "You are number %lld in line.",
                                            (long long)json_integer_value(pos))
                                 : 0;
    if (n > 0 && json_is_number(est) && (size_t)n < sizeof(text)) {
        double min = json_number_value(est) / 60.0 + 0.5;
        snprintf(text + n, sizeof(text) - (size_t)n, " The wait is about %.0f minute%s.",
                 min < 1 ? 1 : min, min >= 2 ? "s" : "");
    }
    json_decref(job);
    if (text[0] && app_speak(c, text, OP_POSITION) != 0)
        log_warn("sip", "position not announced", "call=%s", c->id);
}

/* The router job of the caller's stay. A caller who was in this router
 * queue earlier in the same call (sent away by a redirect, and led back
 * by an attendant's option or another queue) keeps the place they had:
 * the job is queued at the time of their first stay. */
static int create_job(struct call *c, bool *kept)
{
    const char *rq = json_string_value(json_object_get(c->queue, "queue"));
    int64_t now = clock_now_ms();
    const json_t *before = json_object_get(c->queue_places, rq);
    int64_t since = json_is_integer(before) ? json_integer_value(before) : now;
    id_new(c->job_id, "job");
    json_t *labels = json_deep_copy(json_object_get(c->queue, "labels"));
    if (!labels)
        labels = json_object();
    json_object_set_new(labels, "callId", json_string(c->id));
    json_t *spec = json_pack("{s:s, s:s, s:s, s:I, s:o, s:I}", "id", c->job_id, "channelId",
                             "voice", "queueId", rq, "priority",
                             json_integer_value(json_object_get(c->queue, "priority")), "labels",
                             labels, "enqueuedAt", (json_int_t)since);
    const char *why = NULL;
    int err = routing_begin(c->s->app);
    if (!err)
        err = routing_end_why(c->s->app,
                              router_job_create(routing_engine(c->s->app), spec, now, &why), &why);
    json_decref(spec);
    if (err) {
        log_error("sip", "queue job not created", "call=%s why=\"%s\"", c->id, why ? why : "");
        c->job_id[0] = '\0';
        return err;
    }
    if (!c->queue_places)
        c->queue_places = json_object();
    if (!before)
        json_object_set_new(c->queue_places, rq, json_integer(now));
    c->queued_at = since;
    *kept = before != NULL;
    return 0;
}

static void stop_ringing(struct call *c);

/* Callers of this call queue still waiting for an agent. */
static unsigned waiting_in(struct sipsvc *s, const char *id)
{
    unsigned n = 0;
    for (struct le *le = s->calls.head; le; le = le->next) {
        struct call *c = le->data;
        const char *q = json_string_value(json_object_get(c->queue, "id"));
        n += c->app == APP_QUEUE && !c->ended && !c->b && c->job_id[0] && q && strcmp(q, id) == 0;
    }
    return n;
}

/* Is any worker of the router queue signed in for voice (available)? */
static bool agents_signed_in(struct call *c)
{
    const char *rq = json_string_value(json_object_get(c->queue, "queue"));
    struct router *r = routing_engine(c->s->app);
    json_t *workers = router_list(r, "workers"); /* their ids */
    bool any = false;
    size_t i, j;
    json_t *id, *x;
    int64_t now = clock_now_ms();
    json_array_foreach(workers, i, id)
    {
        json_t *w = any ? NULL : router_worker_get(r, json_string_value(id), now);
        if (!w)
            continue;
        bool serves = false, voice = false;
        json_array_foreach(json_object_get(w, "queues"), j, x)
        {
            serves |= rq && strcmp(json_string_value(x) ? json_string_value(x) : "", rq) == 0;
        }
        json_array_foreach(json_object_get(w, "channels"), j, x)
        {
            const char *ch = json_string_value(json_object_get(x, "channelId"));
            voice |= ch && strcmp(ch, "voice") == 0;
        }
        any |= serves && voice && json_is_true(json_object_get(w, "available"));
        json_decref(w);
    }
    json_decref(workers);
    return any;
}

static void redirect_now(struct call *c)
{
    json_t *t = c->queue_pending;
    c->queue_pending = NULL;
    if (t)
        call_redirect(c, t);
    json_decref(t);
}

/* Leave the queue by one of its rules ("overflow", "timeout",
 * "noAgents"): its announcement first, if any, then its target. */
static void queue_redirect(struct call *c, const char *why)
{
    const json_t *rule = json_object_get(c->queue, why);
    const json_t *target = json_object_get(rule, "target");
    c->queue_leave = why;
    c->queue_timeout_at = 0;
    tmr_cancel(&c->queue_tmr);
    queue_event(c, "queueRedirected",
                json_pack("{s:s, s:s, s:I}", "reason", why, "target",
                          json_string_value(json_object_get(target, "kind")), "waitedMs",
                          (json_int_t)(c->queued_at ? clock_now_ms() - c->queued_at : 0)));
    log_info("sip", "queue redirect", "call=%s reason=%s", c->id, why);
    json_decref(c->queue_pending);
    c->queue_pending = json_deep_copy(target);
    stop_ringing(c);
    const json_t *a = json_object_get(rule, "announcement");
    const char *text = json_string_value(json_object_get(a, "text"));
    const char *file = json_string_value(json_object_get(a, "file"));
    app_barge(c);
    int err = !a     ? EINVAL
              : file ? media_play(c->s->media, c->leg, file, false, OP_REDIRECT)
                     : app_speak(c, text, OP_REDIRECT);
    if (err)
        redirect_now(c);
}

void queue_tick(struct call *c, uint64_t now)
{
    if (c->b || c->queue_pending || !c->queue || callback_offer_busy(c))
        return;
    if (c->queue_timeout_at && now >= c->queue_timeout_at) {
        queue_redirect(c, "timeout");
        return;
    }
    if (json_object_get(c->queue, "noAgents") && now >= c->queue_check_at) {
        c->queue_check_at = now + NO_AGENTS_EVERY_S * 1000;
        if (!agents_signed_in(c)) {
            queue_redirect(c, "noAgents");
            return;
        }
    }
    callback_offer_tick(c, now);
}

/* The greeting, or straight to the music. */
static int greet(struct call *c)
{
    const json_t *g = json_object_get(c->queue, "greeting");
    if (g)
        return app_play(c, g, OP_GREETING);
    queue_music(c);
    return 0;
}

int queue_start(struct call *c)
{
    const char *id = json_string_value(json_object_get(c->target, "callQueue"));
    json_decref(c->queue);
    c->queue = voice_get(c->s->app, kind, id);
    if (!c->queue)
        return ENOENT;
    tmr_init(&c->queue_tmr);
    c->queued_at = clock_now_ms();
    c->queue_leave = NULL;
    /* On arrival: too many waiting, or nobody to answer. */
    const json_t *overflow = json_object_get(c->queue, "overflow");
    if (overflow && waiting_in(c->s, id) >=
                        (unsigned)json_integer_value(json_object_get(overflow, "callers"))) {
        queue_redirect(c, "overflow");
        return 0;
    }
    if (json_object_get(c->queue, "noAgents") && !agents_signed_in(c)) {
        queue_redirect(c, "noAgents");
        return 0;
    }
    bool back = false;
    int err = create_job(c, &back);
    if (err)
        return err;
    const json_t *timeout = json_object_get(c->queue, "timeout");
    if (timeout)
        c->queue_timeout_at =
            tmr_jiffies() +
            (uint64_t)json_integer_value(json_object_get(timeout, "seconds")) * 1000;
    c->queue_check_at = tmr_jiffies() + NO_AGENTS_EVERY_S * 1000;
    json_t *data =
        json_pack("{s:s, s:o}", "queueId", json_string_value(json_object_get(c->queue, "queue")),
                  "enqueuedAt", clock_time_json(c->queued_at));
    if (back)
        json_object_set_new(data, "placeKept", json_true());
    queue_event(c, "queueEntered", data);
    log_info("sip", "caller queued", "call=%s queue=%s job=%s place_kept=%s", c->id, id, c->job_id,
             back ? "yes" : "no");
    callback_offer_start(c);
    const json_t *notice = json_object_get(c->queue, "recordingAnnouncement");
    err = notice ? app_play(c, notice, OP_NOTICE) : greet(c);
    if (json_is_true(json_object_get(c->queue, "announcePosition"))) {
        json_int_t every = json_integer_value(json_object_get(c->queue, "announceEverySeconds"));
        tmr_start(&c->queue_tmr, (uint64_t)(every ? every : DEFAULT_EVERY_S) * 1000, on_position,
                  c);
    }
    return err;
}

void queue_media_event(struct call *c, const struct media_event *ev)
{
    if (callback_offer_media_event(c, ev))
        return;
    if (ev->type != MEDIA_EV_PLAY_DONE || strcmp(ev->reason, "stopped") == 0)
        return;
    if (ev->op_id == OP_REDIRECT)
        redirect_now(c);
    else if (ev->op_id == OP_NOTICE && !c->queue_pending && greet(c) != 0)
        queue_music(c);
    else if ((ev->op_id == OP_GREETING || ev->op_id == OP_POSITION) && !c->queue_pending)
        queue_music(c);
}

/* Stop ringing the agent of the current offer (its leg goes too). */
static void stop_ringing(struct call *c)
{
    c->offer_id[0] = '\0';
    c->offer_worker[0] = '\0';
    ring_stop(c);
    if (!c->b && c->leg_b) {
        call_close_leg(c, c->leg_b);
        c->leg_b = 0;
    }
    if (c->app == APP_CALLBACK && !c->answered)
        callback_idle(c); /* nobody took this attempt: the next offer makes another */
}

/* Decline an offer from the main loop, not from inside the router's own
 * event delivery. retry_s > 0: not this worker again for that long. */
struct decline {
    struct le le; /* in sipsvc.declines until it runs */
    struct tmr tmr;
    struct app *app;
    char offer[ID_SIZE];
    char worker[64];
    int retry_s;
};

static void on_decline(void *arg)
{
    struct decline *d = arg;
    int err = routing_begin(d->app);
    if (!err)
        err = routing_end(d->app, router_offer_decline(routing_engine(d->app), d->offer, d->worker,
                                                       d->retry_s, clock_now_ms()));
    if (err && err != EALREADY && err != ETIMEDOUT && err != ENOENT)
        log_warn("sip", "queue offer not declined", "offer=%s err=%d", d->offer, err);
    mem_deref(d);
}

static void decline_tmr_destructor(void *arg)
{
    struct decline *d = arg;
    tmr_cancel(&d->tmr);
    list_unlink(&d->le);
}

static void decline_later(struct sipsvc *s, const char *offer, const char *worker, int retry_s)
{
    struct decline *d = mem_zalloc(sizeof(*d), decline_tmr_destructor);
    if (!d)
        return;
    d->app = s->app;
    list_append(&s->declines, &d->le, d);
    snprintf(d->offer, sizeof(d->offer), "%s", offer);
    snprintf(d->worker, sizeof(d->worker), "%s", worker);
    d->retry_s = retry_s;
    tmr_init(&d->tmr);
    tmr_start(&d->tmr, 0, on_decline, d);
}

static struct call *call_of_job(struct sipsvc *s, const char *job)
{
    for (struct le *le = job ? s->calls.head : NULL; le; le = le->next) {
        struct call *c = le->data;
        if (c->app == APP_QUEUE && !c->ended && strcmp(c->job_id, job) == 0)
            return c;
    }
    return NULL;
}

static void offered(struct call *c, const json_t *data)
{
    const char *offer = json_string_value(json_object_get(data, "offerId"));
    const char *worker = json_string_value(json_object_get(data, "workerId"));
    const char *user = json_string_value(json_object_get(data, "workerUserId"));
    if (!offer || !worker || c->b)
        return;
    if (c->offer_id[0]) /* one agent rings at a time; the router offers again */
        return;
    json_t *contacts = NULL;
    int err = user ? ring_contacts(c->s, user, &contacts) : ENOENT;
    if (!err && !json_array_size(contacts))
        err = EAGAIN;
    /* The agent sees who waits: the caller, or a callback's number. */
    const char *from = c->app == APP_CALLBACK ? callback_from(c)
                       : c->a                 ? c->a->aor
                                              : "sip:caller@invalid";
    if (!err) {
        snprintf(c->offer_id, sizeof(c->offer_id), "%s", offer);
        snprintf(c->offer_worker, sizeof(c->offer_worker), "%s", worker);
        snprintf(c->callee_id, sizeof(c->callee_id), "%s", user);
        err = ring_start(c, from, contacts, c->app == APP_CALLBACK ? "callback" : "queue");
    }
    json_decref(contacts);
    if (err) {
        /* No phone to ring: the offer goes back at once. */
        log_info("sip", "queue offer declined", "call=%s worker=%s why=\"%s\"", c->id, worker,
                 err == EAGAIN ? "no phone registered" : "not rung");
        c->offer_id[0] = '\0';
        decline_later(c->s, offer, worker, NO_PHONE_RETRY_S);
        if (c->app == APP_CALLBACK)
            callback_idle(c);
        return;
    }
    queue_event(c, "queueOffered", json_pack("{s:s, s:s}", "workerId", worker, "userId", user));
}

void queue_router_event(struct sipsvc *s, const char *type, const json_t *data)
{
    struct call *c = call_of_job(s, json_string_value(json_object_get(data, "jobId")));
    if (!c)
        c = callback_router_event(s, type, data);
    if (!c)
        return;
    const char *offer = json_string_value(json_object_get(data, "offerId"));
    if (strcmp(type, "offerIssued") == 0) {
        offered(c, data);
    } else if ((strcmp(type, "offerExpired") == 0 || strcmp(type, "offerRevoked") == 0) && offer &&
               strcmp(offer, c->offer_id) == 0 && !c->b) {
        log_info("sip", "queue offer ended", "call=%s why=%s", c->id, type);
        stop_ringing(c);
    } else if (strcmp(type, "jobCancelled") == 0 && !c->b) {
        c->job_id[0] = '\0';
        call_end_soon(c, "system", "queue job cancelled");
    }
}

int queue_agent_answered(struct call *c)
{
    const char *assignment = NULL;
    int err = routing_begin(c->s->app);
    if (!err)
        err = routing_end(c->s->app,
                          router_offer_accept(routing_engine(c->s->app), c->offer_id,
                                              c->offer_worker, clock_now_ms(), &assignment));
    if (err) {
        log_warn("sip", "queue offer not accepted", "call=%s err=%d", c->id, err);
        return err;
    }
    tmr_cancel(&c->queue_tmr);
    if (c->leg)
        media_stop(c->s->media, c->leg);
    callback_served(c); /* when the caller had asked to be called back */
    int64_t waited = clock_now_ms() - c->queued_at;
    queue_event(c, "queueAnswered",
                json_pack("{s:s, s:s, s:I}", "workerId", c->offer_worker, "userId", c->callee_id,
                          "waitedMs", (json_int_t)waited));
    log_info("sip", "queue call answered", "call=%s worker=%s waited_ms=%lld", c->id,
             c->offer_worker, (long long)waited);
    c->offer_id[0] = '\0';
    return 0;
}

void queue_agent_missed(struct call *c)
{
    char offer[ID_SIZE], worker[64];
    snprintf(offer, sizeof(offer), "%s", c->offer_id);
    snprintf(worker, sizeof(worker), "%s", c->offer_worker);
    stop_ringing(c);
    if (!offer[0])
        return;
    log_info("sip", "queue offer declined", "call=%s worker=%s why=refused", c->id, worker);
    decline_later(c->s, offer, worker, NO_PHONE_RETRY_S); /* the next agent first */
}

/* The caller asked for a callback and hung up: the job stays in line,
 * and callback.c takes it. An agent's phone ringing for the caller stops,
 * and the offer goes back to the router for the callback's first
 * attempt. */
static void handover(struct call *c, const char *job_id)
{
    const char *id = callback_offer_requested(c);
    if (c->offer_id[0])
        decline_later(c->s, c->offer_id, c->offer_worker, 0);
    log_info("sip", "callback waits", "call=%s callback=%s job=%s", c->id, id, job_id);
    if (callback_adopt(c->s, id) != 0)
        log_error("sip", "callback not taken up", "callback=%s", id);
}

void queue_call_ended(struct call *c)
{
    tmr_cancel(&c->queue_tmr);
    if (!c->job_id[0] || !routing_engine(c->s->app))
        return;
    /* Forget the job first: the router's events about it (jobCancelled)
     * must not find this call again. */
    char job_id[ID_SIZE];
    snprintf(job_id, sizeof(job_id), "%s", c->job_id);
    c->job_id[0] = '\0';
    struct router *r = routing_engine(c->s->app);
    int64_t now = clock_now_ms();
    json_t *job = router_job_get(r, job_id, now);
    const char *state = json_string_value(json_object_get(job, "state"));
    int err = 0;
    if (state && strcmp(state, "assigned") == 0) {
        err = routing_begin(c->s->app);
        if (!err)
            err = routing_end(c->s->app, router_job_close(r, job_id, "completed", 0, now));
    } else if (state && callback_offer_requested(c)) {
        handover(c, job_id);
    } else if (state && strcmp(state, "closed") != 0 && strcmp(state, "cancelled") != 0 &&
               strcmp(state, "completed") != 0) {
        err = routing_begin(c->s->app);
        if (!err)
            err = routing_end(
                c->s->app,
                router_job_cancel(r, job_id, c->queue_leave ? c->queue_leave : "abandoned", now));
        if (!c->queue_leave)
            queue_event(c, "queueAbandoned",
                        json_pack("{s:s, s:I}", "jobId", job_id, "waitedMs",
                                  (json_int_t)(now - c->queued_at)));
    }
    json_decref(job);
    if (err)
        log_error("sip", "queue job not finished", "call=%s job=%s err=%d", c->id, job_id, err);
}

void queue_jobs_left(struct sipsvc *s)
{
    struct router *r = routing_engine(s->app);
    int64_t now = clock_now_ms();
    json_t *ids = r ? router_job_list(r, NULL, NULL, NULL, now) : NULL, *id;
    size_t i;
    json_array_foreach(ids, i, id)
    {
        const char *job_id = json_string_value(id);
        json_t *job = router_job_get(r, job_id, now);
        const char *state = json_string_value(json_object_get(job, "state"));
        const char *channel = json_string_value(json_object_get(job, "channelId"));
        bool ours = channel && strcmp(channel, "voice") == 0 && state &&
                    json_object_get(json_object_get(job, "labels"), "callId") &&
                    !callback_job(s, job_id);
        bool busy = ours && (!strcmp(state, "assigned") || !strcmp(state, "completed"));
        int err = ours ? routing_begin(s->app) : 0;
        if (ours && !err)
            err = busy ? router_job_close(r, job_id, "serverRestarted", 0, now)
                       : router_job_cancel(r, job_id, "serverRestarted", now);
        if (ours)
            err = routing_end(s->app, err == EALREADY || err == EBUSY ? 0 : err);
        if (ours)
            log_info("sip", "job of a call gone with a restart ended", "job=%s state=%s err=%d",
                     job_id, state, err);
        json_decref(job);
    }
    json_decref(ids);
}

void queue_connected(struct call *c)
{
    const char *mode = json_string_value(json_object_get(c->queue, "recording"));
    if (mode && strcmp(mode, "always") == 0 &&
        sipsvc_record(c->s->app, c->id, true, "queue", NULL) != 0)
        log_warn("sip", "queue call not recorded", "call=%s", c->id);
}

bool queue_recording_allowed(const struct call *c)
{
    const char *mode = json_string_value(json_object_get(c->queue, "recording"));
    bool queued = c->app == APP_QUEUE || c->app == APP_CALLBACK;
    return !queued || !mode || strcmp(mode, "never") != 0;
}
