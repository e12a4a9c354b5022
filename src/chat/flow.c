/*
 * flow.c - where a chat goes: the bot's actions, the handoff to the
 * router, the agent joining when a job is assigned, the no-answer offer
 * to leave a message, and external bots over a webhook.
 *
 * Everything here runs inside a transaction the caller opened (the router
 * listener and the timer open their own).
 */
#include "chat/bot.h"
#include "chat/chat_internal.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/settings.h"
#include "core/webhook.h"
#include "router/router.h"
#include "routing/service.h"
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { DEFAULT_NO_ANSWER_S = 120 };

static const char *const leave_label = "Leave a message";
static const char *const keep_label = "Keep waiting";

static int64_t widget_int(struct chat *c, const struct thread *t, const char *key, int64_t def)
{
    const json_t *v = json_object_get(chat_widget(c, t->widget), key);
    return json_is_integer(v) ? json_integer_value(v) : def;
}

static struct bot_env env_of(struct chat *c)
{
    return (struct bot_env){.now_ms = clock_now_ms(),
                            .default_tz = settings_str(c->app, "organisation.timezone")};
}

static json_t *labels_of(const struct thread *t, const json_t *extra)
{
    json_t *labels = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(t->fields, k, v)
    {
        if (json_is_string(v) || json_is_number(v) || json_is_boolean(v))
            json_object_set(labels, k, v);
    }
    json_object_foreach((json_t *)extra, k, v)
    {
        /* A template whose variable was never set gives "": no label. */
        if ((json_is_string(v) && json_string_length(v)) || json_is_number(v) || json_is_boolean(v))
            json_object_set(labels, k, v);
    }
    json_object_set_new(labels, "threadId", json_string(t->id));
    json_object_set_new(labels, "channel", json_string("chat"));
    return labels;
}

/* "You are number 2 in line; the wait is about 3 minutes." */
static void waiting_text(char *out, size_t size, const json_t *job)
{
    json_t *pos = json_object_get(job, "position");
    json_t *est = json_object_get(job, "estimatedWaitSeconds");
    int n = snprintf(out, size, "Thanks for waiting: an agent will be with you shortly.");
    if (json_is_integer(pos))
        n = snprintf(out, size, "You are number %lld in line.", (long long)json_integer_value(pos));
    if (json_is_number(est) && n > 0 && (size_t)n < size) {
        double min = json_number_value(est) / 60.0;
        if (min < 1)
            snprintf(out + n, size - (size_t)n, " The wait is under a minute.");
        else
            snprintf(out + n, size - (size_t)n, " The wait is about %.0f minute%s.", min + 0.5,
                     min + 0.5 >= 2 ? "s" : "");
    }
}

static int create_job(struct chat *c, struct thread *t, const char *queue, int priority,
                      json_t *labels, const char *user_id, json_t **jobp, const char **why)
{
    char job_id[ID_SIZE];
    id_new(job_id, "job");
    json_t *spec = json_pack("{s:s, s:s, s:s, s:i, s:O}", "id", job_id, "channelId", "chat",
                             "queueId", queue, "priority", priority, "labels", labels);
    if (user_id)
        json_object_set_new(
            spec, "requestedWorkerSelectors",
            json_pack("[{s:s, s:s, s:s}]", "key", "userId", "operator", "equal", "value", user_id));
    int err = routing_begin(c->app);
    if (!err) {
        struct router *r = routing_engine(c->app);
        err = router_job_create(r, spec, clock_now_ms(), why);
        if (!err)
            *jobp = router_job_get(r, job_id, clock_now_ms());
        err = routing_end_why(c->app, err, why);
    }
    json_decref(spec);
    if (!err) {
        snprintf(t->job_id, sizeof(t->job_id), "%s", job_id);
        snprintf(t->queue, sizeof(t->queue), "%s", queue);
    }
    return err;
}

