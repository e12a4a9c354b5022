/*
 * bot_run.c - entering the nodes of a compiled bot flow (bot.h, "Running
 * a node"): `set`, `say` with the quick replies, then the node's action,
 * then `next`, counting the nodes entered for one input to stop loops.
 * Also the small writers every step uses to append actions and update the
 * state; the inputs that lead here are bot.c's.
 *
 * The only shared scratch space, that of the branch expressions, is taken
 * under the bot's lock, so one compiled bot can serve conversations on
 * several threads at once.
 */
#include "chat/bot_internal.h"
#include "core/libre.h"

#include <stdio.h>
#include <string.h>

/* ---- small helpers ---- */

void bot_run_emit(struct bot_run *r, json_t *action)
{
    if (!action || json_array_append_new(r->actions, action))
        r->oom = true;
}

void bot_run_put(struct bot_run *r, json_t *obj, const char *key, json_t *value)
{
    if (!value || json_object_set_new(obj, key, value))
        r->oom = true;
}

void bot_run_wait(struct bot_run *r, const char *wait)
{
    bot_run_put(r, r->state, "wait", json_string(wait));
}

void bot_run_set_int(struct bot_run *r, const char *key, int v)
{
    bot_run_put(r, r->state, key, json_integer(v));
}

static json_t *render(struct bot_run *r, const char *tmpl)
{
    json_t *s = bot_text_render(tmpl, r->vars);
    if (!s)
        r->oom = true;
    return s;
}

void bot_run_error(struct bot_run *r, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    bot_run_emit(r, json_pack("{s:s,s:s}", "type", "error", "message", msg));
}

/* ---- saying ---- */

/* The node's quick replies as said: labels rendered, each with its goto or
 * intent. */
static json_t *render_replies(struct bot_run *r, const struct bot_node *n)
{
    json_t *list = json_array();
    size_t i;
    const json_t *q;
    json_array_foreach(n->replies, i, q)
    {
        const char *key = json_object_get(q, "goto") ? "goto" : "intent";
        json_t *item = json_pack("{s:o?,s:O?}", "label",
                                 render(r, json_string_value(json_object_get(q, "label"))), key,
                                 json_object_get(q, key));
        if (!item || json_array_append_new(list, item))
            r->oom = true;
    }
    return list;
}

/* Say `texts` (a JSON string or array of strings, or NULL) and then
 * `extra`; the last text said carries the node's quick replies, which
 * become the state's. Returns how many texts were said. */
size_t bot_run_say(struct bot_run *r, const struct bot_node *n, const json_t *texts,
                   const char *extra)
{
    size_t count = json_is_string(texts) ? 1 : json_array_size(texts), total = count + !!extra;
    json_t *replies = n && n->replies ? render_replies(r, n) : NULL;
    for (size_t i = 0; i < total; i++) {
        const char *t = i == count              ? extra
                        : json_is_string(texts) ? json_string_value(texts)
                                                : json_string_value(json_array_get(texts, i));
        json_t *action = json_pack("{s:s,s:o?}", "type", "say", "text", render(r, t));
        if (action && replies && i + 1 == total) {
            json_t *labels = json_array();
            size_t k;
            const json_t *q;
            json_array_foreach(replies, k, q)
            {
                json_array_append_new(labels,
                                      json_pack("{s:O}", "label", json_object_get(q, "label")));
            }
            bot_run_put(r, action, "quickReplies", labels);
        }
        bot_run_emit(r, action);
    }
    if (total && n)
        bot_run_put(r, r->state, "quickReplies", replies ? json_incref(replies) : json_array());
    json_decref(replies);
    return total;
}

/* ---- entering nodes ---- */

static void apply_set(struct bot_run *r, const struct bot_node *n)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)n->set, key, v)
    {
        bot_run_put(r, r->vars, key,
                    json_is_string(v) ? render(r, json_string_value(v)) : json_copy(v));
    }
}

