/*
 * bot.c - the interpreter's entry points (bot.h): starting a conversation
 * (business hours, the start node) and taking one consumer input the way
 * the state says the bot waits: free text (quick replies, intents, the
 * fallback), an answer to an `ask`, the message of a takeMessage, or text
 * for a webhook. Entering nodes is bot_run.c's.
 *
 * The conversation lives entirely in the caller's state object, so one
 * compiled bot serves any number of conversations. Quick replies are kept
 * in the state as they were said (labels rendered, with their goto or
 * intent), so a reply is read the way the consumer saw it.
 */
#include "chat/bot_internal.h"
#include "core/libre.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int get_int(const json_t *state, const char *key)
{
    return (int)json_integer_value(json_object_get(state, key));
}

/* ---- input ---- */

static void take_intent(struct bot_run *r, int i)
{
    bot_run_set_int(r, "misses", 0);
    bot_run_emit(r, json_pack("{s:s,s:s}", "type", "intent", "intent", r->b->intents[i].id));
    bot_run_from(r, r->b->intents[i].target);
}

/* A quick reply of the last said node whose label is the input (both
 * normalised): take it. */
static bool take_reply(struct bot_run *r, const char *norm)
{
    size_t i;
    const json_t *q;
    if (!norm || !*norm)
        return false;
    json_array_foreach(json_object_get(r->state, "quickReplies"), i, q)
    {
        char *label = bot_text_normalize(r->b, json_string_value(json_object_get(q, "label")));
        bool same = label && !strcmp(label, norm);
        const char *go = json_string_value(json_object_get(q, "goto"));
        int target = same && go ? bot_node_index(r->b, go) : -1;
        int intent = bot_intent_index(r->b, json_string_value(json_object_get(q, "intent")));
        mem_deref(label);
        if (!same || (target < 0 && intent < 0))
            continue; /* a reply of an older version of the flow */
        if (intent >= 0) {
            take_intent(r, intent);
        } else {
            bot_run_set_int(r, "misses", 0);
            bot_run_from(r, target);
        }
        return true;
    }
    return false;
}

static void fallback(struct bot_run *r)
{
    const struct bot *b = r->b;
    int misses = get_int(r->state, "misses") + 1;
    bot_run_emit(r, json_pack("{s:s,s:i}", "type", "fallback", "misses", misses));
    bot_run_say(r, NULL, b->fallback_say, NULL);
    if (b->fallback_target >= 0 && misses >= b->max_misses) {
        misses = 0;
        bot_run_from(r, b->fallback_target);
    }
    bot_run_set_int(r, "misses", misses);
}

static void free_text(struct bot_run *r, const char *text)
{
    char *norm = bot_text_normalize(r->b, text), *padded = NULL;
    int best = -1, best_score = 0;
    if (!norm || take_reply(r, norm))
        goto out;
    if (re_sdprintf(&padded, " %s ", norm)) {
        r->oom = true;
        goto out;
    }
    for (size_t i = 0; i < r->b->nintents; i++) {
        int score = bot_text_score(&r->b->intents[i], padded);
        if (score > best_score) {
            best = (int)i;
            best_score = score;
        }
    }
    if (best >= 0)
        take_intent(r, best);
    else
        fallback(r);
out:
    r->oom |= !norm;
    mem_deref(norm);
    mem_deref(padded);
}

static bool whole_match(const regex_t *re, const char *s)
{
    regmatch_t m[1];
    return !regexec(re, s, 1, m, 0) && m[0].rm_so == 0 && (size_t)m[0].rm_eo == strlen(s);
}

static void ask_input(struct bot_run *r, const struct bot_node *n, const char *text)
{
    char *norm = bot_text_normalize(r->b, text), *answer = NULL;
    size_t len = strlen(text);
    bool taken = norm && take_reply(r, norm);
    mem_deref(norm);
    if (taken)
        return;
    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    while (len && isspace((unsigned char)*text)) {
        text++;
        len--;
    }
    struct pl pl = {text, len};
    if (pl_strdup(&answer, &pl)) {
        r->oom = true;
        return;
    }
    if (*answer && (!n->has_pattern || whole_match(&n->pattern, answer))) {
        bot_run_put(r, r->vars, n->field, json_string(answer));
        bot_run_put(r, json_object_get(r->state, "fields"), n->field, json_string(answer));
        bot_run_emit(
            r, json_pack("{s:s,s:s,s:s}", "type", "field", "name", n->field, "value", answer));
        bot_run_set_int(r, "attempts", 0);
        bot_run_wait(r, "text");
        bot_run_from(r, n->next);
    } else {
        int attempt = get_int(r->state, "attempts") + 1;
        bot_run_emit(r, json_pack("{s:s,s:s,s:i}", "type", "invalid", "field", n->field, "attempt",
                                  attempt));
        bot_run_set_int(r, "attempts", attempt < n->max_attempts ? attempt : 0);
        if (attempt < n->max_attempts) {
            bot_run_say(r, n, NULL, n->invalid ? n->invalid : n->prompt);
        } else {
            bot_run_wait(r, "text"); /* no onFail: stop asking */
            bot_run_from(r, n->on_fail);
        }
    }
    mem_deref(answer);
}