static void set_waiting(struct chat *c, struct thread *t)
{
    int64_t now = clock_now_ms();
    snprintf(t->state, sizeof(t->state), "waiting");
    t->waiting_since = now;
    t->no_answer_at = now + widget_int(c, t, "noAnswerSeconds", DEFAULT_NO_ANSWER_S) * 1000;
    t->wait_stage[0] = '\0';
    c->rearm = true;
}

int flow_handoff(struct chat *c, struct thread *t, const json_t *spec, const char **why)
{
    const char *queue = json_string_value(json_object_get(spec, "queue"));
    if (!queue)
        queue = json_string_value(json_object_get(chat_widget(c, t->widget), "queue"));
    json_t *prio = json_object_get(spec, "priority");
    json_t *labels = labels_of(t, json_object_get(spec, "labels"));
    json_t *job = NULL;
    int err =
        queue ? create_job(c, t, queue, json_is_integer(prio) ? (int)json_integer_value(prio) : 1,
                           labels, NULL, &job, why)
              : EINVAL;
    json_decref(labels);
    if (err) {
        if (!queue)
            *why = "the widget names no queue";
        log_warn("chat", "handoff failed", "thread=%s why=\"%s\"", t->id, *why ? *why : "");
        json_decref(job);
        return msg_system(c, t, "handoffFailed",
                          "Sorry, we cannot reach a person right now. Please try again later.",
                          NULL);
    }
    set_waiting(c, t);
    char text[200];
    waiting_text(text, sizeof(text), job);
    json_decref(job);
    err = chat_event(
        c, t, "handedOff", NULL,
        json_pack("{s:s, s:s, s:O}", "queue", t->queue, "jobId", t->job_id, "fields", t->fields));
    if (!err)
        err = msg_system(c, t, "waiting", text, json_pack("{s:s}", "queue", t->queue));
    if (!err)
        thread_changed(c, t);
    return err;
}

int flow_requeue(struct chat *c, struct thread *t, const char *queue, const char *user_id,
                 const char **why)
{
    json_t *labels = labels_of(t, NULL);
    json_t *job = NULL;
    int err = create_job(c, t, queue, 1, labels, user_id, &job, why);
    json_decref(labels);
    json_decref(job);
    if (!err)
        set_waiting(c, t);
    return err;
}

int flow_finish_job(struct chat *c, struct thread *t, const char *disposition, int wrap_up_s)
{
    if (!t->job_id[0])
        return 0;
    struct router *r = routing_engine(c->app);
    int64_t now = clock_now_ms();
    json_t *job = router_job_get(r, t->job_id, now);
    const char *state = json_string_value(json_object_get(job, "state"));
    int err = 0;
    if (state && (strcmp(state, "queued") == 0 || strcmp(state, "offered") == 0 ||
                  strcmp(state, "created") == 0 || strcmp(state, "pendingClassification") == 0)) {
        err = routing_begin(c->app);
        if (!err)
            err = routing_end(c->app, router_job_cancel(r, t->job_id, disposition, now));
    } else if (state && strcmp(state, "assigned") == 0) {
        if (wrap_up_s < 0)
            wrap_up_s = (int)widget_int(c, t, "wrapUpSeconds", 0);
        err = routing_begin(c->app);
        if (!err)
            err = routing_end(c->app,
                              router_job_close(r, t->job_id, disposition,
                                               wrap_up_s ? now + wrap_up_s * 1000LL : 0, now));
    }
    json_decref(job);
    return err;
}

int flow_take_message(struct chat *c, struct thread *t)
{
    int err = flow_finish_job(c, t, "messageLeft", 0);
    snprintf(t->state, sizeof(t->state), "messageLeft");
    t->ended_at = clock_now_ms();
    t->no_answer_at = 0;
    t->wait_stage[0] = '\0';
    if (!err)
        err = chat_event(c, t, "messageLeft", NULL,
                         json_pack("{s:s, s:O}", "queue", t->queue, "fields", t->fields));
    if (!err)
        err = msg_system(c, t, "messageLeft",
                         "Thank you: your message has been passed on, and we will get back to you.",
                         NULL);
    if (!err)
        thread_changed(c, t);
    return err;
}