static void emit_handoff(struct bot_run *r, const struct bot_node *n)
{
    const json_t *queue = json_object_get(n->handoff, "queue");
    const json_t *priority = json_object_get(n->handoff, "priority");
    const json_t *labels = json_object_get(n->handoff, "labels");
    json_t *action = json_pack("{s:s}", "type", "handoff");
    const char *key;
    json_t *v;
    if (!action) {
        r->oom = true;
        return;
    }
    if (queue)
        bot_run_put(r, action, "queue", render(r, json_string_value(queue)));
    if (priority)
        bot_run_put(r, action, "priority", json_copy((json_t *)priority));
    if (labels) {
        json_t *out = json_object();
        json_object_foreach((json_t *)labels, key, v)
        {
            bot_run_put(r, out, key,
                        json_is_string(v) ? render(r, json_string_value(v)) : json_copy(v));
        }
        bot_run_put(r, action, "labels", out);
    }
    bot_run_emit(r, action);
}

static bool lookup_var(unsigned scope, const char *name, struct expr_value *out, void *arg)
{
    const json_t *v = json_object_get(arg, name);
    (void)scope;
    if (json_is_string(v))
        *out = (struct expr_value){
            .type = EXPR_STRING, .str = json_string_value(v), .len = json_string_length(v)};
    else if (json_is_number(v))
        *out = (struct expr_value){.type = EXPR_NUMBER, .num = json_number_value(v)};
    else if (json_is_boolean(v))
        *out = (struct expr_value){.type = EXPR_BOOL, .b = json_is_true(v)};
    else
        return false;
    return true;
}

/* The first branch whose condition holds (or the else), or -1. */
static int branch(struct bot_run *r, const struct bot_node *n)
{
    struct bot *b = (struct bot *)r->b; /* the lock is the one mutable part */
    int target = -1;
    pthread_mutex_lock(&b->eval_lock);
    for (size_t i = 0; i < n->nbranches && target < 0; i++) {
        struct expr_value v;
        if (!n->branches[i].cond) {
            target = n->branches[i].target;
            break;
        }
        expr_eval(n->branches[i].cond, lookup_var, r->vars, &v);
        if (expr_truthy(&v))
            target = n->branches[i].target;
    }
    pthread_mutex_unlock(&b->eval_lock);
    return target;
}

/* Enter node idx; returns the node to enter next, or -1 when the bot now
 * waits (or is done). */
static int enter(struct bot_run *r, int idx)
{
    const struct bot_node *n = &r->b->nodes[idx];
    int target;
    bot_run_put(r, r->state, "node", json_string(n->id));
    apply_set(r, n);
    bot_run_say(r, n, n->say, n->kind == BOT_ASK || n->kind == BOT_TAKE_MESSAGE ? n->prompt : NULL);
    switch (n->kind) {
    case BOT_ASK:
        bot_run_set_int(r, "attempts", 0);
        bot_run_wait(r, "ask");
        return -1;
    case BOT_BRANCH:
        if ((target = branch(r, n)) >= 0)
            return target;
        break;
    case BOT_HANDOFF:
        emit_handoff(r, n);
        bot_run_wait(r, "done");
        return -1;
    case BOT_TAKE_MESSAGE:
        bot_run_wait(r, "message");
        return -1;
    case BOT_END:
        bot_run_emit(r, json_pack("{s:s}", "type", "end"));
        bot_run_wait(r, "done");
        return -1;
    case BOT_WEBHOOK:
        bot_run_wait(r, "webhook");
        return -1;
    case BOT_NONE:
        if (n->next >= 0)
            return n->next;
        break;
    }
    bot_run_wait(r, "text");
    return -1;
}

void bot_run_from(struct bot_run *r, int idx)
{
    while (idx >= 0) {
        if (r->entered++ >= BOT_MAX_ENTRIES) {
            bot_run_error(r,
                          "the flow entered more than %d nodes for one input (a loop through "
                          "\"%s\"?)",
                          BOT_MAX_ENTRIES, r->b->nodes[idx].id);
            bot_run_wait(r, "text");
            return;
        }
        idx = enter(r, idx);
    }
}