static void take_message(struct bot_run *r, const struct bot_node *n, const char *text)
{
    bot_run_emit(r, json_pack("{s:s,s:s}", "type", "messageTaken", "text", text));
    if (n && n->next >= 0)
        bot_run_from(r, n->next);
    bot_run_wait(r, "done");
}

static void webhook(struct bot_run *r, const struct bot_node *n, const char *text)
{
    json_t *action = json_pack("{s:s,s:s,s:s}", "type", "webhook", "url", n->url, "text", text);
    if (action && n->secret)
        bot_run_put(r, action, "secret", json_string(n->secret));
    if (action)
        bot_run_put(r, action, "timeoutSeconds",
                    n->timeout < 1e9 && n->timeout == (double)(json_int_t)n->timeout
                        ? json_integer((json_int_t)n->timeout)
                        : json_real(n->timeout));
    bot_run_emit(r, action);
}

/* ---- the contract ---- */

static void prepare(struct bot_run *r, const struct bot *b, json_t *state, json_t *actions)
{
    *r = (struct bot_run){.b = b, .state = state, .actions = actions};
    if (!json_is_object(json_object_get(state, "vars")))
        bot_run_put(r, state, "vars", json_object());
    if (!json_is_object(json_object_get(state, "fields")))
        bot_run_put(r, state, "fields", json_object());
    r->vars = json_object_get(state, "vars");
}

int bot_start(const struct bot *b, json_t *state, const struct bot_env *env, json_t *actions)
{
    struct bot_run r;
    const char *holiday;
    int start;
    if (!b || !json_is_object(state) || !json_is_array(actions))
        return EINVAL;
    prepare(&r, b, state, actions);
    bot_run_put(&r, state, "fields", json_object());
    bot_run_set_int(&r, "misses", 0);
    bot_run_set_int(&r, "attempts", 0);
    bot_run_put(&r, state, "quickReplies", json_array());
    bot_run_wait(&r, "text");
    start = b->start;
    if (b->hours && env && !schedule_is_open(b->hours, env->now_ms, &holiday)) {
        json_t *action = json_pack("{s:s}", "type", "afterHours");
        if (action && holiday)
            bot_run_put(&r, action, "holiday", json_string(holiday));
        bot_run_emit(&r, action);
        if (b->after_hours >= 0)
            start = b->after_hours;
    }
    bot_run_from(&r, start);
    return r.oom ? ENOMEM : 0;
}

int bot_input(const struct bot *b, json_t *state, const char *text, const struct bot_env *env,
              json_t *actions)
{
    struct bot_run r;
    const char *wait = json_string_value(json_object_get(state, "wait"));
    const struct bot_node *n;
    int idx;
    (void)env; /* no input depends on the time: business hours count at the start */
    json_t *valid;
    if (!b || !json_is_object(state) || !json_is_array(actions))
        return EINVAL;
    if (wait && !strcmp(wait, "done"))
        return 0;
    text = text ? text : "";
    if (!(valid = json_string(text))) /* not UTF-8 (or out of memory) */
        return EINVAL;
    json_decref(valid);
    prepare(&r, b, state, actions);
    idx = bot_node_index(b, json_string_value(json_object_get(state, "node")));
    n = idx >= 0 ? &b->nodes[idx] : NULL;
    if (wait && !strcmp(wait, "ask") && n && n->kind == BOT_ASK) {
        ask_input(&r, n, text);
    } else if (wait && !strcmp(wait, "message")) {
        take_message(&r, n, text);
    } else if (wait && !strcmp(wait, "webhook") && n && n->kind == BOT_WEBHOOK) {
        webhook(&r, n, text);
    } else {
        if (wait && strcmp(wait, "text")) { /* the flow changed under the conversation */
            const char *node = json_string_value(json_object_get(state, "node"));
            bot_run_error(&r, "the flow has no %.16s node \"%.64s\" any more", wait,
                          node ? node : "");
            bot_run_wait(&r, "text");
        }
        free_text(&r, text);
    }
    return r.oom ? ENOMEM : 0;
}

bool bot_done(const json_t *state)
{
    const char *wait = json_string_value(json_object_get(state, "wait"));
    return wait && !strcmp(wait, "done");
}