/* ---- the bot ---- */

struct hook_call {
    struct chat *c;
    char thread_id[ID_SIZE];
};

static int run_actions(struct chat *c, struct thread *t, const json_t *actions);

static int end_thread(struct chat *c, struct thread *t, const char *by, const char *text)
{
    snprintf(t->state, sizeof(t->state), "ended");
    t->ended_at = clock_now_ms();
    t->no_answer_at = 0;
    int err = chat_event(c, t, "threadEnded", NULL, json_pack("{s:s}", "by", by));
    if (!err)
        err = msg_system(c, t, "ended", text, json_pack("{s:s}", "by", by));
    if (!err)
        thread_changed(c, t);
    return err;
}

/* Apply an external bot's answer: {"messages":[{"text","quickReplies"}],
 * "fields":{..}, "handoff":true|{queue,labels,priority}, "end":true}. */
static int apply_answer(struct chat *c, struct thread *t, const json_t *body)
{
    json_t *actions = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(body, "messages"), i, m)
    {
        const char *text = json_string_value(json_object_get(m, "text"));
        if (!text || !*text)
            continue;
        json_t *a = json_pack("{s:s, s:s}", "type", "say", "text", text);
        json_t *qr = json_object_get(m, "quickReplies");
        if (json_is_array(qr))
            json_object_set(a, "quickReplies", qr);
        json_array_append_new(actions, a);
    }
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(body, "fields"), k, v) json_array_append_new(
        actions, json_pack("{s:s, s:s, s:O}", "type", "field", "name", k, "value", v));
    json_t *h = json_object_get(body, "handoff");
    if (json_is_true(h) || json_is_object(h)) {
        json_t *a = json_is_object(h) ? json_deep_copy(h) : json_object();
        json_object_set_new(a, "type", json_string("handoff"));
        json_array_append_new(actions, a);
    } else if (json_is_true(json_object_get(body, "end"))) {
        json_array_append_new(actions, json_pack("{s:s}", "type", "end"));
    }
    int err = run_actions(c, t, actions);
    json_decref(actions);
    return err;
}

static void on_bot_answer(int err, uint16_t status, const json_t *body, void *arg)
{
    struct hook_call *hc = arg;
    struct chat *c = hc->c;
    struct thread t;
    if (thread_load(c, hc->thread_id, &t) != 0)
        return;
    if (strcmp(t.state, "bot") != 0) {
        thread_clear(&t);
        return; /* handed off or ended meanwhile */
    }
    bool own;
    int e = store_begin_own(c->app->store, &own);
    if (!e && (err || status / 100 != 2)) {
        log_warn("chat", "bot webhook failed", "thread=%s status=%u err=%d", t.id, status, err);
        e = msg_bot(c, &t, "Sorry, I cannot answer right now. Let me find a person for you.", NULL);
        const char *why = NULL;
        if (!e)
            e = flow_handoff(c, &t, NULL, &why);
    } else if (!e && body) {
        e = apply_answer(c, &t, body);
    }
    if (!e)
        e = thread_save(c, &t);
    e = store_end_own(c->app->store, own, e);
    if (e)
        log_error("chat", "bot answer not stored", "thread=%s err=%d", t.id, e);
    thread_clear(&t);
    flow_arm_no_answer(c);
}

static void call_webhook(struct chat *c, struct thread *t, const json_t *a)
{
    if (!c->wh)
        return;
    struct hook_call *hc = mem_zalloc(sizeof(*hc), NULL);
    if (!hc)
        return;
    hc->c = c;
    snprintf(hc->thread_id, sizeof(hc->thread_id), "%s", t->id);
    json_t *body =
        json_pack("{s:s, s:s, s:{s:I, s:s}, s:{s:s}, s:O, s:O}", "threadId", t->id, "widget",
                  t->widget, "message", "seq", (json_int_t)t->last_seq, "text",
                  json_string_value(json_object_get(a, "text")), "consumer", "name", t->name,
                  "fields", t->fields, "vars",
                  json_object_get(t->bot_state, "vars") ? json_object_get(t->bot_state, "vars")
                                                        : json_null());
    json_t *secs = json_object_get(a, "timeoutSeconds");
    unsigned ms = json_is_number(secs) ? (unsigned)(json_number_value(secs) * 1000) : 5000;
    webhook_post(c->wh, json_string_value(json_object_get(a, "url")), body,
                 json_string_value(json_object_get(a, "secret")), ms, on_bot_answer, hc);
    json_decref(body);
    mem_deref(hc);
}

static int run_action(struct chat *c, struct thread *t, const json_t *a)
{
    const char *type = json_string_value(json_object_get(a, "type"));
    const char *why = NULL;
    if (!type)
        return 0;
    if (strcmp(type, "say") == 0)
        return msg_bot(c, t, json_string_value(json_object_get(a, "text")),
                       json_object_get(a, "quickReplies"));
    if (strcmp(type, "intent") == 0)
        return chat_event(c, t, "botIntent", NULL,
                          json_pack("{s:O}", "intent", json_object_get(a, "intent")));
    if (strcmp(type, "fallback") == 0)
        return chat_event(c, t, "botFallback", NULL,
                          json_pack("{s:O}", "misses", json_object_get(a, "misses")));
    if (strcmp(type, "field") == 0) {
        const char *name = json_string_value(json_object_get(a, "name"));
        if (name)
            json_object_set(t->fields, name, json_object_get(a, "value"));
        return 0;
    }
    if (strcmp(type, "handoff") == 0)
        return flow_handoff(c, t, a, &why);
    if (strcmp(type, "messageTaken") == 0)
        return flow_take_message(c, t);
    if (strcmp(type, "end") == 0)
        return end_thread(c, t, "bot", "The chat has ended. Thank you!");
    if (strcmp(type, "webhook") == 0) {
        call_webhook(c, t, a);
        return 0;
    }
    if (strcmp(type, "afterHours") == 0)
        return chat_event(
            c, t, "afterHours", NULL,
            json_pack("{s:O}", "holiday",
                      json_object_get(a, "holiday") ? json_object_get(a, "holiday") : json_null()));
    if (strcmp(type, "error") == 0)
        log_error("chat", "bot flow error", "thread=%s bot=%s why=\"%s\"", t->id, t->bot_id,
                  json_string_value(json_object_get(a, "message")));
    return 0;
}

static int run_actions(struct chat *c, struct thread *t, const json_t *actions)
{
    size_t i;
    json_t *a;
    json_array_foreach(actions, i, a)
    {
        int err = run_action(c, t, a);
        if (err)
            return err;
    }
    return 0;
}

int flow_start(struct chat *c, struct thread *t)
{
    const struct bot *b = chat_bot(c, t->bot_id);
    if (!b) {
        const char *why = NULL;
        return flow_handoff(c, t, NULL, &why);
    }
    struct bot_env env = env_of(c);
    json_t *actions = json_array();
    int err = bot_start(b, t->bot_state, &env, actions);
    if (!err)
        err = run_actions(c, t, actions);
    json_decref(actions);
    return err;
}

/* Lower-case letters of s, without spaces and punctuation, equal? */
static bool says(const char *text, const char *label)
{
    for (;;) {
        while (*text && !isalnum((unsigned char)*text))
            text++;
        while (*label && !isalnum((unsigned char)*label))
            label++;
        if (!*text || !*label)
            return !*text && !*label;
        if (tolower((unsigned char)*text++) != tolower((unsigned char)*label++))
            return false;
    }
}

static int waiting_text_in(struct chat *c, struct thread *t, const char *text)
{
    if (strcmp(t->wait_stage, "prompted") == 0)
        return flow_take_message(c, t);
    if (strcmp(t->wait_stage, "offered") != 0)
        return 0;
    if (says(text, leave_label)) {
        snprintf(t->wait_stage, sizeof(t->wait_stage), "prompted");
        int err =
            msg_system(c, t, "leaveMessage",
                       "Please write your message in one go, with how we can reach you.", NULL);
        if (!err)
            thread_changed(c, t);
        return err;
    }
    if (says(text, keep_label) && t->job_id[0]) {
        t->wait_stage[0] = '\0';
        t->no_answer_at =
            clock_now_ms() + widget_int(c, t, "noAnswerSeconds", DEFAULT_NO_ANSWER_S) * 1000;
        c->rearm = true;
        return msg_system(c, t, "keepWaiting", "Thanks for your patience: we are still looking.",
                          NULL);
    }
    return 0;
}

int flow_consumer_text(struct chat *c, struct thread *t, const char *text)
{
    if (strcmp(t->state, "waiting") == 0)
        return waiting_text_in(c, t, text);
    const struct bot *b = chat_bot(c, t->bot_id);
    if (strcmp(t->state, "bot") != 0 || !b)
        return 0;
    struct bot_env env = env_of(c);
    json_t *actions = json_array();
    int err = bot_input(b, t->bot_state, text, &env, actions);
    if (!err)
        err = run_actions(c, t, actions);
    json_decref(actions);
    return err;
}

/* ---- the router's side ---- */

static int agent_joined(struct chat *c, struct thread *t, const json_t *data)
{
    const char *user = json_string_value(json_object_get(data, "workerUserId"));
    if (!user || strcmp(t->state, "waiting") != 0)
        return 0;
    struct participant p = {.present = true};
    snprintf(p.id, sizeof(p.id), "%s", user);
    snprintf(p.kind, sizeof(p.kind), "agent");
    snprintf(p.user_id, sizeof(p.user_id), "%s", user);
    if (user_name(c, user, p.name, sizeof(p.name)) != 0)
        snprintf(p.name, sizeof(p.name), "An agent");
    int64_t waited = clock_now_ms() - t->waiting_since;
    snprintf(t->state, sizeof(t->state), "active");
    t->no_answer_at = 0;
    t->wait_stage[0] = '\0';
    char text[160];
    snprintf(text, sizeof(text), "%s joined the chat", p.name);
    int err = participant_join(c, t->id, &p);
    if (!err)
        err = chat_event(c, t, "agentJoined", user,
                         json_pack("{s:s, s:s, s:I, s:O}", "userId", user, "jobId", t->job_id,
                                   "waitedMs", (json_int_t)waited, "workerId",
                                   json_object_get(data, "workerId")));
    if (!err)
        err = msg_system(c, t, "joined", text,
                         json_pack("{s:s, s:s}", "participantId", p.id, "kind", "agent"));
    if (!err)
        thread_changed(c, t);
    return err;
}

static int job_lost(struct chat *c, struct thread *t)
{
    if (strcmp(t->state, "waiting") != 0)
        return 0;
    t->job_id[0] = '\0';
    t->no_answer_at = 0;
    snprintf(t->wait_stage, sizeof(t->wait_stage), "offered");
    json_t *qr = json_pack("[{s:s}]", "label", leave_label);
    int err = msg_system(c, t, "noAnswer",
                         "No one is available to chat right now. You can leave a message and we "
                         "will get back to you.",
                         json_pack("{s:o}", "quickReplies", qr));
    if (!err)
        thread_changed(c, t);
    return err;
}

static int agent_left(struct chat *c, struct thread *t, const json_t *data)
{
    const char *user = json_string_value(json_object_get(data, "workerUserId"));
    if (strcmp(t->state, "active") != 0 || !user)
        return 0;
    set_waiting(c, t);
    int err = participant_leave(c, t->id, user);
    if (!err)
        err = msg_system(c, t, "left", "The agent had to leave; we are finding someone else.",
                         json_pack("{s:s}", "participantId", user));
    if (!err)
        thread_changed(c, t);
    hub_drop_user(c->hub, t->id, user);
    return err;
}

void flow_router_event(struct chat *c, const char *type, const json_t *data)
{
    bool assigned = strcmp(type, "jobAssigned") == 0;
    bool lost = strcmp(type, "jobCancelled") == 0 || strcmp(type, "jobClassificationFailed") == 0;
    bool unassigned = strcmp(type, "jobUnassigned") == 0;
    if (!assigned && !lost && !unassigned)
        return;
    const char *job = json_string_value(json_object_get(data, "jobId"));
    struct thread t;
    if (!job || thread_by_job(c, job, &t) != 0)
        return;
    bool own;
    int err = store_begin_own(c->app->store, &own);
    if (!err)
        err = assigned ? agent_joined(c, &t, data)
              : lost   ? job_lost(c, &t)
                       : agent_left(c, &t, data);
    if (!err)
        err = thread_save(c, &t);
    err = store_end_own(c->app->store, own, err);
    if (err)
        log_error("chat", "router event not applied to the chat", "thread=%s type=%s err=%d", t.id,
                  type, err);
    thread_clear(&t);
    flow_arm_no_answer(c);
}

/* ---- no answer ---- */

static int offer_leave(struct chat *c, const char *id)
{
    struct thread t;
    int err = thread_load(c, id, &t);
    if (err)
        return err;
    if (strcmp(t.state, "waiting") == 0 && !t.wait_stage[0]) {
        bool own;
        err = store_begin_own(c->app->store, &own);
        t.no_answer_at = 0;
        snprintf(t.wait_stage, sizeof(t.wait_stage), "offered");
        json_t *qr = json_pack("[{s:s}, {s:s}]", "label", leave_label, "label", keep_label);
        if (!err)
            err = msg_system(c, &t, "noAnswer",
                             "Sorry for the wait. You can leave a message and we will get back to "
                             "you, or keep waiting.",
                             json_pack("{s:o}", "quickReplies", qr));
        else
            json_decref(qr);
        if (!err)
            err = chat_event(c, &t, "noAnswer", NULL, NULL);
        if (!err)
            thread_changed(c, &t);
        if (!err)
            err = thread_save(c, &t);
        err = store_end_own(c->app->store, own, err);
    }
    thread_clear(&t);
    return err;
}

void flow_no_answer_due(struct chat *c, int64_t now)
{
    json_t *rows = NULL;
    struct store_val v[] = {sv_int(now)};
    if (store_query_json(c->app->store,
                         "SELECT id FROM chat_threads WHERE state = 'waiting' AND"
                         " no_answer_at IS NOT NULL AND no_answer_at <= ? ORDER BY no_answer_at"
                         " LIMIT 100",
                         v, 1, &rows) != 0)
        return;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *id = json_string_value(json_object_get(row, "id"));
        if (offer_leave(c, id) != 0)
            log_error("chat", "no-answer offer not stored", "thread=%s", id);
    }
    if (json_array_size(rows) == 100)
        c->rearm = true;
    json_decref(rows);
}

static void on_no_answer(void *arg)
{
    struct chat *c = arg;
    flow_no_answer_due(c, clock_now_ms());
    c->rearm = true;
    flow_arm_no_answer(c);
}

void flow_arm_no_answer(struct chat *c)
{
    if (!c->live || !c->rearm)
        return;
    c->rearm = false;
    json_t *row = NULL;
    if (store_query_one(c->app->store,
                        "SELECT MIN(no_answer_at) AS at FROM chat_threads WHERE state = 'waiting'"
                        " AND no_answer_at IS NOT NULL",
                        NULL, 0, &row) != 0)
        return;
    json_t *at = json_object_get(row, "at");
    if (json_is_integer(at)) {
        int64_t delay = json_integer_value(at) - clock_now_ms();
        tmr_start(&c->no_answer, delay > 0 ? (uint64_t)delay : 0, on_no_answer, c);
    } else {
        tmr_cancel(&c->no_answer);
    }
    json_decref(row);
}
